"""hemlab: a lab for margin-based classification losses, built around HEM.

Spratling & Schuett, "A margin-based replacement for cross-entropy loss" (arXiv 2501.12191).
"""
from hemlab import losses
from hemlab.runtime import is_quick_mode, resolve_device

__version__ = "0.1.0"
__all__ = ["losses", "is_quick_mode", "resolve_device", "__version__"]
