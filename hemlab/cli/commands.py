"""What each command of the command line does (:mod:`hemlab.cli.parser` has their words).

Each ``COMMANDS[name](args)`` returns the exit status: 0, 1 when runs failed or a results
folder cannot be written, 2 (a :class:`~hemlab.cli.parser.UsageError`, one line) for a bad
value found after parsing. A sweep is planned once: the same specs are counted, checked,
executed and read back. The experiment logic lives in :mod:`hemlab.experiments` and the
statistics in :mod:`hemlab.stats`; here they are called, printed and saved.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from hemlab.cli.parser import UsageError
from hemlab.data import DATASETS, DatasetUnavailableError, available_datasets, dataset_info
from hemlab.experiments import Sweep, SweepInterrupted, plan, write_report
from hemlab.experiments.comparison import NothingToCompare, stored_comparison
from hemlab.experiments.execution import ExecutionReport
from hemlab.experiments.store import ResultStore, StoreWriteError
from hemlab.io import save_table
from hemlab.losses import LOSSES, PluginError, available_losses, load_plugins, loss_defaults, loss_info
from hemlab.models import MODELS, available_models, model_info
from hemlab.runtime import configure_threads, resolve_device, results_root
from hemlab.stats import headline_table, headlines, loss_ranks, measure_training_time
from hemlab.tasks import TASKS, presets_table
from hemlab.tasks.loss_labels import check_losses, parse_loss_spec
from hemlab.tasks.names import TASK_NAMES, TASK_OUTPUTS
from hemlab.tasks.overrides import Overrides, load_config, parse_assignments, resolve_settings, task_overrides
from hemlab.tasks.result import select_cell
from hemlab.tasks.settings import settings_fingerprint
from hemlab.viz import save_comparison_figure, save_paper_figures

COMPARE_COLUMNS = ("claim", "task", "subject", "comparator", "diff_mean", "diff_ci_low", "diff_ci_high", "n",
                   "verdict", "why")
"""The columns ``hemlab compare`` prints, those of them the verdict table has."""


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_string(index=index, float_format=lambda value: f"{value:.4f}")


def _load_plugins(args: argparse.Namespace) -> None:
    """Import the ``--plugin`` modules and the installed plug-ins; a failure is a usage error."""
    try:
        load_plugins(getattr(args, "plugin", None) or ())
    except PluginError as error:
        raise UsageError(str(error)) from error


def _settings(args: argparse.Namespace, tasks: Sequence[str]) -> tuple[str, Overrides]:
    """``(preset, overrides)`` from ``--preset``, ``--config`` and ``--set`` (``--set`` last, so
    it wins), each checked against every task in ``tasks``; bad values are usage errors."""
    try:
        config_preset, overrides = load_config(args.config) if getattr(args, "config", None) else (None, ())
        preset = args.preset or config_preset or "quick"
        overrides = overrides + parse_assignments(getattr(args, "set", None) or ())
        for task in tasks:
            resolve_settings(preset, task, task_overrides(overrides, task))
    except ValueError as error:
        raise UsageError(str(error)) from error
    return preset, overrides


def show_losses(args: argparse.Namespace) -> int:
    """``hemlab losses``: the losses, built in and registered, with their defaults."""
    print(_table(pd.DataFrame([
        {"name": name, "loss": loss_info(name).description, "defaults": loss_defaults(name) or "",
         "outputs": "; ".join(filter(None, (", ".join(loss_info(name).outputs), loss_info(name).outputs_note))),
         "reference": loss_info(name).reference,
         "source": "hemlab" if name in LOSSES.builtin else loss_info(name).module}
        for name in available_losses()
    ])))
    return 0


def show_datasets(args: argparse.Namespace) -> int:
    """``hemlab datasets``: the datasets and models, built in and registered, with where each comes from."""
    print(_table(pd.DataFrame([
        {"dataset": name, "what": info.description, "kind": info.kind, "classes": info.num_classes,
         "channels": info.in_channels, "size": info.image_size or "",
         "source": "hemlab" if name in DATASETS.builtin else info.module}
        for name, info in ((name, dataset_info(name)) for name in available_datasets())])))
    print("\nfolder:PATH reads an image folder (class folders, or images/ and masks/); see docs/own_data.md\n")
    print(_table(pd.DataFrame([
        {"model": name, "what": info.description, "output": info.output,
         "source": "hemlab" if name in MODELS.builtin else info.module}
        for name, info in ((name, model_info(name)) for name in available_models())])))
    return 0


def show_tasks(args: argparse.Namespace) -> int:
    """``hemlab tasks``: the tasks, presets and headlines; with settings options, the resolved settings."""
    if args.preset or args.set or args.config:
        return _resolved_settings(args)
    heads = headlines("quick")
    print(_table(pd.DataFrame([{"task": name, "what": info.description, "claim": info.claim,
                                "headline": f"{heads[name].metric} @ {heads[name].condition}"}
                               for name, info in TASKS.items()])))
    print()
    print(_table(pd.DataFrame(presets_table())))
    return 0


def _resolved_settings(args: argparse.Namespace) -> int:
    """Print every setting (rows) of every task (columns) after ``--config`` and ``--set``."""
    preset, overrides = _settings(args, TASK_NAMES)
    columns = {}
    for task in TASK_NAMES:
        settings = resolve_settings(preset, task, task_overrides(overrides, task))
        values = {key: value for key, value in dataclasses.asdict(settings).items() if key != "train"}
        values.update({f"train.{key}": value for key, value in dataclasses.asdict(settings.train).items()})
        values["settings_id"] = settings_fingerprint(settings)
        columns[task] = {key: str(value).replace(", ", ",") for key, value in values.items()}
    changed = ", ".join(f"{path}={value}" for path, value in overrides) or "none"
    print(f"preset {preset}, changes: {changed}")
    print(_table(pd.DataFrame(columns), index=True))
    return 0


def _check_loss_specs(texts: Sequence[str], tasks: Sequence[str]) -> None:
    """Parse each loss spec and build it once on a tiny input of each output that ``tasks``
    train and it supports, so a bad loss fails before any run; usage errors."""
    try:
        check_losses([parse_loss_spec(text) for text in texts], (TASK_OUTPUTS[task] for task in tasks))
    except ValueError as error:
        raise UsageError(str(error)) from error


def _sweep(args: argparse.Namespace, tasks: list[str], margin_sweep: bool) -> Sweep:
    """Plan the sweep once, say how many runs, execute what the store lacks and read it back
    (:meth:`hemlab.experiments.Sweep.execute`); bad values are usage errors."""
    preset, overrides = _settings(args, tasks)
    _check_loss_specs(args.losses or (), tasks)
    try:
        device = str(resolve_device(args.device))
        specs = plan(preset, tasks, args.losses, seeds=args.seeds, dataset=args.dataset, margin_sweep=margin_sweep,
                     overrides=overrides, model=args.model)
    except ValueError as error:
        raise UsageError(str(error)) from error
    configure_threads(args.threads)
    store = ResultStore(Path(args.out) if args.out else results_root())
    print(f"{len(specs)} runs ({', '.join(tasks)}; preset {preset}) -> {store.root / preset}")
    options = ({"address": args.address, "gpus_per_run": args.gpus_per_run, "cpus_per_run": args.cpus_per_run}
               if args.executor == "ray" else {})
    try:
        return Sweep.execute(preset, specs, store, executor=args.executor, workers=args.workers, device=device,
                             progress=not args.quiet, **options)
    except (ImportError, ValueError, DatasetUnavailableError) as error:
        raise UsageError(str(error)) from error
    except SweepInterrupted as interrupt:
        raise KeyboardInterrupt(f"interrupted: {len(interrupt.report.stored)} runs stored in "
                                f"{store.root / preset}; run the same command again to resume") from None


def _print_timing(report: ExecutionReport) -> None:
    times = pd.DataFrame([{"task": task, "run_seconds": seconds} for task, seconds in report.task_seconds.items()])
    print(f"\n{len(report.ran)} runs done, {len(report.skipped)} stored runs reused (same settings), "
          f"{len(report.failed)} failed; wall time {report.wall_seconds:.1f} s")
    if not times.empty:
        print(_table(times))
    for failure in report.failed:
        spec = failure.spec
        print(f"FAILED {spec.task} {spec.loss_label} seed {spec.seed} ({spec.run_id}): {failure.error}",
              file=sys.stderr)


def run_one_task(args: argparse.Namespace) -> int:
    """``hemlab run TASK``: one task, every loss, several seeds; the headline's summary."""
    results = _sweep(args, [args.task], margin_sweep=False)
    report, table, out_dir = results.report, results.table, results.store.root / results.preset
    _print_timing(report)
    if table.empty:
        return 1
    summary = results.summary
    with results.store.writing(results.preset):
        save_table(summary, out_dir / f"{args.task}_summary.csv")
    head = headlines(results.preset)[args.task]
    shown = select_cell(summary, args.task, head.condition, head.metric)
    print(f"\n{args.task}: {head.metric} @ {head.condition} (mean, std, 95% interval over seeds)")
    print(_table(shown[["loss_label", "mean", "std", "n", "ci_low", "ci_high"]]))
    print(f"wrote {out_dir / (args.task + '_summary.csv')}")
    return 1 if report.failed else 0


def _measure_timing(args: argparse.Namespace, preset: str, out_dir: Path) -> dict | None:
    """Claim 7's controlled timing (``timing.csv``), measured after the sweep, alone on the machine."""
    if args.no_timing or "clean_corrupt" not in args.tasks:
        return None
    print("\ntiming HEM against CE in one process, interleaved (claim 7) ...")
    timing = measure_training_time(preset, device=args.device)
    save_table(pd.DataFrame([timing]), out_dir / "timing.csv")
    return timing


def run_paper(args: argparse.Namespace) -> int:
    """``hemlab paper``: every task, every loss, several seeds; summary, verdicts, ranks, figures."""
    results = _sweep(args, args.tasks, margin_sweep=not args.no_margin_sweep)
    report, table, out_dir = results.report, results.table, results.store.root / results.preset
    _print_timing(report)
    if table.empty:
        return 1
    summary = results.summary
    timing = _measure_timing(args, results.preset, out_dir)
    claims = results.verdicts(timing=timing)
    ranking = loss_ranks(summary, results.preset)
    ranks = ranking["ranks"].T.assign(average_rank=ranking["average"]).sort_values("average_rank")
    with results.store.writing(results.preset):
        written = write_report(out_dir, table, summary, claims)
        written.append(save_table(ranks.rename_axis("loss").reset_index(), out_dir / "ranks.csv"))
        written += save_paper_figures(summary, results.preset, out_dir, ranking=ranking)
    print("\nheadline metric per task and loss (mean ± std over seeds)")
    print(headline_table(summary, results.preset).to_string())
    print(f"\naverage rank over the task headlines (critical difference {ranking['critical_difference']:.2f}, "
          f"Friedman p = {ranking['friedman_p']:.2g})")
    print(ranking["average"].round(2).to_string())
    print("\nverdicts (subject minus comparator; 95% interval; decided on Holm-adjusted one-sided tests)")
    print(_table(claims[["claim", "subject", "comparator", "diff_mean", "diff_ci_low", "diff_ci_high", "n",
                         "verdict", "why"]]))
    print("\nwrote " + ", ".join(str(path) for path in written))
    return 1 if report.failed else 0


def run_compare(args: argparse.Namespace) -> int:
    """``hemlab compare``: ``--subject`` against each ``--against`` loss on every task's headline,
    paired by seed, from the stored runs of the same settings, dataset and model."""
    preset, overrides = _settings(args, args.tasks)
    store = ResultStore(Path(args.out) if args.out else results_root())
    try:
        found = stored_comparison(store, preset, args.subject, args.against, args.tasks, overrides=overrides,
                                  dataset=args.dataset, model=args.model)
    except (NothingToCompare, ValueError) as error:
        raise UsageError(str(error)) from error
    out_dir = store.root / preset
    with store.writing(preset):
        written = [save_table(found.verdicts, out_dir / f"{found.stem}.csv"),
                   save_comparison_figure(found.summary, preset, found.subject, list(found.against),
                                          out_dir / f"{found.stem}.png")]
    print(f"{found.subject} against {', '.join(found.against)}: paired by seed on each task's headline ({preset} "
          "preset; difference = subject minus comparator, 95% interval)")
    print(_table(found.verdicts[[column for column in COMPARE_COLUMNS if column in found.verdicts.columns]]))
    print("\nwrote " + ", ".join(str(path) for path in written))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "paper": run_paper, "run": run_one_task, "compare": run_compare, "tasks": show_tasks, "losses": show_losses,
    "datasets": show_datasets,
}
"""The handler of each command, by the name :func:`hemlab.cli.parser.build_parser` gives it."""


def run_command(args: argparse.Namespace) -> int:
    """Load the plug-ins and run ``args.handler``'s command; a results folder that cannot be
    written is one line on stderr and exit status 1."""
    try:
        _load_plugins(args)
        return COMMANDS[args.handler](args)
    except StoreWriteError as error:
        print(f"hemlab: error: {error}", file=sys.stderr)
        return 1


__all__ = ["COMMANDS", "COMPARE_COLUMNS", "run_command", "run_compare", "run_one_task", "run_paper", "show_datasets",
           "show_losses", "show_tasks"]
