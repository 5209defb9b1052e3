"""HEM's constant pull against MM's shrinking one, in a real training run, under SGD and AdamW,
drawn from the table of :func:`hemlab.anatomy.pull_during_training` (which trains the runs and
says what the pull and the update are).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from hemlab.moved import moved_names
from hemlab.viz.palette import line_style, loss_colors

__getattr__ = moved_names(__name__, {"hemlab.anatomy": ("LEARNING_RATES", "pull_during_training", "update_ratio")})


def plot_pull_during_training(table: pd.DataFrame) -> plt.Figure:
    """One row per optimizer of :func:`hemlab.anatomy.pull_during_training`'s table, three
    panels each: the fraction of training samples in error, the total pull on their true logits,
    and the size of each parameter update (log scale), against the step; one line per loss in
    its colour."""
    optimizers = list(dict.fromkeys(table["optimizer"]))
    names = list(dict.fromkeys(table["loss"]))
    colors = loss_colors(names)
    figure, grid = plt.subplots(len(optimizers), 3, figsize=(13, 3.2 * len(optimizers)), squeeze=False,
                                sharex=True, layout="constrained")
    panels = (("in_error", "fraction in error (margin < μ)"), ("pull", "total pull  -Σ dL/dz_y"),
              ("update", "parameter update ||Δθ||"))
    for axes, optimizer in zip(grid, optimizers):
        for axis, (column, label) in zip(axes, panels):
            for name in names:
                rows = table[(table["optimizer"] == optimizer) & (table["loss"] == name)]
                axis.plot(rows["step"], rows[column], label=name, **line_style(name, colors))
            axis.set(ylabel=label, title=f"{optimizer}: {label.split('  ')[0]}")
            axis.grid(alpha=0.3)
        axes[2].set_yscale("log")
        axes[0].legend(title="loss", fontsize="small")
    for axis in grid[-1]:
        axis.set_xlabel("training step (full batch)")
    return figure
