"""Every task, collected from its runner's module (each declares itself there:
:func:`hemlab.tasks.declaration.register_task`), and :func:`run`, which runs one spec."""
from __future__ import annotations

import time
from pathlib import Path

import torch

from hemlab.losses import available_losses
from hemlab.runtime import machine_identity, resolve_device
# Each runner's module declares its task when imported (register_task at its bottom).
from hemlab.tasks import adversarial, clean_corrupt, continual, imbalanced, ood, segmentation  # noqa: F401
from hemlab.tasks.declaration import CLASS_FREQUENCY_HEM, DECLARED, TaskInfo, register_task
from hemlab.tasks.fit import RunContext, dataset_settings
from hemlab.tasks.names import TASK_NAMES
from hemlab.tasks.phases import phase_clock
from hemlab.tasks.result import RunResult
from hemlab.tasks.settings import TaskSettings
from hemlab.tasks.spec import RunSpec

TASKS: dict[str, TaskInfo] = {name: DECLARED[name] for name in TASK_NAMES if name in DECLARED}
"""Every task, in the paper's order: each declared beside its runner (:func:`register_task`)."""
if list(TASKS) != list(TASK_NAMES) or set(DECLARED) != set(TASK_NAMES):
    raise ImportError(f"tasks: expected declarations of {', '.join(TASK_NAMES)}, found {', '.join(DECLARED)}")


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


__all__ = ["CLASS_FREQUENCY_HEM", "TASKS", "TaskInfo", "available_tasks", "register_task", "run", "task_losses"]
