"""Where a run's time goes: drawing its data, training, evaluating.

:func:`phase_clock` times one run; inside it, :func:`timed` blocks add their wall time to
a named phase (an inner block's time counts for its own phase only, not the enclosing
one). ``hemlab.tasks.run`` records per run::

    draw      the data drawn for the run (splits, corrupted and far-OOD sets), 0 when shared
    train     every training stage (``hemlab.tasks.fit.fit``)
    evaluate  the rest: predictions, attacks, metrics, subsets

These are diagnostics of one run on one machine (``benchmarks/quick_sweep_phases.py``
reads them from a controlled sweep); no verdict is drawn from them.
"""
from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar
from typing import Iterator

PHASES: tuple[str, ...] = ("draw", "train", "evaluate")

_CLOCK: ContextVar[dict[str, float] | None] = ContextVar("hemlab_phase_clock", default=None)
_OPEN: ContextVar[tuple[list[float], ...]] = ContextVar("hemlab_open_phases", default=())


@contextlib.contextmanager
def timed(phase: str) -> Iterator[None]:
    """Add this block's wall time to ``phase`` of the running clock (nothing without one)."""
    clock = _CLOCK.get()
    if clock is None:
        yield
        return
    inner = [0.0]  # seconds spent in phases opened inside this block
    token = _OPEN.set((*_OPEN.get(), inner))
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        _OPEN.reset(token)
        clock[phase] = clock.get(phase, 0.0) + elapsed - inner[0]
        enclosing = _OPEN.get()
        if enclosing:
            enclosing[-1][0] += elapsed


@contextlib.contextmanager
def phase_clock() -> Iterator[dict[str, float]]:
    """Time a run: yields ``{phase: seconds}``, filled by the :func:`timed` blocks within;
    at the end ``evaluate`` holds the block's time outside ``draw`` and ``train``."""
    clock: dict[str, float] = {phase: 0.0 for phase in PHASES}
    token, opened = _CLOCK.set(clock), _OPEN.set(())
    started = time.perf_counter()
    try:
        yield clock
    finally:
        total = time.perf_counter() - started
        _CLOCK.reset(token)
        _OPEN.reset(opened)
        clock["evaluate"] = max(0.0, total - sum(seconds for phase, seconds in clock.items() if phase != "evaluate"))


__all__ = ["PHASES", "phase_clock", "timed"]
