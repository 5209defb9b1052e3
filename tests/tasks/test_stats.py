"""Summaries, intervals and verdicts on hand-made tables whose answer is known."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from hemlab.tasks import CLAIMS, Claim, headlines, metric_table, summarize, verdicts
from hemlab.tasks.stats import confidence_interval, seeds_needed


def _table(values: dict[str, list[float]], task="clean_corrupt", condition="clean", metric="accuracy") -> pd.DataFrame:
    rows = [{"run_id": f"{label}-{seed}", "task": task, "dataset": "digits", "model": "mlp", "loss": label.split(":")[0],
             "loss_label": label, "seed": seed, "condition": condition, "metric": metric, "value": value,
             "seconds": 1.0}
            for label, per_seed in values.items() for seed, value in enumerate(per_seed)]
    return pd.DataFrame(rows)


def test_confidence_interval_is_the_t_interval():
    values = np.array([0.90, 0.92, 0.95, 0.91])
    mean, low, high, n = confidence_interval(values)
    half = scipy_stats.t.ppf(0.975, 3) * values.std(ddof=1) / 2
    assert (mean, n) == (pytest.approx(values.mean()), 4)
    assert (low, high) == (pytest.approx(values.mean() - half), pytest.approx(values.mean() + half))
    assert math.isnan(confidence_interval(np.array([0.5]))[1])
    assert confidence_interval(np.array([np.nan, 0.4, 0.6]))[3] == 2


def test_summarize_groups_over_seeds():
    summary = summarize(_table({"ce": [0.9, 0.8, 0.7], "hem": [0.5, 0.5, 0.5]}))
    ce = summary[summary["loss_label"] == "ce"].iloc[0]
    assert ce["mean"] == pytest.approx(0.8) and ce["std"] == pytest.approx(0.1) and ce["n"] == 3
    assert ce["ci_low"] < 0.8 < ce["ci_high"]
    hem = summary[summary["loss_label"] == "hem"].iloc[0]
    assert hem["ci_low"] == hem["ci_high"] == pytest.approx(0.5)


def _claim(expectation: str, **kwargs) -> tuple[Claim, ...]:
    return (Claim("x", "test", "clean_corrupt", "hem", "ce", expectation, **kwargs),)


@pytest.mark.parametrize("hem, ce, expectation, verdict", [
    ([0.80, 0.81, 0.79], [0.90, 0.91, 0.92], "worse", "supported"),
    ([0.95, 0.96, 0.97], [0.90, 0.91, 0.92], "worse", "contradicted"),
    ([0.95, 0.80, 0.90], [0.90, 0.91, 0.85], "worse", "inconclusive"),
    ([0.95, 0.96, 0.97], [0.90, 0.91, 0.92], "better", "supported"),
    ([0.80, 0.81, 0.79], [0.90, 0.91, 0.92], "better", "contradicted"),
    ([0.901, 0.911, 0.921], [0.90, 0.91, 0.92], "equivalent", "supported"),
    ([0.95, 0.96, 0.97], [0.90, 0.91, 0.92], "equivalent", "contradicted"),
    ([0.95, 0.80, 0.90], [0.90, 0.91, 0.85], "equivalent", "inconclusive"),
])
def test_verdicts_on_known_answers(hem, ce, expectation, verdict):
    table = _table({"hem": hem, "ce": ce})
    result = verdicts(table, "quick", claims=_claim(expectation, tolerance=0.02))
    row = result.iloc[0]
    assert row["verdict"] == verdict
    assert row["diff_mean"] == pytest.approx(np.mean(hem) - np.mean(ce))
    assert row["n"] == 3


def test_pairing_is_by_seed_not_by_order():
    table = _table({"hem": [0.5, 0.6, 0.7], "ce": [0.4, 0.5, 0.6]})
    shuffled = table.sample(frac=1.0, random_state=0)
    row = verdicts(shuffled, "quick", claims=_claim("better")).iloc[0]
    assert row["diff_ci_low"] == pytest.approx(0.1) and row["verdict"] == "supported"


def test_lower_is_better_metrics_flip_the_direction():
    table = _table({"hem": [9.0, 9.1, 9.2], "ce": [10.0, 10.1, 10.2]}, condition="training", metric="train_seconds")
    row = verdicts(table, "quick", claims=_claim("better", condition="training", metric="train_seconds")).iloc[0]
    assert row["verdict"] == "supported" and row["diff_mean"] == pytest.approx(-1.0)


def test_one_seed_is_inconclusive_and_missing_losses_do_not_crash():
    row = verdicts(_table({"hem": [0.9], "ce": [0.5]}), "quick", claims=_claim("better")).iloc[0]
    assert row["verdict"] == "inconclusive" and row["n"] == 1
    row = verdicts(_table({"hem": [0.9, 0.8]}), "quick", claims=_claim("better")).iloc[0]
    assert row["verdict"] == "inconclusive" and row["n"] == 0


def test_best_other_compares_with_the_best_default_loss_and_ignores_sweep_variants():
    table = _table({"hem": [0.80, 0.81, 0.82], "ce": [0.70, 0.71, 0.72], "mm": [0.75, 0.76, 0.77],
                    "hem:margin=0.5": [0.99, 0.99, 0.99]}, task="continual", condition="final",
                   metric="average_accuracy")
    claim = (Claim("5", "HEM best", "continual", "hem", "best_other", "better"),)
    row = verdicts(table, "quick", claims=claim).iloc[0]
    assert row["comparator"] == "mm" and row["verdict"] == "supported"


def test_every_paper_claim_gets_a_row_with_a_known_verdict():
    heads = headlines("quick")
    rows = []
    for task, head in heads.items():
        losses = {"ce": [0.5, 0.52, 0.51], "hem": [0.6, 0.61, 0.62], "logitnorm": [0.6, 0.6, 0.6],
                  "la": [0.7, 0.7, 0.7], "dice": [0.1, 0.1, 0.1]}
        rows.append(_table(losses, task=task, condition=head.condition, metric=head.metric))
    rows.append(_table({"ce": [10, 10, 10], "hem": [9, 9.2, 9.1]}, condition="training", metric="train_seconds"))
    result = verdicts(pd.concat(rows), "quick")
    assert list(result["claim"]) == [claim.claim for claim in CLAIMS]
    assert set(result["verdict"]) <= {"supported", "contradicted", "inconclusive"}
    by_claim = result.set_index("claim")["verdict"]
    assert by_claim["1"] == "contradicted" and by_claim["3"] == "supported" and by_claim["7"] == "supported"
    assert by_claim["7b"] == "inconclusive"


def test_seeds_needed_grows_with_noise():
    assert seeds_needed(np.array([0.25, 0.25, 0.25])) == 2
    noisy = seeds_needed(np.array([0.05, -0.02, 0.04]))
    quiet = seeds_needed(np.array([0.05, 0.01, 0.04]))
    assert noisy > quiet >= 2
    assert math.isnan(seeds_needed(np.array([0.1, -0.1])))


def test_metric_table_shows_mean_std_and_interval_per_loss_in_loss_order():
    table = pd.concat([_table({"hem:margin=2": [0.7, 0.8, 0.9], "ce": [0.9, 0.8, 0.7], "hem": [0.6, 0.6, 0.6],
                               "hem:margin=0.5": [0.5, 0.5, 0.5]}),
                       _table({"ce": [0.1, 0.2]}, metric="ece")])
    summary = summarize(table)
    shown = metric_table(summary, "clean_corrupt", [("clean", "accuracy"), ("clean", "ece")], digits=2)
    assert list(shown.index) == ["ce", "hem", "hem:margin=0.5", "hem:margin=2"]
    assert list(shown.columns) == ["accuracy @ clean", "ece @ clean"]
    ce = summary[(summary["loss_label"] == "ce") & (summary["metric"] == "accuracy")].iloc[0]
    assert shown.loc["ce", "accuracy @ clean"] == f"0.80 ± 0.10 [{ce['ci_low']:.2f}, {ce['ci_high']:.2f}]"
    assert shown.loc["hem", "accuracy @ clean"] == "0.60 ± 0.00 [0.60, 0.60]"
    assert shown.loc["hem", "ece @ clean"] == ""
    one_seed = metric_table(summarize(_table({"ce": [0.5]})), "clean_corrupt", [("clean", "accuracy")])
    assert one_seed.loc["ce", "accuracy @ clean"] == "0.500 (n=1)"


def test_metric_table_names_a_cell_without_rows():
    with pytest.raises(ValueError, match="cells: .*'corrupted', 'accuracy'"):
        metric_table(summarize(_table({"ce": [0.5, 0.6]})), "clean_corrupt", [("corrupted", "accuracy")])


def test_headline_table_orders_losses_and_hides_sweep_variants():
    from hemlab.tasks import headline_table

    table = _table({"hem": [0.9, 0.8], "ce": [0.7, 0.7], "hem:margin=0.5": [0.5, 0.5]})
    shown = headline_table(summarize(table), "quick")
    assert list(shown.columns) == ["ce", "hem"] and shown.loc["clean_corrupt (accuracy)", "hem"] == "0.850 ± 0.071"
    assert "hem:margin=0.5" in headline_table(summarize(table), "quick", variants=True).columns
