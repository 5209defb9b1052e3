"""The command line: listings, a small sweep end to end, and one-line errors with exit status 2."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from hemlab import __version__
from hemlab.cli import main


def test_no_arguments_print_the_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: hemlab" in out and "paper" in out and "run" in out


def test_python_dash_m_hemlab_prints_the_help_and_the_version():
    completed = subprocess.run([sys.executable, "-m", "hemlab"], capture_output=True, text=True, check=True)
    assert "usage: hemlab" in completed.stdout
    version = subprocess.run([sys.executable, "-m", "hemlab", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip() == f"hemlab {__version__}"


def test_losses_and_tasks_listings(capsys):
    assert main(["losses"]) == 0
    out = capsys.readouterr().out
    for name in ("ce", "mm", "hem", "logitnorm", "la", "dice", "focal", "segmentation", "2501.12191"):
        assert name in out
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    for name in ("clean_corrupt", "ood", "adversarial", "imbalanced", "continual", "segmentation", "resnet18",
                 "auroc @ ood_set=near;score=maxlogit"):
        assert name in out


@pytest.mark.parametrize("argv, message", [
    (["run", "nope"], "argument task: invalid choice: 'nope'"),
    (["run", "ood", "--losses", "xent"], "loss: expected one of"),
    (["run", "ood", "--losses", "hem:gamma=2"], "hem expected options from ['margin', 'margins', 'scale']"),
    (["run", "ood", "--losses", "dice"], "dice supports none of the tasks"),
    (["run", "ood", "--dataset", "shapes"], "needs image data"),
    (["run", "ood", "--dataset", "imagenet"], "dataset: expected one of"),
    (["paper", "--preset", "huge"], "argument --preset: invalid choice: 'huge'"),
    (["paper", "--tasks", "ood", "nope"], "argument --tasks: invalid choice: 'nope'"),
    (["run", "ood", "--device", "tpu"], "device: expected"),
    (["run", "ood", "--seeds", "0"], "argument --seeds: expected a positive integer, got '0'"),
    (["run", "ood", "--workers", "-1"], "argument --workers: expected a non-negative integer"),
    (["run", "ood", "--executor", "slurm"], "argument --executor: invalid choice: 'slurm'"),
])
def test_bad_arguments_end_in_one_line_and_status_2(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) if argv[-1] in () else _exit_code() as code:
        code.value = main([*argv, "--out", str(tmp_path)] if argv[0] in ("run", "paper") else argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code.value == 2 and len(lines) == 1, captured.err
    assert lines[0].startswith("hemlab") and message in lines[0]


class _exit_code:
    """Capture ``main``'s return value or argparse's ``SystemExit`` code alike."""

    value: int | None = None

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is SystemExit:
            self.value = error.code
            return True
        return False


def test_paper_writes_tables_figures_and_verdicts(tmp_path, capsys):
    argv = ["paper", "--tasks", "ood", "--losses", "ce", "hem", "--seeds", "2", "--executor", "local",
            "--out", str(tmp_path), "--quiet", "--no-margin-sweep"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "quick"
    for name in ("results.csv", "summary.csv", "verdicts.csv", "summary.png"):
        assert (folder / name).is_file(), name
    verdicts = pd.read_csv(folder / "verdicts.csv")
    assert list(verdicts["claim"]) == ["2", "2b", "2c"]
    assert set(verdicts["verdict"]) == {"inconclusive"}
    assert list(verdicts["why"]) == ["few seeds (n=2 < 5)", "missing comparator", "missing subject"]
    assert (folder / "ranks.csv").is_file() and not (folder / "timing.csv").exists()
    results = pd.read_csv(folder / "results.csv")
    assert set(results["loss_label"]) == {"ce", "hem"} and set(results["seed"]) == {0, 1}
    assert "verdicts" in out and "4 runs done, 0 stored runs reused" in out
    assert main(argv) == 0
    assert "0 runs done, 4 stored runs reused" in capsys.readouterr().out


def test_failed_runs_are_listed_and_give_status_1(tmp_path, capsys, monkeypatch):
    import importlib

    jobs_module = importlib.import_module("hemlab.experiments.jobs")

    def broken(spec, device="cpu", *, checkpoint_dir=None):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(jobs_module, "run", broken)
    code = main(["run", "ood", "--losses", "ce", "--seeds", "1", "--executor", "local", "--out", str(tmp_path),
                 "--quiet"])
    assert code == 1
    assert "FAILED ood ce seed 0" in capsys.readouterr().err
