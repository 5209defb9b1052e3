"""The critical-difference diagram (Demsar 2006) of the losses' average ranks over tasks."""
from __future__ import annotations

import math
from typing import Any, Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from hemlab.viz.palette import loss_colors


def _groups(average: Mapping[str, float], critical: float) -> list[tuple[float, float]]:
    """Maximal runs of losses whose average ranks lie within ``critical`` of each other."""
    values = sorted(average.values())
    spans = []
    for start, low in enumerate(values):
        high = max(value for value in values[start:] if value - low < critical)
        if high > low and not any(other_low <= low and high <= other_high for other_low, other_high in spans):
            spans.append((low, high))
    return spans


def plot_critical_difference(ranking: Mapping[str, Any], *, title: str | None = None) -> Figure:
    """Average rank of each loss on a rank axis (1 = best, at the left), with a bar the length
    of the Nemenyi critical difference and thick lines joining the losses it does not tell
    apart. ``ranking`` is the result of :func:`hemlab.stats.loss_ranks`."""
    average = dict(ranking["average"])
    if not average:
        raise ValueError("ranking: expected average ranks of at least one loss, got none")
    critical = float(ranking["critical_difference"])
    count = len(average)
    colors = loss_colors(list(average))
    figure, axis = plt.subplots(figsize=(7.5, 1.6 + 0.32 * count))
    axis.set_xlim(count + 1.9, -0.9)   # rank 1 at the right, room for the labels at both ends
    axis.set_ylim(-(count * 0.8 + 0.5), 2.2)
    axis.axhline(0, color="black", linewidth=1)
    for rank in range(1, count + 1):
        axis.plot([rank, rank], [0, 0.15], color="black", linewidth=1)
        axis.text(rank, 0.3, str(rank), ha="center", va="bottom", fontsize=9)
    for row, (label, value) in enumerate(sorted(average.items(), key=lambda item: item[1])):
        height = -(row + 1) * 0.8
        left_side = row < (count + 1) // 2   # the better half is labelled on the right (rank 1's side)
        edge = 0.6 if left_side else count + 0.4
        axis.plot([value, value, edge], [0, height, height], color=colors[label], linewidth=1.6)
        axis.text(edge + (-0.08 if left_side else 0.08), height, f"{label} ({value:.2f})",
                  ha="left" if left_side else "right", va="center", fontsize=9, color=colors[label])
    if math.isfinite(critical):
        axis.plot([1, 1 + critical], [1.3, 1.3], color="black", linewidth=2)
        axis.text(1 + critical / 2, 1.45, f"CD = {critical:.2f}", ha="center", va="bottom", fontsize=9)
        for index, (low, high) in enumerate(_groups(average, critical)):
            level = -0.25 - 0.18 * index
            axis.plot([low - 0.03, high + 0.03], [level, level], color="black", linewidth=3, solid_capstyle="round")
    tasks = len(ranking["ranks"])
    friedman = ranking.get("friedman_p", math.nan)
    note = f"{tasks} tasks; Friedman p = {friedman:.2g}" if math.isfinite(friedman) else f"{tasks} tasks"
    axis.set_title(title or f"Average rank of each loss over the task headlines ({note})", fontsize=10)
    axis.axis("off")
    figure.tight_layout()
    return figure


__all__ = ["plot_critical_difference"]
