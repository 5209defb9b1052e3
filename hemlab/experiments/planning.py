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
from torch.utils.data import Subset

from hemlab.checks import POSITIVE_INTEGER, check
from hemlab.data import DATASETS, check_downloadable, checked_dataset, dataset_info, dataset_tensors
from hemlab.data.registry import canonical_dataset_name
from hemlab.io import save_table
from hemlab.models import MODELS, check_model_output, model_info
from hemlab.tasks.fit import build_model, dataset_options, dataset_settings, load_data, num_classes_of
from hemlab.tasks.loss_labels import DEFAULT_LOSSES, check_losses, parse_loss_spec
from hemlab.tasks.names import DEFAULT_SEEDS
from hemlab.tasks.overrides import Override, resolve_settings, task_overrides
from hemlab.tasks.registry import TASKS, task_losses
from hemlab.tasks.settings import MARGIN_SWEEP, TaskSettings
from hemlab.tasks.spec import RunSpec

REPORT_FILES: tuple[str, ...] = ("results.csv", "summary.csv", "verdicts.csv")


def _check_dataset(task: str, dataset: str) -> None:
    """The record of ``dataset`` (a name or ``folder:PATH``), which must hold ``task``'s kind of data."""
    info = dataset_info(dataset)
    wanted = "segmentation" if TASKS[task].output == "segmentation" else "image"
    if info.kind != wanted:
        allowed = [name for name, record in DATASETS.items() if record.kind == wanted]
        raise ValueError(f"dataset: task {task} needs {wanted} data ({', '.join(allowed)}, or yours), got {dataset!r}")


def _check_classes(spec: RunSpec, settings: TaskSettings, num_classes: int) -> None:
    """The class-drawn settings of ``spec``'s task (held-out classes, continual stages) fit its dataset."""
    held_out = set(settings.held_out_classes) if spec.task == "ood" else set()
    if held_out and (max(held_out) >= num_classes or min(held_out) < 0 or num_classes - len(held_out) < 2):
        raise ValueError(f"held_out_classes: dataset {spec.dataset!r} has classes 0..{num_classes - 1}; expected "
                         f"held-out classes among them that leave at least 2 known, got {sorted(held_out)}")
    if spec.task == "continual" and not 1 <= settings.n_tasks <= num_classes:
        raise ValueError(f"n_tasks: expected 1..{num_classes} stages for the {num_classes} classes of dataset "
                         f"{spec.dataset!r}, got {settings.n_tasks}")


def _check_data_and_model(spec: RunSpec) -> None:
    """Refuse, before any run, a spec whose dataset or model does not fit its task: the
    model's output kind and options, the dataset's options and class-drawn settings; a
    dataset or model of yours is also loaded (held to its record) and the model run on two
    of its training images (held to its output shape)."""
    _check_dataset(spec.task, spec.dataset)
    model = model_info(spec.model)
    if model.output != TASKS[spec.task].output:
        allowed = [name for name, record in MODELS.items() if record.output == TASKS[spec.task].output]
        raise ValueError(f"model: task {spec.task} needs a {TASKS[spec.task].output} model ({', '.join(allowed)}, "
                         f"or yours), got {spec.model!r} ({model.output})")
    settings = dataset_settings(spec, spec.settings)
    MODELS.check(spec.model, dict(settings.model_options))
    checked_dataset(spec.dataset, dataset_options(spec, settings))
    num_classes = num_classes_of(spec, settings)
    _check_classes(spec, settings, num_classes)
    if spec.dataset in DATASETS.builtin and spec.model in MODELS.builtin:
        return
    train_set, _ = load_data(spec, settings)
    network = build_model(spec, settings, num_classes)
    check_model_output(network, dataset_tensors(Subset(train_set, range(min(2, len(train_set)))))[0],
                       num_classes, model.output, f"model {spec.model!r} on dataset {spec.dataset!r}")


def _another(changes: tuple, field: str, name: str) -> tuple:
    """``changes`` that put ``name`` in the settings' ``field`` (``dataset`` or ``model``)
    instead of the preset's; the preset's ``<field>_options`` are for its own, so they go
    unless ``changes`` set them whole (options set one by one, ``dataset_options.KEY``, stay)."""
    keep = tuple(change for change in changes if change[0] != field)
    options = f"{field}_options"
    cleared = () if any(path == options for path, _ in keep) else ((options, ()),)
    return cleared + keep + ((field, name),)


def task_changes(preset: str, task: str, overrides: Sequence[Override] = (), dataset: str | None = None,
                 model: str | None = None) -> tuple[tuple, str, str]:
    """``(changes, dataset, model)`` of ``task``'s specs: its overrides, with ``dataset``
    (canonical: a folder's absolute path) and ``model``, when given and not the preset's, put
    into the settings (see :func:`plan`)."""
    changes = task_overrides(overrides, task)
    settings = resolve_settings(preset, task, changes)
    task_dataset, task_model = canonical_dataset_name(dataset or settings.dataset), model or settings.model
    for field, name in (("dataset", task_dataset), ("model", task_model)):
        if name != getattr(settings, field):
            changes = _another(changes, field, name)
    return changes, task_dataset, task_model


def plan(preset: str = "quick", tasks: Iterable[str] | None = None, losses: Sequence[str] | None = None,
         seeds: int = DEFAULT_SEEDS, dataset: str | None = None, margin_sweep: bool = True,
         overrides: Sequence[Override] = (), model: str | None = None) -> list[RunSpec]:
    """Every spec of a sweep: each task x seeds ``0..seeds-1`` x each loss it supports, in
    that order, so that the runs of one seed follow each other and share its data draws
    (:mod:`hemlab.tasks.draws`).

    ``losses`` are loss specs (``"hem"``, ``"hem:margin=0.5"``; default: those of the seven
    losses that support one of ``tasks``). A loss that does not support a task's output is
    left out of that task (Dice runs only in segmentation); a named loss that supports none
    of the ``tasks`` is an error. With ``margin_sweep`` (HEM's variants) and plain ``hem`` in
    ``losses``, a task also runs the HEM variants it declares (``TaskInfo.with_hem``:
    ``hem:margins=frequency`` on the imbalanced and continual tasks), and the tasks whose
    preset row asks for it run HEM at each margin of ``MARGIN_SWEEP``. ``dataset`` replaces the preset's dataset (every task must accept it; a
    registered name or ``folder:PATH``) in the specs' settings, without the preset's dataset
    options (its own defaults, or ``dataset_options`` from ``overrides``); ``model`` the
    preset's model likewise (its output must be the task's). A dataset or model of yours is
    loaded and built once here, so a bad loader or model is refused before any run.
    ``overrides`` change the preset's rows (``(path, value)`` pairs, a path optionally
    prefixed by a task: :mod:`hemlab.tasks.overrides`); each spec carries those of its task.
    """
    task_names = list(tasks) if tasks is not None else list(TASKS)
    for task in task_names:
        if task not in TASKS:
            raise ValueError(f"tasks: expected names from {', '.join(TASKS)}, got {task!r}")
    seeds = check("seeds", seeds, POSITIVE_INTEGER)
    if losses is None:
        losses = [name for name in DEFAULT_LOSSES if any(name in task_losses(task) for task in task_names)]
    parsed = [parse_loss_spec(text) for text in losses]
    for name, _ in parsed:
        if not any(name in task_losses(task) for task in task_names):
            raise ValueError(f"losses: {name} supports none of the tasks {task_names}")
    check_losses(parsed, (TASKS[task].output for task in task_names))
    specs = []
    for task in task_names:
        changes, task_dataset, task_model = task_changes(preset, task, overrides, dataset, model)
        settings = resolve_settings(preset, task, changes)
        _check_data_and_model(RunSpec(task, task_dataset, task_model, "ce", (), 0, preset, changes))
        variants = [(name, options) for name, options in parsed if name in task_losses(task)]
        runs_hem = margin_sweep and any(name == "hem" for name, _ in parsed)
        if runs_hem:
            variants += [parse_loss_spec(text) for text in TASKS[task].with_hem]
        if runs_hem and settings.margin_sweep:
            variants += [("hem", (("margin", margin),)) for margin in MARGIN_SWEEP]
        for seed in range(seeds):  # seed by seed: a worker reuses the seed's draws for the next loss
            for name, options in dict.fromkeys(variants):
                specs.append(RunSpec(task, task_dataset, task_model, name, options, seed, preset, changes))
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
