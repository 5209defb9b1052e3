"""Accuracy under distribution shift, from the results table: corruption severity and attack budget.

Each point is the mean over seeds, its error bar one standard deviation over seeds (clipped to
[0, 1], the range of an accuracy); the losses' points are nudged sideways a little so the error
bars do not hide each other.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hemlab.data import available_corruptions, corrupt
from hemlab.viz._inputs import as_array, choose_labels
from hemlab.viz._layout import finish, loss_legend, panel_grid
from hemlab.viz._tables import error_bar_lengths, seed_statistics, task_rows
from hemlab.viz.palette import line_style, loss_colors

ATTACK_ORDER = ("fgsm", "pgd-ce", "pgd-margin", "pgd-dlr", "worst_case")


def _draw_lines(axis: Axes, statistics: pd.DataFrame, x: str, labels: list[str], colors: dict[str, str],
                nudge: float) -> None:
    """One mean line with standard-deviation error bars (clipped to [0, 1]) per loss label;
    label ``k`` of ``L`` is shifted by ``(k - (L - 1) / 2) * nudge`` along x."""
    for rank, label in enumerate(labels):
        points = statistics[statistics["loss_label"] == label].sort_values(x)
        shift = (rank - (len(labels) - 1) / 2) * nudge
        mean, std = points["mean"].to_numpy(float), points["std"].fillna(0.0).to_numpy(float)
        axis.errorbar(points[x].to_numpy(float) + shift, mean,
                      yerr=error_bar_lengths(mean, mean - std, mean + std, "accuracy"), marker="o",
                      markersize=4, capsize=2.5, label=label, **line_style(label, colors))
    axis.grid(alpha=0.3)


def plot_accuracy_vs_severity(table: pd.DataFrame, *, losses: Sequence[str] | None = None,
                              corruption: str | None = None,
                              title: str = "Accuracy under corruption") -> Figure:
    """Test accuracy against corruption severity (0 = clean, 1..5), one line per loss.

    Args:
        table: the tidy results table (columns ``task, loss_label, seed, condition, metric, value``);
            its ``clean_corrupt`` accuracy rows are used: ``"clean"`` as severity 0 and
            ``"corruption=<name>;severity=<k>"`` as severity ``k``.
        losses: loss labels to draw; default every label without options (see
            :func:`hemlab.viz.plot_summary`).
        corruption: one corruption name, or ``None`` for the mean over all corruptions (taken per
            seed, before the mean and standard deviation over seeds).
        title: figure title ("" for none).

    Returns:
        A figure with one axis and one error-bar line per loss.
    """
    rows = task_rows(table, "clean_corrupt", "accuracy")
    if "severity" not in rows.columns:
        raise ValueError("table: expected clean_corrupt rows with condition 'corruption=<name>;severity=<k>', found none")
    if corruption is not None:
        known = sorted(rows["corruption"].dropna().unique())
        if corruption not in known:
            raise ValueError(f"corruption: expected one of {known}, got {corruption!r}")
        rows = rows[(rows["corruption"] == corruption) | (rows["condition"] == "clean")]
    rows = rows.assign(severity=rows["severity"].where(rows["condition"] != "clean", 0.0)).dropna(subset=["severity"])
    labels = choose_labels(list(rows["loss_label"].unique()), losses, "table")
    colors = loss_colors(labels)
    statistics = seed_statistics(rows, ["loss_label", "severity"])
    figure, (axis,) = panel_grid(1, max_columns=1, panel_size=(7.0, 4.2))
    _draw_lines(axis, statistics, "severity", labels, colors, nudge=0.05)
    severities = sorted(statistics["severity"].unique())
    axis.set_xticks(severities, ["clean" if s == 0 else f"{s:g}" for s in severities])
    axis.set(xlabel="corruption severity", ylabel="test accuracy (mean ± std over seeds)",
             title=f"corruption: {corruption or 'mean over all'}")
    loss_legend(figure, labels, colors)
    return finish(figure, title)


def _eps_label(eps: float) -> str:
    """``0.0314`` -> ``"8/255"`` when ``eps`` is a whole number of 255ths, else ``"0.03"``."""
    steps = eps * 255
    return f"{round(steps)}/255" if eps > 0 and abs(steps - round(steps)) < 0.05 else f"{eps:g}"


def plot_accuracy_vs_eps(table: pd.DataFrame, *, losses: Sequence[str] | None = None,
                         title: str = "Accuracy under attack (mean ± std over seeds)") -> Figure:
    """Robust accuracy against the L-infinity budget ``eps``, one panel per attack, one line per loss.

    Args:
        table: the tidy results table; its ``adversarial`` accuracy rows are used:
            ``"eps=<float>;attack=<name>"`` and ``"clean"`` (drawn at ``eps = 0`` in every panel).
        losses: loss labels to draw; default every label without options.
        title: figure title ("" for none).

    Returns:
        A figure with one axis per attack (``fgsm, pgd-ce, pgd-margin, pgd-dlr, worst_case``
        order, others after), sharing the y axis.
    """
    rows = task_rows(table, "adversarial", "accuracy")
    if "attack" not in rows.columns:
        raise ValueError("table: expected adversarial rows with condition 'eps=<float>;attack=<name>', found none")
    present = list(rows["attack"].dropna().unique())
    attacks = [a for a in ATTACK_ORDER if a in present] + sorted(a for a in present if a not in ATTACK_ORDER)
    clean = rows[rows["condition"] == "clean"]
    attacked = rows.dropna(subset=["attack", "eps"])
    both = pd.concat([attacked] + [clean.assign(attack=attack, eps=0.0) for attack in attacks])
    labels = choose_labels(list(both["loss_label"].unique()), losses, "table")
    colors = loss_colors(labels)
    statistics = seed_statistics(both, ["loss_label", "attack", "eps"])
    budgets = sorted(statistics["eps"].unique())
    figure, axes = panel_grid(len(attacks), max_columns=3, panel_size=(4.3, 3.4), sharey=True)
    for axis, attack in zip(axes, attacks):
        _draw_lines(axis, statistics[statistics["attack"] == attack], "eps", labels, colors,
                    nudge=0.012 * (budgets[-1] - budgets[0]))
        axis.set_xticks(budgets, [_eps_label(eps) for eps in budgets])
        axis.set(xlabel=r"budget $\varepsilon$ ($L_\infty$, pixels in [0, 1])", title=f"attack: {attack}")
        if axis.get_subplotspec().is_first_col():
            axis.set_ylabel("robust accuracy (± std)")
    loss_legend(figure, labels, colors)
    return finish(figure, title)



def plot_corrupted_images(image: Any, corruptions: Sequence[str] | None = None, severities: Sequence[int] = (1, 3, 5),
                          *, seed: int = 0, title: str = "One test image under each corruption") -> Figure:
    """One test image, clean and under each corruption at each severity, as the task corrupts it
    (:func:`hemlab.data.corrupt`): one row per corruption, the clean image first.

    Args:
        image: ``(C, H, W)`` with values in [0, 1] (1 or 3 channels), a tensor or array.
        corruptions: names from :func:`hemlab.data.available_corruptions` (default all), one row each.
        severities: severities 1..5, one column each after the clean image.
        seed: the corruptions' random seed (noise draws).
        title: figure title ("" for none).

    Returns:
        A figure with ``len(corruptions) * (1 + len(severities))`` axes, grey-scale for one channel.
    """
    array = as_array(image, "image", ndim=3).astype(np.float32)
    if array.shape[0] not in (1, 3) or array.min() < 0 or array.max() > 1:
        raise ValueError(f"image: expected (C, H, W) with C 1 or 3 and values in [0, 1], got shape {array.shape}, "
                         f"values in [{array.min():g}, {array.max():g}]")
    names = available_corruptions() if corruptions is None else list(corruptions)
    if not names or isinstance(corruptions, str):
        raise ValueError(f"corruptions: expected a non-empty sequence of corruption names, got {corruptions!r}")
    batch = torch.from_numpy(array)[None]
    columns = 1 + len(severities)
    figure, axes = panel_grid(len(names) * columns, max_columns=columns, panel_size=(1.3, 1.35))
    for row, name in enumerate(names):
        pictures = [batch] + [corrupt(batch, name, int(severity), seed=seed) for severity in severities]
        for column, picture in enumerate(pictures):
            axis = axes[row * columns + column]
            shown = picture[0].permute(1, 2, 0).numpy()
            axis.imshow(shown[..., 0] if shown.shape[2] == 1 else shown, cmap="gray", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title("clean" if column == 0 else f"severity {severities[column - 1]}", fontsize="small")
        axes[row * columns].set_ylabel(name.replace("_", " "), fontsize="small", rotation=0, ha="right", va="center")
    return finish(figure, title)
