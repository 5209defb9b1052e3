"""A cross-task picture: the average rank of each loss over the tasks' headlines (Demsar 2006).

On each task the losses are ranked by their mean headline value over seeds (rank 1 = best;
ties share the mean rank). The average rank over tasks is compared with the Friedman test
(``scipy.stats.friedmanchisquare``) and the Nemenyi critical difference

    CD = q_alpha * sqrt(k (k + 1) / (6 N)),   q_alpha = studentized range(1 - alpha; k, inf) / sqrt(2)

for ``k`` losses on ``N`` tasks: two losses whose average ranks differ by less than CD are
not told apart. Only losses with a headline on every task take part (Dice, which only
segments, is left out when the classification tasks are present). With six tasks the test
has little power: the diagram shows how the losses order, not a verdict.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from hemlab.stats.claims import headlines
from hemlab.tasks.result import LOWER_IS_BETTER, select_cell


def loss_ranks(summary: pd.DataFrame, preset: str, *, alpha: float = 0.05) -> dict[str, Any]:
    """Ranks of the default losses (labels without options) on every task's headline.

    Returns ``{"ranks": DataFrame (task x loss), "average": Series (loss -> mean rank, sorted),
    "friedman_statistic", "friedman_p", "critical_difference", "alpha"}``; the test values
    are NaN with fewer than 2 tasks or 3 losses.
    """
    columns = {}
    for task, head in headlines(preset).items():
        cell = select_cell(summary, task, head.condition, head.metric)
        cell = cell[~cell["loss_label"].str.contains(":")]
        if cell.empty:
            continue
        means = cell.set_index("loss_label")["mean"]
        columns[task] = (means if head.metric in LOWER_IS_BETTER else -means).rank(method="average")
    ranks = pd.DataFrame(columns).T.dropna(axis=1)
    if ranks.empty:
        return {"ranks": ranks, "average": pd.Series(dtype=float), "friedman_statistic": math.nan,
                "friedman_p": math.nan, "critical_difference": math.nan, "alpha": alpha}
    ranks = ranks.apply(lambda row: row.rank(method="average"), axis=1)
    average = ranks.mean().sort_values()
    tasks, losses = ranks.shape
    statistic = p_value = critical = math.nan
    if tasks >= 2 and losses >= 3:
        result = scipy_stats.friedmanchisquare(*(ranks[loss].to_numpy() for loss in ranks.columns))
        statistic, p_value = float(result.statistic), float(result.pvalue)
        q_alpha = scipy_stats.studentized_range.ppf(1 - alpha, losses, np.inf) / math.sqrt(2)
        critical = float(q_alpha * math.sqrt(losses * (losses + 1) / (6 * tasks)))
    return {"ranks": ranks, "average": average, "friedman_statistic": statistic, "friedman_p": p_value,
            "critical_difference": critical, "alpha": alpha}


__all__ = ["loss_ranks"]
