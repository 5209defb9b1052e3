"""Executors: functions ``executor(jobs, workers=..., **options)`` that yield ``(job, outcome)``
pairs in any order (:mod:`hemlab.experiments.jobs`). An executor never writes results: the
driver (:func:`hemlab.experiments.execution.execute`) stores each as it arrives.

- ``local``: one run after another in this process;
- ``processes``: a pool of ``workers`` spawned processes (default: the number of CPU cores),
  whose workers ignore SIGINT, are terminated by the driver, and exit by themselves if the
  driver dies;
- ``ray``: one Ray task per run, on a local Ray instance or a cluster
  (:mod:`hemlab.experiments.ray_executor`; Ray is optional and imported only when used).

Every executor also takes ``run_function(job) -> outcome`` (default
:func:`~hemlab.experiments.jobs.run_job`), the function that runs one job where the executor runs it.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import torch

from hemlab.experiments.jobs import THREADS_PER_RUN, Executor, Job, Outcome, RunFailure, run_job
from hemlab.tasks.names import EXECUTOR_NAMES

STOP_GRACE_SECONDS = 5.0
"""How long a stopped pool's workers get to exit on SIGTERM before they are killed."""



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
    """:func:`hemlab.experiments.ray_executor.ray_executor`, imported now; ``ImportError`` saying
    what to install when Ray is missing."""
    from hemlab.experiments.ray_executor import ray_executor

    return ray_executor


def _ray_executor(jobs: Sequence[Job], **options) -> Iterator[tuple[Job, Outcome]]:
    """The ``ray`` executor, loaded on first call (see :mod:`hemlab.experiments.ray_executor`)."""
    return _load_ray_executor()(jobs, **options)


EXECUTORS: dict[str, Executor] = dict(zip(EXECUTOR_NAMES, (local_executor, process_executor, _ray_executor)))


def get_executor(name: str) -> Executor:
    """The executor called ``name``; ``ValueError`` listing the known ones otherwise, and
    ``ImportError`` for ``"ray"`` when Ray is not installed."""
    if name not in EXECUTORS:
        raise ValueError(f"executor: expected one of {', '.join(EXECUTORS)}, got {name!r}")
    return _load_ray_executor() if name == "ray" else EXECUTORS[name]


__all__ = ["EXECUTORS", "STOP_GRACE_SECONDS", "get_executor", "local_executor", "process_executor"]
