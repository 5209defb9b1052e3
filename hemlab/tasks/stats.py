"""Summaries over seeds, paired differences, and a verdict per paper claim.

Each task has one headline (condition, metric), fixed in advance in :data:`HEADLINES` and
shown with every other metric beside it. A claim compares a *subject* loss with a
*comparator* on a task's headline, paired by seed: the same seed gives both losses the
same data, data order and initial weights, so ``d_s = subject_s - comparator_s`` is the
unit of the test. With ``n`` seeds, ``mean(d) +- t_{0.975, n-1} * std(d) / sqrt(n)`` is the
95% interval. The interval is oriented so that positive means "subject better" (for
metrics where lower is better the sign flips), and the verdict is:

- ``better`` claims: ``supported`` if the interval lies above 0, ``contradicted`` if it lies
  below 0, else ``inconclusive``; ``worse`` claims the mirror image;
- ``equivalent`` claims (within ``tolerance``): ``supported`` if the interval lies inside
  ``[-tolerance, tolerance]``, ``contradicted`` if it lies wholly outside, else ``inconclusive``;
- fewer than 2 paired seeds: ``inconclusive``.

``seeds_needed`` estimates how many seeds would make the interval exclude 0 if the
observed mean and spread of ``d`` held (NaN when they cannot: a zero mean).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from hemlab.tasks.result import LOWER_IS_BETTER, format_condition
from hemlab.tasks.spec import DEFAULT_LOSSES, PRESETS, parse_loss_spec

SUMMARY_KEYS: tuple[str, ...] = ("task", "dataset", "model", "loss", "loss_label", "condition", "metric")
VERDICTS = ("supported", "contradicted", "inconclusive")
MAX_SEEDS_NEEDED = 1000


@dataclass(frozen=True)
class Headline:
    """A task's headline: the ``metric`` under ``condition``, and why it was chosen."""

    condition: str
    metric: str
    why: str


def headlines(preset: str) -> dict[str, Headline]:
    """The headline of each task for ``preset`` (only the adversarial eps depends on it)."""
    headline_eps = max(PRESETS[preset]["adversarial"].eps)
    return {
        "clean_corrupt": Headline("clean", "accuracy", "the paper's main classification number"),
        "ood": Headline("ood_set=near;score=maxlogit", "auroc",
                        "held-out classes are the unknown-class task proper; the max logit needs no "
                        "calibrated softmax, which a margin loss does not give"),
        "adversarial": Headline(format_condition(eps=float(headline_eps), attack="worst_case"), "accuracy",
                                "worst case over FGSM and PGD with CE, margin and DLR losses at the largest eps"),
        "imbalanced": Headline("ratio=100", "balanced_accuracy", "the harder imbalance ratio, balanced test set"),
        "continual": Headline("final", "average_accuracy", "accuracy over all tasks after the last one"),
        "segmentation": Headline("clean", "miou", "the field's segmentation number"),
    }


@dataclass(frozen=True)
class Claim:
    """One checkable statement: ``subject`` is ``expectation`` (better / worse / equivalent)
    than ``comparator`` on ``task``'s ``metric`` under ``condition`` (None: the headline).
    ``comparator`` may be a loss label, ``"best_other"`` or ``"worst_other"`` (the best or
    worst by mean of the other default losses on the task)."""

    claim: str
    statement: str
    task: str
    subject: str
    comparator: str
    expectation: str
    condition: str | None = None
    metric: str | None = None
    tolerance: float = 0.0


CLAIMS: tuple[Claim, ...] = (
    Claim("1", "Clean accuracy: CE slightly better than HEM", "clean_corrupt", "hem", "ce", "worse"),
    Claim("1b", "Corrupted accuracy: CE slightly better than HEM", "clean_corrupt", "hem", "ce", "worse",
          condition="corrupted", metric="accuracy"),
    Claim("2", "Unknown-class rejection: HEM better than CE", "ood", "hem", "ce", "better"),
    Claim("2b", "Unknown-class rejection: HEM about equal to LogitNorm (AUROC within 0.02)", "ood", "hem",
          "logitnorm", "equivalent", tolerance=0.02),
    Claim("3", "Adversarial robustness: HEM better than CE", "adversarial", "hem", "ce", "better"),
    Claim("4", "Imbalanced data: HEM better than CE", "imbalanced", "hem", "ce", "better"),
    Claim("4b", "Imbalanced data: logit-adjusted best of all", "imbalanced", "la", "best_other", "better"),
    Claim("5", "Continual learning: HEM best of all", "continual", "hem", "best_other", "better"),
    Claim("5b", "Continual learning: LogitNorm much poorer than HEM", "continual", "logitnorm", "hem", "worse"),
    Claim("6", "Segmentation: HEM best of all", "segmentation", "hem", "best_other", "better"),
    Claim("6b", "Segmentation: Dice worst of all", "segmentation", "dice", "worst_other", "worse"),
    Claim("7", "HEM trains faster than CE (wall-clock seconds)", "clean_corrupt", "hem", "ce", "better",
          condition="training", metric="train_seconds"),
    Claim("7b", "HEM reaches the target accuracy in fewer epochs than CE", "clean_corrupt", "hem", "ce", "better",
          condition="training", metric="epochs_to_target"),
)
"""The paper's claims (paper.md section 3), each with the comparison that checks it."""


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


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, std, n and 95% interval over seeds per (task, loss, condition, metric).

    Columns: :data:`SUMMARY_KEYS` + ``mean, std, n, ci_low, ci_high``; NaN values (e.g. a
    shot group with no class) are left out of their cell.
    """
    records = []
    for keys, group in table.groupby(list(SUMMARY_KEYS), sort=False):
        mean, low, high, n = confidence_interval(group["value"].to_numpy())
        finite = group["value"].dropna()
        records.append({**dict(zip(SUMMARY_KEYS, keys)), "mean": mean,
                        "std": float(finite.std(ddof=1)) if n > 1 else math.nan, "n": n,
                        "ci_low": low, "ci_high": high})
    return pd.DataFrame(records, columns=[*SUMMARY_KEYS, "mean", "std", "n", "ci_low", "ci_high"])


def _values_by_seed(table: pd.DataFrame, task: str, condition: str, metric: str, label: str) -> pd.Series:
    cell = table[(table["task"] == task) & (table["condition"] == condition) & (table["metric"] == metric)
                 & (table["loss_label"] == label)]
    return cell.groupby("seed")["value"].mean()


def _resolve_comparator(table: pd.DataFrame, claim: Claim, condition: str, metric: str,
                        default_labels: set[str]) -> str | None:
    if claim.comparator not in ("best_other", "worst_other"):
        return claim.comparator
    cell = table[(table["task"] == claim.task) & (table["condition"] == condition) & (table["metric"] == metric)
                 & (table["loss_label"] != claim.subject) & table["loss_label"].isin(default_labels)]
    means = cell.groupby("loss_label")["value"].mean().dropna()
    if means.empty:
        return None
    wants_best = (claim.comparator == "best_other") != (metric in LOWER_IS_BETTER)
    return str(means.idxmax() if wants_best else means.idxmin())


def _verdict(expectation: str, low: float, high: float, tolerance: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "inconclusive"
    if expectation == "equivalent":
        if -tolerance <= low and high <= tolerance:
            return "supported"
        return "contradicted" if low > tolerance or high < -tolerance else "inconclusive"
    above, below = low > 0, high < 0
    if expectation == "worse":
        above, below = below, above
    return "supported" if above else "contradicted" if below else "inconclusive"


def seeds_needed(differences: np.ndarray) -> float:
    """Seeds for the 95% interval of ``differences`` to exclude 0, if mean and spread held."""
    finite = differences[np.isfinite(differences)]
    if len(finite) < 2 or finite.mean() == 0:
        return math.nan
    spread, mean = finite.std(ddof=1), abs(finite.mean())
    if spread == 0:
        return 2.0
    for n in range(2, MAX_SEEDS_NEEDED + 1):
        if scipy_stats.t.ppf(0.975, n - 1) * spread / math.sqrt(n) < mean:
            return float(n)
    return math.inf


def verdicts(table: pd.DataFrame, preset: str, claims: tuple[Claim, ...] = CLAIMS,
             default_labels: Mapping[str, None] | set[str] | None = None) -> pd.DataFrame:
    """One row per claim whose task is in ``table``: the paired difference over seeds, its
    interval and the verdict.

    ``default_labels``: the loss labels that count for ``best_other`` / ``worst_other``
    (default: every label without options, so margin-sweep variants do not compete).
    Columns: ``claim, statement, task, condition, metric, subject, comparator, subject_mean,
    comparator_mean, diff_mean, diff_ci_low, diff_ci_high, n, seeds_needed, verdict``;
    ``diff`` is subject minus comparator in the metric's own units.
    """
    labels = set(default_labels) if default_labels is not None else {
        label for label in table["loss_label"].unique() if ":" not in label}
    heads = headlines(preset)
    present = set(table["task"])
    records = []
    for claim in (claim for claim in claims if claim.task in present):
        condition = claim.condition or heads[claim.task].condition
        metric = claim.metric or heads[claim.task].metric
        comparator = _resolve_comparator(table, claim, condition, metric, labels)
        subject_values = _values_by_seed(table, claim.task, condition, metric, claim.subject)
        comparator_values = (_values_by_seed(table, claim.task, condition, metric, comparator)
                             if comparator else pd.Series(dtype=float))
        paired = pd.concat([subject_values, comparator_values], axis=1, join="inner").dropna()
        differences = (paired.iloc[:, 0] - paired.iloc[:, 1]).to_numpy() if len(paired) else np.array([])
        mean, low, high, n = confidence_interval(differences)
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
        oriented = sorted((sign * low, sign * high)) if n > 1 else (math.nan, math.nan)
        records.append({
            "claim": claim.claim, "statement": claim.statement, "task": claim.task, "condition": condition,
            "metric": metric, "subject": claim.subject, "comparator": comparator or claim.comparator,
            "subject_mean": float(subject_values.mean()) if len(subject_values) else math.nan,
            "comparator_mean": float(comparator_values.mean()) if len(comparator_values) else math.nan,
            "diff_mean": mean, "diff_ci_low": low, "diff_ci_high": high, "n": n,
            "seeds_needed": seeds_needed(differences),
            "verdict": _verdict(claim.expectation, oriented[0], oriented[1], claim.tolerance),
        })
    return pd.DataFrame(records)


def headline_table(summary: pd.DataFrame, preset: str, *, variants: bool = False) -> pd.DataFrame:
    """Task x loss table of the headline metric as ``mean ± std`` strings (for the README);
    loss labels with options (the margin sweep) only with ``variants``."""
    heads = headlines(preset)
    rows = []
    for task, head in heads.items():
        cell = summary[(summary["task"] == task) & (summary["condition"] == head.condition)
                       & (summary["metric"] == head.metric)]
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


def _label_order(label: str) -> tuple:
    """Sort key: hemlab's loss order, the plain label first, then its options (margins ascending)."""
    name, options = parse_loss_spec(label)
    rank = DEFAULT_LOSSES.index(name) if name in DEFAULT_LOSSES else len(DEFAULT_LOSSES)
    return rank, name, tuple((key, str(value)) if isinstance(value, str) else (key, value) for key, value in options)


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
        cell = rows[(rows["condition"] == condition) & (rows["metric"] == metric)]
        if cell.empty:
            raise ValueError(f"cells: expected (condition, metric) pairs of task {task}'s summary, "
                             f"got ({condition!r}, {metric!r}) with no rows")
        columns[f"{metric} @ {condition}"] = {row["loss_label"]: _mean_std_interval(row, digits)
                                              for _, row in cell.iterrows()}
    table = pd.DataFrame(columns).fillna("")
    table = table.loc[sorted(table.index, key=_label_order)]
    table.index.name = "loss"
    return table
