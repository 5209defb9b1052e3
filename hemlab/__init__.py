"""hemlab: a lab for margin-based classification losses, built around HEM.

Spratling & Schuett, "A margin-based replacement for cross-entropy loss" (arXiv 2501.12191).

Importing ``hemlab`` is cheap: ``hemlab.losses`` (and torch) load on first use, so
``hemlab --version`` answers at once.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["losses", "is_quick_mode", "resolve_device", "__version__"]

_LAZY = {"losses": ("hemlab.losses", None), "is_quick_mode": ("hemlab.runtime", "is_quick_mode"),
         "resolve_device": ("hemlab.runtime", "resolve_device")}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'hemlab' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attribute is None else getattr(module, attribute)
