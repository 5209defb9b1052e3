"""Colab's path, simulated: a fresh virtual environment that already has torch (as Colab
does) runs the notebooks' first cell in a real IPython shell, and ends with hemlab importable,
torchmetrics installed and the same torch; then ``hemlab.colab``'s parts on their own.

The environment sees this machine's packages through a ``.pth`` file, except hemlab
itself and torchmetrics (with its helper lightning-utilities), which Colab lacks. The cell's
pinned git URL is replaced by a copy of this project; torchmetrics comes from the package
index, with torch held where it is.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
import torch

from hemlab import colab

PROJECT = Path(__file__).resolve().parents[2]
HIDDEN_FROM_COLAB = ("hemlab", "__editable__", "torchmetrics", "lightning_utilities")
PINNED_URL = re.compile(r'"git\+https://github\.com/hemlab/hemlab@v(?P<version>[^"]+)"')

RUN_CELL_IN_COLAB = """
import importlib.util, json, sys, types
from IPython.core.interactiveshell import InteractiveShell
sys.modules["google.colab"] = types.ModuleType("google.colab")
report = {"before": [importlib.util.find_spec(name) is not None for name in ("hemlab", "torchmetrics")]}
result = InteractiveShell.instance().run_cell(open(sys.argv[1]).read())
report["error"] = repr(result.error_in_exec or result.error_before_exec)
import hemlab, torch, torchmetrics
report.update(torch=torch.__version__, torch_file=torch.__file__, hemlab=hemlab.__file__,
              torchmetrics=torchmetrics.__file__)
print(json.dumps(report))
"""


def _colab_like_environment(root: Path) -> tuple[Path, Path]:
    """A venv whose ``.pth`` exposes a symlinked view of this interpreter's site-packages
    minus ``HIDDEN_FROM_COLAB``; returns its python and the view."""
    view = root / "colab_packages"
    view.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(HIDDEN_FROM_COLAB) and entry.suffix != ".pth":
            (view / entry.name).symlink_to(entry)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    site_packages = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip()
    (Path(site_packages) / "colab_packages.pth").write_text(f"{view}\n")
    return python, view


def test_first_cell_pins_the_source_to_this_version(colab_cell):
    import hemlab

    pinned = PINNED_URL.search(colab_cell)
    assert pinned and pinned.group("version") == hemlab.__version__, colab_cell


def test_first_cell_installs_hemlab_on_a_colab_like_python_without_replacing_torch(tmp_path, colab_cell):
    python, view = _colab_like_environment(tmp_path)
    source = tmp_path / "hemlab-source"
    shutil.copytree(PROJECT / "hemlab", source / "hemlab", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(PROJECT / name, source / name)
    (tmp_path / "cell.ipy").write_text(PINNED_URL.sub(f'"{source}"', colab_cell))
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}

    # cwd outside the project: "" is on sys.path, and the project's hemlab must not be found there
    result = subprocess.run([str(python), "-c", RUN_CELL_IN_COLAB, str(tmp_path / "cell.ipy")], capture_output=True,
                            text=True, env=environment, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["before"] == [False, False]   # a fresh Colab has torch, not hemlab or torchmetrics
    assert report["error"] == "None", result.stdout + result.stderr
    assert (report["torch"], report["torch_file"]) == (torch.__version__, str(view / "torch" / "__init__.py"))
    venv = str(tmp_path / "venv")
    assert report["hemlab"].startswith(venv) and report["torchmetrics"].startswith(venv), report
    assert f"Colab's torch {metadata.version('torch')} kept" in result.stdout, result.stdout   # hemlab.colab's line


def test_requirement_names_are_read_from_requirement_strings():
    assert [colab.requirement_name(r) for r in ("torch>=2.0", "scikit-learn>=1.1", "pytest ; extra == 'dev'",
                                                "ray[default]>=2.9", "numpy")] == \
        ["torch", "scikit-learn", "pytest", "ray", "numpy"]


def test_install_missing_installs_only_missing_requirements_with_torch_held(monkeypatch):
    real_version = metadata.version

    def version(name):
        if name in ("torchmetrics", "seaborn"):
            raise metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(metadata, "version", version)
    calls = []
    missing = colab.install_missing(run=lambda command: calls.append((command, open(command[6]).read().split())))
    assert missing == ["seaborn>=0.12", "torchmetrics>=1.0"]
    (command, constraints), = calls
    assert command[:6] == [sys.executable, "-m", "pip", "install", "--quiet", "-c"]
    assert command[7:] == missing
    assert constraints == [f"torch=={real_version('torch')}", f"torchvision=={real_version('torchvision')}"]


def test_install_missing_runs_nothing_when_everything_is_there():
    calls = []
    assert colab.install_missing(run=calls.append) == [] and calls == []


@pytest.mark.parametrize("gpu, expected", [("Tesla T4", 'GPU Tesla T4: set preset = "colab"'),
                                           (None, "no GPU")])
def test_summary_line_names_the_gpu_and_its_preset(gpu, expected):
    line = colab.summary_line(gpu)
    assert expected in line and f"torch {metadata.version('torch')} kept" in line and "\n" not in line
    assert ('preset = "colab"' in line) == (gpu is not None)
