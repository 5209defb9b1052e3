"""Command line: rerun the paper's comparison, one task or all of them.

    hemlab paper [--preset quick|colab|paper] [--tasks ...] [--losses ...] [--seeds N] [--workers N] [--out DIR]
    hemlab run TASK [--losses ...] [--dataset NAME|folder:PATH] [--model NAME] [--preset quick|colab|paper] ...
    hemlab compare --subject LOSS --against LOSS [LOSS ...] [--preset P] [--tasks ...] [--out DIR]
    hemlab tasks [--preset P] [--set FIELD=VALUE ...]   the tasks, presets, headlines; resolved settings
    hemlab losses       the losses and their defaults
    hemlab datasets     the datasets and models (built in and registered)

Every command takes ``--plugin MODULE`` (repeatable: modules that register losses, datasets or
models; installed plug-ins of the entry-point groups ``hemlab.losses``, ``hemlab.datasets`` and
``hemlab.models`` load by themselves), and the sweeps
``--set FIELD=VALUE`` (repeatable; ``train.epochs=30``, ``imbalance_ratios=10,50``,
``TASK.field`` for one task) and ``--config FILE.toml`` (see ``hemlab.tasks.overrides``).

Results go to ``<out>/<preset>/`` (default ``out``: ``$HEMLAB_RESULTS`` or ``results/``); a
re-run reuses the runs stored there with the same settings. Bad arguments end in one line
on stderr and exit status 2, before any run starts; failed runs are listed and give exit
status 1, and so does a results folder that cannot be written (one line). Ctrl-C stops the
workers, says how many runs are stored and exits with status 130; a second Ctrl-C exits at
once. Warnings (a damaged run record, set aside and run again) are one line each. Only what
a command needs is imported, when it needs it: ``--help`` and ``--version`` import neither
torch nor pandas.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NoReturn, Sequence

from hemlab import __version__
from hemlab.tasks.names import DEFAULT_SEEDS, EXECUTOR_NAMES, PRESET_NAMES, TASK_NAMES

if TYPE_CHECKING:  # pandas and the task layer load inside main(), after Ctrl-C is handled
    import pandas as pd


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming what is allowed (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class UsageError(ValueError):
    """A bad command-line value found after parsing (printed as one line, exit status 2)."""


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_string(index=index, float_format=lambda value: f"{value:.4f}")


def _load_plugins(args: argparse.Namespace) -> None:
    """Import the ``--plugin`` modules and the installed plug-ins; a failure is a usage error."""
    from hemlab.losses import PluginError, load_plugins

    try:
        load_plugins(getattr(args, "plugin", None) or ())
    except PluginError as error:
        raise UsageError(str(error)) from error


def _settings(args: argparse.Namespace, tasks: Sequence[str]) -> tuple[str, tuple]:
    """``(preset, overrides)`` from ``--preset``, ``--config`` and ``--set`` (``--set`` last, so
    it wins), each checked against every task in ``tasks``; bad values are usage errors."""
    from hemlab.tasks.overrides import load_config, parse_assignments, resolve_settings, task_overrides

    try:
        config_preset, overrides = load_config(args.config) if getattr(args, "config", None) else (None, ())
        preset = args.preset or config_preset or "quick"
        overrides = overrides + parse_assignments(getattr(args, "set", None) or ())
        for task in tasks:
            resolve_settings(preset, task, task_overrides(overrides, task))
    except ValueError as error:
        raise UsageError(str(error)) from error
    return preset, overrides


def _losses(args: argparse.Namespace) -> int:
    import pandas as pd

    from hemlab.losses import LOSSES, available_losses, loss_defaults, loss_info

    print(_table(pd.DataFrame([
        {"name": name, "loss": loss_info(name).description, "defaults": loss_defaults(name) or "",
         "outputs": "; ".join(filter(None, (", ".join(loss_info(name).outputs), loss_info(name).outputs_note))),
         "reference": loss_info(name).reference,
         "source": "hemlab" if name in LOSSES.builtin else loss_info(name).module}
        for name in available_losses()
    ])))
    return 0


def _datasets(args: argparse.Namespace) -> int:
    """The datasets and models, built in and registered, with where each comes from."""
    import pandas as pd

    from hemlab.data import DATASETS, available_datasets, dataset_info
    from hemlab.models import MODELS, available_models, model_info

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


def _tasks(args: argparse.Namespace) -> int:
    import pandas as pd

    from hemlab.stats import headlines
    from hemlab.tasks import TASKS, presets_table

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
    import dataclasses

    import pandas as pd

    from hemlab.tasks.overrides import resolve_settings, task_overrides
    from hemlab.tasks.settings import settings_fingerprint

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
    train and it supports, importing only the losses (not the runners), so a bad loss fails
    fast; usage errors."""
    from hemlab.tasks.loss_labels import check_losses, parse_loss_spec
    from hemlab.tasks.names import TASK_OUTPUTS

    try:
        parsed = [parse_loss_spec(text) for text in texts]
        check_losses(parsed, (TASK_OUTPUTS[task] for task in tasks))
    except ValueError as error:
        raise UsageError(str(error)) from error


def _sweep(args: argparse.Namespace, tasks: list[str], margin_sweep: bool):
    """Plan, execute and read back a sweep (``hemlab.tasks.Sweep``); bad values are usage errors."""
    preset, overrides = _settings(args, tasks)
    _check_loss_specs(args.losses or (), tasks)
    # Imported after the fast checks above: the runners and torchvision take seconds to import.
    from hemlab.data import DatasetUnavailableError
    from hemlab.experiments import SweepInterrupted, plan, sweep
    from hemlab.runtime import configure_threads, resolve_device, results_root

    try:
        resolve_device(args.device)
        count = len(plan(preset, tasks, args.losses, seeds=args.seeds, dataset=args.dataset,
                         margin_sweep=margin_sweep, overrides=overrides, model=args.model))
    except ValueError as error:
        raise UsageError(str(error)) from error
    configure_threads(args.threads)
    out_root = Path(args.out) if args.out else results_root()
    print(f"{count} runs ({', '.join(tasks)}; preset {preset}) -> {out_root / preset}")
    options = ({"address": args.address, "gpus_per_run": args.gpus_per_run, "cpus_per_run": args.cpus_per_run}
               if args.executor == "ray" else {})
    try:
        return sweep(preset, tasks, args.losses, seeds=args.seeds, out=out_root, dataset=args.dataset,
                     margin_sweep=margin_sweep, overrides=overrides, model=args.model, executor=args.executor,
                     workers=args.workers,
                     device=args.device, progress=not args.quiet, **options)
    except (ImportError, ValueError, DatasetUnavailableError) as error:
        raise UsageError(str(error)) from error
    except SweepInterrupted as interrupt:
        raise KeyboardInterrupt(f"interrupted: {len(interrupt.report.stored)} runs stored in "
                                f"{out_root / preset}; run the same command again to resume") from None


def _print_timing(report) -> None:
    import pandas as pd

    times = pd.DataFrame([{"task": task, "run_seconds": seconds} for task, seconds in report.task_seconds.items()])
    print(f"\n{len(report.ran)} runs done, {len(report.skipped)} stored runs reused (same settings), "
          f"{len(report.failed)} failed; "
          f"wall time {report.wall_seconds:.1f} s")
    if not times.empty:
        print(_table(times))
    for failure in report.failed:
        spec = failure.spec
        print(f"FAILED {spec.task} {spec.loss_label} seed {spec.seed} ({spec.run_id}): {failure.error}",
              file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    results = _sweep(args, [args.task], margin_sweep=False)
    from hemlab.io import save_table
    from hemlab.stats import headlines, summarize

    report, table, out_dir = results.report, results.table, results.store.root / results.preset
    _print_timing(report)
    if table.empty:
        return 1
    summary = summarize(table)
    with results.store.writing(results.preset):
        save_table(summary, out_dir / f"{args.task}_summary.csv")
    head = headlines(results.preset)[args.task]
    shown = summary[(summary["condition"] == head.condition) & (summary["metric"] == head.metric)]
    print(f"\n{args.task}: {head.metric} @ {head.condition} (mean, std, 95% interval over seeds)")
    print(_table(shown[["loss_label", "mean", "std", "n", "ci_low", "ci_high"]]))
    print(f"wrote {out_dir / (args.task + '_summary.csv')}")
    return 1 if report.failed else 0


def _measure_timing(args: argparse.Namespace, preset: str, out_dir: Path) -> dict | None:
    """Claim 7's controlled timing (``timing.csv``), measured after the sweep, alone on the machine."""
    import pandas as pd

    from hemlab.io import save_table
    from hemlab.stats import measure_training_time

    if args.no_timing or "clean_corrupt" not in args.tasks:
        return None
    print("\ntiming HEM against CE in one process, interleaved (claim 7) ...")
    timing = measure_training_time(preset, device=args.device)
    save_table(pd.DataFrame([timing]), out_dir / "timing.csv")
    return timing


def _paper(args: argparse.Namespace) -> int:
    results = _sweep(args, args.tasks, margin_sweep=not args.no_margin_sweep)
    from hemlab.experiments import write_report
    from hemlab.io import save_table
    from hemlab.stats import headline_table, loss_ranks, summarize, verdicts
    from hemlab.viz import save_paper_figures

    report, table, out_dir = results.report, results.table, results.store.root / results.preset
    _print_timing(report)
    if table.empty:
        return 1
    summary = summarize(table)
    timing = _measure_timing(args, results.preset, out_dir)
    claims = verdicts(table, results.preset, timing=timing,
                      items=lambda task, run_id: results.store.items(results.preset, task, run_id))
    ranking = loss_ranks(summary, results.preset)
    ranks = ranking["ranks"].T.assign(average_rank=ranking["average"]).sort_values("average_rank")
    with results.store.writing(results.preset):
        written = write_report(out_dir, table, summary, claims)
        written.append(save_table(ranks.rename_axis("loss").reset_index(), out_dir / "ranks.csv"))
        written += save_paper_figures(summary, results.preset, out_dir)
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


COMPARE_COLUMNS = ("claim", "task", "subject", "comparator", "diff_mean", "diff_ci_low", "diff_ci_high", "n",
                   "verdict", "why")
"""The columns ``hemlab compare`` prints, those of them the verdict table has."""


def _compare(args: argparse.Namespace) -> int:
    """Paired comparison of ``--subject`` with each ``--against`` loss on every task's headline,
    from the stored runs of the same settings, dataset and model."""
    from hemlab.experiments import ResultStore
    from hemlab.experiments.planning import task_changes
    from hemlab.io import save_table
    from hemlab.runtime import results_root
    from hemlab.stats import Claim, headlines, summarize, verdicts
    from hemlab.tasks.loss_labels import loss_label, parse_loss_spec
    from hemlab.tasks.overrides import resolve_settings
    from hemlab.tasks.settings import settings_fingerprint
    from hemlab.viz import save_comparison_figure

    preset, overrides = _settings(args, args.tasks)
    try:
        subject, *against = [loss_label(*parse_loss_spec(text)) for text in (args.subject, *args.against)]
    except ValueError as error:
        raise UsageError(str(error)) from error
    try:
        runs = {task: task_changes(preset, task, overrides, args.dataset, args.model) for task in args.tasks}
    except ValueError as error:
        raise UsageError(str(error)) from error
    fingerprints = {task: settings_fingerprint(resolve_settings(preset, task, changes))
                    for task, (changes, _, _) in runs.items()}
    datasets = {task: dataset for task, (_, dataset, _) in runs.items()}
    models = {task: model for task, (_, _, model) in runs.items()}
    out_dir = (Path(args.out) if args.out else results_root()) / preset
    store = ResultStore(out_dir.parent)
    table = store.table(preset)
    table = table[table["task"].isin(args.tasks) & table["loss_label"].isin([subject, *against])
                  & (table["settings_id"] == table["task"].map(fingerprints))
                  & (table["dataset"] == table["task"].map(datasets)) & (table["model"] == table["task"].map(models))]
    tasks = [task for task in args.tasks if subject in set(table.loc[table["task"] == task, "loss_label"])]
    if not tasks:
        raise UsageError(f"compare: no stored runs of {subject} under preset {preset} with these settings, dataset "
                         f"and model in "
                         f"{out_dir}; run them first, e.g. hemlab run TASK --losses {subject} {' '.join(against)}")
    heads = headlines(preset)
    claims = [Claim(claim=f"{task}:{comparator}", statement=f"{task}: {subject} better than {comparator} "
                    f"({heads[task].metric} @ {heads[task].condition})", task=task, subject=subject,
                    comparator=comparator, expectation="better")
              for task in tasks for comparator in against]
    result = verdicts(table[table["task"].isin(tasks)], preset, claims=claims,
                      items=lambda task, run_id: store.items(preset, task, run_id))
    stem = f"compare_{subject.replace(':', '_').replace(',', '_').replace('=', '')}"
    written = [save_table(result, out_dir / f"{stem}.csv"),
               save_comparison_figure(summarize(table[table["task"].isin(tasks)]), preset, subject, against,
                                      out_dir / f"{stem}.png")]
    print(f"{subject} against {', '.join(against)}: paired by seed on each task's headline ({preset} preset; "
          "difference = subject minus comparator, 95% interval)")
    print(_table(result[[column for column in COMPARE_COLUMNS if column in result.columns]]))
    print("\nwrote " + ", ".join(str(path) for path in written))
    return 0


def _add_plugin_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import MODULE first, which registers losses, datasets or models (repeatable); installed "
                             "plug-ins (entry-point groups hemlab.losses, hemlab.datasets, hemlab.models) load by "
                             "themselves")


def _add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=PRESET_NAMES, default=None,
                        help="quick: embedded data, CPU minutes; paper: the literature settings (default: the "
                             "config's, else quick)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="change a setting of the preset (repeatable): train.epochs=30, imbalance_ratios=10,50; "
                             "TASK.field for one task (see hemlab tasks --preset P --set ...)")
    parser.add_argument("--config", default=None, metavar="FILE.toml",
                        help="a TOML file deriving a preset from quick or paper (preset = ..., fields, [tasks.NAME])")


def _add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--losses", nargs="+", default=None, metavar="LOSS",
                        help="loss specs such as ce hem hem:margin=0.5 (default: ce mm hem logitnorm la dice focal)")
    _add_settings_arguments(parser)
    _add_plugin_argument(parser)
    parser.add_argument("--seeds", type=_positive_int, default=DEFAULT_SEEDS,
                        help=f"seeds per loss (default {DEFAULT_SEEDS}; verdicts need at least 5)")
    parser.add_argument("--workers", type=_non_negative_int, default=0,
                        help="parallel runs for --executor processes (default 0: one per CPU core)")
    parser.add_argument("--executor", choices=list(EXECUTOR_NAMES), default="processes",
                        help="local (this process), processes (a pool) or ray (a Ray cluster); default processes")
    parser.add_argument("--address", default=None,
                        help="ray: join the cluster at auto or HOST:PORT (default: start a local Ray instance)")
    parser.add_argument("--gpus-per-run", type=float, default=0.0,
                        help="ray: GPUs each run reserves; 0.25 packs four runs per GPU (default 0)")
    parser.add_argument("--cpus-per-run", type=float, default=1.0, help="ray: CPUs each run reserves (default 1)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda[:i] or mps (default auto)")
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="torch threads of this process (default: chosen for the machine)")
    parser.add_argument("--out", default=None, help="results folder (default: $HEMLAB_RESULTS or results/)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hemlab", description="A lab for margin-based losses built around HEM: rerun the paper's "
                                                "comparison on embedded data in minutes or at full scale on a GPU.")
    parser.add_argument("--version", action="version", version=f"hemlab {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    paper = commands.add_parser("paper", help="all six tasks, every loss, several seeds; summary, verdicts, figures")
    paper.add_argument("--tasks", nargs="+", choices=TASK_NAMES, default=list(TASK_NAMES), metavar="TASK",
                       help=f"tasks to run (default all: {' '.join(TASK_NAMES)})")
    _add_sweep_arguments(paper)
    paper.add_argument("--no-margin-sweep", action="store_true", help="skip HEM's variants: the margin sweep and the class-frequency HEM")
    paper.add_argument("--no-timing", action="store_true",
                       help="skip the interleaved HEM-vs-CE timing that decides claim 7")
    paper.set_defaults(handler=_paper, dataset=None, model=None)
    run = commands.add_parser("run", help="one task: every loss, several seeds; summary of its headline metric")
    run.add_argument("task", choices=TASK_NAMES, help="the task to run")
    run.add_argument("--dataset", default=None, metavar="NAME|folder:PATH",
                     help="dataset instead of the preset's: a name (hemlab datasets), yours, or an image folder")
    run.add_argument("--model", default=None, metavar="NAME",
                     help="model instead of the preset's: a name (hemlab datasets lists the models too), or yours")
    _add_sweep_arguments(run)
    run.set_defaults(handler=_run)
    compare = commands.add_parser("compare", help="a loss against others on every task's headline, paired by "
                                                  "seed, from the stored runs; verdicts and a summary figure")
    compare.add_argument("--subject", required=True, metavar="LOSS", help="the loss spec to compare (e.g. myloss)")
    compare.add_argument("--against", nargs="+", required=True, metavar="LOSS", help="the loss specs to compare with")
    compare.add_argument("--tasks", nargs="+", choices=TASK_NAMES, default=list(TASK_NAMES), metavar="TASK",
                         help="tasks to compare on (default: every task with stored runs of the subject)")
    compare.add_argument("--dataset", default=None, metavar="NAME|folder:PATH",
                         help="the runs' dataset, if not the preset's (as given to hemlab run --dataset)")
    compare.add_argument("--model", default=None, metavar="NAME",
                         help="the runs' model, if not the preset's (as given to hemlab run --model)")
    _add_settings_arguments(compare)
    _add_plugin_argument(compare)
    compare.add_argument("--out", default=None, help="results folder (default: $HEMLAB_RESULTS or results/)")
    compare.set_defaults(handler=_compare)
    tasks = commands.add_parser("tasks", help="list the tasks, presets and headline metrics; with --preset, --set "
                                              "or --config, the resolved settings of every task")
    _add_settings_arguments(tasks)
    _add_plugin_argument(tasks)
    tasks.set_defaults(handler=_tasks)
    losses = commands.add_parser("losses", help="list the losses (built in and registered) and their defaults")
    _add_plugin_argument(losses)
    losses.set_defaults(handler=_losses)
    datasets = commands.add_parser("datasets", help="list the datasets and models (built in and registered)")
    _add_plugin_argument(datasets)
    datasets.set_defaults(handler=_datasets)
    return parser


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"hemlab: warning: {message}", file=sys.stderr)


def _exit_now(signum, frame) -> NoReturn:
    """The second Ctrl-C: kill the worker processes and exit with status 130 at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for child in multiprocessing.active_children():
        child.kill()
    os.write(2, b"interrupted again: stopped at once; run the same command again to resume\n")
    raise SystemExit(130)


def _first_interrupt(signum, frame) -> NoReturn:
    signal.signal(signal.SIGINT, _exit_now)
    raise KeyboardInterrupt


@contextmanager
def _interrupts() -> Iterator[None]:
    """Meanwhile the first Ctrl-C raises ``KeyboardInterrupt`` (the sweep stops its workers
    and says what is stored) and a second one kills the workers and exits at once. An
    ignored SIGINT (a background job) stays ignored, and only the main thread handles signals."""
    if (signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    signal.signal(signal.SIGINT, _first_interrupt)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) in (_first_interrupt, _exit_now):
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)       # --help and --version end here, before any heavy import
    if args.command is None:
        parser.print_help()
        return 0
    from hemlab.experiments.store import StoreWriteError

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            _load_plugins(args)
            return args.handler(args)
    except UsageError as error:
        print(f"hemlab: error: {error}", file=sys.stderr)
        return 2
    except StoreWriteError as error:
        print(f"hemlab: error: {error}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    with _interrupts():
        try:
            return _main(argv)
        except KeyboardInterrupt as interrupt:
            print(str(interrupt) or "interrupted", file=sys.stderr)
            return 130

if __name__ == "__main__":
    raise SystemExit(main())
