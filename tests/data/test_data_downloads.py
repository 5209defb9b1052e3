"""Paper-mode datasets offline: a clear error within seconds, never a hang; no network for
files already on disk. The network probe is monkeypatched, so these tests are the same
with or without internet access."""
from __future__ import annotations

import threading
import time
import urllib.error

import numpy as np
import pytest
import torch
from PIL import Image

from hemlab.data import DatasetUnavailableError, downloads, load_dataset, load_torchvision_dataset
from hemlab.sentinels import IGNORE_INDEX, VOC_BOUNDARY

EMBEDDED_NAMES = ("digits", "shapes", "blobs", "moons", "spirals")


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(downloads.request, "urlopen", refuse)


@pytest.mark.parametrize("name", list(downloads.DOWNLOAD_URLS))
def test_offline_failure_is_fast_and_names_the_embedded_sets(name, offline, tmp_path):
    started = time.perf_counter()
    with pytest.raises(DatasetUnavailableError) as raised:
        load_torchvision_dataset(name, root=tmp_path)
    assert time.perf_counter() - started < 3.0
    message = str(raised.value)
    assert name in message and str(tmp_path) in message
    for embedded in EMBEDDED_NAMES:
        assert repr(embedded) in message
    assert not any(tmp_path.rglob("*.tar*")) and not any(tmp_path.rglob("*.gz"))


def test_offline_failure_through_load_dataset(offline, tmp_path):
    with pytest.raises(DatasetUnavailableError, match="'digits'"):
        load_dataset("cifar10", root=tmp_path)


def _probe_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "hemlab-download-probe"]


def test_a_hanging_network_is_cut_off_at_the_timeout_and_leaves_no_thread(monkeypatch, tmp_path):
    release = threading.Event()
    failures = []

    def hang(*args, **kwargs):
        release.wait(30)
        return None  # what a mocked or broken opener may give back once it returns

    monkeypatch.setattr(downloads.request, "urlopen", hang)
    monkeypatch.setattr(threading, "excepthook", failures.append)
    started = time.perf_counter()
    with pytest.raises(DatasetUnavailableError, match="no answer within 0.3 s"):
        load_torchvision_dataset("mnist", root=tmp_path, timeout=0.3)
    assert time.perf_counter() - started < 2.0
    probes = _probe_threads()
    assert probes and all(thread.daemon for thread in probes)
    release.set()
    for thread in probes:
        thread.join(5)
    assert not _probe_threads()
    assert failures == []


@pytest.mark.parametrize("late_result", [None, RuntimeError("odd failure"), TypeError("not a response")])
def test_the_probe_never_raises_in_its_thread(monkeypatch, late_result):
    failures = []

    def opener(*args, **kwargs):
        if isinstance(late_result, Exception):
            raise late_result
        return late_result

    monkeypatch.setattr(downloads.request, "urlopen", opener)
    monkeypatch.setattr(threading, "excepthook", failures.append)
    reachable, reason = downloads.host_reachable("https://example.invalid/", timeout=2.0)
    assert reachable == (late_result is None)
    assert reason == ("" if late_result is None else f"{type(late_result).__name__}: {late_result}")
    assert not _probe_threads() and failures == []


def test_voc_masks_map_the_boundary_label_to_ignore_index(monkeypatch, tmp_path):
    mask = np.array([[0, 255, 3], [15, 255, 0], [1, 1, 1]], dtype=np.uint8)

    class FakeVOC:
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return Image.new("RGB", (3, 3), (10, 20, 30)), Image.fromarray(mask)

    monkeypatch.setitem(downloads._OPENERS, "voc", lambda root, train, download: FakeVOC())
    train, test = load_torchvision_dataset("voc", root=tmp_path, image_size=3)
    labels = train.tensors[1]
    assert labels.shape == (2, 3, 3)
    expected = torch.from_numpy(mask.astype(np.int64))
    expected[expected == VOC_BOUNDARY] = IGNORE_INDEX
    assert torch.equal(labels[0], expected) and VOC_BOUNDARY not in labels.unique().tolist()


def test_a_failing_download_is_reported_not_raised_raw(monkeypatch, tmp_path):
    class Answered:
        def close(self):
            pass

    def opener(root, train, download):
        if download:
            raise OSError("connection reset by peer")
        raise RuntimeError("Dataset not found")

    monkeypatch.setattr(downloads.request, "urlopen", lambda *args, **kwargs: Answered())
    monkeypatch.setitem(downloads._OPENERS, "svhn", opener)
    with pytest.raises(DatasetUnavailableError, match="connection reset by peer"):
        load_torchvision_dataset("svhn", root=tmp_path)


def test_files_on_disk_need_no_network(monkeypatch, tmp_path):
    class OnDisk:
        data = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
        targets = [1, 7]

    def no_network(*args, **kwargs):
        raise AssertionError("the network was probed although the files are on disk")

    monkeypatch.setattr(downloads.request, "urlopen", no_network)
    monkeypatch.setitem(downloads._OPENERS, "cifar10", lambda root, train, download: OnDisk())
    train, test = load_torchvision_dataset("cifar10", root=tmp_path)
    images, labels = train.tensors
    assert images.shape == (2, 3, 4, 4) and images.dtype == torch.float32
    assert images[0, 2, 0, 1] == pytest.approx(5 / 255)
    assert labels.tolist() == [1, 7]


def test_unknown_torchvision_name():
    with pytest.raises(ValueError, match="cifar10"):
        load_torchvision_dataset("tinyimagenet")
