"""Synthetic semantic segmentation: coloured shapes on textured, noisy backgrounds.

Each image holds 1..``max_objects`` shapes of random class, size, position and colour
(colour carries no class information: only the outline does), painted in order so later
shapes cover earlier ones. The per-pixel target is the shape class (background = 0);
pixels on a boundary between two labels get ``IGNORE_INDEX`` (-100, the losses' and
metrics' default), the role VOC's 255 plays in Pascal VOC.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import TensorDataset

from hemlab.sentinels import IGNORE_INDEX

SHAPE_NAMES: tuple[str, ...] = ("background", "circle", "square", "triangle", "diamond", "cross", "ring")


def _shape_mask(shape: str, dx: Tensor, dy: Tensor, radius: float) -> Tensor:
    """Boolean mask of ``shape`` centred at offset 0 with half-size ``radius`` (pixels)."""
    distance = (dx.square() + dy.square()).sqrt()
    if shape == "circle":
        return distance <= radius
    if shape == "square":
        return torch.maximum(dx.abs(), dy.abs()) <= 0.85 * radius
    if shape == "triangle":
        return (dy.abs() <= radius) & (dx.abs() <= (dy + radius) / 2)
    if shape == "diamond":
        return dx.abs() + dy.abs() <= radius
    if shape == "cross":
        bar = radius / 3
        return ((dx.abs() <= bar) & (dy.abs() <= radius)) | ((dy.abs() <= bar) & (dx.abs() <= radius))
    if shape == "ring":
        return (distance <= radius) & (distance >= 0.55 * radius)
    raise ValueError(f"shape: unknown shape {shape!r}")


def boundary_mask(labels: Tensor) -> Tensor:
    """Pixels of ``labels`` ``(N, H, W)`` whose 3x3 neighbourhood holds more than one label."""
    as_float = labels.unsqueeze(1).float()
    highest = F.max_pool2d(as_float, 3, stride=1, padding=1)
    lowest = -F.max_pool2d(-as_float, 3, stride=1, padding=1)
    return (highest != lowest).squeeze(1)


def make_shapes(
    n_images: int = 256,
    image_size: int = 32,
    num_classes: int = 4,
    max_objects: int = 3,
    *,
    ignore_border: bool = True,
    seed: int = 0,
) -> TensorDataset:
    """A seeded segmentation set of ``n_images`` RGB images and per-pixel labels.

    Returns a ``TensorDataset`` of images ``(N, 3, S, S)`` float32 in [0, 1] and labels
    ``(N, S, S)`` int64 in ``0..num_classes-1`` or ``IGNORE_INDEX`` (-100) on object borders
    (unless ``ignore_border=False``), with ``S = image_size``.
    ``num_classes`` counts the background: 4 gives background, circle, square, triangle
    (the first ``num_classes`` entries of ``SHAPE_NAMES``, at most 7).
    """
    if n_images < 1:
        raise ValueError(f"n_images: expected a positive count, got {n_images!r}")
    if image_size < 8:
        raise ValueError(f"image_size: expected at least 8 pixels, got {image_size!r}")
    if not 2 <= num_classes <= len(SHAPE_NAMES):
        raise ValueError(f"num_classes: expected 2..{len(SHAPE_NAMES)} (background included), got {num_classes!r}")
    if max_objects < 1:
        raise ValueError(f"max_objects: expected a positive count, got {max_objects!r}")
    generator = torch.Generator().manual_seed(seed)

    def uniform(low: float, high: float, size: tuple[int, ...] = ()) -> Tensor:
        return low + (high - low) * torch.rand(size, generator=generator)

    coordinates = torch.arange(image_size, dtype=torch.float32) + 0.5
    grid_y, grid_x = torch.meshgrid(coordinates, coordinates, indexing="ij")
    texture_cells = max(2, image_size // 8)
    images = torch.empty(n_images, 3, image_size, image_size)
    labels = torch.zeros(n_images, image_size, image_size, dtype=torch.long)
    for index in range(n_images):
        coarse = uniform(0.15, 0.85, (1, 3, texture_cells, texture_cells))
        image = F.interpolate(coarse, size=(image_size, image_size), mode="bilinear", align_corners=False)[0]
        n_objects = int(torch.randint(1, max_objects + 1, (), generator=generator))
        for _ in range(n_objects):
            shape_class = int(torch.randint(1, num_classes, (), generator=generator))
            radius = float(uniform(0.15, 0.3)) * image_size
            centre_x, centre_y = (float(uniform(radius, image_size - radius)) for _ in range(2))
            mask = _shape_mask(SHAPE_NAMES[shape_class], grid_x - centre_x, grid_y - centre_y, radius)
            colour = uniform(0.0, 1.0, (3, 1, 1))
            image = torch.where(mask, colour + 0.05 * torch.randn(3, image_size, image_size, generator=generator), image)
            labels[index][mask] = shape_class
        images[index] = image + 0.05 * torch.randn(image.shape, generator=generator)
    if ignore_border:
        labels[boundary_mask(labels)] = IGNORE_INDEX
    return TensorDataset(images.clamp_(0.0, 1.0), labels)


def load_shapes(
    n_images: int = 256,
    image_size: int = 32,
    num_classes: int = 4,
    max_objects: int = 3,
    *,
    ignore_border: bool = True,
    seed: int = 0,
) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` shapes sets: ``n_images`` training images drawn with ``seed``, and a
    test set a quarter as large (at least 16) drawn with ``seed + 1``, so it never repeats them."""
    options = dict(image_size=image_size, num_classes=num_classes, max_objects=max_objects, ignore_border=ignore_border)
    return (make_shapes(n_images, seed=seed, **options),
            make_shapes(max(16, n_images // 4), seed=seed + 1, **options))
