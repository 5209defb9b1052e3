"""What a run is: a frozen ``RunSpec`` and the one table of presets it is read against.

A run is a pure function of its spec: the same spec gives the same rows on any executor.

    spec = RunSpec(task="adversarial", dataset="digits", model="mlp", loss="hem",
                   loss_options=(("margin", 0.5),), seed=0, preset="quick")
    spec.run_id          # 'adversarial-hem-3f9c0a1b2d4e': task, loss, short hash
    spec.loss_label      # 'hem:margin=0.5'

A spec may carry ``overrides`` of its preset row (``(("train.epochs", 2),)``, see
:mod:`hemlab.tasks.overrides`); ``spec.settings`` is the resolved row, and it travels with
the spec to every executor. ``run_id`` hashes everything that determines the result: the
resolved settings (every field, with the ``TrainConfig``), dataset, model, loss and
options (for a registered loss, dataset or model also its module and version; for an image
folder its content fingerprint), seed and hemlab's version;
``settings_id`` hashes the resolved settings alone.

Loss specs on the command line read ``hem`` or ``hem:margin=0.5,reduction=sum``
(:func:`parse_loss_spec`); options are checked against the loss registry, and an option
equal to the loss's default is dropped, so ``hem:margin=1`` and ``hem`` are the same run.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Iterable, Mapping

from hemlab.losses import accepted_arguments, loss_info
from hemlab.tasks.names import DEFAULT_SEEDS, PRESET_NAMES, TASK_NAMES
from hemlab.train import TrainConfig

DEFAULT_LOSSES: tuple[str, ...] = ("ce", "mm", "hem", "logitnorm", "la", "dice", "focal")
MARGIN_SWEEP: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
"""HEM margins the quick preset sweeps on every task (``TaskSettings.margin_sweep``)."""

CONTINUAL_PROTOCOLS: tuple[str, ...] = ("replay", "finetune")
"""Continual-learning protocols: experience replay (the headline) and plain fine-tuning."""
LA_PRIORS: tuple[str, ...] = ("stage", "seen")
"""Class counts the logit-adjusted loss gets in a continual stage (see ``hemlab.tasks.continual``)."""

# Options that describe where a loss runs, not what it is: the task layer sets them.
_RESERVED_OPTIONS = ("ignore_index", "class_counts", "reduction")

OptionValue = Any
LossOptions = tuple[tuple[str, OptionValue], ...]


def _choice(value: str, allowed: tuple[str, ...], argument: str) -> str:
    if value not in allowed:
        raise ValueError(f"{argument}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _parse_value(text: str) -> OptionValue:
    """``'0.5'`` -> 0.5, ``'2'`` -> 2, ``'true'`` -> True; anything else stays a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def canonical_loss_options(loss: str, options: Mapping[str, OptionValue]) -> LossOptions:
    """Check ``options`` against loss ``loss``'s registry entry; drop defaults; sort.

    Raises ``ValueError`` for an unknown loss or option, or an option the task layer sets
    itself (``ignore_index``, ``class_counts``, ``reduction``).
    """
    info = loss_info(loss)
    allowed = [name for name in accepted_arguments(loss) if name not in _RESERVED_OPTIONS]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"loss_options: {loss} expected options from {allowed}, got unknown {unknown}")
    kept = {}
    for name, value in options.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"loss_options: {loss}:{name} expected a number or a word, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"loss_options: {loss}:{name} expected a finite number, got {value!r}")
        default = info.defaults.get(name)
        if isinstance(value, str) and isinstance(default, (int, float)) and not isinstance(default, bool):
            raise ValueError(f"loss_options: {loss}:{name} expected a number (default {default!r}), got {value!r}")
        if info.defaults.get(name) != value:
            kept[name] = float(value) if isinstance(value, int) and isinstance(info.defaults.get(name), float) else value
    return tuple(sorted(kept.items()))


def read_loss_label(text: str) -> tuple[str, dict[str, OptionValue]]:
    """``'hem:margin=0.5'`` -> ``('hem', {'margin': 0.5})`` read as text, without asking the
    loss registry (a stored label of a plug-in loss that is not loaded reads too)."""
    name, _, option_text = text.strip().partition(":")
    options: dict[str, OptionValue] = {}
    for item in filter(None, (part.strip() for part in option_text.split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ValueError(f"loss: expected NAME or NAME:option=value[,option=value], got {text!r}")
        options[key.strip()] = _parse_value(value)
    return name, options


def parse_loss_spec(text: str) -> tuple[str, LossOptions]:
    """``'hem:margin=0.5'`` -> ``('hem', (('margin', 0.5),))``, checked by the registry."""
    name, options = read_loss_label(text)
    return name, canonical_loss_options(name, options)


def check_losses(variants: Iterable[tuple[str, LossOptions]], outputs: Iterable[str]) -> None:
    """Build each ``(loss, options)`` once and evaluate it on a tiny input of each of
    ``outputs`` it supports (``hemlab.losses.user.probe_loss``), so a bad option value is
    refused before any run; ``ValueError`` naming the loss spec and what the loss said."""
    from hemlab.losses.user import probe_loss

    outputs = list(dict.fromkeys(outputs))
    for name, options in dict.fromkeys(variants):
        info = loss_info(name)
        for output in (output for output in outputs if output in info.outputs):
            try:
                probe_loss(info, output, dict(options))
            except Exception as error:  # noqa: BLE001 - a user loss may raise anything; one line says what
                raise ValueError(f"losses: {loss_label(name, options)} fails on a tiny {output} input: "
                                 f"{type(error).__name__}: {error}") from None


def loss_label(loss: str, loss_options: LossOptions) -> str:
    """The short name of a loss with its options, e.g. ``hem:margin=0.5``."""
    if not loss_options:
        return loss
    return loss + ":" + ",".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                                 for key, value in loss_options)


@dataclass(frozen=True)
class RunSpec:
    """One run: train ``model`` on ``dataset`` with ``loss`` and evaluate it for ``task``.

    ``loss_options`` is a sorted tuple of ``(name, value)`` pairs without the loss's
    defaults (use :func:`canonical_loss_options`). ``preset`` names the row of
    :data:`PRESETS` whose settings the run uses, and ``overrides`` the changes to that row
    (``(path, value)`` pairs without task prefix, checked by
    :func:`hemlab.tasks.overrides.canonical_overrides`).
    """

    task: str
    dataset: str
    model: str
    loss: str
    loss_options: LossOptions = ()
    seed: int = 0
    preset: str = "quick"
    overrides: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        from hemlab.tasks.overrides import canonical_overrides

        _choice(self.task, TASK_NAMES, "task")
        _choice(self.preset, PRESET_NAMES, "preset")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {self.seed!r}")
        canonical = canonical_loss_options(self.loss, dict(self.loss_options))
        object.__setattr__(self, "loss_options", canonical)
        object.__setattr__(self, "overrides", canonical_overrides(self.overrides))

    @property
    def loss_label(self) -> str:
        return loss_label(self.loss, self.loss_options)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["loss_options"] = dict(self.loss_options)
        record["overrides"] = json.loads(json.dumps(dict(self.overrides)))
        return record

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> "RunSpec":
        values = dict(record)
        values["loss_options"] = tuple(sorted(dict(values.get("loss_options", {})).items()))
        values["overrides"] = tuple(dict(values.get("overrides", {})).items())
        return cls(**{key: values[key] for key in (f.name for f in fields(cls)) if key in values})

    @functools.cached_property
    def run_id(self) -> str:
        """``<task>-<loss>-<12 hex digits>``: a hash of everything that determines the result
        (module docstring); stable across machines and Python versions."""
        from hemlab import __version__
        from hemlab.data import dataset_info
        from hemlab.models import model_info

        info = loss_info(self.loss)
        identity = {"task": self.task, "dataset": self.dataset, "model": self.model, "loss": self.loss,
                    "loss_options": dict(self.loss_options), "seed": self.seed,
                    "settings": asdict(self.settings), "loss_module": info.module, "loss_version": info.version,
                    "hemlab": __version__}
        for key, record in (("dataset", dataset_info(self.dataset)), ("model", model_info(self.model))):
            if record.version:
                identity.update({f"{key}_module": record.module, f"{key}_version": record.version})
        return f"{self.task}-{self.loss}-{_digest(identity)}"

    @functools.cached_property
    def settings(self) -> "TaskSettings":
        """The preset's row for the task with the spec's ``overrides`` applied."""
        from hemlab.tasks.overrides import apply_overrides

        return apply_overrides(task_settings(self.preset, self.task), self.overrides)

    @property
    def settings_id(self) -> str:
        """12 hex digits of the resolved settings: equal for runs trained under equal settings."""
        return settings_fingerprint(self.settings)


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()[:12]


def settings_fingerprint(settings: "TaskSettings") -> str:
    """12 hex digits hashing every field of ``settings`` (and of its ``TrainConfig``)."""
    return _digest(asdict(settings))


# ----------------------------------------------------------------------------- presets

@dataclass(frozen=True)
class TaskSettings:
    """Everything a task runner needs besides the spec: one row of the presets table.

    Training: ``train`` (a ``hemlab.train.TrainConfig``: epochs, optimizer, schedule, ...;
    its seed is replaced by the spec's), ``augment`` (random crop and flip),
    ``model_options`` (e.g. the U-Net's ``width``), ``dataset_options`` (e.g. the number of
    generated images). ``target_accuracy``: the clean test accuracy whose first epoch is reported as
    ``epochs_to_target``. ``checkpoints``: write per-epoch checkpoints so a killed long run
    resumes. ``margin_sweep``: the sweep also runs HEM at each margin of :data:`MARGIN_SWEEP`.
    The task-specific fields are used by one runner each (their names say which); for the
    continual task, ``protocols`` (``replay`` first: the headline; ``finetune``),
    ``replay_per_class`` (buffer size per earlier class) and ``la_prior`` (``stage`` or
    ``seen``: the class counts the logit-adjusted loss gets in a stage; see
    :mod:`hemlab.tasks.continual`).
    """

    dataset: str
    model: str
    train: TrainConfig
    augment: bool = False
    model_options: tuple[tuple[str, Any], ...] = ()
    dataset_options: tuple[tuple[str, Any], ...] = ()
    target_accuracy: float = 0.9
    checkpoints: bool = False
    logits_cap: int = 512
    margin_sweep: bool = False
    # clean_corrupt
    corruptions: tuple[str, ...] = ()
    severities: tuple[int, ...] = (1, 2, 3, 4, 5)
    # ood
    held_out_classes: tuple[int, ...] = ()
    far_ood: tuple[str, ...] = ()
    ood_scores: tuple[str, ...] = ("msp", "maxlogit", "energy", "entropy")
    # adversarial
    eps: tuple[float, ...] = ()
    attack_steps: int = 10
    attack_samples: int | None = None
    # imbalanced
    imbalance_ratios: tuple[float, ...] = (10.0, 100.0)
    shot_thresholds: tuple[int, int] = (100, 20)
    # continual
    n_tasks: int = 5
    protocols: tuple[str, ...] = ("replay", "finetune")
    replay_per_class: int = 20
    la_prior: str = "stage"
    # segmentation
    masks_cap: int = 4

    def __post_init__(self) -> None:
        if not self.protocols or any(protocol not in CONTINUAL_PROTOCOLS for protocol in self.protocols):
            raise ValueError(f"protocols: expected names from {', '.join(CONTINUAL_PROTOCOLS)}, got {self.protocols!r}")
        _choice(self.la_prior, LA_PRIORS, "la_prior")
        if not isinstance(self.replay_per_class, int) or self.replay_per_class < 0:
            raise ValueError(f"replay_per_class: expected a non-negative integer, got {self.replay_per_class!r}")


_QUICK_TRAIN = TrainConfig(epochs=10, batch_size=64, optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4,
                           schedule="cosine", grad_clip=5.0)
"""SGD 0.1 (chosen for CE on a validation split), momentum 0.9, weight decay 5e-4, cosine over
10 epochs, batch 64. Not batch 128, although it trains about a fifth faster: with half the
steps CE and the losses like it under-train (CE's average accuracy in continual learning fell
from 0.63 to 0.39) while HEM does not, and eight of the thirteen verdicts changed
(``benchmarks/README.md``, "The quick sweep")."""
_PAPER_TRAIN = TrainConfig(epochs=200, batch_size=128, optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4,
                           schedule="step", milestones=(100, 150))
_QUICK_CLASSIFIER = {"dataset": "glyphs", "model": "mlp", "train": _QUICK_TRAIN, "target_accuracy": 0.8,
                     "margin_sweep": True, "dataset_options": (("n_train", 8000),)}
_PAPER_CLASSIFIER = {"dataset": "cifar10", "model": "resnet18", "train": _PAPER_TRAIN, "augment": True,
                     "target_accuracy": 0.9, "checkpoints": True}
_CORRUPTIONS = ("gaussian_noise", "shot_noise", "impulse_noise", "gaussian_blur", "contrast", "brightness",
                "pixelate", "jpeg")
_QUICK_CORRUPTIONS = tuple(name for name in _CORRUPTIONS if name != "jpeg")
"""The quick preset leaves JPEG out: at 16x16 it costs as much as the other seven together."""
_FAR_OOD = ("uniform_noise", "gaussian_blobs", "permuted_pixels")
_COLAB_TRAIN = TrainConfig(epochs=10, batch_size=64, optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4,
                           schedule="step", amp_dtype="float16")
"""The paper's recipe shortened: SGD 0.1, momentum 0.9, weight decay 5e-4, the rate times 0.1
at 50% and 75% of training (epochs 5 and 7), batch 64 (twice the steps of batch 128 for the
same work: 5000 images x 10 epochs is 780 steps). float16 autocast with a gradient scaler, as a
T4 (Colab's free GPU) has no bfloat16 tensor cores."""
_COLAB_CLASSIFIER = {"dataset": "colour_glyphs", "model": "resnet20", "train": _COLAB_TRAIN, "augment": True,
                     "target_accuracy": 0.8, "margin_sweep": True,
                     "dataset_options": (("n_train", 5000), ("n_test", 4000))}

PRESETS: dict[str, dict[str, TaskSettings]] = {
    "quick": {
        "clean_corrupt": TaskSettings(**_QUICK_CLASSIFIER, corruptions=_QUICK_CORRUPTIONS, severities=(1, 3, 5)),
        "ood": TaskSettings(**_QUICK_CLASSIFIER, held_out_classes=(6, 7, 8, 9), far_ood=_FAR_OOD + ("letters",)),
        "adversarial": TaskSettings(**_QUICK_CLASSIFIER, eps=(0.01, 0.02, 0.04), attack_steps=10,
                                    attack_samples=1000),
        "imbalanced": TaskSettings(**{**_QUICK_CLASSIFIER, "dataset_options": (("n_train", 24000),),
                                      "train": replace(_QUICK_TRAIN, epochs=8)}, shot_thresholds=(400, 80)),
        "continual": TaskSettings(**{**_QUICK_CLASSIFIER, "train": replace(_QUICK_TRAIN, epochs=6)}, n_tasks=5,
                                  replay_per_class=200),
        "segmentation": TaskSettings(dataset="shapes", model="unet",
                                     train=replace(_QUICK_TRAIN, epochs=15, batch_size=8, optimizer="adamw", lr=3e-3,
                                                   weight_decay=1e-4),
                                     target_accuracy=0.9, model_options=(("width", 8),),
                                     dataset_options=(("n_images", 96), ("image_size", 24)), margin_sweep=True),
    },
    "colab": {
        "clean_corrupt": TaskSettings(**_COLAB_CLASSIFIER, corruptions=_CORRUPTIONS, severities=(1, 3, 5)),
        "ood": TaskSettings(**_COLAB_CLASSIFIER, held_out_classes=(6, 7, 8, 9),
                            far_ood=_FAR_OOD + ("colour_letters",)),
        "adversarial": TaskSettings(**_COLAB_CLASSIFIER, eps=(2 / 255, 4 / 255, 8 / 255), attack_steps=10,
                                    attack_samples=1000),
        "imbalanced": TaskSettings(**{**_COLAB_CLASSIFIER, "dataset_options": (("n_train", 12000), ("n_test", 4000))},
                                   imbalance_ratios=(100.0,), shot_thresholds=(200, 40)),
        "continual": TaskSettings(**_COLAB_CLASSIFIER, n_tasks=5, protocols=("replay",), replay_per_class=100),
        "segmentation": TaskSettings(dataset="shapes", model="unet",
                                     train=replace(_COLAB_TRAIN, epochs=20, batch_size=16, optimizer="adamw", lr=3e-3,
                                                   weight_decay=1e-4),
                                     target_accuracy=0.9, model_options=(("width", 16),),
                                     dataset_options=(("n_images", 400), ("image_size", 64), ("num_classes", 7),
                                                      ("max_objects", 4)), margin_sweep=True),
    },
    "paper": {
        "clean_corrupt": TaskSettings(**_PAPER_CLASSIFIER, corruptions=_CORRUPTIONS),
        "ood": TaskSettings(**_PAPER_CLASSIFIER, held_out_classes=(6, 7, 8, 9), far_ood=_FAR_OOD + ("svhn",)),
        "adversarial": TaskSettings(**_PAPER_CLASSIFIER, eps=(2 / 255, 4 / 255, 8 / 255), attack_steps=20,
                                    attack_samples=2000),
        "imbalanced": TaskSettings(**_PAPER_CLASSIFIER, shot_thresholds=(100, 20)),
        "continual": TaskSettings(**{**_PAPER_CLASSIFIER, "train": replace(_PAPER_TRAIN, epochs=30, milestones=(20, 25))},
                                  n_tasks=5, replay_per_class=200),
        "segmentation": TaskSettings(dataset="voc", model="deeplabv3",
                                     train=TrainConfig(epochs=100, batch_size=16, optimizer="sgd", lr=0.01, momentum=0.9,
                                                       weight_decay=1e-4, schedule="step", milestones=(60, 80)),
                                     target_accuracy=0.8, checkpoints=True),
    },
}
"""The presets table: ``PRESETS[preset][task]``, a ladder of three scales.

- ``quick``: a laptop's CPU in minutes, on embedded data: generated 16x16 glyph digits with
  an MLP (SGD 0.1, cosine schedule, 10 epochs), generated shapes with a small U-Net;
- ``colab``: one GPU (a free Colab T4) in about half an hour at 5 seeds: generated 32x32
  colour glyphs with He et al.'s ResNet-20, trained the paper's way shortened (SGD 0.1,
  momentum 0.9, weight decay 5e-4, batch 64, step drops at 50% and 75% of 10 epochs, random
  crops),
  64x64 shapes in 7 classes with a wider U-Net; only the headline imbalance ratio (100) and
  continual protocol (replay). ``--dataset cifar10`` (or ``svhn``, ...) runs it on files on disk;
- ``paper``: the literature, for a cluster (CIFAR-10 with a CIFAR-stem ResNet-18, 200
  epochs, step decay at 100 and 150; Pascal VOC with DeepLabV3).

Nothing else in hemlab branches on the preset's name."""


def task_settings(preset: str, task: str) -> TaskSettings:
    """``PRESETS[preset][task]``, with errors that list the allowed names."""
    return PRESETS[_choice(preset, PRESET_NAMES, "preset")][_choice(task, TASK_NAMES, "task")]


def with_settings(settings: TaskSettings, **changes: Any) -> TaskSettings:
    """A copy of ``settings`` with ``changes``; ``TrainConfig`` fields (``epochs=1``) change
    its ``train`` config, the others the row itself."""
    train_fields = {f.name for f in fields(TrainConfig)}
    train_changes = {key: changes.pop(key) for key in list(changes) if key in train_fields}
    if train_changes:
        changes["train"] = replace(changes.get("train", settings.train), **train_changes)
    return replace(settings, **changes)


def presets_table() -> list[dict[str, Any]]:
    """One record per (preset, task): the settings that differ between tasks, for ``hemlab tasks``."""
    return [{"preset": preset, "task": task, "dataset": s.dataset, "model": s.model, "epochs": s.train.epochs,
             "optimizer": s.train.optimizer, "lr": s.train.lr, "schedule": s.train.schedule,
             "batch_size": s.train.batch_size}
            for preset, tasks in PRESETS.items() for task, s in tasks.items()]


__all__ = [
    "CONTINUAL_PROTOCOLS", "DEFAULT_LOSSES", "DEFAULT_SEEDS", "LA_PRIORS", "MARGIN_SWEEP", "PRESETS",
    "PRESET_NAMES", "RunSpec", "TASK_NAMES", "TaskSettings", "canonical_loss_options", "check_losses", "loss_label",
    "parse_loss_spec", "presets_table", "read_loss_label", "settings_fingerprint", "task_settings", "with_settings"
]
