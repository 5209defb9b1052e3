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

Tasks: clean_corrupt, ood, adversarial, imbalanced, continual, segmentation. Presets:
``quick`` (embedded data, CPU minutes) and ``paper`` (the literature settings), one
table in :data:`PRESETS`.
"""
from hemlab.tasks.execute import (
    EXECUTORS, THREADS_PER_RUN, ExecutionReport, Job, RunFailure, SweepInterrupted, execute, get_executor,
    local_executor, process_executor, run_job,
)
from hemlab.tasks.fit import RunContext
from hemlab.tasks.plan import REPORT_FILES, plan, write_report
from hemlab.tasks.registry import TASKS, TaskInfo, available_tasks, run, task_losses
from hemlab.tasks.result import (
    LOWER_IS_BETTER, METRICS, ROW_COLUMNS, TIMING_METRICS, RunResult, condition_columns, format_condition,
    parse_condition,
)
from hemlab.tasks.spec import (
    DEFAULT_LOSSES, DEFAULT_SEEDS, MARGIN_SWEEP, PRESET_NAMES, PRESETS, TASK_NAMES, RunSpec, TaskSettings, loss_label,
    parse_loss_spec, presets_table, task_settings, with_settings,
)
from hemlab.tasks.claims import EVERY_OTHER
from hemlab.tasks.ranks import loss_ranks
from hemlab.tasks.stats import CLAIMS, Claim, Headline, headline_table, headlines, metric_table, summarize, verdicts
from hemlab.tasks.store import DamagedRunWarning, ResultStore, RunNotStored, StoreWriteError
from hemlab.tasks.sweep import Sweep, sweep
from hemlab.tasks.timing import measure_training_time

__all__ = [
    "CLAIMS", "Claim", "DEFAULT_LOSSES", "DEFAULT_SEEDS", "DamagedRunWarning", "EVERY_OTHER", "EXECUTORS",
    "ExecutionReport", "Headline", "Job", "LOWER_IS_BETTER", "MARGIN_SWEEP", "METRICS", "PRESETS", "PRESET_NAMES",
    "REPORT_FILES", "ROW_COLUMNS", "ResultStore", "RunContext", "RunFailure", "RunNotStored", "RunResult", "RunSpec",
    "StoreWriteError", "Sweep", "SweepInterrupted", "TASKS", "TASK_NAMES", "THREADS_PER_RUN", "TIMING_METRICS",
    "TaskInfo", "TaskSettings", "available_tasks", "condition_columns", "execute", "format_condition",
    "get_executor", "headline_table", "headlines", "local_executor", "loss_label", "loss_ranks",
    "measure_training_time", "metric_table", "parse_condition", "parse_loss_spec", "plan", "presets_table",
    "process_executor", "run", "run_job", "summarize", "sweep", "task_losses", "task_settings", "verdicts",
    "with_settings", "write_report",
]
