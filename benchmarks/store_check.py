"""What checking the result store costs a sweep: ``has`` (record and artifacts read and
hashed), ``table`` (records read and checked) and, for comparison, the bare ``is_file`` that
``has`` used to be.

It fills a temporary store with the runs of ``plan("quick")``, each with results shaped like
the quick preset's largest (the unknown-class task: 64 rows, a 12-epoch history, clean
logits and four sets of unknown-class logits, 512 x 10 float16 each), then times each
check over all runs in interleaved rounds and prints the median per sweep and per run.

    python benchmarks/store_check.py [--rounds 7] [--out DIR]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

from hemlab.experiments import ResultStore, plan
from hemlab.tasks import RunResult


def synthetic_result(seed: int) -> RunResult:
    """Rows, history and artifacts of the size of a quick-preset unknown-class run."""
    rng = np.random.default_rng(seed)
    rows = [{"condition": f"ood_set=set{index // 16};score=s{index % 4}", "metric": "auroc",
             "value": float(rng.uniform())} for index in range(64)]
    history = [{"epoch": epoch, "train_loss": float(rng.exponential()), "eval_accuracy": float(rng.uniform()),
                "lr": 3e-3, "seconds": float(rng.uniform())} for epoch in range(1, 13)]
    artifacts = {name: rng.normal(size=(512, 10)).astype(np.float16)
                 for name in ("logits", "ood_logits_near", "ood_logits_uniform_noise", "ood_logits_gaussian_blobs",
                              "ood_logits_permuted_pixels")}
    artifacts["targets"] = rng.integers(0, 10, size=512)
    return RunResult(rows, artifacts, history, seconds=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", default=None, help="store folder (default: a temporary one)")
    args = parser.parse_args()
    specs = plan("quick")
    with tempfile.TemporaryDirectory() as temporary:
        store = ResultStore(args.out or temporary)
        for index, spec in enumerate(specs):
            store.save(spec, synthetic_result(index))
        sizes = {suffix: statistics.median(store.path(spec).with_suffix(suffix).stat().st_size for spec in specs)
                 for suffix in (".json", ".npz")}
        checks = {"is_file (before)": lambda: [store.path(spec).is_file() for spec in specs],
                  "has (after)": lambda: [store.has(spec) for spec in specs],
                  "table(preset, specs)": lambda: store.table("quick", specs)}
        times: dict[str, list[float]] = {name: [] for name in checks}
        for _ in range(args.rounds):
            for name, check in checks.items():
                started = time.perf_counter()
                check()
                times[name].append(time.perf_counter() - started)
    print(f"{len(specs)} runs; median file sizes: record {sizes['.json'] / 1024:.1f} KiB, "
          f"artifacts {sizes['.npz'] / 1024:.1f} KiB; median of {args.rounds} rounds")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:>22}: {median * 1e3:8.1f} ms per sweep, {median / len(specs) * 1e3:6.3f} ms per run")


if __name__ == "__main__":
    main()
