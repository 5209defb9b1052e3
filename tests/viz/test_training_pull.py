"""plot_pull_during_training draws one line per loss in each of three panels per optimizer,
from the table of ``hemlab.anatomy.pull_during_training`` (tested in tests/anatomy)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from hemlab.anatomy import pull_during_training
from hemlab.viz import plot_pull_during_training


@pytest.fixture(scope="module")
def table():
    return pull_during_training(n_samples=90, steps=6, hidden_sizes=(8,))


def test_the_figure_has_three_panels_per_optimizer(table):
    figure = plot_pull_during_training(table)
    assert len(figure.axes) == 6 and all(len(axis.get_lines()) == 2 for axis in figure.axes)
    plt.close(figure)
