"""A small U-Net (Ronneberger et al. 2015) for semantic segmentation.

Two down-sampling steps: encoder widths ``w, 2w, 4w`` (``w = width``), each level two
3x3 conv-BN-ReLU layers; the decoder upsamples with 2x2 transposed convs and concatenates
the encoder features of the same resolution. Any ``H, W`` works: when a size is not
divisible by 4 the upsampled map is padded to its skip connection's size.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hemlab.models._inputs import check_channels


def _double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Images ``(N, C, H, W)`` -> dense logits ``(N, num_classes, H, W)``."""

    def __init__(self, num_classes: int, in_channels: int = 3, width: int = 32) -> None:
        super().__init__()
        self.encoder1 = _double_conv(in_channels, width)
        self.encoder2 = _double_conv(width, 2 * width)
        self.bottleneck = _double_conv(2 * width, 4 * width)
        self.up2 = nn.ConvTranspose2d(4 * width, 2 * width, 2, stride=2)
        self.decoder2 = _double_conv(4 * width, 2 * width)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.decoder1 = _double_conv(2 * width, width)
        self.head = nn.Conv2d(width, num_classes, 1)
        self.in_channels = in_channels

    @staticmethod
    def _join(upsampled: Tensor, skip: Tensor) -> Tensor:
        rows = skip.shape[-2] - upsampled.shape[-2]
        columns = skip.shape[-1] - upsampled.shape[-1]
        upsampled = F.pad(upsampled, (columns // 2, columns - columns // 2, rows // 2, rows - rows // 2))
        return torch.cat([skip, upsampled], dim=1)

    def forward(self, images: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` -> logits ``(N, num_classes, H, W)``."""
        check_channels(images, self.in_channels, "unet")
        level1 = self.encoder1(images)
        level2 = self.encoder2(F.max_pool2d(level1, 2))
        bottom = self.bottleneck(F.max_pool2d(level2, 2))
        level2 = self.decoder2(self._join(self.up2(bottom), level2))
        return self.head(self.decoder1(self._join(self.up1(level2), level1)))
