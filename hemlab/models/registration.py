"""Your own model: a builder ``(num_classes, in_channels, **options) -> nn.Module`` registered by name::

    from hemlab.models import register_model

    @register_model("mynet", description="two conv layers and a linear head")
    def build_mynet(num_classes, in_channels=3, image_size=32, width=16):
        ...                              # -> an nn.Module: (N, C, H, W) -> (N, num_classes)

hemlab calls the builder with the dataset's ``num_classes`` and ``in_channels`` (and its
``image_size`` when the builder has that parameter); its other keyword parameters are its
options (``model_options``). ``output`` says what the model returns: ``"classification"``
logits ``(N, num_classes)`` or ``"segmentation"`` dense logits ``(N, num_classes, H, W)``;
:func:`check_model_output` holds a model to it on a batch of the task's data before any run.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import torch
from torch import Tensor, nn

from hemlab.registry import source_version

OUTPUT_KINDS: tuple[str, ...] = ("classification", "segmentation")


def model_record_fields(name: str, builder: Callable[..., nn.Module], *, output: str, description: str
                        ) -> dict[str, Any]:
    """The fields of the ``ModelInfo`` of a user model, after checking every argument."""
    if not isinstance(name, str) or not name.isidentifier() or not name.islower():
        raise ValueError(f"name: expected a lower-case identifier such as 'mynet', got {name!r}")
    if not callable(builder):
        raise ValueError(f"builder: expected a callable (num_classes, in_channels, **options) -> nn.Module, "
                         f"got {builder!r}")
    if output not in OUTPUT_KINDS:
        raise ValueError(f"output: expected one of {list(OUTPUT_KINDS)} for model {name!r}, got {output!r}")
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"description: expected a one-line description of model {name!r}, got {description!r}")
    parameters = list(inspect.signature(builder).parameters)
    if not parameters or "in_channels" not in parameters[1:]:
        raise ValueError(f"builder: model {name!r} must take (num_classes, in_channels, **options), "
                         f"got signature {inspect.signature(builder)}")
    return {"name": name, "description": description.strip(), "builder": builder, "output": output,
            "module": getattr(builder, "__module__", "") or "", "version": source_version(builder)}


def check_model_output(model: nn.Module, inputs: Tensor, num_classes: int, output: str, what: str) -> None:
    """Run ``model`` on ``inputs`` ``(N, C, H, W)`` and raise ``ValueError`` (one line, naming
    ``what``) unless it returns finite float logits ``(N, num_classes)`` (classification) or
    ``(N, num_classes, H, W)`` (segmentation)."""
    expected = (len(inputs), num_classes) if output == "classification" else (len(inputs), num_classes,
                                                                               *inputs.shape[2:])
    try:
        with torch.no_grad():
            logits = model.eval()(inputs)
    except Exception as error:  # noqa: BLE001 - a user model may raise anything; one line says what
        raise ValueError(f"{what}: expected logits of shape {expected} on inputs {tuple(inputs.shape)}, "
                         f"got {type(error).__name__}: {error}".splitlines()[0]) from None
    if not isinstance(logits, Tensor) or tuple(logits.shape) != expected or not logits.dtype.is_floating_point:
        got = f"shape {tuple(logits.shape)}" if isinstance(logits, Tensor) else type(logits).__name__
        raise ValueError(f"{what}: expected {output} logits of shape {expected} on inputs {tuple(inputs.shape)}, "
                         f"got {got}")


__all__ = ["OUTPUT_KINDS", "check_model_output", "model_record_fields"]
