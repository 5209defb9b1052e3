"""Fixtures for the plot tests: the Agg backend, figures closed after each test, a layout check,
and synthetic inputs in the task layer's exact formats (the results, summary and artifact
formats), shaped like real runs: cross-entropy-like logits grow large, HEM-like logits sit just
past the margin. Seeded numpy only; nothing here trains."""
from __future__ import annotations

import itertools
from typing import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy import stats  # noqa: E402

LOSSES = ("ce", "mm", "hem", "logitnorm", "la", "focal")
SWEEP = ("hem:margin=0.25", "hem:margin=0.5", "hem:margin=2.0")
SEEDS = (0, 1, 2)
CORRUPTIONS = ("gaussian_noise", "fog", "contrast")
EPSILONS = (0.0078, 0.0157, 0.0314)
ATTACKS = ("fgsm", "pgd-ce", "pgd-margin", "pgd-dlr", "worst_case")
# how much of the clean accuracy each loss keeps under shift; HEM a bit better, CE the reference
_ROBUSTNESS = {"ce": 1.0, "mm": 0.97, "hem": 1.12, "logitnorm": 1.05, "la": 1.0, "focal": 1.02,
               "dice": 1.0, "hem:margin=0.25": 1.04, "hem:margin=0.5": 1.09, "hem:margin=2.0": 1.08}


def logits_and_targets(label: str, n: int = 512, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """float16 logits ``(n, classes)`` and int64 targets ``(n,)`` in the style of ``label``'s loss:
    a margin loss's true logit sits about ``margin`` above the best rival, CE's far above it."""
    rng = np.random.default_rng(seed + sum(map(ord, label)))
    targets = rng.integers(0, classes, n)
    name, _, options = label.partition(":")
    if name in ("hem", "mm"):
        margin = float(options.split("=")[1]) if options else 1.0
        logits = rng.normal(0.0, 0.35 * margin, (n, classes))
        rivals = np.where(np.eye(classes, dtype=bool)[targets], -np.inf, logits).max(axis=1)
        spread = 0.25 if name == "hem" else 0.8
        logits[np.arange(n), targets] = rivals + margin + rng.normal(0.0, spread * margin, n) - (rng.random(n) < 0.08) * 1.5 * margin
    elif name == "logitnorm":
        logits = rng.normal(0.0, 0.6, (n, classes))
        logits[np.arange(n), targets] += rng.normal(2.2, 0.9, n)
    else:
        logits = rng.normal(0.0, 2.5, (n, classes))
        logits[np.arange(n), targets] += rng.gamma(4.0, 2.5 if name == "ce" else 1.8, n) - 1.0
    return logits.astype(np.float16), targets.astype(np.int64)


def runs(labels=LOSSES, n: int = 512, classes: int = 10) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """label -> (logits, targets) for each label."""
    return {label: logits_and_targets(label, n, classes) for label in labels}


def ood_logits(label: str, m: int = 400, classes: int = 10) -> np.ndarray:
    """Logits of unknown-class samples: no class stands out; CE's are still large (over-confidence)."""
    rng = np.random.default_rng(7 + sum(map(ord, label)))
    scale = 2.5 if label in ("ce", "la", "focal") else 0.45
    logits = rng.normal(0.0, scale, (m, classes))
    logits[np.arange(m), rng.integers(0, classes, m)] += rng.gamma(2.0, 0.9 * scale, m)
    return logits.astype(np.float16)


def _row(label: str, seed: int, task: str, condition: str, metric: str, value: float) -> dict:
    name = label.split(":")[0]
    return {"run_id": f"{task[:3]}{label}{seed}", "task": task, "dataset": "digits", "model": "mlp", "loss": name,
            "loss_label": label, "seed": seed, "condition": condition, "metric": metric,
            "value": value, "seconds": 1.0}


def results_table(labels=LOSSES + SWEEP, seeds=SEEDS) -> pd.DataFrame:
    """A tidy results table for every task, in the results.csv format."""
    rng = np.random.default_rng(0)
    rows = []
    for label, seed in itertools.product(labels, seeds):
        keep = _ROBUSTNESS[label]
        clean = 0.95 + rng.normal(0, 0.005)
        rows.append(_row(label, seed, "clean_corrupt", "clean", "accuracy", clean))
        rows.append(_row(label, seed, "clean_corrupt", "clean", "ece", 0.05 / keep))
        corrupted = []
        for corruption, severity in itertools.product(CORRUPTIONS, range(1, 6)):
            value = clean * (1 - min(0.9, 0.09 * severity / keep)) + rng.normal(0, 0.01)
            corrupted.append(value)
            rows.append(_row(label, seed, "clean_corrupt", f"corruption={corruption};severity={severity}",
                             "accuracy", value))
        rows.append(_row(label, seed, "clean_corrupt", "corrupted", "accuracy", float(np.mean(corrupted))))
        rows.append(_row(label, seed, "adversarial", "clean", "accuracy", clean))
        for eps, (rank, attack) in itertools.product(EPSILONS, enumerate(ATTACKS)):
            value = clean * np.exp(-eps * (25 + 8 * rank) / keep) + rng.normal(0, 0.01)
            rows.append(_row(label, seed, "adversarial", f"eps={eps};attack={attack}", "accuracy", value))
        rows.append(_row(label, seed, "ood", "clean", "accuracy", clean))
        for ood_set, score in itertools.product(("near", "noise"), ("msp", "maxlogit")):
            auroc = min(0.99, 0.75 * keep + rng.normal(0, 0.01))
            rows.append(_row(label, seed, "ood", f"ood_set={ood_set};score={score}", "auroc", auroc))
            rows.append(_row(label, seed, "ood", f"ood_set={ood_set};score={score}", "fpr95", 1 - auroc))
        rows.append(_row(label, seed, "imbalanced", "ratio=100", "balanced_accuracy", 0.7 * keep + rng.normal(0, 0.02)))
        rows.append(_row(label, seed, "continual", "final", "average_accuracy", 0.4 * keep + rng.normal(0, 0.02)))
        rows.append(_row(label, seed, "segmentation", "clean", "miou", 0.6 * keep + rng.normal(0, 0.02)))
        rows.append(_row(label, seed, "clean_corrupt", "training", "train_seconds", 3.0))
    for seed in seeds:
        rows.append(_row("dice", seed, "segmentation", "clean", "miou", 0.63 + rng.normal(0, 0.02)))
    return pd.DataFrame(rows)


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """The summary.csv format: mean, std, n and a 95% t-interval over seeds per
    (task, loss_label, condition, metric)."""
    keys = ["task", "dataset", "model", "loss", "loss_label", "condition", "metric"]
    summary = table.groupby(keys, sort=False)["value"].agg(["mean", "std", "count"]).reset_index()
    summary = summary.rename(columns={"count": "n"})
    half = stats.t.ppf(0.975, summary["n"] - 1) * summary["std"] / np.sqrt(summary["n"])
    summary["ci_low"], summary["ci_high"] = summary["mean"] - half, summary["mean"] + half
    return summary


HEADLINES = {
    "clean_corrupt": ("corrupted", "accuracy", True),
    "ood": ("ood_set=near;score=maxlogit", "auroc", True),
    "adversarial": ("eps=0.0157;attack=worst_case", "accuracy", True),
    "imbalanced": ("ratio=100", "balanced_accuracy", True),
    "continual": ("final", "average_accuracy", True),
    "segmentation": ("clean", "miou", True),
}


def accuracy_matrix(label: str, tasks: int = 5) -> np.ndarray:
    """A ``(T, T)`` continual accuracy matrix: high on the diagonal, decaying below it, 0 above."""
    keep = _ROBUSTNESS[label]
    steps = np.arange(tasks)
    age = steps[:, None] - steps[None, :]
    matrix = np.where(age >= 0, 0.97 * np.exp(-0.35 * age / keep), 0.0)
    return matrix.astype(np.float64)


def segmentation_sample(labels=("ce", "hem", "dice"), k: int = 4, size: int = 32, classes: int = 4):
    """``images (k, 3, H, W)`` float16, ``masks_true (k, H, W)`` with a -100 border, and predicted
    masks per loss (the truth with a few wrong blocks)."""
    rng = np.random.default_rng(3)
    masks = np.zeros((k, size, size), dtype=np.int64)
    for index in range(k):
        for cls in range(1, classes):
            top, left = rng.integers(2, size - 12, 2)
            masks[index, top:top + 10, left:left + 10] = cls
    images = rng.random((k, 3, size, size)) * 0.3 + masks[:, None] / classes * 0.7
    truth = masks.copy()
    truth[:, :2, :] = -100
    predictions = {}
    for label in labels:
        predicted = masks.copy()
        for index in range(k):
            top, left = rng.integers(0, size - 6, 2)
            predicted[index, top:top + 6, left:left + 6] = rng.integers(0, classes)
        predictions[label] = predicted
    return images.astype(np.float16), truth, predictions


def imbalanced_runs(class_counts: np.ndarray, labels=("ce", "hem", "la"), per_class: int = 60):
    """label -> (logits, targets) on a balanced test set, where a class's accuracy rises with
    its training count (a logit bias of ``log(count)``), less steeply for the ``la`` loss."""
    rng = np.random.default_rng(5)
    classes = class_counts.size
    targets = np.repeat(np.arange(classes), per_class)
    bias = np.log(class_counts) - np.log(class_counts).mean()
    result = {}
    for label in labels:
        slope = {"ce": 1.0, "hem": 0.7, "la": 0.3}.get(label.split(":")[0], 1.0)
        logits = rng.normal(0.0, 1.0, (targets.size, classes)) + slope * bias
        logits[np.arange(targets.size), targets] += 2.0
        result[label] = (logits.astype(np.float16), targets)
    return result


def layout_problems(figure: Figure, tolerance: float = 1.0) -> list[str]:
    """Places where a figure's panels (with their titles, labels and tick labels), legends and
    title overlap each other or leave the canvas, in pixels at 50 dpi (a quick, coarse draw)."""
    figure.set_dpi(50)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [(f"axes {index} ({axis.get_title()!r})", axis.get_tightbbox(renderer))
             for index, axis in enumerate(figure.axes)]
    boxes += [(f"legend {index}", legend.get_window_extent(renderer)) for index, legend in enumerate(figure.legends)]
    if figure._suptitle is not None:
        boxes.append(("title", figure._suptitle.get_window_extent(renderer)))
    width, height = figure.canvas.get_width_height()
    problems = []
    for index, (name, box) in enumerate(boxes):
        if box.x0 < -tolerance or box.y0 < -tolerance or box.x1 > width + tolerance or box.y1 > height + tolerance:
            problems.append(f"{name} leaves the canvas: {box.extents.round()}")
        for other, other_box in boxes[index + 1:]:
            overlap_x = min(box.x1, other_box.x1) - max(box.x0, other_box.x0)
            overlap_y = min(box.y1, other_box.y1) - max(box.y0, other_box.y0)
            if overlap_x > tolerance and overlap_y > tolerance:
                problems.append(f"{name} overlaps {other}")
    return problems


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def assert_readable() -> Callable[[Figure], None]:
    """Check a figure: a Figure whose panels, legends and title neither overlap nor leave the canvas."""
    def check(figure: Figure) -> None:
        assert isinstance(figure, Figure)
        assert layout_problems(figure) == []
    return check
