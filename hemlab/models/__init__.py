"""Named models: ``create_model(name, num_classes, in_channels=None, *, seed=None, **options)``.

==============  ================  =================  ==============================================
name            default input     output             made for
==============  ================  =================  ==============================================
``mlp``         1 x 8 x 8         ``(N, K)``         digits (8x8); 2-D toy points with
                                                     ``in_channels=2, image_size=1``
``digits_cnn``  1 x 8 x 8         ``(N, K)``         digits
``cifar_cnn``   3 x 32 x 32       ``(N, K)``         32x32 images (CIFAR, SVHN), quick experiments
``resnet18``    3 x 32 x 32       ``(N, K)``         32x32 images, torchvision ResNet-18 with the CIFAR stem
``resnet20``    3 x 32 x 32       ``(N, K)``         32x32 images, He et al.'s CIFAR ResNet-20 (colab preset)
``unet``        3 x H x W         ``(N, K, H, W)``   segmentation (shapes, VOC)
``deeplabv3``   3 x H x W         ``(N, K, H, W)``   segmentation (VOC), torchvision DeepLabV3, ResNet-50
``fcn``         3 x H x W         ``(N, K, H, W)``   segmentation (VOC), torchvision FCN, ResNet-50
``lraspp``      3 x H x W         ``(N, K, H, W)``   segmentation, torchvision LR-ASPP, MobileNetV3 (small)
==============  ================  =================  ==============================================

Each model defaults to the input its name promises (``in_channels`` and, for the MLP,
``image_size``), read from its builder's signature (:func:`model_defaults`), and checks
the channels of what it is given in its forward, so a mismatch fails with a hemlab message
rather than torch's. Models start from torch's default random initialisation, drawn with
``seed`` when one is given; nothing is downloaded unless ``deeplabv3`` or ``fcn`` is asked
for ``pretrained_backbone=True`` (ImageNet ResNet-50 backbone weights).

Yours: a builder registered with :func:`register_model` (see :mod:`hemlab.models.registration`), or
an installed plug-in's entry point in the group ``hemlab.models`` (:mod:`hemlab.plugins`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import torch
from torch import nn

from hemlab.checks import POSITIVE_INTEGER, Instance, check
from hemlab.models.registration import check_model_output, model_record_fields
from hemlab.models.resnet import CifarResNet, CifarResNet18, resnet18_cifar, resnet20_cifar
from hemlab.models.small import MLP, CifarCNN, DigitsCNN, count_parameters
from hemlab.models.torchvision_seg import TorchvisionSegmenter, deeplabv3, fcn, lraspp
from hemlab.models.unet import UNet
from hemlab.plugins import discover_entry_points
from hemlab.registry import Record, Registry


def _mlp(num_classes: int, in_channels: int = 1, image_size: int = 8, hidden_sizes: tuple[int, ...] = (256, 128)) -> MLP:
    return MLP(in_channels * image_size * image_size, num_classes, hidden_sizes)


@dataclass(frozen=True)
class ModelInfo(Record):
    """A named model: ``builder(num_classes, **options)`` and its ``output`` kind,
    ``"classification"`` (logits ``(N, K)``) or ``"segmentation"`` (``(N, K, H, W)``).
    ``module`` and ``version`` say where a registered model comes from, for its runs'
    identity; both are empty for the built-in models."""

    output: str
    module: str = ""
    version: str = ""

    supplied: ClassVar[tuple[str, ...]] = ("num_classes",)


MODELS: Registry[ModelInfo] = Registry("model", (
    ModelInfo("mlp", "Flatten, two hidden ReLU layers (256, 128), linear head.", _mlp, "classification"),
    ModelInfo("digits_cnn", "Three conv blocks and global pooling, about 94k parameters; 8x8 digits.",
              DigitsCNN, "classification"),
    ModelInfo("cifar_cnn", "VGG-style CNN, about 0.6M parameters; 32x32 images.", CifarCNN, "classification"),
    ModelInfo("resnet18", "torchvision ResNet-18 with the CIFAR stem, 11.2M parameters.", resnet18_cifar,
              "classification"),
    ModelInfo("resnet20", "He et al.'s CIFAR ResNet-20: 3 stages of 3 basic blocks (16, 32, 64 channels), "
              "0.27M parameters.", resnet20_cifar, "classification"),
    ModelInfo("unet", "Small U-Net with two down-sampling steps; dense logits.", UNet, "segmentation"),
    ModelInfo("deeplabv3", "torchvision DeepLabV3, ResNet-50 backbone (output stride 8), 39.6M parameters; "
              "dense logits.", deeplabv3, "segmentation"),
    ModelInfo("fcn", "torchvision FCN, ResNet-50 backbone (output stride 8), 32.9M parameters; dense logits.",
              fcn, "segmentation"),
    ModelInfo("lraspp", "torchvision LR-ASPP, MobileNetV3-Large backbone, 3.2M parameters; dense logits.", lraspp,
              "segmentation"),
))


def register_model(name: str, builder: Callable[..., nn.Module] | None = None, *, output: str = "classification",
                   description: str, replace: bool = False):
    """Register ``builder(num_classes, in_channels, **options) -> nn.Module`` as model ``name``;
    returns ``builder``. Without ``builder`` it is a decorator. ``output``: ``"classification"``
    (logits ``(N, K)``) or ``"segmentation"`` (``(N, K, H, W)``). A built-in name is refused;
    registering a name twice needs ``replace=True``."""
    def register(target: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        MODELS.add(ModelInfo(**model_record_fields(name, target, output=output, description=description)),
                   replace=replace)
        return target

    return register if builder is None else register(builder)


def model_info(name: str) -> ModelInfo:
    """The record of model ``name`` (installed plug-ins are looked up the first time a name is
    unknown); ``ValueError`` listing the known names otherwise."""
    if name not in MODELS:
        discover_entry_points()
    return MODELS.record(name)


def available_models() -> list[str]:
    """Names accepted by ``create_model``."""
    discover_entry_points()
    return list(MODELS)


def model_defaults(name: str) -> dict[str, Any]:
    """``{option: default}`` of model ``name`` (``in_channels`` included), read from its builder's signature."""
    return model_info(name).defaults


def create_model(
    name: str, num_classes: int, in_channels: int | None = None, *, seed: int | None = None, **options: Any
) -> nn.Module:
    """Build the model called ``name`` for ``num_classes`` classes.

    Args:
        in_channels: input channels; ``None`` takes the model's own default (1 for ``mlp``
            and ``digits_cnn``, 3 for the others; see :func:`model_defaults`).
        seed: when given, the initial weights are drawn from a CPU generator seeded with it,
            so the same seed gives the same weights; the global RNG stream is left as it was.
            ``None`` draws from the global stream.
        options: ``mlp`` takes ``image_size`` (default 8; inputs have
            ``in_channels * image_size**2`` values, so 2-D points are ``in_channels=2,
            image_size=1``) and ``hidden_sizes`` (default (256, 128)); ``unet`` takes ``width``
            (default 32); ``deeplabv3`` and ``fcn`` take ``pretrained_backbone`` (default
            False: from scratch; True fetches the ImageNet ResNet-50 weights and raises
            ``RuntimeError`` when they cannot be fetched).

    An unknown name or option raises ``ValueError`` listing what is allowed.
    """
    model_info(name)
    info = MODELS.check(name, options)
    num_classes = check("num_classes", num_classes, POSITIVE_INTEGER)
    if in_channels is not None:
        options["in_channels"] = check("in_channels", in_channels, POSITIVE_INTEGER)
    if seed is None:
        return info.builder(num_classes, **options)
    check("seed", seed, Instance(int), None)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return info.builder(num_classes, **options)


__all__ = [
    "MLP", "MODELS", "CifarCNN", "CifarResNet", "CifarResNet18", "DigitsCNN", "ModelInfo", "TorchvisionSegmenter",
    "UNet", "available_models", "check_model_output", "count_parameters", "create_model", "deeplabv3", "fcn",
    "lraspp", "model_defaults", "model_info", "register_model", "resnet18_cifar", "resnet20_cifar",
]
