"""Per-class accuracy vs class size, continual accuracy matrices and segmentation masks."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb, to_rgba

from hemlab.viz import (HEM_COLOR, loss_colors, plot_accuracy_matrices, plot_masks,
                        plot_per_class_accuracy_vs_count)
from hemlab.viz.segmentation import CLASS_COLORS, IGNORED_COLOR

COUNTS = np.array([400, 200, 90, 40, 15, 4])


def _runs_with_known_recall(recalls: dict[str, list[float]], per_class: int = 20):
    """label -> (logits, targets) where class c is right for the first round(recall_c * per_class) samples."""
    runs = {}
    for label, recall in recalls.items():
        targets = np.repeat(np.arange(COUNTS.size), per_class)
        logits = np.zeros((targets.size, COUNTS.size), dtype=np.float32)
        for index, target in enumerate(targets):
            right = index % per_class < round(recall[target] * per_class)
            logits[index, target if right else (target + 1) % COUNTS.size] = 1.0
        runs[label] = (logits, targets)
    return runs


def test_per_class_dots_are_each_class_recall(assert_readable):
    recalls = {"ce": [1.0, 0.9, 0.7, 0.5, 0.2, 0.0], "hem": [1.0, 0.95, 0.8, 0.6, 0.4, 0.25]}
    figure = plot_per_class_accuracy_vs_count(COUNTS, _runs_with_known_recall(recalls))
    assert_readable(figure)
    (axis,) = figure.axes
    assert axis.get_xscale() == "log" and "log" in axis.get_xlabel() and "accuracy" in axis.get_ylabel()
    dots = axis.collections
    assert len(dots) == 2
    for collection, (label, recall) in zip(dots, recalls.items()):
        offsets = np.asarray(collection.get_offsets())
        assert offsets[:, 0] == pytest.approx(COUNTS) and offsets[:, 1] == pytest.approx(recall)
    trends = [line for line in axis.lines if line.get_label() in recalls]
    assert [line.get_label() for line in trends] == ["ce", "hem"]
    assert to_rgba(trends[1].get_color()) == pytest.approx(to_rgba(HEM_COLOR))
    assert sorted(trends[0].get_ydata()) == pytest.approx(sorted(recalls["ce"]))  # six sizes, one class per bin
    thresholds = [line.get_xdata()[0] for line in axis.lines if line.get_linestyle() == ":"]
    assert thresholds == [20, 100]


def test_per_class_marks_the_given_shot_thresholds():
    runs = _runs_with_known_recall({"ce": [1.0] * 6})
    (axis,) = plot_per_class_accuracy_vs_count(COUNTS, runs, shot_thresholds=(60, 10, 1000)).axes
    assert [line.get_xdata()[0] for line in axis.lines if line.get_linestyle() == ":"] == [10, 60]
    assert [text.get_text() for text in axis.texts] == [" 10", " 60"]


def test_per_class_bad_inputs_name_the_argument():
    runs = _runs_with_known_recall({"ce": [1.0] * 6})
    with pytest.raises(ValueError, match="class_counts"):
        plot_per_class_accuracy_vs_count(COUNTS.astype(float), runs)
    with pytest.raises(ValueError, match="class_counts"):
        plot_per_class_accuracy_vs_count(np.array([5, 0, 3, 1, 1, 1]), runs)
    with pytest.raises(ValueError, match=r"runs\['ce'\] logits: expected 5 classes"):
        plot_per_class_accuracy_vs_count(COUNTS[:5], runs)
    with pytest.raises(ValueError, match="shot_thresholds: expected positive"):
        plot_per_class_accuracy_vs_count(COUNTS, runs, shot_thresholds=(0, 100))


def _matrix(decay: float, tasks: int = 4) -> np.ndarray:
    steps = np.arange(tasks)
    age = steps[:, None] - steps[None, :]
    return np.where(age >= 0, 0.95 * np.exp(-decay * age), 0.0)


def test_accuracy_matrices_share_one_colour_scale_and_annotate_every_entry(assert_readable):
    matrices = {"ce": _matrix(0.5), "mm": _matrix(0.4), "hem": _matrix(0.2), "focal": _matrix(0.45),
                "la": _matrix(0.5)}
    figure = plot_accuracy_matrices(matrices)
    assert_readable(figure)
    assert len(figure.axes) == len(matrices) + 1                 # + the colour bar
    for axis, (label, matrix) in zip(figure.axes, matrices.items()):
        (image,) = axis.images
        assert image.get_clim() == (0.0, 1.0)
        assert np.asarray(image.get_array()) == pytest.approx(matrix)
        assert sorted(float(text.get_text()) for text in axis.texts) == pytest.approx(sorted(matrix.round(2).ravel()))
        assert axis.get_title().startswith(label) and f"avg {matrix[-1].mean():.2f}" in axis.get_title()
        assert axis.get_xlabel() == "evaluated on task j" and axis.get_ylabel() == "after training task i"
    assert to_rgba(figure.axes[2].title.get_color()) == pytest.approx(to_rgba(HEM_COLOR))
    assert figure.axes[-1].get_ylabel() == "accuracy"


def test_accuracy_matrices_in_percent_get_a_percent_scale():
    figure = plot_accuracy_matrices({"ce": 100 * _matrix(0.5)})
    assert figure.axes[0].images[0].get_clim() == (0.0, 100.0)
    assert figure.axes[-1].get_ylabel() == "accuracy (%)"


@pytest.mark.parametrize(("matrices", "match"), [
    ({}, "matrices"),
    ({"ce": np.ones((2, 3))}, r"matrices\['ce'\]: expected a square"),
    ({"ce": np.ones(3)}, r"matrices\['ce'\]: expected 2 dimensions"),
    ({"ce": np.full((2, 2), np.nan)}, r"matrices\['ce'\]: expected finite"),
    ({"ce": np.ones((2, 2)), "hem": np.ones((3, 3))}, "matrices: expected the same number of tasks"),
])
def test_bad_matrices_name_the_argument(matrices, match):
    with pytest.raises(ValueError, match=match):
        plot_accuracy_matrices(matrices)


@pytest.fixture
def segmentation():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, (5, 8, 8))
    truth[:, 0, :] = -100
    images = rng.random((5, 3, 8, 8)).astype(np.float16)
    predictions = {"ce": truth.clip(0), "hem": np.where(truth < 0, 2, (truth + 1) % 3)}
    return images, truth, predictions


def test_masks_grid_shows_truth_predictions_and_ignored_pixels(segmentation, assert_readable):
    images, truth, predictions = segmentation
    figure = plot_masks(images, truth, predictions, max_images=3, class_names=["sky", "road", "car"])
    assert_readable(figure)
    assert len(figure.axes) == 3 * (2 + 2)
    assert [axis.get_title() for axis in figure.axes[:4]] == ["image", "ground truth", "ce", "hem"]
    assert to_rgba(figure.axes[3].title.get_color()) == pytest.approx(to_rgba(HEM_COLOR))
    assert to_rgba(figure.axes[2].title.get_color()) == pytest.approx(to_rgba(loss_colors(["ce"])["ce"]))
    truth_picture = np.asarray(figure.axes[1].images[0].get_array())
    assert truth_picture[0, 0] == pytest.approx(to_rgb(IGNORED_COLOR))
    assert truth_picture[1, 0] == pytest.approx(to_rgb(CLASS_COLORS[truth[0, 1, 0]]))
    assert figure.axes[2].get_xlabel() == "pixel acc 1.000"          # ce predicts the truth
    assert figure.axes[3].get_xlabel() == "pixel acc 0.000"
    assert [axis.get_ylabel() for axis in figure.axes[::4]] == ["sample 0", "sample 1", "sample 2"]
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["sky", "road", "car", "ignored (-100)"]


def test_masks_accept_single_channel_and_unscaled_images(segmentation):
    _, truth, predictions = segmentation
    figure = plot_masks(np.random.default_rng(1).normal(0, 3, (5, 8, 8)), truth, predictions)
    assert len(figure.axes) == 4 * 4
    picture = np.asarray(figure.axes[0].images[0].get_array())
    assert picture.shape == (8, 8, 3) and picture.min() >= 0 and picture.max() <= 1


def test_bad_masks_name_the_argument(segmentation):
    images, truth, predictions = segmentation
    with pytest.raises(ValueError, match=r"masks_pred_by_loss\['hem'\]: expected shape"):
        plot_masks(images, truth, {**predictions, "hem": predictions["hem"][:, :4]})
    with pytest.raises(ValueError, match="masks_true: expected class indices"):
        plot_masks(images, np.where(truth == -100, -1, truth), predictions)
    with pytest.raises(ValueError, match="masks_true: expected integer"):
        plot_masks(images, truth.astype(float), predictions)
    with pytest.raises(ValueError, match="images: expected shape"):
        plot_masks(images[:, :2], truth, predictions)
    with pytest.raises(ValueError, match="max_images"):
        plot_masks(images, truth, predictions, max_images=0)
    with pytest.raises(ValueError, match=r"masks_true: expected class indices in \[0, 2\)"):
        plot_masks(images, truth, predictions, class_names=["a", "b"])
