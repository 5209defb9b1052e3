"""Small settings for task-runner tests: the quick preset's rows, shrunk to seconds."""
from __future__ import annotations

import pytest

from hemlab.tasks import RunSpec, task_settings, with_settings

_SMALL_GLYPHS = {"dataset_options": (("n_train", 2000), ("n_test", 1000))}
TINY_CHANGES = {
    "clean_corrupt": {"epochs": 3, "corruptions": ("gaussian_noise", "jpeg"), "severities": (1, 5), **_SMALL_GLYPHS},
    "ood": {"epochs": 3, **_SMALL_GLYPHS},
    "adversarial": {"epochs": 3, "eps": (0.02, 0.04), "attack_steps": 3, "attack_samples": 100, **_SMALL_GLYPHS},
    "imbalanced": {"epochs": 4, "dataset_options": (("n_train", 4000), ("n_test", 1000)), "shot_thresholds": (60, 10)},
    "continual": {"epochs": 1, "n_tasks": 2, **_SMALL_GLYPHS},
    "segmentation": {"epochs": 1, "dataset_options": (("n_images", 24), ("image_size", 16)),
                     "model_options": (("width", 4),)},
}


def tiny_settings(task: str):
    """The quick preset's row for ``task`` with fewer epochs, samples and conditions."""
    return with_settings(task_settings("quick", task), **TINY_CHANGES[task])


def quick_spec(task: str, loss: str = "hem", seed: int = 0, **options) -> RunSpec:
    settings = task_settings("quick", task)
    return RunSpec(task, settings.dataset, settings.model, loss, tuple(options.items()), seed, "quick")


@pytest.fixture
def tiny():
    """``tiny(task)``: the quick preset's row for ``task``, shrunk to seconds."""
    return tiny_settings


@pytest.fixture
def spec_for():
    """``spec_for(task, loss="hem", seed=0, **loss_options)``: a quick-preset spec."""
    return quick_spec
