"""Class splits: class-incremental tasks and known / unknown (held-out) classes.

Class-incremental learning (e.g. split MNIST, 5 tasks of 2 classes): the classes are put
in a fixed seeded order and cut into ``n_tasks`` disjoint, near-equal groups; labels keep
their original values (one shared head, no task id at test time).

Unknown-class rejection: the unknown classes are held out of training; the known classes
are renumbered ``0..K-1`` in increasing order of their original label.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch.utils.data import Dataset, Subset

from hemlab.data.core import RelabelledSubset, dataset_targets


def split_classes(num_classes: int, n_tasks: int, seed: int | None = 0) -> list[list[int]]:
    """``n_tasks`` disjoint class groups covering ``0..num_classes-1``.

    The order is a seeded permutation (``seed=None`` keeps 0, 1, 2, ...); group sizes
    differ by at most one, larger groups first. Example: ``split_classes(10, 5, None)``
    is ``[[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]``.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes: expected a positive count, got {num_classes!r}")
    if not 1 <= n_tasks <= num_classes:
        raise ValueError(f"n_tasks: expected 1..{num_classes} (num_classes), got {n_tasks!r}")
    if seed is None:
        order = list(range(num_classes))
    else:
        order = torch.randperm(num_classes, generator=torch.Generator().manual_seed(seed)).tolist()
    base, extra = divmod(num_classes, n_tasks)
    groups, start = [], 0
    for task in range(n_tasks):
        size = base + (1 if task < extra else 0)
        groups.append(order[start:start + size])
        start += size
    return groups


def subset_classes(dataset: Dataset, classes: Sequence[int]) -> Subset:
    """The samples of ``dataset`` whose label is in ``classes``; labels unchanged."""
    targets = dataset_targets(dataset).cpu()
    if targets.ndim != 1:
        raise ValueError("dataset: class subsets need classification targets (N,), not dense ones")
    wanted = torch.as_tensor(list(classes), dtype=torch.long)
    return Subset(dataset, torch.nonzero(torch.isin(targets, wanted)).flatten().tolist())


def hold_out_classes(dataset: Dataset, unknown_classes: Sequence[int]) -> tuple[RelabelledSubset, Subset]:
    """Split ``dataset`` into ``(known, unknown)``.

    ``known`` holds the samples of every other class, relabelled ``0..K-1`` in increasing
    original-label order (so train and test splits get the same mapping); ``unknown``
    holds the samples of ``unknown_classes`` with their original labels.
    """
    targets = dataset_targets(dataset).cpu()
    if targets.ndim != 1:
        raise ValueError("dataset: held-out classes need classification targets (N,), not dense ones")
    num_classes = int(targets.max()) + 1
    unknown = sorted(set(int(label) for label in unknown_classes))
    if not unknown or unknown[0] < 0 or unknown[-1] >= num_classes:
        raise ValueError(f"unknown_classes: expected a non-empty subset of 0..{num_classes - 1}, got {unknown_classes!r}")
    known = [label for label in range(num_classes) if label not in unknown]
    if not known:
        raise ValueError("unknown_classes: holds every class; at least one class must stay known")
    label_map = torch.full((num_classes,), -1, dtype=torch.long)
    label_map[torch.tensor(known)] = torch.arange(len(known))
    is_unknown = torch.isin(targets, torch.tensor(unknown))
    return (
        RelabelledSubset(dataset, torch.nonzero(~is_unknown).flatten(), label_map),
        Subset(dataset, torch.nonzero(is_unknown).flatten().tolist()),
    )
