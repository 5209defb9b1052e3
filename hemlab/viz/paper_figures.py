"""The figures ``hemlab paper`` writes beside its tables: the summary, the margin sweep and
the critical-difference diagram of the losses' average ranks."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from hemlab.io import atomic_path
from hemlab.tasks import LOWER_IS_BETTER, headlines, loss_ranks
from hemlab.viz.ranks import plot_critical_difference
from hemlab.viz.summary import plot_margin_sweep, plot_summary

FIGURE_DPI = 130


def headline_tuples(preset: str) -> dict[str, tuple[str, str, bool]]:
    """``task -> (condition, metric, higher_is_better)`` of ``preset``'s headlines, as the
    summary plots take them."""
    return {task: (head.condition, head.metric, head.metric not in LOWER_IS_BETTER)
            for task, head in headlines(preset).items()}


def save_paper_figures(summary: pd.DataFrame, preset: str, out_dir: str | Path) -> list[Path]:
    """Write ``summary.png`` (headline per task and loss), ``margin_sweep.png`` when the summary
    holds a margin sweep, and ``ranks.png`` (critical-difference diagram) when at least two
    tasks rank three losses, into ``out_dir``; return the paths written."""
    heads = {task: entry for task, entry in headline_tuples(preset).items() if task in set(summary["task"])}
    figures = {"summary.png": lambda: plot_summary(summary, heads,
                                                   title=f"HEM against the other losses ({preset} preset)")}
    swept = [task for task in heads if summary[(summary["task"] == task)
                                               & summary["loss_label"].str.startswith("hem:")].shape[0]]
    if swept:
        figures["margin_sweep.png"] = lambda: plot_margin_sweep(summary, heads, tasks=tuple(swept))
    ranking = loss_ranks(summary, preset)
    if len(ranking["ranks"]) >= 2 and len(ranking["average"]) >= 3:
        figures["ranks.png"] = lambda: plot_critical_difference(ranking)
    written = []
    for name, draw in figures.items():
        figure = draw()
        with atomic_path(Path(out_dir) / name) as temporary:
            figure.savefig(temporary, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
        plt.close(figure)
        written.append(Path(out_dir) / name)
    return written
