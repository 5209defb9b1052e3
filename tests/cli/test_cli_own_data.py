"""The command line with your own data and model: a plug-in package installed with entry points
for a dataset and a model, ``--plugin``, an image folder of PNG files, and a bad loader refused."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from hemlab.cli import main
from hemlab.data import DATASETS
from hemlab.experiments import ResultStore
from hemlab.models import MODELS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from own_data_source import TINY, plugin_source, write_class_folder  # noqa: E402 - the helper lives in tests/

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed_package(tmp_path_factory) -> dict[str, str]:
    """``hemlab_stripes`` installed in a folder of its own as pip would install it, declaring
    ``pkgdata`` and ``pkgnet`` in the entry-point groups ``hemlab.datasets`` and ``hemlab.models``;
    returns the environment of a subprocess that has that folder on its path."""
    site = tmp_path_factory.mktemp("site")
    (site / "hemlab_stripes").mkdir()
    (site / "hemlab_stripes" / "__init__.py").write_text(plugin_source("pkgdata", "pkgnet"))
    info = site / "hemlab_stripes-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hemlab-stripes\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[hemlab.datasets]\npkgdata = hemlab_stripes\n\n"
                                           "[hemlab.models]\npkgnet = hemlab_stripes\n")
    (info / "top_level.txt").write_text("hemlab_stripes\n")
    (info / "RECORD").write_text("hemlab_stripes/__init__.py,,\n")
    path = os.pathsep.join([str(REPO), str(site), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "HEMLAB_QUICK": "1", "OMP_NUM_THREADS": "1",
            "HEMLAB_DATA": str(tmp_path_factory.mktemp("data"))}


def _hemlab(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hemlab", *argv], capture_output=True, text=True, env=env,
                          timeout=600)


def test_an_installed_dataset_and_model_run_on_the_processes_executor(installed_package, tmp_path):
    listing = _hemlab(installed_package, "datasets")
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines() if line.split()}
    assert "hemlab_stripes" in rows["pkgdata"] and "hemlab_stripes" in rows["pkgnet"]
    sweep = ["run", "imbalanced", "--dataset", "pkgdata", "--model", "pkgnet", "--losses", "ce", "hem", "--seeds",
             "2", "--executor", "processes", "--workers", "2", "--out", str(tmp_path), "--quiet", *TINY]
    first = _hemlab(installed_package, *sweep)
    assert first.returncode == 0, first.stderr
    assert "4 runs done, 0 stored runs reused (same settings), 0 failed" in first.stdout
    table = ResultStore(tmp_path).table("quick")
    assert set(table["dataset"]) == {"pkgdata"} and set(table["model"]) == {"pkgnet"}
    assert "0 runs done, 4 stored runs reused" in _hemlab(installed_package, *sweep).stdout


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    """``mymod`` on the path (not installed): registers ``mydata`` and ``mynet``; unregistered after."""
    (tmp_path / "mymod.py").write_text(plugin_source("mydata", "mynet"))
    (tmp_path / "badmod.py").write_text(plugin_source("baddata", "badnet", labels_change=" + 6"))
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in ("mymod", "badmod"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    yield
    for registry, names in ((DATASETS, ("mydata", "baddata")), (MODELS, ("mynet", "badnet"))):
        for name in names:
            if name in registry:
                registry.remove(name)


def test_a_plugin_dataset_and_model_are_stored_tabled_and_judged(plugin_module, tmp_path, capsys):
    out = str(tmp_path / "results")
    code = main(["run", "imbalanced", "--plugin", "mymod", "--dataset", "mydata", "--model", "mynet", "--losses",
                 "ce", "hem", "--seeds", "5", "--executor", "local", "--out", out, "--quiet", *TINY])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "10 runs done" in captured.out and "imbalanced: balanced_accuracy @ ratio=100" in captured.out
    shown = [line.split()[0] for line in captured.out.split("95% interval over seeds)")[1].splitlines()[2:4]]
    assert sorted(shown) == ["ce", "hem"]
    summary = pd.read_csv(Path(out) / "quick" / "imbalanced_summary.csv")
    assert set(summary["dataset"]) == {"mydata"} and set(summary.loc[summary["n"] == 5, "loss_label"]) == {"ce", "hem"}
    compare = ["compare", "--subject", "hem", "--against", "ce", "--tasks", "imbalanced", "--out", out, *TINY]
    assert main(compare) == 2, "the preset's dataset has no stored runs: those of mydata are not mixed in"
    assert "compare: no stored runs of hem" in capsys.readouterr().err
    assert main([*compare, "--dataset", "mydata", "--model", "mynet"]) == 0
    verdicts = pd.read_csv(Path(out) / "quick" / "compare_hem.csv")
    assert (Path(out) / "quick" / "compare_hem.png").stat().st_size > 0
    assert verdicts["n"].tolist() == [5] and verdicts["verdict"].iloc[0] in ("supported", "contradicted",
                                                                            "inconclusive")


def test_a_loader_with_labels_out_of_range_ends_in_one_line_and_status_2(plugin_module, tmp_path, capsys):
    code = main(["run", "imbalanced", "--plugin", "badmod", "--dataset", "baddata", "--model", "badnet",
                 "--losses", "ce", "--seeds", "1", "--out", str(tmp_path / "results"), *TINY])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0] == ("hemlab: error: dataset 'baddata' train: expected int64 labels of shape (600,) in [0, 6), "
                        "got labels [6, 7, 8, 9, 10]")
    assert not (tmp_path / "results").exists()


def test_ood_on_a_folder_of_pngs_and_the_second_run_decodes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HEMLAB_DATA", str(tmp_path / "data"))
    root = write_class_folder(tmp_path / "pngs", classes=5, per_class=12)
    sweep = ["run", "ood", "--dataset", f"folder:{root}", "--losses", "ce", "hem", "--seeds", "2", "--executor",
             "local", "--out", str(tmp_path / "results"), "--quiet", *TINY]
    assert main(sweep) == 0
    assert "4 runs done, 0 stored runs reused" in capsys.readouterr().out
    table = ResultStore(tmp_path / "results").table("quick")
    assert table.loc[table["metric"] == "auroc", "value"].between(0, 1).all()

    def no_decoding(*args, **kwargs):
        raise AssertionError("an image was decoded although the cache holds it")

    with monkeypatch.context() as patched:
        patched.setattr(Image, "open", no_decoding)
        assert main([*sweep, "--set", "train.epochs=2"]) == 0
    assert "4 runs done, 0 stored runs reused" in capsys.readouterr().out
    Image.new("L", (20, 20), 0).save(root / "class_1" / "extra.png")
    assert main(sweep) == 0
    assert "4 runs done, 0 stored runs reused" in capsys.readouterr().out, "changed files never reuse old runs"
