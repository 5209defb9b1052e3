"""A check, on the CPU, for the classic first GPU failure: a tensor made on the CPU inside code
whose inputs live on the GPU.

:class:`FactoryDeviceGuard` is a ``TorchFunctionMode`` that records every call of a tensor
factory (``torch.zeros``, ``arange``, ``tensor``, ``rand`` ... :data:`FACTORIES`) made from
hemlab's own code without a ``device`` argument. Such a call makes a CPU tensor whatever
device its inputs are on; on a GPU it either fails ("Expected all tensors to be on the same
device") or silently copies. The ``_like`` and ``Tensor.new_*`` forms, and factories given
``device=`` (including ``device="cpu"``, a stated choice), take the device they are told and
are not flagged. ``torch.as_tensor`` of a tensor returns it where it is and is not flagged.

The modules of :data:`HOST_MODULES` build datasets on the host before any device is
involved (generators, files, splits, corruptions of a stored test set) and are exempt, as is
whatever runs inside a module's ``__init__`` (a model's parameters are made on the host and
the model moved as a whole), and what a ``DataLoader`` does on the host before hemlab moves
its batches; every other line of hemlab (training, evaluation, attacks,
losses, metrics, task runners, forward passes, on-device augmentation) is checked.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

import hemlab

HEMLAB_ROOT = Path(hemlab.__file__).resolve().parent
TORCH_ROOT = Path(torch.__file__).resolve().parent
TORCH_DATA_ROOT = TORCH_ROOT / "utils" / "data"
FACTORIES = frozenset({
    torch.zeros, torch.ones, torch.empty, torch.full, torch.arange, torch.linspace, torch.logspace, torch.eye,
    torch.rand, torch.randn, torch.randint, torch.randperm, torch.tensor, torch.as_tensor, torch.scalar_tensor,
    torch.empty_strided, torch.tril_indices, torch.triu_indices, torch.bartlett_window, torch.hann_window,
})
HOST_MODULES = frozenset({
    "data/glyphs.py", "data/colour_glyphs.py", "data/shapes.py", "data/toy2d.py", "data/digits.py",
    "data/downloads.py", "data/ood.py", "data/imbalance.py", "data/splits.py", "data/corruptions.py",
    "data/core.py", "data/registry.py",
})
"""hemlab modules that build datasets on the host (module doc)."""


def _building_a_module(frame) -> bool:
    """Whether ``frame`` or a frame above it runs an ``nn.Module``'s ``__init__``."""
    while frame is not None:
        if frame.f_code.co_name == "__init__" and isinstance(frame.f_locals.get("self"), torch.nn.Module):
            return True
        frame = frame.f_back
    return False


def _caller() -> tuple[str, int, str] | None:
    """``(module path relative to hemlab, line, function)`` of the nearest frame outside torch and
    this file, when it is hemlab's own code outside a module's construction; else None."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if not (path.is_relative_to(TORCH_ROOT) or path == Path(__file__).resolve()):
            if path.is_relative_to(HEMLAB_ROOT) and not _building_a_module(frame):
                return path.relative_to(HEMLAB_ROOT).as_posix(), frame.f_lineno, frame.f_code.co_name
            return None
        if path.is_relative_to(TORCH_DATA_ROOT):
            return None
        frame = frame.f_back
    return None


class FactoryDeviceGuard(TorchFunctionMode):
    """Records hemlab's factory calls without a device (module doc) in :attr:`found`:
    ``{"module.py:line in function: torch.name": count}``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, int] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in FACTORIES and kwargs.get("device") is None and not self._keeps_device(func, args):
            where = _caller()
            if where is not None and where[0] not in HOST_MODULES:
                key = f"{where[0]}:{where[1]} in {where[2]}: torch.{func.__name__}"
                self.found[key] = self.found.get(key, 0) + 1
        return func(*args, **kwargs)

    @staticmethod
    def _keeps_device(func, args) -> bool:
        return func is torch.as_tensor and bool(args) and isinstance(args[0], torch.Tensor)

    def report(self) -> str:
        return "\n".join(f"  {key} ({count}x)" for key, count in sorted(self.found.items()))
