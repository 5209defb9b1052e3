"""What every loss shares: input checks, the valid-position mask, reductions, the record.

Layout: logits ``(N, C)`` or dense ``(N, C, d1, ...)``; target ``(N,)`` or ``(N, d1, ...)``
of integer class indices. The class dimension is always dim 1, so dense input is never
copied into a flat layout. A *position* is one sample (or one pixel).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch
from torch import Tensor, nn

REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class LossInfo:
    """A small metadata record per loss, read by the factory, docs, notebooks and tests.

    ``defaults`` holds the loss's hyper-parameters and their default values;
    ``required`` the arguments without a default (e.g. ``class_counts``).
    """

    name: str
    title: str
    description: str
    function: Callable[..., Tensor]
    module: type
    tasks: tuple[str, ...]
    reference: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()


def check_inputs(logits: Tensor, target: Tensor, loss_name: str) -> None:
    """Raise a clear ``TypeError``/``ValueError`` unless ``logits`` and ``target`` fit together."""
    if not isinstance(logits, Tensor):
        raise TypeError(f"{loss_name}: logits must be a torch.Tensor, got {type(logits).__name__}")
    if not isinstance(target, Tensor):
        raise TypeError(f"{loss_name}: target must be a torch.Tensor of class indices, got {type(target).__name__}")
    if not logits.is_floating_point():
        raise TypeError(f"{loss_name}: logits must be a floating-point tensor, got dtype {logits.dtype}")
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise TypeError(
            f"{loss_name}: target must hold integer class indices (torch.long), got dtype {target.dtype}; "
            "probabilities or one-hot targets are not supported"
        )
    if logits.ndim < 2:
        raise ValueError(
            f"{loss_name}: logits must have shape (N, C) or (N, C, d1, ...), got {tuple(logits.shape)}"
        )
    if target.ndim != logits.ndim - 1:
        raise ValueError(
            f"{loss_name}: target must have one dimension fewer than logits (the class dim 1 removed): "
            f"logits {tuple(logits.shape)} expects target of shape "
            f"{(logits.shape[0], *logits.shape[2:])}, got {tuple(target.shape)}"
        )
    if target.shape[0] != logits.shape[0]:
        raise ValueError(
            f"{loss_name}: target batch size {target.shape[0]} does not match logits batch size {logits.shape[0]}"
        )
    if target.shape[1:] != logits.shape[2:]:
        raise ValueError(
            f"{loss_name}: target spatial shape {tuple(target.shape[1:])} does not match "
            f"logits spatial shape {tuple(logits.shape[2:])}"
        )
    if logits.shape[1] < 1:
        raise ValueError(f"{loss_name}: logits need at least one class along dim 1, got shape {tuple(logits.shape)}")
    if logits.device != target.device:
        raise ValueError(f"{loss_name}: logits are on {logits.device} but target is on {target.device}")


def check_reduction(reduction: str, loss_name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss_name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def valid_positions(target: Tensor, num_classes: int, ignore_index: int, loss_name: str) -> Tensor | None:
    """Mask of positions that take part (target != ``ignore_index``), or ``None`` when all do.

    Raises ``ValueError`` for a target outside ``[0, num_classes)`` that is not ``ignore_index``.
    One reduction (``aminmax``) covers the common case of clean targets.
    """
    if target.numel() == 0:
        return None
    low, high = (value.item() for value in torch.aminmax(target))
    if low >= 0 and high < num_classes and not low <= ignore_index <= high:
        return None
    valid = target != ignore_index
    out_of_range = valid & ((target < 0) | (target >= num_classes))
    if bool(out_of_range.any()):
        bad = torch.unique(target[out_of_range])[:5].tolist()
        raise ValueError(
            f"{loss_name}: target values must lie in [0, {num_classes}) or equal ignore_index={ignore_index}; "
            f"found {bad}"
        )
    return valid


def safe_target(target: Tensor, valid: Tensor | None) -> Tensor:
    """``target`` with ignored positions set to class 0, so it can index the class dim."""
    return target if valid is None else torch.where(valid, target, torch.zeros_like(target))


def reduce_positions(per_position: Tensor, valid: Tensor | None, reduction: str) -> Tensor:
    """Reduce per-position losses; ignored positions count as 0 and are left out of the mean.

    ``mean`` = sum over valid positions / max(1, number of valid positions), so all-ignored
    or empty input gives an exact zero that still back-propagates.
    """
    if valid is not None:
        per_position = torch.where(valid, per_position, torch.zeros_like(per_position))
    if reduction == "none":
        return per_position
    total = per_position.sum()
    if reduction == "sum":
        return total
    count = per_position.numel() if valid is None else int(valid.sum())
    return total / max(count, 1)


def class_vector(
    values: Any, num_classes: int, like: Tensor, argument: str, loss_name: str, *, positive: bool
) -> Tensor:
    """Turn a per-class hyper-parameter into a float tensor of length ``num_classes`` on ``like``'s device.

    ``positive=True`` demands values > 0, otherwise >= 0; non-finite values are refused.
    """
    vector = torch.as_tensor(values).detach()
    if vector.is_complex() or vector.dtype == torch.bool:
        raise TypeError(f"{loss_name}: {argument} must hold real numbers, got dtype {vector.dtype}")
    vector = vector.to(torch.float64)
    if vector.ndim != 1 or vector.numel() != num_classes:
        raise ValueError(
            f"{loss_name}: {argument} must be a 1-D tensor of length C={num_classes}, got shape {tuple(vector.shape)}"
        )
    if not bool(torch.isfinite(vector).all()):
        raise ValueError(f"{loss_name}: {argument} must be finite, got {vector.tolist()[:10]}")
    if positive and bool((vector <= 0).any()):
        raise ValueError(f"{loss_name}: {argument} must be > 0 for every class, got {vector.tolist()[:10]}")
    if not positive and bool((vector < 0).any()):
        raise ValueError(f"{loss_name}: {argument} must be >= 0 for every class, got {vector.tolist()[:10]}")
    dtype = like.dtype if like.is_floating_point() else torch.float32
    return vector.to(device=like.device, dtype=dtype)


def check_scalar(value: Any, argument: str, loss_name: str, *, minimum: float = 0.0, strict: bool = False) -> float:
    """Validate a scalar hyper-parameter: a finite real number >= ``minimum`` (> when ``strict``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{loss_name}: {argument} must be a number, got {type(value).__name__}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{loss_name}: {argument} must be finite, got {value}")
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{loss_name}: {argument} must be {relation} {minimum}, got {value}")
    return value


def compute_dtype(logits: Tensor) -> Tensor:
    """Half-precision logits are computed in float32 (autograd casts the gradient back)."""
    return logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits


class LossModule(nn.Module):
    """Base of the ``nn.Module`` twins: ``forward`` calls the functional loss with what is stored.

    A twin sets ``loss_function`` (the functional form, as a staticmethod) and ``arguments``
    (the names of its hyper-parameters, kept as attributes or buffers); ``ignore_index`` and,
    where the loss has one, ``reduction`` are stored here.
    """

    arguments: tuple[str, ...] = ()
    loss_function: Callable[..., Tensor]

    def __init__(self, *, ignore_index: int, reduction: str | None = None) -> None:
        super().__init__()
        self.ignore_index = ignore_index
        if reduction is not None:
            check_reduction(reduction, type(self).__name__)
            self.reduction = reduction

    def _keywords(self) -> dict[str, Any]:
        names = self.arguments + ("ignore_index",) + (("reduction",) if hasattr(self, "reduction") else ())
        return {name: getattr(self, name) for name in names}

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return self.loss_function(logits, target, **self._keywords())

    def extra_repr(self) -> str:
        def describe(value: Any) -> str:
            if isinstance(value, Tensor):
                return f"per-class tensor of {value.numel()}"
            return repr(value)

        return ", ".join(f"{name}={describe(value)}" for name, value in self._keywords().items())
