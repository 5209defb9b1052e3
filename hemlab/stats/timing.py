"""Claim 7 (HEM trains faster than CE) judged from a controlled, interleaved measurement.

Sweep wall times are no evidence: runs share the machine with each other. Here one
process trains two copies of the same model (same initial weights, same data) on one
thread, one with HEM and one with CE, in alternating rounds: each round trains one epoch
with each loss, the order alternating from round to round, after ``warmup`` rounds that
are not counted. The CPU time of the training thread is measured (on one thread it is
the wall time the training would take on an idle core, and other processes on the machine
do not inflate it; on CUDA the wall time after synchronising is used). The per-round ratio
``t_HEM / t_CE`` is summarised by its median, with a 95% bootstrap interval
(``scipy.stats.bootstrap``, BCa).

Verdict against the band ``1 +- TIMING_BAND`` ("about 10% less time"): ``supported`` when
the interval lies below ``1 - band``, ``contradicted`` when it lies above ``1 - band`` (HEM
is not 10% faster), ``not measurable here`` when it contains ``1 - band`` and is wider than
the band (the measurement cannot resolve 10%), else ``inconclusive``.
"""
from __future__ import annotations

import time
from numbers import Integral
from typing import Any

import numpy as np
import torch
from scipy import stats as scipy_stats

from hemlab.checks import Interval, check
from hemlab.data import dataset_targets
from hemlab.runtime import resolve_device
from hemlab.stats.claims import TIMING_BAND
from hemlab.tasks.fit import augmentation, build_loss, build_model, load_data, num_classes_of
from hemlab.tasks.loss_labels import parse_loss_spec
from hemlab.tasks.presets import task_settings
from hemlab.tasks.settings import TaskSettings
from hemlab.tasks.spec import RunSpec
from hemlab.train import train

NOT_MEASURABLE = "not measurable here"


def _clock(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        return time.perf_counter()
    return time.thread_time()


def timing_verdict(low: float, high: float, band: float = TIMING_BAND) -> tuple[str, str]:
    """``(verdict, why)`` for a time-ratio interval ``[low, high]`` (see module doc)."""
    boundary = 1 - band
    if not (np.isfinite(low) and np.isfinite(high)):
        return NOT_MEASURABLE, "no interval of the time ratio"
    if high < boundary:
        return "supported", f"time ratio interval [{low:.3f}, {high:.3f}] below {boundary:.2f}"
    if low > boundary:
        return "contradicted", (f"time ratio interval [{low:.3f}, {high:.3f}] above {boundary:.2f}: "
                                f"HEM is not {band:.0%} faster")
    if high - low > band:
        return NOT_MEASURABLE, (f"the 95% interval of the time ratio, [{low:.3f}, {high:.3f}], contains "
                                f"{boundary:.2f} and is wider than the {band:.0%} band it must resolve")
    return "inconclusive", f"time ratio interval [{low:.3f}, {high:.3f}] contains {boundary:.2f}"


def measure_training_time(preset: str = "quick", task: str = "clean_corrupt", subject: str = "hem",
                          comparator: str = "ce", *, rounds: int = 15, warmup: int = 2, seed: int = 0,
                          device: str | torch.device = "cpu", settings: TaskSettings | None = None) -> dict[str, Any]:
    """Time ``subject`` against ``comparator`` training the task's model (see module doc).

    Returns ``{"subject", "comparator", "rounds", "subject_seconds", "comparator_seconds"
    (medians per epoch), "ratio", "ratio_low", "ratio_high", "verdict", "why", "clock"}``.
    """
    rounds = check("rounds", rounds, Interval(Integral, 5, None))
    settings = settings or task_settings(preset, task)
    target = resolve_device(device)
    spec_of = {label: RunSpec(task, settings.dataset, settings.model, *parse_loss_spec(label), seed=seed,
                              preset=preset) for label in (subject, comparator)}
    train_set, _ = load_data(spec_of[subject], settings)
    num_classes = num_classes_of(spec_of[subject], settings)
    targets = dataset_targets(train_set)
    models = {label: build_model(spec, settings, num_classes) for label, spec in spec_of.items()}
    losses = {label: build_loss(spec, targets, num_classes) for label, spec in spec_of.items()}
    augment = augmentation(spec_of[subject], settings)
    seconds: dict[str, list[float]] = {subject: [], comparator: []}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for round_index in range(warmup + rounds):
            order = (subject, comparator) if round_index % 2 == 0 else (comparator, subject)
            for label in order:
                started = _clock(target)
                train(models[label], losses[label], train_set, settings.train, epochs=1, seed=seed + round_index,
                      device=target, augment=augment, schedule="none", progress=False)
                elapsed = _clock(target) - started
                if round_index >= warmup:
                    seconds[label].append(elapsed)
    finally:
        torch.set_num_threads(threads)
    ratios = np.asarray(seconds[subject]) / np.asarray(seconds[comparator])
    interval = scipy_stats.bootstrap((ratios,), np.median, n_resamples=2000, method="BCa",
                                     rng=np.random.default_rng(seed)).confidence_interval
    low, high = float(interval.low), float(interval.high)
    verdict, why = timing_verdict(low, high)
    return {"subject": subject, "comparator": comparator, "rounds": rounds,
            "subject_seconds": float(np.median(seconds[subject])),
            "comparator_seconds": float(np.median(seconds[comparator])), "ratio": float(np.median(ratios)),
            "ratio_low": low, "ratio_high": high, "verdict": verdict, "why": why,
            "clock": "cuda wall time" if target.type == "cuda" else "thread CPU time"}


__all__ = ["NOT_MEASURABLE", "measure_training_time", "timing_verdict"]
