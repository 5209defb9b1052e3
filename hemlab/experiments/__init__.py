"""Experiments: many runs planned, executed and stored. The plan (:func:`plan`: runs from a
preset, losses and seeds), the jobs and executors that run them (``local``, ``processes``,
``ray``), the result store (one checksummed file per run, resumable) and :func:`sweep`, which
does all of it and opens the results for a notebook::

    from hemlab import experiments, stats
    store = experiments.ResultStore("results")
    report = experiments.execute(experiments.plan("quick", seeds=10), store, executor="processes")
    table = store.table("quick")                   # tidy rows
    print(stats.verdict_lines(stats.verdicts(table, "quick")))

    results = experiments.sweep("quick", tasks=["imbalanced"])   # runs what is missing
    results.summary, results.logits("imbalanced", seed=0)

Arrows point down: experiments use :mod:`hemlab.stats` and :mod:`hemlab.tasks`; neither uses
experiments. The names load on first use (PEP 562).
"""
from __future__ import annotations

from hemlab.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "hemlab.experiments.execution": ("ExecutionReport", "SweepInterrupted", "execute"),
    "hemlab.experiments.executors": ("EXECUTORS", "get_executor", "local_executor", "process_executor"),
    "hemlab.experiments.jobs": ("THREADS_PER_RUN", "Job", "RunFailure", "group_jobs", "run_job"),
    "hemlab.experiments.planning": ("REPORT_FILES", "check_datasets", "plan", "write_report"),
    "hemlab.experiments.store": ("DamagedRunWarning", "ResultStore", "RunNotStored", "StoreWriteError"),
    "hemlab.experiments.sweeps": ("Sweep", "sweep"),
}
_HOME, __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
__all__ = sorted(_HOME)
