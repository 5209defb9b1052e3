"""Accuracy against corruption severity and attack budget: means and spreads over seeds, per loss."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from hemlab.viz import HEM_COLOR, plot_accuracy_vs_eps, plot_accuracy_vs_severity, plot_corrupted_images

BASE = {"ce": 0.9, "hem": 0.95, "hem:margin=0.5": 0.8}
SEEDS = (0, 1)


def _row(label, seed, task, condition, metric, value):
    return {"run_id": f"{task}-{label}-{seed}", "task": task, "dataset": "digits", "model": "mlp",
            "loss": label.split(":")[0], "loss_label": label, "seed": seed, "condition": condition,
            "metric": metric, "value": value, "seconds": 0.5}


def _corruption_value(label, seed, corruption, severity):
    return BASE[label] - 0.1 * severity - 0.02 * (corruption == "fog") + 0.01 * seed


def _attack_value(label, seed, attack, eps):
    return BASE[label] - eps * (10 if attack == "fgsm" else 20) + 0.01 * seed


@pytest.fixture
def table() -> pd.DataFrame:
    rows = []
    for label, seed in itertools.product(BASE, SEEDS):
        rows.append(_row(label, seed, "clean_corrupt", "clean", "accuracy", BASE[label] + 0.01 * seed))
        rows.append(_row(label, seed, "clean_corrupt", "clean", "ece", 0.3))
        rows.append(_row(label, seed, "clean_corrupt", "corrupted", "accuracy", 0.0))
        for corruption, severity in itertools.product(("fog", "noise"), (1, 2)):
            rows.append(_row(label, seed, "clean_corrupt", f"corruption={corruption};severity={severity}",
                             "accuracy", _corruption_value(label, seed, corruption, severity)))
        rows.append(_row(label, seed, "adversarial", "clean", "accuracy", BASE[label] + 0.01 * seed))
        for attack, eps in itertools.product(("worst_case", "fgsm"), (0.01, 0.02)):
            rows.append(_row(label, seed, "adversarial", f"eps={eps};attack={attack}", "accuracy",
                             _attack_value(label, seed, attack, eps)))
        rows.append(_row(label, seed, "continual", "final", "accuracy", 0.0))
    return pd.DataFrame(rows)


def _lines(axis) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """label -> (x, mean, half error bar) of each error-bar line on ``axis``."""
    lines = {}
    for container in axis.containers:
        data_line, _, (bars,) = container.lines
        half = np.array([abs(segment[1, 1] - segment[0, 1]) / 2 for segment in bars.get_segments()])
        lines[container.get_label()] = (np.asarray(data_line.get_xdata()), np.asarray(data_line.get_ydata()), half)
    return lines


def _expected(values_by_seed: list[float]) -> tuple[float, float]:
    return float(np.mean(values_by_seed)), float(np.std(values_by_seed, ddof=1))


def test_severity_lines_average_corruptions_per_seed_then_seeds(table, assert_readable):
    figure = plot_accuracy_vs_severity(table)
    assert_readable(figure)
    (axis,) = figure.axes
    lines = _lines(axis)
    assert list(lines) == ["ce", "hem"]                     # the sweep label is left out by default
    for label, (x, mean, half) in lines.items():
        assert np.round(x) == pytest.approx([0, 1, 2])
        for severity in (1, 2):
            per_seed = [np.mean([_corruption_value(label, seed, c, severity) for c in ("fog", "noise")]) for seed in SEEDS]
            expected_mean, expected_std = _expected(per_seed)
            assert mean[severity] == pytest.approx(expected_mean)
            assert half[severity] == pytest.approx(expected_std)
        assert mean[0] == pytest.approx(np.mean([BASE[label] + 0.01 * seed for seed in SEEDS]))
    hem_line = axis.containers[1].lines[0]
    assert to_rgba(hem_line.get_color()) == pytest.approx(to_rgba(HEM_COLOR))
    assert [tick.get_text() for tick in axis.get_xticklabels()] == ["clean", "1", "2"]
    assert axis.get_xlabel() == "corruption severity" and "accuracy" in axis.get_ylabel()


def test_severity_of_one_corruption_and_chosen_losses(table):
    figure = plot_accuracy_vs_severity(table, corruption="fog", losses=["hem:margin=0.5", "hem"])
    lines = _lines(figure.axes[0])
    assert list(lines) == ["hem:margin=0.5", "hem"]
    expected = np.mean([_corruption_value("hem", seed, "fog", 2) for seed in SEEDS])
    assert lines["hem"][1][2] == pytest.approx(expected)


def test_eps_panels_per_attack_start_from_clean_accuracy(table, assert_readable):
    figure = plot_accuracy_vs_eps(table)
    assert_readable(figure)
    assert [axis.get_title() for axis in figure.axes] == ["attack: fgsm", "attack: worst_case"]
    for axis, attack in zip(figure.axes, ("fgsm", "worst_case")):
        lines = _lines(axis)
        assert list(lines) == ["ce", "hem"]
        for label, (x, mean, half) in lines.items():
            assert x == pytest.approx([0.0, 0.01, 0.02], abs=0.002)
            assert mean[0] == pytest.approx(np.mean([BASE[label] + 0.01 * seed for seed in SEEDS]))
            expected_mean, expected_std = _expected([_attack_value(label, seed, attack, 0.02) for seed in SEEDS])
            assert mean[2] == pytest.approx(expected_mean) and half[2] == pytest.approx(expected_std)
        assert "varepsilon" in axis.get_xlabel()
    assert figure.axes[0].get_ylabel()


def test_a_single_seed_draws_no_error_bar(table):
    figure = plot_accuracy_vs_eps(table[table["seed"] == 0])
    for _, _, half in _lines(figure.axes[0]).values():
        assert half == pytest.approx(0.0)


@pytest.mark.parametrize("plot", [plot_accuracy_vs_severity, plot_accuracy_vs_eps])
def test_bad_tables_and_losses_name_the_argument(plot, table):
    with pytest.raises(ValueError, match="table: missing columns"):
        plot(table.drop(columns=["seed"]))
    with pytest.raises(ValueError, match="table: expected"):
        plot(table[table["task"] == "continual"])
    with pytest.raises(ValueError, match="table: expected a pandas DataFrame"):
        plot(table.to_dict())
    with pytest.raises(ValueError, match="losses"):
        plot(table, losses=["focal"])


def test_unknown_corruption_names_the_argument(table):
    with pytest.raises(ValueError, match="corruption: expected one of"):
        plot_accuracy_vs_severity(table, corruption="snow")


def test_error_bars_stop_at_the_ends_of_the_accuracy_range(table):
    # seeds at 0.999 and 0.9 (mean 0.9495, std 0.07): mean + std would pass 1
    high = table.copy()
    clean = (high["task"] == "adversarial") & (high["condition"] == "clean") & (high["loss_label"] == "hem")
    high.loc[clean, "value"] = np.where(high.loc[clean, "seed"] == 0, 0.999, 0.9)
    figure = plot_accuracy_vs_eps(high, losses=["hem"])
    container = figure.axes[0].containers[0]
    top = max(segment[:, 1].max() for segment in container.lines[2][0].get_segments())
    assert top == pytest.approx(1.0)
    bottom = container.lines[2][0].get_segments()[0][:, 1].min()
    assert bottom == pytest.approx(0.9495 - np.std([0.999, 0.9], ddof=1))


def test_corrupted_images_show_each_corruption_at_each_severity(assert_readable):
    image = np.linspace(0, 1, 64, dtype=np.float32).reshape(1, 8, 8)
    figure = plot_corrupted_images(image, ["gaussian_noise", "contrast"], severities=(1, 5))
    assert_readable(figure)
    assert len(figure.axes) == 2 * 3
    assert [axis.get_title() for axis in figure.axes[:3]] == ["clean", "severity 1", "severity 5"]
    clean, _, strongest = (axis.get_images()[0].get_array() for axis in figure.axes[3:])
    assert np.ptp(strongest) < np.ptp(clean)                  # contrast 5 flattens the image
    assert figure.axes[3].get_ylabel() == "contrast"


@pytest.mark.parametrize(("image", "corruptions", "match"), [
    (np.zeros((8, 8)), None, "image: expected 3 dimensions"),
    (np.full((1, 8, 8), 2.0), None, r"image: expected \(C, H, W\)"),
    (np.zeros((1, 8, 8)), [], "corruptions"),
    (np.zeros((1, 8, 8)), ["snow"], "name: expected one of"),
])
def test_corrupted_images_name_bad_arguments(image, corruptions, match):
    with pytest.raises(ValueError, match=match):
        plot_corrupted_images(image, corruptions)
