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

from hemlab.losses._base import LossModule, check_inputs, check_scalar, compute_dtype, safe_target, valid_positions

NAME = "dice_loss"


def dice_loss(logits: Tensor, target: Tensor, *, smooth: float = 1.0, ignore_index: int = -100) -> Tensor:
    """Soft Dice loss of ``logits`` ``(N, C[, d1, ...])`` for integer ``target`` ``(N[, d1, ...])``.

    Returns a scalar in ``logits.dtype``; all-ignored input gives 0 (with a gradient of 0).
    """
    check_inputs(logits, target, NAME)
    smooth = check_scalar(smooth, "smooth", NAME)
    num_classes = logits.shape[1]
    valid = valid_positions(target, num_classes, ignore_index, NAME)
    work = compute_dtype(logits)
    if work.numel() == 0 or (valid is not None and not bool(valid.any())):
        return work.flatten()[:0].sum().to(logits.dtype)
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
    return (1.0 - dice.mean()).to(logits.dtype)


class DiceLoss(LossModule):
    """Module twin of :func:`dice_loss`."""

    loss_function = staticmethod(dice_loss)
    arguments = ("smooth",)

    def __init__(self, *, smooth: float = 1.0, ignore_index: int = -100) -> None:
        super().__init__(ignore_index=ignore_index)
        self.smooth = check_scalar(smooth, "smooth", NAME)
