"""The run plan: which specs a sweep runs, and the report files it writes.

    specs = plan("quick", tasks=["ood"], losses=["ce", "hem:margin=0.5"], seeds=3,
                 overrides=parse_assignments(["train.epochs=2"]))

Everything a plan can check, it checks before any run starts: task, loss and dataset
names, loss options (each distinct loss is built once on a tiny input, so a bad option
value is refused here), the settings overrides, the model; :func:`check_datasets` says
whether the datasets to download can be had.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from hemlab.data import DATASETS, check_downloadable
from hemlab.io import save_table
from hemlab.models import MODELS
from hemlab.tasks.overrides import Override, resolve_settings, task_overrides
from hemlab.tasks.registry import TASKS, task_losses
from hemlab.tasks.spec import (
    DEFAULT_LOSSES, DEFAULT_SEEDS, MARGIN_SWEEP, RunSpec, TaskSettings, check_losses, parse_loss_spec,
)

REPORT_FILES: tuple[str, ...] = ("results.csv", "summary.csv", "verdicts.csv")


def _check_dataset(task: str, dataset: str) -> None:
    if dataset not in DATASETS:
        raise ValueError(f"dataset: expected one of {', '.join(DATASETS)}, got {dataset!r}")
    kind = DATASETS[dataset].kind
    wanted = "segmentation" if TASKS[task].output == "segmentation" else "image"
    if kind != wanted:
        allowed = [name for name, info in DATASETS.items() if info.kind == wanted]
        raise ValueError(f"dataset: task {task} needs {wanted} data ({', '.join(allowed)}), got {dataset!r}")


def _check_settings(task: str, settings: TaskSettings, dataset: str) -> None:
    """The model and the dataset and model options of ``task``'s resolved settings."""
    _check_dataset(task, dataset)
    MODELS.check(settings.model, dict(settings.model_options))
    DATASETS.check(dataset, dict(settings.dataset_options))


def _another_dataset(changes: tuple, dataset: str) -> tuple:
    """``changes`` that put ``dataset`` in the settings instead of the preset's; the preset's
    dataset options are for its own dataset, so they go unless ``changes`` set them."""
    keep = tuple(change for change in changes if change[0] != "dataset")
    options = () if any(path == "dataset_options" for path, _ in keep) else (("dataset_options", ()),)
    return keep + (("dataset", dataset),) + options


def plan(preset: str = "quick", tasks: Iterable[str] | None = None, losses: Sequence[str] | None = None,
         seeds: int = DEFAULT_SEEDS, dataset: str | None = None, margin_sweep: bool = True,
         overrides: Sequence[Override] = ()) -> list[RunSpec]:
    """Every spec of a sweep: each task x each loss it supports x seeds ``0..seeds-1``.

    ``losses`` are loss specs (``"hem"``, ``"hem:margin=0.5"``; default: those of the seven
    losses that support one of ``tasks``). A loss that does not support a task's output is
    left out of that task (Dice runs only in segmentation); a named loss that supports none
    of the ``tasks`` is an error. With
    ``margin_sweep`` the tasks whose preset row asks for it also run HEM at each margin of
    ``MARGIN_SWEEP``. ``dataset`` replaces the preset's dataset (every task must accept it) in
    the specs' settings, without the preset's dataset options (its own defaults, or
    ``dataset_options`` from ``overrides``).
    ``overrides`` change the preset's rows (``(path, value)`` pairs, a path optionally
    prefixed by a task: :mod:`hemlab.tasks.overrides`); each spec carries those of its task.
    """
    task_names = list(tasks) if tasks is not None else list(TASKS)
    for task in task_names:
        if task not in TASKS:
            raise ValueError(f"tasks: expected names from {', '.join(TASKS)}, got {task!r}")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds: expected a positive integer, got {seeds!r}")
    if losses is None:
        losses = [name for name in DEFAULT_LOSSES if any(name in task_losses(task) for task in task_names)]
    parsed = [parse_loss_spec(text) for text in losses]
    for name, _ in parsed:
        if not any(name in task_losses(task) for task in task_names):
            raise ValueError(f"losses: {name} supports none of the tasks {task_names}")
    check_losses(parsed, (TASKS[task].output for task in task_names))
    specs = []
    for task in task_names:
        changes = task_overrides(overrides, task)
        settings = resolve_settings(preset, task, changes)
        task_dataset = dataset or settings.dataset
        if task_dataset != settings.dataset:
            changes = _another_dataset(changes, task_dataset)
            settings = resolve_settings(preset, task, changes)
        _check_settings(task, settings, task_dataset)
        variants = [(name, options) for name, options in parsed if name in task_losses(task)]
        if margin_sweep and settings.margin_sweep and any(name == "hem" for name, _ in parsed):
            variants += [("hem", (("margin", margin),)) for margin in MARGIN_SWEEP]
        for name, options in dict.fromkeys(variants):
            for seed in range(seeds):
                specs.append(RunSpec(task, task_dataset, settings.model, name, options, seed, preset, changes))
    return list(dict.fromkeys(specs))


def datasets_to_download(specs: Iterable[RunSpec]) -> list[str]:
    """The datasets ``specs`` need (their own and their far-OOD sets) that are not embedded."""
    names = []
    for spec in specs:
        names += [spec.dataset, *spec.settings.far_ood]
    return [name for name in dict.fromkeys(names) if name in DATASETS and not DATASETS[name].embedded]


def check_datasets(specs: Iterable[RunSpec], *, timeout: float = 3.0) -> None:
    """``DatasetUnavailableError`` (one line, naming the embedded alternatives) when a dataset
    ``specs`` need is neither on disk nor downloadable; checks each dataset once, in parallel."""
    check_downloadable(datasets_to_download(specs), timeout=timeout)


def write_report(out_dir: str | Path, table: pd.DataFrame, summary: pd.DataFrame, verdicts: pd.DataFrame) -> list[Path]:
    """Write ``results.csv``, ``summary.csv`` and ``verdicts.csv`` atomically into ``out_dir``."""
    out_dir = Path(out_dir)
    return [save_table(frame, out_dir / name) for frame, name in zip((table, summary, verdicts), REPORT_FILES)]
