"""What a run draws from its data, built once per process and shared by every loss of a seed.

A seed's train/test split, its corrupted test sets and its far-OOD sets depend on the
dataset, its options and the seed, never on the loss. The plan orders a task's runs seed
by seed (every loss variant of seed 0, then of seed 1, ...), so a worker that takes the
next run of the same seed finds what it needs here instead of drawing it again::

    train_set, test_set = shared_draw(("split", key), lambda: load_dataset(...))

Why in memory, per process, rather than as files in the results folder: the quick
preset's draws take about a second each and the runs of one seed follow each other, so
a worker reuses them within a minute; a file would cost a write, a read and a checksum
for each, outlive the settings it was made for, and need cleaning up. Larger datasets
(CIFAR on disk, an image folder) have their own decode caches (``hemlab.data``).

What is shared is read-only by contract: runners build new tensors from it (subsets,
corruptions, augmentation on the device) and never write into it; a test checks that
every task leaves its draws bit-identical, and that a sweep gives the same rows with the
cache on and off. Entries are dropped oldest first beyond :data:`CACHE_BYTES`.
"""
from __future__ import annotations

import collections
import contextlib
import os
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterator, TypeVar

import torch
from torch.utils.data import ConcatDataset, Dataset, Subset, TensorDataset

from hemlab.tasks.phases import timed

T = TypeVar("T")

CACHE_BYTES = 1 << 30
"""The most bytes of tensors the cache holds in one process (1 GiB); the newest entry always stays."""
DISABLE_VARIABLE = "HEMLAB_NO_DRAW_CACHE"
"""Set this environment variable (to anything but ``0`` or empty) to draw everything afresh per run."""


@dataclass
class DrawStatistics:
    """Counts of this process's cache lookups: ``hits``, ``misses`` (draws made) and ``evictions``."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0


_ENTRIES: collections.OrderedDict[Hashable, tuple[Any, int]] = collections.OrderedDict()
_STATISTICS = DrawStatistics()
_DISABLED: list[bool] = []


def _tensors_of(value: Any) -> Iterator[torch.Tensor]:
    """The tensors a cached value holds (datasets, tuples of them), for its size."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors_of(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_of(item)
    elif isinstance(value, TensorDataset):
        yield from value.tensors
    elif isinstance(value, Subset):
        yield from _tensors_of(value.dataset)
    elif isinstance(value, ConcatDataset):
        for item in value.datasets:
            yield from _tensors_of(item)
    elif isinstance(value, Dataset) or hasattr(value, "__dataclass_fields__"):
        for item in vars(value).values():
            if isinstance(item, (torch.Tensor, dict)):
                yield from _tensors_of(item)


def size_in_bytes(value: Any) -> int:
    """Bytes of the distinct tensors ``value`` holds (a view of a shared tensor counts once)."""
    storages = {}
    for tensor in _tensors_of(value):
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
    return sum(storages.values())


def cache_enabled() -> bool:
    """False inside :func:`draws_disabled` or when ``HEMLAB_NO_DRAW_CACHE`` is set."""
    return not _DISABLED and os.environ.get(DISABLE_VARIABLE, "") in ("", "0")


def shared_draw(key: Hashable, build: Callable[[], T]) -> T:
    """The value cached under ``key``, or ``build()``'s, cached now; ``key`` must name
    everything the value depends on (the dataset's record, its options, the seed, ...).
    The time ``build`` takes counts as the run's ``draw`` phase (:mod:`hemlab.tasks.phases`)."""
    if not cache_enabled():
        with timed("draw"):
            return build()
    if key in _ENTRIES:
        _ENTRIES.move_to_end(key)
        _STATISTICS.hits += 1
        return _ENTRIES[key][0]
    with timed("draw"):
        value = build()
    _STATISTICS.misses += 1
    _ENTRIES[key] = (value, size_in_bytes(value))
    while len(_ENTRIES) > 1 and sum(size for _, size in _ENTRIES.values()) > CACHE_BYTES:
        _ENTRIES.popitem(last=False)
        _STATISTICS.evictions += 1
    return value


def draw_statistics() -> DrawStatistics:
    """A copy of this process's hit, miss and eviction counts."""
    return DrawStatistics(**vars(_STATISTICS))


def clear_draws() -> None:
    """Forget every cached draw and reset the counts."""
    _ENTRIES.clear()
    _STATISTICS.hits = _STATISTICS.misses = _STATISTICS.evictions = 0


@contextlib.contextmanager
def draws_disabled() -> Iterator[None]:
    """Within this block every run draws its data afresh (the uncached reference)."""
    _DISABLED.append(True)
    try:
        yield
    finally:
        _DISABLED.pop()


__all__ = ["CACHE_BYTES", "DISABLE_VARIABLE", "DrawStatistics", "cache_enabled", "clear_draws", "draw_statistics",
           "draws_disabled", "shared_draw", "size_in_bytes"]
