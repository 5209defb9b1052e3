"""Load any hemlab dataset by name, and a small record of what each one is.

``load_dataset(name, **options)`` returns ``(train, test)``. Embedded sets (no download):
``digits``, ``shapes``, ``blobs``, ``moons``, ``spirals``; torchvision-backed (paper mode,
downloaded on first use): ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``,
``svhn``, ``voc``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch.utils.data import TensorDataset

from hemlab.data.digits import load_digits
from hemlab.data.downloads import load_torchvision_dataset
from hemlab.data.shapes import IGNORE_INDEX, make_shapes
from hemlab.data.toy2d import make_toy2d


@dataclass(frozen=True)
class DatasetInfo:
    """What a named dataset is, with its default options.

    ``kind`` is ``"image"`` (classification, ``(N, C, H, W)``), ``"segmentation"``
    (targets ``(N, H, W)`` with ``ignore_index``) or ``"points"`` (2-D inputs ``(N, 2)``).
    """

    name: str
    kind: str
    num_classes: int
    in_channels: int
    image_size: int | None
    embedded: bool
    ignore_index: int | None = None


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("digits", "image", 10, 1, 8, True),
        DatasetInfo("shapes", "segmentation", 4, 3, 32, True, IGNORE_INDEX),
        DatasetInfo("blobs", "points", 3, 2, None, True),
        DatasetInfo("moons", "points", 2, 2, None, True),
        DatasetInfo("spirals", "points", 3, 2, None, True),
        DatasetInfo("mnist", "image", 10, 1, 28, False),
        DatasetInfo("fashion_mnist", "image", 10, 1, 28, False),
        DatasetInfo("cifar10", "image", 10, 3, 32, False),
        DatasetInfo("cifar100", "image", 100, 3, 32, False),
        DatasetInfo("svhn", "image", 10, 3, 32, False),
        DatasetInfo("voc", "segmentation", 21, 3, 128, False, 255),
    )
}


def available_datasets() -> list[str]:
    """Names accepted by ``load_dataset``."""
    return list(DATASETS)


def load_dataset(name: str, *, seed: int = 0, **options: Any) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` datasets for ``name`` (see ``DATASETS``).

    ``options`` go to the underlying loader: ``load_digits(test_fraction)``,
    ``make_shapes(n_images, image_size, num_classes, max_objects, ignore_border)`` (test set:
    a quarter as many images, at least 16), ``make_toy2d(n_samples, num_classes, noise)`` or
    ``load_torchvision_dataset(root, image_size, timeout)``. Generated test sets use
    ``seed + 1``, so they never repeat the training samples.
    """
    if name not in DATASETS:
        raise ValueError(f"name: unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    try:
        if name == "digits":
            return load_digits(seed=seed, **options)
        if name == "shapes":
            n_images = options.pop("n_images", 256)
            return (make_shapes(n_images, seed=seed, **options),
                    make_shapes(max(16, n_images // 4), seed=seed + 1, **options))
        if DATASETS[name].kind == "points":
            return make_toy2d(name, seed=seed, **options), make_toy2d(name, seed=seed + 1, **options)
    except TypeError as error:
        raise ValueError(f"options: {error}") from error
    return load_torchvision_dataset(name, **options)
