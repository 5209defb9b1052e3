"""Evaluation metrics for every hemlab task; docs/conventions.md states their conventions.

Result keys are snake_case, fit for table columns:

- ``ood``: :func:`ood_scores` (higher = more likely known), :func:`ood_metrics`
  (``auroc``, ``aupr_in``, ``aupr_out``, ``fpr95``);
- ``continual``: :func:`continual_metrics` (``average_accuracy``, ``forgetting``, ``bwt``);
- ``segmentation``: :func:`segmentation_metrics` (``miou``, ``pixel_accuracy``) and its
  confusion-matrix parts;
- ``classification``: :func:`accuracy`, :func:`per_class_accuracy`, :func:`balanced_accuracy`,
  :func:`shot_accuracy`;
- ``calibration``: :func:`expected_calibration_error`;
- ``margins``: :func:`classification_margins`, :func:`logit_norms`.

Robust accuracy under attack lives in :mod:`hemlab.attacks`.
"""
from hemlab.metrics.calibration import expected_calibration_error
from hemlab.metrics.classification import accuracy, balanced_accuracy, per_class_accuracy, shot_accuracy
from hemlab.metrics.continual import continual_metrics
from hemlab.metrics.margins import classification_margins, logit_norms
from hemlab.metrics.ood import OOD_METHODS, ood_metrics, ood_scores
from hemlab.metrics.segmentation import (
    segmentation_confusion_matrix,
    segmentation_metrics,
    segmentation_metrics_from_confusion,
)

__all__ = [
    "OOD_METHODS",
    "accuracy",
    "balanced_accuracy",
    "classification_margins",
    "continual_metrics",
    "expected_calibration_error",
    "logit_norms",
    "ood_metrics",
    "ood_scores",
    "per_class_accuracy",
    "segmentation_confusion_matrix",
    "segmentation_metrics",
    "segmentation_metrics_from_confusion",
    "shot_accuracy",
]
