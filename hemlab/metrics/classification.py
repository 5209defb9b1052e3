"""Classification accuracy, overall, per class, class-balanced and by training-set frequency.

Every function takes either logits ``(N, C)`` (or dense ``(N, C, d1, ...)``; the prediction is the
argmax over dim 1) or integer predictions shaped like ``targets``.

References: Brodersen et al. 2010 (balanced accuracy); Liu et al. 2019, "Large-scale long-tailed
recognition in an open world" (many / medium / few-shot split at 100 and 20 training images).
"""
from __future__ import annotations

import math

import torch

from hemlab.metrics._inputs import ArrayLike, as_tensor, check_logits, predictions_and_targets
from hemlab.sentinels import IGNORE_INDEX


def accuracy(
    logits_or_preds: ArrayLike, targets: ArrayLike, *, ignore_index: int | None = IGNORE_INDEX
) -> float:
    """Fraction of samples (positions) whose predicted class equals the target.

    Args:
        logits_or_preds: logits ``(N, C, *)`` or predicted class indices ``(N, *)``.
        targets: class indices ``(N, *)``.
        ignore_index: positions with this target are not scored (default ``IGNORE_INDEX``,
            -100, as the losses; ``None`` scores every position); NaN when none is left.
    """
    if ignore_index is not None:
        scores, labels = as_tensor(logits_or_preds, "logits_or_preds"), as_tensor(targets, "targets")
        if scores.is_floating_point():
            check_logits(scores, "logits_or_preds")
            scores = scores.movedim(1, -1)
        if labels.shape != scores.shape[: labels.ndim]:
            raise ValueError(f"targets: shape {tuple(labels.shape)} does not match logits_or_preds "
                             f"{tuple(as_tensor(logits_or_preds, 'logits_or_preds').shape)}")
        kept = labels != ignore_index
        if not bool(kept.any()):
            return math.nan
        # Logits become (M, C) rows and predictions (M,): the valid positions only.
        logits_or_preds, targets = scores[kept], labels[kept]
    predictions, labels, _ = predictions_and_targets(logits_or_preds, targets)
    return float((predictions == labels).double().mean())


def per_class_accuracy(
    logits_or_preds: ArrayLike, targets: ArrayLike, num_classes: int | None = None
) -> torch.Tensor:
    """Recall of each class: ``acc_c = #{i : y_i = c, pred_i = c} / #{i : y_i = c}``.

    Args:
        logits_or_preds: logits ``(N, C, *)`` or predicted class indices ``(N, *)``.
        targets: class indices ``(N, *)``.
        num_classes: ``C``; taken from the logits when given, else from this argument, else
            ``max(predictions, targets) + 1``.

    Returns:
        ``(C,)`` float64 tensor; NaN for classes with no sample in ``targets``.
    """
    predictions, labels, num_classes = predictions_and_targets(logits_or_preds, targets, num_classes)
    support = torch.bincount(labels, minlength=num_classes).double()
    hits = torch.bincount(labels[predictions == labels], minlength=num_classes).double()
    return torch.where(support > 0, hits / support.clamp_min(1), torch.full_like(support, math.nan))


def balanced_accuracy(logits_or_preds: ArrayLike, targets: ArrayLike) -> float:
    """Mean per-class recall over the classes present in ``targets`` (scikit-learn's ``balanced_accuracy_score``).

    ``balanced_accuracy = mean_{c in classes(targets)} acc_c`` with ``acc_c`` from
    :func:`per_class_accuracy`; on a balanced test set it equals :func:`accuracy`.
    """
    return float(per_class_accuracy(logits_or_preds, targets).nanmean())


def shot_accuracy(
    logits_or_preds: ArrayLike,
    targets: ArrayLike,
    train_class_counts: ArrayLike,
    many: int = 100,
    few: int = 20,
) -> dict[str, float]:
    """Accuracy on many-, medium- and few-shot classes of a long-tailed training set.

    Classes are grouped by their number of *training* samples ``n_c``:
    many-shot ``n_c > many``, medium-shot ``few <= n_c <= many``, few-shot ``n_c < few``
    (defaults 100 / 20 as in Liu et al. 2019; lower them for small embedded data). Each group's
    accuracy is the mean of :func:`per_class_accuracy` over its classes that occur in
    ``targets`` (equal to the sample accuracy on a balanced test set).

    Args:
        logits_or_preds: logits ``(N, C, *)`` or predicted class indices ``(N, *)``.
        targets: class indices ``(N, *)``.
        train_class_counts: ``(C,)`` training samples per class.
        many: classes with more than ``many`` training samples are many-shot.
        few: classes with fewer than ``few`` training samples are few-shot.

    Returns:
        ``{"many": float, "medium": float, "few": float}``; a group with no class (or whose
        classes have no test sample) is NaN.
    """
    if few > many:
        raise ValueError(f"few: expected few <= many, got few={few}, many={many}")
    counts = as_tensor(train_class_counts, "train_class_counts")
    if counts.ndim != 1:
        raise ValueError(f"train_class_counts: expected a 1-D (C,) vector, got shape {tuple(counts.shape)}")
    recall = per_class_accuracy(logits_or_preds, targets, num_classes=counts.numel())
    counts = counts.cpu()
    groups = {"many": counts > many, "medium": (counts >= few) & (counts <= many), "few": counts < few}
    return {name: float(recall[members].nanmean()) for name, members in groups.items()}
