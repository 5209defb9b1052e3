"""Telling known from unknown inputs: ROC curves and score histograms per loss.

Scores come from :func:`hemlab.metrics.ood_scores` (higher = more likely known); a detector
accepts an input as known when its score clears a threshold. Known (in-distribution) inputs
are the positive class throughout, as in :func:`hemlab.metrics.ood_metrics`.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from sklearn.metrics import roc_curve

from hemlab.metrics import OOD_METHODS, ood_metrics, ood_scores
from hemlab.viz._inputs import check_logits_by_loss
from hemlab.viz._layout import figure_legend, finish, panel_grid
from hemlab.viz.palette import is_hem, line_style, loss_colors

SCORE_NAMES = {
    "msp": r"max softmax probability $\mathrm{max}_j\, p_j$",
    "maxlogit": r"max logit $\mathrm{max}_j\, z_j$",
    "energy": r"negative energy $\mathrm{logsumexp}_j\, z_j$",
    "entropy": r"negative entropy $\Sigma_j\, p_j \log p_j$",
}
UNKNOWN_COLOR = "#4d4d4d"


def _scores_by_loss(id_logits_by_loss: Mapping[str, Any], ood_logits_by_loss: Mapping[str, Any],
                    score: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """label -> (known scores, unknown scores), after checking both mappings agree."""
    if score not in OOD_METHODS:
        raise ValueError(f"score: expected one of {list(OOD_METHODS)}, got {score!r}")
    known = check_logits_by_loss(id_logits_by_loss, "id_logits_by_loss")
    unknown = check_logits_by_loss(ood_logits_by_loss, "ood_logits_by_loss")
    if set(known) != set(unknown):
        raise ValueError(f"ood_logits_by_loss: expected the losses of id_logits_by_loss {list(known)}, "
                         f"got {list(unknown)}")
    scores = {}
    for label, logits in known.items():
        if unknown[label].shape[1] != logits.shape[1]:
            raise ValueError(f"ood_logits_by_loss[{label!r}]: expected {logits.shape[1]} classes like "
                             f"id_logits_by_loss, got shape {tuple(unknown[label].shape)}")
        scores[label] = (ood_scores(logits, score).double().numpy(),
                         ood_scores(unknown[label], score).double().numpy())
    return scores


def plot_roc_curves(id_logits_by_loss: Mapping[str, Any], ood_logits_by_loss: Mapping[str, Any],
                    score: str = "maxlogit", *, title: str = "Known vs unknown: ROC") -> Figure:
    """ROC curve of each loss for accepting known inputs and rejecting unknown ones.

    Args:
        id_logits_by_loss: loss label -> logits ``(n, C)`` of known-class test inputs.
        ood_logits_by_loss: the same labels -> logits ``(m, C)`` of unknown inputs (one OOD set).
        score: ``msp``, ``maxlogit``, ``energy`` or ``entropy`` (:func:`hemlab.metrics.ood_scores`).
        title: figure title ("" for none).

    Returns:
        A figure with one axis: a curve per loss (true-positive rate = known accepted against
        false-positive rate = unknown accepted), its AUROC and FPR95 in the legend, the chance
        diagonal and the 95%-recall line.
    """
    scores = _scores_by_loss(id_logits_by_loss, ood_logits_by_loss, score)
    colors = loss_colors(list(scores))
    figure, (axis,) = panel_grid(1, max_columns=1, panel_size=(5.6, 5.2))
    for label, (known, unknown) in scores.items():
        is_known = np.concatenate([np.ones(known.size), np.zeros(unknown.size)])
        false_positive, true_positive, _ = roc_curve(is_known, np.concatenate([known, unknown]))
        metrics = ood_metrics(known, unknown)
        axis.plot(false_positive, true_positive, label=f"{label}  (AUROC {metrics['auroc']:.3f}, "
                  f"FPR95 {metrics['fpr95']:.2f})", **line_style(label, colors))
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance")
    axis.axhline(0.95, color="grey", linestyle=":", linewidth=1)
    axis.set(xlabel="false-positive rate (unknown accepted as known)",
             ylabel="true-positive rate (known accepted)", xlim=(0, 1), ylim=(0, 1.01),
             title=f"score: {SCORE_NAMES[score]}", aspect="equal")
    axis.legend(loc="lower right", fontsize="small")
    axis.grid(alpha=0.3)
    return finish(figure, title)


def plot_score_histograms(id_logits_by_loss: Mapping[str, Any], ood_logits_by_loss: Mapping[str, Any],
                          score: str = "maxlogit", *, bins: int = 40,
                          title: str = "Known vs unknown: scores") -> Figure:
    """Histograms of the score on known and on unknown inputs, one panel per loss.

    The less the two overlap, the better the loss separates them; each panel's title gives the
    AUROC. Scores live on each loss's own scale (CE's logits are large), so panels do not share x.

    Args:
        id_logits_by_loss: loss label -> logits ``(n, C)`` of known-class test inputs.
        ood_logits_by_loss: the same labels -> logits ``(m, C)`` of unknown inputs.
        score: ``msp``, ``maxlogit``, ``energy`` or ``entropy``.
        bins: bins per panel, shared by its two histograms.
        title: figure title ("" for none).

    Returns:
        A figure with one axis per loss: known inputs filled in the loss's colour, unknown in grey.
    """
    scores = _scores_by_loss(id_logits_by_loss, ood_logits_by_loss, score)
    colors = loss_colors(list(scores))
    figure, axes = panel_grid(len(scores), max_columns=4, panel_size=(3.4, 2.8))
    for axis, (label, (known, unknown)) in zip(axes, scores.items()):
        edges = np.histogram_bin_edges(np.concatenate([known, unknown]), bins=bins)
        color = line_style(label, colors)["color"]
        axis.hist(known, bins=edges, density=True, color=color, alpha=0.6)
        axis.hist(unknown, bins=edges, density=True, histtype="step", color=UNKNOWN_COLOR, linewidth=1.6,
                  hatch="//")
        auroc = ood_metrics(known, unknown)["auroc"]
        axis.set_title(f"{label}: AUROC {auroc:.3f}", color=color, fontweight="bold" if is_hem(label) else "normal")
        axis.set(xlabel=SCORE_NAMES[score], ylabel="density")
        axis.grid(alpha=0.3)
    handles = [Patch(facecolor="#a0a0a0", alpha=0.6),
               Patch(facecolor="none", edgecolor=UNKNOWN_COLOR, hatch="//", linewidth=1.6)]
    figure_legend(figure, handles, ["known inputs (test set; the loss's colour)", "unknown inputs (OOD set)"])
    return finish(figure, title)
