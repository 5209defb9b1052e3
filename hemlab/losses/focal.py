"""Focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017), multi-class.

Per position, with ``p_y = softmax(z)_y``:

    L = -(1 - p_y) ** gamma * log p_y

``gamma = 2``; ``gamma = 0`` is cross-entropy. Computed from ``log_softmax`` so it stays
finite for huge logits. Reviewers of the HEM paper asked for it as a baseline.
"""
from __future__ import annotations

import torch
from torch import Tensor

from hemlab.losses._base import (
    LossModule,
    check_inputs,
    check_reduction,
    check_option,
    compute_dtype,
    in_dtype_of,
    reduce_positions,
    safe_target,
    valid_positions,
)
from hemlab.sentinels import IGNORE_INDEX

NAME = "focal_loss"


def focal_loss(
    logits: Tensor, target: Tensor, gamma: float = 2.0, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
) -> Tensor:
    """Focal loss of ``logits`` ``(N, C[, d1, ...])`` for integer ``target`` ``(N[, d1, ...])``.

    Per position ``L = -(1 - p_y) ** gamma * log p_y`` with ``p = softmax(z)``; ``gamma = 0``
    is cross-entropy.

    ``gamma >= 0``; ``reduction`` as for cross-entropy (mean over valid positions).
    """
    check_inputs(logits, target, NAME)
    check_reduction(reduction, NAME)
    gamma = check_option(gamma, "gamma", NAME)
    valid = valid_positions(target, logits.shape[1], ignore_index, NAME)
    work = compute_dtype(logits)
    log_p = torch.log_softmax(work, dim=1).gather(1, safe_target(target, valid).unsqueeze(1)).squeeze(1)
    # 1 - p_y, kept above the smallest normal number so gamma < 1 has a finite gradient.
    one_minus_p = (-torch.expm1(log_p)).clamp_min(torch.finfo(work.dtype).tiny)
    modulation = one_minus_p.pow(gamma) if gamma != 0.0 else 1.0
    per_position = -modulation * log_p
    return in_dtype_of(reduce_positions(per_position, valid, reduction), logits)


class FocalLoss(LossModule):
    """Module twin of :func:`focal_loss`."""

    loss_function = staticmethod(focal_loss)
    arguments = ("gamma",)

    def __init__(self, gamma: float = 2.0, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean") -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)
        self.gamma = check_option(gamma, "gamma", NAME)
