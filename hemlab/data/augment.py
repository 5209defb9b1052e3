"""Batch augmentation on the device: the standard CIFAR random crop and horizontal flip."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hemlab.sentinels import IGNORE_INDEX


def random_crop_flip(
    images: Tensor, targets: Tensor, *, padding: int = 4, flip: bool = True, target_fill: int = IGNORE_INDEX
) -> tuple[Tensor, Tensor]:
    """Pad each image by ``padding`` zeros, crop a random ``H x W`` window, flip half left-right
    (unless ``flip=False``: digits and glyphs, whose mirror image is no digit).

    ``images`` ``(N, C, H, W)``; ``targets`` ``(N,)`` pass through unchanged, dense targets
    ``(N, H, W)`` get the same crop and flip (padding filled with ``target_fill``, the ignore
    label). Draws from the global torch RNG on the images' device; returns new tensors.
    """
    if images.ndim != 4:
        raise ValueError(f"images: expected (N, C, H, W), got shape {tuple(images.shape)}")
    if padding < 0:
        raise ValueError(f"padding: expected a non-negative number of pixels, got {padding!r}")
    count, _, height, width = images.shape
    device = images.device
    offset_row = torch.randint(0, 2 * padding + 1, (count, 1), device=device)
    offset_column = torch.randint(0, 2 * padding + 1, (count, 1), device=device)
    flip_rows = (torch.rand(count, 1, device=device) < 0.5) & flip
    rows = offset_row + torch.arange(height, device=device)
    columns = torch.arange(width, device=device).expand(count, width)
    columns = offset_column + torch.where(flip_rows, columns.flip(-1), columns)
    sample = torch.arange(count, device=device).view(count, 1, 1)
    window = (sample, rows.view(count, height, 1), columns.view(count, 1, width))
    padded = F.pad(images, (padding, padding, padding, padding))
    cropped = padded.permute(0, 2, 3, 1)[window].permute(0, 3, 1, 2).contiguous()
    if targets.ndim == 3:
        padded_targets = F.pad(targets, (padding, padding, padding, padding), value=target_fill)
        return cropped, padded_targets[window]
    return cropped, targets
