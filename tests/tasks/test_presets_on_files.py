"""Every task of the ``paper`` and ``colab`` presets, end to end through ``hemlab run``, on
tiny datasets in the real on-disk layouts (``tests/fake_files.py``): torchvision's readers,
hemlab's conversion, the preset's model and the task's evaluation, one epoch on a few images.
Nothing of hemlab is patched; only torchvision's MD5 check is bypassed (``fake_data_root``)."""
from __future__ import annotations

import pandas as pd
import pytest

from hemlab import cli
from hemlab.experiments import ResultStore
from hemlab.stats import headlines
from hemlab.tasks import TASK_NAMES, task_settings

TINY = ("train.epochs=1", "train.milestones=none", "train.batch_size=16", "checkpoints=false")
TASK_CHANGES = {
    "clean_corrupt": ("corruptions=contrast,jpeg", "severities=3"),
    "ood": (),
    "adversarial": ("attack_steps=1", "attack_samples=8"),
    "imbalanced": (),
    "continual": ("replay_per_class=2",),
    "segmentation": ("train.batch_size=3",),
}
COLAB_GENERATED = {
    "clean_corrupt": ("dataset_options=n_train=200,n_test=100",),
    "ood": ("dataset_options=n_train=200,n_test=100",),
    "adversarial": ("dataset_options=n_train=200,n_test=100",),
    "imbalanced": ("dataset_options=n_train=400,n_test=100",),
    "continual": ("dataset_options=n_train=200,n_test=100",),
    "segmentation": ("dataset_options=n_images=16,image_size=32,num_classes=7,max_objects=4", "model_options=width=4"),
}
PAPER_FILES = {"segmentation": ("dataset_options=image_size=32",)}
COLAB_FILES = {"segmentation": ("dataset_options=image_size=32", "model_options=width=4")}


def _run(out, preset: str, task: str, changes: tuple[str, ...], dataset: str | None = None) -> pd.DataFrame:
    arguments = ["run", task, "--preset", preset, "--losses", "hem", "--seeds", "1", "--executor", "local",
                 "--device", "cpu", "--out", str(out), "--quiet"]
    if dataset is not None:
        arguments += ["--dataset", dataset]
    for assignment in TINY + TASK_CHANGES[task] + changes:
        arguments += ["--set", assignment]
    assert cli.main(arguments) == 0
    return ResultStore(out).table(preset)


def _check_headline(table: pd.DataFrame, preset: str, task: str, dataset: str) -> None:
    head = headlines(preset)[task]
    shown = table[(table["task"] == task) & (table["condition"] == head.condition) & (table["metric"] == head.metric)]
    assert len(shown) == 1 and set(shown["dataset"]) == {dataset}
    assert 0.0 <= float(shown["value"].iloc[0]) <= 1.0


@pytest.mark.parametrize("task", TASK_NAMES)
def test_each_paper_task_runs_on_the_files_through_hemlab_run(fake_data_root, tmp_path, task):
    table = _run(tmp_path, "paper", task, PAPER_FILES.get(task, ()))
    _check_headline(table, "paper", task, task_settings("paper", task).dataset)
    if task == "ood":
        assert "ood_set=svhn;score=maxlogit" in set(table["condition"])      # SVHN's test .mat as unknowns


@pytest.mark.parametrize("task", TASK_NAMES)
def test_each_colab_task_runs_on_its_generated_data(tmp_path, task):
    table = _run(tmp_path, "colab", task, COLAB_GENERATED[task])
    _check_headline(table, "colab", task, task_settings("colab", task).dataset)


@pytest.mark.parametrize("task, dataset", [(task, "voc" if task == "segmentation" else "cifar10")
                                           for task in TASK_NAMES])
def test_each_colab_task_runs_on_files_with_dataset(fake_data_root, tmp_path, task, dataset):
    table = _run(tmp_path, "colab", task, COLAB_FILES.get(task, ()), dataset=dataset)
    _check_headline(table, "colab", task, dataset)
