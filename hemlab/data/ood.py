"""Synthetic far-out-of-distribution sets shaped like a reference image dataset.

- ``uniform_noise``: every pixel i.i.d. uniform on [0, 1];
- ``gaussian_blobs``: 2-6 smooth coloured Gaussian bumps per image,
  ``x[c] = clamp(sum_k a_kc exp(-|p - m_k|^2 / (2 s_k^2)), 0, 1)`` with amplitude
  ``a_kc ~ U(0.3, 1)``, centre ``m_k`` uniform in the image and width
  ``s_k ~ U(0.05, 0.25) * H``;
- ``permuted_pixels``: reference images with their pixel positions shuffled (one random
  permutation per image, shared by the channels): the same colours, no structure;
- ``letters``: the upper-case letters ``GLYPH_LETTERS`` rendered like the ``glyphs`` digits
  (:func:`hemlab.data.glyphs.make_glyphs`, default nuisances) at the reference's size, the
  grey image repeated over its channels: unknown classes close to the digits (near-OOD),
  for any square reference of side 8..64;
- ``colour_letters``: the same letters drawn like the ``colour_glyphs`` digits
  (:func:`hemlab.data.colour_glyphs.make_colour_glyphs`, default settings), for a
  3-channel square reference (their grey mean for a 1-channel one): near-OOD for the
  colour glyphs.

Targets are all ``UNKNOWN_LABEL`` (-1, from :mod:`hemlab.sentinels`), which is no class of
the reference set.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import Dataset, TensorDataset

from hemlab.data.colour_glyphs import make_colour_glyphs
from hemlab.data.core import dataset_tensors
from hemlab.data.glyphs import GLYPH_LETTERS, IMAGE_SIZES, make_glyphs
from hemlab.sentinels import UNKNOWN_LABEL

FAR_OOD_KINDS: tuple[str, ...] = ("uniform_noise", "gaussian_blobs", "permuted_pixels", "letters", "colour_letters")


def _gaussian_blobs(n_samples: int, shape: tuple[int, int, int], generator: torch.Generator) -> Tensor:
    channels, height, width = shape
    n_blobs = 6
    rows = torch.arange(height, dtype=torch.float32).view(1, 1, height, 1) + 0.5
    columns = torch.arange(width, dtype=torch.float32).view(1, 1, 1, width) + 0.5
    centre_row = torch.rand(n_samples, n_blobs, 1, 1, generator=generator) * height
    centre_column = torch.rand(n_samples, n_blobs, 1, 1, generator=generator) * width
    spread = (0.05 + 0.2 * torch.rand(n_samples, n_blobs, 1, 1, generator=generator)) * height
    amplitude = 0.3 + 0.7 * torch.rand(n_samples, n_blobs, channels, generator=generator)
    present = torch.arange(n_blobs).view(1, n_blobs) < torch.randint(2, n_blobs + 1, (n_samples, 1), generator=generator)
    bumps = torch.exp(-((rows - centre_row).square() + (columns - centre_column).square()) / (2 * spread.square()))
    images = torch.einsum("nkhw,nkc->nchw", bumps * present.view(n_samples, n_blobs, 1, 1), amplitude)
    return images.clamp_(0.0, 1.0)


def _square_side(kind: str, shape: tuple[int, int, int]) -> int:
    """The side of ``shape``'s square images, which the glyph renderer can draw (8..64)."""
    _, height, width = shape
    if height != width or not IMAGE_SIZES[0] <= height <= IMAGE_SIZES[1]:
        raise ValueError(f"reference: {kind} need square images of side {IMAGE_SIZES[0]}..{IMAGE_SIZES[1]}, "
                         f"got {height}x{width}")
    return height


def _letters(n_samples: int, shape: tuple[int, int, int], seed: int) -> Tensor:
    side = _square_side("letters", shape)
    images = make_glyphs(n_samples, characters=GLYPH_LETTERS, image_size=side, seed=seed).tensors[0]
    return images.expand(n_samples, shape[0], side, side)


def _colour_letters(n_samples: int, shape: tuple[int, int, int], seed: int) -> Tensor:
    side = _square_side("colour_letters", shape)
    if shape[0] not in (1, 3):
        raise ValueError(f"reference: colour_letters need 3-channel (or 1-channel) images, got {shape[0]} channels")
    images = make_colour_glyphs(n_samples, characters=GLYPH_LETTERS, image_size=side, seed=seed).tensors[0]
    return images if shape[0] == 3 else images.mean(dim=1, keepdim=True)


def make_far_ood(kind: str, reference: Dataset | Tensor, n_samples: int | None = None, *, seed: int = 0) -> TensorDataset:
    """``n_samples`` far-OOD images of ``kind`` shaped like ``reference``'s images ``(C, H, W)``.

    ``reference`` is an image dataset or an image tensor ``(N, C, H, W)``; ``n_samples``
    defaults to its size (for ``permuted_pixels`` it can be at most that size: the first
    ``n_samples`` reference images are permuted). Returns images ``(n, C, H, W)`` float32
    in [0, 1] and targets ``(n,)`` equal to ``UNKNOWN_LABEL``.
    """
    if kind not in FAR_OOD_KINDS:
        raise ValueError(f"kind: expected one of {', '.join(FAR_OOD_KINDS)}, got {kind!r}")
    images = reference if isinstance(reference, Tensor) else dataset_tensors(reference)[0]
    if images.ndim != 4:
        raise ValueError(f"reference: expected images (N, C, H, W), got shape {tuple(images.shape)}")
    count = len(images) if n_samples is None else n_samples
    if count < 1:
        raise ValueError(f"n_samples: expected a positive count, got {n_samples!r}")
    generator = torch.Generator().manual_seed(seed)
    shape = tuple(images.shape[1:])
    if kind == "uniform_noise":
        result = torch.rand((count, *shape), generator=generator)
    elif kind == "gaussian_blobs":
        result = _gaussian_blobs(count, shape, generator)
    elif kind == "letters":
        result = _letters(count, shape, seed)
    elif kind == "colour_letters":
        result = _colour_letters(count, shape, seed)
    else:
        if count > len(images):
            raise ValueError(f"n_samples: permuted_pixels can permute at most {len(images)} reference images, got {count}")
        flat = images[:count].detach().cpu().float().flatten(2)
        order = torch.argsort(torch.rand(count, flat.shape[2], generator=generator), dim=1)
        result = torch.gather(flat, 2, order.unsqueeze(1).expand_as(flat)).view(count, *shape)
    return TensorDataset(result.contiguous(), torch.full((count,), UNKNOWN_LABEL, dtype=torch.long))
