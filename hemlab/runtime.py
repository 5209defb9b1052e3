"""Where hemlab runs: quick or paper mode, the data folder, and the compute device.

Quick mode (embedded data, small models, a few epochs, CPU-friendly) is on when
``HEMLAB_QUICK=1`` or ``CI`` is set; paper mode follows the literature settings.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

_TRUTHY = {"1", "true", "yes", "on"}


def is_quick_mode() -> bool:
    """True when ``HEMLAB_QUICK`` is truthy, or when ``CI`` is set and ``HEMLAB_QUICK`` is unset."""
    flag = os.environ.get("HEMLAB_QUICK")
    if flag is not None:
        return flag.strip().lower() in _TRUTHY
    return bool(os.environ.get("CI"))


def data_root() -> Path:
    """Folder for downloaded datasets: ``$HEMLAB_DATA`` or ``~/.cache/hemlab``."""
    return Path(os.environ.get("HEMLAB_DATA", Path.home() / ".cache" / "hemlab")).expanduser()


def results_root() -> Path:
    """Folder for result tables, figures and checkpoints: ``$HEMLAB_RESULTS`` or ``./results``."""
    return Path(os.environ.get("HEMLAB_RESULTS", "results")).expanduser()


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``"auto"`` into CUDA, then Apple MPS, then CPU; pass anything else through.

    Raises ``ValueError`` when a named accelerator is not available.
    """
    if isinstance(device, torch.device):
        resolved = device
    elif device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    else:
        try:
            resolved = torch.device(device)
        except (RuntimeError, TypeError) as error:
            raise ValueError(f"device: expected 'auto', 'cpu', 'cuda[:i]' or 'mps', got {device!r}") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: 'cuda' was asked for but no CUDA GPU is available; use device='auto' or 'cpu'")
    if resolved.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device: 'mps' was asked for but Apple MPS is not available; use device='auto' or 'cpu'")
    return resolved
