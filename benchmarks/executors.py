"""Wall time of one small sweep on the ``local``, ``processes`` and ``ray`` executors, and
Ray's start-up cost, measured in one run.

Each executor runs the same jobs through :func:`hemlab.experiments.jobs` into a fresh
store; the script prints each wall time and its ratio to ``local``. ``ray`` is timed
twice: starting its own local instance (what ``hemlab paper --executor ray`` does on one
machine) and on an instance started beforehand (what a cluster looks like). Ray's
start-up is ``ray.init`` until the first trivial task returns; shut-down is timed too.
Each line is printed as soon as it is measured.

By default the jobs are synthetic: a fixed amount of single-thread matrix work per run
(``--work``), so the numbers show the executors' overhead and parallelism. ``--real``
runs real quick-preset specs (task ``ood``, CE and HEM) instead.

    python benchmarks/executors.py [--runs 8] [--workers 2] [--work 15000] [--real]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import ray
import torch

from hemlab.experiments import Job, ResultStore, execute, plan, run_job
from hemlab.experiments.ray_executor import connect_ray
from hemlab.tasks import RunResult, RunSpec


def synthetic_run(job: Job, work: int) -> RunResult:
    """``work`` products of two 128 x 128 matrices on one thread; one ``train_seconds`` row."""
    torch.set_num_threads(1)
    started = time.perf_counter()
    matrix = torch.randn(128, 128, generator=torch.Generator().manual_seed(job.spec.seed)) / 12
    for _ in range(work):
        matrix = torch.tanh(matrix @ matrix)
    seconds = time.perf_counter() - started
    return RunResult([{"condition": "training", "metric": "train_seconds", "value": seconds}], seconds=seconds)


class SyntheticRun:
    """A picklable ``run_function`` doing ``work`` steps of :func:`synthetic_run`."""

    def __init__(self, work: int) -> None:
        self.work = work

    def __call__(self, job: Job) -> RunResult:
        return synthetic_run(job, self.work)


def time_sweep(specs: list[RunSpec], executor: str, workers: int, run_function) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        report = execute(specs, ResultStore(folder), executor=executor, workers=workers, progress=False,
                         run_function=run_function)
        seconds = time.perf_counter() - started
    if report.failed:
        raise SystemExit(f"{executor}: {len(report.failed)} runs failed, first: {report.failed[0].error}")
    return seconds


def start_ray(workers: int, attempts: int = 3) -> None:
    """Start a local Ray instance and print the seconds until a first trivial task returns;
    a start that times out (a busy machine) is reported and tried again."""
    for attempt in range(1, attempts + 1):
        started = time.perf_counter()
        try:
            connect_ray(workers=workers)
            ray.get(ray.remote(lambda: None).remote())
        except RuntimeError:
            print(f"ray start-up attempt {attempt} failed after {time.perf_counter() - started:.1f} s", flush=True)
            continue
        print(f"ray start-up (init to first task result): {time.perf_counter() - started:.1f} s", flush=True)
        return
    raise SystemExit(f"ray did not start in {attempts} attempts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="runs in the sweep (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="processes / Ray CPUs (default 2)")
    parser.add_argument("--work", type=int, default=15000, help="matrix products per synthetic run (default 15000)")
    parser.add_argument("--real", action="store_true", help="real quick-preset ood runs instead of synthetic ones")
    args = parser.parse_args()
    if args.real:
        specs = plan("quick", tasks=["ood"], losses=["ce", "hem"], seeds=max(1, args.runs // 2))[:args.runs]
        run_function = run_job
    else:
        specs = [RunSpec("ood", "digits", "mlp", "ce", seed=seed) for seed in range(args.runs)]
        run_function = SyntheticRun(args.work)
    print(f"{len(specs)} {'real quick-preset' if args.real else 'synthetic'} runs, {args.workers} workers, "
          f"{torch.get_num_threads()} torch threads in this process")
    timings: dict[str, float] = {}

    def show(name: str, seconds: float) -> None:
        timings[name] = seconds
        print(f"{name:>34}: {seconds:7.1f} s   {seconds / timings['local']:.2f} x local", flush=True)

    for name in ("local", "processes"):
        show(name, time_sweep(specs, name, args.workers, run_function))
    start_ray(args.workers)
    show("ray (instance already up)", time_sweep(specs, "ray", args.workers, run_function))
    started = time.perf_counter()
    ray.shutdown()
    print(f"ray shut-down: {time.perf_counter() - started:.1f} s", flush=True)
    try:
        show("ray (starting its own instance)", time_sweep(specs, "ray", args.workers, run_function))
    except RuntimeError as error:
        print(f"ray (starting its own instance): {error}", flush=True)

if __name__ == "__main__":
    main()
