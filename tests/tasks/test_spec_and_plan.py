"""Run specs, loss specs, the presets table and the run plan."""
from __future__ import annotations

import pytest

from hemlab.experiments import plan
from hemlab.tasks import (DEFAULT_LOSSES, MARGIN_SWEEP, PRESETS, TASK_NAMES, TASKS, RunSpec, available_tasks,
                          parse_loss_spec, task_losses, task_settings)


def test_task_registry_matches_the_task_names():
    assert tuple(TASKS) == TASK_NAMES == tuple(available_tasks())
    assert set(PRESETS["quick"]) == set(PRESETS["paper"]) == set(TASK_NAMES)


def test_loss_specs_parse_options_and_drop_defaults():
    assert parse_loss_spec("hem") == ("hem", ())
    assert parse_loss_spec("hem:margin=0.5") == ("hem", (("margin", 0.5),))
    assert parse_loss_spec("hem:margin=1") == ("hem", ())
    assert parse_loss_spec("mm:p=2,margin=0.5") == ("mm", (("margin", 0.5), ("p", 2)))


@pytest.mark.parametrize("text, message", [
    ("xent", "loss: expected one of"), ("hem:gamma=2", r"hem expected options from \['margin', 'margins', 'scale'\], got unknown \['gamma'\]"), ("hem:margin", "NAME:option=value"),
    ("la:class_counts=3", "la expected options from"), ("hem:ignore_index=3", "hem expected options from"),
])
def test_bad_loss_specs_name_what_is_allowed(text, message):
    with pytest.raises(ValueError, match=message):
        parse_loss_spec(text)


def test_run_ids_are_stable_and_tell_runs_apart():
    spec = RunSpec("ood", "digits", "mlp", "hem", (("margin", 0.5),), 1, "quick")
    assert spec.run_id == RunSpec("ood", "digits", "mlp", "hem", (("margin", 0.5),), 1, "quick").run_id
    assert spec.run_id.startswith("ood-hem-") and len(spec.run_id) == len("ood-hem-") + 12
    others = [RunSpec("ood", "digits", "mlp", "hem", (), 1), RunSpec("ood", "digits", "mlp", "hem", spec.loss_options, 2),
              RunSpec("adversarial", "digits", "mlp", "hem", spec.loss_options, 1)]
    assert len({spec.run_id, *(other.run_id for other in others)}) == 4
    assert RunSpec.from_dict(spec.to_dict()) == spec
    assert spec.loss_label == "hem:margin=0.5"


@pytest.mark.parametrize("changes, message", [
    ({"task": "nope"}, "task: expected one of"), ({"preset": "huge"}, "preset: expected one of"),
    ({"seed": -1}, "seed: expected a non-negative integer"), ({"loss": "xent"}, "loss: expected one of"),
])
def test_run_spec_validates_itself(changes, message):
    values = {"task": "ood", "dataset": "digits", "model": "mlp", "loss": "ce", **changes}
    with pytest.raises(ValueError, match=message):
        RunSpec(**values)


def test_paper_preset_carries_the_literature_settings():
    for task in ("clean_corrupt", "ood", "adversarial", "imbalanced"):
        settings = task_settings("paper", task)
        assert (settings.dataset, settings.model) == ("cifar10", "resnet18")
        assert (settings.train.optimizer, settings.train.lr, settings.train.momentum, settings.train.weight_decay) == ("sgd", 0.1, 0.9, 5e-4)
        assert (settings.train.epochs, settings.train.schedule, settings.train.milestones) == (200, "step", (100, 150))
        assert settings.augment and settings.checkpoints
    assert max(task_settings("paper", "adversarial").eps) == pytest.approx(8 / 255)
    assert task_settings("paper", "imbalanced").imbalance_ratios == (10.0, 100.0)
    assert task_settings("paper", "segmentation").dataset == "voc"


def test_plan_runs_dice_only_in_segmentation_and_adds_the_margin_sweep():
    specs = plan("quick", seeds=2)
    assert "dice" not in task_losses("ood") and "dice" in task_losses("segmentation")
    by_task = {task: [spec for spec in specs if spec.task == task] for task in TASK_NAMES}
    sweep = len(MARGIN_SWEEP) - 1   # every quick task sweeps HEM's margin (1 is plain hem)
    assert len(by_task["segmentation"]) == (7 + sweep) * 2
    assert len(by_task["ood"]) == (6 + sweep) * 2
    swept = {spec.loss_label for spec in by_task["adversarial"] if spec.loss == "hem"}
    assert swept == {"hem"} | {f"hem:margin={margin:g}" for margin in MARGIN_SWEEP if margin != 1.0}
    assert len(specs) == len(set(specs))
    assert {spec.loss for spec in specs} == set(DEFAULT_LOSSES)


def test_plan_of_one_classification_task_leaves_the_default_dice_out():
    specs = plan("quick", ["clean_corrupt"], seeds=1)
    assert {spec.loss for spec in specs} == set(DEFAULT_LOSSES) - {"dice"}
    assert {spec.task for spec in specs} == {"clean_corrupt"}


@pytest.mark.parametrize("kwargs, message", [
    ({"tasks": ["nope"]}, "tasks: expected names from"), ({"seeds": 0}, "seeds: expected a positive integer"),
    ({"tasks": ["ood"], "losses": ["dice"]}, "dice supports none of the tasks"),
    ({"tasks": ["ood"], "losses": ["ce"], "dataset": "shapes"}, "needs image data"), ({"dataset": "imagenet"}, "dataset: expected one of"),
])
def test_plan_rejects_bad_requests(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan("quick", **kwargs)
