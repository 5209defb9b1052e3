"""What the task notebooks read off a sweep, computed here once: one cell of a table, HEM's
margins among loss labels, seed-paired differences, HEM's margin sweep as one tidy frame (the
frame :func:`hemlab.viz.plot_margin_sweep` draws) and the verdict lines.

    paired_differences(table, "imbalanced", "ratio=100", "balanced_accuracy", [("hem", "ce"), ("mm", "ce")])
    margin_sweep(summary, "adversarial", [(condition, "accuracy")], table=table, paired_to=1.0)
    print(verdict_lines(verdicts(table, "quick")))

``table`` is a sweep's tidy rows (one value per run, condition and metric: ``seed``, ``value``);
``summary`` is :func:`hemlab.stats.summarize` of it (``mean``, ``ci_low``, ``ci_high``, ``n``).
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Iterable, Sequence

import pandas as pd

from hemlab.checks import Interval, check
from hemlab.stats.summary import confidence_interval
from hemlab.tasks.loss_labels import LossLabel
from hemlab.tasks.result import select_cell

Cell = tuple[str, str]
"""``(condition, metric)`` of a task's rows."""

PAIRED_COLUMNS: tuple[str, ...] = ("task", "condition", "metric", "subject", "comparator", "subject_mean",
                                   "comparator_mean", "diff_mean", "diff_ci_low", "diff_ci_high", "n")
MARGIN_SWEEP_COLUMNS: tuple[str, ...] = ("task", "condition", "metric", "loss_label", "margin", "mean", "ci_low",
                                         "ci_high", "n")
PAIRED_TO_COLUMNS: tuple[str, ...] = ("diff_mean", "diff_ci_low", "diff_ci_high")


def hem_margin(label: str) -> float | None:
    """HEM's margin in loss ``label`` (the registry default for plain ``hem``); None for another
    loss, or for HEM with options besides the margin."""
    return LossLabel.parse(label).hem_margin


def hem_margins(labels: Iterable[str]) -> dict[float, str]:
    """HEM's margins among loss ``labels``, ascending, each with its label: ``["ce", "hem",
    "hem:margin=0.5"]`` -> ``{0.5: "hem:margin=0.5", 1.0: "hem"}`` (plain ``hem`` at the
    registry's default margin; HEM labels with other options are left out). Empty when no
    HEM label is present; one entry when HEM ran only at one margin (no margin sweep)."""
    margins = {hem_margin(label): label for label in dict.fromkeys(labels) if isinstance(label, str)}
    margins.pop(None, None)
    return dict(sorted(margins.items()))


def _check_level(level: float) -> None:
    check("level", level, Interval(Real, 0, 1, closed="neither", noun="confidence level"))


def _values_by_seed(table: pd.DataFrame, task: str, condition: str, metric: str, label: str,
                    argument: str) -> pd.Series:
    """``label``'s values of the cell, one per seed (a seed's rows averaged), indexed by seed."""
    cell = select_cell(table, task, condition, metric)
    if cell.empty:
        raise ValueError(f"table: expected rows of task {task!r} with metric {metric!r} under {condition!r}, found none")
    rows = cell[cell["loss_label"] == label]
    if rows.empty:
        raise ValueError(f"{argument}: expected a loss label of that cell, one of "
                         f"{sorted(cell['loss_label'].unique())}, got {label!r}")
    return rows.groupby("seed")["value"].mean()


def paired_difference(table: pd.DataFrame, task: str, condition: str, metric: str, subject: str, comparator: str,
                      *, level: float = 0.95) -> pd.Series:
    """``subject`` minus ``comparator`` on one cell of ``table``, paired by seed.

    Returns a row with :data:`PAIRED_COLUMNS`: both means and the mean difference over the
    ``n`` seeds both have (in the metric's units, not oriented: positive = subject larger),
    and the difference's ``level`` t-interval, the paired t-test's (``scipy.stats.ttest_rel``;
    NaN bounds for n < 2). A seed's several rows in the cell are averaged first.
    """
    _check_level(level)
    paired = pd.concat([_values_by_seed(table, task, condition, metric, subject, "subject"),
                        _values_by_seed(table, task, condition, metric, comparator, "comparator")],
                       axis=1, join="inner").dropna()
    if paired.empty:
        raise ValueError(f"comparator: no seed has values of both {subject!r} and {comparator!r} "
                         f"on {task} {metric} @ {condition}")
    mean, low, high, n = confidence_interval((paired.iloc[:, 0] - paired.iloc[:, 1]).to_numpy(), level)
    return pd.Series({"task": task, "condition": condition, "metric": metric, "subject": subject,
                      "comparator": comparator, "subject_mean": float(paired.iloc[:, 0].mean()),
                      "comparator_mean": float(paired.iloc[:, 1].mean()), "diff_mean": mean, "diff_ci_low": low,
                      "diff_ci_high": high, "n": n})


def paired_differences(table: pd.DataFrame, task: str, condition: str, metric: str,
                       pairs: Sequence[tuple[str, str]], *, level: float = 0.95) -> pd.DataFrame:
    """:func:`paired_difference` of each ``(subject, comparator)`` of ``pairs``: one row each,
    in order, columns :data:`PAIRED_COLUMNS`."""
    if isinstance(pairs, (str, tuple)) or not pairs:
        raise ValueError(f"pairs: expected a non-empty list of (subject, comparator) pairs, got {pairs!r}")
    rows = [paired_difference(table, task, condition, metric, subject, comparator, level=level)
            for subject, comparator in pairs]
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS)).reset_index(drop=True)


def _sweep_rows(summary: pd.DataFrame, task: str, cell: Cell, references: Sequence[str]) -> pd.DataFrame:
    """One cell's summary rows of HEM at each margin (ascending), then of the ``references``."""
    condition, metric = cell
    rows = select_cell(summary, task, condition, metric).set_index("loss_label", drop=False)
    margins = hem_margins(rows["loss_label"])
    missing = [label for label in references if label not in rows.index]
    if missing:
        raise ValueError(f"references: expected loss labels of {task} {metric} @ {condition}, "
                         f"one of {sorted(rows.index)}, got {missing}")
    hem = rows.loc[list(margins.values())].assign(margin=list(margins))
    return pd.concat([hem, rows.loc[list(references)].assign(margin=math.nan)], ignore_index=True)


def _paired_to(table: pd.DataFrame, frame: pd.DataFrame, paired_to: float, level: float) -> pd.DataFrame:
    """``frame`` with :data:`PAIRED_TO_COLUMNS`: each HEM row minus HEM at margin ``paired_to``,
    paired by seed (NaN on that margin's own rows and on the references)."""
    base = hem_margins(frame["loss_label"]).get(float(paired_to))
    if base is None:
        raise ValueError(f"paired_to: expected one of HEM's margins {sorted(set(frame['margin'].dropna()))}, "
                         f"got {paired_to!r}")
    differences = []
    for row in frame.itertuples():
        if math.isnan(row.margin) or row.loss_label == base:
            differences.append((math.nan,) * 3)
            continue
        found = paired_difference(table, row.task, row.condition, row.metric, row.loss_label, base, level=level)
        differences.append((found["diff_mean"], found["diff_ci_low"], found["diff_ci_high"]))
    return frame.assign(**dict(zip(PAIRED_TO_COLUMNS, zip(*differences))))


def margin_sweep(summary: pd.DataFrame, task: str, cells: Sequence[Cell], *, references: Sequence[str] = (),
                 table: pd.DataFrame | None = None, paired_to: float | None = None,
                 level: float = 0.95) -> pd.DataFrame:
    """HEM's margin sweep of ``task`` as one tidy frame.

    For each ``(condition, metric)`` of ``cells``, in order: one row per margin HEM ran at
    (ascending; plain ``hem`` at its default margin 1), then one row per loss label of
    ``references`` (``margin`` NaN). Columns :data:`MARGIN_SWEEP_COLUMNS`: the mean over seeds,
    its 95% interval and the seed count, read from ``summary``. With ``paired_to`` (a margin,
    e.g. 1.0; needs the per-seed ``table``) also :data:`PAIRED_TO_COLUMNS`: each margin's
    :func:`paired_difference` to HEM at that margin, with its ``level`` interval.
    """
    if not cells or (isinstance(cells, tuple) and all(isinstance(part, str) for part in cells)):
        raise ValueError(f"cells: expected a non-empty list of (condition, metric) pairs, got {cells!r}")
    if isinstance(references, str):
        raise ValueError(f"references: expected a list of loss labels, got {references!r}")
    if paired_to is not None and table is None:
        raise ValueError("table: paired_to pairs the seeds, so it needs the per-seed table; got table=None")
    _check_level(level)
    frame = pd.concat([_sweep_rows(summary, task, tuple(cell), references) for cell in cells], ignore_index=True)
    frame = frame[list(MARGIN_SWEEP_COLUMNS)]
    return frame if paired_to is None else _paired_to(table, frame, paired_to, level)


def verdict_lines(claims: pd.DataFrame) -> str:
    """Two lines per row of :func:`hemlab.stats.verdicts`, the verdict and its difference.

    For example::

        claim 3 (Adversarial robustness: HEM better than CE): INCONCLUSIVE (few seeds (n=4 < 5))
            hem minus ce = +0.0123, 95% interval [-0.0040, +0.0286] over 4 seeds
    """
    lines = []
    for claim in claims.itertuples():
        why = f" ({claim.why})" if isinstance(claim.why, str) and claim.why else ""
        lines += [f"claim {claim.claim} ({claim.statement}): {claim.verdict.upper()}{why}",
                  f"    {claim.subject} minus {claim.comparator} = {claim.diff_mean:+.4f}, "
                  f"95% interval [{claim.diff_ci_low:+.4f}, {claim.diff_ci_high:+.4f}] over {claim.n} seeds"]
    return "\n".join(lines)


__all__ = ["Cell", "MARGIN_SWEEP_COLUMNS", "PAIRED_COLUMNS", "PAIRED_TO_COLUMNS", "hem_margin", "hem_margins",
           "margin_sweep", "paired_difference", "paired_differences", "select_cell",
           "verdict_lines"]
