"""A loss against others from the runs already stored: what ``hemlab compare`` prints.

    found = stored_comparison(ResultStore("results"), "quick", "myloss", ["ce", "hem"])
    found.verdicts          # one claim per task and comparator: "myloss better than ce", judged
    found.summary           # the per-cell means of exactly the runs compared

Only runs trained under the settings the same preset, changes, dataset and model give today
are compared (equal ``settings_id``, dataset and model), so a stale run of another setting never
enters a verdict. Nothing is trained here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from hemlab.experiments.planning import task_changes
from hemlab.experiments.store import ResultStore
from hemlab.stats.claim_verdicts import verdicts
from hemlab.stats.claims import Claim, headlines
from hemlab.stats.summary import summarize
from hemlab.tasks.loss_labels import LossLabel
from hemlab.tasks.names import TASK_NAMES
from hemlab.tasks.overrides import Override, resolve_settings
from hemlab.tasks.settings import settings_fingerprint


class NothingToCompare(ValueError):
    """No stored run of the subject under these settings, dataset and model."""


@dataclass(frozen=True)
class Comparison:
    """``subject`` against each of ``against`` on ``tasks`` (those with stored runs of the
    subject): the runs compared (``table``), their ``summary`` and the ``verdicts``."""

    preset: str
    subject: str
    against: tuple[str, ...]
    tasks: tuple[str, ...]
    table: pd.DataFrame
    summary: pd.DataFrame
    verdicts: pd.DataFrame

    @property
    def stem(self) -> str:
        """The file name stem of this comparison's table and figure: ``compare_hem_margin0.5``."""
        return f"compare_{self.subject.replace(':', '_').replace(',', '_').replace('=', '')}"


def comparison_claims(preset: str, subject: str, against: Sequence[str], tasks: Sequence[str]) -> list[Claim]:
    """One claim per task and comparator: ``subject`` better than it on the task's headline."""
    heads = headlines(preset)
    return [Claim(claim=f"{task}:{comparator}", statement=f"{task}: {subject} better than {comparator} "
                  f"({heads[task].metric} @ {heads[task].condition})", task=task, subject=subject,
                  comparator=comparator, expectation="better")
            for task in tasks for comparator in against]


def stored_comparison(store: ResultStore, preset: str, subject: str, against: Sequence[str],
                      tasks: Sequence[str] = TASK_NAMES, *, overrides: Sequence[Override] = (),
                      dataset: str | None = None, model: str | None = None) -> Comparison:
    """Compare loss ``subject`` with each loss of ``against`` on every task of ``tasks`` that has
    stored runs of it, paired by seed (:func:`hemlab.stats.verdicts`, with the stored per-item
    records). Loss specs are checked by the registry (``ValueError``);
    :class:`NothingToCompare` when no task has a stored run of the subject."""
    subject, *others = [str(LossLabel.parse(text).checked()) for text in (subject, *against)]
    runs = {task: task_changes(preset, task, overrides, dataset, model) for task in tasks}
    fingerprints = {task: settings_fingerprint(resolve_settings(preset, task, changes))
                    for task, (changes, _, _) in runs.items()}
    datasets = {task: task_dataset for task, (_, task_dataset, _) in runs.items()}
    models = {task: task_model for task, (_, _, task_model) in runs.items()}
    table = store.table(preset)
    table = table[table["task"].isin(list(tasks)) & table["loss_label"].isin([subject, *others])
                  & (table["settings_id"] == table["task"].map(fingerprints))
                  & (table["dataset"] == table["task"].map(datasets)) & (table["model"] == table["task"].map(models))]
    found = tuple(task for task in tasks if subject in set(table.loc[table["task"] == task, "loss_label"]))
    if not found:
        raise NothingToCompare(f"compare: no stored runs of {subject} under preset {preset} with these settings, "
                               f"dataset and model in {store.root / preset}; run them first, e.g. hemlab run TASK "
                               f"--losses {subject} {' '.join(others)}")
    table = table[table["task"].isin(found)]
    judged = verdicts(table, preset, claims=comparison_claims(preset, subject, others, found),
                      items=lambda task, run_id: store.items(preset, task, run_id))
    return Comparison(preset, subject, tuple(others), found, table, summarize(table), judged)


__all__ = ["Comparison", "NothingToCompare", "comparison_claims", "stored_comparison"]
