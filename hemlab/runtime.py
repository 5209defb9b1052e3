"""Where hemlab runs: the data folder, the compute device and CPU threads.

What a run computes is chosen by one switch, its preset (``quick``: embedded data, small
models, CPU minutes; ``colab``; ``paper``: the literature settings), in the command line and
in every notebook's ``preset`` parameter. ``HEMLAB_QUICK=1`` (or ``CI`` set) changes no
setting: it says the machine runs small models many at a time, so :func:`configure_threads`
gives each process one torch thread; the test suite sets it.
"""
from __future__ import annotations

import functools
import math
import os
import platform
from pathlib import Path

import torch

from hemlab.checks import POSITIVE_INTEGER, check

_TRUTHY = {"1", "true", "yes", "on"}


def is_quick_mode() -> bool:
    """True when ``HEMLAB_QUICK`` is truthy, or when ``CI`` is set and ``HEMLAB_QUICK`` is unset
    (one torch thread per process: :func:`configure_threads`)."""
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


MAX_AUTO_THREADS = 8
FEW_CORES = 4
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def available_cores() -> int:
    """CPU cores this process may use: its CPU affinity (or ``os.cpu_count()``), capped by a
    cgroup v2 CPU quota (``/sys/fs/cgroup/cpu.max``, as containers set) when there is one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = CGROUP_CPU_MAX.read_text().split()[:2]
    except (OSError, ValueError):
        return cores
    if quota == "max":
        return cores
    return max(1, min(cores, math.ceil(int(quota) / int(period))))


def configure_threads(threads: int | None = None) -> int:
    """Set torch's CPU thread count (``torch.set_num_threads``) and return it.

    ``threads=None`` chooses: 1 in quick mode or when at most ``FEW_CORES`` (4) cores are
    available, else ``min(cores, MAX_AUTO_THREADS)`` (8). Why: quick-mode models and batches
    are so small that extra threads mostly wait on each other, and on a small machine that
    runs anything else torch's default (one thread per core) is far slower. Measured on a
    busy 2-core machine: the quick demo took 113 s with two threads against 19 s with one;
    5 epochs of the digits MLP 4.4-5.8 s against 0.8-0.9 s; 4 steps of the CIFAR CNN
    5.6-10.2 s against 5.1-6.2 s. Above 8 threads the small hemlab models gain little.
    """
    if threads is None:
        cores = available_cores()
        threads = 1 if is_quick_mode() or cores <= FEW_CORES else min(cores, MAX_AUTO_THREADS)
    threads = check("threads", threads, POSITIVE_INTEGER, None)
    torch.set_num_threads(threads)
    return threads


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``; else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_identity(device: str | torch.device = "cpu") -> dict[str, str | int]:
    """What produced a run, for its record: torch and Python versions, the CPU model and the
    instruction set torch's CPU kernels use (``torch.backends.cpu.get_cpu_capability``: AVX2,
    AVX512, ...), torch's CPU threads, and the device (with its name for CUDA). The same
    seeds on two machines that differ here can give numbers that differ in the third decimal."""
    device = torch.device(device)
    name = str(device)
    if device.type == "cuda" and torch.cuda.is_available():
        name = f"{device} ({torch.cuda.get_device_name(device)})"
    return {"torch": torch.__version__, "python": platform.python_version(), "cpu": cpu_model(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
            "device": name, "platform": platform.platform(terse=True)}
