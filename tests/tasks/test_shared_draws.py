"""A seed's draws are built once and shared by its losses, and change no result.

The reference is the uncached path (``draws_disabled``: every run draws afresh) in the
order plans had before (task, loss, then seed); the cached path runs in the plan's order
(task, seed, then loss) and must give every run the same rows, value for value.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from hemlab.experiments import plan
from hemlab.tasks import TIMING_METRICS, draws, run
from hemlab.tasks.draws import clear_draws, draw_statistics, draws_disabled, shared_draw, size_in_bytes
from hemlab.tasks.phases import phase_clock, timed
from tests.tasks.conftest import TINY_CHANGES, tiny_settings

TASKS = ("clean_corrupt", "ood", "adversarial", "imbalanced", "continual", "segmentation")


def _tiny_specs(task: str) -> list:
    losses = {"segmentation": ["ce", "hem", "dice"], "imbalanced": ["ce", "hem", "la", "hem:margins=frequency"],
              "continual": ["ce", "hem", "la", "hem:margins=frequency"]}.get(task, ["ce", "hem", "la"])
    return plan("quick", [task], losses, seeds=2, margin_sweep=False)


def _rows(result) -> list[tuple]:
    """Every row but the wall-clock ones (which differ between any two runs)."""
    return sorted((row["condition"], row["metric"], row["value"]) for row in result.rows
                  if row["metric"] not in TIMING_METRICS)


def _same(first: list[tuple], second: list[tuple]) -> bool:
    return len(first) == len(second) and all(
        a[:2] == b[:2] and (a[2] == b[2] or (np.isnan(a[2]) and np.isnan(b[2]))) for a, b in zip(first, second))


def _digest(value) -> str:
    """sha256 over every tensor a cached value holds (its bytes and shape)."""
    hasher = hashlib.sha256()
    for tensor in draws._tensors_of(value):
        hasher.update(str(tuple(tensor.shape)).encode())
        hasher.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return hasher.hexdigest()


def test_plan_orders_runs_seed_by_seed():
    specs = plan("quick", ["imbalanced"], ["ce", "hem", "la"], seeds=3)
    seeds = [spec.seed for spec in specs]
    assert seeds == sorted(seeds)
    labels = [spec.loss_label for spec in specs if spec.seed == 0]
    assert labels[:4] == ["ce", "hem", "la", "hem:margins=frequency"] and "hem:margin=0.25" in labels


@pytest.mark.parametrize("task", TASKS)
def test_shared_draws_give_the_rows_of_fresh_draws_and_stay_untouched(task):
    specs = _tiny_specs(task)
    settings = tiny_settings(task)
    with draws_disabled():
        variants = list(dict.fromkeys(spec.loss_label for spec in specs))
        reference = {spec: _rows(run(spec, settings=settings))
                     for spec in sorted(specs, key=lambda spec: (variants.index(spec.loss_label), spec.seed))}
    clear_draws()
    shared = {}
    for spec in specs:
        shared[spec] = _rows(run(spec, settings=settings))
        if spec is specs[0]:
            built = {key: _digest(value) for key, (value, _) in draws._ENTRIES.items()}
    statistics = draw_statistics()
    assert sum(key[0] == "split" for key in draws._ENTRIES) == 2  # one split per seed ...
    assert statistics.hits >= len(specs) - 2  # ... reused by every other loss of the seed
    assert all(_same(reference[spec], shared[spec]) for spec in specs), [
        spec.loss_label for spec in specs if not _same(reference[spec], shared[spec])]
    after = {key: _digest(draws._ENTRIES[key][0]) for key in built if key in draws._ENTRIES}
    assert after and after == {key: built[key] for key in after}, "a run wrote into a shared draw"
    clear_draws()


def test_shared_draw_builds_once_per_key_and_drops_the_oldest_beyond_the_budget(monkeypatch):
    clear_draws()
    monkeypatch.setattr(draws, "CACHE_BYTES", 3 * 400)
    built = []

    def make(index: int):
        built.append(index)
        return torch.zeros(100)  # 400 bytes

    assert shared_draw(("a", 1), lambda: make(1)) is shared_draw(("a", 1), lambda: make(1))
    for index in (2, 3, 4):
        shared_draw(("a", index), lambda: make(index))
    shared_draw(("a", 1), lambda: make(1))  # dropped when 4 came in: drawn again
    assert built == [1, 2, 3, 4, 1]
    assert draw_statistics().evictions >= 1 and draw_statistics().hits == 1
    monkeypatch.setenv(draws.DISABLE_VARIABLE, "1")
    first, second = shared_draw(("b",), lambda: torch.ones(3)), shared_draw(("b",), lambda: torch.ones(3))
    assert first is not second
    clear_draws()


def test_size_counts_shared_storage_once():
    base = torch.zeros(1000)
    assert size_in_bytes((base, base[:10], torch.utils.data.TensorDataset(base))) == 4000


def test_phase_clock_splits_a_run_and_keeps_inner_phases_apart():
    with phase_clock() as phases:
        with timed("train"):
            with timed("draw"):
                torch.randn(200, 200) @ torch.randn(200, 200)
    assert set(phases) == {"draw", "train", "evaluate"} and phases["draw"] > 0 and phases["train"] >= 0
    with timed("draw"):  # no clock running: nothing recorded, nothing raised
        pass


def test_a_run_records_its_phases_and_machine():
    from tests.tasks.conftest import quick_spec

    result = run(quick_spec("ood", "ce"), settings=tiny_settings("ood"))
    assert set(result.phase_seconds) == {"draw", "train", "evaluate"}
    assert abs(sum(result.phase_seconds.values()) - result.seconds) < 0.05 * result.seconds + 0.05
    assert result.machine["torch"] == torch.__version__ and result.machine["threads"] >= 1
    assert result.machine["cpu_capability"] and result.machine["device"] == "cpu"


def test_tiny_changes_cover_every_task():
    assert set(TINY_CHANGES) == set(TASKS)


def test_clean_corrupt_and_adversarial_of_a_seed_train_once_with_the_rows_of_separate_runs(monkeypatch):
    from hemlab.tasks import fit as fit_module
    from tests.tasks.conftest import quick_spec

    specs = [quick_spec(task, "hem", seed=1) for task in ("clean_corrupt", "adversarial")]
    settings = {spec.task: tiny_settings(spec.task) for spec in specs}
    with draws_disabled():
        separate = [_rows(run(spec, settings=settings[spec.task])) for spec in specs]
    clear_draws()
    trainings = []
    original_fit = fit_module.fit
    monkeypatch.setattr(fit_module, "fit", lambda *args, **kwargs: trainings.append(1) or original_fit(*args, **kwargs))
    shared = [_rows(run(spec, settings=settings[spec.task])) for spec in specs]
    assert len(trainings) == 1
    assert all(_same(first, second) for first, second in zip(separate, shared))
    clear_draws()


def test_execute_folds_the_runs_that_train_alike_into_one_job(tmp_path):
    from hemlab.experiments import ResultStore, execute
    from hemlab.experiments.jobs import Job, group_jobs
    from hemlab.tasks import parse_assignments

    overrides = parse_assignments(["train.epochs=1", "dataset_options.n_train=600", "dataset_options.n_test=300",
                                   "adversarial.attack_samples=50", "adversarial.attack_steps=2",
                                   "clean_corrupt.corruptions=gaussian_noise", "clean_corrupt.severities=1"])
    specs = plan("quick", ["clean_corrupt", "ood", "adversarial"], ["ce", "hem"], seeds=2, margin_sweep=False,
                 overrides=overrides)
    jobs = group_jobs([Job(spec) for spec in specs])
    assert len(jobs) == len(specs) - 4
    assert all(job.spec.task == "clean_corrupt" and [other.spec.task for other in job.together] == ["adversarial"]
               and job.together[0].spec.seed == job.spec.seed and job.together[0].spec.loss == job.spec.loss
               for job in jobs if job.together)
    store = ResultStore(tmp_path)
    report = execute(specs, store, executor="processes", workers=2, progress=False)
    assert not report.failed and sorted(map(str, report.ran)) == sorted(map(str, specs))
    with draws_disabled():
        expected = {spec: _rows(run(spec)) for spec in specs if spec.task == "adversarial"}
    for spec, rows in expected.items():
        stored = store.table("quick", [spec])
        stored = sorted((row.condition, row.metric, row.value) for row in stored.itertuples()
                        if row.metric not in TIMING_METRICS)
        assert _same(rows, stored)
