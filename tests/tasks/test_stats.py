"""Summaries, intervals and verdicts on hand-made tables whose answer is known."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from hemlab.stats import CLAIMS, EVERY_OTHER, Claim, headlines, metric_table, summarize, verdicts
from hemlab.stats.summary import confidence_interval


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


def _claim(expectation: str, comparator: str = "ce", **kwargs) -> tuple[Claim, ...]:
    return (Claim("x", "test", "clean_corrupt", "hem", comparator, expectation, **kwargs),)


SEEDS = 6
CE = [0.90, 0.91, 0.92, 0.90, 0.91, 0.92]


def _shifted(values: list[float], shift: float, noise: float = 0.004) -> list[float]:
    """``values + shift`` with a small, fixed alternating wobble (a nonzero spread)."""
    return [value + shift + (noise if index % 2 else -noise) for index, value in enumerate(values)]


@pytest.mark.parametrize("shift, expectation, kwargs, verdict", [
    (-0.05, "worse", {}, "supported"),
    (+0.05, "worse", {}, "contradicted"),
    (+0.05, "better", {}, "supported"),
    (-0.05, "better", {}, "contradicted"),
    (+0.002, "better", {"band": 0.02}, "contradicted"),        # inside the band: no practical gain
    (+0.002, "equivalent", {"band": 0.02}, "supported"),
    (+0.05, "equivalent", {"band": 0.02}, "contradicted"),
    (-0.01, "slightly_worse", {"bound": 0.02}, "supported"),
    (+0.01, "slightly_worse", {"bound": 0.02}, "contradicted"),   # better, not worse
    (-0.08, "slightly_worse", {"bound": 0.02}, "contradicted"),   # much worse, not slightly
    (-0.10, "much_worse", {"bound": 0.05}, "supported"),
    (-0.01, "much_worse", {"bound": 0.05}, "contradicted"),
])
def test_verdicts_on_known_answers(shift, expectation, kwargs, verdict):
    hem = _shifted(CE, shift)
    row = verdicts(_table({"hem": hem, "ce": CE}), "quick", claims=_claim(expectation, **kwargs)).iloc[0]
    assert row["verdict"] == verdict, row["why"]
    assert row["diff_mean"] == pytest.approx(np.mean(hem) - np.mean(CE))
    assert row["n"] == SEEDS and row["diff_ci_low"] <= row["diff_mean"] <= row["diff_ci_high"]
    assert row["diff_ci_low_adj"] <= row["diff_ci_low"] and row["diff_ci_high"] <= row["diff_ci_high_adj"]


def test_a_wide_interval_is_inconclusive_and_says_why():
    hem = [0.95, 0.80, 0.90, 0.85, 0.97, 0.83]
    row = verdicts(_table({"hem": hem, "ce": CE}), "quick", claims=_claim("better")).iloc[0]
    assert row["verdict"] == "inconclusive" and "both regions" in row["why"]


def test_the_raw_p_values_are_scipys_one_sample_t_test_and_tost_is_statsmodels():
    from statsmodels.stats.weightstats import ttost_paired

    hem = _shifted(CE, 0.004, noise=0.01)
    differences = np.array(hem) - np.array(CE)
    better = verdicts(_table({"hem": hem, "ce": CE}), "quick", claims=_claim("better")).iloc[0]
    assert better["p_support"] == pytest.approx(
        scipy_stats.ttest_1samp(differences, 0.0, alternative="greater").pvalue)
    equal = verdicts(_table({"hem": hem, "ce": CE}), "quick", claims=_claim("equivalent", band=0.02)).iloc[0]
    assert equal["p_support"] == pytest.approx(ttost_paired(np.array(hem), np.array(CE), -0.02, 0.02)[0])
    half = scipy_stats.t.ppf(0.975, SEEDS - 1) * differences.std(ddof=1) / math.sqrt(SEEDS)
    assert (better["diff_ci_low"], better["diff_ci_high"]) == (
        pytest.approx(differences.mean() - half), pytest.approx(differences.mean() + half))


def test_pairing_is_by_seed_not_by_order():
    hem = [0.5, 0.6, 0.7, 0.55, 0.65, 0.75]
    table = _table({"hem": hem, "ce": [value - 0.1 for value in hem]})
    shuffled = table.sample(frac=1.0, random_state=0)
    row = verdicts(shuffled, "quick", claims=_claim("better")).iloc[0]
    assert row["diff_mean"] == pytest.approx(0.1) and row["verdict"] == "inconclusive"
    assert row["why"].startswith("degenerate")   # identical differences: zero spread decides nothing


def test_lower_is_better_metrics_flip_the_direction():
    table = _table({"hem": [9.0, 9.1, 9.3, 9.0, 9.2, 9.1], "ce": [10.0, 10.1, 10.2, 10.1, 10.0, 10.2]},
                   condition="training", metric="epochs_to_target")
    row = verdicts(table, "quick", claims=_claim("better", condition="training", metric="epochs_to_target")).iloc[0]
    assert row["verdict"] == "supported" and row["diff_mean"] < 0


@pytest.mark.parametrize("values, why", [
    ({"hem": [0.99, 0.98, 0.99], "ce": [0.5, 0.52, 0.51]}, "few seeds (n=3 < 5)"),
    ({"hem": [0.9] * 6}, "missing comparator"),
    ({"hem": [0.95] * 6, "ce": [0.9] * 6}, "degenerate (zero spread of the paired differences)"),
])
def test_degenerate_estimates_decide_nothing(values, why):
    row = verdicts(_table(values), "quick", claims=_claim("better")).iloc[0]
    assert row["verdict"] == "inconclusive" and row["why"] == why


def test_holm_adjusts_over_the_family_and_can_undo_a_raw_decision():
    hem = _shifted(CE, 0.012, noise=0.01)
    one = verdicts(_table({"hem": hem, "ce": CE}), "quick", claims=_claim("better")).iloc[0]
    assert one["p_support"] < 0.025 and one["verdict"] == "supported"
    family = tuple(Claim(str(index), "test", "clean_corrupt", "hem", "ce", "better") for index in range(8))
    rows = verdicts(_table({"hem": hem, "ce": CE}), "quick", claims=family)
    assert np.allclose(rows["p_support_adj"], min(1.0, 8 * one["p_support"]))
    assert set(rows["verdict"]) == {"inconclusive"} and rows["why"].str.startswith("decided before").all()


def test_best_of_all_must_beat_every_other_loss_and_ignores_sweep_variants():
    base = [0.70, 0.71, 0.72, 0.70, 0.71, 0.72]
    table = _table({"hem": _shifted(base, 0.10), "ce": base, "mm": _shifted(base, 0.05, noise=0.002),
                    "hem:margin=0.5": [0.99] * 6}, task="continual", condition="protocol=replay",
                   metric="average_accuracy")
    claim = (Claim("5", "HEM best", "continual", "hem", EVERY_OTHER, "best"),)
    row = verdicts(table, "quick", claims=claim).iloc[0]
    assert row["comparator"] == f"{EVERY_OTHER} (closest: mm)" and row["verdict"] == "supported"
    table = pd.concat([table, _table({"la": _shifted(base, 0.12, noise=0.001)}, task="continual", condition="protocol=replay",
                                     metric="average_accuracy")])
    row = verdicts(table, "quick", claims=claim).iloc[0]
    assert row["comparator"].endswith("(closest: la)") and row["verdict"] == "contradicted"


def test_holds_for_margins_lists_the_margins_with_the_same_verdict():
    table = _table({"hem": _shifted(CE, 0.05), "ce": CE, "hem:margin=0.5": _shifted(CE, 0.04),
                    "hem:margin=4": _shifted(CE, -0.05)})
    row = verdicts(table, "quick", claims=_claim("better")).iloc[0]
    assert row["verdict"] == "supported" and row["holds_for_margins"] == "0.5"


def test_every_paper_claim_gets_a_row_with_a_known_verdict():
    heads = headlines("quick")
    rows = []
    for task, head in heads.items():
        losses = {"ce": _shifted([0.5] * SEEDS, 0.0), "hem": _shifted([0.6] * SEEDS, 0.0, noise=0.006),
                  "logitnorm": _shifted([0.6] * SEEDS, 0.001), "la": _shifted([0.7] * SEEDS, 0.0, noise=0.003),
                  "dice": _shifted([0.1] * SEEDS, 0.0, noise=0.002)}
        rows.append(_table(losses, task=task, condition=head.condition, metric=head.metric))
    result = verdicts(pd.concat(rows), "quick", timing={
        "subject_seconds": 1.0, "comparator_seconds": 1.2, "ratio": 0.8, "ratio_low": 0.78, "ratio_high": 0.82,
        "rounds": 15, "verdict": "supported", "why": "test"})
    assert list(result["claim"]) == [claim.claim for claim in CLAIMS] + ["7"]
    by_claim = result.set_index("claim")["verdict"]
    assert by_claim["1"] == "contradicted" and by_claim["3"] == "supported" and by_claim["2b"] == "supported"
    assert by_claim["4b"] == "supported" and by_claim["5"] == "contradicted" and by_claim["6b"] == "supported"
    assert by_claim["7"] == "supported" and by_claim["7b"] == "inconclusive"
    assert result.set_index("claim").loc["1b", "why"] == "missing subject"


def test_the_timing_verdict_needs_an_interval_narrower_than_the_band():
    from hemlab.stats.timing import NOT_MEASURABLE, timing_verdict

    assert timing_verdict(0.80, 0.85)[0] == "supported"
    assert timing_verdict(0.95, 1.02)[0] == "contradicted"
    assert timing_verdict(0.86, 0.93)[0] == "inconclusive"
    assert timing_verdict(0.70, 1.20)[0] == NOT_MEASURABLE
    assert timing_verdict(1.05, 1.30)[0] == "contradicted"   # wide, but wholly above 0.90


def test_summary_intervals_stay_inside_the_metric_range():
    summary = summarize(_table({"ce": [0.99, 1.0, 0.95]}))
    assert summary.iloc[0]["ci_high"] == 1.0 and summary.iloc[0]["ci_low"] < 0.99


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
    from hemlab.stats import headline_table

    table = _table({"hem": [0.9, 0.8], "ce": [0.7, 0.7], "hem:margin=0.5": [0.5, 0.5]})
    shown = headline_table(summarize(table), "quick")
    assert list(shown.columns) == ["ce", "hem"] and shown.loc["clean_corrupt (accuracy)", "hem"] == "0.850 ± 0.071"
    assert "hem:margin=0.5" in headline_table(summarize(table), "quick", variants=True).columns


def test_labels_of_plug_in_losses_that_are_not_loaded_still_read():
    table = _table({"hem": _shifted(CE, 0.05), "ce": CE, "sqhinge:alpha=0.3": CE, "hem:margin=0.5": _shifted(CE, 0.04)})
    row = verdicts(table, "quick", claims=_claim("better")).iloc[0]
    assert row["verdict"] == "supported" and row["holds_for_margins"] == "0.5"
    shown = metric_table(summarize(table), "clean_corrupt", [("clean", "accuracy")])
    assert list(shown.index) == ["ce", "hem", "hem:margin=0.5", "sqhinge:alpha=0.3"]
