"""What a run returns: tidy rows, plot artifacts, the training history; and the row schema.

Rows are tidy: one measured number per row, with columns :data:`ROW_COLUMNS`. The
``condition`` column says under what the number was measured: ``"clean"``, ``"final"``,
``"training"``, or ``;``-joined ``key=value`` pairs such as ``"corruption=jpeg;severity=3"``
or ``"eps=0.1;attack=pgd-dlr"`` (:func:`format_condition`, :func:`condition_columns`).
Metric names are snake_case and the same across tasks (:data:`METRICS`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

ROW_COLUMNS: tuple[str, ...] = ("run_id", "task", "dataset", "model", "loss", "loss_label", "seed", "condition",
                                "metric", "value", "seconds", "settings_id")
"""``settings_id``: 12 hex digits of the run's resolved settings (``RunSpec.settings_id``),
equal exactly for runs trained under equal settings."""

METRICS: dict[str, str] = {
    "accuracy": "fraction of test samples classified correctly",
    "ece": "expected calibration error of the softmax confidences (15 bins)",
    "auroc": "area under the ROC curve, known (positive) against unknown samples",
    "fpr95": "fraction of unknown samples accepted at the threshold accepting 95% of known ones",
    "aupr_in": "average precision with the known samples as positives",
    "aupr_out": "average precision with the unknown samples as positives",
    "balanced_accuracy": "mean per-class accuracy",
    "many_shot": "mean accuracy of the classes with many training samples",
    "medium_shot": "mean accuracy of the classes with a medium number of training samples",
    "few_shot": "mean accuracy of the classes with few training samples",
    "average_accuracy": "mean accuracy over all tasks after the last one",
    "forgetting": "mean drop from each earlier task's best accuracy to its final accuracy",
    "bwt": "backward transfer: mean final minus just-learned accuracy of the earlier tasks",
    "miou": "mean intersection over union over the classes",
    "pixel_accuracy": "fraction of valid pixels classified correctly",
    "train_seconds": "wall-clock seconds spent training",
    "epochs_to_target": "first epoch whose test accuracy reaches the preset's target (NaN: never)",
}
"""Every metric name a runner writes, with what it means."""

LOWER_IS_BETTER: frozenset[str] = frozenset({"ece", "fpr95", "forgetting", "train_seconds", "epochs_to_target"})
METRIC_RANGES: dict[str, tuple[float, float]] = {
    **{metric: (0.0, 1.0) for metric in ("accuracy", "ece", "auroc", "fpr95", "aupr_in", "aupr_out",
                                         "balanced_accuracy", "many_shot", "medium_shot", "few_shot",
                                         "average_accuracy", "miou", "pixel_accuracy")},
    "forgetting": (-1.0, 1.0), "bwt": (-1.0, 1.0), "train_seconds": (0.0, float("inf")),
    "epochs_to_target": (1.0, float("inf")),
}
"""The range of possible values of each metric: intervals are clipped to it."""
TIMING_METRICS: frozenset[str] = frozenset({"train_seconds"})
"""Metrics measured in wall-clock time: they differ between two runs of the same spec."""


def format_condition(**parts: Any) -> str:
    """``format_condition(eps=0.1, attack="fgsm")`` -> ``'eps=0.1;attack=fgsm'`` (order kept)."""
    return ";".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}" for key, value in parts.items())


def parse_condition(condition: str) -> dict[str, Any]:
    """The inverse of :func:`format_condition`; numbers come back as numbers, ``'clean'`` as ``{}``."""
    parts: dict[str, Any] = {}
    for item in condition.split(";"):
        key, equals, value = item.partition("=")
        if not equals:
            continue
        try:
            parts[key] = int(value)
        except ValueError:
            try:
                parts[key] = float(value)
            except ValueError:
                parts[key] = value
    return parts


def same_condition(condition: str, wanted: str) -> bool:
    """Equal as text, or as ``key=value`` pairs read as numbers (``eps=0.03`` == ``eps=0.030``)."""
    return condition == wanted or (bool(parse_condition(wanted)) and parse_condition(condition) == parse_condition(wanted))


def select_cell(frame: pd.DataFrame, task: str, condition: str, metric: str) -> pd.DataFrame:
    """The rows of ``frame`` (a table or a summary: columns ``task``, ``condition``, ``metric``)
    of ``task``'s ``metric`` under ``condition`` (compared by :func:`same_condition`)."""
    rows = frame[(frame["task"] == task) & (frame["metric"] == metric)]
    matching = [found for found in rows["condition"].unique() if same_condition(str(found), condition)]
    return rows[rows["condition"].isin(matching)]


def condition_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with one extra column per ``key`` found in its ``condition`` strings."""
    parsed = pd.DataFrame([parse_condition(condition) for condition in table["condition"]], index=table.index)
    return pd.concat([table, parsed.drop(columns=[c for c in parsed.columns if c in table.columns])], axis=1)


@dataclass
class RunResult:
    """A finished run: ``rows`` (records with the keys of :data:`ROW_COLUMNS` except the
    spec's own, which the store adds), ``artifacts`` (name -> numpy array, for plots) and
    the per-epoch training ``history`` (records), the run's wall time ``seconds`` with its
    ``phase_seconds`` (``draw``, ``train``, ``evaluate``: :mod:`hemlab.tasks.phases`), and the
    ``machine`` that produced it (``hemlab.runtime.machine_identity``)."""

    rows: list[dict[str, Any]]
    artifacts: dict[str, np.ndarray] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)


class Rows:
    """Collects a runner's measurements as tidy records: ``rows.add("clean", accuracy=0.97)``."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def add(self, condition: str, **metrics: float) -> None:
        for metric, value in metrics.items():
            if metric not in METRICS:
                raise ValueError(f"metric: expected one of {', '.join(METRICS)}, got {metric!r}")
            self.records.append({"condition": condition, "metric": metric, "value": float(value)})

    def add_all(self, condition: str, metrics: Mapping[str, float]) -> None:
        self.add(condition, **metrics)


def capped(array: Any, cap: int, dtype: Any = None) -> np.ndarray:
    """The first ``cap`` rows of a tensor or array as numpy (``dtype`` e.g. float16 for logits)."""
    values = array.detach().cpu().numpy() if hasattr(array, "detach") else np.asarray(array)
    values = values[:cap]
    return values.astype(dtype) if dtype is not None else values


__all__ = ["LOWER_IS_BETTER", "METRICS", "METRIC_RANGES", "ROW_COLUMNS", "RunResult", "Rows", "TIMING_METRICS", "capped",
           "condition_columns", "format_condition", "parse_condition", "same_condition", "select_cell"]
