"""Executors map run specs to results; :func:`execute` runs what the store lacks.

An executor is a function ``executor(jobs, workers=..., **options)`` that yields
``(job, outcome)`` pairs in any order, where a :class:`Job` is a spec with the device and
checkpoint folder it runs with and an outcome is a ``RunResult`` or a :class:`RunFailure`.
It never writes results: the driver (:func:`execute`) stores each result as it arrives, so
an interrupted sweep resumes by running only what is missing. Every run executes on
``THREADS_PER_RUN`` torch threads whatever the executor, so the same specs give the same
rows in-process, in a pool of any size, or on a cluster.

- ``local``: one run after another in this process;
- ``processes``: a pool of ``workers`` processes (default: the number of CPU cores);
- ``ray``: one Ray task per run, on a local Ray instance or a cluster
  (:mod:`hemlab.tasks.ray_executor`; Ray is optional and imported only when used).

Every executor also takes ``run_function(job) -> outcome`` (default :func:`run_job`), the
function that runs one job where the executor runs it.

A job carries the plug-in modules its loss, dataset and model need (``Job.plugins``);
:func:`run_job` imports them first, so a registered loss, dataset or model runs on every
executor. One defined in ``__main__`` (a notebook cell) runs only with ``local``:
:func:`execute` refuses it for the other executors before any run starts.

Interrupts: Ctrl-C (``KeyboardInterrupt``) stops the executor, which stops its workers
(the ``processes`` pool's workers ignore SIGINT, are terminated by the driver, and exit by
themselves if the driver dies), and :func:`execute` raises :class:`SweepInterrupted` with
what was stored so far.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
import traceback
from contextlib import closing, contextmanager
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Iterator, Sequence, Union

import torch
from tqdm.auto import tqdm

from hemlab.data import dataset_info
from hemlab.losses import loss_info
from hemlab.models import model_info
from hemlab.plugins import PluginSource, load_plugins, plugin_sources
from hemlab.tasks.fit import training_identity
from hemlab.tasks.names import EXECUTOR_NAMES
from hemlab.tasks.registry import TASKS, run
from hemlab.tasks.result import RunResult
from hemlab.tasks.spec import RunSpec
from hemlab.tasks.store import ResultStore

THREADS_PER_RUN = 1
"""Torch CPU threads per run. One thread keeps runs bit-identical across executors and
lets a pool use every core; the models of the quick preset are too small to gain from more."""
STOP_GRACE_SECONDS = 5.0
"""How long a stopped pool's workers get to exit on SIGTERM before they are killed."""


@dataclass(frozen=True)
class Job:
    """One run to execute: its ``spec``, the ``device`` name, the ``checkpoint_dir`` and the
    ``plugins`` (module name, folder) to import before the run (see ``hemlab.plugins``).

    ``together``: jobs run in the same worker right after this one, because they train
    exactly the model this one trains (:func:`hemlab.tasks.fit.training_identity`: the
    clean_corrupt and adversarial runs of a seed and loss) and reuse it; :func:`run_job`
    then returns one outcome per job, this one first (:class:`JobOutcomes`)."""

    spec: RunSpec
    device: str = "cpu"
    checkpoint_dir: str | None = None
    plugins: tuple[PluginSource, ...] = ()
    together: tuple["Job", ...] = ()


@dataclass(frozen=True)
class RunFailure:
    """A run that raised: its spec, the one-line ``error`` and the full ``traceback``."""

    spec: RunSpec
    error: str
    traceback: str


Outcome = Union[RunResult, RunFailure]


@dataclass(frozen=True)
class JobOutcomes:
    """The outcomes of a job and of the jobs run ``together`` with it, in that order."""

    outcomes: tuple[Outcome, ...]


Executor = Callable[..., Iterator[tuple[Job, Union[Outcome, JobOutcomes]]]]


def _run_one(job: Job) -> Outcome:
    try:
        load_plugins(job.plugins)
        return run(job.spec, job.device, checkpoint_dir=job.checkpoint_dir)
    except Exception as error:  # noqa: BLE001 - reported with its traceback, the sweep goes on
        return RunFailure(job.spec, f"{type(error).__name__}: {error}", traceback.format_exc())


def run_job(job: Job) -> Outcome | JobOutcomes:
    """Import ``job``'s plug-ins, then run it on ``THREADS_PER_RUN`` threads; an exception
    becomes a :class:`RunFailure`. A job with ``together`` jobs runs them after it and
    returns :class:`JobOutcomes`; each of them fails or succeeds on its own."""
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS_PER_RUN)
    try:
        first = _run_one(job)
        return JobOutcomes((first, *(_run_one(other) for other in job.together))) if job.together else first
    finally:
        torch.set_num_threads(threads)


def _each_outcome(job: Job, outcome: Outcome | JobOutcomes) -> list[tuple[Job, Outcome]]:
    """``(job, outcome)`` for ``job`` and each job run together with it; a failure of the
    whole job (its worker died) fails every one of them."""
    members = [job, *job.together]
    if isinstance(outcome, JobOutcomes):
        return list(zip(members, outcome.outcomes))
    if isinstance(outcome, RunFailure):
        return [(member, RunFailure(member.spec, outcome.error, outcome.traceback)) for member in members]
    return [(job, outcome)]


def group_jobs(jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` with those that train the same model (tasks that train on the whole dataset,
    ``TaskInfo.whole_dataset``, with equal :func:`~hemlab.tasks.fit.training_identity`)
    folded into the first of them as its ``together`` jobs, at the first one's place."""
    first_of: dict[tuple, int] = {}
    grouped: list[list[Job]] = []
    for job in jobs:
        identity = training_identity(job.spec) if TASKS[job.spec.task].whole_dataset else None
        if identity is not None and identity in first_of:
            grouped[first_of[identity]].append(job)
            continue
        if identity is not None:
            first_of[identity] = len(grouped)
        grouped.append([job])
    return [replace(members[0], together=tuple(members[1:])) for members in grouped]


def local_executor(jobs: Sequence[Job], *, workers: int = 1,
                   run_function: Callable[[Job], Outcome] = run_job) -> Iterator[tuple[Job, Outcome]]:
    """Run ``jobs`` one after another in this process (``workers`` is ignored)."""
    for job in jobs:
        yield job, run_function(job)


def _exit_with_parent(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(1)


def _exit_on_sigterm(signum: int, frame) -> None:
    """Stopped by the driver: release what this process registered (the semaphores of its
    progress-bar lock, which the resource tracker would otherwise report) and exit."""
    multiprocessing.util._run_finalizers(0)
    os._exit(128 + signum)


def _worker_start() -> None:
    """A pool worker runs on ``THREADS_PER_RUN`` threads, ignores Ctrl-C (the driver stops
    the pool), exits cleanly on SIGTERM (unless that is ignored) and exits when the driver
    process dies, even by SIGKILL."""
    torch.set_num_threads(THREADS_PER_RUN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT meanwhile (in the main thread), so processes started now inherit the
    ignored signal from their first instruction: a Ctrl-C that reaches the whole process
    group then stops only the driver, which stops the pool."""
    handler = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or handler is None:
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the runs not started and stop the workers: SIGTERM, then SIGKILL for those
    still alive after ``STOP_GRACE_SECONDS``."""
    processes = list((pool._processes or {}).values())  # copied: shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    pool.shutdown(wait=True)


def process_executor(jobs: Sequence[Job], *, workers: int = 0,
                     run_function: Callable[[Job], Outcome] = run_job) -> Iterator[tuple[Job, Outcome]]:
    """Run ``jobs`` in a pool of ``workers`` spawned processes (0: one per CPU core).

    A worker that dies takes its run down with it; that run, and any the broken pool can
    no longer start, come back as failures and the others still finish. Closing the
    iterator early (or an interrupt) stops the workers, runs in flight included.
    """
    workers = workers or os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=min(workers, max(1, len(jobs))),
                               mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start)
    finished = False
    try:
        with _sigint_ignored():  # the workers start during submit
            futures = {pool.submit(run_function, job): job for job in jobs}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = futures[future]
                try:
                    yield job, future.result()
                except BrokenProcessPool as error:
                    yield job, RunFailure(job.spec, f"worker process died: {error}", "")
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _stop_pool(pool)


def _load_ray_executor() -> Executor:
    """:func:`hemlab.tasks.ray_executor.ray_executor`, imported now; ``ImportError`` saying
    what to install when Ray is missing."""
    from hemlab.tasks.ray_executor import ray_executor

    return ray_executor


def _ray_executor(jobs: Sequence[Job], **options) -> Iterator[tuple[Job, Outcome]]:
    """The ``ray`` executor, loaded on first call (see :mod:`hemlab.tasks.ray_executor`)."""
    return _load_ray_executor()(jobs, **options)


EXECUTORS: dict[str, Executor] = dict(zip(EXECUTOR_NAMES, (local_executor, process_executor, _ray_executor)))


def get_executor(name: str) -> Executor:
    """The executor called ``name``; ``ValueError`` listing the known ones otherwise, and
    ``ImportError`` for ``"ray"`` when Ray is not installed."""
    if name not in EXECUTORS:
        raise ValueError(f"executor: expected one of {', '.join(EXECUTORS)}, got {name!r}")
    return _load_ray_executor() if name == "ray" else EXECUTORS[name]


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
    ones are reported, set aside and run again) and, if anything is to run, the folder is
    checked to be writable (:class:`~hemlab.tasks.store.StoreWriteError` before any run).
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
        plugins = spec_plugins(pending, executor)
        for preset in dict.fromkeys(spec.preset for spec in pending):
            store.check_writable(preset)
        jobs = [Job(spec, device, str(store.checkpoint_dir(spec)), plugins) for spec in pending]
        if executor_options.get("run_function", run_job) is run_job:
            jobs = group_jobs(jobs)
        with closing(get_executor(executor)(jobs, workers=workers, **executor_options)) as outcomes:
            for job, outcome in (pair for pairs in outcomes for pair in _each_outcome(*pairs)):
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
