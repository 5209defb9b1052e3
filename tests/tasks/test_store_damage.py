"""The store and the CLI under damage and interruption: nothing lost, always resumable.

The store is under test here, not training: the runner is replaced by a fast deterministic
fake (rows, quick-preset-sized artifacts and a history, all a function of the spec), and
sweeps that must be killed or interrupted run in forked children of this process, which
need no second import of torch. The sweep is the quick preset's cheapest task.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import importlib
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemlab import io as hemlab_io
from hemlab.cli import main
from hemlab.experiments import DamagedRunWarning, ResultStore, RunNotStored, execute, plan
from hemlab.tasks import RunResult

jobs_module = importlib.import_module("hemlab.experiments.jobs")
executors_module = importlib.import_module("hemlab.experiments.executors")
store_module = importlib.import_module("hemlab.experiments.store")
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork, process groups and flock: Linux")

TASK, LOSSES, SEEDS = "continual", ("ce", "hem", "la"), 2
SPECS = plan("quick", [TASK], list(LOSSES), seeds=SEEDS, margin_sweep=False)  # what `hemlab run` plans
CLI_RUN = ["run", TASK, "--losses", *LOSSES, "--seeds", str(SEEDS), "--quiet"]
FAKE_DELAY = {"seconds": 0.0}


def fake_run(spec, device="cpu", *, checkpoint_dir=None, settings=None) -> RunResult:
    """Rows, artifacts (512 float16 logits of 10 classes, targets) and a 12-epoch history
    drawn from a generator seeded by the run id; ``FAKE_DELAY`` seconds of 'training'. The
    artifacts also name the process, so two sweeps write different artifact files."""
    time.sleep(FAKE_DELAY["seconds"])
    rng = np.random.default_rng(int(spec.run_id[-8:], 16))
    rows = [{"condition": f"step={step};task={task}", "metric": "accuracy", "value": float(rng.uniform())}
            for step in range(2) for task in range(step + 1)]
    rows += [{"condition": "final", "metric": "average_accuracy", "value": float(rng.uniform())},
             {"condition": "final", "metric": "forgetting", "value": math.nan},
             {"condition": "training", "metric": "train_seconds", "value": 1.5}]
    artifacts = {"logits": rng.normal(size=(512, 10)).astype(np.float16),
                 "targets": rng.integers(0, 10, size=512),
                 "accuracy_matrix": rng.uniform(size=(2, 2)), "writer": np.array(os.getpid())}
    history = [{"epoch": epoch, "train_loss": float(rng.exponential()), "eval_accuracy": float(rng.uniform())}
               for epoch in range(1, 13)]
    return RunResult(rows, artifacts, history, seconds=1.5)


@pytest.fixture
def fake_runs(monkeypatch):
    calls = []

    def counted(spec, *args, **kwargs):
        calls.append(spec)
        return fake_run(spec, *args, **kwargs)

    monkeypatch.setattr(jobs_module, "run", counted)
    monkeypatch.setitem(FAKE_DELAY, "seconds", 0.0)
    return calls


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A whole, undamaged store of ``SPECS`` and its table."""
    store = ResultStore(tmp_path_factory.mktemp("reference"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs_module, "run", fake_run)
        execute(SPECS, store, executor="local", progress=False)
    return store, store.table("quick")


def _leftovers(root: Path) -> list[Path]:
    return sorted(path for pattern in ("*.tmp", "*.damaged") for path in root.rglob(pattern))


# ----------------------------------------------------------------------------- damage


def _damage(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    if rng.random() < 0.5:
        cut = rng.randrange(len(data))
        path.write_bytes(bytes(data[:cut]))
        return f"truncated to {cut} of {len(data)} bytes"
    position, bit = rng.randrange(len(data)), rng.randrange(8)
    data[position] ^= 1 << bit
    path.write_bytes(bytes(data))
    return f"bit {bit} of byte {position} flipped"


def _same_content(original: bytes, damaged: bytes) -> bool:
    """A flip that leaves the JSON meaning alone (``1e-05`` -> ``1E-05``) is no damage."""
    try:
        return json.loads(damaged) == json.loads(original)
    except ValueError:
        return False


@pytest.mark.parametrize("case", range(40))
def test_damaged_records_and_artifacts_are_reported_set_aside_and_run_again(case, reference, tmp_path, capsys,
                                                                          fake_runs):
    store, expected = reference
    rng = random.Random(case)
    root = tmp_path / "results"
    shutil.copytree(store.root, root)
    files = sorted((root / "quick" / TASK).glob("*.json")) + sorted((root / "quick" / TASK).glob("*.npz"))
    must_warn, damaged = set(), set()
    for path in rng.sample(files, rng.randint(1, 3)):
        original = path.read_bytes()
        how = _damage(path, rng)
        damaged.add(path)
        if path.suffix == ".npz" or not _same_content(original, path.read_bytes()):
            must_warn.add(path.stem)
    assert main([*CLI_RUN, "--executor", "local", "--out", str(root)]) == 0, how
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert all(line.startswith("hemlab: warning: damaged run file ") for line in lines), err
    warned = {Path(line.split()[5]) for line in lines}
    assert warned <= damaged and {path.stem for path in warned} == must_warn, (how, err)
    for path in warned:
        assert path.with_name(path.name + ".damaged").is_file()
    pd.testing.assert_frame_equal(ResultStore(root).table("quick"), expected)
    assert all(ResultStore(root).has(spec) for spec in SPECS)


def test_a_record_lacking_a_field_or_its_artifacts_counts_as_not_stored(reference, tmp_path, fake_runs):
    store, expected = reference
    root = tmp_path / "results"
    shutil.copytree(store.root, root)
    copy = ResultStore(root)
    first, second = copy.path(SPECS[0]), copy.path(SPECS[1])
    record = json.loads(first.read_text())
    del record["rows"]
    first.write_text(json.dumps(record))
    second.with_suffix(".npz").unlink()
    with pytest.warns(DamagedRunWarning) as caught:
        assert not copy.has(SPECS[0]) and not copy.has(SPECS[1])
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 2 and f"{first} lacks rows" in messages[0]
    assert f"{second.with_suffix('.npz')} is missing" in messages[1]
    report = execute(SPECS, copy, executor="local", progress=False)
    assert report.ran == SPECS[:2]
    pd.testing.assert_frame_equal(copy.table("quick"), expected)


def test_records_written_before_the_checksums_are_still_read(reference, tmp_path):
    store, expected = reference
    root = tmp_path / "results"
    shutil.copytree(store.root, root)
    copy = ResultStore(root)
    for spec in SPECS:
        record = json.loads(copy.path(spec).read_text())
        del record["record_sha256"], record["artifacts_sha256"]
        copy.path(spec).write_text(json.dumps(record))
    assert all(copy.has(spec) for spec in SPECS)
    pd.testing.assert_frame_equal(copy.table("quick"), expected)
    npz = copy.path(SPECS[0]).with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:-100])
    with pytest.warns(DamagedRunWarning, match="does not load"):
        assert not copy.has(SPECS[0])


def test_reading_a_table_without_running_skips_damaged_runs(reference, tmp_path):
    store, expected = reference
    root = tmp_path / "results"
    shutil.copytree(store.root, root)
    copy = ResultStore(root)
    broken, flipped = SPECS[0], SPECS[1]
    copy.path(broken).write_text(copy.path(broken).read_text()[:200])
    npz = copy.path(flipped).with_suffix(".npz")
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0x10
    npz.write_bytes(bytes(data))
    with pytest.warns(DamagedRunWarning, match=f"{copy.path(broken)} does not parse"):
        table = copy.table("quick")
    pd.testing.assert_frame_equal(table, expected[expected["run_id"] != broken.run_id].reset_index(drop=True))
    assert [record["run_id"] for record in copy.records("quick")] == sorted(spec.run_id for spec in SPECS[1:])
    with pytest.warns(DamagedRunWarning, match="does not match the checksum"):
        with pytest.raises(RunNotStored):
            copy.artifacts("quick", TASK, flipped.run_id)
    with pytest.raises(RunNotStored):
        copy.history("quick", TASK, broken.run_id)
    assert sorted(path.name for path in _leftovers(root)) == sorted(
        f"{spec.run_id}{suffix}.damaged" for spec in (broken, flipped) for suffix in (".json", ".npz"))
    assert copy.history("quick", TASK, SPECS[2].run_id).shape == (12, 3)


# ----------------------------------------------------------------------------- unwritable folders


def test_a_results_folder_through_a_regular_file_is_one_line_and_status_1(tmp_path, capsys, fake_runs):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    code = main([*CLI_RUN, "--executor", "local", "--out", str(blocker / "results")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and not fake_runs
    assert err == [f"hemlab: error: cannot write the results folder {blocker / 'results' / 'quick'}: Not a directory"]


def test_a_full_disk_stops_the_sweep_in_one_line_and_keeps_the_stored_runs(reference, tmp_path, capsys, fake_runs,
                                                                       monkeypatch):
    _, expected = reference
    fsync = os.fsync
    calls = []

    def fills_up(descriptor):
        calls.append(descriptor)
        if len(calls) > 4:  # two runs: artifacts and record each
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return fsync(descriptor)

    monkeypatch.setattr(hemlab_io.os, "fsync", fills_up)
    root = tmp_path / "results"
    code = main([*CLI_RUN, "--executor", "local", "--out", str(root)])
    monkeypatch.setattr(hemlab_io.os, "fsync", fsync)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == [f"hemlab: error: cannot write the results folder {root / 'quick'}: No space left on device"]
    store = ResultStore(root)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stored = [spec for spec in SPECS if store.has(spec)]
        table = store.table("quick")
    assert stored == SPECS[:2] and not _leftovers(root)
    pd.testing.assert_frame_equal(table, expected[expected["run_id"].isin({spec.run_id for spec in stored})]
                                  .reset_index(drop=True))


# ----------------------------------------------------------------------------- kills and interrupts


def _forked(target, root: Path, name: str, *, ignore_sigterm: bool = False) -> multiprocessing.Process:
    """Start ``target()`` in a forked child that leads its own process group, with SIGINT
    handled as Python does by default (a background job inherits it ignored) and its
    stdout and stderr in ``root/<name>.out`` and ``.err``; its return value is the exit status."""
    def child():
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if ignore_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.stdout = open(root / f"{name}.out", "w", buffering=1)
        sys.stderr = open(root / f"{name}.err", "w", buffering=1)
        os.dup2(sys.stdout.fileno(), 1)
        os.dup2(sys.stderr.fileno(), 2)
        warnings.resetwarnings()
        sys.exit(target())

    process = multiprocessing.get_context("fork").Process(target=child, name=name)
    process.start()
    return process


def _quiet_sweep(root: Path, seconds: float, *, check_for: float = 0.0, specs=SPECS):
    """A sweep of ``specs`` into ``root`` with ``seconds`` per run, then ``check_for``
    seconds of checking every run (as ``Sweep.runs`` does); exits with the number of warnings
    (printed) plus the number of checks that found a run missing."""
    def sweep() -> int:
        FAKE_DELAY["seconds"] = seconds
        store = ResultStore(root)
        missing = 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            execute(specs, store, executor="local", progress=False)
            deadline = time.monotonic() + check_for
            while time.monotonic() < deadline:
                missing += sum(not store.has(spec) for spec in specs)
        for warning in caught:
            print(warning.message, file=sys.stderr)
        return len(caught) + missing
    return sweep


def test_a_sweep_killed_at_random_moments_resumes_to_the_same_table(tmp_path, fake_runs):
    specs = plan("quick", [TASK], list(LOSSES), seeds=4, margin_sweep=False)
    uninterrupted = ResultStore(tmp_path / "uninterrupted")
    execute(specs, uninterrupted, executor="local", progress=False)
    root = tmp_path / "results"
    rng = random.Random(18)
    for kill in range(8):  # each stores a run or two, and is killed before, while or after storing one
        sweep = _forked(_quiet_sweep(root, 0.05, specs=specs), tmp_path, f"kill{kill}")
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(sweep.pid, signal.SIGKILL)
        sweep.join()
        assert len(list(root.rglob("*.tmp"))) <= 1
    done = [spec for spec in specs if ResultStore(root).has(spec)]
    assert len(done) < len(specs), "the kills came after the end"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = execute(specs, ResultStore(root), executor="local", progress=False)
        table = ResultStore(root).table("quick")
    assert report.skipped == done and len(report.ran) == len(specs) - len(done)
    pd.testing.assert_frame_equal(table, uninterrupted.table("quick"))
    assert not _leftovers(root)


def test_stale_temporaries_go_and_those_of_live_writers_stay(tmp_path):
    folder = tmp_path / "quick" / TASK
    folder.mkdir(parents=True)
    dead = multiprocessing.get_context("fork").Process(target=lambda: None)
    dead.start()
    dead.join()
    mine = hemlab_io.temporary_path(folder / "a.json")
    stale = Path(str(mine).replace(f".{os.getpid()}.", f".{dead.pid}."))
    elsewhere = Path(str(stale).replace(f".{hemlab_io._HOST}.", ".otherhost."))
    for path in (mine, stale, elsewhere):
        path.touch()
    assert ResultStore(tmp_path).remove_stale_temporaries("quick") == [stale]
    assert sorted(folder.iterdir()) == sorted([mine, elsewhere])


def test_concurrent_sweeps_into_one_folder_give_the_right_table(reference, tmp_path, fake_runs, monkeypatch):
    _, expected = reference
    root = tmp_path / "results"
    atomic_path = store_module.atomic_path

    @contextlib.contextmanager
    def slow_record(path):  # widens the moment between a run's two files
        with atomic_path(path) as temporary:
            yield temporary
            time.sleep(0.02 if path.suffix == ".json" else 0.0)

    monkeypatch.setattr(store_module, "atomic_path", slow_record)
    sweeps = []
    for index in range(4):
        sweeps.append(_forked(_quiet_sweep(root, 0.01, check_for=0.5), tmp_path, f"sweep{index}"))
        time.sleep(0.1)
    for sweep in sweeps:
        sweep.join(60)
    assert [sweep.exitcode for sweep in sweeps] == [0] * 4, [(tmp_path / f"sweep{index}.err").read_text()
                                                              for index in range(4)]
    pd.testing.assert_frame_equal(ResultStore(root).table("quick"), expected)
    assert all(ResultStore(root).has(spec) for spec in SPECS) and not _leftovers(root)


def _wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _group_gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


@contextlib.contextmanager
def _cli_with_runs_in_flight(tmp_path: Path, *, ignore_sigterm: bool = False):
    """A CLI sweep of ``SPECS`` with a pool of two workers into a store holding two of them,
    in its own process group; yields ``(root, process)`` once both workers' runs have started
    (``stalled_runs``), and kills the group on the way out."""
    root = tmp_path / "results"
    execute(SPECS[:2], ResultStore(root), executor="local", progress=False)
    cli = _forked(lambda: main([*CLI_RUN, "--executor", "processes", "--workers", "2", "--out", str(root)]),
                  tmp_path, "cli", ignore_sigterm=ignore_sigterm)
    try:
        _wait_for(lambda: len(list((root / "quick" / TASK / "checkpoints").glob("*.started"))) == 2, 120)
        yield root, cli
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(cli.pid, signal.SIGKILL)


@pytest.fixture
def stalled_runs(monkeypatch):
    """The ``processes`` executor with runs that stall for a minute (``fake_runs.stall``)."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # spawned workers import fake_runs from here
    fakes = importlib.import_module("fake_runs")
    monkeypatch.setitem(executors_module.EXECUTORS, "processes",
                        functools.partial(executors_module.process_executor, run_function=fakes.stall))


def test_ctrl_c_stops_the_workers_in_flight_and_says_how_to_resume(tmp_path, stalled_runs):
    with _cli_with_runs_in_flight(tmp_path) as (root, cli):
        os.killpg(cli.pid, signal.SIGINT)  # as the terminal does: the whole foreground group
        cli.join(30)
        _wait_for(lambda: _group_gone(cli.pid), 10)  # the workers would sleep a minute more
        err = (tmp_path / "cli.err").read_text()  # all of it: the group's last writer is gone
        assert cli.exitcode == 130, err
        assert err.splitlines() == [f"interrupted: 2 runs stored in {root / 'quick'}; "
                                    "run the same command again to resume"]
        assert not list(root.rglob("*.tmp"))


def test_a_second_ctrl_c_exits_at_once(tmp_path, stalled_runs):
    """Both runs in flight (stalled for a minute) and deaf to SIGTERM, so that the first Ctrl-C
    leaves the driver waiting out the workers' grace when the second one comes."""
    with _cli_with_runs_in_flight(tmp_path, ignore_sigterm=True) as (_, cli):  # the workers inherit it
        os.killpg(cli.pid, signal.SIGINT)
        time.sleep(0.5)
        started = time.monotonic()
        os.killpg(cli.pid, signal.SIGINT)
        cli.join(30)
        assert cli.exitcode == 130 and time.monotonic() - started < executors_module.STOP_GRACE_SECONDS
        _wait_for(lambda: _group_gone(cli.pid), 10)  # multiprocessing's resource tracker too, which writes last
        assert (tmp_path / "cli.err").read_text().splitlines() == [
            "interrupted again: stopped at once; run the same command again to resume"]


def test_ctrl_c_while_hemlab_starts_is_one_line_too(tmp_path):
    """The command line handles Ctrl-C before it imports torch and the task layer."""
    command = [sys.executable, "-m", "hemlab", *CLI_RUN, "--out", str(tmp_path / "results")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted"), err
    # A shell reads both as status 130: Python itself ends by SIGINT when the interrupt came
    # through code that an import ran with PyRun_* (its unhandled-interrupt flag stays set).
    assert process.returncode in (130, -signal.SIGINT)


def test_the_workers_exit_when_the_driver_is_killed(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # spawned workers import fake_runs from here
    fakes = importlib.import_module("fake_runs")
    store = ResultStore(tmp_path / "results")
    driver = _forked(lambda: execute(SPECS[:1], store, executor="processes", workers=1, progress=False,
                                     run_function=fakes.stall), tmp_path, "driver")
    try:
        _wait_for(lambda: any(store.checkpoint_dir(SPECS[0]).glob("*.started")), 120)
        os.kill(driver.pid, signal.SIGKILL)
        driver.join()
        _wait_for(lambda: _group_gone(driver.pid), 15)  # the worker would sleep a minute more
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
