"""A verdict per paper claim: paired by seed, with the test set's noise, bands, and Holm.

For each claim (:mod:`hemlab.stats.claims`) whose task is in the table:

1. pair the subject's and the comparator's headline values by seed; for a fixed benchmark
   test set, add the test set's standard error from the runs' per-item records
   (:func:`hemlab.tasks.item_records.standard_error_over_items`);
2. compute the one-sided p-values of the claim's *supported* and *contradicted* regions
   (:mod:`hemlab.stats.evidence`), Holm-adjust each over the family of claims present
   (statsmodels ``multipletests``), and decide at 0.025 per side on the adjusted values;
3. never decide from a degenerate estimate: fewer than :data:`MIN_SEEDS` paired seeds, zero
   spread, a missing comparator, or a fixed test set without per-item results give
   ``inconclusive``, and the ``why`` column says which; a decision near the threshold
   (adjusted p within :data:`NEAR_FACTOR` of 0.025) says so there too.

Intervals are in the metric's own units (subject minus comparator): the raw 95% interval
and the simultaneous (Bonferroni) interval over the family, ``diff_ci_low_adj`` /
``diff_ci_high_adj``. Holm is never less powerful than Bonferroni, so a claim can be
decided while its Bonferroni interval still touches a boundary. ``holds_for_margins`` lists
the HEM margins of the margin sweep at which the verdict is the same (HEM replaced by
``hem:margin=m`` wherever it appears, decided at the Bonferroni level).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from hemlab.data import dataset_info
from hemlab.stats.claims import CLAIMS, EVERY_OTHER, TIMING_CLAIM, Claim, headlines
from hemlab.stats.evidence import ALPHA, PairedEvidence, regions
from hemlab.tasks.item_records import ItemRecord, standard_error_over_items
from hemlab.tasks.loss_labels import LossLabel
from hemlab.tasks.result import LOWER_IS_BETTER, select_cell

MIN_SEEDS = 5
"""Fewer paired seeds than this decide nothing."""
NEAR_FACTOR = 2.0
"""A decision whose Holm-adjusted p-value lies within this factor of ``ALPHA`` (above or
below) says in ``why`` that it is near the threshold: the same seeds on another machine
differ in the third decimal, which can move such a p-value across it."""
VERDICTS = ("supported", "contradicted", "inconclusive")
ItemLoader = Callable[[str, str], Mapping[tuple[str, str], ItemRecord]]
"""``loader(task, run_id) -> {(condition, metric): item record}`` of one stored run."""

VERDICT_COLUMNS: tuple[str, ...] = (
    "claim", "statement", "task", "condition", "metric", "subject", "comparator", "expectation", "band", "bound",
    "subject_mean", "comparator_mean", "diff_mean", "diff_ci_low", "diff_ci_high", "diff_ci_low_adj",
    "diff_ci_high_adj", "se_seeds", "se_test_set", "n", "p_support", "p_contradict", "p_support_adj",
    "p_contradict_adj", "seeds_needed", "verdict", "why", "holds_for_margins",
)


@dataclass
class _Comparison:
    """One claim's evidence before the family-wise adjustment."""

    claim: Claim
    condition: str
    metric: str
    comparators: list[str]
    evidence: list[PairedEvidence]
    subject_mean: float
    comparator_means: list[float]
    blocker: str = ""

    @property
    def sign(self) -> float:
        return -1.0 if self.metric in LOWER_IS_BETTER else 1.0

    def p_values(self) -> tuple[float, float]:
        if self.blocker:
            return math.nan, math.nan
        band = self.claim.practical_band(self.metric)
        support, contradict = regions(self.claim.expectation, len(self.evidence), band, self.claim.bound)
        return support.p_value(self.evidence), contradict.p_value(self.evidence)

    def seeds_needed(self) -> float:
        if self.blocker == "missing comparator" or not self.evidence:
            return math.nan
        band = self.claim.practical_band(self.metric)
        support, contradict = regions(self.claim.expectation, len(self.evidence), band, self.claim.bound)
        values = [value for value in (support.seeds(self.evidence), contradict.seeds(self.evidence))
                  if not math.isnan(value)]
        return min(values) if values else math.nan

    def closest(self) -> int:
        """Index of the comparison that decides a best/worst claim: the least favourable one."""
        if len(self.evidence) == 1:
            return 0
        means = [evidence.mean for evidence in self.evidence]
        return int(np.nanargmin(means) if self.claim.expectation == "best" else np.nanargmax(means))


def _values_by_seed(table: pd.DataFrame, task: str, condition: str, metric: str, label: str) -> pd.Series:
    cell = select_cell(table, task, condition, metric)
    cell = cell[cell["loss_label"] == label]
    return cell.groupby("seed")["value"].mean()


def _run_ids(table: pd.DataFrame, task: str, label: str) -> dict[int, str]:
    cell = table[(table["task"] == task) & (table["loss_label"] == label)]
    return dict(zip(cell["seed"], cell["run_id"]))


def _fixed_test_set(table: pd.DataFrame, task: str) -> bool:
    """Whether ``task``'s runs share one test set whatever the seed (a benchmark's fixed split)."""
    datasets = table.loc[table["task"] == task, "dataset"].unique()
    return any(not info.split_by_seed for info in map(_known_dataset, datasets) if info is not None)


def _known_dataset(name: str):
    """The record of dataset ``name``, or None when it is not known here (a plug-in's not
    loaded, a folder moved away)."""
    try:
        return dataset_info(name)
    except ValueError:
        return None


def _evidence(table: pd.DataFrame, task: str, condition: str, metric: str, subject: str, comparator: str,
              fixed: bool, items: ItemLoader | None) -> tuple[PairedEvidence, str]:
    """Oriented paired evidence of ``subject`` against ``comparator`` and a blocker ("" if none)."""
    paired = pd.concat([_values_by_seed(table, task, condition, metric, subject),
                        _values_by_seed(table, task, condition, metric, comparator)], axis=1, join="inner").dropna()
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    evidence = PairedEvidence(sign * (paired.iloc[:, 0] - paired.iloc[:, 1]).to_numpy())
    if not fixed:
        return evidence, ""
    records = []
    if items is not None:
        subject_ids, comparator_ids = _run_ids(table, task, subject), _run_ids(table, task, comparator)
        for seed in paired.index:
            pair = [items(task, ids[seed]).get((condition, metric)) for ids in (subject_ids, comparator_ids)]
            if pair[0] is None or pair[1] is None:
                break
            records.append(pair)
    if len(records) != len(paired) or not records:
        return evidence, "test-set noise unknown (no per-item results for the fixed test set)"
    se_items = standard_error_over_items([pair[0] for pair in records], [pair[1] for pair in records])
    return replace(evidence, se_items=se_items), ""


def _others(table: pd.DataFrame, claim: Claim, condition: str, metric: str, subject: str,
            default_labels: set[str]) -> list[str]:
    """Every other default loss with a value on the claim's cell (the same loss at another option excluded)."""
    cell = select_cell(table, claim.task, condition, metric)
    subject_name = LossLabel.parse(subject).name
    return [label for label in dict.fromkeys(cell["loss_label"])
            if label in default_labels and LossLabel.parse(label).name != subject_name]


def _compare(table: pd.DataFrame, claim: Claim, condition: str, metric: str, default_labels: set[str],
             items: ItemLoader | None, substitute: Mapping[str, str] | None = None) -> _Comparison:
    swap = dict(substitute or {})
    subject = swap.get(claim.subject, claim.subject)
    if claim.comparator == EVERY_OTHER:
        labels = {swap.get(label, label) for label in default_labels}
        comparators = _others(table, claim, condition, metric, subject, labels)
    else:
        comparators = [swap.get(claim.comparator, claim.comparator)]
    fixed = _fixed_test_set(table, claim.task)
    subject_values = _values_by_seed(table, claim.task, condition, metric, subject)
    evidence, blockers, means = [], [], []
    for comparator in comparators:
        found, blocker = _evidence(table, claim.task, condition, metric, subject, comparator, fixed, items)
        comparator_values = _values_by_seed(table, claim.task, condition, metric, comparator)
        evidence.append(found)
        blockers.append(blocker or ("missing comparator" if comparator_values.empty else ""))
        means.append(float(comparator_values.mean()) if len(comparator_values) else math.nan)
    comparison = _Comparison(claim, condition, metric, comparators, evidence,
                             float(subject_values.mean()) if len(subject_values) else math.nan, means)
    if subject_values.empty or not comparators or "missing comparator" in blockers:
        comparison.blocker = "missing comparator" if not subject_values.empty else "missing subject"
    elif any(blockers):
        comparison.blocker = next(blocker for blocker in blockers if blocker)
    elif min(found.n for found in evidence) < MIN_SEEDS:
        comparison.blocker = f"few seeds (n={min(found.n for found in evidence)} < {MIN_SEEDS})"
    elif any(found.degenerate for found in evidence):
        comparison.blocker = "degenerate (zero spread of the paired differences)"
    return comparison


def _decide(p_support: float, p_contradict: float) -> str:
    if p_support < ALPHA <= p_contradict or (p_support < ALPHA and math.isnan(p_contradict)):
        return "supported"
    if p_contradict < ALPHA <= p_support or (p_contradict < ALPHA and math.isnan(p_support)):
        return "contradicted"
    return "inconclusive"


def _near_threshold(p_value: float) -> str:
    """A note for an adjusted p-value within :data:`NEAR_FACTOR` of ``ALPHA`` on either side."""
    if ALPHA / NEAR_FACTOR < p_value < ALPHA * NEAR_FACTOR:
        return (f"; near the threshold (adjusted p within a factor of {NEAR_FACTOR:g} of {ALPHA}): "
                "another machine or more seeds may decide it otherwise")
    return ""


def _why(comparison: _Comparison, verdict: str, raw: tuple[float, float], adjusted: tuple[float, float]) -> str:
    if comparison.blocker:
        return comparison.blocker
    if verdict != "inconclusive":
        index = 0 if verdict == "supported" else 1
        return (f"{verdict}: Holm-adjusted p = {adjusted[index]:.2g} < {ALPHA} (raw {raw[index]:.2g})"
                + _near_threshold(adjusted[index]))
    closest = min(adjusted)
    if min(raw) < ALPHA:
        return f"decided before but not after Holm's adjustment (raw p = {min(raw):.2g})" + _near_threshold(closest)
    return "the interval reaches into both regions (neither supported nor contradicted)" + _near_threshold(closest)


def _margin_labels(table: pd.DataFrame, task: str) -> dict[float, str]:
    margins = {}
    for label in table.loc[table["task"] == task, "loss_label"].unique():
        parsed = LossLabel.parse(label)
        if parsed.name == "hem" and [key for key, _ in parsed.options] == ["margin"]:
            margins[parsed.hem_margin] = label
    return dict(sorted(margins.items()))


def _holds_for_margins(table: pd.DataFrame, comparison: _Comparison, verdict: str, default_labels: set[str],
                       items: ItemLoader | None, family: int) -> str:
    claim = comparison.claim
    involved = "hem" in (claim.subject, claim.comparator) or (claim.comparator == EVERY_OTHER and "hem" in
                                                               comparison.comparators)
    margins = _margin_labels(table, claim.task)
    if not involved or not margins:
        return ""
    held = []
    for margin, label in margins.items():
        variant = _compare(table, claim, comparison.condition, comparison.metric, default_labels, items,
                           substitute={"hem": label})
        p_support, p_contradict = variant.p_values()
        decided = "inconclusive" if variant.blocker else _decide(min(1.0, family * p_support),
                                                                 min(1.0, family * p_contradict))
        if decided == verdict:
            held.append(f"{margin:g}")
    return ", ".join(held) if held else "none"


def _adjust(p_values: Sequence[float]) -> list[float]:
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(values), math.nan)
    finite = np.isfinite(values)
    if finite.any():
        adjusted[finite] = multipletests(values[finite], method="holm")[1]
    return adjusted.tolist()


def verdicts(table: pd.DataFrame, preset: str, claims: Sequence[Claim] = CLAIMS,
             default_labels: Mapping[str, None] | set[str] | None = None, *,
             items: ItemLoader | None = None, timing: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per claim whose task is in ``table`` (columns :data:`VERDICT_COLUMNS`).

    ``default_labels``: the loss labels that ``best`` / ``worst`` claims compare with
    (default: every label without options, so margin-sweep variants do not compete).
    ``items``: loads a stored run's per-item records; needed for tasks on a fixed benchmark
    test set, where without them the claim stays inconclusive. ``timing``: the result of
    :func:`hemlab.stats.timing.measure_training_time`, which adds claim 7's row.
    """
    labels = set(default_labels) if default_labels is not None else {
        label for label in table["loss_label"].unique() if ":" not in label}
    heads = headlines(preset)
    present = set(table["task"])
    comparisons = []
    for claim in (claim for claim in claims if claim.task in present):
        condition = claim.condition or heads[claim.task].condition
        metric = claim.metric or heads[claim.task].metric
        comparisons.append(_compare(table, claim, condition, metric, labels, items))
    raw = [comparison.p_values() for comparison in comparisons]
    support_adj = _adjust([pair[0] for pair in raw])
    contradict_adj = _adjust([pair[1] for pair in raw])
    family = sum(1 for pair in raw if not math.isnan(pair[0]))
    records = []
    for comparison, raw_pair, adjusted in zip(comparisons, raw, zip(support_adj, contradict_adj)):
        verdict = "inconclusive" if comparison.blocker else _decide(*adjusted)
        records.append(_record(comparison, raw_pair, adjusted, verdict, max(family, 1)))
        records[-1]["holds_for_margins"] = _holds_for_margins(table, comparison, verdict, labels, items,
                                                              max(family, 1))
    if timing is not None:
        records.append(timing_record(timing))
    return pd.DataFrame(records, columns=list(VERDICT_COLUMNS))


def _record(comparison: _Comparison, raw: tuple[float, float], adjusted: tuple[float, float], verdict: str,
            family: int) -> dict:
    claim, k = comparison.claim, comparison.closest() if comparison.evidence else 0
    evidence = comparison.evidence[k] if comparison.evidence else PairedEvidence(np.array([]))
    sign = comparison.sign
    low, high = sorted(sign * bound for bound in evidence.interval(0.95))
    low_adj, high_adj = sorted(sign * bound for bound in evidence.interval(1 - 2 * ALPHA / family))
    comparator = comparison.comparators[k] if comparison.comparators else claim.comparator
    if claim.comparator == EVERY_OTHER:
        comparator = f"{EVERY_OTHER} (closest: {comparator})"
    return {
        "claim": claim.claim, "statement": claim.statement, "task": claim.task, "condition": comparison.condition,
        "metric": comparison.metric, "subject": claim.subject, "comparator": comparator,
        "expectation": claim.expectation, "band": claim.practical_band(comparison.metric), "bound": claim.bound,
        "subject_mean": comparison.subject_mean,
        "comparator_mean": comparison.comparator_means[k] if comparison.comparator_means else math.nan,
        "diff_mean": sign * evidence.mean, "diff_ci_low": low, "diff_ci_high": high, "diff_ci_low_adj": low_adj,
        "diff_ci_high_adj": high_adj, "se_seeds": evidence.sd / math.sqrt(evidence.n) if evidence.n > 1 else math.nan,
        "se_test_set": evidence.se_items, "n": evidence.n, "p_support": raw[0], "p_contradict": raw[1],
        "p_support_adj": adjusted[0], "p_contradict_adj": adjusted[1], "seeds_needed": comparison.seeds_needed(),
        "verdict": verdict, "why": _why(comparison, verdict, raw, adjusted),
    }


def timing_record(timing: Mapping[str, float]) -> dict:
    """Claim 7's row from a timing measurement (:func:`hemlab.stats.timing.measure_training_time`)."""
    claim = TIMING_CLAIM
    return {
        "claim": claim.claim, "statement": claim.statement, "task": claim.task, "condition": claim.condition,
        "metric": claim.metric, "subject": claim.subject, "comparator": claim.comparator,
        "expectation": claim.expectation, "band": claim.band, "bound": claim.bound,
        "subject_mean": timing["subject_seconds"], "comparator_mean": timing["comparator_seconds"],
        "diff_mean": timing["ratio"], "diff_ci_low": timing["ratio_low"], "diff_ci_high": timing["ratio_high"],
        "diff_ci_low_adj": math.nan, "diff_ci_high_adj": math.nan, "se_seeds": math.nan, "se_test_set": math.nan,
        "n": timing["rounds"], "p_support": math.nan, "p_contradict": math.nan, "p_support_adj": math.nan,
        "p_contradict_adj": math.nan, "seeds_needed": math.nan, "verdict": timing["verdict"], "why": timing["why"],
        "holds_for_margins": "",
    }


__all__ = ["ItemLoader", "MIN_SEEDS", "NEAR_FACTOR", "VERDICTS", "VERDICT_COLUMNS", "timing_record", "verdicts"]
