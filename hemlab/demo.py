"""The README's main job on embedded data: HEM against cross-entropy on handwritten digits.

Trains the same small network on scikit-learn's 8x8 digits once per loss (same seed, same
settings), prints a results table and writes it, with a picture of the training curves,
under ``out_dir``. Quick mode (``HEMLAB_QUICK=1`` or ``CI``) trains for fewer epochs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd
import torch

from hemlab.data import load_digits
from hemlab.io import atomic_path, save_table
from hemlab.losses import create_loss, loss_info
from hemlab.metrics import accuracy, classification_margins, expected_calibration_error
from hemlab.models import create_model
from hemlab.runtime import is_quick_mode, results_root
from hemlab.train import predict, train
from hemlab.viz import plot_training_curves

DEFAULT_LOSSES = ("ce", "hem")


def run_demo(
    loss_names: Sequence[str] = DEFAULT_LOSSES,
    *,
    epochs: int | None = None,
    model_name: str = "digits_cnn",
    out_dir: str | Path | None = None,
    device: str = "auto",
    seed: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """Train ``model_name`` on digits with each loss; return one row per loss.

    Columns: ``loss``, ``test_accuracy``, ``ece`` (expected calibration error),
    ``median_margin`` (``z_y - max_{j != y} z_j`` on test images), ``mean_max_logit``,
    ``seconds``. Writes ``digits_demo.csv`` and ``digits_demo_curves.png`` to ``out_dir``
    (default ``results/``).
    """
    epochs = epochs if epochs is not None else (8 if is_quick_mode() else 30)
    out_dir = Path(out_dir) if out_dir is not None else results_root()
    train_set, test_set = load_digits(seed=seed)
    rows, histories = [], {}
    for name in loss_names:
        torch.manual_seed(seed)
        model = create_model(model_name, num_classes=10, in_channels=1)
        history = train(model, create_loss(name), train_set, epochs=epochs, eval_data=test_set, batch_size=64,
                        optimizer="adamw", lr=3e-3, weight_decay=1e-4, schedule="cosine", device=device,
                        seed=seed, progress=progress)
        logits, targets = predict(model, test_set)
        logits, targets = logits.float().cpu(), targets.cpu()
        histories[loss_info(name).title] = history
        rows.append({
            "loss": name,
            "test_accuracy": accuracy(logits, targets),
            "ece": float(expected_calibration_error(logits, targets)),
            "median_margin": float(classification_margins(logits, targets).median()),
            "mean_max_logit": float(logits.max(dim=1).values.mean()),
            "seconds": float(history["seconds"].sum()),
        })
    table = pd.DataFrame(rows)
    save_table(table, out_dir / "digits_demo.csv")
    figure = plot_training_curves(histories, title=f"{model_name} on 8x8 digits, {epochs} epochs")
    with atomic_path(out_dir / "digits_demo_curves.png") as temporary:
        figure.savefig(temporary, format="png", dpi=120)
    return table
