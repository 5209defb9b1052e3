"""The verdict rule on simulated experiments whose truth is known.

Each simulated experiment trains nothing: two "losses" A and B score test items, where
each item has its own chance of being classified correctly by each loss. The tests check
the error rates of the decision the verdicts are made of (``PairedEvidence`` with the
test-set term, and the ``better`` claim's regions), and that the rule without the
test-set term would fail the first check, so the check can fail.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.power import TTestPower

from hemlab.stats import Claim, verdicts
from hemlab.stats.evidence import ALPHA, PairedEvidence, regions
from hemlab.tasks.item_records import item_artifacts, item_records, standard_error_over_items

DRAWS = 2000
SEEDS = 6
ITEMS = 300


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _null_test_set(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-item chances of A and B on a freshly drawn fixed test set: equal in the population
    (the item effect ``delta`` is symmetric), unequal on any one test set."""
    ease = rng.normal(1.5, 1.0, ITEMS)
    delta = rng.normal(0.0, 1.0, ITEMS)
    return _sigmoid(ease + delta), _sigmoid(ease - delta)


def _supported(evidence: PairedEvidence) -> bool:
    support, _ = regions("better", 1, band=0.01, bound=0.0)
    return support.p_value([evidence]) < ALPHA


def _monte_carlo_bound(rate: float) -> float:
    return rate + 3 * math.sqrt(rate * (1 - rate) / DRAWS)


def test_a_fixed_test_set_with_item_effects_gives_at_most_alpha_false_supports():
    rng = np.random.default_rng(0)
    with_items = without_items = 0
    for _ in range(DRAWS):
        chance_a, chance_b = _null_test_set(rng)
        correct_a = rng.random((SEEDS, ITEMS)) < chance_a
        correct_b = rng.random((SEEDS, ITEMS)) < chance_b
        differences = correct_a.mean(axis=1) - correct_b.mean(axis=1)
        se_items = standard_error_over_items([{"correct": row} for row in correct_a],
                                           [{"correct": row} for row in correct_b], n_resamples=200,
                                           seed=int(rng.integers(1 << 30)))
        with_items += _supported(PairedEvidence(differences, se_items))
        without_items += _supported(PairedEvidence(differences))
    assert with_items / DRAWS <= _monte_carlo_bound(2 * ALPHA), with_items / DRAWS
    assert without_items / DRAWS > 3 * ALPHA, without_items / DRAWS   # leaving the test set out is unsafe


def test_a_planted_effect_is_found_at_the_stated_power():
    rng = np.random.default_rng(1)
    seeds, effect = 10, 0.025

    def paired_difference() -> float:
        """One seed: a new test set (as the quick preset draws it), A better by ``effect``."""
        ease = rng.normal(1.5, 1.0, ITEMS)
        chance_b = _sigmoid(ease)
        chance_a = np.clip(chance_b + effect, 0, 1)
        return float(np.mean(rng.random(ITEMS) < chance_a) - np.mean(rng.random(ITEMS) < chance_b))

    spread = np.std([paired_difference() for _ in range(4000)], ddof=1)
    stated = float(TTestPower().power(effect_size=effect / spread, nobs=seeds, alpha=ALPHA, alternative="larger"))
    assert 0.3 < stated < 0.95
    found = sum(_supported(PairedEvidence(np.array([paired_difference() for _ in range(seeds)])))
                for _ in range(DRAWS))
    margin = 3 * math.sqrt(stated * (1 - stated) / DRAWS)
    assert abs(found / DRAWS - stated) < margin + 0.02


def test_verdicts_add_the_test_set_term_for_a_fixed_benchmark_from_stored_items():
    rng = np.random.default_rng(2)
    chance_a, chance_b = _null_test_set(rng)
    rows, items = [], {}
    for label, chance in (("hem", chance_a), ("ce", chance_b)):
        for seed in range(SEEDS):
            correct = rng.random(ITEMS) < chance
            run_id = f"{label}-{seed}"
            items[run_id] = item_records(item_artifacts("clean", "accuracy", correct=correct))
            rows.append({"run_id": run_id, "task": "clean_corrupt", "dataset": "cifar10", "model": "resnet18",
                         "loss": label, "loss_label": label, "seed": seed, "condition": "clean",
                         "metric": "accuracy", "value": correct.mean(), "seconds": 1.0})
    table = pd.DataFrame(rows)
    claim = (Claim("x", "test", "clean_corrupt", "hem", "ce", "better"),)
    row = verdicts(table, "paper", claims=claim, items=lambda task, run_id: items[run_id]).iloc[0]
    assert row["se_test_set"] > row["se_seeds"] > 0
    blind = verdicts(table, "paper", claims=claim).iloc[0]
    assert blind["verdict"] == "inconclusive" and blind["why"].startswith("test-set noise unknown")
    embedded = verdicts(table.assign(dataset="digits"), "quick", claims=claim).iloc[0]
    assert embedded["se_test_set"] == 0.0


@pytest.mark.parametrize("fields", [
    {"score": np.r_[np.linspace(0, 1, 40), np.linspace(0.3, 1.3, 40)], "is_known": np.r_[np.zeros(40), np.ones(40)]},
    {"correct": np.arange(60) % 3 == 0, "group": np.arange(60) % 4},
    {"intersection": np.arange(24).reshape(6, 4) % 5, "union": np.arange(24).reshape(6, 4) % 5 + 3},
])
def test_the_test_set_term_of_any_metric_is_a_positive_bootstrap_error(fields):
    records = item_records(item_artifacts("c", "m", **fields))[("c", "m")]
    rng = np.random.default_rng(3)
    other = {key: (value if key in ("is_known", "group", "union") else
                   np.clip(value + rng.normal(0, 0.3, value.shape), 0, None).astype(value.dtype))
             for key, value in records.items()}
    error = standard_error_over_items([records, records], [other, other], n_resamples=100)
    assert 0 < error < 1
