"""How fast `make demo`'s sweep could be with today's settings: the time of its matrix products alone.

Profiles one run per task (seed 0, cross-entropy; clean_corrupt first, so that adversarial
reuses its model as it does in the sweep) with ``torch.profiler`` on one thread, and sums the
self time of the kernels that do the arithmetic of a training step and of an evaluation: the
matrix products (``aten::mm``, ``addmm``, ``bmm``, ``baddbmm``) and the convolutions (forward and
backward). Everything else (the loss, the optimizer, the gradient clip, autograd, the data,
Python) is "the rest". The number of runs per task comes from the sweep's plan.

Prints per task: the profiled run's seconds, its matrix seconds and their share; then the
sweep's matrix seconds (runs x per run) and the wall time they alone need on ``--workers``
cores, against the 4-minute aim. Only the loss differs between the runs of a task and a seed,
and no loss changes the matrix work, so one run stands for its task (the seed changes the
long-tailed subsets' sizes by a few images). The profiler slows the rest, not the kernels:
read the profiled seconds as an upper bound, the matrix seconds as they are.

    python benchmarks/quick_sweep_floor.py [--workers 2] [--seeds 5]

Timings come from this controlled run on an otherwise idle machine; no verdict uses them.
"""
from __future__ import annotations

import argparse
import collections
import time

import pandas as pd
import torch
from torch.profiler import ProfilerActivity, profile

from hemlab.experiments import plan
from hemlab.tasks.registry import run

MATRIX_KERNELS = frozenset({"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::mkldnn_convolution",
                            "aten::convolution_backward", "aten::_slow_conv2d_forward",
                            "aten::_slow_conv2d_backward"})
"""The operators whose self time is the arithmetic a step cannot do without."""
AIM_SECONDS = 240.0
"""The aim for `make demo`'s sweep: 4 minutes of wall time."""
TASK_ORDER = ("clean_corrupt", "adversarial", "ood", "imbalanced", "continual", "segmentation")
"""clean_corrupt before adversarial: the adversarial run takes the model clean_corrupt trained."""


def profiled_run(spec) -> tuple[float, float]:
    """``(seconds, matrix seconds)`` of ``spec`` run once under the profiler."""
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        started = time.perf_counter()
        run(spec)
        seconds = time.perf_counter() - started
    matrix = sum(event.self_cpu_time_total for event in profiler.key_averages() if event.key in MATRIX_KERNELS)
    return seconds, matrix / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    specs = plan("quick", seeds=args.seeds)
    runs = collections.Counter(spec.task for spec in specs)
    rows = []
    for task in TASK_ORDER:
        spec = next(spec for spec in specs if spec.task == task and spec.seed == 0 and spec.loss_label == "ce")
        seconds, matrix = profiled_run(spec)
        rows.append({"task": task, "runs": runs[task], "profiled s": seconds, "matrix s": matrix,
                     "matrix share": matrix / seconds, "sweep matrix s": runs[task] * matrix})
    table = pd.DataFrame(rows).set_index("task")
    print(table.round(3).to_string())
    total = table["sweep matrix s"].sum()
    floor = total / args.workers
    print(f"\nthe sweep's {sum(runs.values())} runs: matrix products and convolutions {total:.0f} run-seconds; "
          f"alone they need {floor:.0f} s = {floor / 60:.2f} min on {args.workers} workers")
    budget = AIM_SECONDS * args.workers - total
    print(f"the 4-minute aim leaves {budget:.0f} run-seconds for everything else in {sum(runs.values())} runs "
          f"({budget / sum(runs.values()):.2f} s per run)")


if __name__ == "__main__":
    main()
