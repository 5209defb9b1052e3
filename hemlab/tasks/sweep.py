"""A sweep in one call, for notebooks and the CLI: plan, run what the store lacks, read back.

    results = sweep("quick", ["adversarial"], seeds=3)       # runs missing runs, then reads
    results.table                                            # tidy rows of exactly these runs
    results.artifacts("adversarial", seed=0)                 # {loss_label: {name: array}}
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from hemlab.runtime import results_root
from hemlab.tasks.execute import ExecutionReport, execute
from hemlab.tasks.overrides import Override
from hemlab.tasks.plan import check_datasets, plan
from hemlab.tasks.spec import DEFAULT_SEEDS, RunSpec
from hemlab.tasks.store import ResultStore


@dataclass
class Sweep:
    """The runs of a sweep (``specs``), where they are stored, and what executing them did."""

    preset: str
    specs: list[RunSpec]
    store: ResultStore
    report: ExecutionReport

    @property
    def table(self) -> pd.DataFrame:
        """Tidy rows of the sweep's stored runs (see ``hemlab.tasks.ROW_COLUMNS``)."""
        return self.store.table(self.preset, self.specs)

    def runs(self, task: str, *, seed: int | None = None, loss_label: str | None = None) -> list[RunSpec]:
        """The stored specs of ``task``, optionally of one seed or one loss label."""
        return [spec for spec in self.specs if spec.task == task and self.store.has(spec)
                and (seed is None or spec.seed == seed) and (loss_label is None or spec.loss_label == loss_label)]

    def artifacts(self, task: str, *, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
        """``{loss_label: artifacts}`` of ``task``'s runs with ``seed``."""
        return {spec.loss_label: self.store.artifacts(self.preset, task, spec.run_id)
                for spec in self.runs(task, seed=seed)}

    def histories(self, task: str, *, seed: int = 0) -> dict[str, pd.DataFrame]:
        """``{loss_label: training history}`` of ``task``'s runs with ``seed``."""
        return {spec.loss_label: self.store.history(self.preset, task, spec.run_id)
                for spec in self.runs(task, seed=seed)}


def sweep(preset: str = "quick", tasks: Iterable[str] | None = None, losses: Sequence[str] | None = None,
          seeds: int = DEFAULT_SEEDS, out: str | Path | None = None, *, dataset: str | None = None,
          margin_sweep: bool = True, overrides: Sequence[Override] = (), model: str | None = None,
          executor: str = "processes",
          workers: int = 0, device: str = "cpu",
          progress: bool = True, **executor_options) -> Sweep:
    """:func:`plan` the sweep, :func:`execute` what ``<out>`` lacks, and return it.

    ``out`` defaults to ``$HEMLAB_RESULTS`` or ``results/``; the other arguments are those of
    :func:`plan` and :func:`execute`. Before any run starts, the datasets the missing runs
    download are checked once (``DatasetUnavailableError`` when one cannot be had).
    """
    specs = plan(preset, tasks, losses, seeds=seeds, dataset=dataset, margin_sweep=margin_sweep,
                 overrides=overrides, model=model)
    store = ResultStore(Path(out) if out is not None else results_root())
    check_datasets(spec for spec in specs if not store.has(spec))
    report = execute(specs, store, executor=executor, workers=workers, device=device, progress=progress,
                     **executor_options)
    return Sweep(preset=preset, specs=specs, store=store, report=report)
