"""Paired evidence for one comparison, and the one-sided tests a claim is decided from.

A comparison of two losses is paired by seed: ``d_s`` = subject minus comparator with seed
``s`` (the same split, data order and initial weights), *oriented* so that positive means
"subject better". Its standard error is

    se = sqrt(sd(d)^2 / n + se_items^2)

where ``se_items`` is the test set's own sampling error (:mod:`hemlab.tasks.item_records`; 0 when
the seed redraws the test set, so that ``sd(d)`` already holds it). Each claim is decided
from one-sided t-tests (``n - 1`` degrees of freedom) of half-lines ``d > b`` or ``d < b``
at ``ALPHA = 0.025`` each, so that a raw decision is exactly "the two-sided 95% interval lies
beyond ``b``". A region that is an intersection of half-lines (``-band < d < band``: the two
one-sided tests, TOST) gets the largest p-value of its parts (intersection-union test); a
union of half-lines gets the Bonferroni-corrected smallest one. With ``se_items = 0`` the
p-values are those of ``scipy.stats.ttest_1samp`` and the TOST is statsmodels'
``ttost_paired`` (the tests check both).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as scipy_stats
from statsmodels.stats.power import TTestPower

ALPHA = 0.025
"""Level of each one-sided test (a two-sided 95% interval)."""
POWER = 0.8
"""Power that ``seeds_needed`` asks for."""
MAX_SEEDS = 1000


@dataclass(frozen=True)
class PairedEvidence:
    """Oriented paired differences ``(n,)`` over seeds, and the test set's standard error."""

    differences: np.ndarray
    se_items: float = 0.0

    @property
    def n(self) -> int:
        return len(self.differences)

    @property
    def mean(self) -> float:
        return float(np.mean(self.differences)) if self.n else math.nan

    @property
    def sd(self) -> float:
        return float(np.std(self.differences, ddof=1)) if self.n > 1 else math.nan

    @property
    def se(self) -> float:
        return math.sqrt(self.sd ** 2 / self.n + self.se_items ** 2) if self.n > 1 else math.nan

    @property
    def degenerate(self) -> bool:
        """Fewer than 2 seeds, or no spread at all (a zero-width interval decides nothing)."""
        return self.n < 2 or not self.se > 0

    def p_above(self, bound: float) -> float:
        """One-sided p-value of ``d > bound`` (null: ``d <= bound``)."""
        if self.degenerate:
            return math.nan
        return float(scipy_stats.t.sf((self.mean - bound) / self.se, self.n - 1))

    def p_below(self, bound: float) -> float:
        """One-sided p-value of ``d < bound`` (null: ``d >= bound``)."""
        if self.degenerate:
            return math.nan
        return float(scipy_stats.t.sf((bound - self.mean) / self.se, self.n - 1))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided ``level`` t-interval of the mean oriented difference."""
        if self.degenerate:
            return (self.mean, self.mean) if self.n > 1 else (math.nan, math.nan)
        half = float(scipy_stats.t.ppf(0.5 + level / 2, self.n - 1)) * self.se
        return self.mean - half, self.mean + half

    def seeds_for(self, bound: float, direction: int) -> float:
        """Paired seeds for the one-sided test of ``direction * (d - bound) > 0`` to reach
        :data:`POWER` if the observed mean and spread held (inf: unreachable)."""
        if self.n < 2 or not self.sd > 0:
            return math.nan
        effect = direction * (self.mean - bound)
        if effect <= 0:
            return math.inf
        if self.se_items == 0:
            sizes = np.arange(2, MAX_SEEDS + 1)
            power = TTestPower().power(effect_size=effect / self.sd, nobs=sizes, alpha=ALPHA, alternative="larger")
            reached = np.flatnonzero(power >= POWER)
            return float(sizes[reached[0]]) if len(reached) else math.inf
        for n in range(2, MAX_SEEDS + 1):
            spread = math.sqrt(self.sd ** 2 / n + self.se_items ** 2)
            if effect / spread >= scipy_stats.t.ppf(1 - ALPHA, n - 1) + scipy_stats.t.ppf(POWER, n - 1):
                return float(n)
        return math.inf


@dataclass(frozen=True)
class HalfLine:
    """The statement ``direction * (d_k - bound) > 0`` about comparison ``k``."""

    k: int
    bound: float
    direction: int

    def p_value(self, evidence: Sequence[PairedEvidence]) -> float:
        e = evidence[self.k]
        return e.p_above(self.bound) if self.direction > 0 else e.p_below(self.bound)

    def seeds(self, evidence: Sequence[PairedEvidence]) -> float:
        return evidence[self.k].seeds_for(self.bound, self.direction)


@dataclass(frozen=True)
class Region:
    """``all`` of the half-lines (an intersection) or ``any`` of them (a union)."""

    combine: str
    parts: tuple[HalfLine, ...]

    def p_value(self, evidence: Sequence[PairedEvidence]) -> float:
        values = [part.p_value(evidence) for part in self.parts]
        if any(math.isnan(value) for value in values):
            return math.nan
        if self.combine == "all":
            return max(values)
        return min(1.0, len(values) * min(values))

    def seeds(self, evidence: Sequence[PairedEvidence]) -> float:
        values = [part.seeds(evidence) for part in self.parts]
        if any(math.isnan(value) for value in values):
            return math.nan
        return max(values) if self.combine == "all" else min(values)


def regions(expectation: str, comparisons: int, band: float, bound: float) -> tuple[Region, Region]:
    """``(supported, contradicted)`` regions of ``expectation`` (table in :mod:`hemlab.stats.claims`)."""
    def every(*parts: HalfLine) -> Region:
        return Region("all", parts)

    def some(*parts: HalfLine) -> Region:
        return Region("any", parts)

    ks = range(comparisons)
    table = {
        "better": (every(HalfLine(0, 0.0, +1)), some(HalfLine(0, band, -1))),
        "worse": (every(HalfLine(0, 0.0, -1)), some(HalfLine(0, -band, +1))),
        "slightly_worse": (every(HalfLine(0, -bound, +1), HalfLine(0, 0.0, -1)),
                           some(HalfLine(0, 0.0, +1), HalfLine(0, -bound, -1))),
        "much_worse": (every(HalfLine(0, -bound, -1)), some(HalfLine(0, -bound, +1))),
        "equivalent": (every(HalfLine(0, -band, +1), HalfLine(0, band, -1)),
                       some(HalfLine(0, band, +1), HalfLine(0, -band, -1))),
        "best": (every(*(HalfLine(k, bound, +1) for k in ks)), some(*(HalfLine(k, max(bound, band), -1) for k in ks))),
        "worst": (every(*(HalfLine(k, -bound, -1) for k in ks)),
                  some(*(HalfLine(k, -max(bound, band), +1) for k in ks))),
    }
    if expectation not in table:
        raise ValueError(f"expectation: expected one of {', '.join(table)}, got {expectation!r}")
    return table[expectation]


__all__ = ["ALPHA", "HalfLine", "MAX_SEEDS", "POWER", "PairedEvidence", "Region", "regions"]
