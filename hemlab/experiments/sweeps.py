"""A sweep in one call, for notebooks and the CLI: plan, run what the store lacks, read back.

    results = sweep("quick", ["adversarial"], seeds=3)       # runs missing runs, then reads
    print(results.describe())                                # what was read back, what trained
    results.verdicts()                                       # the claims on these tasks, judged
    results.table, results.summary                           # tidy rows of exactly these runs, per-cell means
    results.losses("adversarial")                            # ["ce", "mm", "hem", ...], hemlab's order
    results.hem_margins("adversarial")                       # {0.25: "hem:margin=0.25", ..., 1.0: "hem", ...}
    results.logits("adversarial", seed=0)                    # {loss_label: (logits, targets)}
    results.settings("adversarial"), results.data("adversarial", seed=0)   # as the runs used them
    results.artifacts("adversarial", seed=0)                 # {loss_label: {name: array}}
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from hemlab.experiments.execution import ExecutionReport, execute
from hemlab.experiments.planning import plan
from hemlab.experiments.store import ResultStore
from hemlab.runtime import resolve_device, results_root
from hemlab.stats.claim_verdicts import verdicts
from hemlab.stats.notebook import hem_margins
from hemlab.stats.summary import label_order, summarize
from hemlab.tasks.fit import dataset_settings, load_data
from hemlab.tasks.names import DEFAULT_SEEDS
from hemlab.tasks.overrides import Override
from hemlab.tasks.settings import TaskSettings
from hemlab.tasks.spec import RunSpec


@dataclass
class Sweep:
    """The runs of a sweep (``specs``), where they are stored, and what executing them did."""

    preset: str
    specs: list[RunSpec]
    store: ResultStore
    report: ExecutionReport

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """Tidy rows of the sweep's stored runs (see ``hemlab.tasks.ROW_COLUMNS``), read once."""
        return self.store.table(self.preset, self.specs)

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """:func:`hemlab.stats.summarize` of :attr:`table`: mean and 95% interval per cell."""
        return summarize(self.table)

    @classmethod
    def execute(cls, preset: str, specs: Sequence[RunSpec], store: ResultStore, *, executor: str = "processes",
                workers: int = 0, device: str = "cpu", progress: bool = True, **executor_options) -> "Sweep":
        """Execute ``specs`` (planned once, e.g. by :func:`hemlab.experiments.plan`) into
        ``store`` and return them as a sweep: only what the store lacks runs
        (:func:`hemlab.experiments.execute`)."""
        specs = list(specs)
        report = execute(specs, store, executor=executor, workers=workers, device=str(resolve_device(device)),
                         progress=progress, **executor_options)
        return cls(preset=preset, specs=specs, store=store, report=report)

    def verdicts(self, table: pd.DataFrame | None = None, *, timing: dict | None = None) -> pd.DataFrame:
        """:func:`hemlab.stats.verdicts` of the claims on the sweep's tasks, from ``table``
        (default :attr:`table`; a part of it, e.g. fewer seeds, judges that part), with the
        stored per-item records for tasks on a fixed test set, as ``hemlab paper`` judges them;
        ``timing``: claim 7's measurement (:func:`hemlab.stats.measure_training_time`)."""
        return verdicts(self.table if table is None else table, self.preset, timing=timing,
                        items=lambda task, run_id: self.store.items(self.preset, task, run_id))

    def _task_specs(self, task: str) -> list[RunSpec]:
        specs = [spec for spec in self.specs if spec.task == task]
        if not specs:
            tasks = list(dict.fromkeys(spec.task for spec in self.specs))
            raise ValueError(f"task: expected one of the sweep's tasks {tasks}, got {task!r}")
        return specs

    def settings(self, task: str) -> TaskSettings:
        """``task``'s settings as its runs used them: the preset's row with the sweep's
        overrides, dataset and model (on another dataset, the classes drawn from it)."""
        spec = self._task_specs(task)[0]
        return dataset_settings(spec, spec.settings)

    @property
    def on_preset_settings(self) -> bool:
        """Whether every run used its preset's row unchanged (the preset's dataset and model,
        no overrides): what a notebook says of the preset's numbers applies only then."""
        return not any(spec.overrides for spec in self.specs)

    def data(self, task: str, seed: int = 0) -> tuple[Dataset, Dataset]:
        """``(train, test)`` datasets of ``task``'s runs with ``seed``, drawn as they drew them."""
        spec = next((spec for spec in self._task_specs(task) if spec.seed == seed), None)
        if spec is None:
            raise ValueError(f"seed: expected one of the seeds of {task}'s runs, got {seed!r}")
        return load_data(spec, dataset_settings(spec, spec.settings))

    def hem_margins(self, task: str) -> dict[float, str]:
        """``{margin: loss_label}`` of HEM in ``task``'s runs, ascending (see
        :func:`hemlab.stats.hem_margins`); one entry when there is no margin sweep."""
        return hem_margins(spec.loss_label for spec in self._task_specs(task))

    def losses(self, task: str) -> list[str]:
        """``task``'s loss labels without the margin sweep's HEM variants (plain ``hem`` kept),
        in hemlab's loss order: ``["ce", "mm", "hem", "logitnorm", "la"]`` for the defaults."""
        variants = set(self.hem_margins(task).values()) - {"hem"}
        labels = dict.fromkeys(spec.loss_label for spec in self._task_specs(task))
        return sorted((label for label in labels if label not in variants), key=label_order)

    def logits(self, task: str, seed: int = 0) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{loss_label: (logits, targets)}`` of ``task``'s runs with ``seed``: float logits
        ``(N, C)`` (dense tasks: sampled pixels) and integer targets ``(N,)`` of the test set."""
        return {label: (torch.as_tensor(arrays["logits"]).float(), torch.as_tensor(arrays["targets"]))
                for label, arrays in self.artifacts(task, seed=seed).items()}

    def describe(self) -> str:
        """One line: how many runs of which tasks, on which datasets, where; how many were read
        back and how many trained now; and HEM's margins per task."""
        tasks = list(dict.fromkeys(spec.task for spec in self.specs))
        datasets = ", ".join(dict.fromkeys(spec.dataset for spec in self.specs))
        margins = "; ".join(f"{task}: HEM at μ = {', '.join(f'{mu:g}' for mu in self.hem_margins(task))}"
                            for task in tasks if self.hem_margins(task))
        return (f"{len(self.specs)} runs of {', '.join(tasks)} on {datasets} in {self.store.root / self.preset}: "
                f"{len(self.report.skipped)} read back, {len(self.report.ran)} trained now"
                + (f"; {margins}" if margins else ""))

    @functools.cached_property
    def _stored(self) -> set[RunSpec]:
        """The specs whose runs the store holds: those the execution stored or found stored."""
        return set(self.report.stored)

    def runs(self, task: str, *, seed: int | None = None, loss_label: str | None = None) -> list[RunSpec]:
        """The stored specs of ``task``, optionally of one seed or one loss label."""
        return [spec for spec in self.specs if spec.task == task and spec in self._stored
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
    """:func:`plan` the sweep, execute what ``<out>`` lacks (:meth:`Sweep.execute`), and return it.

    ``out`` defaults to ``$HEMLAB_RESULTS`` or ``results/``; ``device`` may be ``"auto"``
    (:func:`hemlab.runtime.resolve_device`); the other arguments are those of :func:`plan` and
    :func:`execute`. Before any run starts, the datasets the missing runs
    download are checked once (``DatasetUnavailableError`` when one cannot be had).
    """
    specs = plan(preset, tasks, losses, seeds=seeds, dataset=dataset, margin_sweep=margin_sweep,
                 overrides=overrides, model=model)
    store = ResultStore(Path(out) if out is not None else results_root())
    return Sweep.execute(preset, specs, store, executor=executor, workers=workers, device=device, progress=progress,
                         **executor_options)
