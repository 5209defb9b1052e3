"""Quick mode, folders, device choice and atomic writes."""
from __future__ import annotations

import os
import stat

import pandas as pd
import pytest
import torch

from hemlab import io, runtime


@pytest.mark.parametrize("quick,ci,expected", [("1", None, True), ("0", "true", False), (None, "true", True),
                                                (None, None, False), ("yes", None, True)])
def test_quick_mode(monkeypatch, quick, ci, expected):
    for name, value in (("HEMLAB_QUICK", quick), ("CI", ci)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert runtime.is_quick_mode() is expected


def test_folders_follow_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HEMLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HEMLAB_RESULTS", str(tmp_path / "out"))
    assert runtime.data_root() == tmp_path / "data"
    assert runtime.results_root() == tmp_path / "out"
    monkeypatch.delenv("HEMLAB_DATA")
    assert runtime.data_root().parts[-2:] == (".cache", "hemlab")


def test_resolve_device():
    expected = "cuda" if torch.cuda.is_available() else None
    auto = runtime.resolve_device("auto")
    if expected:
        assert auto.type == expected
    assert runtime.resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="device: expected 'auto'"):
        runtime.resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU is available"):
            runtime.resolve_device("cuda")


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_save_table_and_json_round_trip(tmp_path):
    table = pd.DataFrame({"loss": ["ce", "hem"], "accuracy": [0.9, 0.95]})
    pd.testing.assert_frame_equal(pd.read_csv(io.save_table(table, tmp_path / "a" / "t.csv")), table)
    pd.testing.assert_frame_equal(pd.read_json(io.save_table(table, tmp_path / "t.json")), table)
    with pytest.raises(ValueError, match="expected a .csv or .json"):
        io.save_table(table, tmp_path / "t.txt")
    io.save_json({"x": 1}, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text().strip().startswith("{")
    io.save_torch({"w": torch.ones(2)}, tmp_path / "w.pt")
    assert torch.equal(torch.load(tmp_path / "w.pt")["w"], torch.ones(2))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_get_the_usual_permissions(tmp_path, umask):
    previous = os.umask(umask)
    try:
        written = [
            io.save_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv"),
            io.save_json({"x": 1}, tmp_path / "x.json"),
            io.save_torch({"w": torch.ones(1)}, tmp_path / "w.pt"),
        ]
        with io.atomic_path(tmp_path / "figure.png") as temporary:
            temporary.write_bytes(b"png")
        written.append(tmp_path / "figure.png")
    finally:
        os.umask(previous)
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figure.png", "t.csv", "w.pt", "x.json"]


@pytest.mark.parametrize("quick, cores, expected", [
    ("1", 16, 1), ("0", 2, 1), ("0", 4, 1), ("0", 6, 6), ("0", 64, 8),
])
def test_configure_threads_picks_a_count(monkeypatch, quick, cores, expected):
    monkeypatch.setenv("HEMLAB_QUICK", quick)
    monkeypatch.setattr(runtime, "available_cores", lambda: cores)
    assert runtime.configure_threads() == expected
    assert torch.get_num_threads() == expected


def test_configure_threads_takes_a_count_and_checks_it():
    assert runtime.configure_threads(3) == 3 and torch.get_num_threads() == 3
    for bad in (0, -2, 1.5, True, "4"):
        with pytest.raises(ValueError, match="threads: expected a positive integer or None"):
            runtime.configure_threads(bad)


def test_available_cores_is_at_least_one():
    assert 1 <= runtime.available_cores() <= (os.cpu_count() or 1)


@pytest.mark.parametrize("cpu_max, expected", [("150000 100000\n", 2), ("max 100000\n", None), ("50000 100000", 1)])
def test_available_cores_follows_a_cgroup_quota(monkeypatch, tmp_path, cpu_max, expected):
    monkeypatch.setattr(runtime, "CGROUP_CPU_MAX", tmp_path / "missing")
    unlimited = runtime.available_cores()
    (tmp_path / "cpu.max").write_text(cpu_max)
    monkeypatch.setattr(runtime, "CGROUP_CPU_MAX", tmp_path / "cpu.max")
    assert runtime.available_cores() == (unlimited if expected is None else min(expected, unlimited))
