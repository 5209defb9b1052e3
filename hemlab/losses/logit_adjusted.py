"""Logit-adjusted cross-entropy (Menon et al., "Long-tail learning via logit adjustment",
ICLR 2021).

    L = CE(z + tau * log(pi), y),   pi_c = n_c / sum_k n_k

with ``n_c`` the training samples of class ``c`` and ``tau = 1``. The adjustment acts only
in training; at test time the raw logits are used, which favours rare classes.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from hemlab.losses._base import (
    LossModule,
    check_inputs,
    check_reduction,
    check_class_counts,
    check_option,
    class_vector,
    compute_dtype,
    in_dtype_of,
)
from hemlab.losses.cross_entropy import reduced_cross_entropy
from hemlab.sentinels import IGNORE_INDEX

NAME = "logit_adjusted_loss"


def log_class_priors(class_counts: Tensor | Sequence[float], num_classes: int, like: Tensor) -> Tensor:
    """``log(n_c / sum n)`` as a ``(C,)`` tensor on ``like``'s device; counts must be > 0."""
    counts = class_vector(class_counts, num_classes, like, "class_counts", NAME, positive=True)
    return torch.log(counts / counts.sum())


def logit_adjusted_loss(
    logits: Tensor,
    target: Tensor,
    class_counts: Tensor | Sequence[float],
    tau: float = 1.0,
    *,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
) -> Tensor:
    """Logit-adjusted loss of ``logits`` ``(N, C[, d1, ...])`` for integer ``target``.

    Per position ``L = CE(z + tau * log(pi), y)`` with class priors ``pi_c = n_c / sum_k n_k``.

    ``class_counts`` ``(C,)``: training samples per class (all > 0); ``tau >= 0`` scales the
    adjustment (0 gives plain cross-entropy). ``reduction`` as for cross-entropy.
    """
    check_inputs(logits, target, NAME)
    check_reduction(reduction, NAME)
    tau = check_option(tau, "tau", NAME)
    work = compute_dtype(logits)
    log_priors = log_class_priors(class_counts, work.shape[1], work).to(work.dtype)
    shape = (1, -1) + (1,) * (work.ndim - 2)
    adjusted = work + tau * log_priors.view(shape)
    return in_dtype_of(reduced_cross_entropy(adjusted, target, ignore_index, reduction, NAME), logits)


class LogitAdjustedLoss(LossModule):
    """Module twin of :func:`logit_adjusted_loss`; ``class_counts`` is kept as a buffer."""

    loss_function = staticmethod(logit_adjusted_loss)
    arguments = ("class_counts", "tau")

    def __init__(
        self,
        class_counts: Tensor | Sequence[float],
        tau: float = 1.0,
        *,
        ignore_index: int = IGNORE_INDEX,
        reduction: str = "mean",
    ) -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)
        self.register_buffer("class_counts", check_class_counts(class_counts, NAME))
        self.tau = check_option(tau, "tau", NAME)
