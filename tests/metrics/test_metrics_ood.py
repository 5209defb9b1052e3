"""OOD scores and metrics against direct formulas, scikit-learn and a hand-computed FPR95."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from hemlab.metrics import OOD_METHODS, ood_metrics, ood_scores


def _direct_score(row: list[float], method: str) -> float:
    exps = [math.exp(value) for value in row]
    probabilities = [value / sum(exps) for value in exps]
    if method == "msp":
        return max(probabilities)
    if method == "maxlogit":
        return max(row)
    if method == "energy":
        return math.log(sum(exps))
    return sum(p * math.log(p) for p in probabilities)


@pytest.mark.parametrize("method", OOD_METHODS)
def test_ood_scores_match_direct_formulas(method, device):
    logits = torch.randn(7, 5, dtype=torch.float64) * 3
    scores = ood_scores(logits.to(device), method=method).cpu()
    expected = torch.tensor([_direct_score(row, method) for row in logits.tolist()], dtype=torch.float64)
    assert scores.shape == (7,)
    torch.testing.assert_close(scores, expected)


@pytest.mark.parametrize("method", OOD_METHODS)
def test_ood_scores_rank_a_peaked_sample_above_a_flat_one(method):
    logits = torch.tensor([[8.0, 0.0, 0.0], [0.5, 0.4, 0.6]])
    scores = ood_scores(logits, method=method)
    assert scores[0] > scores[1]


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_energy_score_with_a_temperature(temperature):
    logits = torch.randn(6, 4, dtype=torch.float64) * 3
    expected = torch.tensor([temperature * math.log(sum(math.exp(value / temperature) for value in row))
                             for row in logits.tolist()], dtype=torch.float64)
    torch.testing.assert_close(ood_scores(logits, "energy", temperature=temperature), expected)


def test_temperature_is_checked_and_only_for_energy():
    with pytest.raises(ValueError, match="temperature: expected a finite number > 0, got 0"):
        ood_scores(torch.randn(3, 4), "energy", temperature=0)
    with pytest.raises(ValueError, match="temperature: only method='energy' takes a temperature"):
        ood_scores(torch.randn(3, 4), "msp", temperature=2.0)


def test_metric_keys_are_snake_case():
    assert list(ood_metrics(np.array([0.9, 0.8]), np.array([0.1, 0.85]))) == ["auroc", "aupr_in", "aupr_out", "fpr95"]


def test_ood_scores_dense_input_scores_each_position():
    logits = torch.randn(2, 4, 3, 5)
    scores = ood_scores(logits, method="energy")
    assert scores.shape == (2, 3, 5)
    torch.testing.assert_close(scores[1, 2, 4], logits[1, :, 2, 4].logsumexp(0))


def test_ood_scores_rejects_unknown_method_and_bad_shapes():
    with pytest.raises(ValueError, match="msp, maxlogit, energy, entropy"):
        ood_scores(torch.randn(3, 4), method="odin")
    with pytest.raises(ValueError, match="logits"):
        ood_scores(torch.randn(4), method="msp")
    with pytest.raises(TypeError, match="floating"):
        ood_scores(torch.ones(3, 4, dtype=torch.long))


def _sklearn_reference(id_conf: np.ndarray, ood_conf: np.ndarray) -> dict[str, float]:
    is_id = np.r_[np.ones(id_conf.size), np.zeros(ood_conf.size)]
    scores = np.r_[id_conf, ood_conf]
    return {
        "auroc": roc_auc_score(is_id, scores),
        "aupr_in": average_precision_score(is_id, scores),
        "aupr_out": average_precision_score(1 - is_id, -scores),
    }


@pytest.mark.parametrize("decimals", [None, 1])
def test_ood_metrics_agree_with_sklearn(decimals):
    rng = np.random.default_rng(0)
    id_conf, ood_conf = rng.normal(1.0, 1.0, 300), rng.normal(0.0, 1.0, 170)
    if decimals is not None:
        id_conf, ood_conf = id_conf.round(decimals), ood_conf.round(decimals)
    result = ood_metrics(torch.from_numpy(id_conf), ood_conf)
    for name, value in _sklearn_reference(id_conf, ood_conf).items():
        assert result[name] == pytest.approx(value, abs=1e-12), name
    assert 0.6 < result["auroc"] < 0.9


def test_swapping_id_and_ood_flips_auroc_and_swaps_aupr():
    rng = np.random.default_rng(1)
    id_conf, ood_conf = rng.normal(0.5, 1.0, 80).round(1), rng.normal(0.0, 1.0, 60).round(1)
    forward, backward = ood_metrics(id_conf, ood_conf), ood_metrics(ood_conf, id_conf)
    assert backward["auroc"] == pytest.approx(1.0 - forward["auroc"])
    assert forward["auroc"] > 0.5
    reversed_scores = ood_metrics(-ood_conf, -id_conf)
    assert reversed_scores["aupr_in"] == pytest.approx(forward["aupr_out"])
    assert reversed_scores["aupr_out"] == pytest.approx(forward["aupr_in"])


def test_fpr95_hand_example_with_tie_at_threshold():
    id_conf = np.arange(1, 21) / 20.0  # 19th largest = 0.10 accepts exactly 19/20 = 95% of ID
    ood_conf = np.array([0.05, 0.10, 0.50, 0.95])  # 0.10 ties the threshold and is accepted
    assert ood_metrics(id_conf, ood_conf)["fpr95"] == pytest.approx(0.75)


def test_fpr95_rounds_the_id_count_up():
    id_conf = np.arange(1, 11) / 10.0  # ceil(9.5) = 10: threshold is the smallest ID score, 0.1
    assert ood_metrics(id_conf, np.array([0.05, 0.1, 0.15]))["fpr95"] == pytest.approx(2 / 3)
    id_conf = np.arange(1, 101) / 100.0  # exactly 95 of 100: threshold 0.06
    assert ood_metrics(id_conf, np.array([0.05, 0.06]))["fpr95"] == pytest.approx(0.5)


def test_perfect_separation():
    result = ood_metrics(torch.tensor([0.9, 0.8, 0.95]), torch.tensor([0.1, 0.2]))
    assert result == {"auroc": 1.0, "aupr_in": 1.0, "aupr_out": 1.0, "fpr95": 0.0}


def test_ood_metrics_reject_empty_and_nan():
    with pytest.raises(ValueError, match="ood_conf"):
        ood_metrics(np.array([0.5]), np.array([]))
    with pytest.raises(ValueError, match="id_conf"):
        ood_metrics(np.array([np.nan, 0.1]), np.array([0.2]))
