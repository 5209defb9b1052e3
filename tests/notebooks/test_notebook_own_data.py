"""A task notebook on your own images: notebook 05 run by papermill with ``dataset="folder:PATH"``
on a folder of PNG files written here, two seeds and one epoch (``overrides``), trains every
run into a fresh results folder, stores them under that dataset and finishes."""
from __future__ import annotations

import sys
from pathlib import Path

import papermill

from hemlab.experiments import ResultStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from own_data_source import write_class_folder  # noqa: E402 - the helper lives in tests/

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05_imbalanced_data.ipynb"

OVERRIDES = ["train.epochs=1", "imbalance_ratios=100"]
"""One epoch, one ratio: the notebook's headline (ratio 100) in seconds a run."""


def test_the_imbalanced_notebook_runs_on_a_folder_of_pngs(tmp_path, monkeypatch):
    monkeypatch.setenv("HEMLAB_DATA", str(tmp_path / "data"))
    root = write_class_folder(tmp_path / "pngs", classes=5, per_class=30)
    results = tmp_path / "results"
    papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"),
                               parameters={"dataset": f"folder:{root}", "seeds": 2, "out": str(results),
                                           "device": "cpu", "overrides": OVERRIDES},
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    table = ResultStore(results).table("quick")
    assert set(table["dataset"]) == {f"folder:{root.resolve()}"} and set(table["task"]) == {"imbalanced"}
    assert set(table["seed"]) == {0, 1} and {"ce", "mm", "hem", "la"} <= set(table["loss_label"])
    printed = "".join(output.get("text", "") for cell in papermill.iorw.load_notebook_node(str(tmp_path / "out.ipynb")).cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert f"on folder:{root.resolve()}" in printed and "trained now" in printed
    assert "not the preset's own data and settings" in printed
