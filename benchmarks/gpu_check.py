"""GPU check (issue 17): what hemlab has never run on CUDA, tried and measured in one call.

Six sections, each guarded (an error is recorded in the JSON and the next section runs)
and each with its own time budget, so that the whole run fits in about 9 minutes on one H200:

1. ``tests``: with ``HEMLAB_TEST_DEVICE=cuda``, the ``cuda``-marked tests, the loss
   reference tests in float32, then the numeric test folders (losses in float64, float16
   and bfloat16, ``train``, attacks, models, metrics);
2. ``loss_speed``: HEM and CE forward+backward timed with CUDA events for the shapes of
   ``LOSS_SHAPES`` in float32 and bfloat16, with the peak memory of one step
   (``torch.cuda.max_memory_allocated``); target HEM / CE <= 1.25 everywhere;
3. ``train_throughput``: ResNet-18 (CIFAR stem) on CIFAR-shaped tensors held on the GPU,
   batch 512, SGD, bfloat16 autocast, channels_last and the on-device crop and flip:
   images per second of hemlab's ``train`` against the minimal loop of
   ``benchmarks/train_vs_minimal.py`` in alternating pairs; then each model of the paper
   preset at its own batch size (ResNet-18, the segmentation model), training and
   evaluation; from these the implied time of one 200-epoch CIFAR-10 run (target under 10
   minutes) and of the whole paper preset (training and per-epoch evaluation; attacks,
   corruptions and OOD scoring left out);
4. ``packing``: 1, 2 and 4 training processes sharing the GPU (the minimal loop at the
   paper preset's batch size), total images per second: the case for the Ray executor's
   ``--gpus-per-run``; then the loop alone at batch 512, eager and under ``torch.compile``;
5. ``preset_seeds``: one run (CE, seed 0) of every task of the ``colab`` and ``quick``
   presets on the device, and each whole preset projected from them (one run's seconds times
   the task's runs at the default seeds with the margin sweep, one at a time), beside the
   quick preset's measured time on this project's CPU;
6. ``paper_quick``: the wall time of ``hemlab paper --preset quick --device cuda``.

``--smoke`` runs every section on the CPU with tiny sizes (about 50 CPU seconds, most of it
five Python processes importing torch): a dry run of the script itself (a test runs it),
whose numbers mean nothing. Writes ``gpu_check.json``
and ``gpu_check.txt`` (a short table) into ``--out``, else ``$OUT``, else a new temporary
folder, and rewrites both after every section, so a run stopped from outside keeps what it
measured.

    python benchmarks/gpu_check.py                   # on the GPU machine, from the repository root
    python benchmarks/gpu_check.py --smoke --out /tmp/gpu_check
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import loss_speed
import torch
import train_vs_minimal

from hemlab.data import random_crop_flip
from hemlab.data.imbalance import long_tailed_counts
from hemlab.experiments import plan
from hemlab.inference import AMP_DTYPES, autocast, to_channels_last, uses_channels_last
from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.runtime import resolve_device
from hemlab.tasks.names import DEFAULT_SEEDS
from hemlab.tasks.presets import task_settings
from hemlab.tasks.settings import TaskSettings, with_settings
from hemlab.train import predict, train

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("tests", "loss_speed", "train_throughput", "packing", "preset_seeds", "paper_quick")
LOSS_SHAPES = ((256, 10), (4096, 10), (4096, 100), (4096, 1000), (8, 21, 96, 96))
HEM_OVER_CE_TARGET = 1.25
RUN_200_EPOCHS_TARGET_S = 600.0
PACKING_GAIN = 1.1
"""Packing ``n`` runs is worth it when their total images per second beat the next smaller
count's by this factor."""
PROJECTED_PRESETS = ("colab", "quick")
"""Presets whose one-seed runs section 5 times on the device to project the whole preset."""
CPU_QUICK_MINUTES = (6.2, "make demo's sweep, fresh clone, this project's 2-core machine, 2026-11-30 (README)")
"""The quick preset on this project's CPU, for the table's comparison line."""
DATASET_SIZES = {"cifar10": (50_000, 10_000, 10), "voc": (1_464, 1_449, 21)}
"""Training images, evaluation images, classes: CIFAR-10, and Pascal VOC 2012's
segmentation ``train`` and ``val`` image sets (what ``hemlab.data`` loads)."""


@dataclass(frozen=True)
class TestPass:
    """One pytest run: its name, arguments (paths, ``-m``) and extra environment."""

    name: str
    arguments: tuple[str, ...]
    environment: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class QuickSweep:
    """What section 5 asks ``hemlab paper --preset quick`` for (None: the CLI's default)."""

    tasks: tuple[str, ...] | None = None
    losses: tuple[str, ...] | None = None
    seeds: int = DEFAULT_SEEDS
    margin_sweep: bool = True
    executor: str | None = None

    def arguments(self, device: str) -> list[str]:
        """The ``hemlab paper`` arguments of this sweep on ``device``."""
        arguments = ["--preset", "quick", "--device", device, "--seeds", str(self.seeds)]
        arguments += ["--tasks", *self.tasks] if self.tasks else []
        arguments += ["--losses", *self.losses] if self.losses else []
        arguments += [] if self.margin_sweep else ["--no-margin-sweep"]
        return arguments + (["--executor", self.executor] if self.executor else [])

    def runs(self) -> int:
        """How many runs the sweep plans."""
        return len(plan("quick", tasks=self.tasks, losses=self.losses, seeds=self.seeds,
                        margin_sweep=self.margin_sweep))


@dataclass(frozen=True)
class Settings:
    """The sizes of one check: the real run on CUDA or the CPU smoke run."""

    smoke: bool
    device: str
    budgets: dict[str, float]
    test_passes: tuple[TestPass, ...]
    loss_shapes: tuple[tuple[int, ...], ...]
    loss_dtypes: tuple[str, ...]
    loss_rounds: int
    loss_block_ms: float
    batch_size: int
    image_size: int
    steps_per_epoch: int
    pairs: int
    compile_backend: str
    window_s: float
    preset_batch_size: int | None
    segmentation_image_size: int
    segmentation_batch_size: int | None
    segmentation_steps: int
    packing_counts: tuple[int, ...]
    quick_sweep: QuickSweep
    seed_overrides: dict[str, tuple[tuple[str, Any], ...]]
    """Per preset, ``--set``-style overrides of the one-seed runs (none on CUDA: the real sizes)."""


NUMERIC_TESTS = ("tests/losses", "tests/train", "tests/attacks", "tests/models", "tests/metrics",
                 "tests/test_runtime_io.py")
CUDA = Settings(
    smoke=False, device="cuda",
    budgets={"tests": 140.0, "loss_speed": 35.0, "train_throughput": 80.0, "packing": 90.0, "preset_seeds": 110.0,
             "paper_quick": 60.0},
    test_passes=(
        TestPass("cuda-marked", (*NUMERIC_TESTS, "-m", "cuda"), (("HEMLAB_TEST_DEVICE", "cuda"),)),
        TestPass("loss reference float32", ("tests/losses/test_losses_reference.py",),
                 (("HEMLAB_TEST_DEVICE", "cuda"), ("HEMLAB_TEST_DTYPE", "float32"))),
        TestPass("numeric", (*NUMERIC_TESTS, "-m", "not cuda"), (("HEMLAB_TEST_DEVICE", "cuda"),)),
    ),
    loss_shapes=LOSS_SHAPES, loss_dtypes=("float32", "bfloat16"), loss_rounds=7, loss_block_ms=20.0,
    batch_size=512, image_size=32, steps_per_epoch=24, pairs=3, compile_backend="inductor", window_s=6.0,
    preset_batch_size=None, segmentation_image_size=128, segmentation_batch_size=None, segmentation_steps=12,
    packing_counts=(1, 2, 4), quick_sweep=QuickSweep(), seed_overrides={},
)
SMOKE = Settings(
    smoke=True, device="cpu",
    budgets={"tests": 90.0, "loss_speed": 20.0, "train_throughput": 90.0, "packing": 120.0, "preset_seeds": 120.0,
             "paper_quick": 90.0},
    test_passes=(TestPass("cuda-marked (skipped on the CPU)", ("tests/losses/test_losses_contract.py",
                                                              "tests/train/test_train_cuda.py", "-m", "cuda")),),
    loss_shapes=((256, 10), (2, 21, 8, 8)), loss_dtypes=("float32", "bfloat16"), loss_rounds=3, loss_block_ms=2.0,
    batch_size=4, image_size=16, steps_per_epoch=1, pairs=1, compile_backend="eager", window_s=0.5,
    preset_batch_size=4, segmentation_image_size=32, segmentation_batch_size=2, segmentation_steps=1,
    packing_counts=(1, 2),
    quick_sweep=QuickSweep(tasks=("ood",), losses=("ce",), seeds=1, margin_sweep=False, executor="local"),
    seed_overrides={preset: (("train.epochs", 1), ("train.milestones", None), ("attack_steps", 1),
                             ("attack_samples", 8), ("corruptions", ("contrast",)), ("severities", (3,)))
                    for preset in PROJECTED_PRESETS},
)


class Budget:
    """Seconds a section may still spend: ``left()`` and ``allows(seconds)``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.perf_counter() + seconds

    def left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())

    def allows(self, seconds: float) -> bool:
        return self.left() >= seconds


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_memory(device: torch.device) -> int | None:
    return torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None


def _reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def _subprocess_environment(extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """This environment with the repository first on ``PYTHONPATH`` and ``extra`` set."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), environment.get("PYTHONPATH"))))
    environment.update(dict(extra))
    return environment


def _tail(text: str, characters: int = 1500) -> str:
    return text[-characters:]


# ----------------------------------------------------------------------------- 1. tests

def _junit_counts(path: Path) -> dict[str, Any]:
    """Counts of a pytest JUnit XML report, and up to 20 failures ``(test, first line)``."""
    root = ElementTree.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    failed = []
    for case in suite.iter("testcase"):
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        if problem is not None:
            message = (problem.get("message") or problem.text or "").strip().splitlines()
            failed.append(f"{case.get('classname')}::{case.get('name')}: {message[0] if message else ''}"[:300])
    counts["failed_tests"] = failed[:20]
    return counts


def section_tests(settings: Settings, budget: Budget) -> dict[str, Any]:
    passes = []
    for test_pass in settings.test_passes:
        if not budget.allows(5.0):
            passes.append({"name": test_pass.name, "status": "skipped: out of time"})
            continue
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "junit.xml"
            command = [sys.executable, "-m", "pytest", *test_pass.arguments, "-q", "-p", "no:cacheprovider",
                       "--tb=line", f"--junitxml={report}"]
            started = time.perf_counter()
            try:
                done = subprocess.run(command, cwd=ROOT, env=_subprocess_environment(test_pass.environment),
                                      capture_output=True, text=True, timeout=budget.left())
            except subprocess.TimeoutExpired as expired:
                output = (expired.stdout or b"").decode() if isinstance(expired.stdout, bytes) else expired.stdout or ""
                passes.append({"name": test_pass.name, "status": "timeout", "seconds": time.perf_counter() - started,
                               "output_tail": _tail(output)})
                continue
            record = {"name": test_pass.name, "status": "ran", "returncode": done.returncode,
                      "seconds": time.perf_counter() - started, "output_tail": _tail(done.stdout + done.stderr, 800)}
            if report.exists():
                record.update(_junit_counts(report))
            passes.append(record)
    return {"passes": passes,
            "all_passed": all(p.get("status") == "ran" and p.get("failures") == 0 and p.get("errors") == 0
                              for p in passes)}


# ----------------------------------------------------------------------------- 2. loss speed

def milliseconds_per_call(run: Callable[[], None], repeats: int, device: torch.device) -> float:
    """Mean milliseconds of ``run()`` over ``repeats`` calls: CUDA events on CUDA, the wall
    clock elsewhere."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeats):
            run()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / repeats
    started = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - started) * 1e3 / repeats


def time_losses(shape: tuple[int, ...], dtype: torch.dtype, device: torch.device, rounds: int,
                block_ms: float) -> dict[str, float]:
    """Median milliseconds per forward+backward of each of ``loss_speed.contenders()``, timed
    in interleaved rounds of blocks of about ``block_ms``."""
    losses = loss_speed.contenders()
    logits, target = loss_speed.make_inputs(shape, device, dtype)
    calls = {name: (lambda loss=loss: loss_speed.step(loss, logits, target)) for name, loss in losses.items()}
    for call in calls.values():
        milliseconds_per_call(call, 3, device)
    once = milliseconds_per_call(calls[loss_speed.BASELINE], 3, device)
    repeats = max(1, int(block_ms / max(once, 1e-3)))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(milliseconds_per_call(call, repeats, device))
    return {name: statistics.median(values) for name, values in samples.items()}


def section_loss_speed(settings: Settings, budget: Budget) -> dict[str, Any]:
    device = resolve_device(settings.device)
    rows, skipped = [], []
    for dtype_name in settings.loss_dtypes:
        dtype = getattr(torch, dtype_name)
        for shape in settings.loss_shapes:
            if not budget.allows(2.0):
                skipped.append(f"{shape} {dtype_name}")
                continue
            times = time_losses(shape, dtype, device, settings.loss_rounds, settings.loss_block_ms)
            logits_bytes = torch.Size(shape).numel() * dtype.itemsize
            memory = {name: loss_speed.peak_extra(loss, shape, device, dtype) * logits_bytes
                      for name, loss in (("ce", torch.nn.functional.cross_entropy), ("hem", create_loss("hem")))}
            ratios = {name: times[name] / times[loss_speed.BASELINE] for name in times if name != loss_speed.BASELINE}
            rows.append({"shape": list(shape), "dtype": dtype_name, "ce_ms": times[loss_speed.BASELINE],
                         "hem_ms": times["HEM mod"], "ratio_to_ce": ratios,
                         "peak_extra_bytes": {name: round(value) for name, value in memory.items()},
                         "within_target": max(ratios["HEM fn"], ratios["HEM mod"]) <= HEM_OVER_CE_TARGET})
    worst = max((max(row["ratio_to_ce"]["HEM fn"], row["ratio_to_ce"]["HEM mod"]) for row in rows), default=None)
    return {"timer": "cuda events" if device.type == "cuda" else "wall clock", "target_hem_over_ce": HEM_OVER_CE_TARGET,
            "rows": rows, "worst_hem_over_ce": worst, "all_within_target": bool(rows) and all(r["within_target"]
                                                                                              for r in rows),
            "skipped_out_of_time": skipped}


# ----------------------------------------------------------------------------- 3. train throughput

def train_vs_minimal_pairs(settings: Settings, device: torch.device, budget: Budget) -> dict[str, Any]:
    """hemlab's ``train`` and the minimal loop of ``train_vs_minimal`` (same model start, data,
    batch order, SGD, autocast, layout, crop and flip), in alternating pairs after a warm-up."""
    samples = settings.batch_size * settings.steps_per_epoch
    case = train_vs_minimal.Case("resnet18", 10, 3, settings.image_size, settings.batch_size, samples, epochs=2)
    data = train_vs_minimal.make_data(case, device)
    warm_model, warm_seconds = train_vs_minimal.run_hemlab(case, data, device, random_crop_flip)
    channels_last = uses_channels_last(warm_model)
    images = case.epochs * samples
    hemlab_rates, minimal_rates, same = [], [], []
    for pair in range(settings.pairs):
        if pair and not budget.allows(3 * warm_seconds):
            break
        runs = [lambda: train_vs_minimal.run_hemlab(case, data, device, random_crop_flip),
                lambda: train_vs_minimal.run_minimal(case, data, device, channels_last, random_crop_flip)]
        results = [run() for run in (runs if pair % 2 == 0 else runs[::-1])]
        (hemlab_model, hemlab_seconds), (minimal_model, minimal_seconds) = results if pair % 2 == 0 else results[::-1]
        hemlab_rates.append(images / hemlab_seconds)
        minimal_rates.append(images / minimal_seconds)
        same.append(train_vs_minimal.same_weights(hemlab_model, minimal_model))
    return {"batch_size": settings.batch_size, "images_per_run": images, "pairs": len(hemlab_rates),
            "channels_last": channels_last, "amp_dtype": "bfloat16" if device.type == "cuda" else None,
            "hemlab_img_per_s": statistics.median(hemlab_rates), "minimal_img_per_s": statistics.median(minimal_rates),
            "hemlab_over_minimal_time": statistics.median(m / h for h, m in zip(hemlab_rates, minimal_rates)),
            "same_weights_each_pair": same}


def measure_preset_model(settings: TaskSettings, input_shape: tuple[int, int, int], num_classes: int, dense: bool,
                         steps: int, device: torch.device) -> dict[str, Any]:
    """Training (the second of two epochs) and evaluation images per second of the preset
    row's model, batch size, optimizer and augmentation, through hemlab's ``train`` and ``predict``."""
    _reset_peak_memory(device)
    count = settings.train.batch_size * steps
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(count, *input_shape, generator=generator).to(device)
    target_shape = (count, *input_shape[1:]) if dense else (count,)
    data = torch.utils.data.TensorDataset(images, torch.randint(0, num_classes, target_shape,
                                                                generator=generator).to(device))
    model = create_model(settings.model, num_classes, input_shape[0], seed=0, **dict(settings.model_options))
    history = train(model, create_loss("ce"), data, dataclasses.replace(settings.train, epochs=2, milestones=None,
                                                                        schedule="none"),
                    augment=random_crop_flip if settings.augment else None, device=device, progress=False)
    predict(model, data)
    _synchronize(device)
    started = time.perf_counter()
    logits, _ = predict(model, data)
    float(logits.sum())
    eval_seconds = time.perf_counter() - started
    return {"model": settings.model, "model_options": dict(settings.model_options), "input": list(input_shape),
            "batch_size": settings.train.batch_size, "augment": settings.augment,
            "train_img_per_s": count / history["seconds"].iloc[-1], "eval_img_per_s": count / eval_seconds,
            "peak_memory_bytes": _peak_memory(device)}


def fits_per_run(task: str, settings: TaskSettings) -> list[tuple[int, int, int]]:
    """``(epochs, training images, evaluation images)`` of each ``train`` call a run of
    ``task`` makes (the imbalance ratios, and the continual protocols' stages, train in turn)."""
    if settings.dataset not in DATASET_SIZES:
        raise ValueError(f"dataset: the estimate knows {', '.join(DATASET_SIZES)}, got {settings.dataset!r}")
    train_size, eval_size, classes = DATASET_SIZES[settings.dataset]
    epochs = settings.train.epochs
    per_class_train, per_class_eval = train_size // classes, eval_size // classes
    if task == "ood":
        known = classes - len(settings.held_out_classes)
        return [(epochs, known * per_class_train, known * per_class_eval)]
    if task == "imbalanced":
        return [(epochs, int(long_tailed_counts(classes, per_class_train, ratio).sum()), eval_size)
                for ratio in settings.imbalance_ratios]
    if task == "continual":  # each protocol trains every stage; replay adds a buffer of the earlier classes
        stage_classes = classes // settings.n_tasks
        return [(epochs, stage_classes * (per_class_train + (settings.replay_per_class * stage
                                                            if protocol == "replay" else 0)),
                 stage_classes * per_class_eval) for protocol in settings.protocols for stage in range(settings.n_tasks)]
    return [(epochs, train_size, eval_size)]


def paper_preset_seconds(rates: dict[str, dict[str, Any]], seeds: int) -> dict[str, Any]:
    """Implied seconds of the paper preset's training and per-epoch evaluation with ``seeds``
    seeds, run one after another, from the measured images per second of each model
    (``rates[model]``)."""
    per_task = {}
    for spec in plan("paper", seeds=seeds):
        settings = task_settings("paper", spec.task)
        if settings.model not in rates:
            raise KeyError(f"no measured rate for model {settings.model!r} (task {spec.task})")
        rate = rates[settings.model]
        seconds = sum(epochs * (train_images / rate["train_img_per_s"] + eval_images / rate["eval_img_per_s"])
                      for epochs, train_images, eval_images in fits_per_run(spec.task, settings))
        entry = per_task.setdefault(spec.task, {"runs": 0, "seconds": 0.0})
        entry["runs"] += 1
        entry["seconds"] += seconds
    return {"seeds": seeds, "runs": sum(entry["runs"] for entry in per_task.values()), "per_task": per_task,
            "serial_seconds": sum(entry["seconds"] for entry in per_task.values()),
            "left_out": "attacks, corruptions, OOD scoring, data loading"}


def section_train_throughput(settings: Settings, budget: Budget) -> dict[str, Any]:
    device = resolve_device(settings.device)
    result: dict[str, Any] = {"paired": train_vs_minimal_pairs(settings, device, budget)}
    classification = task_settings("paper", "clean_corrupt")
    segmentation = task_settings("paper", "segmentation")
    if settings.preset_batch_size is not None:
        classification = with_settings(classification, batch_size=settings.preset_batch_size)
    if settings.segmentation_batch_size is not None:
        segmentation = with_settings(segmentation, batch_size=settings.segmentation_batch_size)
    size, voc = settings.image_size, settings.segmentation_image_size
    rates = {classification.model: measure_preset_model(classification, (3, size, size), 10, False,
                                                        settings.steps_per_epoch * 4, device)}
    if budget.allows(10.0):
        rates[segmentation.model] = measure_preset_model(segmentation, (3, voc, voc), 21, True,
                                                         settings.segmentation_steps, device)
    result["preset_models"] = rates
    paired = result["paired"]
    train_size, eval_size, _ = DATASET_SIZES["cifar10"]
    eval_rate = rates[classification.model]["eval_img_per_s"]
    preset_rate = rates[classification.model]
    result["run_200_epochs"] = {"target_s": RUN_200_EPOCHS_TARGET_S, "rows": [
        {"batch_size": batch, "preset": preset, "seconds": 200 * (train_size / rate + eval_size / eval_rate)}
        for batch, preset, rate in ((paired["batch_size"], False, paired["hemlab_img_per_s"]),
                                    (preset_rate["batch_size"], True, preset_rate["train_img_per_s"]))]}
    try:  # an estimate that cannot be made must not lose the measurements above
        result["paper_preset"] = paper_preset_seconds(rates, DEFAULT_SEEDS)
    except (KeyError, ValueError) as error:
        result["paper_preset"] = {"error": f"{type(error).__name__}: {error}"}
    return result


# ----------------------------------------------------------------------------- workers (3, 4)

def minimal_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
                 targets: torch.Tensor, amp_dtype: torch.dtype | None) -> None:
    """One step of the minimal loop: crop and flip, channels_last, autocast forward, CE, SGD."""
    inputs, targets = random_crop_flip(images, targets)
    with autocast(images.device, amp_dtype):
        logits = model(to_channels_last(inputs))
    loss = torch.nn.functional.cross_entropy(logits.float(), targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _wait_for(barrier: Path | None, count: int, timeout: float) -> None:
    """Mark this worker ready in ``barrier`` and wait until ``count`` workers are."""
    if barrier is None:
        return
    (barrier / f"ready-{os.getpid()}").touch()
    deadline = time.perf_counter() + timeout
    while len(list(barrier.glob("ready-*"))) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"barrier: {count} workers were not all ready within {timeout:.0f} s")
        time.sleep(0.02)


def throughput_worker(job: dict[str, Any]) -> dict[str, Any]:
    """Images per second of the minimal ResNet-18 loop for ``job["window_s"]`` seconds, once
    per phase (``None``: eager; else a ``torch.compile`` backend), after a warm-up; with a
    ``barrier`` folder the windows of ``count`` workers start together."""
    device = resolve_device(job["device"])
    if device.type == "cpu":
        torch.set_num_threads(1)
    _reset_peak_memory(device)  # a worker serves several jobs
    amp_dtype = AMP_DTYPES["bfloat16"] if device.type == "cuda" else None
    batch, size = job["batch_size"], job["image_size"]
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(8 * batch, 3, size, size, generator=generator).to(device)
    labels = torch.randint(0, 10, (8 * batch,), generator=generator).to(device)
    barrier = Path(job["barrier"]) if job.get("barrier") else None
    phases = []
    for backend in job["phases"]:
        model = create_model("resnet18", 10, seed=0).to(device, memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        runnable = model if backend is None else torch.compile(model, backend=backend)
        started = time.perf_counter()
        for step in range(3):
            index = slice(step * batch, (step + 1) * batch)
            minimal_step(runnable, optimizer, images[index], labels[index], amp_dtype)
        _synchronize(device)
        warm_up = time.perf_counter() - started
        _wait_for(barrier, job.get("count", 1), timeout=300.0)
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < job["window_s"] or done == 0:
            for _ in range(4):
                index = slice((done // batch % 8) * batch, (done // batch % 8 + 1) * batch)
                minimal_step(runnable, optimizer, images[index], labels[index], amp_dtype)
                done += batch
            _synchronize(device)
        seconds = time.perf_counter() - started
        phases.append({"compile": backend, "warm_up_s": warm_up, "images": done, "seconds": seconds,
                       "img_per_s": done / seconds})
    return {"batch_size": batch, "phases": phases, "peak_memory_bytes": _peak_memory(device)}


RESULT_TAG = "gpu_check result: "
"""Starts the one stdout line of a worker's answer, so that anything else a library prints
there is passed over."""


def serve() -> None:
    """The ``--serve`` mode of a worker process: one JSON job per input line, one tagged JSON
    result line out (``{"error": ...}`` when the job raised), until the input closes."""
    for line in sys.stdin:
        try:
            result = throughput_worker(json.loads(line))
        except Exception as error:  # noqa: BLE001 - reported to the parent, which records it
            result = {"error": f"{type(error).__name__}: {error}".splitlines()[0][:500]}
        print(RESULT_TAG + json.dumps(result), flush=True)


def _read_result(process: subprocess.Popen) -> str:
    """The JSON of the next tagged line ``process`` prints; ``""`` when it ends first."""
    for line in process.stdout:
        if line.startswith(RESULT_TAG):
            return line[len(RESULT_TAG):]
    return ""


class WorkerPool:
    """``size`` processes of this script in ``--serve`` mode, started once (a CUDA start costs
    seconds) and sent jobs together: ``pool.run(jobs, timeout)`` gives the first
    ``len(jobs)`` workers one job each and returns their results; a worker that does not
    answer in time is reported and the pool is stopped. Use it as a context manager."""

    def __init__(self, size: int) -> None:
        self.logs = [tempfile.TemporaryFile(mode="w+") for _ in range(size)]
        self.processes = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"], cwd=ROOT,
                                           env=_subprocess_environment(), stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, stderr=log, text=True)
                          for log in self.logs]

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.stdin.close()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()

    def _stderr_tail(self, index: int) -> str:
        self.logs[index].seek(0)
        return _tail(self.logs[index].read(), 600)

    def run(self, jobs: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        for process, job in zip(self.processes, jobs):
            process.stdin.write(json.dumps(job) + "\n")
            process.stdin.flush()
        deadline = time.perf_counter() + timeout
        results = []
        with ThreadPoolExecutor(len(jobs)) as readers:
            answers = [readers.submit(_read_result, process) for process in self.processes[:len(jobs)]]
            for index, answer in enumerate(answers):
                try:
                    line = answer.result(timeout=max(0.1, deadline - time.perf_counter()))
                except FutureTimeout:
                    for process in self.processes:  # ends the pending reads too
                        process.kill()
                    results.append({"error": f"no answer within {timeout:.0f} s"})
                    continue
                results.append(json.loads(line) if line else
                               {"error": f"worker exited with {self.processes[index].poll()}",
                                "stderr_tail": self._stderr_tail(index)})
        return results


# ----------------------------------------------------------------------------- 4. packing

def suggested_gpus_per_run(totals: dict[int, float]) -> float:
    """``1 / n`` for the largest count ``n`` each of whose steps up gained ``PACKING_GAIN``."""
    chosen, previous = 1, None
    for count in sorted(totals):
        if previous is not None and totals[count] < PACKING_GAIN * totals[previous]:
            break
        chosen, previous = count, count
    return 1 / chosen


def section_packing(settings: Settings, budget: Budget) -> dict[str, Any]:
    """Total images per second of 1, 2, ... concurrent minimal loops at the preset's batch size
    (one pool of worker processes, started once); then one worker times the loop at the
    check's batch size (512) eager and under ``torch.compile`` (``compiled_over_eager``)."""
    batch = settings.preset_batch_size or task_settings("paper", "clean_corrupt").train.batch_size
    rows, totals = [], {}
    compiled_result: dict[str, Any] | str = "skipped: out of time"
    with WorkerPool(max(settings.packing_counts)) as pool:
        for count in settings.packing_counts:
            if not budget.allows(10.0):
                rows.append({"runs": count, "status": "skipped: out of time"})
                continue
            with tempfile.TemporaryDirectory() as barrier:
                job = {"device": settings.device, "batch_size": batch, "image_size": settings.image_size,
                       "window_s": settings.window_s, "phases": [None], "barrier": barrier, "count": count}
                results = pool.run([job] * count, budget.left())
            errors = [result for result in results if "error" in result]
            if errors:
                rows.append({"runs": count, "status": "error", "errors": errors})
                continue
            rates = [result["phases"][0]["img_per_s"] for result in results]
            totals[count] = sum(rates)
            rows.append({"runs": count, "status": "ran", "total_img_per_s": totals[count],
                         "per_run_img_per_s": rates,
                         "peak_memory_bytes_per_run": [result["peak_memory_bytes"] for result in results]})
        if budget.allows(10.0):  # last: compiling may take a minute
            job = {"device": settings.device, "batch_size": settings.batch_size, "image_size": settings.image_size,
                   "window_s": settings.window_s, "phases": [None, settings.compile_backend]}
            (compiled,) = pool.run([job], budget.left())
            compiled_result = compiled if "error" in compiled else {
                **compiled, "compiled_over_eager": compiled["phases"][1]["img_per_s"] / compiled["phases"][0]["img_per_s"]}
    for row in rows:
        if row["runs"] in totals and 1 in totals:
            row["speedup_over_one"] = totals[row["runs"]] / totals[1]
    return {"batch_size": batch, "rows": rows,
            "suggested_gpus_per_run": suggested_gpus_per_run(totals) if totals else None, "compile": compiled_result}


# ----------------------------------------------------------------------------- 5. the quick preset

def _one_seed_overrides(settings: Settings, preset: str, task: str) -> tuple[tuple[str, Any], ...]:
    """The smoke run's small sizes for one task (generated sets shrunk; nothing on CUDA)."""
    changes = settings.seed_overrides.get(preset, ())
    if not changes:
        return ()
    options = dict(task_settings(preset, task).dataset_options)
    small = {"n_train": 200, "n_test": 100, "n_images": 16, "image_size": min(options.get("image_size", 32), 32)}
    return changes + (("dataset_options", tuple((key, small.get(key, value)) for key, value in options.items())),)


def section_preset_seeds(settings: Settings, budget: Budget) -> dict[str, Any]:
    """One run (CE, seed 0) of every task of each of ``PROJECTED_PRESETS`` on the device, its
    wall time, and the whole preset projected from them: the sum over tasks of one run's
    seconds times the task's runs in ``plan(preset)`` (the default seeds and the margin sweep),
    one at a time. Data drawing is inside each run, as in a sweep."""
    from hemlab.tasks import TASK_NAMES, RunSpec, run
    from hemlab.tasks.overrides import apply_overrides

    device = resolve_device(settings.device)
    result: dict[str, Any] = {}
    for preset in PROJECTED_PRESETS:
        counts = {task: sum(spec.task == task for spec in plan(preset, seeds=DEFAULT_SEEDS)) for task in TASK_NAMES}
        rows = []
        for task in TASK_NAMES:
            if not budget.allows(5.0):
                rows.append({"task": task, "status": "budget spent"})
                continue
            task_row = apply_overrides(task_settings(preset, task), _one_seed_overrides(settings, preset, task))
            spec = RunSpec(task, task_row.dataset, task_row.model, "ce", (), 0, preset)
            started = time.perf_counter()
            run(spec, device, settings=task_row)
            _synchronize(device)
            seconds = time.perf_counter() - started
            rows.append({"task": task, "status": "ran", "seconds": seconds, "runs": counts[task],
                         "projected_s": seconds * counts[task]})
        ran = [row for row in rows if row["status"] == "ran"]
        result[preset] = {"rows": rows, "runs": sum(counts.values()),
                          "projected_s": sum(row["projected_s"] for row in ran) if len(ran) == len(rows) else None}
    result["cpu_quick_minutes"], result["cpu_quick_source"] = CPU_QUICK_MINUTES
    return result


def section_paper_quick(settings: Settings, budget: Budget) -> dict[str, Any]:
    """Wall time of the quick sweep from an empty results folder; when it runs out of time,
    the runs it finished (each run's JSON marks it done) and the wall time they imply."""
    sweep = settings.quick_sweep
    planned = sweep.runs()
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "hemlab", "paper", *sweep.arguments(settings.device), "--quiet"]
        record: dict[str, Any] = {"command": "python " + " ".join(command[1:]), "runs_planned": planned}
        started = time.perf_counter()
        try:
            done = subprocess.run([*command, "--out", out], cwd=ROOT, env=_subprocess_environment(),
                                  capture_output=True, text=True, timeout=budget.left())
        except subprocess.TimeoutExpired:
            wall = time.perf_counter() - started
            finished = len(list(Path(out).glob("quick/*/*.json")))
            return {**record, "status": "timeout", "wall_s": wall, "runs_done": finished,
                    "implied_wall_s": wall * planned / finished if finished else None}
        wall = time.perf_counter() - started
        finished = len(list(Path(out).glob("quick/*/*.json")))
    return {**record, "status": "ran", "returncode": done.returncode, "wall_s": wall, "runs_done": finished,
            "output_tail": _tail(done.stdout + done.stderr, 800)}


# ----------------------------------------------------------------------------- the report

SECTION_FUNCTIONS: dict[str, Callable[[Settings, Budget], dict[str, Any]]] = {
    "tests": section_tests, "loss_speed": section_loss_speed, "train_throughput": section_train_throughput,
    "packing": section_packing, "preset_seeds": section_preset_seeds, "paper_quick": section_paper_quick,
}


def run_section(name: str, settings: Settings) -> dict[str, Any]:
    """Run one section within its budget; an exception becomes ``status: error`` with its
    last traceback lines, and the section's time and budget are recorded either way."""
    budget = Budget(settings.budgets[name])
    started = time.perf_counter()
    record: dict[str, Any] = {"budget_s": budget.seconds}
    try:
        record["result"] = SECTION_FUNCTIONS[name](settings, budget)
        record["status"] = "ok"
    except Exception as error:  # noqa: BLE001 - a section's failure is data; the next section runs
        record["status"] = "error"
        record["error"] = f"{type(error).__name__}: {error}".splitlines()[0][:500]
        record["traceback_tail"] = _tail(traceback.format_exc(), 2000)
    record["seconds"] = time.perf_counter() - started
    if settings.device == "cuda" and torch.cuda.is_available():
        _reset_peak_memory(torch.device("cuda"))
    return record


REQUIRED_MODULES = ("pytest", "pandas", "sklearn", "scipy", "statsmodels", "matplotlib", "seaborn", "tqdm",
                    "torchmetrics", "ipywidgets", "torchattacks")
"""What the sections import beyond torch (the tests: torchattacks; ``hemlab paper``: the rest)."""


def environment(settings: Settings) -> dict[str, Any]:
    on_cuda = settings.device == "cuda" and torch.cuda.is_available()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip() or None
    except OSError:  # no git on the machine
        commit = None
    return {"smoke": settings.smoke, "device": settings.device,
            "gpu": torch.cuda.get_device_name() if on_cuda else None,
            "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
            "cpu_cores": os.cpu_count(), "commit": commit,
            "missing_modules": [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None],
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _number(value: Any, unit: str = "", digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}{unit}"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The short text table: one line per section (status, seconds, the numbers that matter)."""
    meta = report["environment"]
    lines = [f"hemlab GPU check{' (smoke run on the CPU: the numbers mean nothing)' if meta['smoke'] else ''}",
             f"{meta['started_utc']}  device {meta['device']}  gpu {meta['gpu']}  torch {meta['torch']}  "
             f"commit {meta['commit']}"
             + (f"  missing modules: {', '.join(meta['missing_modules'])}" if meta["missing_modules"] else ""), ""]
    for name, record in report["sections"].items():
        head = f"{name:<17} {record['status']:<6} {record['seconds']:6.1f} s of {record['budget_s']:.0f}"
        result = record.get("result", {})
        if record["status"] != "ok":
            lines.append(f"{head}  {record.get('error', '')}")
        elif name == "tests":
            lines.append(head + "  " + "; ".join(
                f"{p['name']}: {p.get('passed', 0)} passed, {p.get('failures', 0) + p.get('errors', 0)} failed, "
                f"{p.get('skipped', 0)} skipped" if p.get("status") == "ran" else f"{p['name']}: {p['status']}"
                for p in result["passes"]))
        elif name == "loss_speed":
            lines.append(f"{head}  worst HEM/CE {_number(result['worst_hem_over_ce'], digits=2)} "
                         f"(target <= {HEM_OVER_CE_TARGET}); all within target: {result['all_within_target']}")
            for row in result["rows"]:
                lines.append(f"{'':19}{str(tuple(row['shape'])):>16} {row['dtype']:<8} CE {row['ce_ms']:.3f} ms  "
                             f"HEM/CE {row['ratio_to_ce']['HEM mod']:.2f}  peak CE/HEM "
                             f"{row['peak_extra_bytes']['ce']:,}/{row['peak_extra_bytes']['hem']:,} B")
        elif name == "train_throughput":
            paired = result["paired"]
            lines.append(f"{head}  batch {paired['batch_size']}: train {_number(paired['hemlab_img_per_s'])} img/s, "
                         f"minimal {_number(paired['minimal_img_per_s'])} img/s "
                         f"(time ratio {paired['hemlab_over_minimal_time']:.3f})")
            for model, rate in result["preset_models"].items():
                lines.append(f"{'':19}{model} at batch {rate['batch_size']}: train "
                             f"{_number(rate['train_img_per_s'])} img/s, eval {_number(rate['eval_img_per_s'])} img/s")
            lines.append(f"{'':19}200 CIFAR-10 epochs (target {RUN_200_EPOCHS_TARGET_S / 60:.0f} min): " + ", ".join(
                f"batch {row['batch_size']}{' (preset)' if row['preset'] else ''} {_number(row['seconds'] / 60, ' min', 1)}"
                for row in result["run_200_epochs"]["rows"]))
            preset = result["paper_preset"]
            if "error" in preset:
                lines.append(f"{'':19}paper preset: {preset['error']}")
            else:
                lines.append(f"{'':19}paper preset, {preset['runs']} runs one at a time: "
                             f"{_number(preset['serial_seconds'] / 3600, ' h', 1)} (training and evaluation)")
        elif name == "packing":
            lines.append(f"{head}  batch {result['batch_size']}: " + ", ".join(
                f"{row['runs']} runs {_number(row.get('total_img_per_s'))} img/s" for row in result["rows"])
                + f"; suggested --gpus-per-run {_number(result['suggested_gpus_per_run'], digits=2)}")
            compiled = result["compile"]
            if isinstance(compiled, dict) and "compiled_over_eager" in compiled:
                eager, with_compile = compiled["phases"]
                lines.append(f"{'':19}one run, batch {compiled['batch_size']}: eager {_number(eager['img_per_s'])} img/s, "
                             f"torch.compile({with_compile['compile']}) {_number(with_compile['img_per_s'])} img/s "
                             f"({compiled['compiled_over_eager']:.2f}x; warm-up {with_compile['warm_up_s']:.0f} s)")
            else:
                lines.append(f"{'':19}torch.compile: {compiled}")
        elif name == "preset_seeds":
            lines.append(head)
            for preset in PROJECTED_PRESETS:
                entry = result[preset]
                projected = entry["projected_s"]
                lines.append(f"{'':19}{preset}: one seed " + ", ".join(
                    f"{row['task']} {_number(row.get('seconds'), ' s', 1)}" for row in entry["rows"])
                    + f"; whole preset ({entry['runs']} runs, one at a time) "
                    + (_number(projected / 60, " min", 1) if projected is not None else "not projected"))
            lines.append(f"{'':19}quick on this project's CPU: {result['cpu_quick_minutes']:g} min "
                         f"({result['cpu_quick_source']})")
        elif name == "paper_quick":
            implied = f", implied {_number(result['implied_wall_s'], ' s')}" if result["status"] == "timeout" else ""
            lines.append(f"{head}  {result['status']}, exit {result.get('returncode')}, {result['runs_done']} of "
                         f"{result['runs_planned']} runs, wall {_number(result['wall_s'], ' s', 1)}{implied}")
    return lines


def write_report(report: dict[str, Any], out: Path) -> list[str]:
    """Write the JSON, then the text table (a table that cannot be made says why in its
    place, so the check goes on); return the table's lines."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    try:
        lines = summary_lines(report)
    except Exception as error:  # noqa: BLE001 - the JSON holds everything; the table is a view of it
        lines = [f"the table could not be made ({type(error).__name__}: {error}); see gpu_check.json"]
    (out / "gpu_check.txt").write_text("\n".join(lines) + "\n")
    return lines


def output_folder(argument: str | None) -> Path:
    """``--out``, else ``$OUT``, else a new temporary folder."""
    if argument:
        return Path(argument)
    if os.environ.get("OUT"):
        return Path(os.environ["OUT"])
    return Path(tempfile.mkdtemp(prefix="hemlab_gpu_check_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="every section on the CPU with tiny sizes (< 1 minute)")
    parser.add_argument("--out", default=None, help="output folder (default: $OUT, else a new temporary folder)")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.serve:
        serve()
        return 0
    settings = SMOKE if arguments.smoke else CUDA
    if not settings.smoke and not torch.cuda.is_available():
        parser.error("no CUDA GPU is available; use --smoke for the CPU dry run")
    out = output_folder(arguments.out)
    report: dict[str, Any] = {"environment": environment(settings), "sections": {}}
    started = time.perf_counter()
    for name in arguments.sections:
        print(f"gpu_check: {name} (budget {settings.budgets[name]:.0f} s)", flush=True)
        report["sections"][name] = run_section(name, settings)
        report["seconds"] = time.perf_counter() - started
        lines = write_report(report, out)
    print("\n".join(lines))
    print(f"gpu_check: wrote {out / 'gpu_check.json'} and {out / 'gpu_check.txt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
