"""Cross-entropy, the baseline every other loss is compared with.

Per position: ``L = -log softmax(z)_y = logsumexp(z) - z_y``; ``reduction="mean"`` averages
over valid (non-ignored) positions.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from hemlab.losses._base import (
    LossModule,
    check_inputs,
    check_reduction,
    compute_dtype,
    in_dtype_of,
    mean_divisor,
    valid_positions,
)
from hemlab.sentinels import IGNORE_INDEX

NAME = "cross_entropy_loss"


def reduced_cross_entropy(logits: Tensor, target: Tensor, ignore_index: int, reduction: str, loss_name: str) -> Tensor:
    """Checked ``-log softmax(z)_y``, reduced; ignored positions give 0 and leave the mean.

    Shared by the losses that are cross-entropy on transformed logits (LogitNorm,
    logit-adjusted); ``logits`` must already be checked and in compute precision. With
    clean targets on the CPU this is one ``F.cross_entropy`` call; otherwise the mean is
    the sum over valid positions divided by ``max(1, their number)``, so all-ignored or
    empty input gives an exact 0 (``F.cross_entropy``'s own mean gives NaN there).
    """
    valid = valid_positions(target, logits.shape[1], ignore_index, loss_name)
    if reduction != "mean" or (valid is None and target.numel() > 0):
        return F.cross_entropy(logits, target, ignore_index=ignore_index, reduction=reduction)
    total = F.cross_entropy(logits, target, ignore_index=ignore_index, reduction="sum")
    return total / mean_divisor(valid, target.numel())


def cross_entropy_loss(
    logits: Tensor, target: Tensor, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
) -> Tensor:
    """Cross-entropy of ``logits`` ``(N, C[, d1, ...])`` for integer ``target`` ``(N[, d1, ...])``.

    Per position ``L = -log softmax(z)_y = logsumexp_j z_j - z_y``.

    ``reduction``: ``"mean"`` over valid positions, ``"sum"``, or ``"none"`` (shaped like
    ``target``, 0 where ignored). Half-precision logits are computed in float32.
    """
    check_inputs(logits, target, NAME)
    check_reduction(reduction, NAME)
    return in_dtype_of(reduced_cross_entropy(compute_dtype(logits), target, ignore_index, reduction, NAME), logits)


class CrossEntropyLoss(LossModule):
    """Module twin of :func:`cross_entropy_loss`."""

    loss_function = staticmethod(cross_entropy_loss)

    def __init__(self, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean") -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)
