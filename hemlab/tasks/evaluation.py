"""Measurements every classification runner takes the same way: clean accuracy and
calibration with its per-item record, the capped logits artifact, and the training rows."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from torch import Tensor
from torch.utils.data import Dataset

from hemlab.metrics import accuracy, expected_calibration_error
from hemlab.tasks.fit import Fit, RunContext
from hemlab.tasks.item_records import correct_items, item_artifacts
from hemlab.tasks.result import Rows, RunResult, capped
from hemlab.train import predict


def clean_evaluation(fit: Fit, test_set: Dataset, rows: Rows, context: RunContext,
                     condition: str = "clean") -> tuple[Tensor, Tensor, dict[str, np.ndarray]]:
    """Predict ``test_set``; add ``accuracy`` and ``ece`` under ``condition``; return
    ``(logits, targets, artifacts)`` with the capped float16 ``logits`` and ``targets`` and the
    accuracy's per-item record (:mod:`hemlab.tasks.item_records`)."""
    logits, targets = predict(fit.model, test_set)
    rows.add(condition, accuracy=accuracy(logits, targets), ece=expected_calibration_error(logits, targets))
    cap = context.settings.logits_cap
    return logits, targets, {"logits": capped(logits, cap, np.float16), "targets": capped(targets, cap, np.int64),
                             **item_artifacts(condition, "accuracy", correct=correct_items(logits, targets))}


def finish(rows: Rows, fits: Sequence[Fit], artifacts: dict[str, np.ndarray]) -> RunResult:
    """Add the ``training`` rows (total ``train_seconds``; ``epochs_to_target`` of the first
    stage) and pack the result; the history is every stage's, with a ``stage`` column."""
    rows.add("training", train_seconds=sum(fit.seconds for fit in fits), epochs_to_target=fits[0].epochs_to_target)
    history = [{"stage": stage, **record} for stage, fit in enumerate(fits)
               for record in fit.history.to_dict(orient="records")]
    return RunResult(rows=rows.records, artifacts=artifacts, history=history)
