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


def test_forgetting_counts_only_rows_after_the_task_was_learned():
    # Task 1 scored .95 before it was trained (row 0); that entry must not count.
    R = [[0.9, 0.95, 0.0], [0.8, 0.6, 0.0], [0.7, 0.5, 0.9]]
    result = continual_metrics(R)
    # task 0: max(.9, .8) - .7 = .2;  task 1: max(.6) - .5 = .1;  mean .15 (not .325).
    assert result["forgetting"] == pytest.approx(0.15)
    assert result["bwt"] == pytest.approx(((0.7 - 0.9) + (0.5 - 0.6)) / 2)


def test_forgetting_matches_a_loop_over_rows_l_from_j_to_t_minus_2():
    R = np.random.default_rng(0).uniform(size=(5, 5))
    expected = np.mean([max(R[l, j] for l in range(j, 4)) - R[4, j] for j in range(4)])
    assert continual_metrics(R)["forgetting"] == pytest.approx(expected)


def test_tasks_not_yet_trained_may_be_nan():
    R = [[0.9, np.nan, np.nan], [0.8, 0.6, np.nan], [0.7, 0.5, 0.9]]
    assert continual_metrics(R)["forgetting"] == pytest.approx(0.15)


def test_single_task_has_no_forgetting():
    assert continual_metrics([[0.8]]) == {"average_accuracy": pytest.approx(0.8), "forgetting": 0.0, "bwt": 0.0}


@pytest.mark.parametrize("bad", [[[0.1, 0.2]], [0.1, 0.2], np.zeros((0, 0)), [[0.1, 0.0], [np.nan, 0.3]]])
def test_rejects_non_square_empty_or_nan(bad):
    with pytest.raises(ValueError, match="R:"):
        continual_metrics(bad)
