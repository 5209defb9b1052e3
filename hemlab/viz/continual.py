"""Continual learning: each loss's task-accuracy matrix as an annotated heatmap."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from matplotlib.figure import Figure

from hemlab.metrics import continual_metrics
from hemlab.viz._inputs import as_array, check_mapping
from hemlab.viz._layout import finish, panel_grid
from hemlab.viz.palette import is_hem, loss_colors

ACCURACY_CMAP = "viridis"


def _check_matrices(matrices: Any) -> dict[str, np.ndarray]:
    checked = {}
    for label, matrix in check_mapping(matrices, "matrices", "accuracy matrix (T, T)").items():
        array = as_array(matrix, f"matrices[{label!r}]", ndim=2).astype(np.float64)
        if array.shape[0] != array.shape[1] or array.shape[0] < 1:
            raise ValueError(f"matrices[{label!r}]: expected a square (T, T) matrix, got shape {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"matrices[{label!r}]: expected finite accuracies, found NaN or inf")
        checked[label] = array
    sizes = {array.shape[0] for array in checked.values()}
    if len(sizes) > 1:
        raise ValueError(f"matrices: expected the same number of tasks T for every loss, got {sorted(sizes)}")
    return checked


def plot_accuracy_matrices(matrices: Mapping[str, Any], *,
                           title: str = "Accuracy on each task after each training step") -> Figure:
    """Heatmaps of ``R[i, j]`` = accuracy on task ``j`` after training task ``i``, one per loss,
    annotated, on one colour scale (0 to 1, or to the largest entry when given in percent).

    Below the diagonal is what was kept of earlier tasks (forgetting shows as fading rows);
    the panel title gives :func:`hemlab.metrics.continual_metrics`' average accuracy and forgetting.

    Args:
        matrices: loss label -> ``(T, T)`` accuracy matrix (the same ``T`` for all).
        title: figure title ("" for none).

    Returns:
        A figure with one axis per loss (at most four per row) plus one colour-bar axis.
    """
    checked = _check_matrices(matrices)
    colors = loss_colors(list(checked))
    upper = 1.0 if max(array.max() for array in checked.values()) <= 1.0 else 100.0
    tasks = next(iter(checked.values())).shape[0]
    size = 1.2 + 0.55 * tasks
    figure, axes = panel_grid(len(checked), max_columns=4, panel_size=(size, size))
    for axis, (label, matrix) in zip(axes, checked.items()):
        image = axis.imshow(matrix, cmap=ACCURACY_CMAP, vmin=0.0, vmax=upper, aspect="auto")
        for (row, column), value in np.ndenumerate(matrix):
            shade = "black" if value > 0.6 * upper else "white"
            axis.text(column, row, f"{value:.2f}" if upper == 1.0 else f"{value:.0f}",
                      ha="center", va="center", fontsize="x-small" if tasks > 5 else "small", color=shade)
        summary = continual_metrics(matrix)
        axis.set_title(f"{label}\navg {summary['average_accuracy']:.2f}, forgetting {summary['forgetting']:.2f}",
                       color=colors[label], fontweight="bold" if is_hem(label) else "normal", fontsize="medium")
        axis.set_xticks(range(tasks))
        axis.set_yticks(range(tasks))
        axis.set(xlabel="evaluated on task j", ylabel="after training task i")
    figure.colorbar(image, ax=axes, label="accuracy" + (" (%)" if upper == 100.0 else ""), aspect=30)
    return finish(figure, title)
