"""Reading the results and summary tables (private).

A ``condition`` is a single word (``"clean"``, ``"corrupted"``, ``"final"``, ``"training"``) or
``";"``-joined ``key=value`` pairs, e.g. ``"corruption=fog;severity=3"``, expanded into columns by
:func:`hemlab.tasks.condition_columns`.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hemlab.tasks.result import METRIC_RANGES, condition_columns
from hemlab.viz._inputs import require_columns

RESULT_COLUMNS = ("task", "loss_label", "seed", "condition", "metric", "value")
SUMMARY_COLUMNS = ("task", "loss_label", "condition", "metric", "mean", "ci_low", "ci_high")


def task_rows(table: pd.DataFrame, task: str, metric: str, name: str = "table") -> pd.DataFrame:
    """The results rows of ``task`` and ``metric``, conditions expanded into columns."""
    require_columns(table, RESULT_COLUMNS, name)
    rows = table[(table["task"] == task) & (table["metric"] == metric)]
    if rows.empty:
        raise ValueError(f"{name}: expected {task} rows with metric {metric!r}, found none "
                         f"(tasks present: {sorted(table['task'].unique())})")
    return condition_columns(rows)


def seed_statistics(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, standard deviation (ddof 1; NaN for one seed) and seed count of ``value`` per ``by``
    group, after averaging each seed's rows within the group (e.g. over corruptions)."""
    per_seed = rows.groupby(by + ["seed"], dropna=False)["value"].mean().reset_index()
    return per_seed.groupby(by, dropna=False)["value"].agg(["mean", "std", "count"]).reset_index()


def error_bar_lengths(mean: np.ndarray, low: np.ndarray, high: np.ndarray, metric: str) -> np.ndarray:
    """``(2, n)`` lengths from ``mean`` down to ``low`` and up to ``high`` (matplotlib's ``xerr`` /
    ``yerr``), with both ends clipped to ``metric``'s range (``hemlab.tasks.METRIC_RANGES``; unknown
    metrics are unbounded) and 0 where an end is NaN (no interval: one seed)."""
    bottom, top = METRIC_RANGES.get(metric, (-math.inf, math.inf))
    mean = np.asarray(mean, dtype=float)
    low = np.clip(np.asarray(low, dtype=float), bottom, top)
    high = np.clip(np.asarray(high, dtype=float), bottom, top)
    return np.nan_to_num(np.clip(np.vstack([mean - low, high - mean]), 0.0, None))
