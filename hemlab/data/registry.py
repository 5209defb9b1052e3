"""Load any hemlab dataset by name, and a small record of what each one is.

``load_dataset(name, seed=0, **options)`` returns ``(train, test)``. Embedded sets (no
download): ``digits``, ``shapes``, ``glyphs``, ``colour_glyphs``, ``blobs``, ``moons``, ``spirals``;
torchvision-backed (paper mode, downloaded on first use): ``mnist``, ``fashion_mnist``,
``cifar10``, ``cifar100``, ``svhn``, ``voc``. Each record's ``builder`` is the loader; its signature
holds the options and their defaults (:func:`dataset_defaults`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from torch.utils.data import TensorDataset

from hemlab.data.colour_glyphs import load_colour_glyphs
from hemlab.data.digits import load_digits
from hemlab.data.downloads import load_torchvision_dataset
from hemlab.data.glyphs import load_glyphs
from hemlab.data.shapes import load_shapes
from hemlab.data.toy2d import load_toy2d
from hemlab.registry import Record, Registry, builder_options
from hemlab.sentinels import IGNORE_INDEX


@dataclass(frozen=True)
class DatasetInfo(Record):
    """What a named dataset is; ``builder(seed=..., **options)`` returns ``(train, test)``.

    ``kind`` is ``"image"`` (classification, ``(N, C, H, W)``), ``"segmentation"``
    (targets ``(N, H, W)``; pixels equal to ``ignore_index`` are not scored) or ``"points"``
    (2-D inputs ``(N, 2)``). ``in_channels`` is ``C`` (2 coordinates for points) and
    ``image_size`` the side of the square images (``None`` for points); ``embedded`` sets
    need no download. ``mirror_invariant``: a left-right mirror image is still of the same
    class (natural images, shapes), so training augmentation may flip it (not digits or glyphs).
    """

    kind: str
    num_classes: int
    in_channels: int
    image_size: int | None
    embedded: bool
    ignore_index: int | None = None
    mirror_invariant: bool = True

    supplied: ClassVar[tuple[str, ...]] = ("seed",)


def _torchvision(name: str, description: str, num_classes: int, in_channels: int, image_size: int,
                 mirror_invariant: bool = True) -> DatasetInfo:
    """A torchvision classification set; its images keep their size, so ``image_size`` is no option."""

    def load(*, root: str | Path | None = None, timeout: float = 3.0) -> tuple[TensorDataset, TensorDataset]:
        return load_torchvision_dataset(name, root=root, timeout=timeout)

    return DatasetInfo(name, description, load, "image", num_classes, in_channels, image_size, embedded=False,
                       mirror_invariant=mirror_invariant)


def _toy2d(name: str, description: str, num_classes: int) -> DatasetInfo:
    builder = partial(load_toy2d, name, num_classes=num_classes)
    return DatasetInfo(name, description, builder, "points", num_classes, 2, None, embedded=True)


DATASETS: Registry[DatasetInfo] = Registry("dataset", (
    DatasetInfo("digits", "scikit-learn's 8x8 handwritten digits, 1797 images.", load_digits,
                "image", 10, 1, 8, embedded=True, mirror_invariant=False),
    DatasetInfo("shapes", "Synthetic segmentation: coloured shapes on textured backgrounds, borders ignored.",
                load_shapes, "segmentation", 4, 3, 32, embedded=True, ignore_index=IGNORE_INDEX),
    DatasetInfo("glyphs", "Generated digits 0-9 in matplotlib's 22 fonts with random nuisances; 16000 train, "
                "5000 test, 16x16 grey.", load_glyphs, "image", 10, 1, 16, embedded=True, mirror_invariant=False),
    DatasetInfo("colour_glyphs", "Generated glyph digits in colour over textured colour backgrounds; 10000 train, "
                "5000 test, 32x32 RGB (the colab preset).", load_colour_glyphs, "image", 10, 3, 32, embedded=True,
                mirror_invariant=False),
    _toy2d("blobs", "2-D Gaussian clusters.", 3),
    _toy2d("moons", "Two interleaved 2-D half circles.", 2),
    _toy2d("spirals", "Interleaved 2-D spiral arms.", 3),
    _torchvision("mnist", "Handwritten digits, 28x28 grey.", 10, 1, 28, mirror_invariant=False),
    _torchvision("fashion_mnist", "Zalando clothing images, 28x28 grey.", 10, 1, 28),
    _torchvision("cifar10", "CIFAR-10, 32x32 colour, 10 classes.", 10, 3, 32),
    _torchvision("cifar100", "CIFAR-100, 32x32 colour, 100 classes.", 100, 3, 32),
    _torchvision("svhn", "Street View house numbers, 32x32 colour.", 10, 3, 32, mirror_invariant=False),
    DatasetInfo("voc", "Pascal VOC 2012 segmentation, resized to squares (128 by default).",
                partial(load_torchvision_dataset, "voc"), "segmentation", 21, 3, 128, embedded=False,
                ignore_index=IGNORE_INDEX),
))


def available_datasets() -> list[str]:
    """Names accepted by ``load_dataset``."""
    return list(DATASETS)


def dataset_defaults(name: str) -> dict[str, Any]:
    """``{option: default}`` of dataset ``name``, read from its loader's signature."""
    return DATASETS.defaults(name)


def load_dataset(name: str, *, seed: int = 0, **options: Any) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` datasets for ``name`` (see ``DATASETS``).

    ``options`` go to the record's loader and are checked against its signature first
    (``dataset_defaults(name)`` lists them): ``load_digits(test_fraction)``,
    ``load_glyphs(n_train, n_test, image_size, rotation, shift, scale, blur, distractors, noise)``,
    ``load_colour_glyphs(...)`` (the same, with ``texture`` and ``contrast``),
    ``load_shapes(n_images, image_size, num_classes, max_objects, ignore_border)``,
    ``load_toy2d(n_samples, num_classes, noise)`` or ``load_torchvision_dataset(root,
    image_size, timeout)``. ``seed`` draws the generated sets (shapes draws its test
    set with ``seed + 1``, glyphs with a second seed derived from ``seed``) and the digits
    split; the torchvision sets have fixed splits and ignore it.
    An unknown name or option raises ``ValueError``; errors inside a loader are its own.
    """
    info = DATASETS.check(name, options)
    if "seed" in builder_options(info.builder):
        options["seed"] = seed
    return info.builder(**options)
