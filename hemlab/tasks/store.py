"""The result store: one JSON file (and one ``.npz`` of artifacts) per finished run.

Layout: ``<root>/<preset>/<task>/<run_id>.json`` and ``<run_id>.npz``. The artifacts are
written first and the JSON last, both atomically, so a run counts as finished exactly when
its JSON exists: a sweep killed at any moment loses at most the runs in flight, and a
re-run skips what is there. Per-epoch checkpoints of long runs live in
``<root>/<preset>/<task>/checkpoints/`` and are removed when the run is stored.
"""
from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from hemlab import __version__
from hemlab.io import atomic_path, save_json
from hemlab.tasks.items import ItemRecord, item_records
from hemlab.tasks.result import ROW_COLUMNS, RunResult
from hemlab.tasks.spec import RunSpec


def _finite_or_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


class ResultStore:
    """Finished runs under ``root`` (created on first write)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    def _base(self, preset: str, task: str, run_id: str) -> Path:
        return self.root / preset / task / run_id

    def path(self, spec: RunSpec) -> Path:
        """The JSON file of ``spec``'s run."""
        return self._base(spec.preset, spec.task, spec.run_id).with_suffix(".json")

    def has(self, spec: RunSpec) -> bool:
        return self.path(spec).is_file()

    def checkpoint_dir(self, spec: RunSpec) -> Path:
        return self.root / spec.preset / spec.task / "checkpoints"

    def save(self, spec: RunSpec, result: RunResult) -> Path:
        """Store ``result`` as ``spec``'s run: artifacts first, then the JSON record."""
        base = self._base(spec.preset, spec.task, spec.run_id)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **result.artifacts)
        with atomic_path(base.with_suffix(".npz")) as temporary:
            temporary.write_bytes(buffer.getvalue())
        record = {
            "run_id": spec.run_id, "spec": spec.to_dict(), "loss_label": spec.loss_label, "seconds": result.seconds,
            "hemlab_version": __version__, "settings_id": spec.settings_id,
            "rows": [{**row, "value": _finite_or_none(row["value"])} for row in result.rows],
            "history": [{key: _finite_or_none(value) for key, value in row.items()} for row in result.history],
        }
        path = save_json(record, base.with_suffix(".json"))
        for checkpoint in self.checkpoint_dir(spec).glob(f"{spec.run_id}-*.pt"):
            checkpoint.unlink(missing_ok=True)
        return path

    def records(self, preset: str, tasks: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every stored run record of ``preset`` (optionally only ``tasks``), in file-name order."""
        folder = self.root / preset
        for path in sorted(folder.glob("*/*.json")):
            if tasks is None or path.parent.name in set(tasks):
                yield json.loads(path.read_text())

    def table(self, preset: str, specs: Iterable[RunSpec] | None = None) -> pd.DataFrame:
        """The tidy rows (:data:`ROW_COLUMNS`) of ``preset``'s runs, or of exactly ``specs``.

        Sorted by task, loss label, seed, then the order the runner wrote them, so the same
        runs give the same table whatever order they finished in.
        """
        if specs is None:
            records = list(self.records(preset))
        else:
            records = [json.loads(self.path(spec).read_text()) for spec in specs if self.has(spec)]
        rows = []
        for record in records:
            spec = record["spec"]
            for order, row in enumerate(record["rows"]):
                rows.append({"run_id": record["run_id"], "task": spec["task"], "dataset": spec["dataset"],
                             "model": spec["model"], "loss": spec["loss"], "loss_label": record["loss_label"],
                             "seed": spec["seed"], "condition": row["condition"], "metric": row["metric"],
                             "value": math.nan if row["value"] is None else row["value"],
                             "seconds": record["seconds"], "settings_id": record.get("settings_id", ""),
                             "_order": order})
        table = pd.DataFrame(rows, columns=[*ROW_COLUMNS, "_order"])
        table = table.sort_values(["task", "loss_label", "seed", "_order"], kind="stable")
        return table.drop(columns="_order").reset_index(drop=True)

    def artifacts(self, preset: str, task: str, run_id: str) -> dict[str, np.ndarray]:
        """The run's plot artifacts (name -> array)."""
        with np.load(self._base(preset, task, run_id).with_suffix(".npz")) as archive:
            return {name: archive[name] for name in archive.files}

    def items(self, preset: str, task: str, run_id: str) -> dict[tuple[str, str], ItemRecord]:
        """The run's per-item records ``{(condition, metric): {field: array}}`` (see
        :mod:`hemlab.tasks.items`); empty for runs stored without them."""
        return item_records(self.artifacts(preset, task, run_id))

    def history(self, preset: str, task: str, run_id: str) -> pd.DataFrame:
        """The run's per-epoch training history (with a ``stage`` column)."""
        record = json.loads(self._base(preset, task, run_id).with_suffix(".json").read_text())
        return pd.DataFrame(record["history"])
