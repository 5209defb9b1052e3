"""Summaries over seeds and the result tables; the claims and verdicts live beside them.

``summarize`` gives, per (task, loss, condition, metric), the mean over seeds with its 95%
t-interval, clipped to the metric's range (:data:`METRIC_RANGES`: an accuracy interval
never leaves [0, 1]). The paper's claims and their verdicts are in
:mod:`hemlab.stats.claims` and :mod:`hemlab.stats.claim_verdicts` (re-exported here).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from hemlab.stats.claim_verdicts import VERDICTS, verdicts
from hemlab.stats.claims import CLAIMS, Claim, Headline, headlines
from hemlab.tasks.loss_labels import DEFAULT_LOSSES, LossLabel
from hemlab.tasks.result import METRIC_RANGES, select_cell

SUMMARY_KEYS: tuple[str, ...] = ("task", "dataset", "model", "loss", "loss_label", "condition", "metric")


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)`` of the finite ``values``; a t-interval (NaN bounds for n < 2)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    n = len(finite)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(finite.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(scipy_stats.t.ppf(0.5 + level / 2, n - 1) * finite.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def clip_to_range(metric: str, low: float, high: float) -> tuple[float, float]:
    """``(low, high)`` clipped to ``metric``'s range of possible values (:data:`METRIC_RANGES`)."""
    lowest, highest = METRIC_RANGES.get(metric, (-math.inf, math.inf))
    return (min(max(low, lowest), highest) if math.isfinite(low) else low,
            max(min(high, highest), lowest) if math.isfinite(high) else high)


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, std, n and 95% interval over seeds per (task, loss, condition, metric).

    Columns: :data:`SUMMARY_KEYS` + ``mean, std, n, ci_low, ci_high``; NaN values (e.g. a
    shot group with no class) are left out of their cell. The t-interval is clipped to the
    metric's range (an accuracy near 1 gets an upper bound of 1, not 1.03).
    """
    records = []
    for keys, group in table.groupby(list(SUMMARY_KEYS), sort=False):
        mean, low, high, n = confidence_interval(group["value"].to_numpy())
        low, high = clip_to_range(keys[-1], low, high)
        finite = group["value"].dropna()
        records.append({**dict(zip(SUMMARY_KEYS, keys)), "mean": mean,
                        "std": float(finite.std(ddof=1)) if n > 1 else math.nan, "n": n,
                        "ci_low": low, "ci_high": high})
    return pd.DataFrame(records, columns=[*SUMMARY_KEYS, "mean", "std", "n", "ci_low", "ci_high"])


def headline_table(summary: pd.DataFrame, preset: str, *, variants: bool = False) -> pd.DataFrame:
    """Task x loss table of the headline metric as ``mean ± std`` strings (for the README);
    loss labels with options (the margin sweep) only with ``variants``."""
    heads = headlines(preset)
    rows = []
    for task, head in heads.items():
        cell = select_cell(summary, task, head.condition, head.metric)
        if not variants:
            cell = cell[~cell["loss_label"].str.contains(":")]
        for _, row in cell.iterrows():
            rows.append({"task": f"{task} ({head.metric})", "loss": row["loss_label"],
                         "value": f"{row['mean']:.3f} ± {row['std']:.3f}"})
    if not rows:
        return pd.DataFrame()
    labels = list(dict.fromkeys(row["loss"] for row in rows))
    order = [name for name in DEFAULT_LOSSES if name in labels] + [label for label in labels
                                                                    if label not in DEFAULT_LOSSES]
    table = pd.DataFrame(rows).pivot(index="task", columns="loss", values="value").fillna("")
    return table.reindex(index=list(dict.fromkeys(row["task"] for row in rows)), columns=order)


def label_order(label: str) -> tuple:
    """Sort key of loss ``label`` in hemlab's loss order (:meth:`~hemlab.tasks.loss_labels.LossLabel.sort_key`)."""
    return LossLabel.parse(label).sort_key()


def _mean_std_interval(row: pd.Series, digits: int) -> str:
    if row["n"] < 2:
        return f"{row['mean']:.{digits}f} (n={row['n']})"
    return (f"{row['mean']:.{digits}f} ± {row['std']:.{digits}f} "
            f"[{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]")


def metric_table(summary: pd.DataFrame, task: str, cells: Sequence[tuple[str, str]], *,
                 digits: int = 3) -> pd.DataFrame:
    """``task``'s summary ``cells`` as text: one row per loss label, one column per
    ``(condition, metric)`` cell (named ``"metric @ condition"``), each entry
    ``"mean ± std [ci_low, ci_high]"`` over seeds (the 95% interval of :func:`summarize`).

    Rows follow hemlab's loss order (plain labels before their options, margins ascending);
    a loss without a cell gets ``""``. Raises ``ValueError`` naming a cell no row has.
    """
    rows = summary[summary["task"] == task]
    columns = {}
    for condition, metric in cells:
        cell = select_cell(rows, task, condition, metric)
        if cell.empty:
            raise ValueError(f"cells: expected (condition, metric) pairs of task {task}'s summary, "
                             f"got ({condition!r}, {metric!r}) with no rows")
        columns[f"{metric} @ {condition}"] = {row["loss_label"]: _mean_std_interval(row, digits)
                                              for _, row in cell.iterrows()}
    table = pd.DataFrame(columns).fillna("")
    table = table.loc[sorted(table.index, key=label_order)]
    table.index.name = "loss"
    return table


__all__ = ["CLAIMS", "Claim", "Headline", "SUMMARY_KEYS", "VERDICTS", "clip_to_range", "confidence_interval",
           "headline_table", "headlines", "label_order", "metric_table", "summarize", "verdicts"]
