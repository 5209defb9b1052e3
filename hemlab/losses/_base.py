"""What every loss shares: input checks, the valid-position mask, reductions, the record.

Layout: logits ``(N, C)`` or dense ``(N, C, d1, ...)``; target ``(N,)`` or ``(N, d1, ...)``
of integer class indices. The class dimension is always dim 1, so dense input is never
copied into a flat layout. A *position* is one sample (or one pixel).

Checks never stall a device. Shapes, dtypes and devices are always checked. Values (a
target in range, a finite per-class margin) are checked only where they live on the CPU,
where reading them is cheap: on CUDA (or MPS) reading a value on the host waits for the
device at every call and stalls the training step. There an out-of-range target is caught
by torch's own indexing kernels (a device-side assert) instead of hemlab's message, and
``reduction="mean"`` divides by a count kept on the device.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any, Callable, Mapping

import torch
from torch import Tensor, nn

from hemlab.checks import Interval, refusal
from hemlab.registry import Record

REDUCTIONS = ("mean", "sum", "none")


OUTPUTS = ("classification", "segmentation")


@dataclass(frozen=True)
class LossInfo(Record):
    """The record of a loss, read by the factory, docs, notebooks and tests.

    ``builder`` is the ``nn.Module`` twin; its signature holds the hyper-parameters and their
    defaults (``defaults``, ``required``, ``options``), which the record does not repeat.
    ``outputs`` says which model outputs the loss supports: ``"classification"`` (logits
    ``(N, C)``) and/or ``"segmentation"`` (dense logits ``(N, C, d1, ...)``). ``module`` and
    ``version`` say where a registered (user) loss comes from, for its runs' identity;
    both are empty for the built-in losses, whose identity is hemlab's version.
    ``outputs_note`` says how ``outputs`` was found when the registration did not give it
    (``hemlab.losses.registration.probe_outputs``), e.g. why segmentation was left out.
    """

    title: str
    function: Callable[..., Tensor]
    outputs: tuple[str, ...]
    reference: str
    module: str = ""
    version: str = ""
    outputs_note: str = ""

    def takes_class_counts(self, options: Mapping[str, Any] | None = None) -> bool:
        """Whether the loss built with ``options`` takes the training ``class_counts``: a
        builder with a ``uses_class_counts(options)`` rule follows it (``hem`` with
        ``margins="frequency"``); any other takes them when it accepts ``class_counts`` (``la``)."""
        rule = getattr(self.builder, "uses_class_counts", None)
        return bool(rule(dict(options or {}))) if callable(rule) else "class_counts" in self.options


def check_inputs(logits: Tensor, target: Tensor, loss_name: str) -> None:
    """Raise a clear ``TypeError``/``ValueError`` unless ``logits`` and ``target`` fit together.

    Shapes, dtypes and devices only: nothing here reads tensor values.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"{loss_name}: logits must be a torch.Tensor, got {type(logits).__name__}")
    if not isinstance(target, Tensor):
        raise TypeError(f"{loss_name}: target must be a torch.Tensor of class indices, got {type(target).__name__}")
    logits_dtype, target_dtype = logits.dtype, target.dtype
    if not logits_dtype.is_floating_point:
        raise TypeError(f"{loss_name}: logits must be a floating-point tensor, got dtype {logits_dtype}")
    if target_dtype.is_floating_point or target_dtype.is_complex or target_dtype == torch.bool:
        raise TypeError(
            f"{loss_name}: target must hold integer class indices (torch.long), got dtype {target_dtype}; "
            "probabilities or one-hot targets are not supported"
        )
    logits_shape, target_shape = logits.shape, target.shape
    if len(logits_shape) < 2:
        raise ValueError(
            f"{loss_name}: logits must have shape (N, C) or (N, C, d1, ...), got {tuple(logits_shape)}"
        )
    if len(target_shape) != len(logits_shape) - 1:
        raise ValueError(
            f"{loss_name}: target must have one dimension fewer than logits (the class dim 1 removed): "
            f"logits {tuple(logits_shape)} expects target of shape "
            f"{(logits_shape[0], *logits_shape[2:])}, got {tuple(target_shape)}"
        )
    if target_shape[0] != logits_shape[0]:
        raise ValueError(
            f"{loss_name}: target batch size {target_shape[0]} does not match logits batch size {logits_shape[0]}"
        )
    if len(target_shape) > 1 and target_shape[1:] != logits_shape[2:]:
        raise ValueError(
            f"{loss_name}: target spatial shape {tuple(target_shape[1:])} does not match "
            f"logits spatial shape {tuple(logits_shape[2:])}"
        )
    if logits_shape[1] < 1:
        raise ValueError(f"{loss_name}: logits need at least one class along dim 1, got shape {tuple(logits_shape)}")
    if logits.device != target.device:
        raise ValueError(f"{loss_name}: logits are on {logits.device} but target is on {target.device}")


def check_reduction(reduction: str, loss_name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss_name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def valid_positions(target: Tensor, num_classes: int, ignore_index: int, loss_name: str) -> Tensor | None:
    """Mask of positions that take part (target != ``ignore_index``), or ``None`` when all do.

    On the CPU, raises ``ValueError`` for a target outside ``[0, num_classes)`` that is not
    ``ignore_index``; one reduction (``aminmax``) covers the common case of clean targets,
    which return ``None``. On an accelerator it never reads values on the host and always
    returns the mask (see the module docstring: values are checked on the CPU only).
    """
    if not target.is_cpu:
        return target != ignore_index
    if target.numel() == 0:
        return None
    low, high = torch.aminmax(target)
    low, high = low.item(), high.item()
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


def mean_divisor(valid: Tensor | None, count: int) -> Tensor | int:
    """``max(1, number of valid positions)``: a tensor (no host sync) when ``valid`` is a mask,
    else ``max(1, count)`` with ``count`` the number of positions."""
    return max(count, 1) if valid is None else valid.sum().clamp_min(1)


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
    return total / mean_divisor(valid, per_position.numel())


def class_vector(
    values: Any, num_classes: int, like: Tensor, argument: str, loss_name: str, *, positive: bool
) -> Tensor:
    """Turn a per-class hyper-parameter into a float tensor of length ``num_classes`` on ``like``'s device.

    ``positive=True`` demands values > 0, otherwise >= 0; non-finite values are refused.
    Values are checked when they are on the CPU (a list, a float, a CPU tensor); a tensor
    already on an accelerator is checked for its shape only (see the module docstring).
    """
    vector = torch.as_tensor(values).detach()
    if vector.is_complex() or vector.dtype == torch.bool:
        raise TypeError(f"{loss_name}: {argument} must hold real numbers, got dtype {vector.dtype}")
    if vector.ndim != 1 or vector.numel() != num_classes:
        raise ValueError(
            f"{loss_name}: {argument} must be a 1-D tensor of length C={num_classes}, got shape {tuple(vector.shape)}"
        )
    if vector.is_cpu:
        check_class_values(vector, argument, loss_name, positive=positive)
    dtype = like.dtype if like.is_floating_point() else torch.float32
    return vector.to(device=like.device, dtype=dtype)


def check_class_counts(class_counts: Any, loss_name: str) -> Tensor:
    """``class_counts`` as a float32 ``(C,)`` tensor, non-empty, every count finite and > 0."""
    counts = torch.as_tensor(class_counts, dtype=torch.float32)
    if counts.ndim != 1 or counts.numel() == 0:
        raise ValueError(f"{loss_name}: class_counts must be a non-empty 1-D sequence, got shape {tuple(counts.shape)}")
    check_class_values(counts, "class_counts", loss_name, positive=True)
    return counts


def check_class_values(vector: Tensor, argument: str, loss_name: str, *, positive: bool) -> None:
    """Raise ``ValueError`` unless every entry of ``vector`` is finite and > 0 (``positive``) or >= 0."""
    as_float = vector.to(torch.float64)
    if not bool(torch.isfinite(as_float).all()):
        raise ValueError(f"{loss_name}: {argument} must be finite, got {as_float.tolist()[:10]}")
    if positive and bool((as_float <= 0).any()):
        raise ValueError(f"{loss_name}: {argument} must be > 0 for every class, got {as_float.tolist()[:10]}")
    if not positive and bool((as_float < 0).any()):
        raise ValueError(f"{loss_name}: {argument} must be >= 0 for every class, got {as_float.tolist()[:10]}")


NON_NEGATIVE = Interval(Real, 0, None)
"""The constraint of most loss hyper-parameters: a finite real number ``>= 0``."""


def check_option(value: Any, argument: str, loss_name: str, constraint: Any = NON_NEGATIVE) -> Any:
    """``value`` converted by ``constraint`` (:mod:`hemlab.checks`; a finite real ``>= 0`` by
    default), or the loss-style error naming the part that failed: ``TypeError`` ``"hem_loss:
    margin must be a number, got 'a'"``, ``ValueError`` ``"... must be finite"``, ``"... must be >= 0"``.

    >>> check_option(-1, "tau", "logitnorm_loss", Interval(Real, 0, None, closed="neither"))
    Traceback (most recent call last):
        ...
    ValueError: logitnorm_loss: tau must be > 0, got -1
    """
    refused = refusal(value, [constraint])
    if refused is not None:
        raise refused.error(f"{loss_name}: {argument} must be {refused.reason}, got {value!r}")
    return constraint.convert(value)


def compute_dtype(logits: Tensor) -> Tensor:
    """Half-precision logits are computed in float32 (autograd casts the gradient back)."""
    return logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits


def in_dtype_of(loss: Tensor, logits: Tensor) -> Tensor:
    """``loss`` cast back to ``logits.dtype`` (no copy, and no cost, when it already is)."""
    return loss if loss.dtype == logits.dtype else loss.to(logits.dtype)


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
        self._keyword_names = self.arguments + ("ignore_index",)
        if reduction is not None:
            check_reduction(reduction, type(self).__name__)
            self.reduction = reduction
            self._keyword_names += ("reduction",)

    def _keywords(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._keyword_names}

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return self.loss_function(logits, target, **self._keywords())

    def extra_repr(self) -> str:
        def describe(value: Any) -> str:
            if isinstance(value, Tensor):
                return f"per-class tensor of {value.numel()}"
            return repr(value)

        return ", ".join(f"{name}={describe(value)}" for name, value in self._keywords().items())
