"""Small MLPs on a 2-D toy set, one per loss and margin, and their logits on a grid of the
plane: what :func:`hemlab.viz.plot_decision_regions` draws as decision regions and margin band.

- :class:`ToyModels` / :func:`train_toy_models`: the trained models and their test accuracies;
- :func:`decision_grid`: a model's predicted class and logit margin at each point of a grid.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset
from tqdm.auto import tqdm

from hemlab.anatomy.criteria import criterion_for, takes_margin, unique_names
from hemlab.data import dataset_tensors, load_dataset
from hemlab.metrics import accuracy
from hemlab.models import create_model
from hemlab.train import predict, train


@dataclass
class ToyModels:
    """Small MLPs trained on one 2-D toy set: ``models[(loss, margin)]`` (``margin`` is
    ``None`` for losses without one), their test ``accuracies`` and the ``train_set``."""

    dataset: str
    train_set: TensorDataset
    margins: tuple[float, ...]
    models: dict[tuple[str, float | None], nn.Module] = field(default_factory=dict)
    accuracies: dict[tuple[str, float | None], float] = field(default_factory=dict)

    def key(self, loss: str, margin: float) -> tuple[str, float | None]:
        """The key of the model for ``loss`` at the trained margin nearest ``margin``."""
        if not takes_margin(loss):
            return (loss, None)
        nearest = min(self.margins, key=lambda trained: abs(trained - margin))
        return (loss, nearest)

    def model(self, loss: str, margin: float) -> nn.Module:
        """The model trained with ``loss`` at the trained margin nearest ``margin``."""
        key = self.key(loss, margin)
        if key not in self.models:
            raise ValueError(f"loss: no toy model was trained for {loss!r}; trained: {sorted({k[0] for k in self.models})}")
        return self.models[key]


def train_toy_models(loss_names: Iterable[str], margins: Sequence[float] = (0.25, 0.5, 1.0, 2.0), *,
                     dataset: str = "spirals", n_samples: int = 400, hidden_sizes: Sequence[int] = (64, 64),
                     epochs: int = 40, batch_size: int = 200, lr: float = 2e-2, seed: int = 0,
                     device: str | torch.device = "cpu", progress: bool = True) -> ToyModels:
    """Train one MLP per loss (and per margin in ``margins`` for losses with a margin) on the
    2-D toy set ``dataset`` (``blobs``, ``moons`` or ``spirals``), all from the same seed.

    About 0.5 s per model on one CPU thread with the defaults. Test accuracy is measured on
    the toy set's held-out split.
    """
    margins = tuple(float(m) for m in margins)
    if not margins or min(margins) < 0:
        raise ValueError(f"margins: expected at least one margin >= 0, got {margins!r}")
    train_set, test_set = load_dataset(dataset, seed=seed, n_samples=n_samples)
    num_classes = int(dataset_tensors(train_set)[1].max()) + 1
    keys = [(name, margin) for name in unique_names(loss_names)
            for margin in (margins if takes_margin(name) else (None,))]
    toy = ToyModels(dataset, train_set, margins)
    for name, margin in tqdm(keys, desc="toy models", disable=not progress):
        torch.manual_seed(seed)
        model = create_model("mlp", num_classes, in_channels=2, image_size=1, hidden_sizes=tuple(hidden_sizes))
        train(model, criterion_for(name, margin if margin is not None else 1.0), train_set, epochs=epochs,
              batch_size=batch_size, optimizer="adamw", lr=lr, weight_decay=1e-4, schedule="cosine",
              device=device, seed=seed, progress=False)
        logits, targets = predict(model, test_set)
        toy.models[(name, margin)] = model.cpu().eval()
        toy.accuracies[(name, margin)] = accuracy(logits.cpu(), targets.cpu())
    return toy


def decision_grid(model: nn.Module, extent: tuple[float, float, float, float],
                  resolution: int = 150) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate ``model`` on a ``resolution x resolution`` grid over ``extent`` =
    ``(x_min, x_max, y_min, y_max)``; return ``(xs, ys, predicted, logit_margin)``, the last
    two ``(resolution, resolution)``: the argmax class and ``z_top - z_second``."""
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = torch.as_tensor(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1), dtype=torch.float32)
    parameter = next(model.parameters(), None)
    with torch.no_grad():
        logits = model(points.to(parameter.device if parameter is not None else "cpu")).float().cpu()
    top = logits.topk(2, dim=1).values
    shape = (resolution, resolution)
    return xs, ys, logits.argmax(1).reshape(shape).numpy(), (top[:, 0] - top[:, 1]).reshape(shape).numpy()
