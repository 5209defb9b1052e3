"""The one place in the task layer that loads data, builds models and losses, and trains.

Every runner goes through :func:`load_data`, :func:`build_model` and :func:`fit`, so a
spec's seed, the preset's training settings, the dataset's ignore label and the
logit-adjusted loss's class counts are applied the same way in every task.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from hemlab.data import DATASETS, class_counts, dataset_targets, load_dataset, random_crop_flip
from hemlab.losses import accepted_arguments, create_loss
from hemlab.models import MODELS, create_model
from hemlab.tasks.spec import RunSpec, TaskSettings
from hemlab.train import train

DATA_SPLIT_SEED = 0
"""The seed of the fixed benchmark splits (torchvision sets ignore it) and of the far-OOD
sets loaded from another dataset."""


def split_seed(spec: RunSpec) -> int:
    """The seed that draws ``spec``'s train/test split: the spec's own seed for the embedded
    sets (digits, generated data), whose split can be redrawn, so that the spread over seeds
    includes the test set's sampling noise; :data:`DATA_SPLIT_SEED` for a fixed benchmark.

    Every loss with the same seed gets the same split, data order and initial weights, so
    runs stay paired by seed."""
    return spec.seed if DATASETS[spec.dataset].embedded else DATA_SPLIT_SEED


@dataclass(frozen=True)
class RunContext:
    """Where a run happens: the ``device``, the preset row ``settings`` it follows, and an
    optional ``checkpoint_dir`` for per-epoch checkpoints (a killed long run resumes)."""

    device: torch.device
    settings: TaskSettings
    checkpoint_dir: Path | None = None


@dataclass
class Fit:
    """A trained ``model`` with its ``history`` (``hemlab.train`` table), training
    ``seconds`` and ``epochs_to_target`` (first epoch reaching the target accuracy, NaN if none)."""

    model: nn.Module
    history: pd.DataFrame
    seconds: float
    epochs_to_target: float


def dataset_options(spec: RunSpec, settings: TaskSettings) -> dict:
    """The preset's dataset options when ``spec.dataset`` is the preset's dataset (another
    dataset, e.g. ``hemlab run --dataset digits``, gets its own defaults)."""
    return dict(settings.dataset_options) if spec.dataset == settings.dataset else {}


def load_data(spec: RunSpec, settings: TaskSettings) -> tuple[Dataset, Dataset]:
    """``(train, test)`` of ``spec.dataset``, split by :func:`split_seed`, with
    :func:`dataset_options`."""
    return load_dataset(spec.dataset, seed=split_seed(spec), **dataset_options(spec, settings))


def num_classes_of(spec: RunSpec, settings: TaskSettings) -> int:
    """The classes of ``spec.dataset`` as loaded: its ``num_classes`` option where it has one
    (the generated shapes: ``dataset_options=num_classes=7``), else its record's."""
    return int(dataset_options(spec, settings).get("num_classes", DATASETS[spec.dataset].num_classes))


def build_model(spec: RunSpec, settings: TaskSettings, num_classes: int) -> nn.Module:
    """``spec.model`` for ``num_classes`` classes and the dataset's input, initialised from ``spec.seed``."""
    info = DATASETS[spec.dataset]
    options = dict(settings.model_options)
    if "image_size" in MODELS[spec.model].options and info.image_size is not None:
        options.setdefault("image_size", info.image_size)
    return create_model(spec.model, num_classes, in_channels=info.in_channels, seed=spec.seed, **options)


def augmentation(spec: RunSpec, settings: TaskSettings) -> Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None:
    """The on-device training augmentation when ``settings.augment``: random crop, with a
    left-right flip only where the dataset is ``mirror_invariant`` (not digits or glyphs)."""
    if not settings.augment:
        return None
    return functools.partial(random_crop_flip, flip=DATASETS[spec.dataset].mirror_invariant)


def build_loss(spec: RunSpec, targets: torch.Tensor, num_classes: int,
               counts: torch.Tensor | None = None) -> nn.Module:
    """The loss of ``spec`` with the dataset's ignore label; a loss that takes ``class_counts``
    (``la``, or a registered one) gets ``counts`` or else the class counts of ``targets``
    (add-one smoothed when a class is absent)."""
    options = dict(spec.loss_options)
    ignore_index = DATASETS[spec.dataset].ignore_index
    if ignore_index is not None:
        options["ignore_index"] = ignore_index
    if "class_counts" in accepted_arguments(spec.loss):
        if counts is None:
            valid = targets[(targets >= 0) & (targets < num_classes)]
            counts = class_counts(valid, num_classes)
            counts = counts + 1 if bool((counts == 0).any()) else counts
        options["class_counts"] = counts
    return create_loss(spec.loss, **options)


def fit(spec: RunSpec, context: RunContext, model: nn.Module, train_set: Dataset, eval_set: Dataset | None,
        *, num_classes: int, stage: str = "train", progress: bool = False,
        prior_counts: torch.Tensor | None = None) -> Fit:
    """Train ``model`` in place on ``train_set`` with the spec's loss and the preset's settings.

    ``stage`` names the training stage within the run (continual tasks, imbalance ratios);
    it keys the checkpoint file and labels the progress bar. ``prior_counts`` replaces the
    training counts that the logit-adjusted loss is given (see :func:`build_loss`).
    """
    settings = context.settings
    loss = build_loss(spec, dataset_targets(train_set), num_classes, prior_counts)
    checkpoint = None
    if settings.checkpoints and context.checkpoint_dir is not None:
        checkpoint = Path(context.checkpoint_dir) / f"{spec.run_id}-{stage}.pt"
    started = time.perf_counter()
    history = train(model, loss, train_set, settings.train, seed=spec.seed, eval_data=eval_set,
                    device=context.device, augment=augmentation(spec, settings),
                    checkpoint=checkpoint, progress=progress, desc=f"{spec.loss_label} seed {spec.seed} {stage}")
    seconds = time.perf_counter() - started
    reached = history.index[history["eval_accuracy"] >= settings.target_accuracy]
    epochs_to_target = float(history.loc[reached[0], "epoch"]) if len(reached) else math.nan
    return Fit(model=model, history=history, seconds=seconds, epochs_to_target=epochs_to_target)


def fit_on_dataset(spec: RunSpec, context: RunContext) -> tuple[Fit, Dataset, Dataset]:
    """Train a fresh model on all classes of ``spec.dataset`` (evaluating on its test split
    after each epoch); return the fit with the ``(train, test)`` datasets."""
    train_set, test_set = load_data(spec, context.settings)
    num_classes = num_classes_of(spec, context.settings)
    model = build_model(spec, context.settings, num_classes)
    return fit(spec, context, model, train_set, test_set, num_classes=num_classes), train_set, test_set
