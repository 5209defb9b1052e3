"""CIFAR ResNets: torchvision's ResNet-18 with the CIFAR stem, and ResNet-20 (He et al. 2016).

The ImageNet stem (7x7 stride-2 conv + max-pool) shrinks a 32x32 image to 8x8 before the
first block; the CIFAR stem replaces it with a 3x3 stride-1 conv and no max-pool, so the
four stages of ResNet-18 see 32, 16, 8 and 4 pixels. ResNet-20 is the network He et al.
(2016, section 4.2) built for CIFAR-10: a 3x3 conv to 16 channels, three stages of three
basic blocks at 16, 32 and 64 channels (32, 16 and 8 pixels), global average pooling and
a linear head, ``6 * 3 + 2 = 20`` weight layers, 0.27M parameters and 41M multiply-adds
per 32x32 image (about 1/14 of ResNet-18's 0.56G). Its shortcuts that change shape are
1x1 projections with batch norm (the paper's option B). Weights are random (no download).
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


def _stage(in_width: int, width: int, blocks: int, stride: int) -> nn.Sequential:
    """``blocks`` basic blocks at ``width`` channels; the first one strides and projects."""
    projection = None
    if stride != 1 or in_width != width:
        projection = nn.Sequential(nn.Conv2d(in_width, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width))
    layers = [BasicBlock(in_width, width, stride=stride, downsample=projection)]
    layers += [BasicBlock(width, width) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet of depth ``6 * blocks + 2``: images ``(N, C, H, W)`` ->
    logits ``(N, num_classes)``; stages of ``widths`` channels, the 2nd and 3rd at stride 2.

    Weights follow torchvision's ResNet: Kaiming-normal convolutions (fan-out), batch norms
    at weight 1 and bias 0, and each block's last batch-norm weight at 0 (a block starts as
    the identity, as in Goyal et al. 2017), which lets SGD at 0.1 start without warm-up.
    """

    def __init__(self, num_classes: int, in_channels: int = 3, blocks: int = 3,
                 widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages, in_width = [], widths[0]
        for index, width in enumerate(widths):
            stages.append(_stage(in_width, width, blocks, stride=1 if index == 0 else 2))
            in_width = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(in_width, num_classes)
        self.in_channels = in_channels
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        for module in self.modules():
            if isinstance(module, BasicBlock):
                nn.init.zeros_(module.bn2.weight)

    def forward(self, images: Tensor) -> Tensor:
        check_channels(images, self.in_channels, f"resnet{6 * len(self.stages[0]) + 2}")
        return self.fc(self.pool(self.stages(self.stem(images))))


def resnet20_cifar(num_classes: int, in_channels: int = 3) -> CifarResNet:
    """ResNet-20 (He et al. 2016) for ``num_classes`` classes and ``in_channels`` input channels."""
    return CifarResNet(num_classes, in_channels, blocks=3)
