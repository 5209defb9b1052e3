"""Long-tailed training: how each loss's per-class accuracy falls with the class's training size."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from hemlab.metrics import per_class_accuracy
from hemlab.viz._inputs import as_array, check_runs
from hemlab.viz._layout import finish, loss_legend, panel_grid
from hemlab.viz.palette import line_style, loss_colors

SHOT_THRESHOLDS = (20, 100)
"""Few-shot classes have fewer than 20 training images, many-shot more than 100 (Liu et al. 2019)."""
MAX_TREND_BINS = 10


def _check_counts(class_counts: Any) -> np.ndarray:
    counts = as_array(class_counts, "class_counts", ndim=1)
    if counts.size < 2 or not np.issubdtype(counts.dtype, np.integer) or counts.min() < 1:
        raise ValueError(f"class_counts: expected (C,) positive integer training counts with C >= 2, "
                         f"got dtype {counts.dtype}, shape {counts.shape}")
    return counts


def _trend(counts: np.ndarray, accuracies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean accuracy per training size, or, with more than :data:`MAX_TREND_BINS` distinct sizes,
    per log-spaced bin of sizes, placed at the geometric-mean size of the classes it holds;
    bins with no measured class are dropped."""
    distinct = np.unique(counts)
    if distinct.size <= MAX_TREND_BINS:
        bin_of = np.searchsorted(distinct, counts)
    else:
        edges = np.geomspace(distinct[0], distinct[-1], MAX_TREND_BINS + 1)
        bin_of = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, MAX_TREND_BINS - 1)
    centres, means = [], []
    for index in np.unique(bin_of):
        members = (bin_of == index) & ~np.isnan(accuracies)
        if members.any():
            centres.append(np.exp(np.log(counts[members]).mean()))
            means.append(accuracies[members].mean())
    return np.array(centres), np.array(means)


def plot_per_class_accuracy_vs_count(class_counts: Any, runs: Mapping[str, Any], *,
                                     shot_thresholds: Sequence[float] = SHOT_THRESHOLDS,
                                     title: str = "Per-class accuracy vs training class size") -> Figure:
    """Per-class test accuracy (recall) against each class's training-set size, one colour per loss.

    Each class is a dot; the line is the mean accuracy of the classes of each training size
    (with more than ten sizes, of each log-spaced bin of sizes). Dotted lines mark the few-shot and
    many-shot boundaries when they fall inside the range.

    Args:
        class_counts: ``(C,)`` training images per class (positive integers).
        runs: loss label -> ``(logits (N, C), targets (N,))`` on the (balanced) test set.
        shot_thresholds: the class sizes that bound the few-shot and many-shot groups, in any order
            (default 20 and 100; a task preset may use others, ``TaskSettings.shot_thresholds``).
        title: figure title ("" for none).

    Returns:
        A figure with one axis, log-scaled x, one trend line per loss.
    """
    counts = _check_counts(class_counts)
    checked = check_runs(runs)
    thresholds = sorted(as_array(shot_thresholds, "shot_thresholds", ndim=1).tolist())
    if not all(np.isfinite(thresholds)) or min(thresholds, default=1) <= 0:
        raise ValueError(f"shot_thresholds: expected positive class sizes, got {shot_thresholds!r}")
    for label, (logits, _) in checked.items():
        if logits.shape[1] != counts.size:
            raise ValueError(f"runs[{label!r}] logits: expected {counts.size} classes like class_counts, "
                             f"got shape {tuple(logits.shape)}")
    colors = loss_colors(list(checked))
    figure, (axis,) = panel_grid(1, max_columns=1, panel_size=(7.0, 4.4))
    for label, (logits, targets) in checked.items():
        accuracies = per_class_accuracy(logits, targets, counts.size).numpy()
        style = line_style(label, colors)
        axis.scatter(counts, accuracies, s=18, alpha=0.55, color=style["color"], zorder=style["zorder"])
        axis.plot(*_trend(counts, accuracies), marker="", label=label, **style)
    axis.set_xscale("log")
    for threshold in thresholds:
        if counts.min() < threshold < counts.max():
            axis.axvline(threshold, color="grey", linestyle=":", linewidth=1)
            axis.text(threshold, 1.0, f" {threshold:g}", transform=axis.get_xaxis_transform(), va="top",
                      fontsize="small", color="grey")
    axis.set(xlabel="training images of the class (log scale)", ylabel="per-class test accuracy (recall)",
             title=f"{counts.size} classes, imbalance ratio {counts.max() / counts.min():.0f}")
    axis.grid(alpha=0.3, which="both")
    loss_legend(figure, list(checked), colors)
    return finish(figure, title)
