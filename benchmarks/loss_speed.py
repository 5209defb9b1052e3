"""HEM forward+backward speed and peak memory against ``F.cross_entropy``, measured in one run.

For each shape the two losses are timed in interleaved rounds (so machine load hits both
alike) and the script prints the median time of each and their ratio HEM / CE. Target:
ratio <= 1.5 on every shape.

Peak extra memory is the most memory a forward+backward holds beyond its input logits
and target, in units of the logits' size (the gradient it returns counts as one). On
CUDA it comes from ``torch.cuda.max_memory_allocated``; on CPU from the profiler's record
of allocations. Target: HEM holds at most two working tensors of the logits' size at
once (the mask saved for backward and the gradient being formed, or the errors and the
mask in the forward pass).

    python benchmarks/loss_speed.py [--device auto|cpu|cuda] [--rounds 7] [--threads N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from torch.profiler import ProfilerActivity, profile

from hemlab.losses import hem_loss
from hemlab.runtime import resolve_device

SHAPES = [(4096, 10), (4096, 100), (4096, 1000), (8, 21, 96, 96)]
LOSSES = {"ce": F.cross_entropy, "hem": hem_loss}


def make_inputs(shape: tuple[int, ...], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(*shape, generator=generator).to(device).requires_grad_()
    target = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=generator).to(device)
    return logits, target


def step(loss_name: str, logits: torch.Tensor, target: torch.Tensor) -> None:
    logits.grad = None
    LOSSES[loss_name](logits, target).backward()


def seconds_per_step(loss_name: str, logits: torch.Tensor, target: torch.Tensor, repeats: int) -> float:
    sync = torch.cuda.synchronize if logits.is_cuda else (lambda: None)
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        step(loss_name, logits, target)
    sync()
    return (time.perf_counter() - start) / repeats


def time_shape(shape: tuple[int, ...], device: torch.device, rounds: int) -> dict[str, float]:
    logits, target = make_inputs(shape, device)
    for name in LOSSES:
        for _ in range(3):
            step(name, logits, target)
    once = seconds_per_step("ce", logits, target, 3)
    repeats = max(1, int(0.05 / max(once, 1e-6)))
    samples = {name: [] for name in LOSSES}
    for _ in range(rounds):
        for name in LOSSES:
            samples[name].append(seconds_per_step(name, logits, target, repeats))
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_extra(loss_name: str, shape: tuple[int, ...], device: torch.device) -> float:
    """Peak memory of one forward+backward beyond its inputs, in logits-sized units.

    CUDA: the caching allocator's peak. CPU: the profiler's allocation record, each
    operator's allocations placed at its start and its releases at its end (an upper
    bound on what is alive at once).
    """
    logits, target = make_inputs(shape, device)
    logits_bytes = logits.numel() * logits.element_size()
    step(loss_name, logits, target)
    logits.grad = None
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step(loss_name, logits, target)
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / logits_bytes
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiler:
        step(loss_name, logits, target)
    changes = sorted(
        (event.time_range.start if event.self_cpu_memory_usage > 0 else event.time_range.end,
         event.self_cpu_memory_usage)
        for event in profiler.events()
        if event.self_cpu_memory_usage
    )
    alive = peak = 0
    for _, change in changes:
        alive += change
        peak = max(peak, alive)
    return peak / logits_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()}")
    print(f"{'shape':>16} {'CE ms':>9} {'HEM ms':>9} {'HEM/CE':>7} {'CE mem':>7} {'HEM mem':>8}")
    worst = 0.0
    for shape in SHAPES:
        times = time_shape(shape, device, args.rounds)
        ratio = times["hem"] / times["ce"]
        worst = max(worst, ratio)
        memory = {name: peak_extra(name, shape, device) for name in LOSSES}
        print(f"{str(shape):>16} {times['ce'] * 1e3:9.3f} {times['hem'] * 1e3:9.3f} {ratio:7.2f} "
              f"{memory['ce']:7.2f} {memory['hem']:8.2f}")
    print(f"worst HEM/CE time ratio: {worst:.2f} (target <= 1.5); memory in logits-sized tensors, gradient included")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
