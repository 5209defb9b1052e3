"""Continual-learning metrics on a hand-written accuracy matrix."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hemlab.metrics import continual_metrics

# R[i, j]: accuracy on task j after training task i.
R_3X3 = [
    [0.90, 0.00, 0.00],
    [0.60, 0.80, 0.00],
    [0.50, 0.70, 0.95],
]


def test_hand_written_three_task_matrix():
    result = continual_metrics(R_3X3)
    # average: (0.50 + 0.70 + 0.95) / 3
    assert result["average_accuracy"] == pytest.approx(2.15 / 3)
    # forgetting: task 0 best 0.90 -> 0.50 (0.40); task 1 best 0.80 -> 0.70 (0.10); mean 0.25
    assert result["forgetting"] == pytest.approx(0.25)
    # bwt: (0.50 - 0.90 + 0.70 - 0.80) / 2
    assert result["bwt"] == pytest.approx(-0.25)


def test_forgetting_uses_the_best_earlier_accuracy_not_the_diagonal():
    R = np.array([[0.7, 0.0, 0.0], [0.9, 0.8, 0.0], [0.6, 0.8, 0.9]])
    result = continual_metrics(torch.tensor(R))
    assert result["forgetting"] == pytest.approx((0.3 + 0.0) / 2)
    assert result["bwt"] == pytest.approx((-0.1 + 0.0) / 2)


def test_single_task_has_no_forgetting():
    assert continual_metrics([[0.8]]) == {"average_accuracy": pytest.approx(0.8), "forgetting": 0.0, "bwt": 0.0}


@pytest.mark.parametrize("bad", [[[0.1, 0.2]], [0.1, 0.2], np.zeros((0, 0)), [[0.1, np.nan], [0.2, 0.3]]])
def test_rejects_non_square_empty_or_nan(bad):
    with pytest.raises(ValueError, match="R:"):
        continual_metrics(bad)
