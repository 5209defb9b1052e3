"""What an executor runs: a :class:`Job` (a spec with its device, checkpoint folder and
plug-ins), and what comes back: a ``RunResult`` or a :class:`RunFailure` per job.

:func:`run_job` runs one job where an executor runs it, on ``THREADS_PER_RUN`` torch threads,
so the same specs give the same rows in-process, in a pool of any size, or on a cluster.
:func:`group_jobs` folds the jobs that train the same model into one (the clean_corrupt and
adversarial runs of a seed and loss), which trains it once.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Sequence, Union

import torch

from hemlab.plugins import PluginSource, load_plugins
from hemlab.tasks.fit import training_identity
from hemlab.tasks.registry import TASKS, run
from hemlab.tasks.result import RunResult
from hemlab.tasks.spec import RunSpec

THREADS_PER_RUN = 1
"""Torch CPU threads per run. One thread keeps runs bit-identical across executors and
lets a pool use every core; the models of the quick preset are too small to gain from more."""

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


def each_outcome(job: Job, outcome: Outcome | JobOutcomes) -> list[tuple[Job, Outcome]]:
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


__all__ = ["Executor", "Job", "JobOutcomes", "Outcome", "RunFailure", "THREADS_PER_RUN", "each_outcome", "group_jobs",
           "run_job"]
