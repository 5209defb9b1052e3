"""Accuracy family against scikit-learn and hand examples."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score

from hemlab.metrics import accuracy, balanced_accuracy, per_class_accuracy, shot_accuracy
from hemlab.sentinels import IGNORE_INDEX


def test_accuracy_from_logits_and_from_predictions(device):
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [5.0, 0.0, 0.0]], device=device)
    targets = torch.tensor([0, 2, 2, 1], device=device)
    assert accuracy(logits, targets) == pytest.approx(0.5)
    assert accuracy(logits.argmax(1), targets) == pytest.approx(0.5)
    assert accuracy(np.array([0, 1, 2, 0]), np.array([0, 2, 2, 1])) == pytest.approx(0.5)


def test_balanced_accuracy_matches_sklearn_on_imbalanced_data():
    rng = np.random.default_rng(0)
    targets = rng.choice(5, size=400, p=[0.5, 0.25, 0.15, 0.07, 0.03])
    predictions = np.where(rng.random(400) < 0.7, targets, rng.integers(0, 5, 400))
    expected = balanced_accuracy_score(targets, predictions)
    assert balanced_accuracy(torch.from_numpy(predictions), torch.from_numpy(targets)) == pytest.approx(expected)
    assert abs(expected - accuracy(predictions, targets)) > 1e-3


def test_balanced_accuracy_ignores_classes_missing_from_targets():
    predictions, targets = np.array([0, 1, 3, 3, 1]), np.array([0, 1, 1, 0, 1])
    with pytest.warns(UserWarning):
        expected = balanced_accuracy_score(targets, predictions)
    assert balanced_accuracy(predictions, targets) == pytest.approx(expected)


def test_per_class_accuracy_is_nan_for_absent_classes():
    logits = torch.zeros(4, 4)
    logits[torch.arange(4), torch.tensor([0, 0, 1, 2])] = 1.0
    result = per_class_accuracy(logits, torch.tensor([0, 1, 1, 2]))
    assert result[:3].tolist() == [1.0, 0.5, 1.0]
    assert math.isnan(result[3])


def test_dense_logits_count_every_position():
    logits = torch.randn(2, 3, 4, 4)
    targets = torch.randint(0, 3, (2, 4, 4))
    expected = (logits.argmax(1) == targets).float().mean().item()
    assert accuracy(logits, targets) == pytest.approx(expected)


def test_shot_accuracy_hand_example():
    # training counts: classes 0,1 many (>10); 2,3 medium (3..10); 4 few (<3); class 5 medium but untested
    train_counts = torch.tensor([50, 11, 10, 3, 2, 7])
    targets = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    predictions = torch.tensor([0, 0, 1, 0, 2, 3, 5, 5, 4, 1])
    result = shot_accuracy(predictions, targets, train_counts, many=10, few=3)
    assert result["many"] == pytest.approx((1.0 + 0.5) / 2)
    assert result["medium"] == pytest.approx((0.5 + 0.0) / 2)
    assert result["few"] == pytest.approx(0.5)


def test_shot_accuracy_empty_group_is_nan():
    result = shot_accuracy(torch.tensor([0, 1]), torch.tensor([0, 1]), [500, 300])
    assert result["many"] == 1.0 and math.isnan(result["medium"]) and math.isnan(result["few"])


def test_shot_accuracy_validates_arguments():
    with pytest.raises(ValueError, match="few"):
        shot_accuracy(torch.tensor([0]), torch.tensor([0]), [5], many=10, few=20)
    with pytest.raises(ValueError, match="targets"):
        shot_accuracy(torch.tensor([0, 2]), torch.tensor([0, 2]), [5, 5])


def test_rejects_mismatched_shapes_and_float_targets():
    with pytest.raises(ValueError, match="targets"):
        accuracy(torch.randn(4, 3), torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="targets"):
        accuracy(torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0]))


def test_accuracy_skips_ignored_positions():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [0.0, 2.0]])
    assert accuracy(logits, torch.tensor([0, 1, 1, -100]), ignore_index=-100) == pytest.approx(2 / 3)
    assert accuracy(torch.tensor([0, 1, 0, 1]), torch.tensor([0, 1, 1, -100]), ignore_index=-100) == pytest.approx(2 / 3)
    dense = torch.zeros(1, 3, 2, 2)
    dense[0, 2] = 1.0
    assert accuracy(dense, torch.tensor([[[2, 255], [0, 2]]]), ignore_index=255) == pytest.approx(2 / 3)
    assert math.isnan(accuracy(logits, torch.full((4,), 255), ignore_index=255))
    with pytest.raises(ValueError, match="targets"):
        accuracy(logits, torch.zeros(3, dtype=torch.long), ignore_index=255)
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 2\)"):
        accuracy(logits, torch.tensor([0, 1, 1, -100]), ignore_index=None)


def test_accuracy_ignores_the_losses_ignore_index_by_default():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [0.0, 2.0]])
    assert accuracy(logits, torch.tensor([0, 1, 1, IGNORE_INDEX])) == pytest.approx(2 / 3)
    dense = torch.zeros(1, 3, 2, 2)
    dense[0, 2] = 1.0
    assert accuracy(dense, torch.tensor([[[2, IGNORE_INDEX], [0, 2]]])) == pytest.approx(2 / 3)
