"""The anatomy of a loss, drawn: which logits it pushes, how its value moves, what it decides in 2-D.

:mod:`hemlab.anatomy` computes tidy tables (one row per loss and class, or per loss and point)
and trains the toy models; the plots here draw those tables and models, so a notebook can show either.

- :func:`plot_logit_gradients`: ``dL/dz_j`` of one logit vector (:func:`hemlab.anatomy.logit_gradients`);
- :func:`plot_rival_sweep`: the loss as one rival logit moves (:func:`hemlab.anatomy.rival_sweep`);
- :func:`plot_true_logit_pull`: the gradient on the true logits of the samples still in error
  as more of a batch is solved (:func:`hemlab.anatomy.true_logit_pull`; paper.md, section 1);
- :func:`plot_decision_regions`: a toy model's decision regions and margin band
  (:func:`hemlab.anatomy.train_toy_models`).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_rgb
from torch import nn
from torch.utils.data import TensorDataset

from hemlab.anatomy.toy_models import decision_grid as _decision_grid
from hemlab.data import dataset_tensors
from hemlab.losses import available_losses
from hemlab.moved import moved_names
from hemlab.viz.palette import line_style, loss_colors

CLASS_COLORS: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                 "#7f7f7f", "#bcbd22", "#17becf")

__getattr__ = moved_names(__name__, {"hemlab.anatomy": (
    "REFERENCE_LOSSES", "ToyModels", "anatomy_losses", "criterion_for", "decision_grid", "logit_gradients",
    "rival_sweep", "takes_margin", "train_toy_models", "true_logit_pull")})


def loss_color(name: str) -> tuple[float, float, float]:
    """The loss's colour of the shared palette (:func:`hemlab.viz.palette.loss_colors`; HEM
    red, a registered loss the colour fixed by its name), so a loss looks the same in every figure."""
    names = available_losses()
    if name not in names:
        raise ValueError(f"name: expected one of {names}, got {name!r}")
    return to_rgb(loss_colors([name])[name])


def plot_logit_gradients(table: pd.DataFrame, ax: Axes | None = None, title: str = "") -> Axes:
    """Grouped bars of ``dL/dz_j`` per class (one colour per loss) from the table of
    :func:`hemlab.anatomy.logit_gradients`; the true class is shaded and labelled."""
    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.6))[1]
    names = list(dict.fromkeys(table["loss"]))
    classes = sorted(table["class"].unique())
    width = 0.8 / len(names)
    for offset, name in enumerate(names):
        rows = table[table["loss"] == name].sort_values("class")
        positions = np.arange(len(classes)) - 0.4 + width * (offset + 0.5)
        ax.bar(positions, rows["gradient"], width, label=name, color=loss_color(name))
    target = int(table.loc[table["is_target"], "class"].iloc[0])
    ax.axvspan(target - 0.5, target + 0.5, color="0.85", zorder=0)
    ax.axhline(0.0, color="black", linewidth=0.8)
    logits = table[table["loss"] == names[0]].sort_values("class")["logit"]
    ax.set_xticks(range(len(classes)),
                  [f"{c}{' (true)' if c == target else ''}\nz={z:.2g}" for c, z in zip(classes, logits)])
    ax.set(xlabel="class j", ylabel="dL / dz_j", title=title or "gradient on each logit")
    ax.legend(title="loss", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_rival_sweep(table: pd.DataFrame, true_logit: float, margin: float, current: float | None = None,
                     ax: Axes | None = None, title: str = "") -> Axes:
    """Loss against the rival logit (one line per loss) from the table of
    :func:`hemlab.anatomy.rival_sweep`, with the hinge point ``z_y - margin``, the true logit
    and (optionally) the rival's current value."""
    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.6))[1]
    for name, rows in table.groupby("loss", sort=False):
        ax.plot(rows["rival_logit"], rows["loss_value"], label=name, **line_style(name, loss_colors([name])))
    ax.axvline(true_logit - margin, color="0.4", linestyle="--", linewidth=1, label="z_y - margin")
    ax.axvline(true_logit, color="0.4", linestyle=":", linewidth=1, label="z_y")
    if current is not None:
        ax.axvline(current, color="black", linewidth=1.5, label="rival now")
    ax.set(xlabel="rival logit z_j", ylabel="loss", title=title or "loss as one rival logit moves")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_true_logit_pull(table: pd.DataFrame) -> plt.Figure:
    """Two panels from the table of :func:`hemlab.anatomy.true_logit_pull`: the pull on one
    erroneous sample's true logit (log scale) and the total over the erroneous samples, against
    the solved fraction."""
    figure, (per_sample_axis, total_axis) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, rows in table.groupby("loss", sort=False):
        style = {"marker": "o", "markersize": 3, "label": name, **line_style(name, loss_colors([name]))}
        per_sample_axis.plot(rows["solved_fraction"], rows["per_sample"], **style)
        total_axis.plot(rows["solved_fraction"], rows["total"], **style)
    per_sample_axis.set(yscale="log", xlabel="fraction of the batch already solved",
                        ylabel="-dL/dz_y of one sample in error", title="pull on one erroneous sample")
    total_axis.set(xlabel="fraction of the batch already solved", ylabel="sum over samples in error",
                   title="total pull on the samples in error")
    total_axis.set_ylim(bottom=0)
    for axis in (per_sample_axis, total_axis):
        axis.grid(alpha=0.3)
        axis.legend(title="loss", fontsize="small")
    figure.tight_layout()
    return figure


def plot_decision_regions(model: nn.Module, data: TensorDataset, margin: float | None, ax: Axes | None = None,
                          title: str = "", resolution: int = 150) -> Axes:
    """Decision regions of ``model`` on 2-D ``data`` with its margin band: the hatched grey
    area is where the model's top logit beats the runner-up by less than ``margin``. A loss
    without a margin (CE, ...) has no band: pass ``margin=None``. The regions are those of
    :func:`hemlab.anatomy.decision_grid` at ``resolution x resolution`` points."""
    ax = ax if ax is not None else plt.subplots(figsize=(4.5, 4.5))[1]
    points, labels = dataset_tensors(data)
    points, labels = points.numpy(), labels.numpy()
    low, high = points.min(axis=0) - 0.3, points.max(axis=0) + 0.3
    xs, ys, predicted, logit_margin = _decision_grid(model, (low[0], high[0], low[1], high[1]), resolution)
    num_classes = int(labels.max()) + 1
    colors = ListedColormap(CLASS_COLORS[:num_classes])
    ax.contourf(xs, ys, predicted, levels=np.arange(num_classes + 1) - 0.5, cmap=colors, alpha=0.25)
    if margin is not None:
        ax.contourf(xs, ys, logit_margin, levels=[0.0, margin], colors="none", hatches=["////"])
        ax.contourf(xs, ys, logit_margin, levels=[0.0, margin], colors=["0.5"], alpha=0.35)
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap=colors, s=6, edgecolors="none")
    band = "no margin, no band" if margin is None else f"band: margin < {margin:g}"
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), xticks=[], yticks=[], aspect="equal",
           title=title or f"decision regions, {band}")
    return ax
