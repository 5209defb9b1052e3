"""Semantic-segmentation metrics from a dataset-level confusion matrix (Pascal VOC convention).

Reference: Everingham et al. 2010 (Pascal VOC: per-class IoU ``TP / (TP + FP + FN)`` accumulated
over the whole dataset, averaged over classes). Pixels whose target is ``ignore_index``
(default ``IGNORE_INDEX = -100``; hemlab's VOC loader maps VOC's 255 to it) are not scored.
"""
from __future__ import annotations

import torch

from hemlab.metrics._inputs import ArrayLike, as_tensor
from hemlab.sentinels import IGNORE_INDEX


def segmentation_confusion_matrix(
    pred: ArrayLike, target: ArrayLike, num_classes: int, ignore_index: int | None = IGNORE_INDEX
) -> torch.Tensor:
    """Count ``(true class, predicted class)`` pairs over all scored pixels.

    Args:
        pred: predicted class indices ``(N, H, W)`` (any shape matching ``target``), or logits
            ``(N, C, H, W)`` with ``C == num_classes`` (a floating tensor one dimension larger than
            ``target``; the prediction is the argmax over dim 1).
        target: true class indices ``(N, H, W)`` in ``[0, num_classes)`` or ``ignore_index``.
        num_classes: number of classes ``C``.
        ignore_index: target label of pixels that are not scored (``None``: score every pixel).

    Returns:
        ``(C, C)`` int64 tensor ``M`` with ``M[t, p]`` = number of scored pixels of class ``t``
        predicted as ``p``. Confusion matrices of several batches can be summed and passed to
        :func:`segmentation_metrics_from_confusion`.
    """
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes: expected a positive int, got {num_classes!r}")
    predictions = as_tensor(pred, "pred")
    labels = as_tensor(target, "target")
    if labels.is_floating_point():
        raise TypeError(f"target: expected integer class indices, got dtype {labels.dtype}")
    if predictions.is_floating_point():
        if predictions.ndim != labels.ndim + 1 or predictions.shape[1] != num_classes:
            raise ValueError(
                f"pred: floating pred is read as logits (N, C, ...) with C = num_classes = {num_classes} "
                f"and target shape (N, ...) = {tuple(labels.shape)}; got {tuple(predictions.shape)}"
            )
        predictions = predictions.argmax(dim=1)
    if predictions.shape != labels.shape:
        raise ValueError(f"pred: expected shape {tuple(labels.shape)} (like target), got {tuple(predictions.shape)}")
    predictions, labels = predictions.reshape(-1), labels.reshape(-1).to(predictions.device)
    scored = labels != ignore_index if ignore_index is not None else torch.ones_like(labels, dtype=torch.bool)
    for name, values in (("pred", predictions), ("target", labels[scored])):
        if values.numel() and (int(values.min()) < 0 or int(values.max()) >= num_classes):
            allowed = f"[0, {num_classes})" + (f" or ignore_index={ignore_index}" if name == "target" else "")
            raise ValueError(f"{name}: class indices must lie in {allowed}")
    # Imported here: torchmetrics takes longer to import than torch, and only this needs it.
    from torchmetrics.functional.classification import multiclass_confusion_matrix

    return multiclass_confusion_matrix(
        predictions, labels, num_classes, ignore_index=ignore_index, validate_args=False
    ).long()


def segmentation_metrics_from_confusion(
    confusion: torch.Tensor, *, ignore_index: int | None = None
) -> dict[str, float]:
    """mIoU and pixel accuracy of a ``(C, C)`` confusion matrix (rows = true class, columns = prediction).

    ``IoU_c = M[c, c] / (sum_p M[c, p] + sum_t M[t, c] - M[c, c])``; ``miou`` is the mean over the
    classes whose union is non-empty, i.e. classes absent from both prediction and target are
    left out of the mean (not counted as 0 or 1). When ``ignore_index`` is a class id
    (``0 <= ignore_index < C``) that class is left out of the mean too, as in torchmetrics'
    ``multiclass_jaccard_index``: its pixels were not scored, so only its false positives
    would count. ``pixel_accuracy = trace(M) / sum(M)``. Both are NaN when no pixel was scored.
    """
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion: expected a square (C, C) matrix, got shape {tuple(confusion.shape)}")
    counts = confusion.double()
    true_positives = counts.diagonal()
    union = counts.sum(dim=1) + counts.sum(dim=0) - true_positives
    present = union > 0
    if ignore_index is not None and 0 <= ignore_index < len(present):
        present[ignore_index] = False
    total = counts.sum()
    return {
        "miou": float((true_positives[present] / union[present]).mean()) if present.any() else float("nan"),
        "pixel_accuracy": float(true_positives.sum() / total) if total > 0 else float("nan"),
    }


def segmentation_metrics(
    pred: ArrayLike, target: ArrayLike, num_classes: int, ignore_index: int | None = IGNORE_INDEX
) -> dict[str, float]:
    """Mean IoU and pixel accuracy over all pixels of ``pred`` / ``target``.

    Arguments as in :func:`segmentation_confusion_matrix` (``pred`` = class indices ``(N, H, W)``
    or logits ``(N, C, H, W)``); pixels whose target is ``ignore_index`` take no part. The IoU of
    each class is accumulated over the whole input (dataset-level, as in Pascal VOC), not per
    image; classes absent from both prediction and target, and ``ignore_index`` when it is a
    class id, are excluded from the mean.

    Returns:
        ``{"miou": float, "pixel_accuracy": float}``, both in ``[0, 1]``.
    """
    return segmentation_metrics_from_confusion(
        segmentation_confusion_matrix(pred, target, num_classes, ignore_index=ignore_index),
        ignore_index=ignore_index,
    )
