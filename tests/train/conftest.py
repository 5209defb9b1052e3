"""Fixtures for the training and evaluation tests: the 8x8 digits, a seeded MLP, and a plain
(not tensor-backed) dataset wrapper."""
from __future__ import annotations

from typing import Callable

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from hemlab.data import load_digits
from hemlab.models import create_model


@pytest.fixture(scope="session")
def digits() -> tuple[TensorDataset, TensorDataset]:
    """The digits train and test sets, images (N, 1, 8, 8)."""
    return load_digits()


@pytest.fixture
def make_mlp() -> Callable[..., nn.Module]:
    """``make_mlp(seed=0)``: the digits MLP with weights drawn after ``torch.manual_seed(seed)``."""
    def make(seed: int = 0) -> nn.Module:
        torch.manual_seed(seed)
        return create_model("mlp", 10, 1)

    return make


class _ItemDataset(Dataset):
    """A plain map-style dataset (not tensor-backed), as a user might write one."""

    def __init__(self, tensors: TensorDataset) -> None:
        self.images, self.labels = tensors.tensors

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.images[index], self.labels[index]


@pytest.fixture
def plain_dataset() -> Callable[[TensorDataset], Dataset]:
    """Wrap a ``TensorDataset`` as a plain dataset that is read item by item."""
    return _ItemDataset
