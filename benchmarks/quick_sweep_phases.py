"""How long `make demo`'s sweep takes, and where the time goes: per task and per phase.

Runs the quick preset's sweep (every task, 5 seeds, the margin sweep: what ``hemlab paper
--preset quick`` plans) on the ``processes`` executor into a fresh temporary store, and
prints

- the sweep's wall time (planning and checks, the pool's start-up, the runs, storing);
- per task: runs, the summed run seconds and their split into draw / train / evaluate
  (each run record's ``phase_seconds``, see ``hemlab.tasks.phases``), and the mean per run;
- the start-up of one worker process (importing hemlab's task layer, timed in fresh
  interpreters).

``--uncached`` sets ``HEMLAB_NO_DRAW_CACHE=1`` (every run draws its data afresh and trains its
own model; the glyph generator keeps its own small per-process cache, as it always did) and
plans loss by loss, as before the shared draws; run both on an idle machine to see what sharing
saves. ``--compare DIR`` also checks that every run's rows equal those stored in ``DIR``
(a store of the same specs written another way), value for value.

    python benchmarks/quick_sweep_phases.py [--workers 2] [--seeds 5] [--uncached] [--compare DIR]

Timings come from this controlled run on an otherwise idle machine; no verdict uses them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hemlab.experiments import ResultStore, execute, plan
from hemlab.tasks import TIMING_METRICS
from hemlab.tasks.phases import PHASES


def worker_startup_seconds(repeats: int = 3) -> float:
    """Median wall time of a fresh interpreter importing what a pool worker imports."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import hemlab.experiments.jobs, hemlab.tasks.registry"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def phase_table(store: ResultStore, preset: str) -> pd.DataFrame:
    """Per task: runs, summed seconds of each phase and in all, and the mean run."""
    rows = []
    for record in store.records(preset):
        phases = record.get("phase_seconds") or {}
        rows.append({"task": record["spec"]["task"], "seconds": record["seconds"],
                     **{phase: phases.get(phase, float("nan")) for phase in PHASES}})
    frame = pd.DataFrame(rows)
    table = frame.groupby("task", sort=False).agg(runs=("seconds", "size"), **{
        phase: (phase, "sum") for phase in (*PHASES, "seconds")})
    table.loc["all"] = table.sum()
    table["per run"] = table["seconds"] / table["runs"]
    return table.round(1)


def loss_by_loss(specs: list) -> list:
    """``specs`` in the order plans had before the shared draws: task, loss, then seed."""
    variants = list(dict.fromkeys((spec.task, spec.loss_label) for spec in specs))
    return sorted(specs, key=lambda spec: (variants.index((spec.task, spec.loss_label)), spec.seed))


def _values(store: ResultStore, preset: str, spec) -> np.ndarray:
    """The run's values in a fixed order, without the wall-clock rows (they differ every run)."""
    table = store.table(preset, [spec])
    return table[~table["metric"].isin(TIMING_METRICS)].sort_values(["condition", "metric"])["value"].to_numpy()


def compare_rows(store: ResultStore, other: ResultStore, preset: str, specs) -> int:
    """How many of ``specs`` have rows that differ between the two stores (printed each)."""
    differing = 0
    for spec in specs:
        mine, theirs = _values(store, preset, spec), _values(other, preset, spec)
        if len(mine) != len(theirs) or not ((mine == theirs) | (mine != mine) & (theirs != theirs)).all():
            differing += 1
            print(f"  differs: {spec.task} {spec.loss_label} seed {spec.seed}")
    return differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--uncached", action="store_true", help="draw afresh per run and plan loss by loss")
    parser.add_argument("--compare", type=Path, help="a store of the same specs whose rows must be equal")
    parser.add_argument("--keep", type=Path, help="write the store here instead of a temporary folder")
    args = parser.parse_args()
    if args.uncached:
        os.environ["HEMLAB_NO_DRAW_CACHE"] = "1"
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hemlab-sweep-"))
    started = time.perf_counter()
    specs = plan("quick", seeds=args.seeds)
    if args.uncached:
        specs = loss_by_loss(specs)
    planned = time.perf_counter() - started
    store = ResultStore(folder)
    report = execute(specs, store, executor="processes", workers=args.workers, progress=True)
    wall = time.perf_counter() - started
    print(f"\nquick sweep: {len(report.ran)} runs ({len(report.failed)} failed) on {args.workers} workers, "
          f"{'uncached, loss by loss' if args.uncached else 'shared draws, seed by seed'}")
    print(f"wall time {wall:.1f} s = {wall / 60:.2f} min (planning and checks {planned:.1f} s)")
    table = phase_table(store, "quick")
    print("\nrun seconds per task and phase (summed over runs; in parallel they overlap):")
    print(table.to_string())
    busy = table.loc["all", "seconds"]
    print(f"\nrun seconds / (wall x workers) = {busy / (wall * args.workers):.2f} (the pool's use of the cores)")
    print(f"worker start-up (fresh interpreter importing the task layer): {worker_startup_seconds():.2f} s")
    if args.compare:
        differing = compare_rows(store, ResultStore(args.compare), "quick", specs)
        print(f"rows equal to {args.compare} for {len(specs) - differing} of {len(specs)} runs")
    print(f"store: {folder}")


if __name__ == "__main__":
    main()
