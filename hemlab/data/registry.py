"""Load any hemlab dataset by name, and a small record of what each one is.

``load_dataset(name, seed=0, **options)`` returns ``(train, test)``. Embedded sets (no
download): ``digits``, ``shapes``, ``glyphs``, ``colour_glyphs``, ``blobs``, ``moons``, ``spirals``;
torchvision-backed (paper mode, downloaded on first use): ``mnist``, ``fashion_mnist``,
``cifar10``, ``cifar100``, ``svhn``, ``voc``. Each record's ``builder`` is the loader; its signature
holds the options and their defaults (:func:`dataset_defaults`).

Yours: a loader registered with :func:`register_dataset` (or an installed plug-in's entry
point in the group ``hemlab.datasets``, see :mod:`hemlab.plugins`), and any image folder,
named ``folder:PATH`` (:mod:`hemlab.data.folder`). :func:`dataset_info` finds the record
of every one of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, ClassVar

from torch.utils.data import TensorDataset

from hemlab.data.colour_glyphs import load_colour_glyphs
from hemlab.data.digits import load_digits
from hemlab.data.downloads import load_torchvision_dataset
from hemlab.data.folder import FOLDER_PREFIX, folder_meta, folder_path, load_image_folder, scan_folder
from hemlab.data.glyphs import load_glyphs
from hemlab.data.registration import checked_splits, dataset_record_fields
from hemlab.data.shapes import load_shapes
from hemlab.data.toy2d import load_toy2d
from hemlab.plugins import discover_entry_points
from hemlab.registry import Record, Registry, builder_options, check_options
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
    ``module`` and ``version`` say where a registered dataset comes from (an image folder:
    ``version`` is its content fingerprint), for its runs' identity; both are empty for the
    built-in sets. ``seeded_split``: whether each run's seed redraws the split (default: the
    embedded sets do, the benchmarks have a fixed one).
    """

    kind: str
    num_classes: int
    in_channels: int
    image_size: int | None
    embedded: bool
    ignore_index: int | None = None
    mirror_invariant: bool = True
    module: str = ""
    version: str = ""
    seeded_split: bool | None = None

    @property
    def split_by_seed(self) -> bool:
        """Whether each run's seed draws its own train/test split."""
        return self.embedded if self.seeded_split is None else self.seeded_split

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


def register_dataset(name: str, loader: Callable[..., Any] | None = None, *, kind: str = "classification",
                     num_classes: int, in_channels: int, image_size: int, description: str,
                     mirror_invariant: bool = True, replace: bool = False):
    """Register ``loader(*, seed, **options) -> (train, test)`` as dataset ``name``; returns ``loader``.

    Without ``loader`` it is a decorator. ``kind`` is ``"classification"`` (images ``(N,
    in_channels, image_size, image_size)``, labels ``(N,)`` in ``[0, num_classes)``) or
    ``"segmentation"`` (labels ``(N, image_size, image_size)``, ``IGNORE_INDEX`` unscored);
    :mod:`hemlab.data.registration` says what each load is held to. ``mirror_invariant=False`` keeps
    the training augmentation from flipping its images (digits, text). A built-in name is refused;
    registering a name twice needs ``replace=True``.
    """
    def register(target: Callable[..., Any]) -> Callable[..., Any]:
        if not isinstance(name, str) or not name.isidentifier() or not name.islower():
            raise ValueError(f"name: expected a lower-case identifier such as 'mydata', got {name!r}")
        fields = dataset_record_fields(name, target, kind=kind, num_classes=num_classes, in_channels=in_channels,
                                       image_size=image_size, description=description)
        DATASETS.add(DatasetInfo(**fields, mirror_invariant=bool(mirror_invariant),
                                 seeded_split="seed" in builder_options(target)), replace=replace)
        return target

    return register if loader is None else register(loader)


def folder_info(name: str) -> DatasetInfo:
    """The record of image folder ``folder:PATH`` (see :mod:`hemlab.data.folder`): its kind,
    classes and channels read from the files, ``version`` its content fingerprint."""
    root = folder_path(name)
    layout = scan_folder(root)
    meta = folder_meta(layout)
    split = "train/ and test/" if layout.fixed else "split by seed"
    description = f"Image folder {root}: {len(layout.files)} images, {meta['num_classes']} classes, {split}."
    return DatasetInfo(name, description, partial(load_image_folder, root), layout.kind, meta["num_classes"],
                       meta["in_channels"], None, embedded=True,
                       ignore_index=IGNORE_INDEX if layout.kind == "segmentation" else None,
                       module="", version=layout.fingerprint, seeded_split=not layout.fixed)


def canonical_dataset_name(name: str) -> str:
    """``name``, or for ``folder:PATH`` the folder's resolved absolute path (``folder:/...``)."""
    return f"{FOLDER_PREFIX}{folder_path(name)}" if isinstance(name, str) and name.startswith(FOLDER_PREFIX) else name


def dataset_info(name: str) -> DatasetInfo:
    """The record of dataset ``name``: built in, registered (installed plug-ins are looked up
    the first time a name is unknown) or ``folder:PATH``; ``ValueError`` listing the names otherwise."""
    if isinstance(name, str) and name.startswith(FOLDER_PREFIX):
        return folder_info(name)
    if name not in DATASETS:
        discover_entry_points()
    return DATASETS.record(name)


def checked_dataset(name: str, options: dict[str, Any]) -> DatasetInfo:
    """The record of dataset ``name`` after checking ``options`` against its loader's signature."""
    info = dataset_info(name)
    check_options(info.builder, options, f"dataset {name!r}", supplied=info.supplied)
    return info


def available_datasets() -> list[str]:
    """Names accepted by ``load_dataset`` (besides ``folder:PATH``)."""
    discover_entry_points()
    return list(DATASETS)


def dataset_defaults(name: str) -> dict[str, Any]:
    """``{option: default}`` of dataset ``name``, read from its loader's signature."""
    return dataset_info(name).defaults


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
    A registered dataset's load is held to its record (:func:`hemlab.data.registration.checked_splits`).
    An unknown name or option raises ``ValueError``; errors inside a loader are its own.
    """
    info = checked_dataset(name, options)
    if "seed" in builder_options(info.builder):
        options["seed"] = seed
    loaded = info.builder(**options)
    return checked_splits(info, loaded) if info.module else loaded
