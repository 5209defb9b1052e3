"""Your own loss: a functional ``(logits, target, **options) -> loss`` registered by name.

    from hemlab.losses import register_loss

    @register_loss("sqhinge", description="HEM with squared hinge errors")
    def squared_hinge(logits, target, margin: float = 1.0):
        ...                                    # (M, C) logits, (M,) targets -> (M,) or ()

Once registered, ``sqhinge`` and ``sqhinge:margin=0.5`` work wherever a built-in name does:
``create_loss``, the run plan, every task runner, the tables, figures and notebooks.

What hemlab does for the function (it keeps to one convention):

- **options** are the function's parameters after ``logits`` and ``target``, with their
  defaults; ``sqhinge:margin=0.5`` is checked against them like a built-in loss's options
  (an unknown option, a word where the default is a number), and the plan builds each loss
  once on a tiny input before any run starts, so an option value the function refuses
  (raise ``ValueError``) stops the sweep up front.
- **ignore_index and reduction**, when the function does not declare them: hemlab moves
  the class dim last and keeps only the positions whose target is not ``ignore_index``, so
  the function always sees logits ``(M, C)`` and targets ``(M,)`` (dense segmentation
  logits ``(N, C, H, W)`` included). If it returns per-position losses ``(M,)`` hemlab
  reduces them (``mean`` over kept positions, ``sum``, or ``none``: shaped like the target,
  0 where ignored); if it returns a scalar, that is taken as the ``mean`` and the other
  reductions are refused. A function that declares both ``ignore_index`` and ``reduction``
  gets the raw input and both values, and must honour them itself.
- **class_counts**: a function with a ``class_counts`` parameter gets the training set's
  per-class counts ``(C,)`` from the task runners, as the logit-adjusted loss does.
- **identity**: runs of a registered loss are told apart by its module, the version of
  its package (or the module's ``__version__``) and a digest of the function's source, so
  editing the function never reuses a stored run made with the old one.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import replace
from typing import Any, Callable

import torch
from torch import Tensor, nn

from hemlab.losses._base import OUTPUTS, LossInfo, check_inputs, check_reduction, valid_positions
from hemlab.registry import source_version
from hemlab.sentinels import IGNORE_INDEX

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_HANDLED = ("ignore_index", "reduction")
_OPTION_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _option_parameters(name: str, function: Callable[..., Tensor]) -> list[inspect.Parameter]:
    """The function's parameters after ``(logits, target)``; ``ValueError`` for ``*args``/``**kwargs``."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError) as error:
        raise ValueError(f"function: expected a Python function (logits, target, **options), got {function!r}") \
            from error
    positional = [p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                     inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2:
        raise ValueError(f"function: loss {name!r} must take (logits, target, **options), "
                         f"got signature {inspect.signature(function)}")
    variadic = [p.name for p in parameters if p.kind in (inspect.Parameter.VAR_POSITIONAL,
                                                         inspect.Parameter.VAR_KEYWORD)]
    if variadic:
        raise ValueError(f"function: loss {name!r} must name its options as keyword parameters with defaults, "
                         f"got *args/**kwargs {variadic}")
    skip = {positional[0].name, positional[1].name}
    return [p for p in parameters if p.name not in skip and p.kind in _OPTION_KINDS]


def _reduced(name: str, values: Tensor, target: Tensor, keep: Tensor | None, reduction: str, count: int) -> Tensor:
    """Reduce the function's output: a scalar is the mean; ``(M,)`` per-position losses are
    reduced here (``none``: scattered back to the target's shape, 0 where ignored)."""
    if values.ndim == 0:
        if reduction != "mean":
            raise ValueError(f"{name}: the loss function returns a scalar (taken as the mean), so reduction must "
                             f"be 'mean', got {reduction!r}; return per-position losses (M,) to allow it")
        return values
    if values.shape != (count,):
        raise ValueError(f"{name}: the loss function must return a scalar or per-position losses of shape "
                         f"({count},), got {tuple(values.shape)}")
    if reduction == "none":
        flat = values.new_zeros(target.numel())
        flat = flat.masked_scatter(keep.reshape(-1), values) if keep is not None else values
        return flat.reshape(target.shape)
    total = values.sum()
    return total if reduction == "sum" else total / max(count, 1)


def wrap_function(name: str, function: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The functional form hemlab calls: ``loss(logits, target, *, ignore_index, reduction, **options)``
    with the input checks and the ignore/reduction handling of the module docstring."""
    declared = {p.name for p in _option_parameters(name, function)}
    handles_itself = set(_HANDLED) <= declared
    if declared & set(_HANDLED) and not handles_itself:
        raise ValueError(f"function: loss {name!r} declares {sorted(declared & set(_HANDLED))} but not "
                         f"{sorted(set(_HANDLED) - declared)}; declare both (and honour them) or neither")

    def loss(logits: Tensor, target: Tensor, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean",
             **options: Any) -> Tensor:
        check_inputs(logits, target, name)
        check_reduction(reduction, name)
        if handles_itself:
            return function(logits, target, ignore_index=ignore_index, reduction=reduction, **options)
        num_classes = logits.shape[1]
        keep = valid_positions(target, num_classes, ignore_index, name)
        flat_logits = logits.movedim(1, -1).reshape(-1, num_classes)
        flat_target = target.reshape(-1)
        if keep is not None:
            flat_logits, flat_target = flat_logits[keep.reshape(-1)], flat_target[keep.reshape(-1)]
        count = flat_target.numel()
        if count == 0:
            zero = logits.sum() * 0.0
            return zero.expand(target.shape).clone() if reduction == "none" else zero
        values = function(flat_logits, flat_target, **options)
        if not isinstance(values, Tensor):
            raise TypeError(f"{name}: the loss function must return a torch.Tensor, got {type(values).__name__}")
        return _reduced(name, values, target, keep, reduction, count)

    loss.__name__ = f"{name}_loss"
    loss.__doc__ = function.__doc__
    return loss


class RegisteredLoss(nn.Module):
    """The ``nn.Module`` twin of a registered loss: holds its options and calls its functional form."""

    def __init__(self, name: str, function: Callable[..., Tensor], **options: Any) -> None:
        super().__init__()
        self.name = name
        self.function = function
        self.options = options

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return self.function(logits, target, **self.options)

    def extra_repr(self) -> str:
        return ", ".join([repr(self.name)] + [f"{key}={value!r}" for key, value in self.options.items()])


def _builder(name: str, wrapped: Callable[..., Tensor],
             parameters: list[inspect.Parameter]) -> Callable[..., nn.Module]:
    """``builder(**options) -> RegisteredLoss`` whose signature lists the options, then
    ``ignore_index`` and ``reduction`` (what the registry reads and checks)."""
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters if p.name not in _HANDLED]
    handled = [inspect.Parameter("ignore_index", inspect.Parameter.KEYWORD_ONLY, default=IGNORE_INDEX),
               inspect.Parameter("reduction", inspect.Parameter.KEYWORD_ONLY, default="mean")]

    def build(**options: Any) -> nn.Module:
        return RegisteredLoss(name, wrapped, **options)

    build.__signature__ = inspect.Signature(own + handled)  # type: ignore[attr-defined]
    build.__name__ = f"{name}_module"
    return build


def make_loss_info(name: str, function: Callable[..., Tensor], *, description: str,
                   outputs: tuple[str, ...] | list[str] | None = None, reference: str = "",
                   title: str | None = None) -> LossInfo:
    """The :class:`LossInfo` record of a user loss, after checking every argument.

    ``outputs=None`` (not given): the outputs the loss is found to handle with its default
    options (:func:`probe_outputs`)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(f"name: expected a lower-case identifier such as 'sqhinge' (letters, digits, _), got {name!r}")
    if not callable(function):
        raise ValueError(f"function: expected a callable (logits, target, **options) -> loss, got {function!r}")
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"description: expected a one-line description of loss {name!r}, got {description!r}")
    if outputs is not None:
        outputs = tuple(outputs) if not isinstance(outputs, str) else (outputs,)
        if not outputs or any(output not in OUTPUTS for output in outputs):
            raise ValueError(f"outputs: expected a non-empty subset of {list(OUTPUTS)}, got {list(outputs)}")
    wrapped = wrap_function(name, function)
    info = LossInfo(name=name, title=title or name, description=description.strip(),
                    builder=_builder(name, wrapped, _option_parameters(name, function)), function=wrapped,
                    outputs=outputs or OUTPUTS, reference=reference, module=getattr(function, "__module__", "") or "",
                    version=source_version(function))
    if outputs is not None:
        return info
    found, note = probe_outputs(info)
    return replace(info, outputs=found, outputs_note=note)


def probe_outputs(info: LossInfo) -> tuple[tuple[str, ...], str]:
    """``(outputs, note)``: the outputs a loss registered without ``outputs`` claims.

    The loss is built with its default options and evaluated on a tiny input of each output
    (:func:`probe_loss`). One that handles classification but fails on dense input is
    classification-only, and ``note`` says why; one that fails on both (it needs an option
    value to work) claims both, and the plan's own probe names its error when it is used."""
    failures = {}
    for output in OUTPUTS:
        try:
            probe_loss(info, output, {})
        except Exception as error:  # noqa: BLE001 - a user loss may raise anything; the note says what
            failures[output] = f"{type(error).__name__}: {error}".splitlines()[0]
    if "segmentation" in failures and "classification" not in failures:
        return ("classification",), f"segmentation left out: fails on a tiny dense input ({failures['segmentation']})"
    return OUTPUTS, ""


def probe_loss(info: LossInfo, output: str, options: dict[str, Any]) -> None:
    """Build loss ``info`` with ``options`` and evaluate it (value and gradient) on a tiny
    input of ``output`` (2 samples, or 2 images of 2x2 pixels, 3 classes); a loss that takes
    ``class_counts`` with these options gets ones. Raises what the loss raises (a bad option value)."""
    generator = torch.Generator().manual_seed(0)
    shape = (2, 3) if output == "classification" else (2, 3, 2, 2)
    logits = torch.randn(*shape, generator=generator, requires_grad=True)
    target = torch.randint(0, 3, (shape[0], *shape[2:]), generator=generator)
    if info.takes_class_counts(options):
        options = {**options, "class_counts": torch.ones(3)}
    value = info.builder(**options)(logits, target)
    if not isinstance(value, Tensor) or value.ndim != 0 or not bool(torch.isfinite(value.detach())):
        raise ValueError(f"expected a finite scalar loss on a tiny {output} input, got {value!r}")
    if value.requires_grad:
        value.backward()


__all__ = ["RegisteredLoss", "make_loss_info", "probe_loss", "probe_outputs", "source_version", "wrap_function"]
