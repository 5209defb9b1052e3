"""Checkpoints: an interrupted run resumes bit-exactly, a finished one returns at once, and a
checkpoint written by any other run (settings, loss, loss options, model, data) is refused."""
from __future__ import annotations

import pytest
import torch
from torch.utils.data import Subset

from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.train import TrainConfig, train


def _noisy(inputs: torch.Tensor, targets: torch.Tensor):
    """Augmentation that draws from the global RNG, so resuming must restore it."""
    return inputs + 0.05 * torch.randn_like(inputs), targets


class _Interrupt(Exception):
    pass


def _stop_after(epochs: int):
    def callback(row: dict) -> None:
        if row["epoch"] == epochs:
            raise _Interrupt

    return callback


@pytest.mark.parametrize("schedule", ["cosine", "step"])
def test_interrupted_run_resumes_to_the_same_weights(schedule, digits, tmp_path, make_mlp):
    train_set, test_set = digits
    config = TrainConfig(epochs=4, batch_size=128, lr=0.05, schedule=schedule, seed=3)
    settings = dict(eval_data=test_set, augment=_noisy, device="cpu", progress=False)
    reference = make_mlp()
    reference_history = train(reference, create_loss("ce"), train_set, config, **settings)

    checkpoint = tmp_path / "run.pt"
    interrupted = make_mlp()
    with pytest.raises(_Interrupt):
        train(interrupted, create_loss("ce"), train_set, config, checkpoint=checkpoint, on_epoch_end=_stop_after(2),
              **settings)
    resumed = make_mlp(seed=99)
    torch.manual_seed(12345)
    history = train(resumed, create_loss("ce"), train_set, config, checkpoint=checkpoint, **settings)

    for expected, actual in zip(reference.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(expected, actual)
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    columns = ["train_loss", "train_accuracy", "eval_accuracy", "lr"]
    assert history[columns].equals(reference_history[columns])


def test_finished_checkpoint_returns_without_training(digits, tmp_path, make_mlp):
    train_set, _ = digits
    checkpoint = tmp_path / "done.pt"
    model = make_mlp()
    history = train(model, create_loss("ce"), train_set, epochs=2, checkpoint=checkpoint, device="cpu",
                    progress=False)
    again = make_mlp(seed=5)
    calls = []
    repeated = train(again, create_loss("ce"), train_set, epochs=2, checkpoint=checkpoint, device="cpu",
                     progress=False, on_epoch_end=calls.append)
    assert calls == [] and repeated.equals(history)
    assert torch.equal(again.layers[1].weight, model.layers[1].weight)


def _changed_run(change: str, digits):
    """The arguments of the original run, with one thing changed."""
    train_set, test_set = digits
    run = dict(model=create_model("mlp", 10, 1), loss_fn=create_loss("hem"), train_data=train_set,
               config=TrainConfig(epochs=1, lr=0.1), eval_data=test_set)
    if change == "loss":
        run["loss_fn"] = create_loss("ce")
    elif change == "loss options":
        run["loss_fn"] = create_loss("hem", margin=0.5)
    elif change == "model":
        run["model"] = create_model("mlp", 10, 1, hidden_sizes=(64,))
    elif change == "train data":
        run["train_data"] = Subset(train_set, range(1000))
    elif change == "eval data":
        run["eval_data"] = Subset(test_set, range(100))
    elif change == "config":
        run["config"] = TrainConfig(epochs=1, lr=0.05)
    return run


@pytest.mark.parametrize("change, message", [
    ("loss", r"loss: .HEMLoss\(margin=1.0, .*\). -> .CrossEntropyLoss\(.*\)."),
    ("loss options", r"loss: .HEMLoss\(margin=1.0, .*\). -> .HEMLoss\(margin=0.5, .*\)."),
    ("model", r"model parameter shapes differ from entry 0: \('layers.1.weight', \(256, 64\)\) -> .*\(64, 64\)"),
    ("train data", r"train data size: 1347 -> 1000"),
    ("eval data", r"eval data size: 450 -> 100"),
    ("config", r"lr: 0.1 -> 0.05"),
])
def test_checkpoint_of_another_run_is_refused(change, message, digits, tmp_path):
    checkpoint = tmp_path / "run.pt"
    train(**_changed_run("nothing", digits), checkpoint=checkpoint, device="cpu", progress=False)
    saved = checkpoint.read_bytes()
    other = _changed_run(change, digits)
    with pytest.raises(ValueError, match=rf"checkpoint: .*run.pt was written by another run \(.*{message}"):
        train(**other, checkpoint=checkpoint, device="cpu", progress=False)
    assert checkpoint.read_bytes() == saved
    train(**_changed_run("nothing", digits), checkpoint=checkpoint, device="cpu", progress=False)


def test_checkpoint_without_identity_is_refused(digits, tmp_path, make_mlp):
    checkpoint = tmp_path / "old.pt"
    torch.save({"model": make_mlp().state_dict(), "config": {"epochs": 1}}, checkpoint)
    with pytest.raises(ValueError, match="records no run identity"):
        train(make_mlp(), create_loss("ce"), digits[0], epochs=1, checkpoint=checkpoint, device="cpu",
              progress=False)


@pytest.mark.parametrize("first, second, message", [
    (torch.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(label_smoothing=0.1), "label_smoothing=0.1"),
    (create_loss("hem", margin=torch.ones(10)), create_loss("hem", margin=torch.full((10,), 2.0)),
     r"margin=\[2.0, 2.0"),
])
def test_loss_options_its_repr_hides_are_part_of_the_identity(first, second, message, digits, tmp_path, make_mlp):
    checkpoint = tmp_path / "run.pt"
    train(make_mlp(), first, digits[0], epochs=1, checkpoint=checkpoint, device="cpu", progress=False)
    with pytest.raises(ValueError, match=rf"loss: .* -> .*{message}"):
        train(make_mlp(), second, digits[0], epochs=1, checkpoint=checkpoint, device="cpu", progress=False)
