"""Known-vs-unknown pictures: ROC curves and score histograms agree with scikit-learn and numpy."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from scipy.special import logsumexp
from sklearn.metrics import roc_auc_score, roc_curve

from hemlab.viz import HEM_COLOR, loss_colors, plot_roc_curves, plot_score_histograms

LABELS = ("ce", "hem", "logitnorm")


def _logits(scale: float, shift: float, rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, scale, (rows, 5))
    logits[:, 0] += shift
    return logits.astype(np.float16)


@pytest.fixture
def known() -> dict[str, np.ndarray]:
    return {label: _logits(1.0 + rank, 2.0, 120, rank) for rank, label in enumerate(LABELS)}


@pytest.fixture
def unknown() -> dict[str, np.ndarray]:
    return {label: _logits(1.0 + rank, 0.5 * rank, 90, 10 + rank) for rank, label in enumerate(LABELS)}


def _reference_scores(logits: np.ndarray, score: str) -> np.ndarray:
    z = logits.astype(np.float64)
    probabilities = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    return {"maxlogit": z.max(axis=1), "msp": probabilities.max(axis=1), "energy": logsumexp(z, axis=1),
            "entropy": (probabilities * np.log(probabilities)).sum(axis=1)}[score]


def _labels_and_scores(known_logits, unknown_logits, score):
    scores = np.concatenate([_reference_scores(known_logits, score), _reference_scores(unknown_logits, score)])
    return np.concatenate([np.ones(len(known_logits)), np.zeros(len(unknown_logits))]), scores


@pytest.mark.parametrize("score", ["maxlogit", "msp", "energy", "entropy"])
def test_roc_curves_match_scikit_learn(known, unknown, score, assert_readable):
    figure = plot_roc_curves(known, unknown, score=score)
    assert_readable(figure)
    (axis,) = figure.axes
    curves = [line for line in axis.lines if not line.get_label().startswith(("chance", "_"))]
    assert len(curves) == len(LABELS)
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    for label, line in zip(LABELS, curves):
        is_known, scores = _labels_and_scores(known[label], unknown[label], score)
        false_positive, true_positive, _ = roc_curve(is_known, scores)
        assert line.get_xdata() == pytest.approx(false_positive, abs=1e-6)
        assert line.get_ydata() == pytest.approx(true_positive, abs=1e-6)
        assert any(entry.startswith(label) and f"AUROC {roc_auc_score(is_known, scores):.3f}" in entry for entry in legend)
    assert to_rgba(curves[1].get_color()) == pytest.approx(to_rgba(HEM_COLOR))
    assert "false-positive rate" in axis.get_xlabel() and "true-positive rate" in axis.get_ylabel()


def test_score_histograms_show_each_loss_known_and_unknown(known, unknown, assert_readable):
    figure = plot_score_histograms(known, unknown, score="maxlogit", bins=20)
    assert_readable(figure)
    assert len(figure.axes) == len(LABELS)
    colors = loss_colors(list(LABELS))
    for axis, label in zip(figure.axes, LABELS):
        is_known, scores = _labels_and_scores(known[label], unknown[label], "maxlogit")
        assert f"AUROC {roc_auc_score(is_known, scores):.3f}" in axis.get_title()
        bars = [patch for patch in axis.patches if patch.get_facecolor()[3] > 0]
        heights = np.array([bar.get_height() for bar in bars])
        expected, _ = np.histogram(scores[is_known == 1], bins=np.histogram_bin_edges(scores, bins=20), density=True)
        assert heights == pytest.approx(expected, rel=1e-3, abs=1e-3)
        assert bars[0].get_facecolor()[:3] == pytest.approx(to_rgba(colors[label])[:3])
        assert "max logit" in axis.get_xlabel() and axis.get_ylabel() == "density"
    assert len(figure.legends[0].get_texts()) == 2


def test_bad_inputs_name_the_argument(known, unknown):
    for plot in (plot_roc_curves, plot_score_histograms):
        with pytest.raises(ValueError, match="score: expected one of"):
            plot(known, unknown, score="odin")
        with pytest.raises(ValueError, match="ood_logits_by_loss: expected the losses"):
            plot(known, {"ce": unknown["ce"]})
        with pytest.raises(ValueError, match=r"ood_logits_by_loss\['hem'\]: expected 5 classes"):
            plot(known, {**unknown, "hem": unknown["hem"][:, :3]})
        with pytest.raises(ValueError, match="id_logits_by_loss"):
            plot({}, unknown)
