"""loss_colors: one fixed colour per loss name across figures, HEM always the strong red."""
from __future__ import annotations

import pytest
from matplotlib.colors import to_rgb

from hemlab.losses import available_losses
from hemlab.tasks.loss_labels import sort_labels
from hemlab.viz import HEM_COLOR, loss_colors
from hemlab.viz.palette import line_style


def test_hem_keeps_its_colour_whatever_else_is_drawn():
    assert loss_colors(["hem"])["hem"] == HEM_COLOR
    assert loss_colors(["ce", "mm", "hem", "focal"])["hem"] == HEM_COLOR
    assert loss_colors(["focal", "hem:margin=0.5", "hem", "ce"])["hem"] == HEM_COLOR


def test_every_name_has_the_same_colour_in_every_selection():
    alone = {name: loss_colors([name])[name] for name in available_losses()}
    together = loss_colors(available_losses()[::-1])
    assert together == alone
    assert len(set(alone.values())) == len(alone)


def test_margin_sweep_labels_are_distinct_shades_of_red():
    labels = ["ce", "hem", "hem:margin=0.25", "hem:margin=0.5", "hem:margin=2.0"]
    colors = loss_colors(labels)
    assert len(set(colors.values())) == len(labels)
    for label in labels[2:]:
        red, green, blue = to_rgb(colors[label])
        assert red > green and red > blue, (label, colors[label])


def test_unknown_names_get_colours_too():
    colors = loss_colors(["ce", "mystery", "other"])
    assert len(set(colors.values())) == 3


def test_hem_is_drawn_thicker_and_on_top():
    colors = loss_colors(["ce", "hem"])
    assert line_style("hem", colors)["linewidth"] > line_style("ce", colors)["linewidth"]
    assert line_style("hem", colors)["zorder"] > line_style("ce", colors)["zorder"]


def test_labels_sort_in_the_loss_order_with_variants_after_their_loss_margins_ascending():
    shuffled = ["focal", "hem:margin=2.0", "zeta", "ce", "hem", "hem:margin=0.5", "mm"]
    assert sort_labels(shuffled) == ["ce", "mm", "hem", "hem:margin=0.5", "hem:margin=2.0", "focal", "zeta"]


@pytest.mark.parametrize("labels", ["hem", ["ce", 3]])
def test_bad_labels_name_the_argument(labels):
    with pytest.raises(ValueError, match="labels"):
        loss_colors(labels)
