"""torchvision's ResNet-18 with the CIFAR stem (He et al. 2016, as used for CIFAR-10/100).

The ImageNet stem (7x7 stride-2 conv + max-pool) shrinks a 32x32 image to 8x8 before the
first block; the CIFAR stem replaces it with a 3x3 stride-1 conv and no max-pool, so the
four stages see 32, 16, 8 and 4 pixels. Weights are random (no download).
"""
from __future__ import annotations

from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, ResNet

from hemlab.models._inputs import check_channels


class CifarResNet18(ResNet):
    """ResNet-18 (11.2M parameters), CIFAR stem: images ``(N, C, H, W)`` -> logits ``(N, num_classes)``."""

    def __init__(self, num_classes: int, in_channels: int = 3) -> None:
        super().__init__(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.maxpool = nn.Identity()
        self.in_channels = in_channels

    def forward(self, images: Tensor) -> Tensor:
        check_channels(images, self.in_channels, "resnet18")
        return super().forward(images)


def resnet18_cifar(num_classes: int, in_channels: int = 3) -> CifarResNet18:
    """ResNet-18 with the CIFAR stem for ``num_classes`` classes and ``in_channels`` input channels."""
    return CifarResNet18(num_classes, in_channels)
