"""Long-tailed subsets of a classification dataset (Cao et al., LDAM, NeurIPS 2019).

Class ``c`` of ``C`` keeps ``n_c`` samples, with the largest class keeping ``n_max``:

- ``"exp"``:  ``n_c = floor(n_max * ratio ** (-c / (C - 1)))``   (so ``n_0 = n_max``,
  ``n_{C-1} = floor(n_max / ratio)``);
- ``"step"``: the first ``C // 2`` classes keep ``n_max``, the others ``floor(n_max / ratio)``.

Counts are rounded *down*, as in the LDAM reference code, and never below 1; for
CIFAR-10 (``n_max = 5000``, ratio 100) the exp profile gives
5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.utils.data import Dataset, Subset

from hemlab.data.core import class_counts, dataset_targets

PROFILES: tuple[str, ...] = ("exp", "step")


def long_tailed_counts(num_classes: int, n_max: int, ratio: float, profile: str = "exp") -> Tensor:
    """Samples kept per class, int64 ``(num_classes,)``, for ``profile`` (see module doc)."""
    if num_classes < 2:
        raise ValueError(f"num_classes: expected at least 2, got {num_classes!r}")
    if n_max < 1:
        raise ValueError(f"n_max: expected a positive count, got {n_max!r}")
    if not ratio >= 1.0:
        raise ValueError(f"ratio: expected an imbalance ratio >= 1, got {ratio!r}")
    if profile == "exp":
        counts = [n_max * ratio ** (-c / (num_classes - 1)) for c in range(num_classes)]
    elif profile == "step":
        counts = [n_max if c < num_classes // 2 else n_max / ratio for c in range(num_classes)]
    else:
        raise ValueError(f"profile: expected one of {', '.join(PROFILES)}, got {profile!r}")
    return torch.tensor([max(1, math.floor(count + 1e-9)) for count in counts], dtype=torch.long)


def long_tailed(
    dataset: Dataset, ratio: float, profile: str = "exp", *, n_max: int | None = None, seed: int = 0
) -> tuple[Subset, Tensor]:
    """A long-tailed ``Subset`` of ``dataset`` and its class counts, int64 ``(C,)``.

    ``n_max`` defaults to the size of the *smallest* class, so every class can supply its
    quota (on balanced CIFAR it is the usual 5000). Which samples a class keeps is a seeded
    random choice; the subset's indices are sorted.
    """
    targets = dataset_targets(dataset).cpu()
    available = class_counts(targets)
    if n_max is None:
        n_max = int(available.min())
    elif n_max > int(available.min()):
        raise ValueError(f"n_max: {n_max} is more than the smallest class holds ({int(available.min())})")
    counts = long_tailed_counts(len(available), n_max, ratio, profile)
    generator = torch.Generator().manual_seed(seed)
    kept = []
    for label, count in enumerate(counts.tolist()):
        members = torch.nonzero(targets == label).flatten()
        kept.append(members[torch.randperm(len(members), generator=generator)[:count]])
    indices = torch.cat(kept).sort().values
    return Subset(dataset, indices.tolist()), counts
