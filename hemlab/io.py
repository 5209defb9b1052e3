"""Atomic writes: a result or checkpoint is either the old file or the new one, never half.

Each writer writes to a temporary file in the target's folder, flushes it to disk and
renames it over the target (``os.replace`` is atomic on POSIX and Windows). The file gets
the permissions any new file gets (``0o666`` less the umask, e.g. ``-rw-r--r--``), not
the owner-only ``-rw-------`` of ``tempfile.mkstemp``.
"""
from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import torch


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary_path = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    # Created exclusively with mode 0o666, which the kernel reduces by the umask.
    os.close(os.open(temporary_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary_path
        with open(temporary_path, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary_path, target)
    finally:
        temporary_path.unlink(missing_ok=True)


def save_torch(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` ``obj`` to ``path`` atomically."""
    with atomic_path(path) as temporary:
        torch.save(obj, temporary)
    return Path(path)


def save_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table atomically as CSV (``.csv``) or records JSON (``.json``)."""
    target = Path(path)
    with atomic_path(target) as temporary:
        if target.suffix == ".json":
            table.to_json(temporary, orient="records", indent=2)
        elif target.suffix == ".csv":
            table.to_csv(temporary, index=False)
        else:
            raise ValueError(f"path: expected a .csv or .json file name, got {str(path)!r}")
    return target


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write a JSON-serialisable object atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(obj, indent=2, default=str))
    return Path(path)
