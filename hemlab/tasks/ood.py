"""Unknown-class rejection (paper claim 2: HEM about equal to LogitNorm, both better than CE).

The model trains on the known classes only (the preset's ``held_out_classes`` are removed
and the rest relabelled ``0..K-1``). At test time each sample gets a confidence score
(``msp``, ``maxlogit``, ``energy``, ``entropy``; higher = more likely known), and the known
test samples are told apart from each unknown set: ``near`` (the held-out classes of the
same dataset) and the far sets (generated noise, blobs, permuted pixels, or another
dataset's test split, e.g. ``svhn`` in the paper preset). Per-item records: each score of
every known and unknown test item, per unknown set (AUROC is recomputed from them). The
split and the far sets are drawn once per seed and shared by its losses (:mod:`hemlab.tasks.draws`).
"""
from __future__ import annotations

import numpy as np
from torch.utils.data import Dataset

from hemlab.data import FAR_OOD_KINDS, dataset_info, hold_out_classes, load_dataset, make_far_ood
from hemlab.metrics import ood_metrics, ood_scores
from hemlab.tasks.declaration import Claim, Headline, TaskInfo, register_task
from hemlab.tasks.draws import shared_draw
from hemlab.tasks.evaluation import clean_evaluation, finish
from hemlab.tasks.fit import DATA_SPLIT_SEED, RunContext, build_model, data_key, fit, load_data, num_classes_of
from hemlab.tasks.item_records import item_artifacts
from hemlab.tasks.result import Rows, RunResult, capped, format_condition
from hemlab.tasks.spec import RunSpec
from hemlab.train import predict


def _unknown_sets(spec: RunSpec, context: RunContext, known_test: Dataset, near: Dataset) -> dict[str, Dataset]:
    """``near`` plus each far set: a generated kind, or the test split of a named dataset."""
    settings, sets = context.settings, {"near": near}
    count = min(len(known_test), 2000)
    for name in settings.far_ood:
        if name in FAR_OOD_KINDS:
            key = ("far_ood", data_key(spec, settings), settings.held_out_classes, name, count, spec.seed)
            sets[name] = shared_draw(key, lambda: make_far_ood(name, known_test, n_samples=count, seed=spec.seed))
        else:
            key = ("far_ood_dataset", name, dataset_info(name), DATA_SPLIT_SEED)
            sets[name] = shared_draw(key, lambda: load_dataset(name, seed=DATA_SPLIT_SEED)[1])
    return sets


def run_ood(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    train_set, test_set = load_data(spec, settings)
    known_train, _ = hold_out_classes(train_set, settings.held_out_classes)
    known_test, near = hold_out_classes(test_set, settings.held_out_classes)
    num_known = num_classes_of(spec, settings) - len(set(settings.held_out_classes))
    fitted = fit(spec, context, build_model(spec, settings, num_known), known_train, known_test,
                 num_classes=num_known)
    rows = Rows()
    id_logits, _, artifacts = clean_evaluation(fitted, known_test, rows, context)
    for set_name, unknown in _unknown_sets(spec, context, known_test, near).items():
        unknown_logits, _ = predict(fitted.model, unknown)
        artifacts[f"ood_logits_{set_name}"] = capped(unknown_logits, settings.logits_cap, np.float16)
        for score in settings.ood_scores:
            known_scores, unknown_scores = ood_scores(id_logits, score), ood_scores(unknown_logits, score)
            condition = format_condition(ood_set=set_name, score=score)
            rows.add_all(condition, ood_metrics(known_scores, unknown_scores))
            artifacts.update(item_artifacts(
                condition, "auroc", score=np.concatenate([known_scores.cpu().numpy(), unknown_scores.cpu().numpy()]),
                is_known=np.r_[np.ones(len(known_scores), bool), np.zeros(len(unknown_scores), bool)]))
    return finish(rows, [fitted], artifacts)


register_task(TaskInfo(
    "ood", "unknown-class rejection (held-out classes and far-OOD sets)",
    "HEM about equal to LogitNorm, both better than CE", run_ood,
    headline=Headline("ood_set=near;score=maxlogit", "auroc",
                      "held-out classes are the unknown-class task proper; the max logit is the raw "
                      "evidence a margin loss trains, and needs no temperature (AUROC depends only on "
                      "how a score ranks the samples; MSP and the others are shown beside it)"),
    claims=(
        Claim("2", "Unknown-class rejection: HEM better than CE", "ood", "hem", "ce", "better"),
        Claim("2b", "Unknown-class rejection: HEM about equal to LogitNorm", "ood", "hem", "logitnorm", "equivalent"),
        Claim("2c", "Unknown-class rejection: LogitNorm better than CE", "ood", "logitnorm", "ce", "better"),
    )))
