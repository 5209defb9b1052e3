"""Logit margins and norms: how far each sample sits from the decision boundary, and how large its logits grow.

A margin loss such as HEM stops pushing once ``z_y - max_{j != y} z_j >= margin``, so its
margins pile up just above the margin and its logit norms stay bounded, whereas cross-entropy
keeps growing both (Spratling & Schuett, arXiv 2501.12191; Wei et al. 2022, LogitNorm).
"""
from __future__ import annotations

import torch

from hemlab.metrics._inputs import check_logits, check_targets


def classification_margins(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-sample margin ``z_y - max_{j != y} z_j``.

    Positive means correctly classified with that much room; negative means misclassified.

    Args:
        logits: ``(N, C)`` or dense ``(N, C, d1, ...)`` with ``C >= 2``; the class dimension is 1.
        targets: class indices ``(N,)`` or ``(N, d1, ...)``.

    Returns:
        Margins shaped like ``targets``, dtype of ``logits`` (differentiable).
    """
    check_logits(logits)
    if logits.shape[1] < 2:
        raise ValueError(f"logits: a margin needs at least 2 classes, got C = {logits.shape[1]}")
    check_targets(targets, logits.shape[1], logits.shape[:1] + logits.shape[2:])
    index = targets.to(logits.device).unsqueeze(1)
    true_logit = logits.gather(1, index).squeeze(1)
    rivals = logits.scatter(1, index, float("-inf"))
    return true_logit - rivals.amax(dim=1)


def logit_norms(logits: torch.Tensor) -> torch.Tensor:
    """L2 norm of each logit vector, ``||z||_2 = sqrt(sum_j z_j^2)`` over the class dimension.

    Args:
        logits: ``(N, C)`` or dense ``(N, C, d1, ...)``.

    Returns:
        ``(N,)`` or ``(N, d1, ...)`` tensor.
    """
    check_logits(logits)
    return torch.linalg.vector_norm(logits, ord=2, dim=1)
