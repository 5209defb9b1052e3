"""Your settings (``--set``, ``--config``) and honest run identities."""
from __future__ import annotations

import copy
import dataclasses
import importlib

import numpy as np
import pytest

import hemlab
from hemlab.experiments import ResultStore, execute, plan
from hemlab.tasks import RunResult, RunSpec, task_settings
from hemlab.tasks.overrides import (apply_overrides, canonical_overrides, load_config, parse_assignments,
                                    resolve_settings, setting_types, task_overrides)
from hemlab.tasks.settings import TaskSettings, settings_fingerprint

jobs_module = importlib.import_module("hemlab.experiments.jobs")


def test_assignments_are_read_against_the_field_types():
    overrides = parse_assignments(["train.epochs=30", "imbalance_ratios=10,50", "ood.held_out_classes=7,8",
                                   "attack_samples=none", "model_options=width=16", "augment=true",
                                   "train.schedule=step", "train.milestones=5,8", "corruptions="])
    assert overrides == (("train.epochs", 30), ("imbalance_ratios", (10.0, 50.0)), ("ood.held_out_classes", (7, 8)),
                         ("attack_samples", None), ("model_options", (("width", 16),)), ("augment", True),
                         ("train.schedule", "step"), ("train.milestones", (5, 8)), ("corruptions", ()))
    ood = resolve_settings("quick", "ood", task_overrides(overrides, "ood"))
    imbalanced = resolve_settings("quick", "imbalanced", task_overrides(overrides, "imbalanced"))
    assert ood.held_out_classes == (7, 8) and imbalanced.held_out_classes == ()
    assert ood.train.epochs == imbalanced.train.epochs == 30 and imbalanced.imbalance_ratios == (10.0, 50.0)
    assert ood.train.lr == task_settings("quick", "ood").train.lr


def test_every_dataclass_field_can_be_set():
    paths = setting_types()
    assert {f.name for f in dataclasses.fields(TaskSettings)} - {"train"} <= set(paths)
    assert {"train.epochs", "train.lr", "train.optimizer", "train.milestones"} <= set(paths)
    assert "train.seed" not in paths


def test_a_task_prefix_wins_over_the_general_value():
    overrides = parse_assignments(["imbalanced.train.epochs=5", "train.epochs=2"])
    assert task_overrides(overrides, "imbalanced") == (("train.epochs", 5),)
    assert resolve_settings("quick", "imbalanced", task_overrides(overrides, "imbalanced")).train.epochs == 5
    assert resolve_settings("quick", "ood", task_overrides(overrides, "ood")).train.epochs == 2


@pytest.mark.parametrize("text, message", [
    ("train.epochs=abc", "train.epochs: expected an integer, got 'abc'"),
    ("imbalance_ratios=a,b", "imbalance_ratios: expected a comma-separated list of numbers, got 'a,b'"),
    ("nope=1", "settings: expected a field of TaskSettings or train.<field> of TrainConfig"),
    ("train.seed=3", "train.seed: cannot be set; each run's seed"),
    ("epochs", "--set: expected FIELD=VALUE"),
    ("shot_thresholds=1,2,3", r"shot_thresholds: expected 2 comma-separated values"),
    ("augment=maybe", "augment: expected true or false"),
])
def test_bad_assignments_name_the_field_and_what_it_accepts(text, message):
    with pytest.raises(ValueError, match=message):
        parse_assignments([text])


def test_train_config_checks_the_new_values():
    with pytest.raises(ValueError, match="train.epochs: expected a positive integer, got 0"):
        apply_overrides(task_settings("quick", "ood"), canonical_overrides([("train.epochs", 0)]))
    with pytest.raises(ValueError, match="train.optimizer: expected one of"):
        apply_overrides(task_settings("quick", "ood"), canonical_overrides([("train.optimizer", "lbfgs")]))


def test_a_config_file_derives_a_preset_with_per_task_changes(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('preset = "quick"\nlogits_cap = 64\ntrain = { epochs = 2, lr = 0.01 }\n'
                    '[tasks.imbalanced]\nimbalance_ratios = [10, 50]\n[tasks.imbalanced.train]\nepochs = 3\n')
    preset, overrides = load_config(path)
    assert preset == "quick"
    imbalanced = resolve_settings(preset, "imbalanced", task_overrides(overrides, "imbalanced"))
    ood = resolve_settings(preset, "ood", task_overrides(overrides, "ood"))
    assert (imbalanced.train.epochs, imbalanced.train.lr, imbalanced.imbalance_ratios) == (3, 0.01, (10.0, 50.0))
    assert (ood.train.epochs, ood.logits_cap) == (2, 64)
    assert ood.imbalance_ratios == task_settings("quick", "ood").imbalance_ratios
    for text, message in [('preset = "huge"', "preset: expected one of quick, colab, paper"),
                          ("[tasks.nope]\nx = 1", "tasks: expected names from"),
                          ("train = { epochs = 'many' }", "mine.toml: train.epochs: expected an integer"),
                          ("not toml [", "expected a readable TOML file")]:
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            load_config(path)


def test_specs_carry_their_settings_and_the_run_id_hashes_them():
    base = RunSpec("ood", "digits", "mlp", "hem", seed=0)
    shorter = RunSpec("ood", "digits", "mlp", "hem", seed=0, overrides=(("train.epochs", 2),))
    same_as_preset = RunSpec("ood", "digits", "mlp", "hem", seed=0,
                             overrides=(("train.epochs", task_settings("quick", "ood").train.epochs),))
    assert shorter.settings.train.epochs == 2 and base.settings == task_settings("quick", "ood")
    assert shorter.run_id != base.run_id and shorter.settings_id != base.settings_id
    assert same_as_preset.run_id == base.run_id and same_as_preset.settings_id == base.settings_id
    assert RunSpec.from_dict(shorter.to_dict()) == shorter
    ratios = RunSpec("imbalanced", "digits", "mlp", "ce", overrides=(("imbalance_ratios", (10.0, 50.0)),))
    assert RunSpec.from_dict(ratios.to_dict()) == ratios and ratios.settings.imbalance_ratios == (10.0, 50.0)
    assert base.settings_id == settings_fingerprint(task_settings("quick", "ood"))


def test_the_run_id_changes_with_any_settings_field_and_with_hemlab_s_version(monkeypatch):
    spec = RunSpec("ood", "digits", "mlp", "hem", seed=0)
    settings = spec.settings
    ids = {spec.run_id}
    for field in dataclasses.fields(TaskSettings):
        value = getattr(settings, field.name)
        if field.name == "train":
            changed = dataclasses.replace(value, lr=value.lr / 2)
        elif isinstance(value, bool):
            changed = not value
        elif isinstance(value, (int, float)):
            changed = value + 1
        elif isinstance(value, str):
            changed = value + "x"
        else:
            changed = (*value, value[0]) if value else (1,)
        other = copy.copy(settings)
        object.__setattr__(other, field.name, changed)     # for the hash only: no value check
        moved = RunSpec("ood", "digits", "mlp", "hem", seed=0)
        monkeypatch.setitem(moved.__dict__, "settings", other)
        ids.add(moved.run_id)
    assert len(ids) == 1 + len(dataclasses.fields(TaskSettings))
    monkeypatch.setattr(hemlab, "__version__", "99.0")
    assert RunSpec("ood", "digits", "mlp", "hem", seed=0).run_id not in ids


@pytest.fixture
def counted_runs(monkeypatch):
    """Replace training by a cheap function that records each spec it runs."""
    ran = []

    def fake_run(spec, device="cpu", *, checkpoint_dir=None):
        ran.append(spec)
        value = spec.settings.train.epochs / 10
        return RunResult(rows=[{"condition": "final", "metric": "average_accuracy", "value": value}],
                         artifacts={"x": np.zeros(1)}, seconds=0.01)

    monkeypatch.setattr(jobs_module, "run", fake_run)
    return ran


def test_a_stored_run_of_other_settings_is_never_reused(tmp_path, counted_runs):
    store = ResultStore(tmp_path)
    first = execute(plan("quick", ["continual"], ["ce"], seeds=2), store, executor="local", progress=False)
    again = execute(plan("quick", ["continual"], ["ce"], seeds=2), store, executor="local", progress=False)
    changed = plan("quick", ["continual"], ["ce"], seeds=2, overrides=parse_assignments(["train.epochs=2"]))
    third = execute(changed, store, executor="local", progress=False)
    assert (len(first.ran), len(again.skipped), len(third.ran), len(third.skipped)) == (2, 2, 2, 0)
    preset_epochs = task_settings("quick", "continual").train.epochs
    assert preset_epochs != 2 and [spec.settings.train.epochs for spec in counted_runs] == [preset_epochs] * 2 + [2] * 2
    table = store.table("quick")
    assert sorted(table.groupby("settings_id")["value"].first()) == sorted([0.2, preset_epochs / 10])
    assert set(table["settings_id"]) == {changed[0].settings_id, plan("quick", ["continual"], ["ce"])[0].settings_id}


def test_the_plan_refuses_bad_loss_values_and_settings_before_any_run():
    with pytest.raises(ValueError, match="losses: hem:margin=-1 fails on a tiny classification input"):
        plan("quick", ["ood"], ["hem:margin=-1"], seeds=1)
    with pytest.raises(ValueError, match="model: expected one of"):
        plan("quick", ["ood"], ["ce"], seeds=1, overrides=parse_assignments(["model=transformer"]))
