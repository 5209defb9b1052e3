"""The command line's words: every command, option and help text, and nothing that runs.

Importing this module imports neither torch nor pandas (``hemlab --help`` and ``--version``
answer at once); each command names its handler in :mod:`hemlab.cli.commands` by text
(``handler="paper"``), which the entry point (:func:`hemlab.cli.main`) imports after parsing.
"""
from __future__ import annotations

import argparse
from typing import NoReturn

from hemlab import __version__
from hemlab.tasks.names import DEFAULT_SEEDS, EXECUTOR_NAMES, PRESET_NAMES, TASK_NAMES


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming what is allowed (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class UsageError(ValueError):
    """A bad command-line value found after parsing (printed as one line, exit status 2)."""


def add_plugin_argument(parser: argparse.ArgumentParser) -> None:
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
    add_plugin_argument(parser)
    parser.add_argument("--seeds", type=positive_int, default=DEFAULT_SEEDS,
                        help=f"seeds per loss (default {DEFAULT_SEEDS}; verdicts need at least 5)")
    parser.add_argument("--workers", type=non_negative_int, default=0,
                        help="parallel runs for --executor processes (default 0: one per CPU core)")
    parser.add_argument("--executor", choices=list(EXECUTOR_NAMES), default="processes",
                        help="local (this process), processes (a pool) or ray (a Ray cluster); default processes")
    parser.add_argument("--address", default=None,
                        help="ray: join the cluster at auto or HOST:PORT (default: start a local Ray instance)")
    parser.add_argument("--gpus-per-run", type=float, default=0.0,
                        help="ray: GPUs each run reserves; 0.25 packs four runs per GPU (default 0)")
    parser.add_argument("--cpus-per-run", type=float, default=1.0, help="ray: CPUs each run reserves (default 1)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda[:i] or mps (default auto)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="torch threads of this process (default: chosen for the machine)")
    parser.add_argument("--out", default=None, help="results folder (default: $HEMLAB_RESULTS or results/)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="hemlab", description="A lab for margin-based losses built around HEM: rerun the paper's "
                                                "comparison on embedded data in minutes or at full scale on a GPU.")
    parser.add_argument("--version", action="version", version=f"hemlab {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=Parser)
    paper = commands.add_parser("paper", help="all six tasks, every loss, several seeds; summary, verdicts, figures")
    paper.add_argument("--tasks", nargs="+", choices=TASK_NAMES, default=list(TASK_NAMES), metavar="TASK",
                       help=f"tasks to run (default all: {' '.join(TASK_NAMES)})")
    _add_sweep_arguments(paper)
    paper.add_argument("--no-margin-sweep", action="store_true", help="skip HEM's variants: the margin sweep and the class-frequency HEM")
    paper.add_argument("--no-timing", action="store_true",
                       help="skip the interleaved HEM-vs-CE timing that decides claim 7")
    paper.set_defaults(handler="paper", dataset=None, model=None)
    run = commands.add_parser("run", help="one task: every loss, several seeds; summary of its headline metric")
    run.add_argument("task", choices=TASK_NAMES, help="the task to run")
    run.add_argument("--dataset", default=None, metavar="NAME|folder:PATH",
                     help="dataset instead of the preset's: a name (hemlab datasets), yours, or an image folder")
    run.add_argument("--model", default=None, metavar="NAME",
                     help="model instead of the preset's: a name (hemlab datasets lists the models too), or yours")
    _add_sweep_arguments(run)
    run.set_defaults(handler="run")
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
    add_plugin_argument(compare)
    compare.add_argument("--out", default=None, help="results folder (default: $HEMLAB_RESULTS or results/)")
    compare.set_defaults(handler="compare")
    tasks = commands.add_parser("tasks", help="list the tasks, presets and headline metrics; with --preset, --set "
                                              "or --config, the resolved settings of every task")
    _add_settings_arguments(tasks)
    add_plugin_argument(tasks)
    tasks.set_defaults(handler="tasks")
    losses = commands.add_parser("losses", help="list the losses (built in and registered) and their defaults")
    add_plugin_argument(losses)
    losses.set_defaults(handler="losses")
    datasets = commands.add_parser("datasets", help="list the datasets and models (built in and registered)")
    add_plugin_argument(datasets)
    datasets.set_defaults(handler="datasets")
    return parser


__all__ = ["Parser", "UsageError", "build_parser", "non_negative_int", "positive_int"]
