"""Imbalanced data (paper claim 4: logit-adjusted best; HEM better than CE).

For each imbalance ratio ``r`` of the preset, the model trains on a long-tailed subset of
the training set (class ``c`` keeps ``n_max * r^(-c/(C-1))`` samples) and is tested on the
balanced test set: accuracy, balanced accuracy and many/medium/few-shot accuracy (classes
grouped by training size with the preset's ``shot_thresholds``). The logit-adjusted loss
gets the long-tailed class counts. Artifacts hold the last ratio's counts and logits, and
every ratio's per-item records (correctness with the item's class, for balanced accuracy).
"""
from __future__ import annotations

from hemlab.data import long_tailed
from hemlab.metrics import balanced_accuracy, shot_accuracy
from hemlab.tasks.declaration import CLASS_FREQUENCY_HEM, EVERY_OTHER, Claim, Headline, TaskInfo, register_task
from hemlab.tasks.evaluation import clean_evaluation, finish
from hemlab.tasks.fit import RunContext, build_model, fit, load_data, num_classes_of
from hemlab.tasks.item_records import ITEM_PREFIX, correct_items, item_artifacts
from hemlab.tasks.result import Rows, RunResult, format_condition
from hemlab.tasks.spec import RunSpec


def run_imbalanced(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    train_set, test_set = load_data(spec, settings)
    num_classes = num_classes_of(spec, settings)
    many, few = settings.shot_thresholds
    rows, fits, artifacts, items = Rows(), [], {}, {}
    for ratio in settings.imbalance_ratios:
        condition = format_condition(ratio=float(ratio))
        subset, counts = long_tailed(train_set, ratio, seed=spec.seed)
        fitted = fit(spec, context, build_model(spec, settings, num_classes), subset, test_set,
                     num_classes=num_classes, stage=condition)
        logits, targets, artifacts = clean_evaluation(fitted, test_set, rows, context, condition=condition)
        items.update({key: value for key, value in artifacts.items() if key.startswith(ITEM_PREFIX)})
        items.update(item_artifacts(condition, "balanced_accuracy", correct=correct_items(logits, targets),
                                    group=targets))
        shots = shot_accuracy(logits, targets, counts, many=many, few=few)
        rows.add(condition, balanced_accuracy=balanced_accuracy(logits, targets), many_shot=shots["many"],
                 medium_shot=shots["medium"], few_shot=shots["few"])
        artifacts["class_counts"] = counts.numpy()
        fits.append(fitted)
    return finish(rows, fits, {**artifacts, **items})


register_task(TaskInfo(
    "imbalanced", "long-tailed training, balanced test set", "logit-adjusted best; HEM better than CE", run_imbalanced,
    headline=Headline("ratio=100", "balanced_accuracy", "the harder imbalance ratio, balanced test set"),
    claims=(
        Claim("4", "Imbalanced data: HEM better than CE", "imbalanced", "hem", "ce", "better"),
        Claim("4b", "Imbalanced data: logit-adjusted best of all", "imbalanced", "la", EVERY_OTHER, "best"),
        Claim("4c", "Imbalanced data: HEM with class-frequency margins better than CE", "imbalanced",
              CLASS_FREQUENCY_HEM, "ce", "better"),
    ),
    with_hem=(CLASS_FREQUENCY_HEM,)))
