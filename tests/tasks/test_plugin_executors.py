"""A plug-in loss on the executors: the workers of ``processes`` import it from the job, and a
loss defined in ``__main__`` is refused for them before any run starts."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch

from hemlab.experiments import ResultStore, execute, plan
from hemlab.losses import LOSSES, register_loss
from hemlab.tasks import TIMING_METRICS, RunSpec

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from own_data_source import imported_data_plugin, write_class_folder  # noqa: E402 - the helper lives in tests/
from plugin_source import TINY, imported_plugin  # noqa: E402 - the helper lives beside this file

jobs_module = importlib.import_module("hemlab.experiments.jobs")


def test_the_processes_executor_runs_a_plugin_loss_its_workers_import(tmp_path, monkeypatch):
    with imported_plugin(tmp_path / "plugins", "procs_plugin_losses", "sqprocs", monkeypatch):
        specs = plan("quick", ["clean_corrupt"], ["ce", "sqprocs"], seeds=1, overrides=TINY)
        store = ResultStore(tmp_path / "results")
        report = execute(specs, store, executor="processes", workers=2, progress=False)
        assert not report.failed, [failure.error for failure in report.failed]
        table = store.table("quick")
        assert set(table["loss_label"]) == {"ce", "sqprocs"}
        assert table.loc[table["metric"] == "accuracy", "value"].between(0.0, 1.0).all()
        rows = table.groupby("loss_label").apply(lambda rows: sorted(zip(rows["condition"], rows["metric"])))
        assert rows["sqprocs"] == rows["ce"]


def test_a_loss_defined_in_main_runs_locally_and_is_refused_by_other_executors(tmp_path, monkeypatch):
    def in_a_cell(logits, target, margin: float = 1.0):
        return torch.nn.functional.multi_margin_loss(logits, target, margin=margin, reduction="none")

    in_a_cell.__module__ = "__main__"
    register_loss("cellloss", in_a_cell, description="defined in a notebook cell")
    try:
        specs = [RunSpec("continual", "digits", "mlp", "cellloss", seed=0)]
        for executor in ("processes", "ray"):
            with pytest.raises(ValueError, match=f"defined in __main__ .* the {executor} executor cannot import"):
                execute(specs, ResultStore(tmp_path), executor=executor, progress=False)
        assert not list(tmp_path.iterdir()), "nothing may start before the refusal"
        monkeypatch.setattr(jobs_module, "run", lambda spec, device="cpu", *, checkpoint_dir=None:
                            jobs_module.RunResult(rows=[{"condition": "final", "metric": "average_accuracy",
                                                            "value": 0.5}]))
        report = execute(specs, ResultStore(tmp_path), executor="local", progress=False)
        assert len(report.ran) == 1 and not report.failed
    finally:
        LOSSES.remove("cellloss")


def test_the_processes_executor_runs_a_plugin_dataset_and_model_and_an_image_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HEMLAB_DATA", str(tmp_path / "data"))
    root = write_class_folder(tmp_path / "pngs", classes=4, per_class=10)
    overrides = (("train.epochs", 1), ("imbalance_ratios", (10.0,)))
    with imported_data_plugin(tmp_path / "plugins", "procs_plugin_data", "procdata", "procnet", monkeypatch):
        specs = (plan("quick", ["imbalanced"], ["ce"], seeds=2, dataset="procdata", model="procnet",
                      overrides=overrides)
                 + plan("quick", ["imbalanced"], ["ce"], seeds=2, dataset=f"folder:{root}", overrides=overrides))
        store = ResultStore(tmp_path / "results")
        report = execute(specs, store, executor="processes", workers=2, progress=False)
        assert not report.failed, [failure.error for failure in report.failed]
        local = ResultStore(tmp_path / "local")
        execute(specs, local, executor="local", progress=False)
    table, expected = store.table("quick"), local.table("quick")
    assert set(table["dataset"]) == {"procdata", f"folder:{root.resolve()}"} and len(table) == len(expected)
    measured = table[~table["metric"].isin(TIMING_METRICS)]
    merged = measured.merge(expected, on=["run_id", "condition", "metric"], suffixes=("", "_local"))
    assert len(merged) == len(measured), "the same specs give the same rows on every executor"
    same = ((merged["value"] - merged["value_local"]).abs() < 1e-6) | (merged["value"].isna()
                                                                        & merged["value_local"].isna())
    assert same.all()


def test_a_dataset_defined_in_main_is_refused_by_other_executors(tmp_path):
    from hemlab.data import DATASETS, register_dataset

    def in_a_cell(*, seed: int = 0):
        images = torch.rand(8, 1, 8, 8)
        return (images, torch.arange(8) % 2), (images, torch.arange(8) % 2)

    in_a_cell.__module__ = "__main__"
    register_dataset("celldata", in_a_cell, num_classes=2, in_channels=1, image_size=8, description="in a cell")
    try:
        specs = [RunSpec("clean_corrupt", "celldata", "mlp", "ce", seed=0)]
        with pytest.raises(ValueError, match="dataset: 'celldata' was defined in __main__ .* the processes executor"):
            execute(specs, ResultStore(tmp_path), executor="processes", progress=False)
    finally:
        DATASETS.remove("celldata")
