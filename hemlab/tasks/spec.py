"""What a run is: a frozen ``RunSpec``, read against one row of the presets table.

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

A spec's loss options are checked against the loss registry, and an option equal to the
loss's default is dropped, so ``hem:margin=1`` and ``hem`` are the same run
(:mod:`hemlab.tasks.loss_labels`).

The presets, settings and loss labels once defined here now live in their own modules;
importing them from here still works, with a ``DeprecationWarning``, until hemlab 0.3.
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, fields
from numbers import Integral
from typing import Any, Mapping

from hemlab.checks import Interval, Options, check
from hemlab.losses import loss_info
from hemlab.moved import moved_names
from hemlab.tasks.loss_labels import LossOptions, canonical_loss_options, loss_label
from hemlab.tasks.names import PRESET_NAMES, TASK_NAMES
from hemlab.tasks.overrides import apply_overrides, canonical_overrides
from hemlab.tasks.presets import task_settings
from hemlab.tasks.settings import TaskSettings, fingerprint, settings_fingerprint


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
        check("task", self.task, Options(*TASK_NAMES))
        check("preset", self.preset, Options(*PRESET_NAMES))
        object.__setattr__(self, "seed", check("seed", self.seed, Interval(Integral, 0, None)))
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
        return f"{self.task}-{self.loss}-{fingerprint(identity)}"

    @functools.cached_property
    def settings(self) -> TaskSettings:
        """The preset's row for the task with the spec's ``overrides`` applied."""
        return apply_overrides(task_settings(self.preset, self.task), self.overrides)

    @property
    def settings_id(self) -> str:
        """12 hex digits of the resolved settings: equal for runs trained under equal settings."""
        return settings_fingerprint(self.settings)


__all__ = ["RunSpec"]
__getattr__ = moved_names(__name__, {
    "hemlab.tasks.loss_labels": ("DEFAULT_LOSSES", "canonical_loss_options", "check_losses", "loss_label",
                                 "parse_loss_spec", "read_loss_label"),
    "hemlab.tasks.names": ("DEFAULT_SEEDS", "PRESET_NAMES", "TASK_NAMES"),
    "hemlab.tasks.presets": ("PRESETS", "presets_table", "task_settings"),
    "hemlab.tasks.settings": ("CONTINUAL_PROTOCOLS", "LA_PRIORS", "MARGIN_SWEEP", "TaskSettings",
                              "settings_fingerprint", "with_settings"),
})
