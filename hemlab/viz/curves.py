"""Training curves of several runs side by side."""
from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from hemlab.viz.palette import line_style, loss_colors


def plot_training_curves(histories: Mapping[str, pd.DataFrame], title: str = "") -> Figure:
    """Loss and accuracy per epoch, one line per run.

    ``histories`` maps a run's label (e.g. a loss name) to the table ``hemlab.train.train``
    returns (columns ``epoch``, ``train_loss``, ``train_accuracy``, ``eval_accuracy``).
    Losses differ in scale (HEM is a hinge, CE a log-loss), so the loss panel shows each
    run's loss divided by its first epoch's value.
    """
    if not histories:
        raise ValueError("histories: expected at least one run, got none")
    colors = loss_colors(list(histories))
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, history in histories.items():
        missing = {"epoch", "train_loss", "eval_accuracy"} - set(history.columns)
        if missing:
            raise ValueError(f"histories[{label!r}]: missing columns {sorted(missing)}")
        first = history["train_loss"].iloc[0]
        relative = history["train_loss"] / first if first else history["train_loss"]
        style = {"marker": "o", "markersize": 3, "label": label, **line_style(label, colors)}
        loss_axis.plot(history["epoch"], relative, **style)
        accuracy_axis.plot(history["epoch"], history["eval_accuracy"], **style)
    loss_axis.set(xlabel="epoch", ylabel="training loss / first epoch's", title="training loss (relative)")
    accuracy_axis.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    for axis in (loss_axis, accuracy_axis):
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
