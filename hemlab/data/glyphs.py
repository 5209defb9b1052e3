"""Generated glyph digits: the digits 0-9 in the fonts matplotlib ships, under random nuisances.

A small, offline, procedurally generated image set in the spirit of MNIST-1D (Greydanus
2020): hard enough that a small MLP does not saturate, large enough that the test set's own
noise is smaller than the effects being measured, and generated in a second or two.

Each character of each font in :data:`GLYPH_FONTS` (22 fonts of matplotlib's
``mpl-data/fonts/ttf``: DejaVu Sans / Sans Mono / Serif, STIX General, Computer Modern) is
rendered once by FreeType at high resolution, cropped to its ink, scaled so its longer side
fills ``GLYPH_FILL`` of a square canvas ``SUPERSAMPLING`` times the image side, and centred
(:func:`glyph_bank`, cached per process and size). An image of class ``k`` then takes a
random font's glyph ``k`` through these steps, each drawn independently per image:

1. affine map: rotation ``a ~ U(-rotation, rotation)`` degrees, size factor
   ``s ~ U(1 - scale, 1 + scale)``, shift ``(dx, dy) ~ U(-shift, shift)^2`` (fractions of
   the image side), sampled bilinearly (``grid_sample``) at ``SUPERSAMPLING`` times the
   output size and box-filtered down (anti-aliased);
2. distractor strokes: ``Poisson(distractors)`` (at most ``MAX_DISTRACTORS``) straight
   strokes of random position, direction, length (15-35 % of the side), width (5-10 % of
   the side) and brightness (0.5-1), anti-aliased, combined with the glyph by a pixel-wise
   maximum;
3. stroke blur: a Gaussian of standard deviation ``U(0, blur)`` output pixels;
4. pixel noise: ``x + sigma * N(0, 1)`` with ``sigma ~ U(0, noise)``, clipped to [0, 1].

Images are white ink on black, ``(N, 1, H, W)`` float32 in [0, 1]; targets are int64
indices into ``characters``. Letters (:data:`GLYPH_LETTERS`) render the same way and serve
as a near-OOD set (``hemlab.data.make_far_ood("letters", ...)``).
"""
from __future__ import annotations

import functools
import math
from collections import OrderedDict
from numbers import Integral, Real
from pathlib import Path

import matplotlib
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib import font_manager
from matplotlib.ft2font import LoadFlags
from torch import Tensor
from torch.utils.data import TensorDataset

from hemlab.checks import POSITIVE_INTEGER, Interval, check

DIGITS = "0123456789"
GLYPH_LETTERS = "ACEFHKMNPRUVWXY"
"""Upper-case letters for the near-OOD set. Left out as confusable with a digit in some font
or under rotation: B (8), D, O, Q (0), G (6), I, J, L, T (1, 7), S (5), Z (2)."""

GLYPH_FONTS: tuple[str, ...] = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmti10.ttf", "cmtt10.ttf", "cmmi10.ttf",
)
"""Font files of ``matplotlib.get_data_path()/fonts/ttf`` with ordinary digits and letters:
DejaVu (Bitstream Vera licence, DejaVu changes public domain), STIX (SIL Open Font
Licence 1.1) and the BaKoMa Computer Modern fonts (BaKoMa licence); their licences ship
with matplotlib."""

SUPERSAMPLING = 2
GLYPH_FILL = 0.7
MAX_DISTRACTORS = 4
IMAGE_SIZES = (8, 64)
CACHE_BYTES = 384 * 2**20
"""Images :func:`make_glyphs` keeps per process, least recently used dropped first: a sweep's
runs in one worker share their draws (10 seeds of 16000 + 5000 16x16 images take 215 MB)."""
_CHUNK = 2048
_DRAWS: OrderedDict[tuple, tuple[Tensor, Tensor]] = OrderedDict()


def font_path(name: str) -> Path:
    """The path of font file ``name`` in matplotlib's own data folder (no system fonts)."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if not path.is_file():
        raise FileNotFoundError(f"font: {name} is not in matplotlib's fonts folder {path.parent}")
    return path


def _render(font_file: Path, character: str, resolution: int) -> Tensor:
    """``character`` in ``font_file``: ink cropped, longer side ``GLYPH_FILL * resolution``,
    centred on a ``(resolution, resolution)`` float32 canvas in [0, 1]."""
    font = font_manager.get_font(font_file)
    if font.get_char_index(ord(character)) == 0:
        raise ValueError(f"characters: {character!r} is not in font {font_file.name}")
    font.set_size(3 * resolution, 72)
    font.set_text(character, 0.0, flags=LoadFlags.NO_HINTING)
    font.draw_glyphs_to_bitmap(antialiased=True)
    ink = torch.from_numpy(np.asarray(font.get_image(), dtype=np.float32) / 255.0)
    rows, columns = ink.sum(1).nonzero().squeeze(1), ink.sum(0).nonzero().squeeze(1)
    if len(rows) == 0:
        raise ValueError(f"characters: {character!r} renders empty in font {font_file.name}")
    ink = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    factor = GLYPH_FILL * resolution / max(ink.shape)
    height, width = (max(1, round(side * factor)) for side in ink.shape)
    small = F.interpolate(ink[None, None], size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    canvas = torch.zeros(resolution, resolution)
    top, left = (resolution - height) // 2, (resolution - width) // 2
    canvas[top:top + height, left:left + width] = small[0, 0].clamp(0.0, 1.0)
    return canvas


@functools.lru_cache(maxsize=8)
def glyph_bank(characters: str = DIGITS, resolution: int = 32) -> Tensor:
    """Every character of ``characters`` in every font of :data:`GLYPH_FONTS`, rendered once.

    Returns ``(F, K, R, R)`` float32 in [0, 1] (``F`` fonts, ``K`` characters, ``R =
    resolution``), cached per process; treat it as read-only.
    """
    return torch.stack([torch.stack([_render(font_path(name), character, resolution) for character in characters])
                        for name in GLYPH_FONTS])


SEED = Interval(Integral, 0, None)
"""A seed: an integer >= 0."""


def amount(high: float, noun: str) -> Interval:
    """A real number in ``[0, high]``, ``noun`` naming what it measures (``"noise std"``)."""
    return Interval(Real, 0, high, closed="both", noun=noun)


def _check_characters(characters: object) -> str:
    if not isinstance(characters, str) or not characters or len(set(characters)) != len(characters):
        raise ValueError(f"characters: expected a non-empty string of distinct characters, got {characters!r}")
    return characters


def _pixel_grid(side: int) -> Tensor:
    """Centres of a ``side x side`` pixel grid in normalised ``(x, y)`` coordinates, ``(S, S, 2)``,
    as ``F.affine_grid(..., align_corners=False)`` places them: ``-1 + (2 i + 1) / side``."""
    axis = (torch.arange(side, dtype=torch.float32) * 2 + 1) / side - 1
    grid_y, grid_x = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([grid_x, grid_y], -1)


def _sampling_grid(pixels: Tensor, angle: Tensor, size: Tensor, shift: Tensor) -> Tensor:
    """``grid_sample`` coordinates ``(N, S, S, 2)`` at which output ``pixels`` ``(S, S, 2)`` read a
    glyph rotated by ``angle`` (radians), scaled by ``size`` and moved by ``shift`` ``(N, 2)``
    (normalised coordinates): ``p_in = R(-angle) (p_out - shift) / size``, what ``F.affine_grid``
    gives for the same matrix, without its ``(N, S * S, 3)`` intermediate."""
    cos, sin = torch.cos(angle) / size, torch.sin(angle) / size
    linear = torch.stack([torch.stack([cos, sin], 1), torch.stack([-sin, cos], 1)], 1)
    offset = -(linear @ shift.unsqueeze(2)).squeeze(2)
    return torch.einsum("hwk,njk->nhwj", pixels, linear) + offset.view(-1, 1, 1, 2)


def _stroke(grid: Tensor, start: Tensor, end: Tensor, half_width: Tensor, brightness: Tensor, pixel: float) -> Tensor:
    """One anti-aliased straight stroke per image on ``grid`` ``(S, S, 2)`` (normalised x, y):
    ``(n, 1, S, S)`` for ``start``/``end`` ``(n, 2)``, ``half_width`` and ``brightness`` ``(n,)``;
    coverage is the distance to the segment inside ``half_width``, with a ramp ``pixel`` wide."""
    points = grid.view(1, -1, 2)
    direction = (end - start).unsqueeze(1)
    along = ((points - start.unsqueeze(1)) * direction).sum(-1) / direction.square().sum(-1).clamp(min=1e-12)
    nearest = start.unsqueeze(1) + along.clamp(0.0, 1.0).unsqueeze(-1) * direction
    distance = (points - nearest).norm(dim=-1)
    coverage = ((half_width.unsqueeze(1) - distance) / pixel + 0.5).clamp(0.0, 1.0)
    side = grid.shape[0]
    return (coverage * brightness.unsqueeze(1)).view(-1, 1, side, side)


def _gaussian_blur(images: Tensor, sigma: Tensor, max_sigma: float) -> Tensor:
    """``images`` ``(N, 1, H, W)`` blurred per image by a Gaussian of std ``sigma`` ``(N,)`` pixels
    (separable depthwise convolution, zero padding; ``sigma`` near 0 leaves the image as is)."""
    radius = max(1, math.ceil(3 * max_sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    weights = torch.exp(-offsets.square() / (2 * sigma.clamp(min=1e-3).square().unsqueeze(1)))
    weights = weights / weights.sum(1, keepdim=True)
    count, _, height, width = images.shape
    flat = images.view(1, count, height, width)
    flat = F.conv2d(flat, weights.view(count, 1, 1, -1), padding=(0, radius), groups=count)
    flat = F.conv2d(flat, weights.view(count, 1, -1, 1), padding=(radius, 0), groups=count)
    return flat.view(count, 1, height, width)


def make_glyphs(
    n_images: int,
    *,
    characters: str = DIGITS,
    image_size: int = 16,
    rotation: float = 30.0,
    shift: float = 0.12,
    scale: float = 0.2,
    blur: float = 0.8,
    distractors: float = 1.0,
    noise: float = 0.3,
    seed: int = 0,
) -> TensorDataset:
    """``n_images`` glyph images of ``characters`` drawn from ``seed`` (see the module docstring).

    Classes are balanced: ``n_images // K`` per character (``K = len(characters)``), the
    remainder going to the first characters, in a random order. Options:

    - ``image_size``: side ``S`` of the square images, 8..64 pixels (16 by default; 28 as MNIST);
    - ``rotation``: largest rotation, degrees in [0, 180];
    - ``shift``: largest shift per axis, a fraction of the side in [0, 0.5];
    - ``scale``: size factor ``U(1 - scale, 1 + scale)``, ``scale`` in [0, 0.9];
    - ``blur``: largest Gaussian stroke blur, std in output pixels in [0, 5];
    - ``distractors``: mean number of distractor strokes per image (Poisson), in [0, 4];
    - ``noise``: largest std of the additive pixel noise, in [0, 1].

    Returns a ``TensorDataset`` of images ``(n_images, 1, S, S)`` float32 in [0, 1] and targets
    ``(n_images,)`` int64 in ``0..K-1``. The same arguments give the same images; recent
    draws are cached within the process (up to ``CACHE_BYTES``), and each call returns its own copy.
    """
    n_images = check("n_images", n_images, POSITIVE_INTEGER)
    characters = _check_characters(characters)
    image_size = check("image_size", image_size, Interval(Integral, *IMAGE_SIZES, closed="both"))
    rotation = check("rotation", rotation, amount(180, "angle in degrees"))
    shift = check("shift", shift, amount(0.5, "fraction of the image side"))
    scale = check("scale", scale, amount(0.9, "relative size change"))
    blur = check("blur", blur, amount(5, "Gaussian std in pixels"))
    distractors = check("distractors", distractors, amount(MAX_DISTRACTORS, "mean count"))
    noise = check("noise", noise, amount(1, "noise std"))
    seed = check("seed", seed, SEED)
    key = (n_images, characters, image_size, rotation, shift, scale, blur, distractors, noise, seed)
    if key in _DRAWS:
        _DRAWS.move_to_end(key)
    else:
        _DRAWS[key] = _draw_glyphs(*key)
        while len(_DRAWS) > 1 and sum(images.nbytes for images, _ in _DRAWS.values()) > CACHE_BYTES:
            _DRAWS.popitem(last=False)
    images, targets = _DRAWS[key]
    return TensorDataset(images.clone(), targets.clone())


def _draw_glyphs(n_images: int, characters: str, image_size: int, rotation: float, shift: float, scale: float,
                 blur: float, distractors: float, noise: float, seed: int) -> tuple[Tensor, Tensor]:
    """:func:`make_glyphs`'s images and targets for checked arguments."""
    bank = glyph_bank(characters, SUPERSAMPLING * image_size)
    n_fonts, n_classes = bank.shape[:2]
    generator = torch.Generator().manual_seed(seed)

    def uniform(low: float, high: float, *shape: int) -> Tensor:
        return low + (high - low) * torch.rand(shape, generator=generator)

    targets = (torch.arange(n_images) % n_classes)[torch.randperm(n_images, generator=generator)]
    fonts = torch.randint(n_fonts, (n_images,), generator=generator)
    angles = uniform(-math.radians(rotation), math.radians(rotation), n_images)
    sizes = uniform(1.0 - scale, 1.0 + scale, n_images)
    shifts = uniform(-2 * shift, 2 * shift, n_images, 2)
    stroke_count = torch.poisson(torch.full((n_images,), distractors), generator=generator).clamp(max=MAX_DISTRACTORS)
    centres = uniform(-0.8, 0.8, n_images, MAX_DISTRACTORS, 2)
    directions = uniform(0.0, math.pi, n_images, MAX_DISTRACTORS)
    half_lengths = uniform(0.15, 0.35, n_images, MAX_DISTRACTORS)
    half_widths = uniform(0.05, 0.1, n_images, MAX_DISTRACTORS)
    brightness = uniform(0.5, 1.0, n_images, MAX_DISTRACTORS)
    brightness *= torch.arange(MAX_DISTRACTORS) < stroke_count.unsqueeze(1)
    sigmas = uniform(0.0, blur, n_images)
    noise_levels = uniform(0.0, noise, n_images)
    pixel_noise = torch.randn((n_images, 1, image_size, image_size), generator=generator)

    fine_pixels = _pixel_grid(SUPERSAMPLING * image_size)
    images = torch.empty(n_images, 1, image_size, image_size)
    for begin in range(0, n_images, _CHUNK):
        part = slice(begin, begin + _CHUNK)
        glyphs = bank[fonts[part], targets[part]].unsqueeze(1)
        sampled = F.grid_sample(glyphs, _sampling_grid(fine_pixels, angles[part], sizes[part], shifts[part]),
                                mode="bilinear", padding_mode="zeros", align_corners=False)
        images[part] = F.avg_pool2d(sampled, SUPERSAMPLING)
    pixels = _pixel_grid(image_size)
    step = torch.stack([torch.cos(directions), torch.sin(directions)], -1) * half_lengths.unsqueeze(-1)
    for stroke in range(MAX_DISTRACTORS):
        chosen = (brightness[:, stroke] > 0).nonzero().squeeze(1)
        if len(chosen):
            lines = _stroke(pixels, centres[chosen, stroke] - step[chosen, stroke],
                            centres[chosen, stroke] + step[chosen, stroke], half_widths[chosen, stroke],
                            brightness[chosen, stroke], 2 / image_size)
            images[chosen] = torch.maximum(images[chosen], lines)
    if blur > 0:
        images = _gaussian_blur(images, sigmas, blur)
    images = (images + noise_levels.view(-1, 1, 1, 1) * pixel_noise).clamp_(0.0, 1.0)
    return images.contiguous(), targets


def split_seeds(seed: int) -> tuple[int, int]:
    """Two independent 63-bit seeds ``(train, test)`` derived from ``seed`` (numpy's
    ``SeedSequence``), so no seed's test set is another seed's training set."""
    seed = check("seed", seed, SEED)
    words = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)
    return int(words[0] >> np.uint64(1)), int(words[1] >> np.uint64(1))


def load_glyphs(
    n_train: int = 16000,
    n_test: int = 5000,
    image_size: int = 16,
    rotation: float = 30.0,
    shift: float = 0.12,
    scale: float = 0.2,
    blur: float = 0.8,
    distractors: float = 1.0,
    noise: float = 0.3,
    *,
    seed: int = 0,
) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` glyph digits 0-9: ``n_train`` and ``n_test`` class-balanced images
    drawn independently from two seeds derived from ``seed`` (:func:`split_seeds`).

    The nuisance options are :func:`make_glyphs`'s. The test set depends on ``seed``,
    ``n_test`` and the nuisances only, never on ``n_train``.
    """
    n_train = check("n_train", n_train, POSITIVE_INTEGER)
    n_test = check("n_test", n_test, POSITIVE_INTEGER)
    options = dict(image_size=image_size, rotation=rotation, shift=shift, scale=scale, blur=blur,
                   distractors=distractors, noise=noise)
    train_seed, test_seed = split_seeds(seed)
    return make_glyphs(n_train, seed=train_seed, **options), make_glyphs(n_test, seed=test_seed, **options)
