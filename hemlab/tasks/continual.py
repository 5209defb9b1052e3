"""Class-incremental continual learning (paper claim 5: HEM best; LogitNorm much poorer).

The classes are split into ``n_tasks`` groups learned one after another by one model with
a single head and no task id at test time (plain fine-tuning; with ``replay_per_class > 0``
a small buffer of that many samples per earlier class joins each later stage). After each
stage ``i`` the accuracy on every task ``j``'s test classes fills ``R[i, j]``; the final
row gives average accuracy, forgetting and backward transfer.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset, Subset

from hemlab.data import DATASETS, dataset_targets, split_classes, subset_classes
from hemlab.metrics import accuracy, continual_metrics
from hemlab.tasks.fit import RunContext, build_model, fit, load_data
from hemlab.tasks.measure import clean_evaluation, finish
from hemlab.tasks.result import RunResult, Rows, format_condition
from hemlab.tasks.spec import RunSpec
from hemlab.train import predict


def replay_buffer(train_set: Dataset, classes: list[int], per_class: int, seed: int) -> Subset:
    """``per_class`` seeded random training samples of each class in ``classes``."""
    targets = dataset_targets(train_set).cpu()
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in classes:
        members = torch.nonzero(targets == label).flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return Subset(train_set, torch.cat(chosen).sort().values.tolist())


def run_continual(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    train_set, test_set = load_data(spec, settings)
    num_classes = DATASETS[spec.dataset].num_classes
    groups = split_classes(num_classes, settings.n_tasks, seed=None)
    task_tests = [subset_classes(test_set, classes) for classes in groups]
    model = build_model(spec, settings, num_classes)
    matrix = np.zeros((len(groups), len(groups)))
    fits = []
    for stage, classes in enumerate(groups):
        stage_train: Dataset = subset_classes(train_set, classes)
        seen = [label for group in groups[:stage] for label in group]
        if settings.replay_per_class and seen:
            stage_train = ConcatDataset([stage_train, replay_buffer(train_set, seen, settings.replay_per_class,
                                                                    spec.seed)])
        fits.append(fit(spec, context, model, stage_train, task_tests[stage], num_classes=num_classes,
                        stage=f"task{stage}"))
        for task, task_test in enumerate(task_tests):
            matrix[stage, task] = accuracy(*predict(model, task_test))
    rows = Rows()
    for stage in range(len(groups)):
        for task in range(len(groups)):
            rows.add(format_condition(step=stage, task=task), accuracy=matrix[stage, task])
    rows.add_all("final", continual_metrics(matrix))
    _, _, artifacts = clean_evaluation(fits[-1], test_set, rows, context)
    artifacts["accuracy_matrix"] = matrix
    return finish(rows, fits, artifacts)
