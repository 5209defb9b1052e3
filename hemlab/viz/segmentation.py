"""Segmentation: input images, their ground-truth masks and each loss's predicted masks side by side."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hemlab.metrics import accuracy
from hemlab.viz._inputs import as_array, as_labels, check_mapping
from hemlab.viz._layout import figure_legend, finish, panel_grid
from hemlab.viz.palette import is_hem, loss_colors

IGNORE_INDEX = -100
IGNORED_COLOR = "#b0b0b0"
_GREYS = {"#7f7f7f", "#c7c7c7"}
_TAB20 = [to_hex(rgb) for rgb in plt.get_cmap("tab20").colors]
CLASS_COLORS = tuple(color for color in _TAB20[0::2] + _TAB20[1::2] + [to_hex(rgb) for rgb in plt.get_cmap("tab20b").colors]
                     if color not in _GREYS)
"""Colours of classes 0, 1, ...: tab10's, then their light twins, then tab20b (greys are left to the
ignored pixels)."""


def _display_images(images: Any) -> np.ndarray:
    """``(k, 3, H, W)``, ``(k, 1, H, W)`` or ``(k, H, W)`` images as ``(k, H, W, 3)`` in ``[0, 1]``
    (each image min-max scaled when its values leave ``[0, 1]``, e.g. normalised inputs)."""
    array = as_array(images, "images").astype(np.float64)
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4 or array.shape[1] not in (1, 3):
        raise ValueError(f"images: expected shape (k, 3, H, W), (k, 1, H, W) or (k, H, W), got {array.shape}")
    array = np.repeat(array, 3 // array.shape[1], axis=1).transpose(0, 2, 3, 1)
    for index, image in enumerate(array):
        if image.min() < 0 or image.max() > 1:
            array[index] = (image - image.min()) / max(image.max() - image.min(), 1e-12)
    return array


def _mask_colors(mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` class indices as an ``(H, W, 3)`` picture; ignored pixels grey."""
    palette = np.array([to_rgb(color) for color in CLASS_COLORS])
    picture = palette[np.where(mask == IGNORE_INDEX, 0, mask)]
    picture[mask == IGNORE_INDEX] = to_rgb(IGNORED_COLOR)
    return picture


def plot_masks(images: Any, masks_true: Any, masks_pred_by_loss: Mapping[str, Any], max_images: int = 4, *,
               class_names: Sequence[str] | None = None, title: str = "Segmentation masks") -> Figure:
    """One row per image: the image, its ground-truth mask, then each loss's predicted mask
    (its pixel accuracy, ignored pixels excluded, underneath); one class legend for all.

    Args:
        images: ``(k, 3, H, W)`` (or ``(k, 1, H, W)``, ``(k, H, W)``) images, any float dtype.
        masks_true: ``(k, H, W)`` integer class indices, ``-100`` = ignored (drawn grey).
        masks_pred_by_loss: loss label -> ``(k, H, W)`` predicted class indices.
        max_images: at most this many rows (the first images).
        class_names: names of classes ``0..C-1`` for the legend; default ``class 0``, ``class 1``, ...
        title: figure title ("" for none).

    Returns:
        A figure with ``min(k, max_images) * (2 + number of losses)`` axes.
    """
    if not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"max_images: expected a positive integer, got {max_images!r}")
    pictures = _display_images(images)
    shape = pictures.shape[:3]
    truth = as_labels(masks_true, "masks_true", shape).numpy()
    predictions = {label: as_labels(mask, f"masks_pred_by_loss[{label!r}]", shape).numpy()
                   for label, mask in check_mapping(masks_pred_by_loss, "masks_pred_by_loss",
                                                    "masks (k, H, W)").items()}
    largest = max(int(mask.max()) for mask in [truth, *predictions.values()])
    num_classes = len(class_names) if class_names is not None else largest + 1
    for name, mask in [("masks_true", truth), *((f"masks_pred_by_loss[{k!r}]", v) for k, v in predictions.items())]:
        valid = mask[mask != IGNORE_INDEX]
        if valid.size and (valid.min() < 0 or valid.max() >= num_classes):
            raise ValueError(f"{name}: expected class indices in [0, {num_classes}) or {IGNORE_INDEX}, "
                             f"got values in [{valid.min()}, {valid.max()}]")
    if num_classes > len(CLASS_COLORS):
        raise ValueError(f"class_names: at most {len(CLASS_COLORS)} classes can be coloured, got {num_classes}")
    colors = loss_colors(list(predictions))
    rows = min(shape[0], max_images)
    columns = 2 + len(predictions)
    figure, axes = panel_grid(rows * columns, max_columns=columns, panel_size=(1.9, 2.0))
    for row in range(rows):
        row_axes = axes[row * columns:(row + 1) * columns]
        row_axes[0].imshow(pictures[row])
        row_axes[1].imshow(_mask_colors(truth[row]))
        row_axes[0].set_ylabel(f"sample {row}")
        for axis, (label, mask) in zip(row_axes[2:], predictions.items()):
            axis.imshow(_mask_colors(mask[row]))
            pixel_accuracy = accuracy(mask[row], truth[row], ignore_index=IGNORE_INDEX)
            axis.set_xlabel(f"pixel acc {pixel_accuracy:.3f}", fontsize="small")
        for axis in row_axes:
            axis.set_xticks([])
            axis.set_yticks([])
    for axis, header in zip(axes[:columns], ["image", "ground truth", *predictions]):
        hem = is_hem(header) and header in predictions
        axis.set_title(header, color=colors.get(header, "black") if header in predictions else "black",
                       fontweight="bold" if hem else "normal")
    names = list(class_names) if class_names is not None else [f"class {index}" for index in range(num_classes)]
    handles = [Patch(facecolor=color) for color in CLASS_COLORS[:num_classes]] + [Patch(facecolor=IGNORED_COLOR)]
    figure_legend(figure, handles, names + [f"ignored ({IGNORE_INDEX})"])
    return finish(figure, title)
