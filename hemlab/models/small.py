"""Small networks for the embedded data: an MLP, a digits CNN and a CIFAR-sized CNN.

All take images ``(N, C, H, W)`` (the MLP also takes flat inputs ``(N, F)``) and return
logits ``(N, num_classes)``. The CNNs end in global average pooling, so any image size
works; the sizes in their names are what they were tuned for.
"""
from __future__ import annotations

import math
from typing import Sequence

from torch import Tensor, nn

from hemlab.models._inputs import check_channels


class MLP(nn.Module):
    """Flatten, then ``Linear -> ReLU`` per hidden size, then ``Linear`` to the classes."""

    def __init__(self, in_features: int, num_classes: int, hidden_sizes: Sequence[int] = (256, 128)) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.ReLU(inplace=True)]
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        self.in_features = in_features
        self.layers = nn.Sequential(*layers)

    def forward(self, inputs: Tensor) -> Tensor:
        """``(N, ...)`` with ``in_features`` values per sample -> logits ``(N, num_classes)``."""
        if inputs.ndim < 2 or math.prod(inputs.shape[1:]) != self.in_features:
            raise ValueError(
                f"MLP: expected inputs (N, ...) with in_features={self.in_features} values per sample "
                f"(in_channels x image_size x image_size), got shape {tuple(inputs.shape)}"
            )
        return self.layers(inputs)


def _conv_block(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class DigitsCNN(nn.Module):
    """Three 3x3 conv blocks (32, 64, 128 channels) with one 2x2 max-pool, global average
    pooling and a linear head; about 94k parameters, made for 8x8 digits."""

    def __init__(self, num_classes: int, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *_conv_block(in_channels, 32), *_conv_block(32, 64), nn.MaxPool2d(2),
            *_conv_block(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.classifier = nn.Linear(128, num_classes)
        self.in_channels = in_channels

    def forward(self, images: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` -> logits ``(N, num_classes)``."""
        check_channels(images, self.in_channels, "digits_cnn")
        return self.classifier(self.features(images))


class CifarCNN(nn.Module):
    """A VGG-style CNN for 32x32 images: conv blocks 64-64-pool-128-128-pool-256-pool,
    global average pooling, linear head; about 0.6M parameters."""

    def __init__(self, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *_conv_block(in_channels, 64), *_conv_block(64, 64), nn.MaxPool2d(2),
            *_conv_block(64, 128), *_conv_block(128, 128), nn.MaxPool2d(2),
            *_conv_block(128, 256), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.classifier = nn.Linear(256, num_classes)
        self.in_channels = in_channels

    def forward(self, images: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` -> logits ``(N, num_classes)``."""
        check_channels(images, self.in_channels, "cifar_cnn")
        return self.classifier(self.features(images))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)

