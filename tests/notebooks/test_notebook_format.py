"""Every notebook: committed without outputs, valid, starting with the same Colab install
cell (three lines at most, hidden on the site) and a papermill ``parameters`` cell. Run ``jupyter nbconvert --clear-output --inplace
notebooks/*.ipynb`` before committing a notebook."""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill

PARAMETERS = {"preset": "quick", "device": "auto", "seeds": 5}
TASK_NOTEBOOKS = ("02_clean_and_corrupted", "03_unknown_class_rejection", "04_adversarial_robustness",
                  "05_imbalanced_data", "06_continual_learning", "07_semantic_segmentation")
FOLDER_PARAMETER = {"00_quickstart": {"out": "results"}, "01_loss_anatomy": {"out": "results"},
                    **{name: {"out": None, "dataset": None, "overrides": ()} for name in TASK_NOTEBOOKS},
                    "08_paper_figures": {"results_dir": None},
                    "09_your_own_loss": {"out": None, "seeds": 3}, "10_your_own_data": {"out": None, "seeds": 3}}
"""Where a notebook writes or reads results: the first two write their own tables to ``out``; the
task notebooks, the paper figures and your-own-loss read the default results folder (``None``) unless told.
The task notebooks read the quick sweep's seeds, on the preset's dataset unless ``dataset`` names
another (``"folder:PATH"`` too), with the preset's settings changed by ``overrides``; your-own-loss trains its loss on the spot, with 3;
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
    assert len(colab_cell.splitlines()) <= 3 and "remove-cell" in code[0].metadata.get("tags", [])
    assert "parameters" in code[1].metadata.get("tags", [])
    assigned = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse(code[1].source).body if isinstance(node, ast.Assign)}
    name = Path(notebook.metadata["path"]).stem
    assert assigned == {**PARAMETERS, **FOLDER_PARAMETER[name]}
    assert sum("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells) == 1


def test_papermill_reads_every_parameter(notebook):
    """papermill reads a parameter's line only when its comment holds no ``=``; one it cannot
    read is still set, but with a warning and without its help."""
    name = Path(notebook.metadata["path"]).stem
    assert set(papermill.inspect_notebook(notebook.metadata["path"])) == {*PARAMETERS, *FOLDER_PARAMETER[name]}


def _heading_index(cells, heading: str) -> int | None:
    return next((index for index, cell in enumerate(cells)
                 if cell.cell_type == "markdown" and cell.source.startswith(heading)), None)


def test_task_notebook_has_the_lesson_shape(notebook):
    """A task notebook opens with its question (the title) and the claim it tests, and ends with
    "What this shows" and then two or three exercises, each followed by a collapsed solution
    cell that asserts its answer (nbval runs it with the rest)."""
    name = Path(notebook.metadata["path"]).stem
    if name not in TASK_NOTEBOOKS:
        return
    cells = notebook.cells
    title = cells[0].source.splitlines()[0]
    assert title.startswith("# ") and title.rstrip().endswith("?"), f"{name}: the title should ask the question"
    assert "claim" in cells[0].source, f"{name}: the opening should name the claim it tests"
    shows, exercises = _heading_index(cells, "## What this shows"), _heading_index(cells, "## Exercises")
    assert shows is not None and exercises is not None and shows < exercises, name
    rest = cells[exercises + 1:]
    assert 2 <= len(rest) // 2 <= 3 and len(rest) % 2 == 0, f"{name}: expected question/solution pairs after Exercises"
    for question, solution in zip(rest[::2], rest[1::2]):
        assert question.cell_type == "markdown" and question.source.startswith("**"), question.source[:60]
        assert solution.cell_type == "code" and "hide-cell" in solution.metadata.get("tags", []), solution.source[:60]
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, solution.source[:60]
        assert "assert " in solution.source and "Answer" in solution.source, solution.source[:60]


def test_widget_cells_that_need_a_kernel_say_what_they_would_show(notebook):
    """Every control panel that only a kernel can redraw carries the one line the site shows
    under it (``metadata.hemlab.static_note``); precomputed sliders (a ``jslink``) need none."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        needs_kernel = "selection_panel(" in cell.source or "panel.widget" in cell.source
        note = cell.metadata.get("hemlab", {}).get("static_note", "")
        if needs_kernel:
            assert "jslink" not in cell.source and len(note.splitlines()) == 1 and len(note) > 40, cell.source[:80]
        else:
            assert not note, cell.source[:80]
