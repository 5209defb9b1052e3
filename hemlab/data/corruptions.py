"""Image corruptions at five severities, after CIFAR-10-C (Hendrycks & Dietterich, ICLR 2019).

Each corruption maps images ``(N, C, H, W)`` float in [0, 1] to corrupted images of the
same shape, clamped to [0, 1]. Random corruptions draw from a seeded CPU generator, so a
given ``seed`` gives the same result on every device. Severity ``s`` (1..5) uses
``SEVERITY_PARAMETERS[name][s - 1]``, the CIFAR-10-C values:

- gaussian_noise  std ``sigma``:             ``x + sigma * N(0, 1)``
- shot_noise      photon count ``lam``:      ``Poisson(lam * x) / lam``
- impulse_noise   fraction ``amount``:       that share of values set to 0 or 1 (half each)
- gaussian_blur   std ``sigma`` (pixels):    Gaussian filter, kernel ``2 ceil(3 sigma) + 1``
- contrast        factor ``c``:              ``(x - mean) * c + mean``, mean per image and channel
- brightness      shift ``b``:               HSV value ``V = max_c x`` raised to ``min(V + b, 1)``,
                                             hue and saturation kept
- pixelate        scale ``f``:               box-filter down to ``floor(f H) x floor(f W)`` and back up
                                             (like PIL's BOX resize; on 8x8 images neighbouring
                                             severities can round to the same size)
- jpeg            quality ``q``:             JPEG encode/decode with Pillow, as CIFAR-10-C did (1 or 3
                                             channels; torchvision.io's codecs are deprecated since 0.29)
"""
from __future__ import annotations

import io
import math
from typing import Callable

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset, TensorDataset

from hemlab.data.core import dataset_tensors

SEVERITY_PARAMETERS: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.04, 0.06, 0.08, 0.09, 0.10),
    "shot_noise": (500, 250, 100, 75, 50),
    "impulse_noise": (0.01, 0.02, 0.03, 0.05, 0.07),
    "gaussian_blur": (0.4, 0.6, 0.7, 0.8, 1.0),
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),
    "brightness": (0.05, 0.1, 0.15, 0.2, 0.3),
    "pixelate": (0.95, 0.9, 0.85, 0.75, 0.65),
    "jpeg": (80, 65, 58, 50, 40),
}


def _noise_like(images: Tensor, generator: torch.Generator) -> Tensor:
    return torch.randn(images.shape, generator=generator).to(images.device)


def _gaussian_noise(images: Tensor, sigma: float, generator: torch.Generator) -> Tensor:
    return images + sigma * _noise_like(images, generator)


def _shot_noise(images: Tensor, lam: float, generator: torch.Generator) -> Tensor:
    rate = (images.detach().cpu().float().clamp(0.0, 1.0) * lam)
    return (torch.poisson(rate, generator=generator) / lam).to(images.device, images.dtype)


def _impulse_noise(images: Tensor, amount: float, generator: torch.Generator) -> Tensor:
    draw = torch.rand(images.shape, generator=generator).to(images.device)
    salt_or_pepper = (draw < amount / 2).to(images.dtype)
    return torch.where(draw < amount, salt_or_pepper, images)


def _gaussian_blur(images: Tensor, sigma: float, generator: torch.Generator) -> Tensor:
    kernel_size = 2 * math.ceil(3 * sigma) + 1
    return TF.gaussian_blur(images, kernel_size=[kernel_size, kernel_size], sigma=[sigma, sigma])


def _contrast(images: Tensor, factor: float, generator: torch.Generator) -> Tensor:
    mean = images.mean(dim=(2, 3), keepdim=True)
    return (images - mean) * factor + mean


def _brightness(images: Tensor, shift: float, generator: torch.Generator) -> Tensor:
    value = images.amax(dim=1, keepdim=True)
    brighter = (value + shift).clamp(max=1.0)
    scaled = images * brighter / value.clamp(min=1e-12)
    return torch.where(value > 0, scaled, brighter.expand_as(images))


def _box_weights(in_size: int, out_size: int) -> Tensor:
    """Box-filter resampling matrix ``(out_size, in_size)``: row ``j`` averages the input pixels
    under output pixel ``j``, each weighted by its overlap (exact for fractional ratios)."""
    edges = torch.arange(out_size + 1, dtype=torch.float64) * in_size / out_size
    pixel = torch.arange(in_size, dtype=torch.float64)
    overlap = torch.minimum(pixel + 1, edges[1:, None]) - torch.maximum(pixel, edges[:-1, None])
    overlap = overlap.clamp(min=0.0)
    return overlap / overlap.sum(dim=1, keepdim=True)


def _pixelate(images: Tensor, scale: float, generator: torch.Generator) -> Tensor:
    height, width = images.shape[-2:]
    small_height, small_width = max(1, int(height * scale)), max(1, int(width * scale))
    down_rows, down_columns = _box_weights(height, small_height), _box_weights(width, small_width)
    up_rows, up_columns = _box_weights(small_height, height), _box_weights(small_width, width)
    rows = (up_rows @ down_rows).to(images.device, images.dtype)
    columns = (up_columns @ down_columns).to(images.device, images.dtype)
    return torch.einsum("hk,nckl,wl->nchw", rows, images, columns)


def _jpeg(images: Tensor, quality: float, generator: torch.Generator) -> Tensor:
    if images.shape[1] not in (1, 3):
        raise ValueError(f"images: jpeg needs 1 or 3 channels, got {images.shape[1]}")
    as_bytes = (images.detach().cpu().clamp(0.0, 1.0) * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    decoded = []
    for pixels in as_bytes:
        buffer = io.BytesIO()
        Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).save(buffer, "JPEG", quality=int(quality))
        decoded.append(np.asarray(Image.open(buffer)).reshape(pixels.shape))
    result = torch.from_numpy(np.stack(decoded)).permute(0, 3, 1, 2).float() / 255.0
    return result.to(images.device, images.dtype)


CORRUPTIONS: dict[str, Callable[[Tensor, float, torch.Generator], Tensor]] = {
    "gaussian_noise": _gaussian_noise,
    "shot_noise": _shot_noise,
    "impulse_noise": _impulse_noise,
    "gaussian_blur": _gaussian_blur,
    "contrast": _contrast,
    "brightness": _brightness,
    "pixelate": _pixelate,
    "jpeg": _jpeg,
}


def available_corruptions() -> list[str]:
    """Names accepted by ``corrupt`` and ``corrupt_dataset``."""
    return list(CORRUPTIONS)


def corrupt(images: Tensor, name: str, severity: int, *, seed: int = 0) -> Tensor:
    """``images`` ``(N, C, H, W)`` in [0, 1] corrupted by ``name`` at ``severity`` 1..5, in [0, 1]."""
    if name not in CORRUPTIONS:
        raise ValueError(f"name: expected one of {', '.join(CORRUPTIONS)}, got {name!r}")
    if severity not in (1, 2, 3, 4, 5):
        raise ValueError(f"severity: expected an integer 1..5, got {severity!r}")
    if images.ndim != 4 or not images.is_floating_point():
        raise ValueError(f"images: expected a float tensor (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
    generator = torch.Generator().manual_seed(seed)
    parameter = SEVERITY_PARAMETERS[name][severity - 1]
    return CORRUPTIONS[name](images, parameter, generator).clamp_(0.0, 1.0)


def corrupt_dataset(dataset: Dataset, name: str, severity: int, *, seed: int = 0) -> TensorDataset:
    """All of ``dataset`` corrupted by ``name`` at ``severity``; targets unchanged."""
    images, targets = dataset_tensors(dataset)
    return TensorDataset(corrupt(images, name, severity, seed=seed), targets)
