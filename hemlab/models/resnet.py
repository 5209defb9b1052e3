"""torchvision's ResNet-18 with the CIFAR stem (He et al. 2016, as used for CIFAR-10/100).

The ImageNet stem (7x7 stride-2 conv + max-pool) shrinks a 32x32 image to 8x8 before the
first block; the CIFAR stem replaces it with a 3x3 stride-1 conv and no max-pool, so the
four stages see 32, 16, 8 and 4 pixels. Weights are random (``weights=None``).
"""
from __future__ import annotations

from torch import nn
from torchvision.models import ResNet, resnet18


def resnet18_cifar(num_classes: int, in_channels: int = 3) -> ResNet:
    """ResNet-18 (11.2M parameters), CIFAR stem: images ``(N, C, H, W)`` -> logits ``(N, num_classes)``."""
    model = resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model
