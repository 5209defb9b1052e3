"""Fast stand-ins for ``run_job`` that executor tests ship to worker processes.

Each takes a :class:`~hemlab.experiments.Job` and returns what ``run_job`` would: a
``RunResult`` whose rows are a pure function of the spec (a few SGD steps of a linear
model on data seeded by the run id), plus one timing row, so two executors can be compared
row by row. The others raise or kill their worker process on chosen seeds. They count their
attempts as marker files in the job's ``checkpoint_dir`` (:func:`attempts`).

The tests import this file as the top-level module ``fake_runs`` (its folder prepended to
``sys.path``, which spawned processes inherit) and register it with Ray's cloudpickle to be
shipped by value, so workers of either kind can run these functions.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from hemlab.experiments import Job
from hemlab.tasks import RunResult

FAILING_SEED = 1
RECOVERING_SEED = 2


def fake_run(job: Job) -> RunResult:
    """Fit a linear classifier for 20 steps on 128 points seeded by the run id; rows:
    ``accuracy`` and ``balanced_accuracy`` (``clean``) and ``train_seconds`` (``training``)."""
    started = time.perf_counter()
    generator = torch.Generator().manual_seed(int(job.spec.run_id[-8:], 16))
    inputs = torch.randn(128, 8, generator=generator, dtype=torch.float64)
    target = (inputs[:, 0] + 0.5 * inputs[:, 1] > 0).long()
    weight = torch.zeros(8, 2, dtype=torch.float64, requires_grad=True)
    history = []
    for step in range(20):
        loss = F.cross_entropy(inputs @ weight, target)
        loss.backward()
        with torch.no_grad():
            weight -= 0.5 * weight.grad
            weight.grad.zero_()
        history.append({"epoch": step + 1, "loss": loss.item()})
    prediction = (inputs @ weight).argmax(dim=1)
    recalls = [(prediction[target == label] == label).double().mean().item() for label in (0, 1)]
    seconds = time.perf_counter() - started
    rows = [{"condition": "clean", "metric": "accuracy", "value": (prediction == target).double().mean().item()},
            {"condition": "clean", "metric": "balanced_accuracy", "value": sum(recalls) / 2},
            {"condition": "training", "metric": "train_seconds", "value": seconds}]
    return RunResult(rows, {"weight": weight.detach().numpy()}, history, seconds)


def _count_attempt(job: Job) -> int:
    folder = Path(job.checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    attempt = len(list(folder.glob(f"{job.spec.run_id}.attempt*"))) + 1
    (folder / f"{job.spec.run_id}.attempt{attempt}").touch()
    return attempt


def attempts(job: Job) -> int:
    """How often one of the counting functions below started on ``job``."""
    return len(list(Path(job.checkpoint_dir).glob(f"{job.spec.run_id}.attempt*")))


def raise_on_failing_seed(job: Job) -> RunResult:
    """``fake_run``, but seed ``FAILING_SEED`` raises ``RuntimeError``."""
    _count_attempt(job)
    if job.spec.seed == FAILING_SEED:
        raise RuntimeError(f"deliberate failure of {job.spec.run_id}")
    return fake_run(job)


def exit_on_failing_seeds(job: Job) -> RunResult:
    """``fake_run``, but seed ``FAILING_SEED`` kills its worker process on every attempt
    and seed ``RECOVERING_SEED`` on the first attempt only."""
    attempt = _count_attempt(job)
    if job.spec.seed == FAILING_SEED or (job.spec.seed == RECOVERING_SEED and attempt == 1):
        os._exit(3)
    return fake_run(job)


def stall(job: Job) -> RunResult:
    """Mark that ``job`` started (``<run_id>.started`` in its ``checkpoint_dir``), then
    sleep for a minute behind a (hidden) progress bar, as training does: a run still in
    flight when its driver stops or dies."""
    folder = Path(job.checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job.spec.run_id}.started").touch()
    for _ in tqdm(range(60), disable=True):
        time.sleep(1)
    return fake_run(job)
