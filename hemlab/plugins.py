"""Plug-ins: modules that register losses, datasets or models when imported.

Two ways in, as pytest and timm do with theirs:

- by name: ``hemlab run ... --plugin mymodule`` (repeatable) or :func:`load_plugins`;
- installed: a distribution that declares entry points in the groups ``hemlab.losses``,
  ``hemlab.datasets`` or ``hemlab.models`` (:data:`ENTRY_POINT_GROUPS`)::

      [project.entry-points."hemlab.losses"]
      sqhinge = "mylosses"
      [project.entry-points."hemlab.datasets"]
      mydata = "mydata"

  are found the first time hemlab looks up a loss, dataset or model it does not know or
  lists them (:func:`discover_entry_points`, once per process), in the driver and in every
  worker.

The executors give each job the plug-in modules its loss, dataset and model need
(:func:`plugin_sources`), so a worker of the ``processes`` or ``ray`` executor imports them
before it runs the job. A thing defined in ``__main__`` (a notebook cell, a script) cannot be
imported by a worker: :func:`plugin_sources` refuses it for those executors before any run.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import sys
from pathlib import Path
from typing import Iterable

ENTRY_POINT_GROUP = "hemlab.losses"
ENTRY_POINT_GROUPS: tuple[str, ...] = (ENTRY_POINT_GROUP, "hemlab.datasets", "hemlab.models")
"""The entry-point groups hemlab loads: losses, datasets, models."""

PluginSource = tuple[str, str | None]
"""A plug-in module's name and the folder to put on ``sys.path`` to import it (None: importable as is)."""

_state = {"discovered": False}


class PluginError(ValueError):
    """A plug-in module or entry point that cannot be loaded (one line: which, and why)."""


def discover_entry_points() -> list[str]:
    """Load every entry point of the groups :data:`ENTRY_POINT_GROUPS` (once per process;
    later calls return ``[]``); returns the names of the entry points loaded. ``PluginError``
    names an entry point whose module fails to import."""
    if _state["discovered"]:
        return []
    _state["discovered"] = True
    loaded = []
    for group in ENTRY_POINT_GROUPS:
        for entry_point in importlib.metadata.entry_points(group=group):
            try:
                entry_point.load()
            except Exception as error:  # noqa: BLE001 - any failure of third-party code is reported the same way
                raise PluginError(f"plugin: entry point {entry_point.name} = {entry_point.value} (group "
                                  f"{group}) failed to load: {type(error).__name__}: {error}") from error
            loaded.append(entry_point.name)
    return loaded


def load_plugins(modules: Iterable[str | PluginSource]) -> list[str]:
    """Import each plug-in module (a name, or ``(name, folder)`` with the folder added to
    ``sys.path`` first) and the installed entry points; returns the module names.

    ``PluginError`` for a module that cannot be imported, naming it and the error."""
    names = []
    for module in modules:
        name, folder = (module, None) if isinstance(module, str) else module
        if folder is not None and name not in sys.modules and folder not in sys.path:
            sys.path.append(folder)
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - reported as one line naming the module
            raise PluginError(f"plugin: could not import module {name!r} ({type(error).__name__}: {error}); "
                              "expected a module on the Python path that registers losses, datasets or models") \
                from error
        names.append(name)
    discover_entry_points()
    return names


def plugin_sources(registered: Iterable[tuple[str, str, str]], *, executor: str = "local"
                   ) -> tuple[PluginSource, ...]:
    """The plug-in modules of ``registered`` ``(kind, name, module)`` triples (``module`` is
    ``""`` for what is built into hemlab), each with the folder it was imported from, for the
    workers of ``executor`` to import.

    ``ValueError`` when ``executor`` runs jobs in other processes and a thing was defined in
    ``__main__`` (a notebook cell or a script), which those processes cannot import."""
    sources: dict[str, str | None] = {}
    for kind, name, module in dict.fromkeys(registered):
        if not module:
            continue
        if module == "__main__":
            if executor != "local":
                raise ValueError(f"{kind}: {name!r} was defined in __main__ (a notebook cell or a script), which "
                                 f"the workers of the {executor} executor cannot import; use executor local, or "
                                 "move it into a module and pass it with --plugin MODULE")
            continue
        file = getattr(sys.modules.get(module), "__file__", None)
        sources[module] = _import_root(module, file)
    return tuple(sources.items())


def _import_root(module: str, file: str | None) -> str | None:
    """The ``sys.path`` folder from which ``module`` (at ``file``) was imported."""
    if file is None:
        return None
    path = Path(file).resolve()
    depth = module.count(".") + (1 if path.name == "__init__.py" else 0)
    return str(path.parents[depth])


__all__ = ["ENTRY_POINT_GROUP", "ENTRY_POINT_GROUPS", "PluginError", "PluginSource", "discover_entry_points",
           "load_plugins", "plugin_sources"]
