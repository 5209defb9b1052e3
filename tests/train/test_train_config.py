"""TrainConfig: one frozen, self-checking settings value, and how train's keywords override it."""
from __future__ import annotations

import dataclasses
import re

import pytest
import torch

from hemlab.losses import create_loss
from hemlab.train import TrainConfig, train


def test_defaults_and_frozen():
    config = TrainConfig(epochs=3)
    assert dataclasses.asdict(config) == {
        "epochs": 3, "batch_size": 128, "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4,
        "schedule": "none", "milestones": None, "gamma": 0.1, "grad_clip": None, "amp": True,
        "amp_dtype": "bfloat16", "channels_last": True, "seed": 0, "num_workers": 0,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 0.5


def test_milestones_become_a_tuple_and_step_defaults():
    assert TrainConfig(epochs=4, schedule="step", milestones=[1, 3]).milestones == (1, 3)
    assert TrainConfig(epochs=8, schedule="step").step_milestones() == (4, 6)
    assert TrainConfig(epochs=1, schedule="step").step_milestones() == ()


@pytest.mark.parametrize("field, value", [
    ("epochs", 0), ("epochs", 2.0), ("batch_size", 0), ("batch_size", True), ("optimizer", "adam"), ("lr", 0.0),
    ("lr", "0.1"), ("momentum", 1.0), ("weight_decay", -1.0), ("schedule", "linear"), ("schedule", None),
    ("milestones", [5]), ("milestones", [3, 2]), ("milestones", []), ("gamma", 0.0), ("gamma", 1.5),
    ("grad_clip", -1.0), ("grad_clip", 0), ("amp", "yes"), ("amp_dtype", "float8"), ("channels_last", 1),
    ("seed", 1.5), ("num_workers", -1),
])
def test_each_bad_field_names_itself(field, value):
    settings = {"epochs": 4, "schedule": "step", field: value}
    with pytest.raises(ValueError, match=rf"^{field}: expected .*got {re.escape(repr(value))}$"):
        TrainConfig(**settings)


def test_milestones_need_the_step_schedule():
    with pytest.raises(ValueError, match=r"milestones: expected None unless schedule='step'"):
        TrainConfig(epochs=4, schedule="cosine", milestones=(2,))


def test_schedule_none_is_a_clear_error():
    with pytest.raises(ValueError, match="schedule: expected one of none, step, cosine, got None"):
        TrainConfig(epochs=2, schedule=None)


def _weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [tensor.clone() for tensor in model.state_dict().values()]


def test_keywords_build_or_override_the_config(digits, make_mlp):
    train_set, _ = digits
    runs = {}
    for name, arguments, keywords in [
        ("keywords", (), dict(epochs=2, lr=0.05, batch_size=256)),
        ("config", (TrainConfig(epochs=2, lr=0.05, batch_size=256),), {}),
        ("override", (TrainConfig(epochs=2, lr=0.5, batch_size=256),), dict(lr=0.05)),
    ]:
        model = make_mlp()
        history = train(model, create_loss("ce"), train_set, *arguments, device="cpu", progress=False, **keywords)
        runs[name] = (_weights(model), history.drop(columns="seconds"))
    reference_weights, reference_history = runs["keywords"]
    for weights, history in (runs["config"], runs["override"]):
        assert all(torch.equal(a, b) for a, b in zip(weights, reference_weights))
        assert history.equals(reference_history)
    other = make_mlp()
    train(other, create_loss("ce"), train_set, epochs=2, lr=0.5, batch_size=256, device="cpu", progress=False)
    assert not all(torch.equal(a, b) for a, b in zip(_weights(other), reference_weights))


def test_unknown_or_missing_settings_are_refused(digits, make_mlp):
    train_set, _ = digits
    with pytest.raises(TypeError, match=r"learning_rate.*TrainConfig fields are epochs, batch_size, optimizer"):
        train(make_mlp(), create_loss("ce"), train_set, epochs=1, learning_rate=0.1, progress=False)
    with pytest.raises(TypeError, match="epochs: required"):
        train(make_mlp(), create_loss("ce"), train_set, lr=0.1, progress=False)
    with pytest.raises(ValueError, match="config: expected a TrainConfig"):
        train(make_mlp(), create_loss("ce"), train_set, {"epochs": 1}, progress=False)
    with pytest.raises(ValueError, match="lr: expected a positive learning rate"):
        train(make_mlp(), create_loss("ce"), train_set, TrainConfig(epochs=1), lr=-1.0, progress=False)


@pytest.mark.parametrize("keyword, value", [
    ("device", "tpu"), ("train_data", [1, 2, 3]), ("eval_data", "test"), ("model", "mlp"), ("loss_fn", "ce"),
])
def test_bad_run_arguments_name_themselves(keyword, value, digits, make_mlp):
    arguments = dict(model=make_mlp(), loss_fn=create_loss("ce"), train_data=digits[0], epochs=2, progress=False,
                     device="cpu")
    arguments[keyword] = value
    with pytest.raises(ValueError, match=keyword):
        train(**arguments)
