"""LogitNorm (Wei et al., "Mitigating Neural Network Overconfidence with Logit
Normalization", ICML 2022).

Cross-entropy on logits normalised over the class dimension:

    L = CE(z / (tau * (||z||_2 + 1e-7)), y)

``tau = 0.04`` is the value of its paper for CIFAR-10 (its author advises about 0.0085
for CIFAR-100). Only the training loss normalises; at test time the raw logits are used.
The norm is computed on logits scaled by their (gradient-free) largest magnitude, which is
algebraically identical and keeps logits of 1e30 finite in float32.
"""
from __future__ import annotations

from numbers import Real

from torch import Tensor

from hemlab.losses._base import (
    LossModule,
    check_inputs,
    check_reduction,
    check_option,
    compute_dtype,
    in_dtype_of,
)
from hemlab.checks import Interval
from hemlab.losses.cross_entropy import reduced_cross_entropy
from hemlab.sentinels import IGNORE_INDEX

NAME = "logitnorm_loss"
NORM_EPS = 1e-7
TAU = Interval(Real, 0, None, closed="neither")
"""``tau``: a finite temperature > 0, as the function and its module twin check it."""


def normalise_logits(logits: Tensor, tau: float) -> Tensor:
    """``z / (tau * (||z||_2 + 1e-7))`` with the norm over dim 1; same shape as ``logits``."""
    scale = logits.detach().abs().amax(dim=1, keepdim=True).clamp_min(1e-30)
    scaled = logits / scale
    norm = scaled.norm(p=2, dim=1, keepdim=True)
    return scaled / (tau * (norm + NORM_EPS / scale))


def logitnorm_loss(
    logits: Tensor, target: Tensor, tau: float = 0.04, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
) -> Tensor:
    """LogitNorm loss of ``logits`` ``(N, C[, d1, ...])`` for integer ``target`` ``(N[, d1, ...])``.

    Per position ``L = CE(z / (tau * (||z||_2 + 1e-7)), y)``, the norm over the classes.

    ``tau > 0`` is the temperature; ``reduction`` as for cross-entropy.
    """
    check_inputs(logits, target, NAME)
    check_reduction(reduction, NAME)
    tau = check_option(tau, "tau", NAME, TAU)
    normalised = normalise_logits(compute_dtype(logits), tau)
    return in_dtype_of(reduced_cross_entropy(normalised, target, ignore_index, reduction, NAME), logits)


class LogitNormLoss(LossModule):
    """Module twin of :func:`logitnorm_loss`."""

    loss_function = staticmethod(logitnorm_loss)
    arguments = ("tau",)

    def __init__(self, tau: float = 0.04, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean") -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)
        self.tau = check_option(tau, "tau", NAME, TAU)
