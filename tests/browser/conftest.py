"""A real JupyterLab and a headless Chromium for the browser tests.

``jupyter_lab`` starts ``python -m jupyter lab`` from this environment on a free loopback
port, with a random token and a temporary root holding a copy of ``notebooks/``; it is
stopped (its whole process group) at the end, pass or fail. ``open_notebook(name)`` opens a
notebook in a fresh browser page. Chromium comes from the system (``/usr/bin/chromium``;
``make test`` installs Debian's package when it can); without it these tests skip.
``screenshot_dir`` is where the tests put their screenshots: a temporary folder, or
``$HEMLAB_SCREENSHOTS`` (``make screenshots`` points it at ``docs/`` to renew the README's).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("HEMLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ERROR_MIME = "application/vnd.jupyter.error"
# The prompts of the code cells whose input is shown: a cell with its input collapsed (an
# exercise's solution) shows a placeholder and no execution count, so the kernel being idle
# stands in for it.
PROMPTS_JS = ("const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)') || document;"
              "const prompts = [...panel.querySelectorAll('.jp-CodeCell')]"
              ".filter(cell => !cell.querySelector('.jp-InputPlaceholder'))"
              ".map(cell => cell.querySelector('.jp-InputPrompt')?.textContent ?? '');"
              "const idle = !!document.querySelector(\".jp-Notebook-ExecutionIndicator[data-status='idle']\");"
              f"const errors = panel.querySelectorAll('[data-mime-type=\"{ERROR_MIME}\"]').length;")
# finished: the kernel idle, nothing queued ([*]) and every shown cell numbered, or a cell
# failed (Run All stops there)
FINISHED_JS = ("idle && prompts.length > 0 && !prompts.some(text => text.includes('*')) && "
               "(errors > 0 || prompts.every(text => /\\[\\d+\\]/.test(text)))")
# Render every cell (no windowing) so the tests see all outputs; no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


@dataclass
class JupyterLab:
    """A running JupyterLab: its base ``url``, ``token``, ``root`` folder and process."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen

    def tree_url(self, name: str) -> str:
        """``name`` opened alone: a workspace of its own, reset, so no notebook of an earlier
        test is restored beside it."""
        workspace = Path(name).stem.replace("_", "-")
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system Chromium; the browser tests skip with one line when it or playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests: no Chromium at {CHROMIUM} (run `make test` as root, or apt-get install chromium)")
    pytest.importorskip("playwright", reason="browser tests: the playwright package is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """``$HEMLAB_SCREENSHOTS`` when set, else a temporary folder: tests never rewrite tracked files."""
    chosen = os.environ.get("HEMLAB_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def jupyter_lab(chromium, tmp_path_factory) -> Iterator[JupyterLab]:
    """JupyterLab on a free loopback port, serving a temporary copy of ``notebooks/``."""
    base = tmp_path_factory.mktemp("jupyter")
    root, settings, config = base / "root", base / "settings", base / "config"
    shutil.copytree(PROJECT / "notebooks", root, ignore=shutil.ignore_patterns("results", ".ipynb_checkpoints"))
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    environment = dict(os.environ, HEMLAB_QUICK="1", OMP_NUM_THREADS="1", JUPYTER_CONFIG_DIR=str(config),
                       JUPYTER_RUNTIME_DIR=str(base / "runtime"), JUPYTER_DATA_DIR=str(base / "data"),
                       PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={base / 'workspaces'}",
               "--LabApp.extension_manager=readonly", *(["--allow-root"] if os.geteuid() == 0 else [])]
    log = (base / "server.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True)
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, process)
    try:
        deadline = time.monotonic() + 90
        while not _answers(f"{lab.url}/api/status?token={token}"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not start; its log:\n{(base / 'server.log').read_text()}")
            time.sleep(0.5)
        yield lab
    finally:
        _stop(process)
        log.close()
        assert not _answers(f"{lab.url}/api/status?token={token}"), "jupyter lab still answers after stopping"


@pytest.fixture(scope="session")
def browser(chromium):
    """A headless Chromium driven by Playwright (sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def open_notebook(browser, jupyter_lab) -> Iterator[Callable]:
    """``open_notebook(name)`` -> a Playwright page showing ``notebooks/<name>``, its kernel idle."""
    contexts = []

    def open_(name: str):
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.goto(jupyter_lab.tree_url(name))
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()   # make the notebook the current widget
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def run_all_cells() -> Callable:
    """``run_all_cells(page, timeout_s)``: Run > Run All Cells, wait until every code cell has
    run or one failed; return the texts of the error outputs (empty when all passed)."""

    def run(page, timeout_s: float = 240) -> list[str]:
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function(f"() => {{ {PROMPTS_JS} return {FINISHED_JS}; }}", timeout=timeout_s * 1000,
                                   polling=500)
        except PlaywrightTimeoutError:
            prompts = page.evaluate(f"() => {{ {PROMPTS_JS} return prompts; }}")
            pytest.fail(f"cells still running or not run after {timeout_s} s; prompts: {prompts}")
        return page.locator(f'[data-mime-type="{ERROR_MIME}"]').all_inner_texts()

    return run
