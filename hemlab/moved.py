"""Old import paths of hemlab 0.1 that still work, with a ``DeprecationWarning``, until hemlab 0.3.

In 0.2 the task layer was split by purpose: the experiment plumbing (plan, jobs, executors,
store, sweep) moved to :mod:`hemlab.experiments`, the statistics (summary, evidence, claims,
verdicts, ranks, timing, the notebook helpers) to :mod:`hemlab.stats`, and modules whose names
did not say what they hold were renamed (``measure`` -> ``evaluation``, ``items`` ->
``item_records``, the ``user`` modules of data, losses and models -> ``registration``). Two
kinds of old path keep working:

- a moved module, ``import hemlab.tasks.store`` or ``from hemlab.tasks.execute import Job``:
  :data:`MOVED_MODULES` maps it to the modules that now hold its names, and a finder on
  ``sys.meta_path`` (installed by ``import hemlab``) builds the old module from them;
- a moved name, ``hemlab.tasks.ResultStore`` or ``hemlab.tasks.spec.PRESETS``: the old
  module's ``__getattr__`` (:func:`moved_names`) answers it from its new home.

Each warns once per place that uses it, naming the new path. This module imports nothing of
hemlab's: the new homes are written as text, so the drawing of imports has no arrow up.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from typing import Any, Callable, Mapping

REMOVED_IN = "0.3"

MOVED_MODULES: dict[str, tuple[str, ...]] = {
    "hemlab.tasks.execute": ("hemlab.experiments.execution", "hemlab.experiments.jobs",
                             "hemlab.experiments.executors"),
    "hemlab.tasks.ray_executor": ("hemlab.experiments.ray_executor",),
    "hemlab.tasks.store": ("hemlab.experiments.store",),
    "hemlab.tasks.plan": ("hemlab.experiments.planning",),
    "hemlab.tasks.sweep": ("hemlab.experiments.sweeps",),
    "hemlab.tasks.stats": ("hemlab.stats.summary",),
    "hemlab.tasks.evidence": ("hemlab.stats.evidence",),
    "hemlab.tasks.claims": ("hemlab.stats.claims",),
    "hemlab.tasks.verdicts": ("hemlab.stats.claim_verdicts",),
    "hemlab.tasks.ranks": ("hemlab.stats.ranks",),
    "hemlab.tasks.timing": ("hemlab.stats.timing",),
    "hemlab.tasks.notebook": ("hemlab.stats.notebook",),
    "hemlab.tasks.measure": ("hemlab.tasks.evaluation",),
    "hemlab.tasks.items": ("hemlab.tasks.item_records",),
    "hemlab.data.user": ("hemlab.data.registration",),
    "hemlab.losses.user": ("hemlab.losses.registration",),
    "hemlab.models.user": ("hemlab.models.registration",),
}
"""Old module -> the modules that hold its names now (the first one's name is given in the warning)."""


def _outside_frame_level() -> int:
    """``warnings.warn``'s stacklevel, counted from the caller of this function's caller, of
    the first frame outside this module and the import machinery: the user's line."""
    frame, level = sys._getframe(2), 2
    while frame is not None and (frame.f_code.co_filename == __file__
                                 or frame.f_code.co_filename.startswith("<frozen importlib")):
        frame, level = frame.f_back, level + 1
    return level


def _warn(old: str, new: str) -> None:
    warnings.warn(f"{old} moved to {new}; the old path goes in hemlab {REMOVED_IN}", DeprecationWarning,
                  stacklevel=_outside_frame_level())


class MovedModule(types.ModuleType):
    """An old module built from its new homes. Called, it calls its namesake function, so
    ``hemlab.tasks.plan(...)`` works even after ``import hemlab.tasks.plan`` bound the module
    on the package (0.1's ``plan`` and ``sweep`` were a module and a function of one name)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        function = self.__dict__.get(self.__name__.rpartition(".")[2])
        if not callable(function):
            raise TypeError(f"module {self.__name__!r} is not callable")
        return function(*args, **kwargs)


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the modules of :data:`MOVED_MODULES` and builds each from its new homes."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED_MODULES else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return MovedModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        homes = MOVED_MODULES[module.__name__]
        _warn(module.__name__, homes[0])
        for home in homes:
            for name, value in vars(importlib.import_module(home)).items():
                if not (name.startswith("__") and name.endswith("__")):
                    module.__dict__.setdefault(name, value)
        module.__doc__ = f"Moved to {', '.join(homes)} (deprecated path; removed in hemlab {REMOVED_IN})."


def install() -> None:
    """Put one :class:`MovedModuleFinder` first on ``sys.meta_path`` (again: nothing)."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())


def moved_names(module: str, homes: Mapping[str, tuple[str, ...]],
                fallback: Callable[[str], Any] | None = None) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) for ``module`` whose names in ``homes`` (``{new
    module: names}``) moved: each warns and returns the name from its new module.
    ``fallback(name)`` answers the other names (a package's lazy exports); without one they
    raise ``AttributeError``."""
    home_of = {name: home for home, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in home_of:
            _warn(f"{module}.{name}", f"{home_of[name]}.{name}")
            return getattr(importlib.import_module(home_of[name]), name)
        if fallback is not None:
            return fallback(name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


__all__ = ["MOVED_MODULES", "MovedModule", "MovedModuleFinder", "REMOVED_IN", "install", "moved_names"]
