"""Generated colour glyphs: the ``glyphs`` digits in colour over textured colour backgrounds.

The colab preset's offline stand-in for a CIFAR-sized benchmark: 32x32 RGB images that a
CIFAR ResNet has to learn colour-invariant shape features for. Each image takes the ink
coverage ``a`` ``(1, S, S)`` of a :func:`hemlab.data.glyphs.make_glyphs` glyph (its
rotation, shift, size, distractor strokes and blur; no pixel noise there) and composites it,
with independent draws per image:

1. background ``b = clamp(coarse + texture * fine, 0, 1)``: ``coarse`` a ``4 x 4`` grid of
   colours ``U(0, 1)^3`` upsampled bilinearly (smooth colour gradients), ``fine`` a
   ``S/2 x S/2`` grid of ``U(-1, 1)^3`` upsampled bilinearly (a grain of about two pixels,
   as strong as the strokes' edges);
2. ink colour ``c ~ U(0, 1)^3``, moved away from the background's mean colour ``m`` until
   their distance is at least ``contrast`` (``c = m + contrast * (c - m) / |c - m|`` when
   closer), so every glyph is visible to the eye;
3. ``x = (1 - a) b + a c + sigma * N(0, 1)`` with ``sigma ~ U(0, noise)``, clipped to [0, 1].

Images are ``(N, 3, S, S)`` float32 in [0, 1]; targets int64 indices into ``characters``.
The same arguments give the same images. :data:`COLOUR_GLYPH_DEFAULTS` are the settings the
colab preset uses (``benchmarks/colab_sizing.py`` measured where CE lands with them).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import TensorDataset

from hemlab.data.glyphs import DIGITS, _check_count, _check_number, make_glyphs, split_seeds

COARSE_CELLS = 4


def _backgrounds(count: int, side: int, texture: float, generator: torch.Generator) -> Tensor:
    coarse = torch.rand(count, 3, COARSE_CELLS, COARSE_CELLS, generator=generator)
    fine = torch.rand(count, 3, max(2, side // 2), max(2, side // 2), generator=generator) * 2 - 1
    smooth = F.interpolate(coarse, size=(side, side), mode="bilinear", align_corners=False)
    grain = F.interpolate(fine, size=(side, side), mode="bilinear", align_corners=False)
    return (smooth + texture * grain).clamp_(0.0, 1.0)


def _ink_colours(backgrounds: Tensor, contrast: float, generator: torch.Generator) -> Tensor:
    """``(N, 3, 1, 1)`` ink colours at least ``contrast`` away from each background's mean colour."""
    mean = backgrounds.mean((2, 3), keepdim=True)
    colours = torch.rand(mean.shape, generator=generator)
    offset = colours - mean
    distance = offset.norm(dim=1, keepdim=True).clamp(min=1e-6)
    pushed = mean + contrast * offset / distance
    return torch.where(distance < contrast, pushed, colours).clamp_(0.0, 1.0)


def make_colour_glyphs(
    n_images: int,
    *,
    characters: str = DIGITS,
    image_size: int = 32,
    rotation: float = 30.0,
    shift: float = 0.12,
    scale: float = 0.2,
    blur: float = 1.0,
    distractors: float = 1.0,
    texture: float = 0.25,
    contrast: float = 0.3,
    noise: float = 0.15,
    seed: int = 0,
) -> TensorDataset:
    """``n_images`` colour glyphs of ``characters`` drawn from ``seed`` (module docstring).

    The shape options are :func:`hemlab.data.glyphs.make_glyphs`'s (``image_size`` 8..64);
    ``texture`` is the grain's amplitude in [0, 1], ``contrast`` the least distance between
    ink and mean background colour in [0, 1.7], ``noise`` the largest pixel-noise std in
    [0, 1]. Returns images ``(n_images, 3, S, S)`` float32 in [0, 1] and balanced targets
    ``(n_images,)`` int64 in ``0..K-1``.
    """
    texture = _check_number("texture", texture, 0.0, 1.0, "a grain amplitude")
    contrast = _check_number("contrast", contrast, 0.0, 1.7, "a colour distance")
    noise = _check_number("noise", noise, 0.0, 1.0, "a noise std")
    seed = _check_count("seed", seed, 0)
    shape_seed, colour_seed = split_seeds(seed)
    coverage, targets = make_glyphs(n_images, characters=characters, image_size=image_size, rotation=rotation,
                                    shift=shift, scale=scale, blur=blur, distractors=distractors, noise=0.0,
                                    seed=shape_seed).tensors
    generator = torch.Generator().manual_seed(colour_seed)
    count, side = len(coverage), coverage.shape[-1]
    backgrounds = _backgrounds(count, side, texture, generator)
    ink = _ink_colours(backgrounds, contrast, generator)
    sigma = noise * torch.rand(count, 1, 1, 1, generator=generator)
    pixel_noise = torch.randn((count, 3, side, side), generator=generator)
    images = (1 - coverage) * backgrounds + coverage * ink + sigma * pixel_noise
    return TensorDataset(images.clamp_(0.0, 1.0).contiguous(), targets)


def load_colour_glyphs(
    n_train: int = 10000,
    n_test: int = 5000,
    image_size: int = 32,
    rotation: float = 30.0,
    shift: float = 0.12,
    scale: float = 0.2,
    blur: float = 1.0,
    distractors: float = 1.0,
    texture: float = 0.25,
    contrast: float = 0.3,
    noise: float = 0.15,
    *,
    seed: int = 0,
) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` colour glyph digits 0-9: ``n_train`` and ``n_test`` class-balanced
    images from two independent seeds derived from ``seed`` (as :func:`hemlab.data.load_glyphs`);
    the test set never depends on ``n_train``."""
    n_train = _check_count("n_train", n_train, 1)
    n_test = _check_count("n_test", n_test, 1)
    options = dict(image_size=image_size, rotation=rotation, shift=shift, scale=scale, blur=blur,
                   distractors=distractors, texture=texture, contrast=contrast, noise=noise)
    train_seed, test_seed = split_seeds(seed)
    return make_colour_glyphs(n_train, seed=train_seed, **options), make_colour_glyphs(n_test, seed=test_seed, **options)
