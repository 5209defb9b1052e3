"""Multi-class margin loss in the Weston & Watkins form (ESANN 1999), the baseline HEM modifies.

Per position, with hinge errors ``e_j = max(0, z_j - z_y + mu)`` for ``j != y`` and
``e_y = 0``:

    L = (1/C) sum_j e_j ** p

``reduction="mean"`` averages ``L`` over valid positions, i.e. the mean of ``e_j ** p``
over all positions x classes, zeros included. On 2-D input this is exactly
``torch.nn.functional.multi_margin_loss(z, y, p=p, margin=mu)``; here it also works on dense
input, with ``ignore_index`` and per-class margins. It sums the hinge over *all* rivals
(Weston & Watkins); the Crammer & Singer form takes only the largest rival,
``max_j e_j``. Its gradient per violated entry is ``1/(B*C)``: it shrinks as training
solves samples, which is what HEM's mean over the samples still in error avoids.
"""
from __future__ import annotations

from torch import Tensor

from hemlab.losses._base import (
    LossModule,
    check_inputs,
    check_reduction,
    compute_dtype,
    in_dtype_of,
    reduce_positions,
    safe_target,
    valid_positions,
)
from hemlab.losses._margin import check_margin, hinge_errors, margin_module_state
from hemlab.sentinels import IGNORE_INDEX

NAME = "multi_margin_loss"


def check_power(p: int) -> int:
    """``p`` if it is 1 or 2 (the power of the hinge), else ``ValueError``; the function and
    its module twin both check ``p`` here."""
    if p not in (1, 2):
        raise ValueError(f"{NAME}: p must be 1 or 2, got {p!r}")
    return p


def multi_margin_loss(
    logits: Tensor,
    target: Tensor,
    margin: float | Tensor = 1.0,
    *,
    p: int = 1,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class margin loss of ``logits`` ``(N, C[, d1, ...])`` for integer ``target``.

    Per position ``L = (1/C) sum_{j != y} max(0, z_j - z_y + mu) ** p`` (Weston & Watkins:
    the sum over every rival).

    ``margin``: ``mu >= 0``, a float or ``(C,)`` tensor (each position uses the margin of its
    true class); ``p``: 1 or 2; ``reduction``: ``"mean"`` over valid positions (so over
    positions x classes), ``"sum"`` or ``"none"`` (shaped like ``target``, 0 where ignored).
    """
    check_inputs(logits, target, NAME)
    check_reduction(reduction, NAME)
    check_power(p)
    num_classes = logits.shape[1]
    margin = check_margin(margin, num_classes, logits, NAME)
    valid = valid_positions(target, num_classes, ignore_index, NAME)
    work = compute_dtype(logits)
    errors = hinge_errors(work, safe_target(target, valid), margin)
    per_position = (errors if p == 1 else errors.square()).sum(dim=1) / num_classes
    return in_dtype_of(reduce_positions(per_position, valid, reduction), logits)


class MultiMarginLoss(LossModule):
    """Module twin of :func:`multi_margin_loss`; a per-class ``margin`` is kept as a buffer."""

    loss_function = staticmethod(multi_margin_loss)
    arguments = ("margin", "p")

    def __init__(
        self, margin: float | Tensor = 1.0, *, p: int = 1, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
    ) -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)
        self.p = check_power(p)
        margin_module_state(self, margin, NAME)
