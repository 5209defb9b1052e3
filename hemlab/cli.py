"""Command line: rerun the paper's comparison, one task or all of them.

    hemlab paper [--preset quick|paper] [--tasks ...] [--losses ...] [--seeds N] [--workers N] [--out DIR]
    hemlab run TASK [--losses ...] [--dataset NAME] [--preset quick|paper] [--seeds N] [--workers N] [--out DIR]
    hemlab tasks        the tasks, their presets and the headline metrics
    hemlab losses       the losses and their defaults

Results go to ``<out>/<preset>/`` (default ``out``: ``$HEMLAB_RESULTS`` or ``results/``); a
re-run skips the runs already stored there. Bad arguments end in one line on stderr and
exit status 2; failed runs are listed and give exit status 1, and so does a results folder
that cannot be written (one line). Ctrl-C stops the workers, says how many runs are stored
and exits with status 130; a second Ctrl-C exits at once. Warnings (a damaged run record,
set aside and run again) are one line each.
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

if TYPE_CHECKING:  # pandas and the task layer load inside main(), after Ctrl-C is handled
    import pandas as pd


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming what is allowed (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class UsageError(ValueError):
    """A bad command-line value found after parsing (printed as one line, exit status 2)."""


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, float_format=lambda value: f"{value:.4f}")


def _losses(args: argparse.Namespace) -> int:
    import pandas as pd

    from hemlab.losses import LOSSES, loss_defaults

    print(_table(pd.DataFrame([
        {"name": name, "loss": info.description, "defaults": loss_defaults(name) or "",
         "outputs": ", ".join(info.outputs), "reference": info.reference}
        for name, info in LOSSES.items()
    ])))
    return 0


def _tasks(args: argparse.Namespace) -> int:
    import pandas as pd

    from hemlab.tasks import TASKS, headlines, presets_table

    heads = headlines("quick")
    print(_table(pd.DataFrame([{"task": name, "what": info.description, "claim": info.claim,
                                "headline": f"{heads[name].metric} @ {heads[name].condition}"}
                               for name, info in TASKS.items()])))
    print()
    print(_table(pd.DataFrame(presets_table())))
    return 0


def _sweep(args: argparse.Namespace, tasks: list[str], margin_sweep: bool):
    """Plan, execute and read back a sweep (``hemlab.tasks.Sweep``); bad values are usage errors."""
    from hemlab.runtime import configure_threads, resolve_device, results_root
    from hemlab.tasks import SweepInterrupted, plan, sweep

    try:
        resolve_device(args.device)
        count = len(plan(args.preset, tasks, args.losses, seeds=args.seeds, dataset=args.dataset,
                         margin_sweep=margin_sweep))
    except ValueError as error:
        raise UsageError(str(error)) from error
    configure_threads(args.threads)
    out_root = Path(args.out) if args.out else results_root()
    print(f"{count} runs ({', '.join(tasks)}; preset {args.preset}) -> {out_root / args.preset}")
    options = ({"address": args.address, "gpus_per_run": args.gpus_per_run, "cpus_per_run": args.cpus_per_run}
               if args.executor == "ray" else {})
    try:
        return sweep(args.preset, tasks, args.losses, seeds=args.seeds, out=out_root, dataset=args.dataset,
                     margin_sweep=margin_sweep, executor=args.executor, workers=args.workers, device=args.device,
                     progress=not args.quiet, **options)
    except ImportError as error:
        raise UsageError(str(error)) from error
    except SweepInterrupted as interrupt:
        raise KeyboardInterrupt(f"interrupted: {len(interrupt.report.stored)} runs stored in "
                                f"{out_root / args.preset}; run the same command again to resume") from None


def _print_timing(report) -> None:
    import pandas as pd

    times = pd.DataFrame([{"task": task, "run_seconds": seconds} for task, seconds in report.task_seconds.items()])
    print(f"\n{len(report.ran)} runs done, {len(report.skipped)} already stored, {len(report.failed)} failed; "
          f"wall time {report.wall_seconds:.1f} s")
    if not times.empty:
        print(_table(times))
    for failure in report.failed:
        spec = failure.spec
        print(f"FAILED {spec.task} {spec.loss_label} seed {spec.seed} ({spec.run_id}): {failure.error}",
              file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from hemlab.io import save_table
    from hemlab.tasks import headlines, summarize

    results = _sweep(args, [args.task], margin_sweep=False)
    report, table, out_dir = results.report, results.table, results.store.root / args.preset
    _print_timing(report)
    if table.empty:
        return 1
    summary = summarize(table)
    with results.store.writing(args.preset):
        save_table(summary, out_dir / f"{args.task}_summary.csv")
    head = headlines(args.preset)[args.task]
    shown = summary[(summary["condition"] == head.condition) & (summary["metric"] == head.metric)]
    print(f"\n{args.task}: {head.metric} @ {head.condition} (mean, std, 95% interval over seeds)")
    print(_table(shown[["loss_label", "mean", "std", "n", "ci_low", "ci_high"]]))
    print(f"wrote {out_dir / (args.task + '_summary.csv')}")
    return 1 if report.failed else 0


def _measure_timing(args: argparse.Namespace, out_dir: Path) -> dict | None:
    """Claim 7's controlled timing (``timing.csv``), measured after the sweep, alone on the machine."""
    from hemlab.io import save_table
    from hemlab.tasks import measure_training_time

    if args.no_timing or "clean_corrupt" not in args.tasks:
        return None
    print("\ntiming HEM against CE in one process, interleaved (claim 7) ...")
    timing = measure_training_time(args.preset, device=args.device)
    save_table(pd.DataFrame([timing]), out_dir / "timing.csv")
    return timing


def _paper(args: argparse.Namespace) -> int:
    from hemlab.io import save_table
    from hemlab.tasks import headline_table, loss_ranks, summarize, verdicts, write_report
    from hemlab.viz import save_paper_figures

    results = _sweep(args, args.tasks, margin_sweep=not args.no_margin_sweep)
    report, table, out_dir = results.report, results.table, results.store.root / args.preset
    _print_timing(report)
    if table.empty:
        return 1
    summary = summarize(table)
    timing = _measure_timing(args, out_dir)
    claims = verdicts(table, args.preset, timing=timing,
                      items=lambda task, run_id: results.store.items(args.preset, task, run_id))
    ranking = loss_ranks(summary, args.preset)
    ranks = ranking["ranks"].T.assign(average_rank=ranking["average"]).sort_values("average_rank")
    with results.store.writing(args.preset):
        written = write_report(out_dir, table, summary, claims)
        written.append(save_table(ranks.rename_axis("loss").reset_index(), out_dir / "ranks.csv"))
        written += save_paper_figures(summary, args.preset, out_dir)
    print("\nheadline metric per task and loss (mean ± std over seeds)")
    print(headline_table(summary, args.preset).to_string())
    print(f"\naverage rank over the task headlines (critical difference {ranking['critical_difference']:.2f}, "
          f"Friedman p = {ranking['friedman_p']:.2g})")
    print(ranking["average"].round(2).to_string())
    print("\nverdicts (subject minus comparator; 95% interval; decided on Holm-adjusted one-sided tests)")
    print(_table(claims[["claim", "subject", "comparator", "diff_mean", "diff_ci_low", "diff_ci_high", "n",
                         "verdict", "why"]]))
    print("\nwrote " + ", ".join(str(path) for path in written))
    return 1 if report.failed else 0


def _add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    from hemlab.tasks import DEFAULT_SEEDS, EXECUTORS, PRESET_NAMES

    parser.add_argument("--losses", nargs="+", default=None, metavar="LOSS",
                        help="loss specs such as ce hem hem:margin=0.5 (default: ce mm hem logitnorm la dice focal)")
    parser.add_argument("--preset", choices=PRESET_NAMES, default="quick",
                        help="quick: embedded data, CPU minutes; paper: the literature settings (default quick)")
    parser.add_argument("--seeds", type=_positive_int, default=DEFAULT_SEEDS,
                        help=f"seeds per loss (default {DEFAULT_SEEDS}; verdicts need at least 5)")
    parser.add_argument("--workers", type=_non_negative_int, default=0,
                        help="parallel runs for --executor processes (default 0: one per CPU core)")
    parser.add_argument("--executor", choices=list(EXECUTORS), default="processes",
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
    from hemlab.tasks import TASK_NAMES

    parser = _Parser(prog="hemlab", description="A lab for margin-based losses built around HEM: rerun the paper's "
                                                "comparison on embedded data in minutes or at full scale on a GPU.")
    parser.add_argument("--version", action="version", version=f"hemlab {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    paper = commands.add_parser("paper", help="all six tasks, every loss, several seeds; summary, verdicts, figures")
    paper.add_argument("--tasks", nargs="+", choices=TASK_NAMES, default=list(TASK_NAMES), metavar="TASK",
                       help=f"tasks to run (default all: {' '.join(TASK_NAMES)})")
    _add_sweep_arguments(paper)
    paper.add_argument("--no-margin-sweep", action="store_true", help="skip the HEM margin sweep")
    paper.add_argument("--no-timing", action="store_true",
                       help="skip the interleaved HEM-vs-CE timing that decides claim 7")
    paper.set_defaults(handler=_paper, dataset=None)
    run = commands.add_parser("run", help="one task: every loss, several seeds; summary of its headline metric")
    run.add_argument("task", choices=TASK_NAMES, help="the task to run")
    run.add_argument("--dataset", default=None, help="dataset instead of the preset's (see hemlab tasks)")
    _add_sweep_arguments(run)
    run.set_defaults(handler=_run)
    commands.add_parser("tasks", help="list the tasks, presets and headline metrics").set_defaults(handler=_tasks)
    commands.add_parser("losses", help="list the losses and their defaults").set_defaults(handler=_losses)
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
    from hemlab.tasks.store import StoreWriteError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
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
