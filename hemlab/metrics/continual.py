"""Continual-learning summaries of a task-accuracy matrix.

References: Lopez-Paz & Ranzato 2017 (GEM: average accuracy, backward transfer);
Chaudhry et al. 2018 (RWalk: forgetting as the drop from the best earlier accuracy).
"""
from __future__ import annotations

import torch

from hemlab.metrics._inputs import ArrayLike, as_tensor


def continual_metrics(R: ArrayLike) -> dict[str, float]:
    """Average accuracy, forgetting and backward transfer of a ``T x T`` accuracy matrix.

    Args:
        R: ``R[i, j]`` = accuracy on task ``j`` after training on tasks ``0..i`` (tensor, numpy
            array or nested list; fractions or percentages, the results use the same unit).
            Entries above the diagonal (tasks not yet trained) enter only the forgetting max.

    Returns:
        A dict with, for ``T`` tasks,

        - ``"average_accuracy"`` = ``mean_j R[T-1, j]`` (over all ``T`` tasks);
        - ``"forgetting"`` = ``mean_{j<T-1} (max_{l<T-1} R[l, j] - R[T-1, j])``, the mean drop from
          the best accuracy a task had before the last task was learned. As in the formula, the max
          runs over every earlier row, including rows ``l < j`` recorded before task ``j`` was
          trained; in class-incremental learning those entries are 0 (unseen classes are never
          predicted), so they do not matter, but they must be finite;
        - ``"bwt"`` = ``mean_{j<T-1} (R[T-1, j] - R[j, j])``, backward transfer (negative =
          forgetting).

        With a single task (``T = 1``) nothing can be forgotten: ``forgetting`` and ``bwt`` are
        ``0.0``.
    """
    matrix = as_tensor(R, "R").double()
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"R: expected a square T x T matrix, got shape {tuple(matrix.shape)}")
    num_tasks = matrix.shape[0]
    if num_tasks == 0:
        raise ValueError("R: expected at least one task, got a 0 x 0 matrix")
    if not torch.isfinite(matrix).all():
        raise ValueError("R: entries must be finite (found NaN or inf); record unseen tasks as 0")
    final = matrix[-1]
    if num_tasks == 1:
        return {"average_accuracy": float(final[0]), "forgetting": 0.0, "bwt": 0.0}
    earlier = num_tasks - 1
    best_before_last = matrix[:earlier, :earlier].amax(dim=0)
    return {
        "average_accuracy": float(final.mean()),
        "forgetting": float((best_before_last - final[:earlier]).mean()),
        "bwt": float((final[:earlier] - matrix.diagonal()[:earlier]).mean()),
    }
