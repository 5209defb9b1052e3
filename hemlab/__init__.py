"""hemlab: a lab for margin-based classification losses, built around HEM.

Spratling & Schuett, "A margin-based replacement for cross-entropy loss" (arXiv 2501.12191).

``hemlab.losses``, ``is_quick_mode`` and ``resolve_device`` load on first use, so that
importing ``hemlab`` (the command line starts so) does not wait for torch: ``hemlab
--version`` answers at once, and the CLI handles Ctrl-C before the heavy imports begin.
"""
from __future__ import annotations

import importlib
from typing import Any

from hemlab import moved as _moved

__version__ = "0.1.0"
_moved.install()
__all__ = ["losses", "is_quick_mode", "resolve_device", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "losses":
        return importlib.import_module("hemlab.losses")
    if name in ("is_quick_mode", "resolve_device"):
        return getattr(importlib.import_module("hemlab.runtime"), name)
    raise AttributeError(f"module 'hemlab' has no attribute {name!r}")
