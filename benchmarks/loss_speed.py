"""Loss forward+backward speed and peak memory against ``F.cross_entropy``, measured in one run.

For each shape, thread count and contender the script times forward+backward in
interleaved rounds (so machine load hits all alike) and prints the median time of the
baseline ``F.cross_entropy`` and each contender's ratio to it:

- ``CE mod``: hemlab's cross-entropy module, ``create_loss("ce")``;      target <= 1.1
- ``HEM fn`` / ``HEM mod``: ``hem_loss`` and ``create_loss("hem")``;     target <= 1.25

Small shapes ((128, 10), (256, 10), (64, 1000)) measure the fixed cost per call: argument
checks and the number of torch calls. Large ones measure the passes over the logits.

Peak extra memory is the most memory a forward+backward holds beyond its input logits
and target, in units of the logits' size (the gradient it returns counts as one). On
CUDA it comes from ``torch.cuda.max_memory_allocated``; on CPU from a dispatch mode that
adds up the storages the operators allocate while they are alive (no profiler, so nothing
probes for a GPU that is not there). Target: HEM holds at most two working tensors of the
logits' size at once.

    python benchmarks/loss_speed.py [--device auto|cpu|cuda] [--rounds 7] [--threads 1 2]
"""
from __future__ import annotations

import argparse
import statistics
import time
import weakref
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from hemlab.losses import create_loss, hem_loss
from hemlab.runtime import resolve_device

SHAPES = [(128, 10), (256, 10), (64, 1000), (4096, 10), (4096, 100), (4096, 1000), (8, 21, 96, 96)]
BASELINE = "F.ce"
TARGETS = {"CE mod": 1.1, "HEM fn": 1.25, "HEM mod": 1.25}


def contenders() -> dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]:
    return {BASELINE: F.cross_entropy, "CE mod": create_loss("ce"), "HEM fn": hem_loss, "HEM mod": create_loss("hem")}


def make_inputs(shape: tuple[int, ...], device: torch.device,
                dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(*shape, generator=generator).to(device, dtype).requires_grad_()
    target = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=generator).to(device)
    return logits, target


def step(loss: Callable, logits: torch.Tensor, target: torch.Tensor) -> None:
    logits.grad = None
    loss(logits, target).backward()


def seconds_per_step(loss: Callable, logits: torch.Tensor, target: torch.Tensor, repeats: int) -> float:
    sync = torch.cuda.synchronize if logits.is_cuda else (lambda: None)
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        step(loss, logits, target)
    sync()
    return (time.perf_counter() - start) / repeats


def time_shape(shape: tuple[int, ...], device: torch.device, rounds: int) -> dict[str, float]:
    """Median seconds per forward+backward of every contender, timed in interleaved rounds."""
    losses = contenders()
    logits, target = make_inputs(shape, device)
    for loss in losses.values():
        for _ in range(3):
            step(loss, logits, target)
    once = seconds_per_step(F.cross_entropy, logits, target, 3)
    repeats = max(1, int(0.05 / max(once, 1e-6)))
    samples: dict[str, list[float]] = {name: [] for name in losses}
    for _ in range(rounds):
        for name, loss in losses.items():
            samples[name].append(seconds_per_step(loss, logits, target, repeats))
    return {name: statistics.median(values) for name, values in samples.items()}


class _LiveStorages(TorchDispatchMode):
    """Adds up the bytes of the storages operators allocate while they are alive; keeps the peak."""

    def __init__(self) -> None:
        super().__init__()
        self.alive = self.peak = 0
        self.storages: set[int] = set()

    def _release(self, address: int, size: int) -> None:
        self.storages.discard(address)
        self.alive -= size

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        output = func(*args, **(kwargs or {}))
        for value in tree_flatten(output)[0]:
            if isinstance(value, torch.Tensor):
                storage = value.untyped_storage()
                address = storage.data_ptr()
                if address and address not in self.storages:
                    self.storages.add(address)
                    self.alive += storage.nbytes()
                    self.peak = max(self.peak, self.alive)
                    weakref.finalize(storage, self._release, address, storage.nbytes())
        return output


def peak_extra(loss: Callable, shape: tuple[int, ...], device: torch.device, dtype: torch.dtype = torch.float32) -> float:
    """Peak memory of one forward+backward beyond its inputs, in logits-sized units."""
    logits, target = make_inputs(shape, device, dtype)
    logits_bytes = logits.numel() * logits.element_size()
    step(loss, logits, target)
    logits.grad = None
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step(loss, logits, target)
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / logits_bytes
    with _LiveStorages() as storages:
        step(loss, logits, target)
    return storages.peak / logits_bytes


def report_speed(device: torch.device, rounds: int) -> dict[str, float]:
    """Print one table for the current thread count; return each contender's worst ratio."""
    names = [name for name in contenders() if name != BASELINE]
    print(f"\ndevice={device} torch={torch.__version__} threads={torch.get_num_threads()}")
    print(f"{'shape':>16} {'F.ce us':>9} " + " ".join(f"{name:>8}" for name in names))
    worst = dict.fromkeys(names, 0.0)
    for shape in SHAPES:
        times = time_shape(shape, device, rounds)
        ratios = {name: times[name] / times[BASELINE] for name in names}
        for name, ratio in ratios.items():
            worst[name] = max(worst[name], ratio)
        print(f"{str(shape):>16} {times[BASELINE] * 1e6:9.1f} " + " ".join(f"{ratios[name]:8.2f}" for name in names))
    print("worst ratio to F.cross_entropy: " + ", ".join(
        f"{name} {ratio:.2f} (target <= {TARGETS[name]})" for name, ratio in worst.items()))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch CPU thread counts to measure")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    for threads in args.threads:
        torch.set_num_threads(threads)
        report_speed(device, args.rounds)
    print(f"\npeak extra memory in logits-sized tensors, gradient included (device={device})")
    print(f"{'shape':>16} {'F.ce':>7} {'HEM':>7}")
    for shape in SHAPES:
        memory = {name: peak_extra(loss, shape, device) for name, loss in (("ce", F.cross_entropy), ("hem", hem_loss))}
        print(f"{str(shape):>16} {memory['ce']:7.2f} {memory['hem']:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
