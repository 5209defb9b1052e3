"""Names of a package that load on first use (PEP 562), so that importing a light module of
the package does not import everything behind it (torch, torchvision, the runners).

    _HOME, __getattr__, __dir__ = lazy_exports(__name__, globals(), {"pkg.module": ("name", ...)})
    __all__ = sorted(_HOME)
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(package: str, namespace: dict[str, Any], exports: Mapping[str, tuple[str, ...]]
                 ) -> tuple[dict[str, str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(home, __getattr__, __dir__)`` for ``package``: ``home`` maps each exported name to
    the module that defines it; ``__getattr__`` imports that module on first use and caches
    the name in ``namespace`` (the package's ``globals()``)."""
    home = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home[name]), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(home))

    return home, __getattr__, __dir__


__all__ = ["lazy_exports"]
