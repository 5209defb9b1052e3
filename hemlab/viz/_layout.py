"""Figure layout shared by the plotting modules (private): panel grids and one legend per figure."""
from __future__ import annotations

import math

from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hemlab.viz.palette import line_style


def panel_grid(count: int, *, max_columns: int, panel_size: tuple[float, float],
               **subplot_options) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure with ``count`` panels in rows of at most ``max_columns``;
    unused grid cells are removed, so ``len(figure.axes) == count``."""
    columns = min(count, max_columns)
    rows = math.ceil(count / columns)
    figure, grid = plt.subplots(rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows),
                                squeeze=False, layout="constrained", **subplot_options)
    axes = list(grid.flat)
    for unused in axes[count:]:
        unused.remove()
    return figure, axes[:count]


LEGEND_COLUMNS = 7
"""Entries per legend row: hemlab's seven losses fit on one."""


def figure_legend(figure: Figure, handles: Sequence[Artist], labels: Sequence[str], title: str | None = None) -> None:
    """One legend below all panels."""
    figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), LEGEND_COLUMNS),
                  title=title, frameon=False)


def loss_legend(figure: Figure, labels: Sequence[str], colors: dict[str, str]) -> None:
    """One legend below all panels with a line per loss label, drawn as :func:`line_style` draws it."""
    handles = [Line2D([], [], **line_style(label, colors)) for label in labels]
    figure_legend(figure, handles, labels, title="loss")


def finish(figure: Figure, title: str) -> Figure:
    """Give ``figure`` its title (when there is one) and return it."""
    if title:
        figure.suptitle(title, fontweight="bold")
    return figure
