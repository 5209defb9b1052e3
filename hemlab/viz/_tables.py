"""Reading the results and summary tables (private).

A ``condition`` is a single word (``"clean"``, ``"corrupted"``, ``"final"``, ``"training"``) or
``";"``-joined ``key=value`` pairs, e.g. ``"corruption=fog;severity=3"``. The expansion into
columns here is a stand-in for ``hemlab.tasks.condition_columns``, which will replace it.
"""
from __future__ import annotations

import pandas as pd

from hemlab.viz._inputs import require_columns

RESULT_COLUMNS = ("task", "loss_label", "seed", "condition", "metric", "value")
SUMMARY_COLUMNS = ("task", "loss_label", "condition", "metric", "mean", "ci_low", "ci_high")


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def parse_condition(condition: str) -> dict[str, float | str]:
    """``"eps=0.03;attack=pgd-ce"`` -> ``{"eps": 0.03, "attack": "pgd-ce"}``; a single word -> ``{}``."""
    pairs = [part.split("=", 1) for part in condition.split(";") if "=" in part]
    return {key: _number_or_text(value) for key, value in pairs}


def condition_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with one more column per condition key (NaN where a row's condition lacks it)."""
    parsed = pd.DataFrame([parse_condition(str(c)) for c in table["condition"]], index=table.index)
    return table.join(parsed.drop(columns=[c for c in parsed.columns if c in table.columns]))


def task_rows(table: pd.DataFrame, task: str, metric: str, name: str = "table") -> pd.DataFrame:
    """The results rows of ``task`` and ``metric``, conditions expanded into columns."""
    require_columns(table, RESULT_COLUMNS, name)
    rows = table[(table["task"] == task) & (table["metric"] == metric)]
    if rows.empty:
        raise ValueError(f"{name}: expected {task} rows with metric {metric!r}, found none "
                         f"(tasks present: {sorted(table['task'].unique())})")
    return condition_columns(rows)


def seed_statistics(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, standard deviation (ddof 1; NaN for one seed) and seed count of ``value`` per ``by``
    group, after averaging each seed's rows within the group (e.g. over corruptions)."""
    per_seed = rows.groupby(by + ["seed"], dropna=False)["value"].mean().reset_index()
    return per_seed.groupby(by, dropna=False)["value"].agg(["mean", "std", "count"]).reset_index()
