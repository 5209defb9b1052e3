"""The ``ray`` executor on a local two-CPU Ray instance, one for the whole module.

The runs are the fast stand-ins of ``fake_runs`` (shipped to the workers as the
``run_function`` option): the executor's job is to move jobs and outcomes, and these
tests prove it does so like the ``processes`` executor, reports failures, retries dead
workers once and resumes an interrupted sweep.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pandas as pd
import pytest

import hemlab
from hemlab.experiments import Job, ResultStore, execute
from hemlab.tasks import TIMING_METRICS, RunSpec

ray = pytest.importorskip("ray")
from hemlab.experiments.ray_executor import MAX_RETRIES, connect_ray, ray_executor  # noqa: E402 - needs Ray

SPECS = [RunSpec("ood", "digits", "mlp", loss, seed=seed) for loss in ("ce", "hem") for seed in (0, 1, 2)]


@pytest.fixture(scope="module")
def fakes():
    """The ``fake_runs`` module, importable by spawned processes and shipped to Ray by value."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(Path(__file__).parent))
        module = importlib.import_module("fake_runs")
        ray.cloudpickle.register_pickle_by_value(module)
        yield module
        ray.cloudpickle.unregister_pickle_by_value(module)


@pytest.fixture(scope="module")
def ray_instance():
    """A local Ray instance of two CPUs, started the way the executor starts its own.

    One retry: on a heavily loaded machine Ray's raylet gives up when its agent processes
    take over 15 s to start (a fixed limit in Ray 2.60, Ray issue 65983)."""
    try:
        started = connect_ray(workers=2)
    except RuntimeError as error:
        if "could not start a local Ray instance" not in str(error):
            raise
        started = connect_ray(workers=2)
    assert started, "expected no Ray connection before this module"
    assert ray.cluster_resources()["CPU"] == 2
    yield
    ray.shutdown()


def _sweep(store: ResultStore, executor: str, run_function, specs=SPECS, **options):
    return execute(specs, store, executor=executor, workers=2, progress=False, run_function=run_function, **options)


def _without_timing(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["metric"].isin(TIMING_METRICS)].drop(columns="seconds").reset_index(drop=True)


def _assert_same_rows(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Identical rows except the timing values; the timing rows exist in both."""
    assert list(table["metric"]) == list(expected["metric"]) and len(table) > 0
    pd.testing.assert_frame_equal(_without_timing(table), _without_timing(expected))


def test_hemlab_experiments_imports_without_ray_and_the_ray_executor_says_what_to_install(monkeypatch):
    monkeypatch.setattr(hemlab, "experiments", importlib.import_module("hemlab.experiments"))  # rebound below
    for name in [name for name in sys.modules if name == "hemlab.experiments" or name.startswith("hemlab.experiments.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ray", None)  # any `import ray` now raises ImportError
    experiments = importlib.import_module("hemlab.experiments")
    assert "ray" in experiments.EXECUTORS
    with pytest.raises(ImportError) as raised:
        experiments.get_executor("ray")
    message = str(raised.value)
    assert "\n" not in message
    assert "pip install 'hemlab[ray]'" in message and "pip install 'ray[default]'" in message


@pytest.mark.parametrize("options, argument", [({"workers": -1}, "workers"), ({"workers": 1.5}, "workers"),
                                                ({"cpus_per_run": -1}, "cpus_per_run"),
                                                ({"gpus_per_run": -0.5}, "gpus_per_run"),
                                                ({"gpus_per_run": 1.5}, "gpus_per_run")])
def test_bad_resources_are_rejected_naming_the_argument(options, argument):
    with pytest.raises(ValueError, match=f"^{argument}: expected"):
        next(ray_executor([], **options))


def test_ray_gives_the_same_table_as_processes(ray_instance, fakes, tmp_path):
    processes, on_ray = ResultStore(tmp_path / "processes"), ResultStore(tmp_path / "ray")
    assert not _sweep(processes, "processes", fakes.fake_run).failed
    report = _sweep(on_ray, "ray", fakes.fake_run)
    assert sorted(report.ran, key=str) == sorted(SPECS, key=str) and not report.failed
    _assert_same_rows(on_ray.table("quick"), processes.table("quick"))
    assert ray.is_initialized(), "the executor shut down a Ray connection it did not open"


def test_a_run_that_raises_is_reported_and_the_rest_finish(ray_instance, fakes, tmp_path):
    store = ResultStore(tmp_path)
    report = _sweep(store, "ray", fakes.raise_on_failing_seed)
    failing = [spec for spec in SPECS if spec.seed == fakes.FAILING_SEED]
    assert sorted(failure.spec.run_id for failure in report.failed) == sorted(spec.run_id for spec in failing)
    for failure in report.failed:
        assert failure.error == f"RuntimeError: deliberate failure of {failure.spec.run_id}"
        assert "raise_on_failing_seed" in failure.traceback
    assert sorted(report.ran, key=str) == sorted(set(SPECS) - set(failing), key=str)
    assert all(store.has(spec) != (spec in failing) for spec in SPECS)
    jobs = {spec: Job(spec, checkpoint_dir=str(store.checkpoint_dir(spec))) for spec in SPECS}
    assert all(fakes.attempts(job) == 1 for job in jobs.values()), "a run that raises must not be retried"


def test_a_dead_worker_is_retried_once_then_reported_while_the_rest_finish(ray_instance, fakes, tmp_path):
    store = ResultStore(tmp_path / "ray")
    specs = [spec for spec in SPECS if spec.loss == "ce"]
    report = _sweep(store, "ray", fakes.exit_on_failing_seeds, specs=specs)
    (failure,) = report.failed
    assert failure.spec.seed == fakes.FAILING_SEED
    assert failure.error.startswith(f"WorkerCrashedError after {MAX_RETRIES + 1} attempts: ")
    finished = [spec for spec in specs if spec.seed != fakes.FAILING_SEED]
    assert sorted(report.ran, key=str) == sorted(finished, key=str)
    attempts = {spec.seed: fakes.attempts(Job(spec, checkpoint_dir=str(store.checkpoint_dir(spec)))) for spec in specs}
    assert attempts == {0: 1, fakes.FAILING_SEED: MAX_RETRIES + 1, fakes.RECOVERING_SEED: 2}
    reference = ResultStore(tmp_path / "reference")
    _sweep(reference, "local", fakes.fake_run, specs=finished)
    _assert_same_rows(store.table("quick"), reference.table("quick"))


def test_an_interrupted_sweep_resumes_with_only_the_missing_runs(ray_instance, fakes, tmp_path, monkeypatch):
    store = ResultStore(tmp_path / "interrupted")
    save = store.save

    def save_two_then_interrupt(spec, result):
        if len(list(store.root.glob("quick/*/*.json"))) == 2:
            raise KeyboardInterrupt
        return save(spec, result)

    monkeypatch.setattr(store, "save", save_two_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        _sweep(store, "ray", fakes.fake_run)
    monkeypatch.undo()
    stored = [spec for spec in SPECS if store.has(spec)]
    assert len(stored) == 2
    report = _sweep(store, "ray", fakes.fake_run)
    assert report.skipped == stored and sorted(report.ran, key=str) == sorted(set(SPECS) - set(stored), key=str)
    uninterrupted = ResultStore(tmp_path / "uninterrupted")
    _sweep(uninterrupted, "local", fakes.fake_run)
    _assert_same_rows(store.table("quick"), uninterrupted.table("quick"))


def test_ray_workers_import_the_plugin_a_job_names(ray_instance, tmp_path, monkeypatch):
    """The plug-in's folder is on this process's path only: each worker adds it from the job."""
    sys.path.insert(0, str(Path(__file__).parent))
    from plugin_source import TINY, imported_plugin

    from hemlab.tasks import task_settings

    with imported_plugin(tmp_path / "plugins", "ray_plugin_losses", "sqray", monkeypatch):
        settings = task_settings("quick", "clean_corrupt")
        specs = [RunSpec("clean_corrupt", settings.dataset, settings.model, "sqray", seed=0, overrides=TINY)]
        store = ResultStore(tmp_path / "results")
        report = execute(specs, store, executor="ray", progress=False)
        assert not report.failed, [failure.error for failure in report.failed]
        assert set(store.table("quick")["loss_label"]) == {"sqray"}


def test_ray_workers_import_the_plugin_dataset_and_model_a_job_names(ray_instance, tmp_path, monkeypatch):
    """A plug-in dataset and model whose module is on this process's path only."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from own_data_source import imported_data_plugin

    from hemlab.experiments import plan

    with imported_data_plugin(tmp_path / "plugins", "ray_plugin_data", "raydata", "raynet", monkeypatch):
        specs = plan("quick", ["imbalanced"], ["ce", "hem"], seeds=1, dataset="raydata", model="raynet",
                     margin_sweep=False, overrides=(("train.epochs", 1), ("imbalance_ratios", (10.0,))))
        store = ResultStore(tmp_path / "results")
        report = execute(specs, store, executor="ray", progress=False)
        assert not report.failed, [failure.error for failure in report.failed]
        table = store.table("quick")
        assert set(table["dataset"]) == {"raydata"} and set(table["loss_label"]) == {"ce", "hem"}
