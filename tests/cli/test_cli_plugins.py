"""The command line with your own loss and settings: an installed plug-in package found through
its entry point, --plugin, --set, --config, compare, and bad input refused before any run."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hemlab.cli import main
from hemlab.experiments import ResultStore

REPO = Path(__file__).resolve().parents[2]
PLUGIN = '''"""A plug-in package: HEM with squared hinge errors, as ``sqhinge``."""
from hemlab.losses import register_loss

__version__ = "0.3.0"


@register_loss("sqhinge", description="HEM with squared hinge errors")
def squared_hinge_hem(logits, target, margin: float = 1.0):
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    errors = (logits - logits.gather(1, target[:, None]) + margin).clamp_min(0).scatter(1, target[:, None], 0.0)
    kept = (errors >= errors.mean(dim=1, keepdim=True).detach()) & (errors > 0)
    return (errors.pow(2) * kept).sum(dim=1) / kept.sum(dim=1).clamp_min(1)
'''
TINY = ["--set", "train.epochs=1", "--set", "corruptions=", "--set", "severities=1"]


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory) -> dict[str, str]:
    """A package ``hemlab_sqplugin`` installed in a folder of its own as pip would install it
    (the package and its ``.dist-info`` with an entry point in the group ``hemlab.losses``);
    returns the environment of a subprocess that has that folder on its path."""
    site = tmp_path_factory.mktemp("site")
    (site / "hemlab_sqplugin").mkdir()
    (site / "hemlab_sqplugin" / "__init__.py").write_text(PLUGIN)
    info = site / "hemlab_sqplugin-0.3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hemlab-sqplugin\nVersion: 0.3.0\n")
    (info / "entry_points.txt").write_text("[hemlab.losses]\nsqhinge = hemlab_sqplugin\n")
    (info / "top_level.txt").write_text("hemlab_sqplugin\n")
    (info / "RECORD").write_text("hemlab_sqplugin/__init__.py,,\n")
    path = os.pathsep.join([str(REPO), str(site), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "HEMLAB_QUICK": "1", "OMP_NUM_THREADS": "1"}


def _hemlab(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hemlab", *argv], capture_output=True, text=True, env=env,
                          timeout=600)


def test_help_and_version_import_neither_torch_nor_pandas():
    probe = ("import sys; from hemlab.cli import build_parser; build_parser(); "
             "assert not {'torch', 'pandas'} & set(sys.modules), sorted({'torch', 'pandas'} & set(sys.modules))")
    subprocess.run([sys.executable, "-c", probe], check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    started = time.perf_counter()
    version = subprocess.run([sys.executable, "-m", "hemlab", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("hemlab ")
    assert time.perf_counter() - started < 10, "hemlab --version must not import the library"


def test_an_installed_plugin_runs_on_the_processes_executor_and_compares(installed_plugin, tmp_path):
    env, out = installed_plugin, str(tmp_path)
    listing = _hemlab(env, "losses")
    assert listing.returncode == 0, listing.stderr
    assert "sqhinge" in listing.stdout and "hemlab_sqplugin" in listing.stdout
    sweep = ["run", "clean_corrupt", "--losses", "ce", "sqhinge", "--seeds", "2", "--executor", "processes",
             "--workers", "2", "--out", out, "--quiet", *TINY]
    first = _hemlab(env, *sweep)
    assert first.returncode == 0, first.stderr
    assert "4 runs done, 0 stored runs reused" in first.stdout
    table = ResultStore(tmp_path).table("quick")
    assert table.groupby("loss_label")["seed"].nunique().to_dict() == {"ce": 2, "sqhinge": 2}
    compare = _hemlab(env, "compare", "--subject", "sqhinge", "--against", "ce", "--out", out, *TINY)
    assert compare.returncode == 0, compare.stderr
    verdicts = pd.read_csv(tmp_path / "quick" / "compare_sqhinge.csv")
    assert list(verdicts["claim"]) == ["clean_corrupt:ce"] and verdicts["n"].tolist() == [2]
    assert verdicts["verdict"].iloc[0] in compare.stdout and (tmp_path / "quick" / "compare_sqhinge.png").is_file()
    longer = _hemlab(env, *sweep[:-6], "--set", "train.epochs=2", *sweep[-4:])
    assert longer.returncode == 0 and "4 runs done, 0 stored runs reused" in longer.stdout, longer.stderr
    again = _hemlab(env, *sweep)
    assert "0 runs done, 4 stored runs reused" in again.stdout


def test_a_plugin_module_named_with_dash_dash_plugin(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_cli_losses.py").write_text(PLUGIN.replace('"sqhinge"', '"sqcli"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    from hemlab.losses import LOSSES

    try:
        assert main(["losses", "--plugin", "my_cli_losses"]) == 0
        assert "sqcli" in capsys.readouterr().out and LOSSES["sqcli"].module == "my_cli_losses"
    finally:
        LOSSES.remove("sqcli")


@pytest.mark.parametrize("argv, message", [
    (["run", "ood", "--losses", "hem:margin=-1"], "losses: hem:margin=-1 fails on a tiny classification input"),
    (["run", "ood", "--losses", "la:tau=abc"], "la:tau expected a number (default 1.0), got 'abc'"),
    (["run", "ood", "--set", "train.epochs=0"], "train.epochs: expected a positive integer, got 0"),
    (["run", "ood", "--set", "imbalance_ratios=a,b"], "imbalance_ratios: expected a comma-separated list of numbers"),
    (["run", "ood", "--set", "ood.nope=1"], "settings: expected a field of TaskSettings"),
    (["paper", "--config", "/nonexistent/mine.toml"], "--config: expected a readable TOML file"),
    (["run", "ood", "--plugin", "no_such_plugin_module"], "plugin: could not import module 'no_such_plugin_module'"),
    (["compare", "--subject", "hem", "--against", "ce"], "compare: no stored runs of hem under preset quick"),
    (["tasks", "--set", "train.lr=-1"], "train.lr: expected a positive learning rate, got -1.0"),
])
def test_bad_input_ends_in_one_line_and_status_2_before_any_run(argv, message, capsys, tmp_path):
    started = time.perf_counter()
    code = main([*argv, "--out", str(tmp_path)] if argv[0] in ("run", "paper", "compare") else argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], captured.err
    assert not list(tmp_path.glob("*/*/*.json")) and time.perf_counter() - started < 30


def test_the_paper_preset_offline_fails_in_seconds_naming_the_embedded_data(monkeypatch, capsys, tmp_path):
    downloads = importlib.import_module("hemlab.data.downloads")
    monkeypatch.setattr(downloads, "host_reachable", lambda url, timeout=3.0: (False, "no network (test)"))
    monkeypatch.setenv("HEMLAB_DATA", str(tmp_path / "data"))
    started = time.perf_counter()
    code = main(["paper", "--preset", "paper", "--out", str(tmp_path / "results"), "--quiet"])
    elapsed = time.perf_counter() - started
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and elapsed < 5, (lines, elapsed)
    assert "cifar10, svhn, voc" in lines[0] and "no network (test)" in lines[0] and "'digits'" in lines[0]
    assert not (tmp_path / "results" / "paper").exists()


def test_tasks_prints_the_resolved_settings(capsys, tmp_path):
    config = tmp_path / "mine.toml"
    config.write_text('preset = "quick"\n[tasks.imbalanced]\nimbalance_ratios = [10, 50]\n')
    assert main(["tasks", "--config", str(config), "--set", "train.epochs=2", "--set", "ood.train.epochs=3"]) == 0
    out = capsys.readouterr().out
    assert "preset quick, changes: imbalanced.imbalance_ratios=(10.0, 50.0), train.epochs=2, ood.train.epochs=3" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    header = out.splitlines()[1].split()
    assert rows["train.epochs"][header.index("ood")] == "3" and rows["train.epochs"][header.index("continual")] == "2"
    assert rows["imbalance_ratios"][header.index("imbalanced")] == "(10.0,50.0)" and "settings_id" in rows


NC_ONLY = '''"""A squared hinge written for (N, C) logits: it masks and reduces itself, so dense input breaks it."""
import torch
from hemlab.losses import register_loss


def sqhinge(logits, target, margin: float = 1.0, ignore_index: int = -100, reduction: str = "mean"):
    keep = target != ignore_index
    logits, target = logits[keep], target[keep]
    errors = (logits - logits.gather(1, target[:, None]) + margin).clamp_min(0).scatter(1, target[:, None], 0.0)
    per_sample = errors.pow(2).sum(dim=1)
    return {"mean": per_sample.mean(), "sum": per_sample.sum()}.get(reduction, per_sample)


register_loss("sqhinge", sqhinge, description="squared hinge for (N, C) logits")
'''


@pytest.fixture
def nc_only_plugin(tmp_path, monkeypatch):
    """``mylosses``: registers ``sqhinge`` without ``outputs=``, a loss that fails on dense input."""
    from hemlab.losses import LOSSES

    (tmp_path / "mylosses.py").write_text(NC_ONLY)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mylosses", raising=False)
    yield
    if "sqhinge" in LOSSES:
        LOSSES.remove("sqhinge")


def test_a_loss_without_outputs_that_fails_on_dense_input_runs_classification_tasks(nc_only_plugin, tmp_path,
                                                                                     capsys):
    from hemlab.losses import loss_info

    code = main(["run", "clean_corrupt", "--plugin", "mylosses", "--losses", "ce", "sqhinge", "--seeds", "2",
                 "--executor", "local", "--out", str(tmp_path / "out"), "--quiet", *TINY])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "4 runs done" in captured.out
    assert loss_info("sqhinge").outputs == ("classification",)
    assert "IndexError" in loss_info("sqhinge").outputs_note
    assert main(["losses"]) == 0
    listing = [line for line in capsys.readouterr().out.splitlines() if line.split()[:1] == ["sqhinge"]]
    assert "classification; segmentation left out: fails on a tiny dense input (IndexError" in listing[0]


def test_a_loss_that_claims_segmentation_and_fails_on_it_is_refused_for_segmentation(tmp_path, monkeypatch, capsys):
    from hemlab.losses import LOSSES

    (tmp_path / "claimsboth.py").write_text(NC_ONLY.replace('description=', 'outputs=("classification", '
                                                            '"segmentation"), description='))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert main(["run", "segmentation", "--plugin", "claimsboth", "--losses", "sqhinge", "--out",
                     str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "losses: sqhinge fails on a tiny segmentation input: IndexError" in err[0]
    finally:
        LOSSES.remove("sqhinge")
