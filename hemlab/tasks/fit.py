"""The one place in the task layer that loads data, builds models and losses, and trains.

Every runner goes through :func:`load_data`, :func:`build_model` and :func:`fit`, so a
spec's seed, the preset's training settings, the dataset's ignore label and the
logit-adjusted loss's class counts are applied the same way in every task.

A dataset other than the preset's (``--dataset``, yours included) comes into the settings
without the preset's dataset options (``hemlab.experiments.planning``); an image folder is resized to
the preset's image size unless you set ``image_size``, and the settings drawn from the
classes (the held-out classes of ``ood``, the stages of ``continual``) are drawn from its
classes unless you set them (:func:`dataset_settings`).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from hemlab.data import FOLDER_PREFIX, class_counts, dataset_info, dataset_targets, load_dataset, random_crop_flip
from hemlab.losses import create_loss, uses_class_counts
from hemlab.models import create_model, model_info
from hemlab.tasks.draws import shared_draw
from hemlab.tasks.phases import timed
from hemlab.tasks.presets import task_settings
from hemlab.tasks.settings import TaskSettings
from hemlab.tasks.spec import RunSpec
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
    return spec.seed if dataset_info(spec.dataset).split_by_seed else DATA_SPLIT_SEED


HELD_OUT_FRACTION = 0.4
"""The share of a dataset's classes (its last ones) held out in ``ood`` when it is not the
preset's dataset and ``held_out_classes`` is not set: 4 of 10, as in the presets."""


def dataset_settings(spec: RunSpec, settings: TaskSettings) -> TaskSettings:
    """``settings`` for ``spec.dataset``: on a dataset other than the preset's, unless you set
    them, ``ood`` holds out its last :data:`HELD_OUT_FRACTION` of classes and ``continual``
    has at most one stage per class."""
    row = task_settings(spec.preset, spec.task)
    if spec.dataset == row.dataset:
        return settings
    num_classes = num_classes_of(spec, settings)
    changes = {}
    if settings.held_out_classes == row.held_out_classes and row.held_out_classes:
        count = max(1, round(num_classes * HELD_OUT_FRACTION))
        changes["held_out_classes"] = tuple(range(num_classes - count, num_classes))
    if settings.n_tasks == row.n_tasks:
        changes["n_tasks"] = min(settings.n_tasks, num_classes)
    return replace(settings, **changes)


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
    dataset, e.g. ``hemlab run --dataset digits``, gets its own defaults); an image folder
    is resized to the preset's image size unless ``image_size`` is set."""
    options = dict(settings.dataset_options) if spec.dataset == settings.dataset else {}
    if spec.dataset.startswith(FOLDER_PREFIX):
        row = task_settings(spec.preset, spec.task)
        options.setdefault("image_size", dict(row.dataset_options).get("image_size")
                           or dataset_info(row.dataset).image_size)
    return options


def data_key(spec: RunSpec, settings: TaskSettings) -> tuple:
    """What ``spec``'s train/test split depends on: the dataset's record (a re-registered
    dataset is another), its options as loaded and :func:`split_seed`; equal for every
    loss of a seed, the key of the draws shared between them (:mod:`hemlab.tasks.draws`)."""
    options = json.dumps(dataset_options(spec, settings), sort_keys=True, default=repr)
    return spec.dataset, dataset_info(spec.dataset), options, split_seed(spec)


def load_data(spec: RunSpec, settings: TaskSettings) -> tuple[Dataset, Dataset]:
    """``(train, test)`` of ``spec.dataset``, split by :func:`split_seed`, with
    :func:`dataset_options`; drawn once per process for every loss of a seed (read-only)."""
    return shared_draw(("split", data_key(spec, settings)), lambda: load_dataset(
        spec.dataset, seed=split_seed(spec), **dataset_options(spec, settings)))


def num_classes_of(spec: RunSpec, settings: TaskSettings) -> int:
    """The classes of ``spec.dataset`` as loaded: its ``num_classes`` option where it has one
    (the generated shapes: ``dataset_options=num_classes=7``), else its record's."""
    return int(dataset_options(spec, settings).get("num_classes", dataset_info(spec.dataset).num_classes))


def build_model(spec: RunSpec, settings: TaskSettings, num_classes: int) -> nn.Module:
    """``spec.model`` for ``num_classes`` classes and the dataset's input (its channels, and
    its image size as loaded for a model that takes one), initialised from ``spec.seed``."""
    info = dataset_info(spec.dataset)
    options = dict(settings.model_options)
    image_size = dataset_options(spec, settings).get("image_size", info.image_size)
    if "image_size" in model_info(spec.model).options and image_size is not None:
        options.setdefault("image_size", image_size)
    return create_model(spec.model, num_classes, in_channels=info.in_channels, seed=spec.seed, **options)


def augmentation(spec: RunSpec, settings: TaskSettings) -> Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None:
    """The on-device training augmentation when ``settings.augment``: random crop, with a
    left-right flip only where the dataset is ``mirror_invariant`` (not digits or glyphs)."""
    if not settings.augment:
        return None
    return functools.partial(random_crop_flip, flip=dataset_info(spec.dataset).mirror_invariant)


def build_loss(spec: RunSpec, targets: torch.Tensor, num_classes: int,
               counts: torch.Tensor | None = None) -> nn.Module:
    """The loss of ``spec`` with the dataset's ignore label; a loss that takes ``class_counts``
    with its options (``la``, ``hem:margins=frequency``, or a registered one) gets ``counts``
    or else the class counts of ``targets`` (add-one smoothed when a class is absent)."""
    options = dict(spec.loss_options)
    ignore_index = dataset_info(spec.dataset).ignore_index
    if ignore_index is not None:
        options["ignore_index"] = ignore_index
    if uses_class_counts(spec.loss, spec.loss_options):
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
    training counts that a class-informed loss is given (see :func:`build_loss`).
    """
    settings = context.settings
    loss = build_loss(spec, dataset_targets(train_set), num_classes, prior_counts)
    checkpoint = None
    if settings.checkpoints and context.checkpoint_dir is not None:
        checkpoint = Path(context.checkpoint_dir) / f"{spec.run_id}-{stage}.pt"
    started = time.perf_counter()
    with timed("train"):
        history = train(model, loss, train_set, settings.train, seed=spec.seed, eval_data=eval_set,
                        device=context.device, augment=augmentation(spec, settings), checkpoint=checkpoint,
                        progress=progress, desc=f"{spec.loss_label} seed {spec.seed} {stage}")
    seconds = time.perf_counter() - started
    reached = history.index[history["eval_accuracy"] >= settings.target_accuracy]
    epochs_to_target = float(history.loc[reached[0], "epoch"]) if len(reached) else math.nan
    return Fit(model=model, history=history, seconds=seconds, epochs_to_target=epochs_to_target)


def training_identity(spec: RunSpec, settings: TaskSettings | None = None) -> tuple:
    """Everything that decides the model :func:`fit_on_dataset` trains for ``spec``: the data
    (:func:`data_key`), the model's record and options, the training settings, augmentation,
    target accuracy, the loss with its options and the seed. Two specs of different tasks
    with equal identities (the clean_corrupt and adversarial runs of a seed and loss) train
    bit-identical models; the second reuses the first's."""
    settings = settings or spec.settings
    train = json.dumps(dataclasses.asdict(settings.train), sort_keys=True, default=repr)
    return (data_key(spec, settings), spec.model, model_info(spec.model), settings.model_options, train,
            settings.augment, settings.target_accuracy, spec.loss, spec.loss_options, spec.seed)


@dataclass(frozen=True)
class _Trained:
    """A fit as the shared cache keeps it: a copy of the weights, the fit's record, and the
    random-number state training left (the random starts of the attacks that follow draw
    from it, so a reused model must leave it as training did)."""

    state: dict[str, torch.Tensor]
    history: pd.DataFrame
    seconds: float
    epochs_to_target: float
    rng_state: torch.Tensor
    cuda_rng_states: tuple[torch.Tensor, ...]


def _keep(fitted: Fit, device: torch.device) -> _Trained:
    state = {key: value.detach().clone() for key, value in fitted.model.state_dict().items()}
    cuda = tuple(torch.cuda.get_rng_state_all()) if device.type == "cuda" else ()
    return _Trained(state, fitted.history, fitted.seconds, fitted.epochs_to_target, torch.get_rng_state(), cuda)


def _restore(trained: _Trained, model: nn.Module, device: torch.device) -> Fit:
    """``model`` with the trained weights, and the random-number state as training left it."""
    model.load_state_dict(trained.state)
    model.to(device)
    torch.set_rng_state(trained.rng_state)
    if trained.cuda_rng_states:
        torch.cuda.set_rng_state_all(list(trained.cuda_rng_states))
    return Fit(model, trained.history, trained.seconds, trained.epochs_to_target)


def fit_on_dataset(spec: RunSpec, context: RunContext) -> tuple[Fit, Dataset, Dataset]:
    """Train a fresh model on all classes of ``spec.dataset`` (evaluating on its test split
    after each epoch); return the fit with the ``(train, test)`` datasets.

    A model this process has already trained with the same :func:`training_identity` on the
    same device is not trained again: its weights are loaded into the fresh model, and the
    fit's history, ``seconds`` (so the run's ``train_seconds``), ``epochs_to_target`` and the
    random-number state it left are those of that training (``hemlab.experiments.jobs`` runs
    such specs in one worker), so the run's rows are those of a run that trained it."""
    settings = context.settings
    train_set, test_set = load_data(spec, settings)
    num_classes = num_classes_of(spec, settings)
    model = build_model(spec, settings, num_classes)
    trained = shared_draw(("trained", training_identity(spec, settings), str(context.device)), lambda: _keep(
        fit(spec, context, model, train_set, test_set, num_classes=num_classes), context.device))
    return _restore(trained, model, context.device), train_set, test_set
