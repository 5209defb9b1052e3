"""Logit and margin distributions: the right quantity in each panel, one colour per loss, HEM marked."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba

from hemlab.viz import HEM_COLOR, loss_colors, plot_logit_distributions, plot_margin_histograms


def _fixed_logits(true_logit: float, rivals: list[float], n: int = 200, seed: int = 0):
    """``n`` samples whose true logit is ``true_logit`` and rivals ``rivals`` (plus tiny noise),
    the true class cycling through the classes."""
    rng = np.random.default_rng(seed)
    classes = len(rivals) + 1
    targets = np.arange(n) % classes
    logits = np.empty((n, classes))
    for row, target in enumerate(targets):
        logits[row] = np.insert(np.array(rivals, dtype=float), target, true_logit)
    return logits + rng.normal(0.0, 0.01, logits.shape), targets


def _peak(polygon) -> float:
    """x of the highest step of a step-histogram polygon."""
    xs, ys = polygon.get_xy().T
    return float(xs[np.argmax(ys)])


def test_each_panel_shows_its_quantity_per_loss(assert_readable):
    runs = {"ce": _fixed_logits(5.0, [2.0, 1.0, 0.0]), "hem": _fixed_logits(1.5, [0.5, 0.0, -0.5])}
    figure = plot_logit_distributions(runs, bins=60)
    assert_readable(figure)
    assert len(figure.axes) == 3
    expected = {"ce": (5.0, 2.0, np.sqrt(25 + 4 + 1)), "hem": (1.5, 0.5, np.sqrt(1.5**2 + 0.25 + 0.25))}
    colors = loss_colors(list(runs))
    for panel, axis in enumerate(figure.axes):
        assert axis.get_xlabel() and axis.get_ylabel() == "density" and axis.get_title()
        polygons = {patch.get_label(): patch for patch in axis.patches}
        assert set(polygons) == set(runs)
        low, high = axis.get_xlim()
        for label, polygon in polygons.items():
            assert _peak(polygon) == pytest.approx(expected[label][panel], abs=(high - low) / 30)
            assert polygon.get_edgecolor() == pytest.approx(to_rgba(colors[label]))
    assert polygons["hem"].get_edgecolor() == pytest.approx(to_rgba(HEM_COLOR))
    assert polygons["hem"].get_linewidth() > polygons["ce"].get_linewidth()
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["ce", "hem"]


def test_logit_distributions_accept_float16_tensors_and_arrays():
    logits, targets = _fixed_logits(3.0, [1.0, 0.0])
    runs = {"hem": (torch.from_numpy(logits).half(), torch.from_numpy(targets)),
            "ce": (logits.astype(np.float16), targets)}
    figure = plot_logit_distributions(runs)
    assert [patch.get_label() for patch in figure.axes[0].patches] == ["hem", "ce"]


def test_margin_rows_report_error_rate_and_median(assert_readable):
    logits, targets = _fixed_logits(2.0, [1.0, 0.0], n=100)
    logits[:25, :] = logits[:25, ::-1]                      # a quarter of the samples flipped
    wrong = np.argmax(logits, axis=1) != targets
    margins = logits[np.arange(100), targets] - np.where(np.eye(3, dtype=bool)[targets], -np.inf, logits).max(axis=1)
    runs = {"ce": (logits, targets), "hem": _fixed_logits(1.0, [0.0, -1.0])}
    figure = plot_margin_histograms(runs, margin=1.0)
    assert_readable(figure)
    assert len(figure.axes) == 2
    ce_axis, hem_axis = figure.axes
    note = ce_axis.texts[0].get_text()
    assert f"errors {wrong.mean():.1%}" in note and f"median {np.median(margins):.2f}" in note
    assert hem_axis.patches[0].get_facecolor()[:3] == pytest.approx(to_rgba(HEM_COLOR)[:3])
    for axis in figure.axes:
        assert sorted(line.get_xdata()[0] for line in axis.lines) == [0.0, 1.0]
        assert axis.get_ylabel() == "samples"
    assert "margin" in hem_axis.get_xlabel()


def test_margin_notes_stay_readable_over_the_bars_and_lines():
    figure = plot_margin_histograms({"ce": _fixed_logits(0.5, [0.0, -0.5])}, margin=1.0)
    (axis,) = figure.axes
    (note,) = axis.texts
    backing = note.get_bbox_patch()
    assert backing is not None and to_rgba(backing.get_facecolor())[:3] == pytest.approx((1.0, 1.0, 1.0))
    assert note.get_zorder() > max(artist.get_zorder() for artist in [*axis.lines, *axis.patches])


def test_margin_line_is_optional():
    figure = plot_margin_histograms({"ce": _fixed_logits(2.0, [1.0])})
    assert [line.get_xdata()[0] for line in figure.axes[0].lines] == [0.0]


@pytest.mark.parametrize(("runs", "match"), [
    ({}, "runs"),
    ([(np.zeros((2, 3)), np.zeros(2, dtype=int))], "runs"),
    ({"ce": (np.zeros(3), np.zeros(3, dtype=int))}, r"runs\['ce'\] logits"),
    ({"ce": (np.zeros((3, 2)), np.zeros(3))}, r"runs\['ce'\] targets"),
    ({"ce": (np.zeros((3, 2)), np.array([0, 1, 2]))}, r"runs\['ce'\] targets"),
    ({"ce": (np.full((3, 2), np.nan), np.array([0, 1, 1]))}, r"runs\['ce'\] logits"),
    ({"ce": np.zeros((3, 2))}, r"runs\['ce'\]"),
])
def test_bad_runs_name_the_argument(runs, match):
    for plot in (plot_logit_distributions, plot_margin_histograms):
        with pytest.raises(ValueError, match=match):
            plot(runs)


def test_bad_margin_names_the_argument():
    with pytest.raises(ValueError, match="margin"):
        plot_margin_histograms({"ce": _fixed_logits(2.0, [1.0])}, margin=-1.0)


def test_the_seven_losses_share_one_legend_row():
    labels = ["ce", "mm", "hem", "logitnorm", "la", "dice", "focal"]
    figure = plot_logit_distributions({label: _fixed_logits(2.0, [1.0]) for label in labels})
    figure.canvas.draw()
    (legend,) = figure.legends
    rows = {round(text.get_window_extent().y0) for text in legend.get_texts()}
    assert [text.get_text() for text in legend.get_texts()] == labels and len(rows) == 1
