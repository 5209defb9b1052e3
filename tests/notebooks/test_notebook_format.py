"""Every notebook: committed without outputs, valid, starting with the same Colab install
cell (three lines at most, hidden on the site) and a papermill ``parameters`` cell. Run ``jupyter nbconvert --clear-output --inplace
notebooks/*.ipynb`` before committing a notebook."""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat

PARAMETERS = {"preset": "quick", "device": "auto", "seeds": 5}
TASK_NOTEBOOKS = ("02_clean_and_corrupted", "03_unknown_class_rejection", "04_adversarial_robustness",
                  "05_imbalanced_data", "06_continual_learning", "07_semantic_segmentation")
FOLDER_PARAMETER = {"00_quickstart": {"out": "results"}, "01_loss_anatomy": {"out": "results"},
                    **{name: {"out": None} for name in TASK_NOTEBOOKS}, "08_paper_figures": {"results_dir": None},
                    "09_your_own_loss": {"out": None, "seeds": 3}}
"""Where a notebook writes or reads results: the first two write their own tables to ``out``; the
task notebooks, the paper figures and your-own-loss read the default results folder (``None``) unless told.
The task notebooks read the quick sweep's 10 seeds; your-own-loss trains its loss on the spot, with 3."""


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
    assert len(colab_cell.splitlines()) <= 3 and "remove-cell" in code[0].metadata.get("tags", [])
    assert "parameters" in code[1].metadata.get("tags", [])
    assigned = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse(code[1].source).body if isinstance(node, ast.Assign)}
    name = Path(notebook.metadata["path"]).stem
    assert assigned == {**PARAMETERS, **FOLDER_PARAMETER[name]}
    assert sum("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells) == 1
