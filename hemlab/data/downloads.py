"""Paper-mode datasets from torchvision, downloaded on first use to ``data_root()``.

Each loader returns ``(train, test)`` tensor datasets in hemlab's format (images float32
in [0, 1], ``(N, C, H, W)``; labels int64), held in memory so training can keep them on
the device. Files already on disk are used without any network access. When a download
is needed and the host cannot be reached within ``timeout`` seconds, a
``DatasetUnavailableError`` names the embedded datasets that work offline.
"""
from __future__ import annotations

import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Sequence
from urllib import request

import numpy as np
import torch
import torchvision.datasets as tv_datasets
from PIL import Image
from torch.utils.data import Dataset, TensorDataset
from torchvision.datasets.voc import DATASET_YEAR_DICT as VOC_YEARS

from hemlab.runtime import data_root
from hemlab.sentinels import IGNORE_INDEX, VOC_BOUNDARY

DOWNLOAD_URLS: dict[str, str] = {
    "mnist": tv_datasets.MNIST.mirrors[0],
    "fashion_mnist": tv_datasets.FashionMNIST.mirrors[0],
    "cifar10": tv_datasets.CIFAR10.url,
    "cifar100": tv_datasets.CIFAR100.url,
    "svhn": tv_datasets.SVHN.split_list["train"][0],
    "voc": VOC_YEARS["2012"]["url"],
}
OFFLINE_ALTERNATIVES = (
    "'glyphs' (generated 16x16 digits, the quick preset), 'colour_glyphs' (generated 32x32 colour digits, "
    "the colab preset), 'digits' (scikit-learn 8x8 handwritten digits), 'shapes' (synthetic segmentation) "
    "and the toy2d sets 'blobs', 'moons', 'spirals'"
)


class DatasetUnavailableError(RuntimeError):
    """A torchvision dataset is not on disk and cannot be downloaded."""


def _unavailable(name: str, root: Path, reason: str) -> DatasetUnavailableError:
    return DatasetUnavailableError(
        f"{name}: not found under {root} and could not be downloaded from {DOWNLOAD_URLS[name]} ({reason}). "
        f"Connect to the internet, or put the files under $HEMLAB_DATA, or use an embedded dataset that "
        f"needs no download: {OFFLINE_ALTERNATIVES}."
    )


def host_reachable(url: str, timeout: float = 3.0) -> tuple[bool, str]:
    """Whether a HEAD request to ``url`` gets any HTTP answer within ``timeout`` seconds.

    The request runs in a daemon thread, so a slow DNS lookup cannot hold the caller
    beyond ``timeout``. Returns ``(reachable, reason)``; an HTTP error status still counts
    as reachable (the real download then reports it). A probe still running after
    ``timeout`` is left to finish on its own: whatever it meets then (an answer, ``None``,
    any exception) is recorded and dropped, never raised in its thread.
    """
    outcome: dict[str, str] = {}

    def probe() -> None:
        try:
            answer = request.urlopen(request.Request(url, method="HEAD"), timeout=timeout)
            if answer is not None:
                answer.close()
            outcome["reason"] = ""
        except urllib.error.HTTPError:
            outcome["reason"] = ""
        except Exception as error:  # a thread has no caller to raise to
            outcome["reason"] = f"{type(error).__name__}: {error}"

    thread = threading.Thread(target=probe, name="hemlab-download-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if "reason" not in outcome:
        return False, f"no answer within {timeout:g} s"
    return outcome["reason"] == "", outcome["reason"]


_OPENERS: dict[str, Callable[[Path, bool, bool], Dataset]] = {
    "mnist": lambda root, train, download: tv_datasets.MNIST(root, train=train, download=download),
    "fashion_mnist": lambda root, train, download: tv_datasets.FashionMNIST(root, train=train, download=download),
    "cifar10": lambda root, train, download: tv_datasets.CIFAR10(root, train=train, download=download),
    "cifar100": lambda root, train, download: tv_datasets.CIFAR100(root, train=train, download=download),
    "svhn": lambda root, train, download: tv_datasets.SVHN(
        root, split="train" if train else "test", download=download),
    "voc": lambda root, train, download: tv_datasets.VOCSegmentation(
        root, year="2012", image_set="train" if train else "val", download=download),
}


def _open(name: str, root: Path, train: bool, timeout: float) -> Dataset:
    """The raw torchvision split from disk; if missing, probe the host, then download it."""
    opener = _OPENERS[name]
    try:
        return opener(root, train, False)
    except RuntimeError:
        pass
    reachable, reason = host_reachable(DOWNLOAD_URLS[name], timeout)
    if not reachable:
        raise _unavailable(name, root, reason)
    try:
        return opener(root, train, True)
    except (OSError, RuntimeError, urllib.error.URLError) as error:
        raise _unavailable(name, root, f"{type(error).__name__}: {error}") from error


def _available(name: str, root: Path, timeout: float) -> str:
    """``""`` when ``name`` is on disk under ``root`` or its host answers within ``timeout``
    seconds, else why not."""
    try:
        _OPENERS[name](root, True, False)
        return ""
    except (RuntimeError, OSError):
        pass
    reachable, reason = host_reachable(DOWNLOAD_URLS[name], timeout)
    return "" if reachable else reason or "unreachable"


def check_downloadable(names: Iterable[str], *, root: str | Path | None = None, timeout: float = 3.0) -> None:
    """Raise one ``DatasetUnavailableError`` naming every dataset of ``names`` (keys of
    ``DOWNLOAD_URLS``) that is neither on disk nor downloadable now, and the embedded
    alternatives; the datasets are checked in parallel, so the call takes at most about
    ``timeout`` seconds plus the time to open the files on disk."""
    names = list(dict.fromkeys(names))
    unknown = [name for name in names if name not in DOWNLOAD_URLS]
    if unknown:
        raise ValueError(f"names: expected datasets from {', '.join(DOWNLOAD_URLS)}, got {unknown}")
    if not names:
        return
    root = Path(root) if root is not None else data_root()
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        reasons = dict(zip(names, pool.map(lambda name: _available(name, root, timeout), names)))
    missing = {name: reason for name, reason in reasons.items() if reason}
    if missing:
        first = next(iter(missing.values()))
        raise DatasetUnavailableError(
            f"datasets {', '.join(missing)} are not in {root} and cannot be downloaded now ({first}); offline, use "
            f"the embedded datasets: {OFFLINE_ALTERNATIVES} (the quick and colab presets need no download)")


def _to_tensor_dataset(images: np.ndarray | torch.Tensor, labels: Sequence[int] | np.ndarray, channels_first: bool) -> TensorDataset:
    """uint8 images ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` -> float32 ``(N, C, H, W)`` in [0, 1]."""
    pixels = torch.as_tensor(np.asarray(images))
    if pixels.ndim == 3:
        pixels = pixels.unsqueeze(1)
    elif not channels_first:
        pixels = pixels.permute(0, 3, 1, 2)
    return TensorDataset(pixels.float().div_(255.0).contiguous(), torch.as_tensor(np.asarray(labels), dtype=torch.long))


def _voc_tensors(dataset: Dataset, image_size: int) -> TensorDataset:
    """Resize VOC images (bilinear) and masks (nearest) to ``image_size`` squares; the masks'
    ``VOC_BOUNDARY`` (255, boundaries and "void") becomes ``IGNORE_INDEX`` (-100)."""
    images = torch.empty(len(dataset), 3, image_size, image_size)
    masks = torch.empty(len(dataset), image_size, image_size, dtype=torch.long)
    for index in range(len(dataset)):
        image, mask = dataset[index]
        image = image.convert("RGB").resize((image_size, image_size), Image.BILINEAR)
        mask = mask.resize((image_size, image_size), Image.NEAREST)
        images[index] = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float() / 255.0
        masks[index] = torch.from_numpy(np.asarray(mask).astype(np.int64))
    masks[masks == VOC_BOUNDARY] = IGNORE_INDEX
    return TensorDataset(images, masks)


def load_torchvision_dataset(
    name: str, *, root: str | Path | None = None, image_size: int = 128, timeout: float = 3.0
) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` for ``name`` in ``DOWNLOAD_URLS``, downloading to ``root`` on first use.

    ``name``: mnist, fashion_mnist (1x28x28, 10 classes), cifar10, cifar100, svhn (3x32x32;
    SVHN's 'extra' split is not used) or voc (Pascal VOC 2012 segmentation, 21 classes,
    VOC's 255 mapped to ``IGNORE_INDEX``; 'train' and 'val' image sets resized to ``image_size`` squares, aspect
    ratio not kept; 'val' serves as test). ``root`` defaults to ``data_root()``.
    Raises ``DatasetUnavailableError`` within about ``timeout`` seconds when offline.
    """
    if name not in DOWNLOAD_URLS:
        raise ValueError(f"name: expected one of {', '.join(DOWNLOAD_URLS)}, got {name!r}")
    folder = Path(root) if root is not None else data_root()
    folder.mkdir(parents=True, exist_ok=True)
    splits = []
    for train in (True, False):
        raw = _open(name, folder, train, timeout)
        if name == "voc":
            splits.append(_voc_tensors(raw, image_size))
        elif name == "svhn":
            splits.append(_to_tensor_dataset(raw.data, raw.labels, channels_first=True))
        else:
            splits.append(_to_tensor_dataset(raw.data, raw.targets, channels_first=False))
    return splits[0], splits[1]
