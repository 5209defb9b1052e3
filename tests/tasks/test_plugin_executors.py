"""A plug-in loss on the executors: the workers of ``processes`` import it from the job, and a
loss defined in ``__main__`` is refused for them before any run starts."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch

from hemlab.losses import LOSSES, register_loss
from hemlab.tasks import ResultStore, RunSpec, execute, plan

sys.path.insert(0, str(Path(__file__).parent))
from plugin_source import TINY, imported_plugin  # noqa: E402 - the helper lives beside this file

execute_module = importlib.import_module("hemlab.tasks.execute")


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
        monkeypatch.setattr(execute_module, "run", lambda spec, device="cpu", *, checkpoint_dir=None:
                            execute_module.RunResult(rows=[{"condition": "final", "metric": "average_accuracy",
                                                            "value": 0.5}]))
        report = execute(specs, ResultStore(tmp_path), executor="local", progress=False)
        assert len(report.ran) == 1 and not report.failed
    finally:
        LOSSES.remove("cellloss")
