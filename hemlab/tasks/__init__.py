"""The task layer: hemlab's main job. One runner per task of the paper, the run plan,
executors, the result store, and statistics with a verdict per claim.

A run is a pure function of a small frozen spec::

    from hemlab import tasks
    spec = tasks.RunSpec("ood", "digits", "mlp", "hem", seed=0)
    result = tasks.run(spec)                       # trains, evaluates, writes nothing
    store = tasks.ResultStore("results")
    report = tasks.execute(tasks.plan("quick", seeds=10), store, executor="processes")
    table = store.table("quick")                   # tidy rows
    summary = tasks.summarize(table)
    verdicts = tasks.verdicts(table, "quick")
    print(tasks.verdict_lines(verdicts))           # the notebooks' helpers: tasks.paired_differences,
                                                   # tasks.margin_sweep, tasks.sweep(...).logits(task)

Tasks: clean_corrupt, ood, adversarial, imbalanced, continual, segmentation. Presets:
``quick`` (embedded data, CPU minutes) and ``paper`` (the literature settings), one
table in :data:`PRESETS`; your own changes to it: :mod:`hemlab.tasks.overrides`.

The names below load on first use (PEP 562), so importing one light module
(``hemlab.tasks.names``, ``hemlab.tasks.spec``) does not import every runner.
"""
from __future__ import annotations

import sys
import types
from typing import Any

from hemlab.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "hemlab.tasks.claims": ("EVERY_OTHER",),
    "hemlab.tasks.execute": ("EXECUTORS", "THREADS_PER_RUN", "ExecutionReport", "Job", "RunFailure",
                             "SweepInterrupted", "execute", "get_executor", "local_executor", "process_executor",
                             "run_job"),
    "hemlab.tasks.fit": ("RunContext",),
    "hemlab.tasks.names": ("EXECUTOR_NAMES", "PRESET_NAMES", "TASK_NAMES"),
    "hemlab.tasks.notebook": ("MARGIN_SWEEP_COLUMNS", "PAIRED_COLUMNS", "PAIRED_TO_COLUMNS", "hem_margins",
                              "margin_sweep", "paired_difference", "paired_differences", "select_cell",
                              "verdict_lines"),
    "hemlab.tasks.overrides": ("load_config", "parse_assignments", "resolve_settings", "task_overrides"),
    "hemlab.tasks.plan": ("REPORT_FILES", "check_datasets", "plan", "write_report"),
    "hemlab.tasks.ranks": ("loss_ranks",),
    "hemlab.tasks.registry": ("CLASS_FREQUENCY_HEM", "TASKS", "TaskInfo", "available_tasks", "run", "task_losses"),
    "hemlab.tasks.result": ("LOWER_IS_BETTER", "METRICS", "ROW_COLUMNS", "TIMING_METRICS", "RunResult",
                            "condition_columns", "format_condition", "parse_condition"),
    "hemlab.tasks.spec": ("DEFAULT_LOSSES", "DEFAULT_SEEDS", "MARGIN_SWEEP", "PRESETS", "RunSpec", "TaskSettings",
                          "check_losses", "loss_label", "parse_loss_spec", "presets_table", "settings_fingerprint",
                          "task_settings", "with_settings"),
    "hemlab.tasks.stats": ("CLAIMS", "Claim", "Headline", "headline_table", "headlines", "metric_table", "summarize",
                           "verdicts"),
    "hemlab.tasks.store": ("DamagedRunWarning", "ResultStore", "RunNotStored", "StoreWriteError"),
    "hemlab.tasks.sweep": ("Sweep", "sweep"),
    "hemlab.tasks.timing": ("measure_training_time",),
}
_HOME, __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
__all__ = sorted(_HOME)


class _TasksPackage(types.ModuleType):
    """The package's module type: ``plan`` and ``sweep`` are submodules and functions; when
    the import system binds such a submodule on the package, the function is bound instead,
    as the eager ``from hemlab.tasks.plan import plan`` of old did."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _HOME and value.__name__ == f"{__name__}.{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _TasksPackage
