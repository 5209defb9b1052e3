"""The names the task layer accepts, importable without torch (the command line's help reads them)."""
from __future__ import annotations

TASK_NAMES: tuple[str, ...] = ("clean_corrupt", "ood", "adversarial", "imbalanced", "continual", "segmentation")
PRESET_NAMES: tuple[str, ...] = ("quick", "paper")
EXECUTOR_NAMES: tuple[str, ...] = ("local", "processes", "ray")

__all__ = ["EXECUTOR_NAMES", "PRESET_NAMES", "TASK_NAMES"]
