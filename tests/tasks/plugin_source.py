"""A plug-in module written to a folder of its own, for the executor tests: its folder is on
this process's ``sys.path`` only, so a worker must take it from the job (``Job.plugins``)."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from own_data_source import import_written  # noqa: E402 - the helper lives in tests/

PLUGIN_SOURCE = '''"""Registers ``{name}``: the multi-class squared hinge, per position."""
from hemlab.losses import register_loss


@register_loss("{name}", description="sum over rivals of max(0, z_j - z_y + margin)^2")
def squared_hinge(logits, target, margin: float = 1.0):
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {{margin}}")
    true = logits.gather(1, target[:, None])
    return (logits - true + margin).clamp_min(0).scatter(1, target[:, None], 0.0).pow(2).sum(dim=1)
'''
TINY = (("train.epochs", 1), ("corruptions", ()), ("severities", (1,)))
"""Overrides that make a ``clean_corrupt`` run on digits take about a second."""


@contextlib.contextmanager
def imported_plugin(folder: Path, module: str, loss: str, monkeypatch) -> Iterator[None]:
    """Write ``<folder>/<module>.py`` registering ``loss`` and import it, with ``folder`` on
    ``sys.path`` of this process only; the loss is unregistered and the module forgotten after."""
    from hemlab.losses import LOSSES

    import_written(folder, module, PLUGIN_SOURCE.format(name=loss), monkeypatch)
    try:
        yield
    finally:
        LOSSES.remove(loss)
