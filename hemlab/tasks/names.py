"""The names the task layer accepts, importable without torch (the command line's help reads them)."""
from __future__ import annotations

TASK_NAMES: tuple[str, ...] = ("clean_corrupt", "ood", "adversarial", "imbalanced", "continual", "segmentation")
TASK_OUTPUTS: dict[str, str] = {name: "segmentation" if name == "segmentation" else "classification"
                                for name in TASK_NAMES}
"""The model output each task trains and scores (``hemlab.tasks.TASKS[task].output``)."""
PRESET_NAMES: tuple[str, ...] = ("quick", "colab", "paper")
EXECUTOR_NAMES: tuple[str, ...] = ("local", "processes", "ray")
DEFAULT_SEEDS = 5
"""Seeds per loss of a sweep unless asked otherwise: the verdicts' minimum of 5 paired seeds
(see ``docs/paper.md``). More seeds decide more claims (``seeds_needed`` in
``verdicts.csv`` says how many each would need); 5 is what keeps ``make demo`` near 5 minutes
on 2 cores (README: 10 seeds take twice as long)."""




__all__ = ["DEFAULT_SEEDS", "EXECUTOR_NAMES", "PRESET_NAMES", "TASK_NAMES", "TASK_OUTPUTS"]
