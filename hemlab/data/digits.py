"""scikit-learn's 8x8 handwritten digits: real data that ships with scikit-learn, no download.

1797 grey-scale images of the digits 0-9 (about 180 per class), pixel values 0..16.
"""
from __future__ import annotations

import torch
from sklearn.datasets import load_digits as _sklearn_load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import TensorDataset


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """The digits as ``(train, test)`` datasets from a seeded, class-stratified split.

    Each dataset holds images ``(N, 1, 8, 8)`` float32 in [0, 1] (pixel / 16) and labels
    ``(N,)`` int64 in 0..9. With the defaults the split is 1347 train / 450 test samples.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction!r}")
    bunch = _sklearn_load_digits()
    images = torch.as_tensor(bunch.images, dtype=torch.float32).div_(16.0).unsqueeze(1)
    labels = torch.as_tensor(bunch.target, dtype=torch.long)
    train_index, test_index = train_test_split(
        torch.arange(len(labels)).numpy(), test_size=test_fraction, random_state=seed, stratify=labels.numpy()
    )
    train_index = torch.as_tensor(sorted(train_index))
    test_index = torch.as_tensor(sorted(test_index))
    return (
        TensorDataset(images[train_index], labels[train_index]),
        TensorDataset(images[test_index], labels[test_index]),
    )
