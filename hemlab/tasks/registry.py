"""The task names and their runners: the task layer owns them (losses only say which
outputs they support)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from hemlab.losses import available_losses
from hemlab.runtime import machine_identity, resolve_device
from hemlab.tasks.adversarial import run_adversarial
from hemlab.tasks.clean_corrupt import run_clean_corrupt
from hemlab.tasks.continual import run_continual
from hemlab.tasks.fit import RunContext, dataset_settings
from hemlab.tasks.imbalanced import run_imbalanced
from hemlab.tasks.names import TASK_OUTPUTS
from hemlab.tasks.ood import run_ood
from hemlab.tasks.phases import phase_clock
from hemlab.tasks.result import RunResult
from hemlab.tasks.segmentation import run_segmentation
from hemlab.tasks.settings import TaskSettings
from hemlab.tasks.spec import RunSpec

CLASS_FREQUENCY_HEM = "hem:margins=frequency"
"""HEM with per-class margins from the training class counts (the paper's class-informed
HEM, beside the plain "HEM-"): the sweep runs it where the classes are imbalanced."""


@dataclass(frozen=True)
class TaskInfo:
    """A task: its ``name``, the paper ``claim`` it tests, the ``output`` its models produce
    (``"classification"`` or ``"segmentation"``) and its ``runner(spec, context)``.
    ``with_hem``: loss specs a sweep that runs HEM also runs on this task (the class-frequency
    HEM where training classes are imbalanced); not part of any run's identity.
    ``whole_dataset``: the runner trains one model on the whole dataset
    (:func:`~hemlab.tasks.fit.fit_on_dataset`), so runs of such tasks with equal
    training identities train the same model and share it."""

    name: str
    description: str
    claim: str
    output: str
    runner: Callable[[RunSpec, RunContext], RunResult]
    with_hem: tuple[str, ...] = ()
    whole_dataset: bool = False


TASKS: dict[str, TaskInfo] = {info.name: info for info in (
    TaskInfo("clean_corrupt", "clean and corrupted test accuracy", "CE slightly better than HEM",
             TASK_OUTPUTS["clean_corrupt"], run_clean_corrupt, whole_dataset=True),
    TaskInfo("ood", "unknown-class rejection (held-out classes and far-OOD sets)",
             "HEM about equal to LogitNorm, both better than CE", TASK_OUTPUTS["ood"], run_ood),
    TaskInfo("adversarial", "robust accuracy under FGSM and PGD (CE, margin, DLR) attacks",
             "HEM more robust than CE", TASK_OUTPUTS["adversarial"], run_adversarial, whole_dataset=True),
    TaskInfo("imbalanced", "long-tailed training, balanced test set", "logit-adjusted best; HEM better than CE",
             TASK_OUTPUTS["imbalanced"], run_imbalanced, with_hem=(CLASS_FREQUENCY_HEM,)),
    TaskInfo("continual", "class-incremental learning without task ids", "HEM best; LogitNorm much poorer",
             TASK_OUTPUTS["continual"], run_continual, with_hem=(CLASS_FREQUENCY_HEM,)),
    TaskInfo("segmentation", "semantic segmentation", "HEM best by a substantial margin; Dice worst",
             TASK_OUTPUTS["segmentation"], run_segmentation, whole_dataset=True),
)}


def available_tasks() -> list[str]:
    """Task names, in the paper's order."""
    return list(TASKS)


def task_losses(task: str) -> list[str]:
    """The losses that support ``task``'s output (Dice only segmentation)."""
    return available_losses(TASKS[task].output)


def run(spec: RunSpec, device: str | torch.device = "cpu", *, settings: TaskSettings | None = None,
        checkpoint_dir: str | Path | None = None) -> RunResult:
    """Run ``spec`` and return its result; writes nothing (except optional checkpoints).

    ``settings`` replaces the preset's row (e.g. ``with_settings(spec.settings, epochs=1)``
    in tests); ``checkpoint_dir`` is where per-epoch checkpoints go when the preset asks
    for them. The result's ``seconds`` is the run's wall time, ``phase_seconds`` its split into
    drawing data, training and evaluating (:mod:`hemlab.tasks.phases`), ``machine`` what ran it
    (``hemlab.runtime.machine_identity``). The settings are fitted to a
    dataset other than the preset's (``hemlab.tasks.fit.dataset_settings``).
    """
    if spec.loss not in task_losses(spec.task):
        raise ValueError(f"loss: {spec.loss} does not support {TASKS[spec.task].output} outputs "
                         f"(task {spec.task}); expected one of {task_losses(spec.task)}")
    context = RunContext(device=resolve_device(device), settings=dataset_settings(spec, settings or spec.settings),
                         checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir))
    started = time.perf_counter()
    with phase_clock() as phases:
        result = TASKS[spec.task].runner(spec, context)
    result.seconds = time.perf_counter() - started
    result.phase_seconds = dict(phases)
    result.machine = machine_identity(context.device)
    return result
