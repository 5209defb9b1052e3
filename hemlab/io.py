"""Atomic writes: a result or checkpoint is either the old file or the new one, never half.

Each writer writes to a temporary file in the target's folder, flushes it to disk and
renames it over the target (``os.replace`` is atomic on POSIX and Windows). The file gets
the permissions any new file gets (``0o666`` less the umask, e.g. ``-rw-r--r--``), not
the owner-only ``-rw-------`` of ``tempfile.mkstemp``.

A temporary file is named ``.<target>.<host>.<pid>.<8 hex>.tmp`` after the machine and the
process writing it. A writer killed with SIGKILL leaves it behind; :func:`remove_stale_temporaries`
removes those of this machine whose process is gone, and never those still being written
(by this or another live process, or on another machine sharing the folder).
"""
from __future__ import annotations

import json
import os
import re
import socket
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import torch

_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"
_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


def temporary_path(path: str | os.PathLike) -> Path:
    """A fresh temporary name beside ``path``, tagged with this machine and process."""
    target = Path(path)
    return target.parent / f".{target.name}.{_HOST}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine exists (a zombie counts); True where it cannot be told."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files under ``folder`` (recursively) that a writer on this
    machine left when it died; return them. Files of live writers stay, and so does
    anything that cannot be removed (a read-only folder)."""
    removed = []
    for parent, _, names in os.walk(folder):
        for name in names:
            match = _TEMPORARY.match(name)
            if match and match["host"] == _HOST and not process_alive(int(match["pid"])):
                path = Path(parent) / name
                with suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(target)
    # Created exclusively with mode 0o666, which the kernel reduces by the umask.
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


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
