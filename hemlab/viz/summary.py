"""Paper-level figures from the summary table: every task's headline metric per loss, and HEM's
headline metric as its margin ``mu`` varies.

``summary`` has one row per ``(task, loss_label, condition, metric)`` with the mean over seeds
and its 95% interval ``[ci_low, ci_high]`` (NaN with a single seed: no error bar is drawn); every
interval is drawn clipped to its metric's range (an accuracy's never leaves [0, 1]).
``headlines`` maps a task to ``(condition, metric, higher_is_better)``, as
``hemlab.tasks.HEADLINES`` does.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from hemlab.stats.notebook import margin_sweep, select_cell
from hemlab.stats.summary import clip_to_range
from hemlab.viz._inputs import choose_labels, require_columns
from hemlab.viz._layout import figure_legend, finish, panel_grid
from hemlab.viz._tables import SUMMARY_COLUMNS, error_bar_lengths
from hemlab.viz.palette import HEM_COLOR, is_hem, line_style, loss_colors

Headlines = Mapping[str, tuple[str, str, bool]]


def _check_headlines(headlines: Any) -> dict[str, tuple[str, str, bool]]:
    if not isinstance(headlines, Mapping) or not headlines:
        raise ValueError(f"headlines: expected a non-empty mapping task -> (condition, metric, "
                         f"higher_is_better), got {headlines!r:.80}")
    for task, entry in headlines.items():
        if not (isinstance(entry, (tuple, list)) and len(entry) == 3 and isinstance(entry[0], str)
                and isinstance(entry[1], str)):
            raise ValueError(f"headlines[{task!r}]: expected (condition, metric, higher_is_better), got {entry!r}")
    return {task: (condition, metric, bool(higher)) for task, (condition, metric, higher) in headlines.items()}


def _ci_errors(rows: pd.DataFrame, metric: str) -> np.ndarray:
    """``(2, n)`` distances from the mean to the interval's ends, the ends clipped to ``metric``'s
    range, 0 where the interval is NaN."""
    return error_bar_lengths(*(rows[column].to_numpy(float) for column in ("mean", "ci_low", "ci_high")), metric)


def _panel_title(task: str, condition: str) -> str:
    """``"adversarial"``, ``"eps=0.03;attack=pgd"`` -> ``"adversarial\neps=0.03, attack=pgd"``."""
    return f"{task}\n{condition.replace(';', ', ')}"


def _metric_label(metric: str, higher_is_better: bool) -> str:
    return f"{metric.replace('_', ' ')} ({'higher' if higher_is_better else 'lower'} is better)"


def _draw_headline(axis: Axes, rows: pd.DataFrame, labels: list[str], colors: dict[str, str], metric: str,
                   highlight: str | None = None) -> None:
    """One point with its 95% CI (clipped to ``metric``'s range) per label, top to bottom; the
    highlighted label (default HEM) as a larger diamond with a guide line."""
    rows = rows.set_index("loss_label").loc[labels]
    positions = np.arange(len(labels))[::-1]
    errors = _ci_errors(rows, metric)
    strong = (lambda label: is_hem(label)) if highlight is None else (lambda label: label == highlight)
    for index, (position, label, mean) in enumerate(zip(positions, labels, rows["mean"].to_numpy(float))):
        axis.errorbar(mean, position, xerr=errors[:, index:index + 1], marker="D" if strong(label) else "o",
                      markersize=9 if strong(label) else 6, capsize=4, **line_style(label, colors, highlight))
    guide = "hem" if highlight is None else highlight
    if guide in labels:
        axis.axvline(rows.loc[guide, "mean"], color=HEM_COLOR if highlight is None else colors[guide], alpha=0.35,
                     linestyle="--", linewidth=1.2, zorder=1)
    axis.set_yticks(positions, labels)
    for tick, label in zip(axis.get_yticklabels(), labels):
        tick.set_color(colors[label])
        tick.set_fontweight("bold" if strong(label) else "normal")
    axis.set_ylim(-0.6, len(labels) - 0.4)
    axis.grid(alpha=0.3, axis="x")


def plot_summary(summary: pd.DataFrame, headlines: Headlines, *, losses: Sequence[str] | None = None,
                 title: str = "Headline results (mean and 95% CI over seeds)", highlight: str | None = None) -> Figure:
    """One panel per task: each loss's headline metric as a point with its 95% confidence interval.

    Args:
        summary: the summary table (columns ``task, loss_label, condition, metric, mean, ci_low, ci_high``).
        headlines: task -> ``(condition, metric, higher_is_better)``; panels follow its order and
            tasks with no matching rows are left out.
        losses: loss labels to show, top to bottom; default every label without options in hemlab's
            loss order (so a margin sweep's ``hem:margin=...`` rows stay out unless named here).
            A panel shows the chosen labels its task has.
        title: figure title ("" for none).
        highlight: the loss label drawn strong (a larger diamond, a guide line at its mean, a
            bold tick label); default None highlights HEM. It must be one of the chosen labels.

    Returns:
        A figure with one axis per task that has headline rows (at most three per row).
    """
    require_columns(summary, SUMMARY_COLUMNS, "summary")
    panels = {task: (select_cell(summary, task, condition, metric), metric, higher)
              for task, (condition, metric, higher) in _check_headlines(headlines).items()}
    panels = {task: panel for task, panel in panels.items() if not panel[0].empty}
    if not panels:
        raise ValueError(f"summary: no rows match any headline {dict(headlines)}; "
                         f"tasks present: {sorted(summary['task'].unique())}")
    present = list(dict.fromkeys(label for rows, _, _ in panels.values() for label in rows["loss_label"]))
    chosen = choose_labels(present, losses, "summary")
    if highlight is not None and highlight not in chosen:
        raise ValueError(f"highlight: expected one of the shown labels {chosen}, got {highlight!r}")
    colors = loss_colors(chosen)
    width = max(4.3, 3.3 + 0.09 * max(map(len, chosen)))     # room for long labels such as hem:margin=0.25
    figure, axes = panel_grid(len(panels), max_columns=3, panel_size=(width, 0.45 * len(chosen) + 1.5))
    for axis, (task, (rows, metric, higher)) in zip(axes, panels.items()):
        labels = [label for label in chosen if label in set(rows["loss_label"])]
        _draw_headline(axis, rows, labels, colors, metric, highlight)
        axis.set(xlabel=_metric_label(metric, higher), title=_panel_title(task, rows["condition"].iloc[0]))
        axis.set_ylabel("loss")
    return finish(figure, title)


def _sweep_frame(summary: pd.DataFrame, task: str, condition: str, metric: str, reference: str) -> pd.DataFrame:
    """:func:`hemlab.stats.margin_sweep` of one headline, with ``reference`` when ``task`` has it
    (empty when the task has no rows of the headline)."""
    labels = set(select_cell(summary, task, condition, metric)["loss_label"])
    if not labels:
        return pd.DataFrame({"margin": []})
    return margin_sweep(summary, task, [(condition, metric)], references=[reference] if reference in labels else [])


def plot_margin_sweep(summary: pd.DataFrame, headlines: Headlines,
                      tasks: Sequence[str] = ("clean_corrupt", "adversarial"), *, reference: str = "ce",
                      title: str = "Headline metric against HEM's margin μ (mean and 95% CI)") -> Figure:
    """Each task's headline metric against HEM's margin ``mu`` (log2 axis, 95% CI error bars), with
    the ``reference`` loss's value as a horizontal line and CI band.

    HEM points come from ``hem`` (at the registry's default margin) and ``hem:margin=<mu>`` rows:
    each panel draws the frame :func:`hemlab.stats.margin_sweep` gives for its headline (the
    notebooks print the same frame).

    Args:
        summary: the summary table.
        headlines: task -> ``(condition, metric, higher_is_better)``.
        tasks: the tasks to draw, one panel each, in order; each must be in ``headlines``.
            Tasks without HEM rows are left out.
        reference: the loss label drawn as the horizontal reference (default ``ce``).
        title: figure title ("" for none).

    Returns:
        A figure with one axis per drawn task.
    """
    require_columns(summary, SUMMARY_COLUMNS, "summary")
    checked = _check_headlines(headlines)
    if isinstance(tasks, str) or not tasks:
        raise ValueError(f"tasks: expected a non-empty sequence of task names, got {tasks!r}")
    unknown = [task for task in tasks if task not in checked]
    if unknown:
        raise ValueError(f"tasks: {unknown} have no headline; headlines has {list(checked)}")
    panels = {}
    for task in tasks:
        condition, metric, higher = checked[task]
        frame = _sweep_frame(summary, task, condition, metric, reference)
        if frame["margin"].notna().any():
            panels[task] = (frame[frame["margin"].notna()], frame[frame["margin"].isna()], metric, higher)
    if not panels:
        raise ValueError(f"summary: no HEM rows for the headlines of tasks {list(tasks)}")
    colors = loss_colors(["hem", reference])
    figure, axes = panel_grid(len(panels), max_columns=3, panel_size=(4.6, 3.6))
    for axis, (task, (sweep, baseline, metric, higher)) in zip(axes, panels.items()):
        axis.errorbar(sweep["margin"].to_numpy(float), sweep["mean"].to_numpy(float), yerr=_ci_errors(sweep, metric),
                      marker="D", markersize=6, capsize=4, label="hem", **line_style("hem", colors))
        if not baseline.empty:
            row = baseline.iloc[0]
            axis.axhline(row["mean"], color=colors[reference], linewidth=1.6, label=f"{reference} (reference)")
            if np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"]):
                axis.axhspan(*clip_to_range(metric, row["ci_low"], row["ci_high"]), color=colors[reference], alpha=0.15, linewidth=0)
        axis.set_xscale("log", base=2)
        axis.xaxis.set_major_locator(FixedLocator(sweep["margin"].to_numpy()))
        axis.xaxis.set_minor_locator(NullLocator())
        axis.set_xticklabels([f"{margin:g}" for margin in sweep["margin"]])
        axis.set(xlabel=r"HEM margin $\mu$ (log$_2$ scale)", ylabel=_metric_label(metric, higher),
                 title=_panel_title(task, sweep["condition"].iloc[0]))
        axis.grid(alpha=0.3)
    handles, labels = max((axis.get_legend_handles_labels() for axis in axes), key=lambda pair: len(pair[1]))
    figure_legend(figure, handles, labels)
    return finish(figure, title)
