"""The training loop: it learns, it resumes bit-exactly, its history and argument checks,
dense (segmentation) targets, and the evaluation helpers."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from hemlab.data import load_digits, make_shapes
from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.metrics import accuracy
from hemlab.train import HISTORY_COLUMNS, predict, train


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return create_model("mlp", 10, 1)


class _ItemDataset(Dataset):
    """A plain map-style dataset (not tensor-backed), as a user might write one."""

    def __init__(self, tensors: TensorDataset) -> None:
        self.images, self.labels = tensors.tensors

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.images[index], self.labels[index]


@pytest.mark.parametrize("loss_name", ["ce", "hem"])
def test_digits_reach_95_percent(loss_name, digits, device):
    train_set, test_set = digits
    history = train(_mlp(), create_loss(loss_name), train_set, epochs=10, eval_data=test_set, batch_size=64,
                    optimizer="adamw", lr=3e-3, weight_decay=1e-4, schedule="cosine", device=device,
                    progress=False)
    assert history["eval_accuracy"].iloc[-1] >= 0.95
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]


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
def test_interrupted_run_resumes_to_the_same_weights(schedule, digits, tmp_path):
    train_set, test_set = digits
    settings = dict(epochs=4, eval_data=test_set, batch_size=128, lr=0.05, schedule=schedule, augment=_noisy,
                    device="cpu", progress=False, seed=3)
    reference = _mlp()
    reference_history = train(reference, create_loss("ce"), train_set, **settings)

    checkpoint = tmp_path / "run.pt"
    interrupted = _mlp()
    with pytest.raises(_Interrupt):
        train(interrupted, create_loss("ce"), train_set, checkpoint=checkpoint, on_epoch_end=_stop_after(2),
              **settings)
    resumed = _mlp(seed=99)
    torch.manual_seed(12345)
    history = train(resumed, create_loss("ce"), train_set, checkpoint=checkpoint, **settings)

    for expected, actual in zip(reference.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(expected, actual)
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    columns = ["train_loss", "train_accuracy", "eval_accuracy", "lr"]
    assert history[columns].equals(reference_history[columns])


def test_finished_checkpoint_returns_without_training(digits, tmp_path):
    train_set, _ = digits
    checkpoint = tmp_path / "done.pt"
    model = _mlp()
    history = train(model, create_loss("ce"), train_set, epochs=2, checkpoint=checkpoint, device="cpu",
                    progress=False)
    again = _mlp(seed=5)
    calls = []
    repeated = train(again, create_loss("ce"), train_set, epochs=2, checkpoint=checkpoint, device="cpu",
                     progress=False, on_epoch_end=calls.append)
    assert calls == [] and repeated.equals(history)
    assert torch.equal(again.layers[1].weight, model.layers[1].weight)


def test_checkpoint_with_other_settings_is_refused(digits, tmp_path):
    train_set, _ = digits
    checkpoint = tmp_path / "run.pt"
    train(_mlp(), create_loss("ce"), train_set, epochs=1, lr=0.1, checkpoint=checkpoint, device="cpu",
          progress=False)
    with pytest.raises(ValueError, match=r"checkpoint: .*lr: 0.1 -> 0.05"):
        train(_mlp(), create_loss("ce"), train_set, epochs=1, lr=0.05, checkpoint=checkpoint, device="cpu",
              progress=False)


def test_history_table_and_schedules(digits, capsys):
    train_set, test_set = digits
    rows = []
    history = train(_mlp(), nn.CrossEntropyLoss(), train_set, epochs=4, batch_size=256, lr=0.1,
                    schedule="step", milestones=[2, 3], gamma=0.5, grad_clip=1.0, device="cpu", progress=False,
                    on_epoch_end=rows.append)
    assert tuple(history.columns) == HISTORY_COLUMNS
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history["lr"].tolist() == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert history["eval_accuracy"].isna().all()
    assert (history["seconds"] > 0).all() and history["train_accuracy"].between(0, 1).all()
    assert [row["train_loss"] for row in rows] == history["train_loss"].tolist()
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    assert capsys.readouterr().err == ""

    cosine = train(_mlp(), nn.CrossEntropyLoss(), train_set, epochs=4, eval_data=test_set, batch_size=256,
                   optimizer="adamw", lr=0.01, schedule="cosine", device="cpu", progress=False)
    expected = [0.01 * (1 + math.cos(math.pi * epoch / 4)) / 2 for epoch in range(4)]
    assert cosine["lr"].tolist() == pytest.approx(expected)
    assert cosine["eval_accuracy"].between(0, 1).all()


def test_progress_bar_when_asked(digits, capsys):
    train(_mlp(), nn.CrossEntropyLoss(), digits[0], epochs=1, batch_size=512, device="cpu", progress=True)
    assert "train" in capsys.readouterr().err


def test_plain_datasets_and_loaders(digits):
    train_set, test_set = digits
    histories = [
        train(_mlp(), create_loss("ce"), _ItemDataset(train_set), epochs=3, eval_data=_ItemDataset(test_set),
              batch_size=64, device="cpu", progress=False)
        for _ in range(2)
    ]
    assert histories[0].drop(columns="seconds").equals(histories[1].drop(columns="seconds"))
    assert histories[0]["eval_accuracy"].iloc[-1] > 0.85
    loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    history = train(_mlp(), create_loss("ce"), loader, epochs=3, eval_data=DataLoader(test_set, batch_size=100),
                    device="cpu", progress=False)
    assert history["eval_accuracy"].iloc[-1] > 0.85


def test_predict_agrees_across_data_forms(digits):
    _, test_set = digits
    model = _mlp()
    model.train()
    logits, targets = predict(model, test_set, batch_size=100)
    assert model.training
    assert logits.shape == (450, 10) and logits.dtype == torch.float32 and torch.equal(targets, test_set.tensors[1])
    with torch.no_grad():
        assert torch.allclose(logits, model.eval()(test_set.tensors[0]), atol=1e-6)
    for other in (_ItemDataset(test_set), DataLoader(test_set, batch_size=33)):
        other_logits, other_targets = predict(model, other)
        assert torch.allclose(other_logits, logits, atol=1e-6) and torch.equal(other_targets, targets)


def test_segmentation_training_and_dense_predictions(device):
    train_set = make_shapes(48, image_size=16, seed=0)
    test_set = make_shapes(16, image_size=16, seed=1)
    torch.manual_seed(0)
    model = create_model("unet", 4, 3, width=8)
    history = train(model, create_loss("hem"), train_set, epochs=3, eval_data=test_set,
                    batch_size=16, optimizer="adamw", lr=3e-3, device=device, progress=False)
    assert history["train_loss"].notna().all() and history["eval_accuracy"].between(0, 1).all()
    logits, targets = predict(model, test_set)
    assert logits.shape == (16, 4, 16, 16) and targets.shape == (16, 16, 16)
    assert accuracy(logits, targets) == pytest.approx(history["eval_accuracy"].iloc[-1], abs=1e-3)


@pytest.mark.parametrize("keyword, value", [
    ("epochs", 0), ("batch_size", 0), ("optimizer", "adam"), ("lr", 0.0), ("momentum", 1.0),
    ("weight_decay", -1.0), ("schedule", "linear"), ("milestones", [5]), ("gamma", 0.0), ("grad_clip", -1.0),
    ("amp_dtype", "float8"), ("num_workers", -1), ("device", "tpu"), ("train_data", [1, 2, 3]),
    ("eval_data", "test"), ("model", "mlp"), ("loss_fn", "ce"),
])
def test_bad_arguments_name_themselves(keyword, value, digits):
    arguments = dict(model=_mlp(), loss_fn=create_loss("ce"), train_data=digits[0], epochs=2, schedule="step",
                     progress=False, device="cpu")
    arguments[keyword] = value
    with pytest.raises(ValueError, match=keyword):
        train(**arguments)
