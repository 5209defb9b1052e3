"""An image folder as a dataset, without code: ``folder:PATH``.

Classification reads a torchvision ``ImageFolder``-style tree, one sub-folder per class
(class ``k`` is the ``k``-th folder name in sorted order)::

    PATH/train/<class>/*.png   and   PATH/test/<class>/*.png      (a fixed split), or
    PATH/<class>/*.png                                            (split by each run's seed)

Segmentation reads images and masks of the same file stem (a mask's pixel value is its class;
``ignore_label``, default 255, marks pixels that are not scored)::

    PATH/train/images, PATH/train/masks, PATH/test/images, PATH/test/masks, or
    PATH/images, PATH/masks                                       (split by each run's seed)

Images are resized to ``image_size`` squares (bilinear; masks nearest), read as grey when
every image is grey and RGB otherwise. The *fingerprint* is a digest of every file's path and
bytes: it is part of each run's identity, so changed files never reuse old runs. The decoded
tensors are cached under ``$HEMLAB_DATA/folders/`` keyed by fingerprint and size, with a
digest of their own that is checked on reading (a damaged cache file is decoded again), so a
second run decodes nothing.
"""
from __future__ import annotations

import functools
import hashlib
import json
import warnings
from numbers import Real
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import TensorDataset

from hemlab.checks import POSITIVE_INTEGER, Interval, check
from hemlab.io import save_json, save_torch
from hemlab.runtime import data_root
from hemlab.sentinels import IGNORE_INDEX

FOLDER_PREFIX = "folder:"
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
GREY_MODES: tuple[str, ...] = ("1", "L", "LA", "I", "I;16", "F")


@dataclass(frozen=True)
class FolderLayout:
    """What a folder holds: ``kind`` (``"image"`` or ``"segmentation"``), whether its split is
    ``fixed`` (``train/`` and ``test/``), the class names, the files (``(path, label, part)``:
    ``label`` the class index or the mask's path, ``part`` 0 train, 1 test, -1 to be split) and
    the content ``fingerprint``."""

    root: Path
    kind: str
    fixed: bool
    classes: tuple[str, ...]
    files: tuple[tuple[Path, object, int], ...]
    fingerprint: str


def folder_path(name: str) -> Path:
    """The folder of dataset name ``folder:PATH``, resolved; ``ValueError`` when it is no folder."""
    root = Path(name[len(FOLDER_PREFIX):]).expanduser().resolve()
    if not root.is_dir():
        raise ValueError(f"dataset: expected folder:PATH naming a folder of images, got {name!r} (not a folder)")
    return root


def _images(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES)


def _class_files(folder: Path, classes: list[str], part: int) -> list[tuple[Path, object, int]]:
    return [(path, index, part) for index, name in enumerate(classes)
            if (folder / name).is_dir() for path in _images(folder / name)]


def _mask_files(folder: Path, part: int) -> list[tuple[Path, object, int]]:
    masks = {path.stem: path for path in _images(folder / "masks")}
    images = _images(folder / "images")
    missing = [path.name for path in images if path.stem not in masks]
    if missing:
        raise ValueError(f"dataset folder {folder}: expected a mask in masks/ for every image in images/, "
                         f"got none for {missing[:3]}")
    return [(path, masks[path.stem], part) for path in images]


def _classes(*folders: Path) -> list[str]:
    return sorted(path.name for path in folders[0].iterdir() if path.is_dir())


def _fingerprint(files: list[tuple[Path, object, int]], root: Path) -> str:
    """16 hex digits of every file's path, label, part and bytes."""
    digest = hashlib.sha1()
    for path, label, part in files:
        tag = label.relative_to(root) if isinstance(label, Path) else label
        digest.update(f"{path.relative_to(root)}|{tag}|{part}\n".encode())
        for item in (path, label) if isinstance(label, Path) else (path,):
            digest.update(hashlib.sha1(item.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _stat_key(root: Path) -> tuple:
    return tuple(sorted((str(path), path.stat().st_size, path.stat().st_mtime_ns)
                        for path in root.rglob("*") if path.is_file()))


def scan_folder(root: Path) -> FolderLayout:
    """The layout of ``root`` (module docstring); ``ValueError`` naming what is missing."""
    return _scan(root, _stat_key(root))


@functools.lru_cache(maxsize=32)
def _scan(root: Path, stat_key: tuple) -> FolderLayout:
    train, test = root / "train", root / "test"
    fixed = train.is_dir() and test.is_dir()
    parts = [(train, 0), (test, 1)] if fixed else [(root, -1)]
    if all((folder / "images").is_dir() and (folder / "masks").is_dir() for folder, _ in parts):
        kind, classes = "segmentation", []
        files = [item for folder, part in parts for item in _mask_files(folder, part)]
    else:
        kind, classes = "image", _classes(parts[0][0])
        unknown = sorted(set(_classes(test)) - set(classes)) if fixed else []
        if unknown:
            raise ValueError(f"dataset folder {root}: expected the classes of test/ among those of train/, "
                             f"got {unknown} in test/ only")
        files = [item for folder, part in parts for item in _class_files(folder, classes, part)]
    if not files:
        raise ValueError(f"dataset folder {root}: expected class folders of images (train/ and test/ or one tree), "
                         f"or images/ and masks/, with files ending in {', '.join(IMAGE_SUFFIXES)}; found none")
    if kind == "image" and len(classes) < 2:
        raise ValueError(f"dataset folder {root}: expected at least 2 class folders, got {classes}")
    return FolderLayout(root, kind, fixed, tuple(classes), tuple(files), _fingerprint(files, root))


def _cache_dir() -> Path:
    return data_root() / "folders"


def folder_meta(layout: FolderLayout, ignore_label: int = 255) -> dict[str, int]:
    """``{"in_channels": 1 or 3, "num_classes": K}`` of a folder, cached by fingerprint (the
    number of segmentation classes is read from the masks: the largest label but ``ignore_label``, plus one)."""
    path = _cache_dir() / f"{layout.fingerprint}-{ignore_label}.json"
    if path.is_file():
        return json.loads(path.read_text())
    modes = {Image.open(image).mode for image, _, _ in layout.files}
    meta = {"in_channels": 1 if modes <= set(GREY_MODES) else 3, "num_classes": len(layout.classes)}
    if layout.kind == "segmentation":
        labels = [np.asarray(Image.open(mask)) for _, mask, _ in layout.files]
        meta["num_classes"] = int(max(int(values[values != ignore_label].max(initial=0)) for values in labels)) + 1
    save_json(meta, path)
    return meta


def _decode(layout: FolderLayout, image_size: int, in_channels: int, ignore_label: int
            ) -> dict[str, torch.Tensor]:
    """Every image of ``layout`` as uint8 ``(N, C, S, S)`` with labels and parts."""
    mode = "L" if in_channels == 1 else "RGB"
    images, labels = [], []
    for image_path, label, _ in layout.files:
        image = Image.open(image_path).convert(mode).resize((image_size, image_size), Image.BILINEAR)
        images.append(np.asarray(image, dtype=np.uint8).reshape(image_size, image_size, in_channels))
        if isinstance(label, Path):
            mask = np.asarray(Image.open(label).resize((image_size, image_size), Image.NEAREST)).astype(np.int64)
            labels.append(np.where(mask == ignore_label, IGNORE_INDEX, mask))
        else:
            labels.append(np.int64(label))
    return {"images": torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous(),
            "labels": torch.from_numpy(np.stack(labels)),
            "parts": torch.tensor([part for _, _, part in layout.files], dtype=torch.int8)}


def _tensor_digest(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha1()
    for key in ("images", "labels", "parts"):
        digest.update(tensors[key].numpy().tobytes())
    return digest.hexdigest()


def decoded_folder(layout: FolderLayout, image_size: int, in_channels: int, ignore_label: int = 255
                   ) -> dict[str, torch.Tensor]:
    """The decoded tensors of ``layout`` at ``image_size``, from the cache when it holds them
    intact; otherwise decoded now and cached (a damaged cache file is reported and replaced)."""
    path = _cache_dir() / f"{layout.fingerprint}-{image_size}-{in_channels}-{ignore_label}.pt"
    if path.is_file():
        try:
            cached = torch.load(path, weights_only=True)
            if cached.get("digest") == _tensor_digest(cached):
                return cached
        except Exception:  # noqa: BLE001 - any unreadable cache file is decoded again
            pass
        warnings.warn(f"dataset folder {layout.root}: the cache file {path} is damaged; decoding the images again")
    tensors = _decode(layout, image_size, in_channels, ignore_label)
    save_torch({**tensors, "digest": _tensor_digest(tensors)}, path)
    return tensors


def stratified_split(labels: torch.Tensor, test_fraction: float, seed: int) -> torch.Tensor:
    """A bool mask ``(N,)`` of the test samples: ``test_fraction`` of each class (at least
    one of a class with two or more), drawn with ``seed``; for segmentation labels, of all."""
    generator = torch.Generator().manual_seed(seed)
    groups = [torch.arange(len(labels))] if labels.ndim > 1 else [
        torch.nonzero(labels == label).flatten() for label in torch.unique(labels)]
    test = torch.zeros(len(labels), dtype=torch.bool)
    for members in groups:
        count = min(len(members) - 1, max(1, round(len(members) * test_fraction))) if len(members) > 1 else 0
        test[members[torch.randperm(len(members), generator=generator)[:count]]] = True
    return test


def load_image_folder(root: str | Path, *, seed: int = 0, image_size: int = 32, test_fraction: float = 0.2,
                      ignore_label: int = 255) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` of the image folder ``root`` (module docstring): images float32 in
    [0, 1] ``(N, C, image_size, image_size)``, labels int64 ``(N,)`` (segmentation ``(N, S, S)``
    with ``ignore_label`` pixels as ``IGNORE_INDEX``). A folder without ``train/`` and
    ``test/`` is split with ``seed``, stratified by class, ``test_fraction`` to the test set."""
    image_size = check("image_size", image_size, POSITIVE_INTEGER)
    test_fraction = check("test_fraction", test_fraction, Interval(Real, 0, 1, closed="neither"))
    layout = scan_folder(Path(root))
    meta = folder_meta(layout, ignore_label)
    tensors = decoded_folder(layout, image_size, meta["in_channels"], ignore_label)
    images, labels, parts = tensors["images"].float() / 255, tensors["labels"], tensors["parts"]
    test = parts == 1 if layout.fixed else stratified_split(labels, test_fraction, seed)
    return TensorDataset(images[~test], labels[~test]), TensorDataset(images[test], labels[test])


__all__ = ["FOLDER_PREFIX", "FolderLayout", "decoded_folder", "folder_meta", "folder_path", "load_image_folder",
           "scan_folder", "stratified_split"]
