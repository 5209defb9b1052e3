"""Fixtures for the attack tests: a small MLP trained on scikit-learn's 8x8 digits.

The model is trained here with a few lines of plain torch (not ``hemlab.train``) so that these
tests depend only on ``hemlab.attacks`` and stay fast and deterministic.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn


class DigitsModel(NamedTuple):
    model: nn.Module
    x_test: torch.Tensor
    y_test: torch.Tensor


@pytest.fixture(autouse=True)
def _one_cpu_thread() -> Iterator[None]:
    """Tiny tensors run fastest on one thread, and several threads thrash on a shared 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def digits_model(device: torch.device) -> DigitsModel:
    """MLP 64-64-10 trained 200 full-batch Adam steps on 1300 digits; images (N, 1, 8, 8) in [0, 1]."""
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    digits = load_digits()
    images = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target)
    order = torch.randperm(len(labels), generator=generator)
    train, test = order[:1300], order[1300:]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(200):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(images[train]), labels[train]).backward()
        optimizer.step()
    model.zero_grad(set_to_none=True)
    torch.set_num_threads(previous_threads)
    return DigitsModel(model.eval().to(device), images[test].to(device), labels[test].to(device))
