"""Your own dataset: a loader ``(*, seed, **options) -> (train, test)`` registered by name::

    from hemlab.data import register_dataset

    @register_dataset("mydata", num_classes=10, in_channels=3, image_size=32,
                      description="my long-tailed scans")
    def load_mydata(*, seed: int = 0, n_train: int = 5000):
        ...                              # -> (train, test), each a TensorDataset or (images, labels)

What the loader returns, per split, is what every hemlab dataset holds: images float32 in
[0, 1] shaped ``(N, in_channels, image_size, image_size)`` and int64 labels ``(N,)`` in
``[0, num_classes)`` (segmentation: ``(N, image_size, image_size)``, where ``ignore_index``
marks unscored pixels). :func:`checked_splits` holds every load to that, so a bad loader
(wrong shapes, labels out of range, integer images, NaN) is refused with one line naming the
dataset and what was expected; the run plan loads each registered dataset once before any
run starts. The loader's keyword parameters are its options (``dataset_options``); a
``seed`` parameter receives each run's seed, so the split is then redrawn per seed.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import torch
from torch import Tensor
from torch.utils.data import Dataset, TensorDataset

from hemlab.checks import POSITIVE_INTEGER, check
from hemlab.data.core import dataset_tensors
from hemlab.registry import source_version
from hemlab.sentinels import IGNORE_INDEX

KINDS: dict[str, str] = {"classification": "image", "segmentation": "segmentation"}
"""``register_dataset``'s ``kind`` and the ``DatasetInfo.kind`` it stands for."""


def dataset_record_fields(name: str, loader: Callable[..., Any], *, kind: str, num_classes: int, in_channels: int,
                          image_size: int, description: str) -> dict[str, Any]:
    """The fields of the ``DatasetInfo`` of a user dataset, after checking every argument."""
    if not callable(loader):
        raise ValueError(f"loader: expected a callable (*, seed, **options) -> (train, test), got {loader!r}")
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {list(KINDS)} for dataset {name!r}, got {kind!r}")
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"description: expected a one-line description of dataset {name!r}, got {description!r}")
    positional = [p.name for p in inspect.signature(loader).parameters.values()
                  if p.kind is inspect.Parameter.POSITIONAL_ONLY
                  or (p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is inspect.Parameter.empty)]
    if positional:
        raise ValueError(f"loader: dataset {name!r} must take only keyword options with defaults "
                         f"(and seed), got required {positional}")
    return {"name": name, "description": description.strip(), "builder": loader, "kind": KINDS[kind],
            "num_classes": check("num_classes", num_classes, POSITIVE_INTEGER, owner=f"dataset {name!r}"),
            "in_channels": check("in_channels", in_channels, POSITIVE_INTEGER, owner=f"dataset {name!r}"),
            "image_size": check("image_size", image_size, POSITIVE_INTEGER, owner=f"dataset {name!r}"), "embedded": True,
            "ignore_index": IGNORE_INDEX if kind == "segmentation" else None,
            "module": getattr(loader, "__module__", "") or "", "version": source_version(loader)}


def _split(value: Any, what: str) -> TensorDataset:
    """A split as a ``TensorDataset`` of ``(images, labels)``."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(part, Tensor) for part in value):
        return TensorDataset(*value)
    if not isinstance(value, Dataset):
        raise ValueError(f"{what}: expected a TensorDataset or an (images, labels) pair of tensors, "
                         f"got {type(value).__name__}")
    images, labels = dataset_tensors(value)
    return TensorDataset(images, labels)


def _check_split(info: Any, split: TensorDataset, what: str) -> None:
    images, labels = split.tensors
    size, channels = info.image_size, info.in_channels
    expected_images = f"float images in [0, 1] of shape (N, {channels}, {size}, {size})"
    if not images.dtype.is_floating_point:
        raise ValueError(f"{what}: expected {expected_images}, got dtype {images.dtype}")
    if images.ndim != 4 or images.shape[0] < 1 or tuple(images.shape[1:]) != (channels, size, size):
        raise ValueError(f"{what}: expected {expected_images}, got shape {tuple(images.shape)}")
    if not bool(torch.isfinite(images).all()):
        raise ValueError(f"{what}: expected {expected_images}, got NaN or infinite values")
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 1:
        raise ValueError(f"{what}: expected {expected_images}, got values in [{low:g}, {high:g}]")
    label_shape = (images.shape[0],) if info.kind != "segmentation" else (images.shape[0], size, size)
    expected_labels = f"int64 labels of shape {label_shape} in [0, {info.num_classes})" + (
        f" or {info.ignore_index} (ignored)" if info.ignore_index is not None else "")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ValueError(f"{what}: expected {expected_labels}, got dtype {labels.dtype}")
    if tuple(labels.shape) != label_shape:
        raise ValueError(f"{what}: expected {expected_labels}, got shape {tuple(labels.shape)}")
    scored = labels[labels != info.ignore_index] if info.ignore_index is not None else labels
    outside = scored[(scored < 0) | (scored >= info.num_classes)]
    if outside.numel():
        raise ValueError(f"{what}: expected {expected_labels}, got labels {torch.unique(outside)[:5].tolist()}")


def checked_splits(info: Any, loaded: Any) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` of what dataset ``info``'s loader returned, held to its record;
    ``ValueError`` (one line naming the dataset, the split and what was expected) otherwise."""
    what = f"dataset {info.name!r}"
    if not isinstance(loaded, (tuple, list)) or len(loaded) != 2:
        raise ValueError(f"{what}: expected the loader to return (train, test), got {type(loaded).__name__}")
    splits = []
    for part, value in zip(("train", "test"), loaded):
        split = _split(value, f"{what} {part}")
        _check_split(info, split, f"{what} {part}")
        splits.append(TensorDataset(split.tensors[0], split.tensors[1].long()))
    return splits[0], splits[1]


__all__ = ["KINDS", "checked_splits", "dataset_record_fields"]
