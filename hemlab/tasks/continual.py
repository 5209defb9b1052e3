"""Class-incremental continual learning (paper claim 5: HEM best; LogitNorm much poorer).

The classes are split into ``n_tasks`` groups learned one after another by one model with
a single head and no task id at test time. Each protocol of the preset's ``protocols``
trains its own model from the same initial weights:

- ``replay`` (the default and the headline): experience replay, the standard
  class-incremental baseline (as in Avalanche's replay strategy): a buffer of
  ``replay_per_class`` seeded training samples of every earlier class joins each later stage;
- ``finetune``: plain fine-tuning on each stage's classes only.

After each stage ``i`` the accuracy on every task ``j``'s test classes fills ``R[i, j]``;
each stage trains for the preset's epochs, enough to learn its own task (the diagonal), so
the lower triangle shows forgetting rather than under-training. Rows:
``protocol=P;step=I;task=J`` (accuracy), ``protocol=P`` (average accuracy, forgetting,
backward transfer of the final row). Artifacts: ``accuracy_matrix`` (replay) and
``accuracy_matrix_finetune``, and per-item records of the final model's correctness with
each item's task (for average accuracy).

The class-informed losses (logit-adjusted, and HEM with ``margins=frequency``) need class
counts within a stage; ``la_prior`` chooses them, for both:
``"stage"`` (default) the counts of the stage's own training data (replayed samples
included), ``"seen"`` the full training counts of every class seen so far. Classes absent
from the counts get count 1 (add-one smoothing, since ``log 0`` is undefined): their prior
is tiny, so LA pushes their logits down while the stage trains, much like masking them; HEM
gives such a class a large margin, which no sample of the stage uses (none has that class).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset, Subset

from hemlab.data import class_counts, dataset_targets, split_classes, subset_classes
from hemlab.losses import uses_class_counts
from hemlab.metrics import accuracy, continual_metrics
from hemlab.tasks.declaration import CLASS_FREQUENCY_HEM, EVERY_OTHER, MUCH, Claim, Headline, TaskInfo, register_task
from hemlab.tasks.evaluation import clean_evaluation, finish
from hemlab.tasks.fit import Fit, RunContext, build_model, fit, load_data, num_classes_of
from hemlab.tasks.item_records import correct_items, item_artifacts
from hemlab.tasks.result import Rows, RunResult, format_condition
from hemlab.tasks.settings import LA_PRIORS
from hemlab.tasks.spec import RunSpec
from hemlab.train import predict


def replay_buffer(train_set: Dataset, classes: list[int], per_class: int, seed: int) -> Subset:
    """``per_class`` seeded random training samples of each class in ``classes``."""
    targets = dataset_targets(train_set).cpu()
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in classes:
        members = torch.nonzero(targets == label).flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator, device="cpu")[:per_class]])
    return Subset(train_set, torch.cat(chosen).sort().values.tolist())


def stage_prior_counts(la_prior: str, stage_train: Dataset, train_set: Dataset, seen: list[int],
                       num_classes: int) -> torch.Tensor:
    """``(C,)`` class counts for the logit-adjusted loss in one stage (see module doc)."""
    if la_prior == "stage":
        counts = class_counts(dataset_targets(stage_train), num_classes)
    elif la_prior == "seen":
        full = class_counts(dataset_targets(train_set), num_classes)
        counts = torch.zeros_like(full)
        counts[seen] = full[seen]
    else:
        raise ValueError(f"la_prior: expected one of {', '.join(LA_PRIORS)}, got {la_prior!r}")
    return torch.where(counts > 0, counts, torch.ones_like(counts))


def _train_protocol(spec: RunSpec, context: RunContext, protocol: str, train_set: Dataset,
                    groups: list[list[int]], task_tests: list[Dataset], num_classes: int
                    ) -> tuple[torch.nn.Module, np.ndarray, list[Fit]]:
    """Train one model through every stage under ``protocol``; return it, ``R`` and the fits."""
    settings = context.settings
    model = build_model(spec, settings, num_classes)
    matrix = np.zeros((len(groups), len(groups)))
    fits = []
    for stage, classes in enumerate(groups):
        stage_train: Dataset = subset_classes(train_set, classes)
        earlier = [label for group in groups[:stage] for label in group]
        if protocol == "replay" and settings.replay_per_class and earlier:
            stage_train = ConcatDataset([stage_train, replay_buffer(train_set, earlier, settings.replay_per_class,
                                                                    spec.seed)])
        counts = None
        if uses_class_counts(spec.loss, spec.loss_options):
            counts = stage_prior_counts(settings.la_prior, stage_train, train_set, earlier + list(classes),
                                        num_classes)
        fits.append(fit(spec, context, model, stage_train, task_tests[stage], num_classes=num_classes,
                        stage=f"{protocol}-task{stage}", prior_counts=counts))
        for task, task_test in enumerate(task_tests):
            matrix[stage, task] = accuracy(*predict(model, task_test))
    return model, matrix, fits


def run_continual(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    train_set, test_set = load_data(spec, settings)
    num_classes = num_classes_of(spec, settings)
    groups = split_classes(num_classes, settings.n_tasks, seed=None)
    task_tests = [subset_classes(test_set, classes) for classes in groups]
    task_of_class = {label: task for task, classes in enumerate(groups) for label in classes}
    rows, artifacts, all_fits = Rows(), {}, []
    for protocol in settings.protocols:
        model, matrix, fits = _train_protocol(spec, context, protocol, train_set, groups, task_tests, num_classes)
        for stage in range(len(groups)):
            for task in range(len(groups)):
                rows.add(format_condition(protocol=protocol, step=stage, task=task), accuracy=matrix[stage, task])
        condition = format_condition(protocol=protocol)
        rows.add_all(condition, continual_metrics(matrix))
        logits, targets = predict(model, test_set)
        artifacts.update(item_artifacts(condition, "average_accuracy", correct=correct_items(logits, targets),
                                        group=np.array([task_of_class[int(label)] for label in targets])))
        artifacts["accuracy_matrix" if protocol == "replay" else f"accuracy_matrix_{protocol}"] = matrix
        if protocol == settings.protocols[0]:
            _, _, clean = clean_evaluation(fits[-1], test_set, rows, context)
            artifacts.update(clean)
        all_fits.extend(fits)
    return finish(rows, all_fits, artifacts)


register_task(TaskInfo(
    "continual", "class-incremental learning without task ids", "HEM best; LogitNorm much poorer", run_continual,
    headline=Headline("protocol=replay", "average_accuracy",
                      "accuracy over all tasks after the last one, with experience replay (the "
                      "standard class-incremental baseline)"),
    claims=(
        Claim("5", "Continual learning: HEM best of all", "continual", "hem", EVERY_OTHER, "best"),
        Claim("5b", "Continual learning: LogitNorm much poorer than HEM", "continual", "logitnorm", "hem",
              "much_worse", bound=MUCH),
    ),
    with_hem=(CLASS_FREQUENCY_HEM,)))
