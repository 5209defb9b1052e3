"""HEM's constant pull against MM's shrinking one, in a real training run, under SGD and AdamW.

:func:`hemlab.anatomy.true_logit_pull` shows the argument on a made-up batch: HEM divides the batch
loss by the number ``|S|`` of samples still in error, so the total pull on their true logits,
``-sum_i dL/dz_iy``, stays 1 until the last error is gone, while the multi-class margin loss
(MM) divides by ``B C`` and its total pull shrinks with the fraction in error. Here a small MLP
is trained full-batch on a 2-D toy set and the pull is recorded at every step, with the size of
the parameter update it causes. Under SGD the update is the (momentum-averaged) gradient times
the learning rate, so it follows the pull; AdamW divides each parameter's step by a running root
mean square of its own gradients, which largely cancels an overall scale of the loss, so the
difference in pull reaches the weights much reduced. :func:`hemlab.viz.plot_pull_during_training`
draws the table.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import torch

from hemlab.anatomy.criteria import criterion_for
from hemlab.data import dataset_tensors, load_dataset
from hemlab.metrics import classification_margins
from hemlab.models import create_model
from hemlab.train import TrainConfig, create_optimizer


LEARNING_RATES: dict[str, float] = {"sgd": 0.1, "adamw": 0.01}
"""Per optimizer, a learning rate that trains the toy MLP with both losses (SGD with momentum 0.9)."""


def pull_during_training(loss_names: Iterable[str] = ("hem", "mm"),
                         learning_rates: Mapping[str, float] = LEARNING_RATES, *, margin: float = 1.0,
                         dataset: str = "spirals", n_samples: int = 400, steps: int = 150,
                         hidden_sizes: tuple[int, ...] = (32, 32), seed: int = 0) -> pd.DataFrame:
    """Train one MLP per loss and optimizer full-batch on ``dataset`` and record every step.

    All runs start from the same weights (``seed``); the learning rate follows a cosine schedule
    over ``steps``, without weight decay. Before each update, on the whole training set:

    - ``in_error``: the fraction of samples whose decision margin ``z_y - max_{j != y} z_j`` is
      below ``margin`` (for HEM and MM, the samples with a non-zero loss);
    - ``pull``: ``-sum_i dL/dz_iy``, the total gradient raising the true logits;
    - ``update``: ``||theta_after - theta_before||_2``, the size of the step the optimizer took.

    Returns rows ``optimizer, loss, step, in_error, pull, update`` (steps from 0). About 10 ms
    per step on one CPU thread with the defaults.
    """
    names = list(dict.fromkeys(loss_names))
    if not names:
        raise ValueError("loss_names: expected at least one loss name, got none")
    if not isinstance(learning_rates, Mapping) or not learning_rates or set(learning_rates) - {"sgd", "adamw"}:
        raise ValueError(f"learning_rates: expected a mapping from 'sgd' and/or 'adamw' to a rate, got {learning_rates!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps: expected a positive integer, got {steps!r}")
    train_set, _ = load_dataset(dataset, seed=seed, n_samples=n_samples)
    inputs, targets = dataset_tensors(train_set)
    num_classes = int(targets.max()) + 1
    rows = []
    for optimizer_name, lr in learning_rates.items():
        for name in names:
            torch.manual_seed(seed)
            model = create_model("mlp", num_classes, in_channels=2, image_size=1, hidden_sizes=tuple(hidden_sizes))
            optimizer = create_optimizer(model.parameters(), TrainConfig(epochs=1, optimizer=optimizer_name, lr=lr,
                                                                         momentum=0.9, weight_decay=0.0))
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
            criterion = criterion_for(name, margin)
            for step in range(steps):
                logits = model(inputs)
                loss = criterion(logits, targets)
                optimizer.zero_grad()
                (logit_gradient,) = torch.autograd.grad(loss, logits, retain_graph=True)
                loss.backward()
                before = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
                optimizer.step()
                schedule.step()
                after = torch.nn.utils.parameters_to_vector(model.parameters()).detach()
                rows.append({"optimizer": optimizer_name, "loss": name, "step": step,
                             "in_error": float((classification_margins(logits.detach(), targets) < margin)
                                               .float().mean()),
                             "pull": float(-logit_gradient.gather(1, targets[:, None]).sum()),
                             "update": float((after - before).norm())})
    return pd.DataFrame(rows)


def update_ratio(table: pd.DataFrame, optimizer: str, subject: str = "hem", other: str = "mm") -> tuple[float, float]:
    """``(pull ratio, update ratio)`` of ``subject`` over ``other`` under ``optimizer``: the
    medians over the steps where both still have samples in error of ``pull_subject / pull_other``
    and ``update_subject / update_other``."""
    rows = table[(table["optimizer"] == optimizer) & table["loss"].isin([subject, other])]
    rows = rows.pivot(index="step", columns="loss", values=["pull", "update", "in_error"])
    both = rows[(rows[("in_error", subject)] > 0) & (rows[("in_error", other)] > 0)] if rows.columns.size == 6 else rows[:0]
    if both.empty:
        raise ValueError(f"table: no {optimizer} step where both {subject} and {other} have samples in error")
    return (float(np.median(both[("pull", subject)] / both[("pull", other)])),
            float(np.median(both[("update", subject)] / both[("update", other)])))
