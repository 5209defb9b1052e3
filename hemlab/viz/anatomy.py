"""The anatomy of a loss: which logits it pushes, how its value moves, what it draws in 2-D.

Computations return tidy tables (one row per loss and class, or per loss and point) and
the plots draw those tables, so a notebook can show either. Every gradient comes from
autograd through ``hemlab.losses``, never from a hand-written formula.

- :func:`logit_gradients` / :func:`plot_logit_gradients`: ``dL/dz_j`` of one logit vector;
- :func:`rival_sweep` / :func:`plot_rival_sweep`: the loss as one rival logit moves;
- :func:`true_logit_pull` / :func:`plot_true_logit_pull`: the gradient on the true logits
  of the samples still in error as more of a batch is solved (paper.md, section 1);
- :func:`train_toy_models` / :func:`plot_decision_regions`: small MLPs on a 2-D toy set,
  one per loss and margin, with their decision regions and margin band.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_rgb
from torch import Tensor, nn
from torch.utils.data import TensorDataset
from tqdm.auto import tqdm

from hemlab.data import dataset_tensors, load_dataset
from hemlab.losses import accepted_arguments, available_losses, create_loss, loss_info
from hemlab.metrics import accuracy
from hemlab.models import create_model
from hemlab.train import predict, train
from hemlab.viz.palette import line_style, loss_colors

REFERENCE_LOSSES: tuple[str, ...] = ("hem", "mm", "ce")
CLASS_COLORS: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                 "#7f7f7f", "#bcbd22", "#17becf")


def loss_color(name: str) -> tuple[float, float, float]:
    """The loss's colour of the shared palette (:func:`hemlab.viz.palette.loss_colors`; HEM
    red, a registered loss the colour fixed by its name), so a loss looks the same in every figure."""
    names = available_losses()
    if name not in names:
        raise ValueError(f"name: expected one of {names}, got {name!r}")
    return to_rgb(loss_colors([name])[name])


def anatomy_losses() -> list[str]:
    """Registry names of the classification losses that need no extra data (no
    ``class_counts``): the options of the notebook's loss dropdown."""
    return [name for name in available_losses("classification") if not loss_info(name).required]


def takes_margin(name: str) -> bool:
    """True when loss ``name`` accepts a ``margin`` argument (HEM and MM)."""
    return "margin" in accepted_arguments(name)


def criterion_for(name: str, margin: float) -> nn.Module:
    """``create_loss(name, margin=margin)`` for losses with a margin, ``create_loss(name)`` otherwise."""
    return create_loss(name, margin=margin) if takes_margin(name) else create_loss(name)


def _check_single(logits: Tensor, target: int) -> Tensor:
    logits = torch.as_tensor(logits, dtype=torch.float64)
    if logits.ndim != 1 or logits.numel() < 2:
        raise ValueError(f"logits: expected a 1-D vector of at least 2 class logits, got shape {tuple(logits.shape)}")
    if not isinstance(target, (int, np.integer)) or not 0 <= target < logits.numel():
        raise ValueError(f"target: expected a class index in [0, {logits.numel()}), got {target!r}")
    return logits


def _names(loss_names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(loss_names))
    if not names:
        raise ValueError("loss_names: expected at least one loss name, got none")
    return names


def logit_gradients(logits: Sequence[float] | Tensor, target: int, margin: float = 1.0,
                    loss_names: Iterable[str] = REFERENCE_LOSSES) -> pd.DataFrame:
    """Loss value and gradient ``dL/dz_j`` of one sample's logits ``z`` ``(C,)`` for each loss.

    The sample is a batch of one (``(1, C)`` logits, target ``(1,)``) with each loss's
    ``mean`` reduction. Returns one row per loss and class: ``loss``, ``class``, ``logit``,
    ``gradient``, ``loss_value``, ``is_target``. A positive gradient means gradient descent
    lowers that logit; the true logit gets a negative one (it is raised).
    """
    logits = _check_single(logits, target)
    rows = []
    for name in _names(loss_names):
        inputs = logits.clone().unsqueeze(0).requires_grad_(True)
        value = criterion_for(name, margin)(inputs, torch.tensor([int(target)]))
        (gradient,) = torch.autograd.grad(value, inputs)
        for index, (logit, grad) in enumerate(zip(logits.tolist(), gradient[0].tolist())):
            rows.append({"loss": name, "class": index, "logit": logit, "gradient": grad,
                         "loss_value": float(value.detach()), "is_target": index == target})
    return pd.DataFrame(rows)


def plot_logit_gradients(table: pd.DataFrame, ax: Axes | None = None, title: str = "") -> Axes:
    """Grouped bars of ``dL/dz_j`` per class (one colour per loss) from :func:`logit_gradients`;
    the true class is shaded and labelled."""
    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.6))[1]
    names = list(dict.fromkeys(table["loss"]))
    classes = sorted(table["class"].unique())
    width = 0.8 / len(names)
    for offset, name in enumerate(names):
        rows = table[table["loss"] == name].sort_values("class")
        positions = np.arange(len(classes)) - 0.4 + width * (offset + 0.5)
        ax.bar(positions, rows["gradient"], width, label=name, color=loss_color(name))
    target = int(table.loc[table["is_target"], "class"].iloc[0])
    ax.axvspan(target - 0.5, target + 0.5, color="0.85", zorder=0)
    ax.axhline(0.0, color="black", linewidth=0.8)
    logits = table[table["loss"] == names[0]].sort_values("class")["logit"]
    ax.set_xticks(range(len(classes)),
                  [f"{c}{' (true)' if c == target else ''}\nz={z:.2g}" for c, z in zip(classes, logits)])
    ax.set(xlabel="class j", ylabel="dL / dz_j", title=title or "gradient on each logit")
    ax.legend(title="loss", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return ax


def rival_sweep(logits: Sequence[float] | Tensor, target: int, rival: int, margin: float = 1.0,
                loss_names: Iterable[str] = REFERENCE_LOSSES, values: Sequence[float] | None = None) -> pd.DataFrame:
    """The loss of one sample as its rival logit ``z_rival`` takes each of ``values``.

    ``values`` defaults to 121 points on ``z_y - 3 .. z_y + 3``. Returns rows ``loss``,
    ``rival_logit``, ``loss_value``. For HEM and MM the loss starts to rise where
    ``z_rival = z_y - margin``; cross-entropy never reaches zero.
    """
    logits = _check_single(logits, target)
    if not isinstance(rival, (int, np.integer)) or not 0 <= rival < logits.numel() or rival == target:
        raise ValueError(f"rival: expected a class index in [0, {logits.numel()}) other than the target {target}, "
                         f"got {rival!r}")
    true_logit = float(logits[target])
    values = torch.as_tensor(np.linspace(true_logit - 3, true_logit + 3, 121) if values is None else values,
                             dtype=torch.float64)
    batch = logits.repeat(len(values), 1)
    batch[:, rival] = values
    targets = torch.full((len(values),), int(target))
    rows = []
    for name in _names(loss_names):
        losses = criterion_for(name, margin)
        per_point = [float(losses(batch[i:i + 1], targets[i:i + 1])) for i in range(len(values))]
        rows += [{"loss": name, "rival_logit": float(v), "loss_value": l} for v, l in zip(values, per_point)]
    return pd.DataFrame(rows)


def plot_rival_sweep(table: pd.DataFrame, true_logit: float, margin: float, current: float | None = None,
                     ax: Axes | None = None, title: str = "") -> Axes:
    """Loss against the rival logit (one line per loss) from :func:`rival_sweep`, with the
    hinge point ``z_y - margin``, the true logit and (optionally) the rival's current value."""
    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.6))[1]
    for name, rows in table.groupby("loss", sort=False):
        ax.plot(rows["rival_logit"], rows["loss_value"], label=name, **line_style(name, loss_colors([name])))
    ax.axvline(true_logit - margin, color="0.4", linestyle="--", linewidth=1, label="z_y - margin")
    ax.axvline(true_logit, color="0.4", linestyle=":", linewidth=1, label="z_y")
    if current is not None:
        ax.axvline(current, color="black", linewidth=1.5, label="rival now")
    ax.set(xlabel="rival logit z_j", ylabel="loss", title=title or "loss as one rival logit moves")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def true_logit_pull(batch_size: int = 100, num_classes: int = 10, margin: float = 1.0,
                    loss_names: Iterable[str] = REFERENCE_LOSSES,
                    solved_fractions: Sequence[float] | None = None) -> pd.DataFrame:
    """How hard each loss pulls the true logits of the samples still in error, as more of a
    batch is solved.

    A batch of ``batch_size`` samples and ``num_classes`` classes: the solved samples have
    ``z_y = margin + 2`` and all rivals 0 (beyond the margin); each erroneous sample has
    ``z_y = 0``, one rival at ``margin / 2`` and the rest at ``-margin - 2`` (one
    violator). Returns rows ``loss``, ``solved_fraction``, ``per_sample`` (``|dL/dz_y|`` of
    one erroneous sample) and ``total`` (its sum over the erroneous samples). For HEM
    ``per_sample = 1 / |S|`` and ``total = 1`` whatever the fraction; for MM
    ``per_sample = 1 / (B C)``, so ``total`` shrinks to zero as samples are solved.
    """
    if not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError(f"batch_size: expected an integer >= 2, got {batch_size!r}")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes: expected an integer >= 2, got {num_classes!r}")
    fractions = np.linspace(0.0, 0.95, 20) if solved_fractions is None else np.asarray(solved_fractions, float)
    if fractions.size == 0 or fractions.min() < 0 or fractions.max() >= 1:
        raise ValueError("solved_fractions: expected values in [0, 1) so that some samples stay in error")
    target = torch.zeros(batch_size, dtype=torch.long)
    rows = []
    for fraction in fractions:
        solved = int(round(fraction * batch_size))
        logits = torch.full((batch_size, num_classes), -margin - 2.0, dtype=torch.float64)
        logits[:solved] = 0.0
        logits[:solved, 0] = margin + 2.0
        logits[solved:, 0] = 0.0
        logits[solved:, 1] = margin / 2
        for name in _names(loss_names):
            inputs = logits.clone().requires_grad_(True)
            (gradient,) = torch.autograd.grad(criterion_for(name, margin)(inputs, target), inputs)
            pull = -gradient[solved:, 0]
            rows.append({"loss": name, "solved_fraction": solved / batch_size,
                         "per_sample": float(pull.mean()), "total": float(pull.sum())})
    return pd.DataFrame(rows)


def plot_true_logit_pull(table: pd.DataFrame) -> plt.Figure:
    """Two panels from :func:`true_logit_pull`: the pull on one erroneous sample's true logit
    (log scale) and the total over the erroneous samples, against the solved fraction."""
    figure, (per_sample_axis, total_axis) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, rows in table.groupby("loss", sort=False):
        style = {"marker": "o", "markersize": 3, "label": name, **line_style(name, loss_colors([name]))}
        per_sample_axis.plot(rows["solved_fraction"], rows["per_sample"], **style)
        total_axis.plot(rows["solved_fraction"], rows["total"], **style)
    per_sample_axis.set(yscale="log", xlabel="fraction of the batch already solved",
                        ylabel="-dL/dz_y of one sample in error", title="pull on one erroneous sample")
    total_axis.set(xlabel="fraction of the batch already solved", ylabel="sum over samples in error",
                   title="total pull on the samples in error")
    total_axis.set_ylim(bottom=0)
    for axis in (per_sample_axis, total_axis):
        axis.grid(alpha=0.3)
        axis.legend(title="loss", fontsize="small")
    figure.tight_layout()
    return figure


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
    keys = [(name, margin) for name in _names(loss_names)
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


def plot_decision_regions(model: nn.Module, data: TensorDataset, margin: float | None, ax: Axes | None = None,
                          title: str = "", resolution: int = 150) -> Axes:
    """Decision regions of ``model`` on 2-D ``data`` with its margin band: the hatched grey
    area is where the model's top logit beats the runner-up by less than ``margin``. A loss
    without a margin (CE, ...) has no band: pass ``margin=None``."""
    ax = ax if ax is not None else plt.subplots(figsize=(4.5, 4.5))[1]
    points, labels = dataset_tensors(data)
    points, labels = points.numpy(), labels.numpy()
    low, high = points.min(axis=0) - 0.3, points.max(axis=0) + 0.3
    xs, ys, predicted, logit_margin = decision_grid(model, (low[0], high[0], low[1], high[1]), resolution)
    num_classes = int(labels.max()) + 1
    colors = ListedColormap(CLASS_COLORS[:num_classes])
    ax.contourf(xs, ys, predicted, levels=np.arange(num_classes + 1) - 0.5, cmap=colors, alpha=0.25)
    if margin is not None:
        ax.contourf(xs, ys, logit_margin, levels=[0.0, margin], colors="none", hatches=["////"])
        ax.contourf(xs, ys, logit_margin, levels=[0.0, margin], colors=["0.5"], alpha=0.35)
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap=colors, s=6, edgecolors="none")
    band = "no margin, no band" if margin is None else f"band: margin < {margin:g}"
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), xticks=[], yticks=[], aspect="equal",
           title=title or f"decision regions, {band}")
    return ax
