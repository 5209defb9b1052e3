"""Paper figures from the summary table: headline points with their CIs, and HEM's margin sweep."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from hemlab.viz import HEM_COLOR, hem_margins, loss_colors, plot_margin_sweep, plot_summary

HEADLINES = {
    "clean_corrupt": ("corrupted", "accuracy", True),
    "continual": ("final", "average_accuracy", True),
    "adversarial": ("eps=0.030;attack=worst_case", "accuracy", True),
    "segmentation": ("clean", "miou", True),
}
MEANS = {"ce": 0.70, "mm": 0.66, "hem": 0.76, "hem:margin=0.5": 0.74, "hem:margin=2.0": 0.72}


def _row(task, label, condition, metric, mean, half_width):
    return {"task": task, "dataset": "digits", "model": "mlp", "loss": label.split(":")[0], "loss_label": label,
            "condition": condition, "metric": metric, "mean": mean, "std": half_width, "n": 3,
            "ci_low": mean - half_width, "ci_high": mean + half_width}


@pytest.fixture
def summary() -> pd.DataFrame:
    rows = []
    for rank, (label, mean) in enumerate(MEANS.items()):
        rows.append(_row("clean_corrupt", label, "corrupted", "accuracy", mean, 0.01 * (rank + 1)))
        rows.append(_row("clean_corrupt", label, "clean", "accuracy", 0.99, 0.01))
        rows.append(_row("adversarial", label, "eps=0.03;attack=worst_case", "accuracy", mean - 0.3, 0.02))
        rows.append(_row("adversarial", label, "eps=0.03;attack=fgsm", "accuracy", 0.1, 0.02))
        rows.append(_row("segmentation", label, "clean", "miou", mean - 0.1, 0.03))
    rows.append(_row("segmentation", "dice", "clean", "miou", 0.61, 0.02))
    return pd.DataFrame(rows)


def _points(axis) -> dict[str, tuple[float, float, float]]:
    """y-tick label -> (mean, left error, right error) of the horizontal error bars on ``axis``."""
    labels = {round(tick): text.get_text() for tick, text in zip(axis.get_yticks(), axis.get_yticklabels())}
    points = {}
    for container in axis.containers:
        data_line, _, (bars,) = container.lines
        (x,), (y,) = data_line.get_xdata(), data_line.get_ydata()
        segments = bars.get_segments()
        (left, _), (right, _) = segments[0] if len(segments) else ((x, y), (x, y))
        points[labels[round(y)]] = (x, x - left, right - x)
    return points


def test_summary_panels_show_each_headline_with_its_interval(summary, assert_readable):
    figure = plot_summary(summary, HEADLINES)
    assert_readable(figure)
    assert [axis.get_title().split("\n") for axis in figure.axes] == [
        ["clean_corrupt", "corrupted"], ["adversarial", "eps=0.03, attack=worst_case"], ["segmentation", "clean"]]
    clean_corrupt, adversarial, segmentation = figure.axes
    points = _points(clean_corrupt)
    assert list(points) == ["ce", "mm", "hem"]                   # the sweep labels stay out by default
    for rank, label in enumerate(["ce", "mm", "hem"]):
        assert points[label] == pytest.approx((MEANS[label], 0.01 * (rank + 1), 0.01 * (rank + 1)))
    top_to_bottom = sorted(zip(clean_corrupt.get_yticks(), clean_corrupt.get_yticklabels()), key=lambda t: -t[0])
    assert [text.get_text() for _, text in top_to_bottom] == ["ce", "mm", "hem"]
    assert _points(adversarial)["hem"][0] == pytest.approx(MEANS["hem"] - 0.3)
    assert list(_points(segmentation)) == ["ce", "mm", "hem", "dice"]
    assert clean_corrupt.get_xlabel() == "accuracy (higher is better)"
    hem_point = clean_corrupt.containers[2].lines[0]
    assert to_rgba(hem_point.get_color()) == pytest.approx(to_rgba(HEM_COLOR))
    assert hem_point.get_markersize() > clean_corrupt.containers[0].lines[0].get_markersize()
    colors = loss_colors(["ce", "mm", "hem", "dice"])
    for tick in segmentation.get_yticklabels():
        assert to_rgba(tick.get_color()) == pytest.approx(to_rgba(colors[tick.get_text()]))


def test_summary_shows_the_margin_sweep_when_asked(summary, assert_readable):
    losses = ["ce", "hem", "hem:margin=0.5", "hem:margin=2.0"]
    figure = plot_summary(summary, HEADLINES, losses=losses)
    assert_readable(figure)
    assert all(list(_points(axis)) == losses for axis in figure.axes)


def test_summary_highlights_the_subject_of_a_comparison(summary, assert_readable, tmp_path):
    subject = summary[summary["loss_label"] == "ce"].assign(loss="mine", loss_label="mine")
    shifted = subject.assign(mean=subject["mean"] + 0.05, ci_low=subject["ci_low"] + 0.05,
                             ci_high=subject["ci_high"] + 0.05)
    with_mine = pd.concat([summary, shifted], ignore_index=True)
    figure = plot_summary(with_mine, HEADLINES, losses=["mine", "hem", "ce"], highlight="mine")
    assert_readable(figure)
    axis = figure.axes[0]
    sizes = {label: container.lines[0].get_markersize()
             for label, container in zip(["mine", "hem", "ce"], axis.containers)}
    assert sizes["mine"] > sizes["hem"] == sizes["ce"]
    bold = {tick.get_text(): tick.get_fontweight() for tick in axis.get_yticklabels()}
    assert bold == {"mine": "bold", "hem": "normal", "ce": "normal"}
    guide = [line for line in axis.get_lines() if list(line.get_xdata()) == [MEANS["ce"] + 0.05] * 2]
    assert guide and to_rgba(guide[0].get_color())[:3] == pytest.approx(to_rgba(loss_colors(["mine"])["mine"])[:3])
    figure.savefig(tmp_path / "highlight.png")
    with pytest.raises(ValueError, match="highlight: expected one of the shown labels"):
        plot_summary(with_mine, HEADLINES, losses=["hem", "ce"], highlight="mine")


def test_summary_without_intervals_draws_bare_points(summary):
    single_seed = summary.assign(n=1, std=np.nan, ci_low=np.nan, ci_high=np.nan)
    figure = plot_summary(single_seed, {"clean_corrupt": HEADLINES["clean_corrupt"]})
    for label, (mean, left, right) in _points(figure.axes[0]).items():
        assert (mean, left, right) == pytest.approx((MEANS[label], 0.0, 0.0))


def test_summary_bad_inputs_name_the_argument(summary):
    with pytest.raises(ValueError, match="summary: missing columns"):
        plot_summary(summary.drop(columns=["ci_low"]), HEADLINES)
    with pytest.raises(ValueError, match="summary: no rows match any headline"):
        plot_summary(summary, {"continual": HEADLINES["continual"]})
    with pytest.raises(ValueError, match=r"headlines\['ood'\]"):
        plot_summary(summary, {"ood": ("clean", "auroc")})
    with pytest.raises(ValueError, match="headlines: expected a non-empty mapping"):
        plot_summary(summary, {})
    with pytest.raises(ValueError, match="losses"):
        plot_summary(summary, HEADLINES, losses=["focal"])


def test_margin_sweep_plots_hem_against_mu_with_the_reference_band(summary, assert_readable):
    figure = plot_margin_sweep(summary, HEADLINES)
    assert_readable(figure)
    assert [axis.get_title().split("\n")[0] for axis in figure.axes] == ["clean_corrupt", "adversarial"]
    for axis, shift in zip(figure.axes, (0.0, -0.3)):
        (container,) = axis.containers
        margins = container.lines[0].get_xdata()
        assert margins == pytest.approx([0.5, 1.0, 2.0])            # plain hem at the default margin 1
        expected = [MEANS["hem:margin=0.5"], MEANS["hem"], MEANS["hem:margin=2.0"]]
        assert container.lines[0].get_ydata() == pytest.approx(np.array(expected) + shift)
        assert to_rgba(container.lines[0].get_color()) == pytest.approx(to_rgba(HEM_COLOR))
        assert axis.get_xscale() == "log" and axis.xaxis.get_transform().base == 2
        assert [tick.get_text() for tick in axis.get_xticklabels()] == ["0.5", "1", "2"]
        (reference,) = [line for line in axis.lines if line.get_label() == "ce (reference)"]
        assert reference.get_ydata() == pytest.approx([MEANS["ce"] + shift] * 2)
        (band,) = axis.patches
        band_low, band_high = band.get_y(), band.get_y() + band.get_height()
        assert (band_low, band_high) == pytest.approx((MEANS["ce"] + shift - 0.01 * (1 if shift == 0 else 2),
                                                       MEANS["ce"] + shift + 0.01 * (1 if shift == 0 else 2)))
        assert "margin" in axis.get_xlabel() and axis.get_ylabel() == "accuracy (higher is better)"


def test_margin_sweep_bad_inputs_name_the_argument(summary):
    with pytest.raises(ValueError, match="tasks: .*no headline"):
        plot_margin_sweep(summary, HEADLINES, tasks=("ood",))
    with pytest.raises(ValueError, match="tasks: expected"):
        plot_margin_sweep(summary, HEADLINES, tasks="clean_corrupt")
    with pytest.raises(ValueError, match="summary: no HEM rows"):
        plot_margin_sweep(summary[summary["loss"] != "hem"], HEADLINES)


def test_intervals_are_drawn_inside_the_metric_range(summary):
    wide = summary.copy()
    wide.loc[wide["loss_label"] == "hem", ["ci_low", "ci_high"]] = [-0.2, 1.3]
    figure = plot_summary(wide, {"clean_corrupt": HEADLINES["clean_corrupt"]})
    mean, left, right = _points(figure.axes[0])["hem"]
    assert (mean - left, mean + right) == pytest.approx((0.0, 1.0))
    wide.loc[wide["loss_label"] == "ce", ["ci_low", "ci_high"]] = [0.5, 1.2]
    sweep = plot_margin_sweep(wide, {"clean_corrupt": HEADLINES["clean_corrupt"]}, tasks=("clean_corrupt",))
    (band,) = sweep.axes[0].patches
    assert (band.get_y(), band.get_y() + band.get_height()) == pytest.approx((0.5, 1.0))
    hem_bars = sweep.axes[0].containers[0].lines[2][0].get_segments()
    assert max(segment[:, 1].max() for segment in hem_bars) <= 1.0


def test_hem_margins_maps_each_margin_to_its_label():
    labels = ["ce", "hem:margin=2", "hem", "hem:margin=0.5", "mm", "hem:margin=0.5", "hem:tau=2"]
    assert hem_margins(labels) == {0.5: "hem:margin=0.5", 1.0: "hem", 2.0: "hem:margin=2"}
    assert list(hem_margins(labels)) == [0.5, 1.0, 2.0]
    assert hem_margins(["ce", "mm"]) == {} and hem_margins(["hem"]) == {1.0: "hem"}
