"""Your own data for the tests: a plug-in module registering a dataset and a model, and image
folders of PNG files written on the spot (classification trees and segmentation masks)."""
from __future__ import annotations

import contextlib
import importlib
import sys
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image

PLUGIN_SOURCE = '''"""A plug-in: dataset ``{dataset}`` (stripes: class k lights a band of columns) and model ``{model}``."""
import torch
from torch import nn

from hemlab.data import register_dataset
from hemlab.models import register_model

__version__ = "1.0"


@register_dataset("{dataset}", num_classes=6, in_channels=1, image_size=12,
                  description="stripes: class k lights columns 2k and 2k+1")
def load_stripes(*, seed: int = 0, n_train: int = 600, n_test: int = 300):
    generator = torch.Generator().manual_seed(seed)

    def make(count):
        labels = torch.arange(count) % 6
        images = torch.rand(count, 1, 12, 12, generator=generator) * 0.4
        for label in range(6):
            images[labels == label, :, :, 2 * label:2 * label + 2] += 0.6
        return images.clamp(0, 1), labels{labels_change}

    return make(n_train), make(n_test)


@register_model("{model}", description="a conv layer, pooled to 4x4, and a linear head")
def build_net(num_classes, in_channels=1, width: int = 8):
    return nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
                         nn.Flatten(), nn.Linear(width * 16, num_classes))
'''
TINY = ["--set", "train.epochs=1", "--set", "imbalance_ratios=100", "--set", "far_ood=uniform_noise",
        "--set", "corruptions=", "--set", "severities=1"]
"""Settings that make a run on the plug-in's data or a small folder take about a second."""


def plugin_source(dataset: str = "mydata", model: str = "mynet", labels_change: str = "") -> str:
    """The plug-in module's text; ``labels_change`` (e.g. ``" + 6"``) breaks its labels."""
    return PLUGIN_SOURCE.format(dataset=dataset, model=model, labels_change=labels_change)


def import_written(folder: Path, module: str, source: str, monkeypatch) -> None:
    """Write ``source`` to ``<folder>/<module>.py`` and import it afresh, with ``folder`` on
    this process's ``sys.path`` only (until ``monkeypatch`` undoes it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, module, raising=False)
    importlib.import_module(module)


@contextlib.contextmanager
def imported_data_plugin(folder: Path, module: str, dataset: str, model: str, monkeypatch) -> Iterator[None]:
    """Write ``<folder>/<module>.py`` registering ``dataset`` and ``model`` and import it, with
    ``folder`` on this process's ``sys.path`` only (a worker must take it from the job);
    both are unregistered after."""
    from hemlab.data import DATASETS
    from hemlab.models import MODELS

    import_written(folder, module, plugin_source(dataset, model), monkeypatch)
    try:
        yield
    finally:
        DATASETS.remove(dataset)
        MODELS.remove(model)


def _image(label: int, index: int, size: int, rgb: bool) -> Image.Image:
    """Noise with a bright band of columns at ``label``'s place: learnable in one epoch."""
    rng = np.random.default_rng(1000 * label + index)
    pixels = rng.integers(0, 70, (size, size), dtype=np.uint8)
    width = max(1, size // 6)
    pixels[:, label * width:(label + 1) * width] = 230
    if rgb:
        return Image.fromarray(np.stack([pixels, pixels[::-1], pixels.T], axis=-1))
    return Image.fromarray(pixels)


def write_class_folder(root: Path, classes: int = 5, per_class: int = 12, *, split: bool = False, size: int = 20,
                       rgb: bool = False) -> Path:
    """PNG files ``root/<class_k>/<i>.png`` (or under ``train/`` and ``test/`` with ``split``)."""
    parts = {"train": per_class, "test": max(2, per_class // 3)} if split else {"": per_class}
    for part, count in parts.items():
        for label in range(classes):
            folder = root / part / f"class_{label}"
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                _image(label, index + (0 if part != "test" else 500), size, rgb).save(folder / f"{index}.png")
    return root


def write_mask_folder(root: Path, count: int = 10, size: int = 16, ignore_label: int = 255) -> Path:
    """``root/images/<i>.png`` (RGB) and ``root/masks/<i>.png``: a square of class 1 or 2 on
    background 0, with a border of ``ignore_label``."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        mask = np.zeros((size, size), np.uint8)
        top, left = rng.integers(2, size // 2, 2)
        mask[top:top + size // 3, left:left + size // 3] = 1 + index % 2
        mask[0, :] = mask[-1, :] = ignore_label
        image = rng.integers(0, 40, (size, size, 3), dtype=np.uint8)
        image[mask == 1] = (220, 30, 30)
        image[mask == 2] = (30, 30, 220)
        Image.fromarray(image).save(root / "images" / f"{index}.png")
        Image.fromarray(mask).save(root / "masks" / f"{index}.png")
    return root
