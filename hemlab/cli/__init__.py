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
once. Warnings (a damaged run record, set aside and run again) are one line each. The words of
the command line are in :mod:`hemlab.cli.parser`, which imports neither torch nor pandas
(``--help`` and ``--version`` answer at once); what each command does is in
:mod:`hemlab.cli.commands`, imported once the arguments are read.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from typing import Iterator, NoReturn, Sequence

from hemlab.cli.parser import UsageError, build_parser


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


QUIET_RESOURCE_TRACKER = "ignore:resource_tracker:UserWarning:multiprocessing.resource_tracker"
"""A warning filter (``-W`` form: the warnings of ``multiprocessing.resource_tracker`` that
start with its name) for the resource tracker that ``multiprocessing`` starts beside a pool,
which takes its filters from ``sys.warnoptions``: after a second Ctrl-C has killed the workers, it
unlinks the pool's semaphores they held and would add a two-line warning that they leaked,
after the one line that said what happened."""


@contextmanager
def _interrupts() -> Iterator[None]:
    """Meanwhile the first Ctrl-C raises ``KeyboardInterrupt`` (the sweep stops its workers
    and says what is stored) and a second one kills the workers and exits at once
    (:data:`QUIET_RESOURCE_TRACKER`). An ignored SIGINT (a background job) stays ignored, and
    only the main thread handles signals."""
    if (signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    signal.signal(signal.SIGINT, _first_interrupt)
    warn_options = list(sys.warnoptions)
    sys.warnoptions.append(QUIET_RESOURCE_TRACKER)
    try:
        yield
    finally:
        sys.warnoptions[:] = warn_options
        if signal.getsignal(signal.SIGINT) in (_first_interrupt, _exit_now):
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)       # --help and --version end here, before any heavy import
    if args.command is None:
        parser.print_help()
        return 0
    from hemlab.cli.commands import run_command  # the heavy imports start here, with Ctrl-C handled

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            return run_command(args)
    except UsageError as error:
        print(f"hemlab: error: {error}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    with _interrupts():
        try:
            return _main(argv)
        except KeyboardInterrupt as interrupt:
            print(str(interrupt) or "interrupted", file=sys.stderr)
            return 130


__all__ = ["UsageError", "build_parser", "main"]
