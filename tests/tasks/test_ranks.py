"""Average ranks over the task headlines, the Friedman test and the Nemenyi critical difference."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from hemlab.stats import headlines, loss_ranks
from hemlab.viz import plot_critical_difference


def _summary(means: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for (task, head), index in zip(headlines("quick").items(), range(6)):
        for label, values in means.items():
            rows.append({"task": task, "condition": head.condition, "metric": head.metric, "loss_label": label,
                         "mean": values[index]})
    return pd.DataFrame(rows)


def test_ranks_order_the_losses_per_task_and_average_them():
    means = {"a": [0.9] * 6, "b": [0.8, 0.8, 0.8, 0.8, 0.95, 0.8], "c": [0.7] * 6, "hem:margin=2": [1.0] * 6}
    ranking = loss_ranks(_summary(means), "quick")
    assert list(ranking["ranks"].columns) == ["a", "b", "c"]   # sweep variants take no part
    assert ranking["average"].to_dict() == pytest.approx({"a": 7 / 6, "b": 11 / 6, "c": 3.0})
    expected = scipy_stats.friedmanchisquare(*(ranking["ranks"][loss] for loss in "abc"))
    assert ranking["friedman_p"] == pytest.approx(expected.pvalue)


def test_the_critical_difference_is_demsars_for_six_losses_on_six_tasks():
    means = {name: [0.9 - 0.01 * index] * 6 for index, name in enumerate("abcdef")}
    ranking = loss_ranks(_summary(means), "quick")
    assert ranking["critical_difference"] == pytest.approx(2.850 * math.sqrt(6 * 7 / 36), abs=0.01)


def test_a_loss_missing_on_a_task_is_left_out_and_too_little_gives_nan():
    means = {"a": [0.9] * 6, "b": [0.8] * 6, "c": [0.7] * 6}
    summary = _summary(means)
    summary = pd.concat([summary, summary.iloc[[0]].assign(loss_label="dice")])
    assert "dice" not in loss_ranks(summary, "quick")["average"]
    assert math.isnan(loss_ranks(summary[summary["loss_label"] != "c"], "quick")["critical_difference"])


def test_the_diagram_names_every_loss_with_its_average_rank():
    means = {name: [0.9 - 0.01 * index] * 6 for index, name in enumerate(["ce", "hem", "mm"])}
    figure = plot_critical_difference(loss_ranks(_summary(means), "quick"))
    texts = {text.get_text() for text in figure.axes[0].texts}
    assert {"ce (1.00)", "hem (2.00)", "mm (3.00)"} <= texts and any(text.startswith("CD = ") for text in texts)
    plt.close(figure)
    with pytest.raises(ValueError, match="ranking: expected average ranks"):
        plot_critical_difference({"average": {}, "critical_difference": math.nan, "ranks": pd.DataFrame()})
