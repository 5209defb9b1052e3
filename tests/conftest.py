"""Shared test settings.

``HEMLAB_TEST_DEVICE`` picks the device the numeric tests run on (default ``cpu``;
set ``cuda`` on a GPU machine) and ``HEMLAB_TEST_DTYPE`` the dtype of the loss reference
tests (default ``float64``). Tests marked ``cuda`` check what only a GPU can show (autocast,
synchronisation); they run with ``HEMLAB_TEST_DEVICE=cuda`` and are skipped otherwise.
Tests are seeded and run in quick mode on one CPU thread.
The documentation site's tests read the site ``make docs`` built: ``$HEMLAB_SITE`` (``make
test`` sets it, and then a missing site fails them) or ``site/`` (skipped when not built).
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

os.environ.setdefault("HEMLAB_QUICK", "1")
PROJECT = Path(__file__).resolve().parents[1]


def _test_device() -> torch.device:
    name = os.environ.get("HEMLAB_TEST_DEVICE", "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        pytest.exit(f"HEMLAB_TEST_DEVICE={name} but no CUDA GPU is available", returncode=2)
    return device


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU; runs only with HEMLAB_TEST_DEVICE=cuda")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``cuda``-marked tests unless ``HEMLAB_TEST_DEVICE`` names a CUDA device."""
    if torch.device(os.environ.get("HEMLAB_TEST_DEVICE", "cpu")).type == "cuda":
        return
    skip = pytest.mark.skip(reason="needs HEMLAB_TEST_DEVICE=cuda")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def device() -> torch.device:
    """The device named by ``HEMLAB_TEST_DEVICE`` (default CPU)."""
    return _test_device()


@pytest.fixture(scope="session")
def dtype() -> torch.dtype:
    """The logits dtype named by ``HEMLAB_TEST_DTYPE``: ``float64`` (default) or ``float32``."""
    name = os.environ.get("HEMLAB_TEST_DTYPE", "float64")
    if name not in ("float64", "float32"):
        pytest.exit(f"HEMLAB_TEST_DTYPE must be float64 or float32, got {name!r}", returncode=2)
    return getattr(torch, name)


@pytest.fixture(autouse=True)
def _seeded_single_thread():
    """Seed torch, run on one CPU thread (the test models and tensors are tiny, and two
    OpenMP threads on a 2-core machine wait on each other and run many times slower), and
    start from no shared draws or trained models (``hemlab.tasks.draws``): a test's runs
    reuse only what the test itself made."""
    from hemlab.tasks.draws import clear_draws

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    clear_draws()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def site_build() -> ModuleType:
    """``docs/site/build.py``, the site builder, imported as a module."""
    spec = importlib.util.spec_from_file_location("hemlab_site_build", PROJECT / "docs" / "site" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The site built by ``make docs``: ``$HEMLAB_SITE``, else ``site/`` (skip when absent)."""
    chosen = os.environ.get("HEMLAB_SITE")
    site = Path(chosen) if chosen else PROJECT / "site"
    if not (site / "index.html").exists():
        if chosen:
            pytest.fail(f"HEMLAB_SITE={chosen} holds no built site (run make docs)")
        pytest.skip("no built site in site/: run make docs")
    return site


@pytest.fixture(scope="session")
def fake_files() -> ModuleType:
    """``tests/fake_files.py``: writers of tiny datasets in torchvision's on-disk layouts."""
    spec = importlib.util.spec_from_file_location("hemlab_fake_files", PROJECT / "tests" / "fake_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fake_data_folder(tmp_path_factory, fake_files) -> Path:
    """One folder holding every fake dataset (CIFAR-10/100, SVHN, MNIST, Fashion-MNIST, VOC)."""
    return fake_files.write_all(tmp_path_factory.mktemp("hemlab_data"))


@pytest.fixture
def fake_data_root(fake_data_folder, fake_files, monkeypatch) -> Path:
    """``$HEMLAB_DATA`` pointed at the fake datasets, torchvision's MD5 check bypassed (the only
    patch), and the network refused: every read comes from the files."""
    from hemlab.data import downloads

    def refuse(*args, **kwargs):
        raise AssertionError("the fake datasets are on disk: nothing may be downloaded")

    monkeypatch.setenv("HEMLAB_DATA", str(fake_data_folder))
    monkeypatch.setattr(downloads.request, "urlopen", refuse)
    fake_files.skip_checksums(monkeypatch)
    return fake_data_folder


@pytest.fixture
def factory_guard():
    """An active ``tests/device_guard.py`` guard; the test fails if hemlab made a tensor without
    a device meanwhile (the list of hemlab lines is the message)."""
    spec = importlib.util.spec_from_file_location("hemlab_device_guard", PROJECT / "tests" / "device_guard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with module.FactoryDeviceGuard() as active:
        yield active
    assert not active.found, "tensor factories without a device in hemlab:\n" + active.report()
