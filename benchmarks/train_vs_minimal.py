"""How much hemlab's ``train`` costs over a minimal hand-written loop doing the same work.

For each model, ``hemlab.train.train`` and a minimal loop (the same model start, random
data kept on the device, SGD settings, batch order, memory layout and seed; no history,
no accuracy, no checkpoint) run in pairs, ``--repeats`` times, taking turns at going
first (after one warm-up run); the script checks that both end with identical weights
(so they did the same work) and prints the median time ratio ``train / minimal`` of the
pairs (and its quartiles), the extra time per step, and the extra torch operators
``train`` dispatches per step (fixed costs included). On the CPU the time is the
process's CPU time (one thread by default), which other programs on a busy machine
inflate less than wall time; on an accelerator it is wall time.

    python benchmarks/train_vs_minimal.py                   # all models, CPU, one thread
    python benchmarks/train_vs_minimal.py --models mlp --repeats 15 --device cuda
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.data import TensorDataset

from hemlab.inference import AMP_DTYPES, autocast, to_channels_last, uses_channels_last
from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.runtime import configure_threads, resolve_device
from hemlab.train import TrainConfig, train

Augment = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Case:
    """One benchmarked setting: model, input shape, batch size and run length."""

    model: str
    num_classes: int
    in_channels: int
    image_size: int
    batch_size: int
    samples: int
    epochs: int
    dense: bool = False


CASES = {
    "mlp": Case("mlp", 10, 1, 8, 64, 1344, 5),
    "digits_cnn": Case("digits_cnn", 10, 1, 8, 64, 1344, 1),
    "cifar_cnn": Case("cifar_cnn", 10, 3, 32, 64, 256, 1),
    "resnet18": Case("resnet18", 10, 3, 32, 8, 32, 1),
    "unet": Case("unet", 4, 3, 32, 8, 32, 1, dense=True),
}
CONFIG = dict(lr=0.01, momentum=0.9, weight_decay=5e-4, seed=0)


def make_data(case: Case, device: torch.device) -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(case.samples, case.in_channels, case.image_size, case.image_size, generator=generator)
    shape = (case.samples, case.image_size, case.image_size) if case.dense else (case.samples,)
    return TensorDataset(images.to(device), torch.randint(0, case.num_classes, shape, generator=generator).to(device))


def fresh_model(case: Case) -> nn.Module:
    torch.manual_seed(1)
    return create_model(case.model, case.num_classes, case.in_channels)


def clock(device: torch.device) -> float:
    """CPU seconds of this process on the CPU, wall seconds on an accelerator."""
    return time.process_time() if device.type == "cpu" else time.perf_counter()


def run_hemlab(case: Case, data: TensorDataset, device: torch.device,
               augment: Augment | None = None) -> tuple[nn.Module, float]:
    model, loss = fresh_model(case), create_loss("ce")
    started = clock(device)
    train(model, loss, data, TrainConfig(epochs=case.epochs, batch_size=case.batch_size, **CONFIG),
          augment=augment, device=device, progress=False)
    return model, clock(device) - started


def run_minimal(case: Case, data: TensorDataset, device: torch.device, channels_last: bool,
                augment: Augment | None = None) -> tuple[nn.Module, float]:
    """The loop anyone would write: shuffle, index, (augment,) forward, loss, backward, step;
    on CUDA the forward runs under bfloat16 autocast, as ``train``'s default does."""
    model, loss_fn = fresh_model(case), create_loss("ce")
    amp_dtype = AMP_DTYPES[TrainConfig.amp_dtype] if device.type == "cuda" else None
    started = clock(device)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    images, targets = data.tensors
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    torch.manual_seed(CONFIG["seed"])
    optimizer = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"], momentum=CONFIG["momentum"],
                                weight_decay=CONFIG["weight_decay"])
    model.train()
    loss = torch.zeros(())
    for epoch in range(case.epochs):
        # the batch order hemlab.inference.Batches draws for (seed, epoch)
        generator = torch.Generator().manual_seed(CONFIG["seed"] * 1_000_003 + epoch)
        order = torch.randperm(len(images), generator=generator).to(device)
        for start in range(0, len(images), case.batch_size):
            index = order[start:start + case.batch_size]
            inputs, batch_targets = images[index], targets[index]
            if augment is not None:
                inputs, batch_targets = augment(inputs, batch_targets)
                inputs = to_channels_last(inputs) if channels_last else inputs
            with autocast(device, amp_dtype):
                logits = model(inputs)
            loss = loss_fn(logits.float(), batch_targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    float(loss.detach())  # wait for the device, as train does at each epoch's end
    return model, clock(device) - started


class _OpCounter(TorchDispatchMode):
    """Counts the torch operators dispatched while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def extra_ops_per_step(case: Case, data: TensorDataset, device: torch.device, channels_last: bool) -> float:
    """Torch operators ``train`` dispatches beyond the minimal loop, per step: a count that,
    unlike a time, a busy machine cannot blur."""
    counts = []
    for run in (lambda: run_hemlab(case, data, device), lambda: run_minimal(case, data, device, channels_last)):
        with _OpCounter() as counter:
            run()
        counts.append(counter.count)
    return (counts[0] - counts[1]) / (case.epochs * -(-case.samples // case.batch_size))


def same_weights(first: nn.Module, second: nn.Module) -> bool:
    return all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))


def measure(case: Case, device: torch.device, repeats: int) -> dict:
    data = make_data(case, device)
    ratios, extra = [], []
    steps = case.epochs * -(-case.samples // case.batch_size)
    channels_last = uses_channels_last(run_hemlab(case, data, device)[0])  # the layout train chose
    for repeat in range(repeats):  # alternate which runs first, so neither gains from its place
        if repeat % 2:
            minimal_model, minimal_seconds = run_minimal(case, data, device, channels_last)
        hemlab_model, hemlab_seconds = run_hemlab(case, data, device)
        if not repeat % 2:
            minimal_model, minimal_seconds = run_minimal(case, data, device, channels_last)
        if not same_weights(hemlab_model, minimal_model):
            raise RuntimeError(f"{case.model}: train and the minimal loop ended with different weights")
        ratios.append(hemlab_seconds / minimal_seconds)
        extra.append((hemlab_seconds - minimal_seconds) / steps)
    return {"model": case.model, "batch_size": case.batch_size, "steps": steps,
            "extra_ops_per_step": extra_ops_per_step(case, data, device, channels_last),
            "minimal_ms_per_step": 1e3 * minimal_seconds / steps,
            "train_over_minimal": statistics.median(ratios),
            "ratio_quartiles": "{:.3f}-{:.3f}".format(*statistics.quantiles(ratios, n=4)[::2]),
            "extra_us_per_step": 1e6 * statistics.median(extra)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda[:i] or mps (default: cpu)")
    parser.add_argument("--models", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=7, help="alternating pairs per model, >= 2 (default: 7)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    arguments = parser.parse_args()
    if arguments.repeats < 2:
        parser.error("--repeats must be at least 2")
    device = resolve_device(arguments.device)
    threads = configure_threads(arguments.threads)
    print(f"device: {device}; {threads} CPU thread(s); torch {torch.__version__}; median of {arguments.repeats} pairs")
    rows = [measure(CASES[name], device, arguments.repeats) for name in arguments.models]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda value: f"{value:.3f}"))


if __name__ == "__main__":
    main()
