"""selection_panel: the slider picks a precomputed option and the output shows draw(option)."""
from __future__ import annotations

import base64

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from hemlab.viz import selection_panel


def _recording_draw(calls: list):
    def draw(value):
        calls.append(value)
        figure, axis = plt.subplots(figsize=(2, 1.5))
        axis.set_title(f"option {value}")
        return figure
    return draw


def _png(panel) -> bytes:
    (output,) = panel.children[1].outputs
    assert output["output_type"] == "display_data"
    return base64.b64decode(output["data"]["image/png"])


def test_panel_draws_the_first_option_then_each_chosen_one():
    calls = []
    panel = selection_panel([0.25, 0.5, 1.0], _recording_draw(calls), description="HEM margin μ")
    slider = panel.children[0]
    assert calls == [0.25] and slider.description == "HEM margin μ"
    assert [label for label, _ in slider.options] == ["0.25", "0.5", "1.0"]
    first = _png(panel)
    assert first.startswith(b"\x89PNG")
    slider.value = 1.0
    assert calls == [0.25, 1.0]
    assert _png(panel) != first
    assert plt.get_fignums() == []                             # drawn figures are closed, not shown twice


def test_panel_shows_each_figure_of_a_sequence_one_below_the_other():
    def draw(value):
        figures = []
        for panel_index in range(2):
            figure, axis = plt.subplots(figsize=(2, 1.5))
            axis.set_title(f"option {value}, figure {panel_index}")
            figures.append(figure)
        return figures

    panel = selection_panel(["a", "b"], draw)
    pictures = [base64.b64decode(output["data"]["image/png"]) for output in panel.children[1].outputs]
    assert len(pictures) == 2 and pictures[0] != pictures[1]
    panel.children[0].value = "b"
    assert len(panel.children[1].outputs) == 2
    assert plt.get_fignums() == []


def test_panel_starts_from_the_given_value():
    calls = []
    panel = selection_panel(["near", "noise"], _recording_draw(calls), value="noise")
    assert calls == ["noise"] and panel.children[0].value == "noise"


@pytest.mark.parametrize(("options", "draw", "value", "match"), [
    ([], plt.figure, None, "options"),
    ("abc", plt.figure, None, "options"),
    ([1, 2], "not callable", None, "draw: expected a callable"),
    ([1, 2], lambda value: None, None, "draw: expected it to return a matplotlib Figure"),
    ([1, 2], lambda value: [], None, "draw: expected it to return a matplotlib Figure"),
    ([1, 2], lambda value: [plt.figure(), "no figure"], None, "draw: expected it to return a matplotlib Figure"),
    ([1, 2], plt.figure, 3, "value: expected one of"),
])
def test_bad_arguments_are_named(options, draw, value, match):
    with pytest.raises(ValueError, match=match):
        selection_panel(options, draw, value=value)


def test_a_mapping_gives_one_control_per_name_and_draws_with_all_their_values():
    calls = []

    def draw(loss, margin):
        calls.append((loss, margin))
        figure, axis = plt.subplots(figsize=(2, 1.5))
        axis.set_title(f"{loss} at {margin}")
        return figure

    panel = selection_panel({"loss": ["ce", "la"], "margin": [0.5, 1.0, 2.0]}, draw,
                            description={"margin": "HEM margin μ"}, value={"margin": 1.0})
    loss, margin = panel.children[0].children
    assert isinstance(loss, widgets.Dropdown) and isinstance(margin, widgets.SelectionSlider)
    assert (loss.description, margin.description) == ("loss", "HEM margin μ")
    assert calls == [("ce", 1.0)]
    first = _png(panel)
    loss.value = "la"
    margin.value = 2.0
    assert calls == [("ce", 1.0), ("la", 1.0), ("la", 2.0)]
    assert _png(panel) != first and plt.get_fignums() == []


def test_a_single_option_is_shown_but_disabled():
    panel = selection_panel({"loss": ["ce", "hem"], "margin": [1.0]}, lambda loss, margin: plt.figure())
    loss, margin = panel.children[0].children
    assert not loss.disabled and margin.disabled and margin.value == 1.0


@pytest.mark.parametrize(("options", "description", "value", "match"), [
    ({}, None, None, "options: expected a non-empty mapping"),
    ({"loss": []}, None, None, r"options\['loss'\]"),
    ({"loss": ["ce"]}, {"margin": "μ"}, None, "description: expected a mapping from names in"),
    ({"loss": ["ce"]}, None, {"loss": "hem"}, r"value\['loss'\]: expected one of"),
    ({"loss": ["ce"]}, None, "ce", "value: expected a mapping"),
])
def test_bad_mappings_are_named(options, description, value, match):
    with pytest.raises(ValueError, match=match):
        selection_panel(options, lambda **chosen: plt.figure(), description=description, value=value)
