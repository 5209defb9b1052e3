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
    reduce_positions,
    valid_positions,
)

NAME = "cross_entropy_loss"


def per_position_cross_entropy(logits: Tensor, target: Tensor, ignore_index: int, loss_name: str) -> tuple[Tensor, Tensor | None]:
    """Checked, stable ``-log softmax(z)_y`` per position (0 where ignored) and the valid mask.

    Shared by the losses that are cross-entropy on transformed logits (LogitNorm,
    logit-adjusted); ``logits`` must already be checked and in compute precision.
    """
    valid = valid_positions(target, logits.shape[1], ignore_index, loss_name)
    per_position = F.cross_entropy(logits, target, ignore_index=ignore_index, reduction="none")
    return per_position, valid


def cross_entropy_loss(
    logits: Tensor, target: Tensor, *, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Cross-entropy of ``logits`` ``(N, C[, d1, ...])`` for integer ``target`` ``(N[, d1, ...])``.

    ``reduction``: ``"mean"`` over valid positions, ``"sum"``, or ``"none"`` (shaped like
    ``target``, 0 where ignored). Half-precision logits are computed in float32.
    """
    check_inputs(logits, target, NAME)
    check_reduction(reduction, NAME)
    per_position, valid = per_position_cross_entropy(compute_dtype(logits), target, ignore_index, NAME)
    return reduce_positions(per_position, valid, reduction).to(logits.dtype)


class CrossEntropyLoss(LossModule):
    """Module twin of :func:`cross_entropy_loss`."""

    loss_function = staticmethod(cross_entropy_loss)

    def __init__(self, *, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)
