"""A picture of an image classification set: examples per class, unknown-class images and corruptions.

Made for the generated ``glyphs`` digits (with the ``letters`` near-OOD set), it works for any
grey or colour image set with integer labels.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from hemlab.checks import POSITIVE_INTEGER, check
from hemlab.data import available_corruptions, corrupt
from hemlab.viz._inputs import as_array, as_labels
from hemlab.viz._layout import finish, panel_grid

_GAP = 1


def _strip(images: np.ndarray) -> np.ndarray:
    """``(k, C, H, W)`` images side by side, one grey pixel apart, as ``(H, k (W + gap), C)``."""
    count, channels, height, width = images.shape
    strip = np.full((height, count * (width + _GAP) - _GAP, channels), 0.5)
    for index, image in enumerate(images):
        left = index * (width + _GAP)
        strip[:, left:left + width] = image.transpose(1, 2, 0)
    return strip[..., 0] if channels == 1 else strip


def _check_images(values: Any, name: str) -> np.ndarray:
    array = as_array(values, name, ndim=4).astype(np.float64)
    if array.shape[0] < 1 or array.shape[1] not in (1, 3):
        raise ValueError(f"{name}: expected images (N, 1 or 3, H, W) with N >= 1, got shape {array.shape}")
    if array.min() < 0 or array.max() > 1:
        raise ValueError(f"{name}: expected values in [0, 1], got [{array.min():.3g}, {array.max():.3g}]")
    return array


def plot_glyph_grid(images: Any, labels: Any, *, letters: Any = None,
                    corruptions: Sequence[str] = ("gaussian_noise", "gaussian_blur", "contrast"), severity: int = 3,
                    rows: int = 4, class_names: Sequence[str] | None = None, seed: int = 0,
                    title: str = "Generated glyphs") -> Figure:
    """Examples of each class in columns, then a row of ``letters``, then a row per corruption.

    Column ``c`` holds class ``c``: its first ``rows`` images of ``images``, then (when given)
    the ``c``-th image of ``letters``, then its first image corrupted by each of ``corruptions``
    at ``severity`` (``hemlab.data.corrupt`` with ``seed``).

    Args:
        images: ``(N, 1, H, W)`` or ``(N, 3, H, W)`` images in [0, 1].
        labels: ``(N,)`` integer classes ``0..K-1``; every class needs ``rows`` images.
        letters: unknown-class images ``(M, C, H, W)`` in [0, 1] (e.g. ``make_far_ood("letters",
            ...)``), at most ``K`` shown; ``None`` for no such row.
        corruptions: names from ``hemlab.data.available_corruptions()``; ``()`` for none.
        severity: corruption severity 1..5.
        rows: example rows per class.
        class_names: names of classes ``0..K-1`` over the columns; default ``0``, ``1``, ...
        seed: seed of the corruptions' noise.
        title: figure title ("" for none).

    Returns:
        A figure with one axis per row: ``rows + (letters given) + len(corruptions)`` axes.
    """
    rows = check("rows", rows, POSITIVE_INTEGER)
    pictures = _check_images(images, "images")
    targets = as_labels(labels, "labels", (pictures.shape[0],)).numpy()
    if targets.min() < 0:
        raise ValueError(f"labels: expected class indices >= 0, got {targets.min()}")
    num_classes = int(targets.max()) + 1
    names = [str(index) for index in range(num_classes)] if class_names is None else [str(n) for n in class_names]
    if len(names) != num_classes:
        raise ValueError(f"class_names: expected {num_classes} names (labels 0..{num_classes - 1}), got {len(names)}")
    unknown_corruptions = [name for name in corruptions if name not in available_corruptions()]
    if unknown_corruptions:
        raise ValueError(f"corruptions: expected names from {available_corruptions()}, got {unknown_corruptions}")
    order = np.argsort(targets, kind="stable")
    per_class = [order[targets[order] == index][:rows] for index in range(num_classes)]
    short = [names[index] for index, chosen in enumerate(per_class) if len(chosen) < rows]
    if short:
        raise ValueError(f"labels: expected at least {rows} images of every class, too few of {short}")
    grid = np.stack([pictures[chosen] for chosen in per_class], axis=1)
    strips = [(f"examples {row + 1}" if row else "examples", _strip(grid[row])) for row in range(rows)]
    if letters is not None:
        unknown = _check_images(letters, "letters")[:num_classes]
        if unknown.shape[1:] != pictures.shape[1:]:
            raise ValueError(f"letters: expected images shaped {pictures.shape[1:]}, got {unknown.shape[1:]}")
        strips.append(("letters", _strip(unknown)))
    first = torch.from_numpy(grid[0]).float()
    for name in corruptions:
        strips.append((f"{name} {severity}", _strip(corrupt(first, name, severity, seed=seed).numpy())))
    width = pictures.shape[3]
    figure, axes = panel_grid(len(strips), max_columns=1, panel_size=(0.55 * num_classes + 1.4, 0.62))
    for axis, (label, strip) in zip(axes, strips):
        axis.imshow(strip, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        axis.set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
        axis.set_yticks([])
        axis.set_xticks([])
    axes[0].xaxis.tick_top()
    axes[0].set_xticks([(width + _GAP) * index + (width - 1) / 2 for index in range(num_classes)], names,
                       fontsize="small")
    axes[0].tick_params(length=0)
    return finish(figure, title)
