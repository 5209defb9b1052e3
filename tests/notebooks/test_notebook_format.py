"""Every notebook: committed without outputs, valid, starting with the same Colab install
cell and a papermill ``parameters`` cell. Run ``jupyter nbconvert --clear-output --inplace
notebooks/*.ipynb`` before committing a notebook."""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import nbformat

PARAMETERS = {"preset": "quick", "device": "auto", "seeds": 5}
TASK_NOTEBOOKS = ("02_clean_and_corrupted", "03_unknown_class_rejection", "04_adversarial_robustness",
                  "05_imbalanced_data", "06_continual_learning", "07_semantic_segmentation")
FOLDER_PARAMETER = {"00_quickstart": {"out": "results"}, "01_loss_anatomy": {"out": "results"},
                    **{name: {"out": None} for name in TASK_NOTEBOOKS}, "08_paper_figures": {"results_dir": None},
                    "09_your_own_loss": {"out": None, "seeds": 3}, "10_your_own_data": {"out": None, "seeds": 3}}
"""Where a notebook writes or reads results: the first two write their own tables to ``out``; the
task notebooks, the paper figures and your-own-loss read the default results folder (``None``) unless told.
The task notebooks read the quick sweep's 10 seeds; your-own-loss trains its loss on the spot, with 3;
your-own-data trains on data it makes, with 3, into a new temporary folder (``None``) unless told."""


def test_the_notebooks_exist(notebook_names):
    assert set(FOLDER_PARAMETER) <= set(notebook_names)


def test_notebook_is_valid_and_has_no_outputs(notebook):
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {index} has outputs"
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_notebook_starts_with_the_colab_cell_then_the_parameters(notebook, colab_cell):
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].source == colab_cell
    assert "parameters" in code[1].metadata.get("tags", [])
    assigned = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse(code[1].source).body if isinstance(node, ast.Assign)}
    name = Path(notebook.metadata["path"]).stem
    assert assigned == {**PARAMETERS, **FOLDER_PARAMETER[name]}
    assert sum("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells) == 1


def _run_colab_cell(colab_cell, monkeypatch, *, on_colab, hemlab_found, missing=()):
    calls = []

    def record(command):
        constraints = command[command.index("-c") + 1] if "-c" in command else None
        calls.append((command, open(constraints).read().split() if constraints else None))

    real_version = importlib.metadata.version

    def version(name):
        if name in missing:
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(subprocess, "check_call", record)
    monkeypatch.setattr(importlib.metadata, "version", version)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: (real_find_spec(name, *rest) if hemlab_found or name != "hemlab" else None))
    monkeypatch.delenv("HEMLAB_SOURCE", raising=False)
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    namespace = {}
    exec(compile(colab_cell, "colab_cell", "exec"), namespace)
    return calls, namespace


def test_colab_cell_does_nothing_off_colab(colab_cell, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls, _ = _run_colab_cell(colab_cell, monkeypatch, on_colab=False, hemlab_found=False)
    assert calls == []


def test_colab_cell_does_nothing_when_hemlab_is_already_installed(colab_cell, monkeypatch):
    calls, _ = _run_colab_cell(colab_cell, monkeypatch, on_colab=True, hemlab_found=True)
    assert calls == []


def test_colab_cell_installs_hemlab_from_the_repository_without_dependencies(colab_cell, monkeypatch):
    calls, namespace = _run_colab_cell(colab_cell, monkeypatch, on_colab=True, hemlab_found=False)
    assert [command[1:] for command, _ in calls] == [
        ["-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", f"git+{namespace['HEMLAB_REPO']}"]]


def test_colab_cell_installs_only_missing_dependencies_with_torch_held(colab_cell, monkeypatch):
    calls, _ = _run_colab_cell(colab_cell, monkeypatch, on_colab=True, hemlab_found=False,
                               missing=("torchmetrics", "seaborn"))
    (command, constraints), = calls[1:]
    assert command[1:6] == ["-m", "pip", "install", "--quiet", "-c"]
    assert command[7:] == ["seaborn>=0.12", "torchmetrics>=1.0"]
    assert constraints == [f"torch=={importlib.metadata.version('torch')}",
                           f"torchvision=={importlib.metadata.version('torchvision')}"]
