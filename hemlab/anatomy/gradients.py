"""What each loss does to the logits, by autograd through ``hemlab.losses`` (never a
hand-written formula); each function returns a tidy table that :mod:`hemlab.viz.anatomy` draws.

- :func:`logit_gradients`: ``dL/dz_j`` of one logit vector;
- :func:`rival_sweep`: the loss as one rival logit moves;
- :func:`true_logit_pull`: the gradient on the true logits of the samples still in error as
  more of a batch is solved (paper.md, section 1).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from hemlab.anatomy.criteria import REFERENCE_LOSSES, criterion_for, unique_names


def _check_single(logits: Sequence[float] | Tensor, target: int) -> Tensor:
    """One sample's logits as a float64 ``(C,)`` tensor, ``C >= 2``, and ``target`` a class index in ``[0, C)``."""
    logits = torch.as_tensor(logits, dtype=torch.float64)
    if logits.ndim != 1 or logits.numel() < 2:
        raise ValueError(f"logits: expected a 1-D vector of at least 2 class logits, got shape {tuple(logits.shape)}")
    if not isinstance(target, (int, np.integer)) or not 0 <= target < logits.numel():
        raise ValueError(f"target: expected a class index in [0, {logits.numel()}), got {target!r}")
    return logits


def logit_gradients(logits: Sequence[float] | Tensor, target: int, margin: float = 1.0,
                    loss_names: Iterable[str] = REFERENCE_LOSSES) -> pd.DataFrame:
    """Loss value and gradient ``dL/dz_j`` of one sample's logits ``z`` ``(C,)`` for each loss.

    The sample is a batch of one (``(1, C)`` logits, target ``(1,)``) with each loss's
    ``mean`` reduction. Returns one row per loss and class: ``loss``, ``class``, ``logit``,
    ``gradient``, ``loss_value``, ``is_target``. A positive gradient means gradient descent
    lowers that logit; the true logit gets a negative one (it is raised).
    """
    logits = _check_single(logits, target)
    rows = []
    for name in unique_names(loss_names):
        inputs = logits.clone().unsqueeze(0).requires_grad_(True)
        value = criterion_for(name, margin)(inputs, torch.tensor([int(target)]))
        (gradient,) = torch.autograd.grad(value, inputs)
        for index, (logit, grad) in enumerate(zip(logits.tolist(), gradient[0].tolist())):
            rows.append({"loss": name, "class": index, "logit": logit, "gradient": grad,
                         "loss_value": float(value.detach()), "is_target": index == target})
    return pd.DataFrame(rows)


def rival_sweep(logits: Sequence[float] | Tensor, target: int, rival: int, margin: float = 1.0,
                loss_names: Iterable[str] = REFERENCE_LOSSES, values: Sequence[float] | None = None) -> pd.DataFrame:
    """The loss of one sample as its rival logit ``z_rival`` takes each of ``values``.

    ``values`` defaults to 121 points on ``z_y - 3 .. z_y + 3``. Returns rows ``loss``,
    ``rival_logit``, ``loss_value``. For HEM and MM the loss starts to rise where
    ``z_rival = z_y - margin``; cross-entropy never reaches zero.
    """
    logits = _check_single(logits, target)
    if not isinstance(rival, (int, np.integer)) or not 0 <= rival < logits.numel() or rival == target:
        raise ValueError(f"rival: expected a class index in [0, {logits.numel()}) other than the target {target}, "
                         f"got {rival!r}")
    true_logit = float(logits[target])
    values = torch.as_tensor(np.linspace(true_logit - 3, true_logit + 3, 121) if values is None else values,
                             dtype=torch.float64)
    batch = logits.repeat(len(values), 1)
    batch[:, rival] = values
    targets = torch.full((len(values),), int(target))
    rows = []
    for name in unique_names(loss_names):
        losses = criterion_for(name, margin)
        per_point = [float(losses(batch[i:i + 1], targets[i:i + 1])) for i in range(len(values))]
        rows += [{"loss": name, "rival_logit": float(v), "loss_value": l} for v, l in zip(values, per_point)]
    return pd.DataFrame(rows)


def true_logit_pull(batch_size: int = 100, num_classes: int = 10, margin: float = 1.0,
                    loss_names: Iterable[str] = REFERENCE_LOSSES,
                    solved_fractions: Sequence[float] | None = None) -> pd.DataFrame:
    """How hard each loss pulls the true logits of the samples still in error, as more of a
    batch is solved.

    A batch of ``batch_size`` samples and ``num_classes`` classes: the solved samples have
    ``z_y = margin + 2`` and all rivals 0 (beyond the margin); each erroneous sample has
    ``z_y = 0``, one rival at ``margin / 2`` and the rest at ``-margin - 2`` (one
    violator). Returns rows ``loss``, ``solved_fraction``, ``per_sample`` (``|dL/dz_y|`` of
    one erroneous sample) and ``total`` (its sum over the erroneous samples). For HEM
    ``per_sample = 1 / |S|`` and ``total = 1`` whatever the fraction; for MM
    ``per_sample = 1 / (B C)``, so ``total`` shrinks to zero as samples are solved.
    """
    if not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError(f"batch_size: expected an integer >= 2, got {batch_size!r}")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes: expected an integer >= 2, got {num_classes!r}")
    fractions = np.linspace(0.0, 0.95, 20) if solved_fractions is None else np.asarray(solved_fractions, float)
    if fractions.size == 0 or fractions.min() < 0 or fractions.max() >= 1:
        raise ValueError("solved_fractions: expected values in [0, 1) so that some samples stay in error")
    target = torch.zeros(batch_size, dtype=torch.long)
    rows = []
    for fraction in fractions:
        solved = int(round(fraction * batch_size))
        logits = torch.full((batch_size, num_classes), -margin - 2.0, dtype=torch.float64)
        logits[:solved] = 0.0
        logits[:solved, 0] = margin + 2.0
        logits[solved:, 0] = 0.0
        logits[solved:, 1] = margin / 2
        for name in unique_names(loss_names):
            inputs = logits.clone().requires_grad_(True)
            (gradient,) = torch.autograd.grad(criterion_for(name, margin)(inputs, target), inputs)
            pull = -gradient[solved:, 0]
            rows.append({"loss": name, "solved_fraction": solved / batch_size,
                         "per_sample": float(pull.mean()), "total": float(pull.sum())})
    return pd.DataFrame(rows)
