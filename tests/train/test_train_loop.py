"""The training loop: it learns, its history and progress bar, the data forms it takes,
dense (segmentation) targets, and the channels_last rule."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from hemlab.data import make_shapes
from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.metrics import accuracy
from hemlab.inference import uses_channels_last
from hemlab.train import HISTORY_COLUMNS, predict, train


@pytest.mark.parametrize("loss_name", ["ce", "hem"])
def test_digits_reach_95_percent(loss_name, digits, device, make_mlp):
    train_set, test_set = digits
    history = train(make_mlp(), create_loss(loss_name), train_set, epochs=10, eval_data=test_set, batch_size=64,
                    optimizer="adamw", lr=3e-3, weight_decay=1e-4, schedule="cosine", device=device,
                    progress=False)
    assert history["eval_accuracy"].iloc[-1] >= 0.95
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]


def test_history_table_and_schedules(digits, capsys, make_mlp):
    train_set, test_set = digits
    rows = []
    history = train(make_mlp(), nn.CrossEntropyLoss(), train_set, epochs=4, batch_size=256, lr=0.1,
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

    cosine = train(make_mlp(), nn.CrossEntropyLoss(), train_set, epochs=4, eval_data=test_set, batch_size=256,
                   optimizer="adamw", lr=0.01, schedule="cosine", device="cpu", progress=False)
    expected = [0.01 * (1 + math.cos(math.pi * epoch / 4)) / 2 for epoch in range(4)]
    assert cosine["lr"].tolist() == pytest.approx(expected)
    assert cosine["eval_accuracy"].between(0, 1).all()


def test_progress_bar_when_asked_names_the_run(digits, capsys, make_mlp):
    train(make_mlp(), nn.CrossEntropyLoss(), digits[0], epochs=1, batch_size=512, device="cpu", progress=True,
          desc="hem seed 0")
    assert "hem seed 0" in capsys.readouterr().err
    train(make_mlp(), nn.CrossEntropyLoss(), digits[0], epochs=1, batch_size=512, device="cpu", progress=True)
    assert "train" in capsys.readouterr().err


def test_plain_datasets_and_loaders(digits, make_mlp, plain_dataset):
    train_set, test_set = digits
    histories = [
        train(make_mlp(), create_loss("ce"), plain_dataset(train_set), epochs=3, eval_data=plain_dataset(test_set),
              batch_size=64, device="cpu", progress=False)
        for _ in range(2)
    ]
    assert histories[0].drop(columns="seconds").equals(histories[1].drop(columns="seconds"))
    assert histories[0]["eval_accuracy"].iloc[-1] > 0.85
    loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    history = train(make_mlp(), create_loss("ce"), loader, epochs=3, eval_data=DataLoader(test_set, batch_size=100),
                    device="cpu", progress=False)
    assert history["eval_accuracy"].iloc[-1] > 0.85


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
    assert accuracy(logits, targets) == pytest.approx(history["eval_accuracy"].iloc[-1], abs=1e-6)


class _LayoutRecorder(nn.Module):
    """A one-convolution classifier that records whether each input arrives channels_last."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 10, 3, padding=1)
        self.channels_last_inputs: list[bool] = []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.channels_last_inputs.append(images.is_contiguous(memory_format=torch.channels_last)
                                         and not images.is_contiguous())
        return self.conv(images).mean(dim=(2, 3))


def _contiguous_noise(inputs: torch.Tensor, targets: torch.Tensor):
    """An augmentation that returns standard-layout images (as random_crop_flip does)."""
    return (inputs + 0.01 * torch.randn_like(inputs)).contiguous(), targets


@pytest.mark.parametrize("channels_last", [True, False])
def test_convolutional_models_use_channels_last_on_cpu_when_asked(channels_last, digits, make_mlp):
    train_set, test_set = (TensorDataset(data.tensors[0].expand(-1, 3, -1, -1).contiguous(), data.tensors[1])
                           for data in digits)
    model = _LayoutRecorder()
    train(model, create_loss("ce"), train_set, epochs=1, batch_size=512, eval_data=test_set, augment=_contiguous_noise,
          channels_last=channels_last, device="cpu", progress=False)
    assert model.channels_last_inputs == [channels_last] * len(model.channels_last_inputs)
    assert uses_channels_last(model) is channels_last
    mlp = make_mlp()
    train(mlp, create_loss("ce"), digits[0], epochs=1, batch_size=512, device="cpu", progress=False)
    assert all(parameter.is_contiguous() for parameter in mlp.parameters())
