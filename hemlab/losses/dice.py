"""Soft multi-class Dice loss (Milletari et al., V-Net, 2016), the segmentation baseline.

With ``p = softmax(z)`` over the class dim and ``g`` the one-hot target, sums over all
valid (non-ignored) positions of the batch:

    L = 1 - (1/C) sum_c (2 sum p_c g_c + s) / (sum p_c + sum g_c + s)

``s = smooth`` (default 1) keeps classes absent from both prediction and target at a
Dice of 1. Dice is a batch-level loss: it has no per-position value and no ``reduction``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from hemlab.losses._base import (
    LossModule,
    check_inputs,
    check_option,
    compute_dtype,
    in_dtype_of,
    safe_target,
    valid_positions,
)
from hemlab.sentinels import IGNORE_INDEX

NAME = "dice_loss"


def dice_loss(logits: Tensor, target: Tensor, *, smooth: float = 1.0, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """Soft Dice loss of ``logits`` ``(N, C[, d1, ...])`` for integer ``target`` ``(N[, d1, ...])``.

    With ``p = softmax(z)`` over the classes, ``g`` the one-hot target and sums over every
    valid position of the batch: ``L = 1 - (1/C) sum_c (2 sum p_c g_c + s) / (sum p_c + sum g_c + s)``,
    ``s = smooth``.

    Returns a scalar in ``logits.dtype``; empty or all-ignored input gives 0 (with a gradient of 0).
    """
    check_inputs(logits, target, NAME)
    smooth = check_option(smooth, "smooth", NAME)
    num_classes = logits.shape[1]
    valid = valid_positions(target, num_classes, ignore_index, NAME)
    work = compute_dtype(logits)
    if work.numel() == 0:
        return in_dtype_of(work.sum(), logits)
    probabilities = torch.softmax(work, dim=1)
    one_hot = torch.zeros_like(probabilities).scatter_(1, safe_target(target, valid).unsqueeze(1), 1.0)
    if valid is not None:
        weight = valid.unsqueeze(1).to(work.dtype)
        probabilities = probabilities * weight
        one_hot = one_hot * weight
    reduce_dims = [0, *range(2, work.ndim)]
    intersection = (probabilities * one_hot).sum(dim=reduce_dims)
    denominator = probabilities.sum(dim=reduce_dims) + one_hot.sum(dim=reduce_dims)
    if smooth == 0.0:
        denominator = denominator.clamp_min(torch.finfo(work.dtype).tiny)
    dice = (2.0 * intersection + smooth) / (denominator + smooth)
    loss = 1.0 - dice.mean()
    if valid is not None:
        # All positions ignored: an exact 0 with a zero gradient, decided without a host sync.
        loss = loss * valid.any()
    return in_dtype_of(loss, logits)


class DiceLoss(LossModule):
    """Module twin of :func:`dice_loss`."""

    loss_function = staticmethod(dice_loss)
    arguments = ("smooth",)

    def __init__(self, *, smooth: float = 1.0, ignore_index: int = IGNORE_INDEX) -> None:
        super().__init__(ignore_index=ignore_index)
        self.smooth = check_option(smooth, "smooth", NAME)
