"""The result store: one JSON record (and one ``.npz`` of artifacts) per finished run.

Layout: ``<root>/<preset>/<task>/<run_id>.json`` and ``<run_id>.npz``. What it guarantees:

- **A run is stored exactly when its record is whole.** The artifacts are written first and
  the record last, each atomically (``hemlab.io.atomic_path``), so a sweep killed at any
  moment, even by SIGKILL, loses at most the runs in flight; a re-run skips what is there.
- **Damage is found and repaired by re-running.** The record carries the sha256 of its
  artifact file (``artifacts_sha256``) and of its own content (``record_sha256``, over the
  canonical JSON of every other field). A record that does not parse, lacks a field or does
  not match its checksum, and an artifact file that is missing, does not load or does not
  match its checksum, is reported by one :class:`DamagedRunWarning` naming the file; both
  files of the run are renamed ``*.damaged`` and the run counts as not stored, so the next
  sweep runs it again. Records written before the checksums existed are checked for their
  fields, and their artifacts by the zip's own CRCs.
- **Concurrent sweeps into one folder are safe.** Writing a run's pair of files, and
  checking or setting aside a pair, happen under an exclusive lock of the task folder
  (``flock`` of ``<task>/.lock``), so no reader sees one run's new artifacts beside its
  old record.
- **Temporary files never accumulate.** Each names its machine and process;
  :meth:`ResultStore.remove_stale_temporaries` (run by every ``execute``) removes those
  whose process is gone.
- **A folder that cannot be written fails with one message**: :class:`StoreWriteError`
  names the folder and the OS error; the runs already stored stay intact.

Each record also says what produced it (``machine``: torch, CPU model and instruction set,
threads, device; ``hemlab.runtime.machine_identity``) and where the run's time went
(``phase_seconds``: draw, train, evaluate).

Cost: deciding :meth:`~ResultStore.has` reads and hashes both files (about a millisecond a
run of the quick preset); :meth:`~ResultStore.table` reads only the records. Per-epoch
checkpoints of long runs live in ``<root>/<preset>/<task>/checkpoints/`` and are removed
when the run is stored.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import warnings
import zipfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from hemlab import __version__
from hemlab.checks import Instance, refusal
from hemlab.io import atomic_path, remove_stale_temporaries, temporary_path
from hemlab.tasks.item_records import ItemRecord, item_records
from hemlab.tasks.result import ROW_COLUMNS, RunResult
from hemlab.tasks.spec import RunSpec

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one sweep per folder at a time there
    fcntl = None

RECORD_FIELDS = ("run_id", "spec", "loss_label", "seconds", "rows", "history")
"""The fields every run record has (besides the checksums)."""
LOCK_NAME = ".lock"
"""The lock file of a task folder (empty; it stays)."""
DAMAGED_SUFFIX = ".damaged"


class DamagedRunWarning(UserWarning):
    """A stored run's record or artifact file was damaged; it was set aside and the run
    counts as not stored."""


class RunNotStored(FileNotFoundError):
    """The run asked for is not in the store (never stored, or set aside as damaged)."""


class StoreWriteError(OSError):
    """The results folder cannot be written (a path through a file, a read-only mount, a
    full disk); the message names the folder and the OS error."""


class _Damage(Exception):
    """Internal: ``path`` is damaged for ``reason``."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def _finite_or_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _digest(record: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``record`` (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _is_number(value: Any) -> bool:
    """A JSON number of a record: not a bool, NaN and infinity allowed (stored as None or read back)."""
    return refusal(value, [Instance(int), Instance(float)]) is None


def _well_formed(record: dict[str, Any]) -> bool:
    """The record's fields have the types the readers rely on."""
    spec, rows = record["spec"], record["rows"]
    return (isinstance(spec, dict) and all(key in spec for key in ("task", "dataset", "model", "loss", "seed"))
            and isinstance(rows, list) and isinstance(record["history"], list)
            and all(isinstance(row, dict) and {"condition", "metric", "value"} <= row.keys()
                    and (row["value"] is None or _is_number(row["value"])) for row in rows)
            and all(isinstance(row, dict) for row in record["history"])
            and isinstance(record["loss_label"], str) and _is_number(record["seconds"]))


def _parse_record(path: Path) -> dict[str, Any]:
    """The checked record at ``path``; ``_Damage`` if it is not a whole run record,
    ``FileNotFoundError`` if it is gone."""
    text = path.read_bytes()
    try:
        record = json.loads(text)
    except ValueError as error:
        raise _Damage(path, f"does not parse ({error})") from None
    if not isinstance(record, dict):
        raise _Damage(path, "is not a run record")
    missing = [key for key in RECORD_FIELDS if key not in record]
    if missing:
        raise _Damage(path, f"lacks {', '.join(missing)}")
    checksum = record.pop("record_sha256", None)
    if checksum is not None and checksum != _digest(record):
        raise _Damage(path, "does not match its checksum")
    if not _well_formed(record) or record["run_id"] != path.stem:
        raise _Damage(path, "has fields of the wrong kind")
    return record


def _read_artifacts(path: Path, record: dict[str, Any]) -> bytes:
    """The bytes of the artifact file at ``path``, checked against ``record``; ``_Damage`` otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _Damage(path, "is missing") from None
    expected = record.get("artifacts_sha256")
    if expected is not None:
        if hashlib.sha256(data).hexdigest() != expected:
            raise _Damage(path, "does not match the checksum in its record")
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise _Damage(path, f"does not load ({error})") from None
    if broken is not None:
        raise _Damage(path, f"does not load (member {broken} fails its CRC)")
    return data


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` (its ``.lock`` file), where it can be had: a
    folder that cannot be written has no writers to wait for, and a file system without
    locks (or Windows) runs unlocked."""
    descriptor = None
    if fcntl is not None:
        with suppress(OSError):
            descriptor = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if descriptor is not None:
            with suppress(OSError):
                fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        if descriptor is not None:
            os.close(descriptor)


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

    def checkpoint_dir(self, spec: RunSpec) -> Path:
        return self.root / spec.preset / spec.task / "checkpoints"

    # ------------------------------------------------------------------ checking

    def _set_aside(self, record_path: Path, damage: _Damage) -> None:
        """Rename the run's record and artifacts to ``*.damaged`` and warn in one line."""
        try:
            for path in (record_path, record_path.with_suffix(".npz")):
                if path.exists():
                    os.replace(path, path.with_name(path.name + DAMAGED_SUFFIX))
            outcome = f"moved aside to {damage.path.name}{DAMAGED_SUFFIX}; the run counts as not stored"
        except OSError as error:
            outcome = f"skipped (could not move it aside: {error.strerror or error})"
        warnings.warn(f"damaged run file {damage.path} {damage.reason}; {outcome}", DamagedRunWarning, stacklevel=4)

    def _load(self, record_path: Path, *, artifacts: bool) -> tuple[dict[str, Any], bytes | None] | None:
        """The checked record at ``record_path`` (and, with ``artifacts``, the checked bytes
        of its artifact file), or None when the run is not stored; damage is set aside."""
        if not record_path.is_file():
            return None
        with _folder_lock(record_path.parent):
            try:
                record = _parse_record(record_path)
                data = _read_artifacts(record_path.with_suffix(".npz"), record) if artifacts else None
            except FileNotFoundError:  # set aside by another reader meanwhile
                return None
            except _Damage as damage:
                self._set_aside(record_path, damage)
                return None
        return record, data

    def has(self, spec: RunSpec) -> bool:
        """Whether ``spec``'s run is stored whole: its record and artifacts are read and
        checked (damage is reported and set aside, and the run then counts as missing)."""
        return self._load(self.path(spec), artifacts=True) is not None

    def record(self, spec: RunSpec) -> dict[str, Any] | None:
        """``spec``'s checked run record (artifacts not read), or None when not stored."""
        loaded = self._load(self.path(spec), artifacts=False)
        return None if loaded is None else loaded[0]

    # ------------------------------------------------------------------ writing

    @contextmanager
    def writing(self, preset: str) -> Iterator[Path]:
        """Yield ``<root>/<preset>``; an ``OSError`` inside becomes a :class:`StoreWriteError`
        naming that folder."""
        folder = self.root / preset
        try:
            yield folder
        except StoreWriteError:
            raise
        except OSError as error:
            raise StoreWriteError(f"cannot write the results folder {folder}: {error.strerror or error}") from error

    def check_writable(self, preset: str) -> None:
        """Create ``<root>/<preset>`` and a file in it; :class:`StoreWriteError` if that fails."""
        with self.writing(preset) as folder:
            folder.mkdir(parents=True, exist_ok=True)
            probe = temporary_path(folder / "write-check")
            probe.write_bytes(b"")
            probe.unlink()

    def remove_stale_temporaries(self, preset: str) -> list[Path]:
        """Remove the temporary files under ``<root>/<preset>`` left by writers that died."""
        return remove_stale_temporaries(self.root / preset)

    def save(self, spec: RunSpec, result: RunResult) -> Path:
        """Store ``result`` as ``spec``'s run: artifacts first, then the JSON record, under
        the task folder's lock; :class:`StoreWriteError` if the folder cannot be written."""
        base = self._base(spec.preset, spec.task, spec.run_id)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **result.artifacts)
        data = buffer.getvalue()
        record = {
            "run_id": spec.run_id, "spec": spec.to_dict(), "loss_label": spec.loss_label, "seconds": result.seconds,
            "phase_seconds": result.phase_seconds, "machine": result.machine,
            "hemlab_version": __version__, "settings_id": spec.settings_id,
            "rows": [{**row, "value": _finite_or_none(row["value"])} for row in result.rows],
            "history": [{key: _finite_or_none(value) for key, value in row.items()} for row in result.history],
            "artifacts_sha256": hashlib.sha256(data).hexdigest(),
        }
        record = json.loads(json.dumps(record, default=str))  # exactly what a reader will parse
        record["record_sha256"] = _digest(record)
        with self.writing(spec.preset):
            base.parent.mkdir(parents=True, exist_ok=True)
            with _folder_lock(base.parent):
                with atomic_path(base.with_suffix(".npz")) as temporary:
                    temporary.write_bytes(data)
                with atomic_path(base.with_suffix(".json")) as temporary:
                    temporary.write_text(json.dumps(record, indent=2))
            for checkpoint in self.checkpoint_dir(spec).glob(f"{spec.run_id}-*.pt"):
                checkpoint.unlink(missing_ok=True)
        return base.with_suffix(".json")

    # ------------------------------------------------------------------ reading

    def records(self, preset: str, tasks: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every whole run record of ``preset`` (optionally only ``tasks``), in file-name order;
        damaged ones are reported, set aside and skipped."""
        wanted = None if tasks is None else set(tasks)
        for path in sorted((self.root / preset).glob("*/*.json")):
            if wanted is None or path.parent.name in wanted:
                loaded = self._load(path, artifacts=False)
                if loaded is not None:
                    yield loaded[0]

    def table(self, preset: str, specs: Iterable[RunSpec] | None = None) -> pd.DataFrame:
        """The tidy rows (:data:`ROW_COLUMNS`) of ``preset``'s runs, or of exactly ``specs``
        (those stored; damaged records are skipped with a warning).

        Sorted by task, loss label, seed, then the order the runner wrote them, so the same
        runs give the same table whatever order they finished in.
        """
        if specs is None:
            records = list(self.records(preset))
        else:
            records = [record for record in map(self.record, specs) if record is not None]
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

    def _loaded(self, preset: str, task: str, run_id: str, *, artifacts: bool) -> tuple[dict[str, Any], bytes | None]:
        path = self._base(preset, task, run_id).with_suffix(".json")
        loaded = self._load(path, artifacts=artifacts)
        if loaded is None:
            raise RunNotStored(f"run {run_id} of task {task} is not stored in {self.root / preset}")
        return loaded

    def artifacts(self, preset: str, task: str, run_id: str) -> dict[str, np.ndarray]:
        """The run's plot artifacts (name -> array), checked against their checksum;
        :class:`RunNotStored` when the run is missing or was found damaged (and set aside)."""
        _, data = self._loaded(preset, task, run_id, artifacts=True)
        with np.load(io.BytesIO(data)) as archive:
            return {name: archive[name] for name in archive.files}

    def items(self, preset: str, task: str, run_id: str) -> dict[tuple[str, str], ItemRecord]:
        """The run's per-item records ``{(condition, metric): {field: array}}`` (see
        :mod:`hemlab.tasks.item_records`); empty for runs stored without them."""
        return item_records(self.artifacts(preset, task, run_id))

    def history(self, preset: str, task: str, run_id: str) -> pd.DataFrame:
        """The run's per-epoch training history (with a ``stage`` column);
        :class:`RunNotStored` when the run is missing or damaged."""
        record, _ = self._loaded(preset, task, run_id, artifacts=False)
        return pd.DataFrame(record["history"])
