"""2-D toy classification sets for decision-boundary pictures: blobs, moons, spirals.

Blobs and moons come from scikit-learn's generators; spirals (not in scikit-learn) are
``num_classes`` interleaved arms: point ``t`` in [0, 1] of arm ``k`` sits at radius ``t``
and angle ``4 t + 2 pi k / num_classes`` plus Gaussian noise on the angle.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.datasets import make_blobs, make_moons
from torch.utils.data import TensorDataset

TOY2D_NAMES: tuple[str, ...] = ("blobs", "moons", "spirals")


def _spirals(n_samples: int, num_classes: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = np.arange(n_samples) % num_classes
    radius = rng.uniform(0.05, 1.0, n_samples)
    angle = 4.0 * radius + 2.0 * math.pi * labels / num_classes + rng.normal(0.0, noise, n_samples)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    order = rng.permutation(n_samples)
    return points[order], labels[order]


def make_toy2d(
    name: str,
    n_samples: int = 600,
    *,
    num_classes: int = 3,
    noise: float | None = None,
    seed: int = 0,
) -> TensorDataset:
    """A seeded 2-D toy set: points ``(N, 2)`` float32 and labels ``(N,)`` int64.

    ``name`` is ``"blobs"`` (``num_classes`` Gaussian clusters, ``noise`` = cluster std,
    default 1.0), ``"moons"`` (always 2 classes, ``noise`` default 0.1) or ``"spirals"``
    (``num_classes`` arms, ``noise`` = angular std, default 0.2). Points are standardised to
    zero mean and unit variance per coordinate.
    """
    if name not in TOY2D_NAMES:
        raise ValueError(f"name: expected one of {', '.join(TOY2D_NAMES)}, got {name!r}")
    if n_samples < 2:
        raise ValueError(f"n_samples: expected at least 2, got {n_samples!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes: expected at least 2, got {num_classes!r}")
    if name == "blobs":
        points, labels = make_blobs(
            n_samples, centers=num_classes, cluster_std=1.0 if noise is None else noise, random_state=seed
        )
    elif name == "moons":
        points, labels = make_moons(n_samples, noise=0.1 if noise is None else noise, random_state=seed)
    else:
        points, labels = _spirals(n_samples, num_classes, 0.2 if noise is None else noise, np.random.default_rng(seed))
    points = (points - points.mean(axis=0)) / points.std(axis=0)
    return TensorDataset(torch.as_tensor(points, dtype=torch.float32), torch.as_tensor(labels, dtype=torch.long))


def load_toy2d(
    name: str, n_samples: int = 600, *, num_classes: int = 3, noise: float | None = None, seed: int = 0
) -> tuple[TensorDataset, TensorDataset]:
    """``(train, test)`` toy sets of ``n_samples`` each: one seeded draw of ``2 * n_samples``
    points split in half, so both halves share the clusters (blobs' centres depend on the
    seed) and the standardisation."""
    points, labels = make_toy2d(name, 2 * n_samples, num_classes=num_classes, noise=noise, seed=seed).tensors
    return TensorDataset(points[:n_samples], labels[:n_samples]), TensorDataset(points[n_samples:], labels[n_samples:])
