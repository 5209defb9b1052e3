"""Wall time of the main job: ``hemlab paper`` on a preset, from an empty results folder.

Runs the sweep (every task, every loss, ``--seeds`` seeds, the margin sweep) into a fresh
temporary folder with the chosen executor and workers, then prints per task the runs and
their summed seconds (with the task's share of the wall time), the total wall time, and its
ratio to the target (10 minutes for the quick preset on a 2-core machine).

    python benchmarks/paper_sweep.py                       # quick preset, processes, one worker per core
    python benchmarks/paper_sweep.py --workers 1 --executor local
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import pandas as pd

from hemlab.experiments import EXECUTORS, sweep
from hemlab.tasks import TASK_NAMES

TARGET_SECONDS = {"quick": 600.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--executor", choices=list(EXECUTORS), default="processes")
    parser.add_argument("--workers", type=int, default=0, help="0: one per CPU core")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tasks", nargs="+", default=list(TASK_NAMES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        results = sweep(args.preset, args.tasks, seeds=args.seeds, out=out, executor=args.executor,
                        workers=args.workers, device=args.device, progress=False)
        wall = time.perf_counter() - started
    report = results.report
    run_seconds = pd.Series(report.task_seconds, name="run_seconds")
    per_task = pd.DataFrame({
        "runs": pd.Series([spec.task for spec in report.ran]).value_counts(),
        "run_seconds": run_seconds,
        "share_of_wall_s": run_seconds / run_seconds.sum() * wall,
    }).reindex(args.tasks)
    print(f"preset {args.preset}, {len(results.specs)} runs, executor {args.executor}, "
          f"workers {args.workers or os.cpu_count()}, cores {os.cpu_count()}, failed {len(report.failed)}")
    print(per_task.to_string(float_format=lambda value: f"{value:.1f}"))
    print(f"total wall time: {wall:.1f} s")
    if args.preset in TARGET_SECONDS and set(args.tasks) == set(TASK_NAMES):
        target = TARGET_SECONDS[args.preset]
        print(f"wall / target ({target:.0f} s): {wall / target:.2f}")


if __name__ == "__main__":
    main()
