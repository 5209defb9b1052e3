"""The task layer: what a run is and how one runs. One runner per task of the paper, the
presets table, your changes to it, and the loss labels.

A run is a pure function of a small frozen spec::

    from hemlab import tasks
    spec = tasks.RunSpec("ood", "digits", "mlp", "hem", seed=0)
    result = tasks.run(spec)                       # trains, evaluates, writes nothing
    result.rows                                    # tidy rows: condition, metric, value

Tasks: clean_corrupt, ood, adversarial, imbalanced, continual, segmentation. Presets:
``quick`` (embedded data, CPU minutes), ``colab`` (one GPU) and ``paper`` (the literature
settings), one table in :data:`PRESETS`; your own changes to it: :mod:`hemlab.tasks.overrides`.
Sweeps of many runs, the store and the executors are in :mod:`hemlab.experiments`; the
statistics and verdicts in :mod:`hemlab.stats`. Nothing here imports either.

The names below load on first use (PEP 562), so importing one light module
(``hemlab.tasks.names``, ``hemlab.tasks.spec``) does not import every runner. The names that
moved to :mod:`hemlab.experiments` and :mod:`hemlab.stats` in 0.2 still answer here, with a
``DeprecationWarning`` (:mod:`hemlab.moved`).
"""
from __future__ import annotations

from hemlab.lazy import lazy_exports
from hemlab.moved import moved_names

_EXPORTS: dict[str, tuple[str, ...]] = {
    "hemlab.tasks.fit": ("RunContext",),
    "hemlab.tasks.loss_labels": ("DEFAULT_LOSSES", "LossLabel", "check_losses", "loss_label", "parse_loss_spec",
                                 "sort_labels"),
    "hemlab.tasks.names": ("DEFAULT_SEEDS", "EXECUTOR_NAMES", "PRESET_NAMES", "TASK_NAMES"),
    "hemlab.tasks.overrides": ("load_config", "parse_assignments", "resolve_settings", "task_overrides"),
    "hemlab.tasks.presets": ("PRESETS", "presets_table", "task_settings"),
    "hemlab.tasks.registry": ("CLASS_FREQUENCY_HEM", "TASKS", "TaskInfo", "available_tasks", "run", "task_losses"),
    "hemlab.tasks.result": ("LOWER_IS_BETTER", "METRICS", "ROW_COLUMNS", "TIMING_METRICS", "RunResult",
                            "condition_columns", "format_condition", "parse_condition"),
    "hemlab.tasks.settings": ("MARGIN_SWEEP", "TaskSettings", "settings_fingerprint", "with_settings"),
    "hemlab.tasks.spec": ("RunSpec",),
}
_MOVED: dict[str, tuple[str, ...]] = {
    "hemlab.experiments": ("EXECUTORS", "THREADS_PER_RUN", "ExecutionReport", "Job", "RunFailure",
                           "SweepInterrupted", "execute", "get_executor", "local_executor", "process_executor",
                           "run_job", "REPORT_FILES", "check_datasets", "plan", "write_report", "DamagedRunWarning",
                           "ResultStore", "RunNotStored", "StoreWriteError", "Sweep", "sweep"),
    "hemlab.stats": ("EVERY_OTHER", "MARGIN_SWEEP_COLUMNS", "PAIRED_COLUMNS", "PAIRED_TO_COLUMNS", "hem_margins",
                     "margin_sweep", "paired_difference", "paired_differences", "select_cell", "verdict_lines",
                     "loss_ranks", "CLAIMS", "Claim", "Headline", "headline_table", "headlines", "metric_table",
                     "summarize", "verdicts", "measure_training_time"),
}
_HOME, _lazy_getattr, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
__getattr__ = moved_names(__name__, _MOVED, fallback=_lazy_getattr)
__all__ = sorted(_HOME)
