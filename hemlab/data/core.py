"""Reading targets and tensors out of datasets, and a relabelling subset.

Every hemlab dataset is *tensor-backed*: a ``TensorDataset`` of ``(images, targets)``,
or a ``Subset`` / ``RelabelledSubset`` of one. Images are float32 in [0, 1] shaped
``(N, C, H, W)``; targets are int64, ``(N,)`` for classification or ``(N, H, W)`` for
segmentation. The helpers here read such datasets without a per-item Python loop and fall
back to iterating over any other ``Dataset``.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor
from torch.utils.data import ConcatDataset, Dataset, Subset, TensorDataset


class RelabelledSubset(Dataset):
    """The samples ``indices`` of ``dataset`` with targets mapped through ``label_map``.

    ``label_map`` is a 1-D int64 tensor: original class ``c`` becomes ``label_map[c]``.
    Used for held-out-class splits, where the known classes are renumbered 0..K-1.
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int] | Tensor, label_map: Tensor) -> None:
        self.dataset = dataset
        self.indices = torch.as_tensor(indices, dtype=torch.long)
        self.label_map = torch.as_tensor(label_map, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        image, target = self.dataset[int(self.indices[index])]
        return image, self.label_map[torch.as_tensor(target, dtype=torch.long)]


def is_tensor_backed(dataset: Dataset) -> bool:
    """True for a two-tensor ``TensorDataset``, a (Relabelled)Subset chain ending in one, or a
    ``ConcatDataset`` of such (a continual stage with its replay buffer)."""
    if isinstance(dataset, TensorDataset):
        return len(dataset.tensors) == 2
    if isinstance(dataset, (Subset, RelabelledSubset)):
        return is_tensor_backed(dataset.dataset)
    if isinstance(dataset, ConcatDataset):
        return all(is_tensor_backed(part) for part in dataset.datasets)
    return False


def dataset_tensors(dataset: Dataset) -> tuple[Tensor, Tensor]:
    """All of ``dataset`` as ``(inputs, targets)`` tensors: ``(N, ...)`` and ``(N,)`` or ``(N, H, W)``.

    Tensor-backed datasets are sliced directly (no copy of unused samples) and concatenated
    datasets of them joined; any other dataset is iterated item by item and stacked.
    """
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        inputs, targets = dataset.tensors
        return inputs, targets
    if isinstance(dataset, (Subset, RelabelledSubset)) and is_tensor_backed(dataset.dataset):
        inputs, targets = dataset_tensors(dataset.dataset)
        indices = torch.as_tensor(dataset.indices, dtype=torch.long, device=inputs.device)
        selected = targets[indices]
        if isinstance(dataset, RelabelledSubset):
            selected = dataset.label_map.to(selected.device)[selected]
        return inputs[indices], selected
    if isinstance(dataset, ConcatDataset) and is_tensor_backed(dataset):
        parts = [dataset_tensors(part) for part in dataset.datasets]
        return torch.cat([inputs for inputs, _ in parts]), torch.cat([targets for _, targets in parts])
    if len(dataset) == 0:
        raise ValueError("dataset: is empty")
    items = [dataset[index] for index in range(len(dataset))]
    inputs = torch.stack([torch.as_tensor(item[0]) for item in items])
    targets = torch.stack([torch.as_tensor(item[1], dtype=torch.long) for item in items])
    return inputs, targets


def dataset_targets(dataset: Dataset) -> Tensor:
    """The int64 targets of ``dataset``: ``(N,)`` or ``(N, H, W)``, without touching the images
    when the dataset is tensor-backed or carries a ``targets`` / ``labels`` attribute."""
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        return dataset.tensors[1].long()
    if isinstance(dataset, (Subset, RelabelledSubset)):
        targets = dataset_targets(dataset.dataset)
        selected = targets[torch.as_tensor(dataset.indices, dtype=torch.long, device=targets.device)]
        if isinstance(dataset, RelabelledSubset):
            selected = dataset.label_map.to(selected.device)[selected]
        return selected
    if isinstance(dataset, ConcatDataset):
        return torch.cat([dataset_targets(part) for part in dataset.datasets])
    for attribute in ("targets", "labels"):
        if hasattr(dataset, attribute):
            return torch.as_tensor(getattr(dataset, attribute), dtype=torch.long)
    return dataset_tensors(dataset)[1].long()


def class_counts(targets: Tensor, num_classes: int | None = None) -> Tensor:
    """Samples per class of classification ``targets`` ``(N,)`` as an int64 tensor ``(C,)``."""
    if targets.ndim != 1:
        raise ValueError(f"targets: expected a 1-D class-index tensor, got shape {tuple(targets.shape)}")
    return torch.bincount(targets.long().cpu(), minlength=num_classes or 0)
