"""Per-test-item results, so that a fixed test set's own sampling error can be measured.

On a benchmark whose test set is fixed (CIFAR-10, VOC), every seed of every loss is scored
on the *same* test items, so the seed-to-seed spread of a paired difference leaves out the
test set's own sampling error (Bouthillier et al., MLSys 2021). Each runner therefore
stores, beside its rows, what its headline metric (and any other metric a claim reads) is
made of, item by item; :func:`metric_from_items` recomputes the metric from any resample
of the items, and :func:`standard_error_over_items` bootstraps the test items, resampled
*jointly* for every seed and both losses (the same resampled test set for all), to give
the standard error that the test set adds to a mean paired difference.

Item records are stored in a run's artifacts under ``items|<condition>|<metric>|<field>``
(:func:`item_artifacts`); the fields say how the metric is made:

- ``correct`` ``(N,)`` (0/1, or a fraction of conditions) -> the mean (accuracy);
- ``correct`` and ``group`` ``(N,)`` -> the mean over groups of each group's mean
  (balanced accuracy: groups are classes; continual average accuracy: groups are tasks);
- ``score`` and ``is_known`` ``(N,)`` -> AUROC with the known items as positives;
- ``intersection`` and ``union`` ``(N, C)`` per image and class -> mIoU, the mean over
  classes with a non-empty total union of ``sum_n I / sum_n U`` (Pascal VOC).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from scipy import stats as scipy_stats

ITEM_PREFIX = "items"
_SEPARATOR = "|"
ItemRecord = dict[str, np.ndarray]


def item_artifacts(condition: str, metric: str, **fields: np.ndarray | torch.Tensor) -> dict[str, np.ndarray]:
    """Artifacts holding the item record of ``metric`` under ``condition`` (see module doc)."""
    stored = {}
    for name, values in fields.items():
        array = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
        if array.dtype == bool:
            array = array.astype(np.uint8)
        elif array.dtype.kind == "f":
            array = array.astype(np.float32)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64 if np.abs(array).max(initial=0) > 2**31 - 1 else np.int32)
        stored[_SEPARATOR.join((ITEM_PREFIX, condition, metric, name))] = array
    return stored


def item_records(artifacts: Mapping[str, np.ndarray]) -> dict[tuple[str, str], ItemRecord]:
    """``{(condition, metric): {field: array}}`` of the item records among ``artifacts``."""
    records: dict[tuple[str, str], ItemRecord] = {}
    for key, array in artifacts.items():
        parts = key.split(_SEPARATOR)
        if len(parts) == 4 and parts[0] == ITEM_PREFIX:
            records.setdefault((parts[1], parts[2]), {})[parts[3]] = array
    return records


def correct_items(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``(N,)`` 0/1: whether each item's arg-max class is its target."""
    return (logits.argmax(dim=1) == targets).to(torch.uint8)


def segmentation_items(logits: torch.Tensor, targets: torch.Tensor, num_classes: int,
                       ignore_index: int | None) -> dict[str, torch.Tensor]:
    """Per-image intersection and union of each class: ``{"intersection", "union"}`` ``(N, C)``.

    ``logits`` ``(N, C, H, W)``, ``targets`` ``(N, H, W)``; pixels whose target is
    ``ignore_index`` take no part (as in :func:`hemlab.metrics.segmentation_metrics`).
    """
    predictions = logits.argmax(dim=1).reshape(len(logits), -1)
    labels = targets.reshape(len(targets), -1)
    scored = labels != ignore_index if ignore_index is not None else torch.ones_like(labels, dtype=torch.bool)
    classes = torch.arange(num_classes, device=labels.device).view(1, -1, 1)
    predicted = (predictions.unsqueeze(1) == classes) & scored.unsqueeze(1)
    true = (labels.unsqueeze(1) == classes) & scored.unsqueeze(1)
    return {"intersection": (predicted & true).sum(dim=2), "union": (predicted | true).sum(dim=2)}


def _mean_over_groups(correct: np.ndarray, group: np.ndarray) -> float:
    groups, inverse = np.unique(group, return_inverse=True)
    totals = np.bincount(inverse, weights=correct, minlength=len(groups))
    counts = np.bincount(inverse, minlength=len(groups))
    return float(np.mean(totals / counts))


def metric_from_items(record: Mapping[str, np.ndarray], index: np.ndarray | None = None) -> float:
    """The metric of an item ``record`` (see module doc), on the items ``index`` (default all)."""
    def pick(name: str) -> np.ndarray:
        values = np.asarray(record[name])
        return values if index is None else values[index]

    if "intersection" in record:
        intersection, union = pick("intersection").sum(axis=0), pick("union").sum(axis=0)
        present = union > 0
        return float(np.mean(intersection[present] / union[present])) if present.any() else float("nan")
    if "score" in record:
        known = pick("is_known").astype(bool)
        positives, negatives = int(known.sum()), int((~known).sum())
        if positives == 0 or negatives == 0:
            return float("nan")
        ranks = scipy_stats.rankdata(pick("score"))   # Mann-Whitney: AUROC = U / (n+ n-)
        return float((ranks[known].sum() - positives * (positives + 1) / 2) / (positives * negatives))
    if "group" in record:
        return _mean_over_groups(pick("correct").astype(float), pick("group"))
    if "correct" in record:
        return float(np.mean(pick("correct")))
    raise ValueError(f"record: expected fields correct, score/is_known or intersection/union, got {sorted(record)}")


def _item_count(record: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(record.values())))


def standard_error_over_items(subject: Sequence[Mapping[str, np.ndarray]],
                              comparator: Sequence[Mapping[str, np.ndarray]], *, n_resamples: int = 300,
                              seed: int = 0) -> float:
    """Standard error that the test set's sampling adds to the mean paired difference.

    ``subject[s]`` and ``comparator[s]`` are the item records of seed ``s`` (paired), all on
    the same test items. The statistic ``mean_s [m(subject_s) - m(comparator_s)]`` is
    recomputed on bootstrap resamples of the test items, one resample shared by every seed
    and both losses (scipy.stats.bootstrap); its standard error is returned (NaN when the
    records disagree in length or are empty).
    """
    if not subject or len(subject) != len(comparator):
        return float("nan")
    count = _item_count(subject[0])
    if count == 0 or any(_item_count(record) != count for record in (*subject, *comparator)):
        return float("nan")
    mean_type = all(set(record) == {"correct"} for record in (*subject, *comparator))
    if mean_type:
        # The metric is a plain mean over items, so the statistic is the mean of one vector.
        per_item = np.mean([np.asarray(s["correct"], float) - np.asarray(c["correct"], float)
                            for s, c in zip(subject, comparator)], axis=0)
        data: tuple = (per_item,)
        statistic: Callable = np.mean
        vectorized = True
    else:
        data = (np.arange(count),)

        def statistic(index: np.ndarray) -> float:
            return float(np.mean([metric_from_items(s, index) - metric_from_items(c, index)
                                  for s, c in zip(subject, comparator)]))
        vectorized = False
    result = scipy_stats.bootstrap(data, statistic, n_resamples=n_resamples, vectorized=vectorized,
                                   method="percentile", rng=np.random.default_rng(seed))
    return float(result.standard_error)


__all__ = ["ITEM_PREFIX", "correct_items", "item_artifacts", "item_records", "metric_from_items",
           "segmentation_items", "standard_error_over_items"]
