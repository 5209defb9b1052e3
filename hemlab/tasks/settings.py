"""One row of the presets table: :class:`TaskSettings`, everything a task runner needs
besides the run's spec, and the fingerprint that says whether two rows are equal.

Rows are made in :mod:`hemlab.tasks.presets`, changed by :mod:`hemlab.tasks.overrides`
(``--set FIELD=VALUE``) and by :func:`with_settings` (tests, notebooks).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace
from numbers import Integral
from typing import Any

from hemlab.checks import Interval, Options, check
from hemlab.train import TrainConfig

MARGIN_SWEEP: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
"""HEM margins a sweep runs on every task whose row has ``TaskSettings.margin_sweep``."""
CONTINUAL_PROTOCOLS: tuple[str, ...] = ("replay", "finetune")
"""Continual-learning protocols: experience replay (the headline) and plain fine-tuning."""
LA_PRIORS: tuple[str, ...] = ("stage", "seen")
"""Class counts the logit-adjusted loss gets in a continual stage (see ``hemlab.tasks.continual``)."""


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
        check("la_prior", self.la_prior, Options(*LA_PRIORS))
        check("replay_per_class", self.replay_per_class, Interval(Integral, 0, None))


def fingerprint(value: Any) -> str:
    """12 hex digits of the SHA-1 of ``value`` as sorted JSON (``repr`` for what JSON cannot
    hold): stable across machines and Python versions."""
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()[:12]


def settings_fingerprint(settings: TaskSettings) -> str:
    """12 hex digits hashing every field of ``settings`` (and of its ``TrainConfig``)."""
    return fingerprint(asdict(settings))


def with_settings(settings: TaskSettings, **changes: Any) -> TaskSettings:
    """A copy of ``settings`` with ``changes``; ``TrainConfig`` fields (``epochs=1``) change
    its ``train`` config, the others the row itself."""
    train_fields = {f.name for f in fields(TrainConfig)}
    train_changes = {key: changes.pop(key) for key in list(changes) if key in train_fields}
    if train_changes:
        changes["train"] = replace(changes.get("train", settings.train), **train_changes)
    return replace(settings, **changes)


__all__ = ["CONTINUAL_PROTOCOLS", "LA_PRIORS", "MARGIN_SWEEP", "TaskSettings", "fingerprint", "settings_fingerprint",
           "with_settings"]
