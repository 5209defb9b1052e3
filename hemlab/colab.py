"""Finish installing hemlab on Google Colab, keeping Colab's own torch.

The notebooks' first cell installs hemlab itself without its dependencies, then runs
``python -m hemlab.colab``, which installs only the requirements Colab lacks (torchmetrics,
as of 2026) with torch and torchvision held at the versions already there, so pip can never
swap Colab's CUDA build of torch for another one. Then it says in one line what the kernel
has: hemlab's version, the torch that was kept, and the GPU, if the runtime has one, with
the preset to choose for it. Nothing here imports hemlab's heavy modules: it runs before
their dependencies are installed.
"""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from typing import Callable, Sequence

HELD = ("torch", "torchvision")
"""The packages Colab ships built for its GPUs: never reinstalled, only constrained to."""
GPU_PRESET = "colab"
"""The preset sized for one Colab GPU (``tasks.PRESETS``), suggested when a GPU is there."""


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def requirement_name(requirement: str) -> str:
    """The distribution name of a requirement string: ``"torch>=2.0"`` -> ``"torch"``."""
    return re.split(r"[<>=!~;\[ (@]", requirement.strip(), maxsplit=1)[0]


def missing_requirements(distribution: str = "hemlab") -> list[str]:
    """``distribution``'s own requirements (no extras) that are not installed, sorted."""
    required = [r for r in metadata.requires(distribution) or [] if "extra ==" not in r]
    return sorted(r for r in required if installed_version(requirement_name(r)) is None)


def held_constraints() -> list[str]:
    """``name==version`` for each package of ``HELD`` that is installed."""
    return [f"{name}=={version}" for name in HELD if (version := installed_version(name))]


def install_missing(run: Callable[[Sequence[str]], object] = subprocess.check_call) -> list[str]:
    """pip-install the missing requirements of hemlab with ``HELD`` pinned where they are.

    ``run`` receives the pip command (default: run it, raising on failure). Returns the
    requirements that were missing (none: pip is not run).
    """
    missing = missing_requirements()
    if missing:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="hemlab-held-", delete=False) as constraints:
            constraints.write("\n".join(held_constraints()) + "\n")
        run([sys.executable, "-m", "pip", "install", "--quiet", "-c", constraints.name, *missing])
        importlib.invalidate_caches()
    return missing


def gpu_name() -> str | None:
    """The name of CUDA device 0, or None without a GPU (or without torch)."""
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def summary_line(gpu: str | None = None) -> str:
    """One line: hemlab's version, the torch kept, and the GPU with the preset to choose for it."""
    torch_version = installed_version("torch") or "none"
    line = f"hemlab {installed_version('hemlab')} ready, Colab's torch {torch_version} kept"
    if gpu:
        return f'{line}; GPU {gpu}: set preset = "{GPU_PRESET}" in the parameters cell to use it'
    return f'{line}; no GPU (Runtime > Change runtime type for one): preset = "quick" runs on the CPU'


def main() -> int:
    """``python -m hemlab.colab``: install what is missing, then print the summary line."""
    install_missing()
    print(summary_line(gpu_name()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
