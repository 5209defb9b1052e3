"""Input checks shared by the metric modules (private)."""
from __future__ import annotations

from typing import Union

import numpy as np
import torch

ArrayLike = Union[torch.Tensor, np.ndarray]


def as_tensor(values: ArrayLike, name: str) -> torch.Tensor:
    """Return ``values`` as a tensor (numpy arrays and lists are converted, tensors pass through)."""
    if isinstance(values, torch.Tensor):
        return values
    try:
        return torch.as_tensor(np.asarray(values), device="cpu")
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected a tensor or numpy array, got {type(values).__name__}") from error


def as_score_array(values: ArrayLike, name: str) -> np.ndarray:
    """Flatten a tensor or array of scores into a non-empty, finite float64 numpy vector."""
    if isinstance(values, torch.Tensor):
        array = values.detach().cpu().double().numpy()
    else:
        array = np.asarray(values, dtype=np.float64)
    array = array.reshape(-1)
    if array.size == 0:
        raise ValueError(f"{name}: expected at least one score, got an empty input")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: scores must be finite (found NaN or inf)")
    return array


def check_logits(logits: torch.Tensor, name: str = "logits") -> None:
    """Require a floating tensor shaped ``(N, C, *)`` with the class dimension at 1."""
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {logits.dtype}")
    if logits.ndim < 2:
        raise ValueError(f"{name}: expected shape (N, C) or (N, C, d1, ...), got {tuple(logits.shape)}")
    if logits.shape[1] < 1:
        raise ValueError(f"{name}: expected at least one class (C >= 1), got shape {tuple(logits.shape)}")


def check_targets(targets: torch.Tensor, num_classes: int, expected_shape: torch.Size, name: str = "targets") -> None:
    """Require integer class indices in ``[0, num_classes)`` shaped ``expected_shape``."""
    if targets.is_floating_point() or targets.is_complex() or targets.dtype == torch.bool:
        raise TypeError(f"{name}: expected integer class indices, got dtype {targets.dtype}")
    if targets.shape != expected_shape:
        raise ValueError(f"{name}: expected shape {tuple(expected_shape)}, got {tuple(targets.shape)}")
    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= num_classes):
        raise ValueError(
            f"{name}: class indices must lie in [0, {num_classes}), "
            f"found values in [{int(targets.min())}, {int(targets.max())}]"
        )


def predictions_and_targets(
    logits_or_preds: ArrayLike, targets: ArrayLike, num_classes: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Turn logits ``(N, C, *)`` or class predictions ``(N, *)`` plus targets ``(N, *)`` into flat index vectors.

    Returns ``(predictions, targets, num_classes)`` with both vectors flattened to ``(M,)``.
    ``num_classes`` is taken from the logits' class dimension when logits are given, otherwise from
    the argument, otherwise from ``max(predictions, targets) + 1``.
    """
    scores = as_tensor(logits_or_preds, "logits_or_preds")
    labels = as_tensor(targets, "targets")
    if scores.is_floating_point():
        check_logits(scores, "logits_or_preds")
        if num_classes is not None and num_classes != scores.shape[1]:
            raise ValueError(
                f"num_classes: logits have {scores.shape[1]} classes along dim 1, but num_classes={num_classes}"
            )
        num_classes = scores.shape[1]
        expected_shape = scores.shape[:1] + scores.shape[2:]
        predictions = scores.argmax(dim=1)
    else:
        if scores.is_complex() or scores.dtype == torch.bool:
            raise TypeError(f"logits_or_preds: expected logits or integer predictions, got dtype {scores.dtype}")
        predictions = scores
        expected_shape = scores.shape
        if num_classes is None:
            num_classes = int(max(int(scores.max()) if scores.numel() else -1,
                                  int(labels.max()) if labels.numel() else -1)) + 1
    if num_classes < 1:
        raise ValueError(f"num_classes: expected at least 1 class, got {num_classes}")
    check_targets(labels, num_classes, expected_shape)
    if predictions.numel() and (int(predictions.min()) < 0 or int(predictions.max()) >= num_classes):
        raise ValueError(f"logits_or_preds: predicted class indices must lie in [0, {num_classes})")
    if labels.numel() == 0:
        raise ValueError("targets: expected at least one sample, got an empty input")
    return predictions.reshape(-1).cpu(), labels.reshape(-1).cpu(), num_classes
