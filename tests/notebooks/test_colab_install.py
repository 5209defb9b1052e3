"""Colab's path, simulated: a fresh virtual environment that already has torch (as Colab
does) runs the notebooks' first cell, and ends with hemlab importable and the same torch.

The environment sees this machine's packages through a ``.pth`` file, except hemlab
itself and torchmetrics (with its helper lightning-utilities), which Colab lacks. The cell
installs hemlab from a copy of this project (``HEMLAB_SOURCE`` stands in for the git URL)
and torchmetrics from the package index, with torch held where it is.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import torch

PROJECT = Path(__file__).resolve().parents[2]
HIDDEN_FROM_COLAB = ("hemlab", "__editable__", "torchmetrics", "lightning_utilities")

RUN_CELL_IN_COLAB = """
import importlib.util, json, sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")
report = {"before": [importlib.util.find_spec(name) is not None for name in ("hemlab", "torchmetrics")]}
exec(compile(open(sys.argv[1]).read(), "colab_cell", "exec"), {})
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


def test_first_cell_installs_hemlab_on_a_colab_like_python_without_replacing_torch(tmp_path, colab_cell):
    python, view = _colab_like_environment(tmp_path)
    source = tmp_path / "hemlab-source"
    shutil.copytree(PROJECT / "hemlab", source / "hemlab", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(PROJECT / name, source / name)
    (tmp_path / "cell.py").write_text(colab_cell)
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["HEMLAB_SOURCE"] = str(source)

    # cwd outside the project: "" is on sys.path, and the project's hemlab must not be found there
    result = subprocess.run([str(python), "-c", RUN_CELL_IN_COLAB, str(tmp_path / "cell.py")], capture_output=True,
                            text=True, env=environment, cwd=tmp_path, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["before"] == [False, False]   # a fresh Colab has torch, not hemlab or torchmetrics
    assert (report["torch"], report["torch_file"]) == (torch.__version__, str(view / "torch" / "__init__.py"))
    venv = str(tmp_path / "venv")
    assert report["hemlab"].startswith(venv) and report["torchmetrics"].startswith(venv), report
