"""The names the task layer accepts, importable without torch (the command line's help reads them)."""
from __future__ import annotations

TASK_NAMES: tuple[str, ...] = ("clean_corrupt", "ood", "adversarial", "imbalanced", "continual", "segmentation")
PRESET_NAMES: tuple[str, ...] = ("quick", "paper")
EXECUTOR_NAMES: tuple[str, ...] = ("local", "processes", "ray")
DEFAULT_SEEDS = 10
"""Seeds per loss of a sweep unless asked otherwise: enough for the verdicts' minimum of 5
paired seeds with room to decide (see ``docs/paper.md``); measured to keep ``make demo``
within 5 minutes on 2 idle cores."""

__all__ = ["DEFAULT_SEEDS", "EXECUTOR_NAMES", "PRESET_NAMES", "TASK_NAMES"]
