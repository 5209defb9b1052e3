"""Loss plug-ins: modules that register losses when imported.

Two ways in, as pytest and timm do with theirs:

- by name: ``hemlab run ... --plugin mylosses`` (repeatable) or :func:`load_plugins`;
- installed: a distribution that declares an entry point in the group ``hemlab.losses``::

      [project.entry-points."hemlab.losses"]
      sqhinge = "mylosses"

  is found the first time hemlab looks up a loss it does not know or lists the losses
  (:func:`discover_entry_points`, once per process), in the driver and in every worker.

The executors give each job the plug-in modules its loss needs (:func:`plugin_sources`),
so a worker of the ``processes`` or ``ray`` executor imports them before it runs the job.
A loss defined in ``__main__`` (a notebook cell, a script) cannot be imported by a worker:
:func:`plugin_sources` refuses it for those executors before any run starts.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import sys
from pathlib import Path
from typing import Iterable

ENTRY_POINT_GROUP = "hemlab.losses"

PluginSource = tuple[str, str | None]
"""A plug-in module's name and the folder to put on ``sys.path`` to import it (None: importable as is)."""

_state = {"discovered": False}


class PluginError(ValueError):
    """A plug-in module or entry point that cannot be loaded (one line: which, and why)."""


def discover_entry_points() -> list[str]:
    """Load every entry point of the group ``hemlab.losses`` (once per process; later calls
    return ``[]``); returns the names of the entry points loaded. ``PluginError`` names an
    entry point whose module fails to import."""
    if _state["discovered"]:
        return []
    _state["discovered"] = True
    loaded = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry_point.load()
        except Exception as error:  # noqa: BLE001 - any failure of third-party code is reported the same way
            raise PluginError(f"plugin: entry point {entry_point.name} = {entry_point.value} (group "
                              f"{ENTRY_POINT_GROUP}) failed to load: {type(error).__name__}: {error}") from error
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
                              "expected a module on the Python path that registers losses") from error
        names.append(name)
    discover_entry_points()
    return names


def plugin_sources(loss_names: Iterable[str], *, executor: str = "local") -> tuple[PluginSource, ...]:
    """The plug-in modules that register ``loss_names`` (built-in losses need none), each with
    the folder it was imported from, for the workers of ``executor`` to import.

    ``ValueError`` when ``executor`` runs jobs in other processes and a loss was defined in
    ``__main__`` (a notebook cell or a script), which those processes cannot import."""
    from hemlab.losses import LOSSES, loss_info

    sources: dict[str, str | None] = {}
    for name in dict.fromkeys(loss_names):
        info = loss_info(name)
        if name in LOSSES.builtin:
            continue
        if info.module == "__main__":
            if executor != "local":
                raise ValueError(f"loss: {name!r} was defined in __main__ (a notebook cell or a script), which "
                                 f"the workers of the {executor} executor cannot import; use executor local, or "
                                 "move it into a module and pass it with --plugin MODULE")
            continue
        module = sys.modules.get(info.module)
        file = getattr(module, "__file__", None)
        sources[info.module] = _import_root(info.module, file)
    return tuple(sources.items())


def _import_root(module: str, file: str | None) -> str | None:
    """The ``sys.path`` folder from which ``module`` (at ``file``) was imported."""
    if file is None:
        return None
    path = Path(file).resolve()
    depth = module.count(".") + (1 if path.name == "__init__.py" else 0)
    return str(path.parents[depth])


__all__ = ["ENTRY_POINT_GROUP", "PluginError", "PluginSource", "discover_entry_points", "load_plugins",
           "plugin_sources"]
