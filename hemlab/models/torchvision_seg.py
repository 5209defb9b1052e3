"""The literature's segmentation models: torchvision's DeepLabV3 and FCN with a ResNet-50
backbone, and the small LR-ASPP with a MobileNetV3-Large backbone.

DeepLabV3 (Chen et al. 2017): the ResNet-50 backbone with dilated last two stages (output
stride 8) and an atrous spatial pyramid pooling head. FCN (Long et al. 2015): the same
backbone with a plain 3x3-conv head. Both upsample their logits bilinearly to the input
size. hemlab builds them from scratch (``weights=None, weights_backbone=None``, no auxiliary
head) and returns the logits tensor ``(N, num_classes, H, W)`` where torchvision returns a
dict. ``pretrained_backbone=True`` asks torchvision for the ImageNet ResNet-50 weights
(``ResNet50_Weights.IMAGENET1K_V1``, from torch's hub cache or download.pytorch.org); when
they cannot be fetched the build fails with one line saying so.

LR-ASPP (Howard et al. 2019, "Searching for MobileNetV3"): MobileNetV3-Large features at
output stride 16 (dilated last stage) with a light head that gates them by a global-pooling
branch and adds the stride-8 features; 3.2M parameters, a small torchvision model for the
colab preset's 64x64 shapes. It is built from scratch for 3-channel images.

In training mode the ASPP head's image-pooling branch normalises a 1x1 map per image, so a
training batch needs at least two images.
"""
from __future__ import annotations

from typing import Callable

from torch import Tensor, nn
from torchvision.models import ResNet50_Weights
from torchvision.models.segmentation import deeplabv3_resnet50, fcn_resnet50, lraspp_mobilenet_v3_large

from hemlab.checks import Instance, check
from hemlab.models._inputs import check_channels

BACKBONE_WEIGHTS = ResNet50_Weights.IMAGENET1K_V1


class TorchvisionSegmenter(nn.Module):
    """A torchvision segmentation network as a plain module: images ``(N, C, H, W)`` ->
    logits ``(N, num_classes, H, W)`` (torchvision's ``["out"]``)."""

    def __init__(self, network: nn.Module, in_channels: int, name: str) -> None:
        super().__init__()
        self.network = network
        self.in_channels = in_channels
        self.name = name

    def forward(self, images: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` -> logits ``(N, num_classes, H, W)``."""
        check_channels(images, self.in_channels, self.name)
        return self.network(images)["out"]


def _build(name: str, builder: Callable[..., nn.Module], num_classes: int, in_channels: int,
           pretrained_backbone: bool) -> TorchvisionSegmenter:
    check("pretrained_backbone", pretrained_backbone, Instance(bool))
    if pretrained_backbone and in_channels != 3:
        raise ValueError(f"in_channels: the ImageNet backbone of {name} takes 3 channels, got {in_channels}; "
                         "use pretrained_backbone=False for other inputs")
    weights_backbone = BACKBONE_WEIGHTS if pretrained_backbone else None
    try:
        network = builder(weights=None, weights_backbone=weights_backbone, num_classes=num_classes, aux_loss=False)
    except OSError as error:  # urllib's URLError and socket errors are OSErrors
        raise RuntimeError(
            f"{name}: pretrained_backbone=True needs the ImageNet ResNet-50 weights ({BACKBONE_WEIGHTS.url}), "
            f"which could not be fetched ({type(error).__name__}: {error}); put the file in torch's hub cache "
            "($TORCH_HOME/hub/checkpoints) or use pretrained_backbone=False") from None
    if in_channels != 3:
        first = network.backbone.conv1
        network.backbone.conv1 = nn.Conv2d(in_channels, first.out_channels, first.kernel_size, first.stride,
                                           first.padding, bias=False)
    return TorchvisionSegmenter(network, in_channels, name)


def deeplabv3(num_classes: int, in_channels: int = 3, pretrained_backbone: bool = False) -> TorchvisionSegmenter:
    """torchvision's ``deeplabv3_resnet50`` for ``num_classes`` classes, from scratch unless
    ``pretrained_backbone`` (ImageNet ResNet-50 backbone weights; 3 input channels)."""
    return _build("deeplabv3", deeplabv3_resnet50, num_classes, in_channels, pretrained_backbone)


def fcn(num_classes: int, in_channels: int = 3, pretrained_backbone: bool = False) -> TorchvisionSegmenter:
    """torchvision's ``fcn_resnet50`` for ``num_classes`` classes, from scratch unless
    ``pretrained_backbone`` (ImageNet ResNet-50 backbone weights; 3 input channels)."""
    return _build("fcn", fcn_resnet50, num_classes, in_channels, pretrained_backbone)


def lraspp(num_classes: int, in_channels: int = 3) -> TorchvisionSegmenter:
    """torchvision's ``lraspp_mobilenet_v3_large`` for ``num_classes`` classes, from scratch
    (no ImageNet weights), for 3-channel images."""
    if in_channels != 3:
        raise ValueError(f"in_channels: lraspp is built for 3-channel images, got {in_channels}")
    network = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=num_classes)
    return TorchvisionSegmenter(network, in_channels, "lraspp")
