"""The margin shared by the hinge losses (MM, HEM): validation, per-position values, errors."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from hemlab.losses._base import check_option, class_vector


def _is_per_class(margin: object) -> bool:
    return isinstance(margin, (list, tuple)) or (isinstance(margin, Tensor) and margin.ndim > 0)


def _scalar_margin(margin: float | Tensor, loss_name: str) -> float:
    return check_option(margin.item() if isinstance(margin, Tensor) else margin, "margin", loss_name)


def check_margin(margin: float | Tensor | Sequence[float], num_classes: int, like: Tensor, loss_name: str) -> float | Tensor:
    """A float ``>= 0``, or a ``(C,)`` float tensor of margins ``>= 0`` on ``like``'s device."""
    if _is_per_class(margin):
        return class_vector(margin, num_classes, like, "margin", loss_name, positive=False)
    return _scalar_margin(margin, loss_name)


def position_margin(margin: float | Tensor, target: Tensor, dtype: torch.dtype) -> float | Tensor:
    """The margin of each position's true class, shaped ``(N, 1, d1, ...)`` (or the float)."""
    if isinstance(margin, Tensor):
        return margin.to(dtype)[target].unsqueeze(1)
    return margin


def hinge_errors(logits: Tensor, target: Tensor, margin: float | Tensor) -> Tensor:
    """``e_j = max(0, z_j - z_y + mu)`` with ``e_y = 0``; shape of ``logits``, differentiable.

    ``target`` must index the class dim everywhere (ignored positions replaced beforehand).
    """
    index = target.unsqueeze(1)
    true_logit = logits.gather(1, index)
    errors = (logits - true_logit + position_margin(margin, target, logits.dtype)).clamp_min(0.0)
    return errors.scatter(1, index, 0.0)


def margin_module_state(module: nn.Module, margin: float | Tensor | Sequence[float], loss_name: str) -> None:
    """Store ``margin`` on a loss module: a per-class margin as a buffer (moves with ``.to``)."""
    if _is_per_class(margin):
        vector = torch.as_tensor(margin, dtype=torch.float32)
        module.register_buffer("margin", check_margin(vector, vector.numel(), vector, loss_name))
    else:
        module.margin = _scalar_margin(margin, loss_name)
