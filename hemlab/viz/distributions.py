"""How each loss shapes the logits: the true-class and rival logits, logit norms and decision margins.

Cross-entropy's gradient never reaches zero, so it keeps pushing the true logit up and the rivals
down on every sample; a margin loss such as HEM puts no gradient on a training sample once
``z_y - max_{j != y} z_j >= mu`` (Spratling & Schuett, arXiv 2501.12191). That does not make
the margins pile up at ``mu``: the shared weights keep moving for the samples still in error,
and the solved samples' margins grow with them, so on test images HEM's margins typically lie
well above ``mu`` and grow with it (notebook 02 measures them per margin). These plots show
where a loss leaves the logits, not why.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from matplotlib.figure import Figure

from hemlab.metrics import classification_margins, logit_norms
from hemlab.viz._inputs import check_runs
from hemlab.viz._layout import finish, loss_legend, panel_grid
from hemlab.viz.palette import HEM_COLOR, is_hem, line_style, loss_colors

RunsLike = Mapping[str, Any]
"""label -> ``(logits (N, C), targets (N,))``, tensors or numpy arrays (float16 logits are fine)."""


def _shared_bins(samples: list[np.ndarray], bins: int) -> np.ndarray:
    """``bins + 1`` edges covering every sample (the 0.5th to 99.5th percentile of each, so a
    few extreme CE logits do not squeeze every other loss into one bin)."""
    low = min(np.percentile(sample, 0.5) for sample in samples)
    high = max(np.percentile(sample, 99.5) for sample in samples)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def plot_logit_distributions(runs: RunsLike, *, bins: int = 50, title: str = "Logit distributions") -> Figure:
    """Histograms, per loss, of the true-class logit ``z_y``, the strongest rival logit
    ``max_{j != y} z_j`` and the logit norm ``||z||_2``: three panels, one colour per loss.

    Args:
        runs: loss label -> ``(logits (N, C), targets (N,))`` (tensors or arrays, any float dtype).
        bins: histogram bins per panel, shared by all losses (values beyond the 0.5th-99.5th
            percentile range are left out of the picture, not of the statistics).
        title: figure title ("" for none).

    Returns:
        A figure with three axes; each loss is one step histogram (density) per axis.
    """
    checked = check_runs(runs)
    colors = loss_colors(list(checked))
    columns = {"true": [], "rival": [], "norm": []}
    for logits, targets in checked.values():
        index = targets[:, None]
        columns["true"].append(logits.gather(1, index).squeeze(1).numpy())
        columns["rival"].append(logits.scatter(1, index, float("-inf")).amax(dim=1).numpy())
        columns["norm"].append(logit_norms(logits).numpy())
    figure, axes = panel_grid(3, max_columns=3, panel_size=(4.2, 3.4))
    panels = (("true", "true-class logit $z_y$", "true-class logit"),
              ("rival", r"strongest rival logit $\mathrm{max}_{j \neq y}\, z_j$", "strongest rival logit"),
              ("norm", r"logit norm $\|z\|_2$", "logit L2 norm"))
    for axis, (key, xlabel, panel_title) in zip(axes, panels):
        edges = _shared_bins(columns[key], bins)
        for label, values in zip(checked, columns[key]):
            axis.hist(values, bins=edges, density=True, histtype="step", label=label, **line_style(label, colors))
        axis.set(xlabel=xlabel, ylabel="density", title=panel_title)
        axis.grid(alpha=0.3)
    loss_legend(figure, list(checked), colors)
    return finish(figure, title)


def plot_margin_histograms(runs: RunsLike, margin: float | None = None, *, bins: int = 50,
                           title: str = "Decision margins") -> Figure:
    """Per-sample decision margin ``z_y - max_{j != y} z_j`` of each loss, one row per loss on a
    shared x axis, with the decision boundary (margin 0) and HEM's margin ``mu`` marked.

    Each row notes the fraction of misclassified samples (margin < 0) and the median margin.

    Args:
        runs: loss label -> ``(logits (N, C), targets (N,))`` (tensors or arrays, any float dtype).
        margin: HEM's margin ``mu`` (a positive float) to mark, or ``None``.
        bins: histogram bins, shared by all rows.
        title: figure title ("" for none).

    Returns:
        A figure with one axis per loss, each holding that loss's filled histogram.
    """
    checked = check_runs(runs)
    if margin is not None and not (isinstance(margin, (int, float)) and np.isfinite(margin) and margin > 0):
        raise ValueError(f"margin: expected a positive number or None, got {margin!r}")
    colors = loss_colors(list(checked))
    margins = {label: classification_margins(logits, targets).numpy() for label, (logits, targets) in checked.items()}
    edges = _shared_bins(list(margins.values()) + [np.array([0.0, margin or 0.0])], bins)
    figure, axes = panel_grid(len(margins), max_columns=1, panel_size=(7.5, 1.25), sharex=True)
    for axis, (label, values) in zip(axes, margins.items()):
        style = line_style(label, colors)
        axis.hist(values, bins=edges, color=style["color"], alpha=0.85 if is_hem(label) else 0.6, label=label)
        axis.axvline(0.0, color="black", linestyle="--", linewidth=1)
        if margin is not None:
            axis.axvline(margin, color=HEM_COLOR, linestyle=":", linewidth=1.6)
        axis.set_ylabel("samples", fontsize="small")
        axis.text(0.995, 0.9, f"{label}   errors {np.mean(values < 0):.1%}, median {np.median(values):.2f}",
                  transform=axis.transAxes, ha="right", va="top", fontsize="small",
                  color=style["color"], fontweight="bold" if is_hem(label) else "normal", zorder=5,
                  bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})
        axis.grid(alpha=0.3)
    axes[-1].set_xlabel(r"decision margin $z_y - \mathrm{max}_{j \neq y}\, z_j$ (negative = misclassified)")
    boundary = "dashed: decision boundary (0)"
    axes[0].set_title(boundary + (f";  dotted: HEM margin $\\mu$ = {margin:g}" if margin is not None else ""),
                      fontsize="small")
    return finish(figure, title)

