"""The ``ray`` executor: each run is a Ray task, so a sweep spreads over a cluster and
several small runs share one large GPU.

    execute(plan("paper"), ResultStore("/shared/results"), executor="ray", device="cuda",
            address="auto", gpus_per_run=0.25)      # four runs per GPU of the cluster

Results flow back to the driver, which stores each one as it arrives (``ray.wait``), so
a sweep interrupted on a cluster resumes like a local one: the next call runs only what
the store lacks. Ray is optional (``pip install 'hemlab[ray]'``); importing
:mod:`hemlab.tasks` never imports it.
"""
from __future__ import annotations

import logging
import os
from numbers import Integral, Real
from typing import Any, Callable, Iterator, Sequence

try:
    import ray
    from ray.exceptions import RayError, RayTaskError
except ImportError as error:
    raise ImportError("executor ray: Ray is not installed; pip install 'hemlab[ray]' or pip install 'ray[default]'") \
        from error

from hemlab.checks import Interval, check, refusal
from hemlab.experiments.jobs import Job, Outcome, RunFailure, run_job

MAX_RETRIES = 1
"""How often Ray restarts a run whose worker process died (a run that raises is not retried)."""


def _check_resources(workers: int, gpus_per_run: float, cpus_per_run: float = 1.0) -> None:
    check("workers", workers, Interval(Integral, 0, None), owner="the ray executor (0: one per CPU core)")
    check("cpus_per_run", cpus_per_run, Interval(Real, 0, None))
    if refusal(gpus_per_run, [Interval(Real, 0, None)]) or (gpus_per_run > 1 and gpus_per_run % 1):
        raise ValueError(f"gpus_per_run: expected a fraction in [0, 1] or a whole number of GPUs, got {gpus_per_run!r}")


def connect_ray(address: str | None = None, workers: int = 0, gpus_per_run: float = 0.0) -> bool:
    """Start a local Ray instance of ``workers`` CPUs (0: every core) when ``address`` is
    None, or join the cluster at ``address`` (``"auto"``, ``"HOST:PORT"``), quietly and
    without a dashboard, unless this process is already connected to Ray. True when this
    call connected (the caller then owns ``ray.shutdown()``). A local instance without
    the ``gpus_per_run`` GPUs a run asks for is a ``ValueError``."""
    _check_resources(workers, gpus_per_run)
    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address is None:
        try:
            ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, **quiet)
        except Exception as error:
            if type(error) is not Exception:  # Ray's start-up timeout is a bare Exception
                raise
            ray.shutdown()
            raise RuntimeError(f"executor ray: could not start a local Ray instance ({error}); Ray's own "
                               "processes start too slowly on a heavily loaded machine: retry when it is less "
                               "busy, or use the processes executor") from error
        available = ray.cluster_resources().get("GPU", 0.0)
        if gpus_per_run > available:
            ray.shutdown()
            raise ValueError(f"gpus_per_run: this machine has {available:g} GPUs for Ray, got {gpus_per_run!r}; "
                             "use 0 here or pass the address of a cluster with GPUs")
    else:
        ray.init(address=address, **quiet)
    return True


def _run_remote(run_function: Callable[[Job], Outcome], job: Job) -> Outcome:
    """What a Ray worker executes: ``run_function(job)``."""
    return run_function(job)


def _failure(job: Job, error: RayError) -> RunFailure:
    """A :class:`RunFailure` for a run whose Ray task raised ``error``."""
    if isinstance(error, RayTaskError) and isinstance(error.cause, Exception):
        return RunFailure(job.spec, f"{type(error.cause).__name__}: {error.cause}", str(error))
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return RunFailure(job.spec, f"{type(error).__name__} after {MAX_RETRIES + 1} attempts: {first_line}", str(error))


def ray_executor(jobs: Sequence[Job], *, workers: int = 0, address: str | None = None, gpus_per_run: float = 0.0,
                 cpus_per_run: float = 1.0, run_function: Callable[[Job], Outcome] = run_job,
                 ) -> Iterator[tuple[Job, Outcome]]:
    """Run each of ``jobs`` as a Ray task and yield ``(job, outcome)`` as each finishes.

    ``address``: None starts a local Ray instance sized to ``workers`` CPUs (0: every
    core) and shuts it down at the end; ``"auto"`` or ``"HOST:PORT"`` joins a running
    cluster, whose size decides the parallelism (``workers`` is then ignored). A process
    already connected to Ray keeps its connection. Each run reserves ``cpus_per_run`` CPUs
    and ``gpus_per_run`` GPUs (0.25: four runs share a GPU; Ray sets
    ``CUDA_VISIBLE_DEVICES``, so give jobs the device ``"cuda"``). ``run_function(job)``
    runs one job in a worker (default :func:`run_job`; it must be importable there or
    picklable by value).

    A run that raises comes back as a :class:`RunFailure` with its traceback; a run whose
    worker process dies is restarted ``MAX_RETRIES`` time(s) and then comes back as a
    failure; the others go on. Closing the iterator early cancels the runs in flight.
    """
    _check_resources(workers, gpus_per_run, cpus_per_run)
    if not jobs:
        return
    started = connect_ray(address, workers, gpus_per_run)
    remote = ray.remote(num_cpus=cpus_per_run, num_gpus=gpus_per_run, max_retries=MAX_RETRIES)(_run_remote)
    pending: dict[Any, Job] = {}
    try:
        shipped = ray.put(run_function)
        pending = {remote.remote(shipped, job): job for job in jobs}
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(ready)
            try:
                outcome = ray.get(ready)
            except RayError as error:
                outcome = _failure(job, error)
            yield job, outcome
    finally:
        for reference in pending:
            ray.cancel(reference, force=True)
        if started:
            ray.shutdown()
