"""Running a sweep: :func:`execute` runs what the store lacks and stores each result as it
arrives, so an interrupted sweep resumes by running only what is missing.

Jobs and their outcomes are in :mod:`hemlab.experiments.jobs`, the executors (``local``,
``processes``, ``ray``) in :mod:`hemlab.experiments.executors`. A job carries the plug-in
modules its loss, dataset and model need (``Job.plugins``), so a registered loss, dataset or
model runs on every executor. One defined in ``__main__`` (a notebook cell) runs only with
``local``: :func:`execute` refuses it for the other executors before any run starts.

Interrupts: Ctrl-C (``KeyboardInterrupt``) stops the executor, which stops its workers, and
:func:`execute` raises :class:`SweepInterrupted` with what was stored so far.
"""
from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field
from typing import Iterable

from tqdm.auto import tqdm

from hemlab.data import dataset_info
from hemlab.experiments.executors import get_executor
from hemlab.experiments.jobs import Job, RunFailure, each_outcome, group_jobs, run_job
from hemlab.experiments.planning import check_datasets
from hemlab.experiments.store import ResultStore
from hemlab.losses import loss_info
from hemlab.models import model_info
from hemlab.plugins import PluginSource, plugin_sources
from hemlab.tasks.spec import RunSpec


@dataclass
class ExecutionReport:
    """What :func:`execute` did: runs ``ran`` and ``skipped`` (already stored), the
    ``failed`` ones, the ``wall_seconds``, and the run seconds summed per task."""

    ran: list[RunSpec] = field(default_factory=list)
    skipped: list[RunSpec] = field(default_factory=list)
    failed: list[RunFailure] = field(default_factory=list)
    wall_seconds: float = 0.0
    task_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def stored(self) -> list[RunSpec]:
        """The runs of the sweep now in the store: skipped (already there) and ran."""
        return [*self.skipped, *self.ran]


class SweepInterrupted(KeyboardInterrupt):
    """:func:`execute` was interrupted (Ctrl-C); ``report`` says what was stored by then."""

    def __init__(self, report: ExecutionReport) -> None:
        super().__init__(f"interrupted with {len(report.stored)} runs stored")
        self.report = report


def _unique(specs: Iterable[RunSpec]) -> list[RunSpec]:
    return list(dict.fromkeys(specs))


def spec_plugins(specs: Iterable[RunSpec], executor: str) -> tuple[PluginSource, ...]:
    """The plug-in modules that register the losses, datasets and models of ``specs``
    (``hemlab.plugins.plugin_sources``: ``ValueError`` for one in ``__main__`` unless ``local``)."""
    specs = list(specs)
    registered = []
    for kind, lookup in (("loss", loss_info), ("dataset", dataset_info), ("model", model_info)):
        for name in dict.fromkeys(getattr(spec, kind) for spec in specs):
            registered.append((kind, name, lookup(name).module))
    return plugin_sources(registered, executor=executor)


def execute(specs: Iterable[RunSpec], store: ResultStore, *, executor: str = "processes", workers: int = 0,
            device: str = "cpu", progress: bool = True, **executor_options) -> ExecutionReport:
    """Run every spec the store lacks with ``executor`` and store each result as it arrives.

    ``workers`` (0: the executor's default) and ``executor_options`` go to the executor.
    Runs that train the same model (the clean_corrupt and adversarial runs of a seed and
    loss) go to one worker as one job (:func:`group_jobs`), which trains it once; their
    rows are those of separate runs. Failed runs are reported (spec and traceback in the
    report, one line on the bar) and the rest go on; nothing of a failed run is stored, so the next call retries it.
    ``ValueError`` before any run when a loss, dataset or model is defined where the
    executor's workers cannot import it (``__main__``, with any executor but ``local``).

    First the temporary files of dead writers are removed, every run is checked (damaged
    ones are reported, set aside and run again), the datasets the missing runs download are
    checked once (``DatasetUnavailableError`` when one cannot be had) and, if anything is to
    run, the folder is checked to be writable (:class:`~hemlab.experiments.store.StoreWriteError` before any run).
    Ctrl-C stops the executor and raises :class:`SweepInterrupted`; a folder that stops
    being writable (a full disk) stops the sweep with ``StoreWriteError``. The runs stored
    by then stay; calling again runs only what is missing.
    """
    started = time.perf_counter()
    specs = _unique(specs)
    report = ExecutionReport()
    bar = tqdm(total=len(specs), desc="runs", unit="run", disable=not progress, dynamic_ncols=True)
    try:
        for preset in dict.fromkeys(spec.preset for spec in specs):
            store.remove_stale_temporaries(preset)
        pending = []
        for spec in specs:
            (report.skipped if store.has(spec) else pending).append(spec)
        bar.update(len(report.skipped))
        check_datasets(pending)
        plugins = spec_plugins(pending, executor)
        for preset in dict.fromkeys(spec.preset for spec in pending):
            store.check_writable(preset)
        jobs = [Job(spec, device, str(store.checkpoint_dir(spec)), plugins) for spec in pending]
        if executor_options.get("run_function", run_job) is run_job:
            jobs = group_jobs(jobs)
        with closing(get_executor(executor)(jobs, workers=workers, **executor_options)) as outcomes:
            for job, outcome in (pair for pairs in outcomes for pair in each_outcome(*pairs)):
                spec = job.spec
                if isinstance(outcome, RunFailure):
                    report.failed.append(outcome)
                    bar.write(f"FAILED {spec.task} {spec.loss_label} seed {spec.seed}: {outcome.error}")
                else:
                    store.save(spec, outcome)
                    report.ran.append(spec)
                    report.task_seconds[spec.task] = report.task_seconds.get(spec.task, 0.0) + outcome.seconds
                bar.set_postfix_str(f"{spec.task} {spec.loss_label} seed {spec.seed}")
                bar.update(1)
    except KeyboardInterrupt:
        raise SweepInterrupted(report) from None
    finally:
        bar.close()
        report.wall_seconds = time.perf_counter() - started
    return report


__all__ = ["ExecutionReport", "SweepInterrupted", "execute", "spec_plugins"]
