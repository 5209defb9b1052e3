"""Fixture for the attack tests: a small MLP trained with hemlab's own loop on the 8x8 digits."""
from __future__ import annotations

from typing import NamedTuple

import pytest
import torch
from torch import nn

from hemlab.data import dataset_tensors, load_digits
from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.train import train


class DigitsModel(NamedTuple):
    model: nn.Module
    x_test: torch.Tensor
    y_test: torch.Tensor


@pytest.fixture(scope="session")
def digits_model(device: torch.device) -> DigitsModel:
    """MLP trained 10 epochs with CE on digits; test images (N, 1, 8, 8) in [0, 1]."""
    train_set, test_set = load_digits()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = create_model("mlp", num_classes=10, in_channels=1)
    train(model, create_loss("ce"), train_set, epochs=10, batch_size=64, optimizer="adamw", lr=3e-3,
          weight_decay=1e-4, schedule="cosine", device=device, progress=False)
    model.zero_grad(set_to_none=True)
    images, labels = dataset_tensors(test_set)
    return DigitsModel(model.eval().to(device), images.to(device), labels.to(device))
