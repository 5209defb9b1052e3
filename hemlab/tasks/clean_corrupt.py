"""Clean and corrupted classification (paper claim 1: CE slightly better than HEM).

Trains on the clean training set (the split and the corrupted test sets are drawn once per
seed and shared by its losses: :mod:`hemlab.tasks.draws`), then measures test accuracy and ECE on the clean test
set and accuracy under each corruption at each severity (CIFAR-10-C style), with their mean
as condition ``"corrupted"``. Per-item records: clean correctness, and for each test item the
fraction of corruption conditions it survives (whose mean is the corrupted accuracy).
"""
from __future__ import annotations

import numpy as np

from hemlab.data import corrupt_dataset
from hemlab.metrics import accuracy
from hemlab.tasks.declaration import SLIGHT, Claim, Headline, TaskInfo, register_task
from hemlab.tasks.draws import shared_draw
from hemlab.tasks.evaluation import clean_evaluation, finish
from hemlab.tasks.fit import RunContext, data_key, fit_on_dataset
from hemlab.tasks.item_records import correct_items, item_artifacts
from hemlab.tasks.result import Rows, RunResult, format_condition
from hemlab.tasks.spec import RunSpec
from hemlab.train import predict


def run_clean_corrupt(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    fitted, _, test_set = fit_on_dataset(spec, context)
    rows = Rows()
    _, _, artifacts = clean_evaluation(fitted, test_set, rows, context)
    corrupted_accuracies, survived = [], []
    for corruption in settings.corruptions:
        for severity in settings.severities:
            corrupted = shared_draw(("corrupted", data_key(spec, settings), corruption, severity, spec.seed),
                                    lambda: corrupt_dataset(test_set, corruption, severity, seed=spec.seed))
            logits, targets = predict(fitted.model, corrupted)
            value = accuracy(logits, targets)
            rows.add(format_condition(corruption=corruption, severity=severity), accuracy=value)
            corrupted_accuracies.append(value)
            survived.append(correct_items(logits, targets).numpy())
    if corrupted_accuracies:
        rows.add("corrupted", accuracy=float(np.mean(corrupted_accuracies)))
        artifacts.update(item_artifacts("corrupted", "accuracy", correct=np.mean(survived, axis=0)))
    return finish(rows, [fitted], artifacts)


register_task(TaskInfo(
    "clean_corrupt", "clean and corrupted test accuracy", "CE slightly better than HEM", run_clean_corrupt,
    headline=Headline("clean", "accuracy", "the paper's main classification number"),
    claims=(
        Claim("1", "Clean accuracy: CE slightly better than HEM", "clean_corrupt", "hem", "ce", "slightly_worse",
              bound=SLIGHT),
        Claim("1b", "Corrupted accuracy: CE slightly better than HEM", "clean_corrupt", "hem", "ce", "slightly_worse",
              condition="corrupted", metric="accuracy", bound=SLIGHT),
        Claim("7b", "HEM reaches the target accuracy in fewer epochs than CE", "clean_corrupt", "hem", "ce", "better",
              condition="training", metric="epochs_to_target"),
    ),
    whole_dataset=True))
