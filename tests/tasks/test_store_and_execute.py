"""The result store and the executors: resume after a kill, identical tables everywhere."""
from __future__ import annotations

import importlib
import json

import numpy as np
import pandas as pd
import pytest

from hemlab.experiments import Job, ResultStore, RunFailure, execute, get_executor, plan, run_job
from hemlab.tasks import ROW_COLUMNS, TIMING_METRICS, RunResult, RunSpec

jobs_module = importlib.import_module("hemlab.experiments.jobs")
SMALL_SWEEP = {"tasks": ["continual"], "losses": ["ce", "hem"], "seeds": 2, "margin_sweep": False}


@pytest.fixture
def fast_runs(monkeypatch):
    """Replace training by a cheap deterministic function of the spec (in this process)."""
    def fake_run(spec, device="cpu", *, checkpoint_dir=None, settings=None):
        value = (sum(map(ord, spec.loss_label)) % 97) / 97 + spec.seed / 1000
        return RunResult(rows=[{"condition": "final", "metric": "average_accuracy", "value": value},
                               {"condition": "training", "metric": "train_seconds", "value": 0.01}],
                         artifacts={"logits": np.full((2, 3), value, dtype=np.float16)},
                         history=[{"epoch": 1, "train_loss": value}], seconds=0.01)
    monkeypatch.setattr(jobs_module, "run", fake_run)
    return fake_run


def _comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["metric"].isin(TIMING_METRICS)].drop(columns="seconds").reset_index(drop=True)


def test_store_writes_one_json_and_npz_per_run_and_reads_them_back(tmp_path, fast_runs):
    store = ResultStore(tmp_path)
    specs = plan("quick", **SMALL_SWEEP)
    report = execute(specs, store, executor="local", progress=False)
    assert len(report.ran) == 4 and not report.failed
    for spec in specs:
        record = json.loads(store.path(spec).read_text())
        assert record["spec"] == spec.to_dict() and record["run_id"] == spec.run_id
        assert store.path(spec).with_suffix(".npz").is_file()
        np.testing.assert_array_equal(store.artifacts("quick", spec.task, spec.run_id)["logits"],
                                      fast_runs(spec).artifacts["logits"])
        assert list(store.history("quick", spec.task, spec.run_id).columns) == ["epoch", "train_loss"]
    table = store.table("quick")
    assert tuple(table.columns) == ROW_COLUMNS and len(table) == 8
    assert not list(tmp_path.rglob("*.tmp"))


def test_an_interrupted_sweep_resumes_and_ends_with_the_same_table(tmp_path, fast_runs, monkeypatch):
    specs = plan("quick", **SMALL_SWEEP)
    uninterrupted = ResultStore(tmp_path / "whole")
    execute(specs, uninterrupted, executor="local", progress=False)

    interrupted = ResultStore(tmp_path / "killed")
    finished = []
    original_save = ResultStore.save

    def save_then_die(self, spec, result):
        if len(finished) == 2:
            raise KeyboardInterrupt
        finished.append(spec)
        return original_save(self, spec, result)

    monkeypatch.setattr(ResultStore, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        execute(specs, interrupted, executor="local", progress=False)
    monkeypatch.setattr(ResultStore, "save", original_save)
    assert sum(interrupted.has(spec) for spec in specs) == 2
    report = execute(specs, interrupted, executor="local", progress=False)
    assert len(report.skipped) == 2 and len(report.ran) == 2
    pd.testing.assert_frame_equal(interrupted.table("quick"), uninterrupted.table("quick"))


def test_a_failing_run_is_reported_and_the_rest_finish(tmp_path, fast_runs, monkeypatch):
    def sometimes_failing(spec, device="cpu", *, checkpoint_dir=None):
        if spec.loss == "hem" and spec.seed == 1:
            raise RuntimeError("diverged")
        return fast_runs(spec)

    monkeypatch.setattr(jobs_module, "run", sometimes_failing)
    store = ResultStore(tmp_path)
    report = execute(plan("quick", **SMALL_SWEEP), store, executor="local", progress=False)
    assert len(report.ran) == 3 and len(report.failed) == 1
    failure = report.failed[0]
    assert isinstance(failure, RunFailure) and failure.spec.seed == 1 and "RuntimeError: diverged" in failure.error
    assert "sometimes_failing" in failure.traceback
    assert not store.has(failure.spec)


def test_run_job_restores_the_thread_count(fast_runs):
    import torch

    torch.set_num_threads(2)
    run_job(Job(RunSpec("ood", "digits", "mlp", "ce")))
    assert torch.get_num_threads() == 2


def test_unknown_executor_is_named():
    with pytest.raises(ValueError, match="executor: expected one of local, processes"):
        get_executor("slurm")


def test_local_and_process_executors_give_identical_tables(tmp_path):
    specs = [RunSpec("continual", "digits", "mlp", "ce", (), 0), RunSpec("continual", "digits", "mlp", "hem", (), 1)]
    local, pooled = ResultStore(tmp_path / "local"), ResultStore(tmp_path / "pool")
    assert not execute(specs, local, executor="local", progress=False).failed
    assert not execute(specs, pooled, executor="processes", workers=2, progress=False).failed
    pd.testing.assert_frame_equal(_comparable(local.table("quick")), _comparable(pooled.table("quick")))
    for spec in specs:
        for name, array in local.artifacts("quick", spec.task, spec.run_id).items():
            np.testing.assert_array_equal(array, pooled.artifacts("quick", spec.task, spec.run_id)[name])
