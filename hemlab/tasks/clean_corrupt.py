"""Clean and corrupted classification (paper claim 1: CE slightly better than HEM).

Trains on the clean training set, then measures test accuracy and ECE on the clean test
set and accuracy under each corruption at each severity (CIFAR-10-C style), with their mean
as condition ``"corrupted"``.
"""
from __future__ import annotations

import numpy as np

from hemlab.data import corrupt_dataset
from hemlab.metrics import accuracy
from hemlab.tasks.fit import RunContext, fit_on_dataset
from hemlab.tasks.measure import clean_evaluation, finish
from hemlab.tasks.result import RunResult, Rows, format_condition
from hemlab.tasks.spec import RunSpec
from hemlab.train import predict


def run_clean_corrupt(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    fitted, _, test_set = fit_on_dataset(spec, context)
    rows = Rows()
    _, _, artifacts = clean_evaluation(fitted, test_set, rows, context)
    corrupted_accuracies = []
    for corruption in settings.corruptions:
        for severity in settings.severities:
            corrupted = corrupt_dataset(test_set, corruption, severity, seed=spec.seed)
            value = accuracy(*predict(fitted.model, corrupted))
            rows.add(format_condition(corruption=corruption, severity=severity), accuracy=value)
            corrupted_accuracies.append(value)
    if corrupted_accuracies:
        rows.add("corrupted", accuracy=float(np.mean(corrupted_accuracies)))
    return finish(rows, [fitted], artifacts)
