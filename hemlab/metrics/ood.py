"""Unknown-class rejection (out-of-distribution detection): confidence scores and their metrics.

A detector accepts a sample as *known* (in-distribution, ID) when its confidence is at least a
threshold. Every score here is oriented so that **higher = more likely known**.

References: Hendrycks & Gimpel 2017 (MSP, AUROC/AUPR protocol); Hendrycks et al. 2022 (max logit);
Liu et al. 2020 (energy score); Davis & Goadrich 2006 (precision-recall curves).
"""
from __future__ import annotations

from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F

from hemlab.checks import Interval, Options, check
from hemlab.metrics._inputs import ArrayLike, as_score_array, check_logits

OOD_METHODS = ("msp", "maxlogit", "energy", "entropy")

_FPR_TPR_PERCENT = 95


def ood_scores(logits: torch.Tensor, method: str = "msp", *, temperature: float = 1.0) -> torch.Tensor:
    """Confidence that each sample is known, from its logits; higher = more likely in-distribution.

    Every score is oriented the same way, **higher = more likely known**, so a detector
    accepts a sample when its score is at least a threshold.

    Args:
        logits: ``(N, C)`` or dense ``(N, C, d1, ...)``; the class dimension is 1.
        method: one of

            - ``"msp"``: maximum softmax probability, ``max_j softmax(z)_j``;
            - ``"maxlogit"``: maximum logit, ``max_j z_j``;
            - ``"energy"``: negative free energy at temperature ``T``,
              ``T * logsumexp_j (z_j / T)`` (Liu et al. 2020);
            - ``"entropy"``: negative entropy of the softmax, ``sum_j p_j log p_j``.
        temperature: ``T > 0`` of the energy score (default 1); only ``"energy"`` takes one.

    Returns:
        ``(N,)`` (or ``(N, d1, ...)``) tensor of confidences, same dtype as ``logits``.
    """
    check("method", method, Options(*OOD_METHODS))
    temperature = check("temperature", temperature, Interval(Real, 0, None, closed="neither"))
    if temperature != 1.0 and method != "energy":
        raise ValueError(f"temperature: only method='energy' takes a temperature, got temperature={temperature!r} "
                         f"with method={method!r}")
    check_logits(logits)
    if method == "msp":
        return logits.softmax(dim=1).amax(dim=1)
    if method == "maxlogit":
        return logits.amax(dim=1)
    if method == "energy":
        return logits.logsumexp(dim=1) if temperature == 1.0 else (logits / temperature).logsumexp(dim=1) * temperature
    log_probs = F.log_softmax(logits, dim=1)
    return (log_probs.exp() * log_probs).sum(dim=1)


def _auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative) + 0.5 P(equal), via the Mann-Whitney U statistic."""
    scores = np.concatenate([positive, negative])
    unique, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts + 1
    average_rank = first_rank + (counts - 1) / 2.0
    positive_rank_sum = average_rank[inverse[: positive.size]].sum()
    u_statistic = positive_rank_sum - positive.size * (positive.size + 1) / 2.0
    return float(u_statistic / (positive.size * negative.size))


def _average_precision(positive: np.ndarray, negative: np.ndarray) -> float:
    """Area under the step-wise precision-recall curve: ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds."""
    scores = np.concatenate([positive, negative])
    is_positive = np.concatenate([np.ones(positive.size), np.zeros(negative.size)])
    order = np.argsort(-scores, kind="mergesort")
    scores, is_positive = scores[order], is_positive[order]
    last_of_each_threshold = np.append(np.flatnonzero(np.diff(scores)), scores.size - 1)
    true_positives = np.cumsum(is_positive)[last_of_each_threshold]
    accepted = last_of_each_threshold + 1.0
    precision = true_positives / accepted
    recall = true_positives / positive.size
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def _fpr_at_95_tpr(id_conf: np.ndarray, ood_conf: np.ndarray) -> float:
    """Fraction of OOD scores ``>= t``, ``t`` = the ``ceil(0.95 n)``-th largest of the ``n`` ID scores."""
    needed = -(-_FPR_TPR_PERCENT * id_conf.size // 100)
    threshold = np.sort(id_conf)[::-1][needed - 1]
    return float(np.mean(ood_conf >= threshold))


def ood_metrics(id_conf: ArrayLike, ood_conf: ArrayLike) -> dict[str, float]:
    """Threshold-free and 95%-recall metrics for separating known (ID) from unknown (OOD) samples.

    Args:
        id_conf: confidences of in-distribution samples, any shape (flattened), tensor or numpy.
        ood_conf: confidences of out-of-distribution samples, any shape (flattened).
            Both follow :func:`ood_scores`' convention: higher = more likely known.

    Returns:
        A dict with

        - ``"auroc"``: area under the ROC curve with ID as the positive class,
          ``P(s_id > s_ood) + 0.5 P(s_id = s_ood)``; swapping the two arguments gives ``1 - auroc``.
        - ``"aupr_in"``: average precision with ID positive and score ``s``, the step-wise
          ``sum_k (R_k - R_{k-1}) P_k`` over the distinct score thresholds (as scikit-learn's
          ``average_precision_score``; no trapezoids, no interpolation).
        - ``"aupr_out"``: the same with OOD positive and score ``-s``.
        - ``"fpr95"``: false-positive rate at 95% true-positive rate, with **ID as the positive
          class**: the fraction of OOD samples accepted at the threshold that accepts 95% of ID
          samples. A sample is accepted when ``s >= t``; ``t`` is the highest threshold accepting at
          least 95% of the ID samples, i.e. the ``ceil(0.95 * n_id)``-th largest ID score. Samples
          tied with ``t`` are accepted, ID and OOD alike (so the ID acceptance can exceed 95% when
          there are ties). Lower is better.

    All values lie in ``[0, 1]``.
    """
    id_values = as_score_array(id_conf, "id_conf")
    ood_values = as_score_array(ood_conf, "ood_conf")
    return {
        "auroc": _auroc(id_values, ood_values),
        "aupr_in": _average_precision(id_values, ood_values),
        "aupr_out": _average_precision(-ood_values, -id_values),
        "fpr95": _fpr_at_95_tpr(id_values, ood_values),
    }
