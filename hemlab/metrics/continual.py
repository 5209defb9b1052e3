"""Continual-learning summaries of a task-accuracy matrix.

References: Lopez-Paz & Ranzato 2017 (GEM: average accuracy, backward transfer);
Chaudhry et al. 2018 (RWalk: forgetting as the drop from the best accuracy since the task
was learned, the max over rows ``l >= j``).
"""
from __future__ import annotations

import math

import torch

from hemlab.metrics._inputs import ArrayLike, as_tensor


def continual_metrics(R: ArrayLike) -> dict[str, float]:
    """Average accuracy, forgetting and backward transfer of a ``T x T`` accuracy matrix.

    Args:
        R: ``R[i, j]`` = accuracy on task ``j`` after training on tasks ``0..i`` (tensor, numpy
            array or nested list; fractions or percentages, the results use the same unit).
            Entries above the diagonal (tasks not yet trained) are not used and may be NaN.

    Returns:
        A dict with, for ``T`` tasks,

        - ``"average_accuracy"`` = ``mean_j R[T-1, j]`` (over all ``T`` tasks);
        - ``"forgetting"`` = ``mean_{j<T-1} (max_{j<=l<=T-2} R[l, j] - R[T-1, j])``, the mean drop
          from the best accuracy task ``j`` had *after it was learned* (rows ``l >= j``) and before
          the last task. Rows ``l < j``, recorded before task ``j`` was trained, never count.
          Example: ``R = [[.9, .95, 0], [.8, .6, 0], [.7, .5, .9]]`` gives
          ``((.9 - .7) + (.6 - .5)) / 2 = 0.15`` (the .95 of task 1 before it was trained is
          left out);
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
    learned = torch.ones(num_tasks, num_tasks, dtype=torch.bool, device=matrix.device).tril()
    if not torch.isfinite(matrix[learned]).all():
        raise ValueError("R: entries on and below the diagonal must be finite (found NaN or inf)")
    final = matrix[-1]
    if num_tasks == 1:
        return {"average_accuracy": float(final[0]), "forgetting": 0.0, "bwt": 0.0}
    earlier = num_tasks - 1
    # Row l counts for task j only once task j has been learned (l >= j).
    after_learning = matrix.masked_fill(~learned, -math.inf)
    best_before_last = after_learning[:earlier, :earlier].amax(dim=0)
    return {
        "average_accuracy": float(final.mean()),
        "forgetting": float((best_before_last - final[:earlier]).mean()),
        "bwt": float((final[:earlier] - matrix.diagonal()[:earlier]).mean()),
    }
