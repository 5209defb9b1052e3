"""Calibration: does the model's confidence match its accuracy?

Reference: Guo et al. 2017, "On calibration of modern neural networks" (ECE with equal-width bins);
Naeini et al. 2015.
"""
from __future__ import annotations

import torch

from hemlab.metrics._inputs import check_logits, check_targets


def expected_calibration_error(logits: torch.Tensor, targets: torch.Tensor, n_bins: int = 15) -> float:
    """Expected calibration error of the max-softmax confidence.

    With confidence ``conf_i = max_j softmax(z_i)_j`` and prediction ``argmax_j z_ij``, the interval
    ``(0, 1]`` is cut into ``n_bins`` equal-width bins ``B_b = ((b-1)/n_bins, b/n_bins]``, closed
    on the right (a confidence of exactly ``b/n_bins`` falls in bin ``b``, as in Guo et al.), and::

        ECE = sum_b |B_b| / N * |acc(B_b) - conf(B_b)|,

    where ``acc`` and ``conf`` are the bin's mean correctness and mean confidence (empty bins
    contribute 0).

    Args:
        logits: ``(N, C)`` or dense ``(N, C, d1, ...)`` (every position is a sample).
        targets: class indices ``(N,)`` or ``(N, d1, ...)``.
        n_bins: number of equal-width confidence bins.

    Returns:
        ECE in ``[0, 1]``.
    """
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins: expected a positive int, got {n_bins!r}")
    check_logits(logits)
    check_targets(targets, logits.shape[1], logits.shape[:1] + logits.shape[2:])
    if targets.numel() == 0:
        raise ValueError("targets: expected at least one sample, got an empty input")
    probabilities = logits.detach().double().softmax(dim=1)
    confidence, predictions = probabilities.max(dim=1)
    confidence, correct = confidence.reshape(-1), (predictions == targets.to(predictions.device)).reshape(-1).double()
    bin_index = (torch.ceil(confidence * n_bins).long() - 1).clamp(0, n_bins - 1)
    correct_sum = torch.bincount(bin_index, weights=correct, minlength=n_bins)
    confidence_sum = torch.bincount(bin_index, weights=confidence, minlength=n_bins)
    return float((correct_sum - confidence_sum).abs().sum() / confidence.numel())
