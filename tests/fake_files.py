"""Tiny fake datasets written in the exact on-disk layouts torchvision's readers expect.

Each writer puts what ``torchvision.datasets`` reads for one dataset under ``root`` (what
``$HEMLAB_DATA`` points at), with pixel values and labels that a test can predict:

- ``write_cifar``: ``cifar-10-batches-py/`` (``data_batch_1..5``, ``test_batch``,
  ``batches.meta``) or ``cifar-100-python/`` (``train``, ``test``, ``meta``): pickled dicts
  with ``data`` ``(N, 3072)`` uint8 (channel planes, rows) and ``labels`` / ``fine_labels``;
- ``write_svhn``: ``train_32x32.mat`` and ``test_32x32.mat`` (MATLAB 5, via scipy) with
  ``X`` ``(32, 32, 3, N)`` uint8 and ``y`` ``(N, 1)`` in 1..10, where 10 stands for the digit 0;
- ``write_mnist``: ``MNIST/raw/`` (or ``FashionMNIST/raw/``) idx files
  (``train-images-idx3-ubyte`` ...: big-endian magic 2051 / 2049, sizes, then uint8 data);
- ``write_voc``: ``VOCdevkit/VOC2012/`` with ``JPEGImages/*.jpg``, palette PNG masks in
  ``SegmentationClass/`` (classes 0..20, 255 on object borders) and
  ``ImageSets/Segmentation/{train,val}.txt``.

The real files carry MD5 sums that torchvision checks for CIFAR and SVHN; these cannot
match, so :func:`skip_checksums` is the only patch the tests apply (``check_integrity``
then asks only that the file exists).
"""
from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CIFAR_PER_CLASS = {"train": 10, "test": 5}
"""Images per class of the fake CIFAR-10 (train split over five batches of 20)."""


def pixel_pattern(index: int, channels: int, height: int, width: int) -> np.ndarray:
    """The uint8 image ``(C, H, W)`` written at position ``index``: a ramp a reader's transpose
    or channel mix-up would change (value ``(7 i + 31 c + 3 h + w) mod 256``)."""
    c, h, w = np.meshgrid(np.arange(channels), np.arange(height), np.arange(width), indexing="ij")
    return ((7 * index + 31 * c + 3 * h + w) % 256).astype(np.uint8)


def cifar_labels(split: str, num_classes: int) -> np.ndarray:
    """The labels of the fake CIFAR ``split``: every class ``CIFAR_PER_CLASS[split]`` times, cycling."""
    return np.arange(num_classes * CIFAR_PER_CLASS[split]) % num_classes


def _pickle(path: Path, record: dict) -> None:
    with open(path, "wb") as handle:
        pickle.dump(record, handle)


def write_cifar(root: Path, num_classes: int = 10) -> None:
    """Fake CIFAR-10 (``num_classes=10``) or CIFAR-100 (``100``) python batches under ``root``."""
    def batch(labels: np.ndarray, offset: int, key: str) -> dict:
        images = np.stack([pixel_pattern(offset + i, 3, 32, 32).reshape(-1) for i in range(len(labels))])
        return {"data": images, key: labels.tolist(), "filenames": [f"{offset + i}.png" for i in range(len(labels))]}

    train, test = cifar_labels("train", num_classes), cifar_labels("test", num_classes)
    if num_classes == 10:
        folder = root / "cifar-10-batches-py"
        folder.mkdir(parents=True, exist_ok=True)
        for part, labels in enumerate(np.array_split(train, 5)):
            _pickle(folder / f"data_batch_{part + 1}", batch(labels, part * len(labels), "labels"))
        _pickle(folder / "test_batch", batch(test, 10_000, "labels"))
        _pickle(folder / "batches.meta", {"label_names": [f"class{k}" for k in range(10)]})
        return
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    _pickle(folder / "train", batch(train, 0, "fine_labels"))
    _pickle(folder / "test", batch(test, 10_000, "fine_labels"))
    _pickle(folder / "meta", {"fine_label_names": [f"class{k}" for k in range(100)]})


def svhn_digits(split: str) -> np.ndarray:
    """The digits 0-9 of the fake SVHN ``split`` (stored as 1..10, 10 for 0)."""
    return np.arange({"train": 40, "test": 30}[split]) % 10


def write_svhn(root: Path) -> None:
    """Fake SVHN ``train_32x32.mat`` and ``test_32x32.mat`` under ``root``."""
    from scipy.io import savemat

    root.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        digits = svhn_digits(split)
        images = np.stack([pixel_pattern(i, 3, 32, 32) for i in range(len(digits))])   # (N, C, H, W)
        stored = np.where(digits == 0, 10, digits).reshape(-1, 1).astype(np.uint8)
        savemat(root / f"{split}_32x32.mat", {"X": images.transpose(2, 3, 1, 0), "y": stored})


def _idx(path: Path, array: np.ndarray) -> None:
    magic = 2049 if array.ndim == 1 else 2051
    with open(path, "wb") as handle:
        handle.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", side) for side in array.shape))
        handle.write(array.astype(np.uint8).tobytes())


def write_mnist(root: Path, folder: str = "MNIST") -> None:
    """Fake MNIST (``folder="MNIST"``) or Fashion-MNIST (``"FashionMNIST"``) idx files under ``root``."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", 30), ("t10k", 20)):
        labels = np.arange(count) % 10
        _idx(raw / f"{prefix}-images-idx3-ubyte", np.stack([pixel_pattern(i, 1, 28, 28)[0] for i in range(count)]))
        _idx(raw / f"{prefix}-labels-idx1-ubyte", labels)


VOC_SPLITS = {"train": 6, "val": 4}
VOC_SHAPE = (30, 40)
"""Height and width of the fake VOC images: not square, so the loader's resize shows."""


def voc_mask(index: int) -> np.ndarray:
    """The fake mask of image ``index``: background 0, a block of class ``1 + index % 20`` in
    the middle, and a one-pixel ring of 255 (VOC's border and "void" label) around it."""
    height, width = VOC_SHAPE
    mask = np.zeros(VOC_SHAPE, np.uint8)
    mask[height // 4 - 1:3 * height // 4 + 1, width // 4 - 1:3 * width // 4 + 1] = 255
    mask[height // 4:3 * height // 4, width // 4:3 * width // 4] = 1 + index % 20
    return mask


def write_voc(root: Path) -> None:
    """A fake Pascal VOC 2012 segmentation tree under ``root/VOCdevkit/VOC2012``."""
    base = root / "VOCdevkit" / "VOC2012"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    palette = [value for k in range(256) for value in ((k * 37) % 256, (k * 91) % 256, (k * 53) % 256)]
    index = 0
    for split, count in VOC_SPLITS.items():
        names = []
        for _ in range(count):
            name = f"2012_{index:06d}"
            image = pixel_pattern(index, 3, *VOC_SHAPE).transpose(1, 2, 0)
            Image.fromarray(image, "RGB").save(base / "JPEGImages" / f"{name}.jpg", quality=95)
            mask = Image.fromarray(voc_mask(index), "P")
            mask.putpalette(palette)
            mask.save(base / "SegmentationClass" / f"{name}.png")
            names.append(name)
            index += 1
        (base / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(names) + "\n")


def write_all(root: Path) -> Path:
    """Every fake dataset under ``root``; returns ``root``."""
    write_cifar(root, 10)
    write_cifar(root, 100)
    write_svhn(root)
    write_mnist(root, "MNIST")
    write_mnist(root, "FashionMNIST")
    write_voc(root)
    return root


def skip_checksums(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let torchvision's CIFAR and SVHN readers accept files whose MD5 differs from the real one
    (the file must still exist)."""
    import torchvision.datasets.cifar as cifar
    import torchvision.datasets.svhn as svhn

    def exists(path: str | os.PathLike, md5: str | None = None) -> bool:
        return os.path.isfile(path)

    monkeypatch.setattr(cifar, "check_integrity", exists)
    monkeypatch.setattr(svhn, "check_integrity", exists)
