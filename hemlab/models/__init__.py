"""Named models: ``create_model(name, num_classes, in_channels, **options)``.

=============  ==============  =====================================================
name           output          made for
=============  ==============  =====================================================
``mlp``        ``(N, K)``      digits (8x8) and 2-D toy points (``image_size=1``)
``digits_cnn`` ``(N, K)``      digits, 8x8
``cifar_cnn``  ``(N, K)``      32x32 images (CIFAR, SVHN), quick experiments
``resnet18``   ``(N, K)``      32x32 images, torchvision ResNet-18 with the CIFAR stem
``unet``       ``(N, K, H, W)`` segmentation (shapes, VOC)
=============  ==============  =====================================================

No weights are downloaded: every model starts from torch's default random initialisation
(seed torch before calling ``create_model`` for a reproducible start).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from hemlab.models.resnet import resnet18_cifar
from hemlab.models.small import MLP, CifarCNN, DigitsCNN, count_parameters
from hemlab.models.unet import UNet


def _mlp(num_classes: int, in_channels: int, image_size: int = 8, hidden_sizes: tuple[int, ...] = (256, 128)) -> MLP:
    return MLP(in_channels * image_size * image_size, num_classes, hidden_sizes)


@dataclass(frozen=True)
class ModelInfo:
    """A named model: its builder ``(num_classes, in_channels, **options)``, its output kind
    (``"classification"`` or ``"segmentation"``) and the options it accepts."""

    builder: Callable[..., nn.Module]
    output: str
    options: tuple[str, ...] = ()


MODELS: dict[str, ModelInfo] = {
    "mlp": ModelInfo(_mlp, "classification", ("image_size", "hidden_sizes")),
    "digits_cnn": ModelInfo(DigitsCNN, "classification"),
    "cifar_cnn": ModelInfo(CifarCNN, "classification"),
    "resnet18": ModelInfo(resnet18_cifar, "classification"),
    "unet": ModelInfo(UNet, "segmentation", ("width",)),
}


def available_models() -> list[str]:
    """Names accepted by ``create_model``."""
    return list(MODELS)


def create_model(name: str, num_classes: int, in_channels: int = 3, **options: Any) -> nn.Module:
    """Build the model called ``name`` for ``num_classes`` classes and ``in_channels`` inputs.

    ``options``: ``mlp`` takes ``image_size`` (default 8; inputs have
    ``in_channels * image_size**2`` values, so 2-D points are ``in_channels=2, image_size=1``)
    and ``hidden_sizes`` (default (256, 128)); ``unet`` takes ``width`` (default 32).
    """
    if name not in MODELS:
        raise ValueError(f"name: unknown model {name!r}; expected one of {', '.join(MODELS)}")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes: expected a positive integer, got {num_classes!r}")
    if not isinstance(in_channels, int) or in_channels < 1:
        raise ValueError(f"in_channels: expected a positive integer, got {in_channels!r}")
    info = MODELS[name]
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        accepted = ", ".join(info.options) or "none"
        raise ValueError(f"options: {name} does not accept {', '.join(unknown)}; accepted: {accepted}")
    return info.builder(num_classes, in_channels, **options)


__all__ = [
    "MLP", "MODELS", "CifarCNN", "DigitsCNN", "ModelInfo", "UNet", "available_models", "count_parameters",
    "create_model", "resnet18_cifar",
]
