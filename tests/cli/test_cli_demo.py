"""The command line and the README's demo job."""
from __future__ import annotations

import pandas as pd
import pytest

from hemlab.cli import main
from hemlab.viz import plot_training_curves


def test_losses_listing(capsys):
    assert main(["losses"]) == 0
    out = capsys.readouterr().out
    for name in ("ce", "mm", "hem", "logitnorm", "la", "dice", "focal", "class_counts", "2501.12191"):
        assert name in out


def test_demo_writes_table_and_curves(tmp_path, capsys):
    assert main(["demo", "--epochs", "3", "--out", str(tmp_path), "--quiet", "--device", "cpu"]) == 0
    table = pd.read_csv(tmp_path / "digits_demo.csv")
    assert list(table["loss"]) == ["ce", "hem"]
    assert (table["test_accuracy"] > 0.9).all(), table
    assert (tmp_path / "digits_demo_curves.png").stat().st_size > 10_000
    assert "test_accuracy" in capsys.readouterr().out


def test_demo_rejects_unknown_loss(tmp_path, capsys):
    assert main(["demo", "--losses", "ce", "xent", "--out", str(tmp_path)]) == 2
    assert "unknown ['xent']" in capsys.readouterr().err


def test_plot_training_curves_checks_columns():
    with pytest.raises(ValueError, match="at least one run"):
        plot_training_curves({})
    with pytest.raises(ValueError, match=r"missing columns \['eval_accuracy'\]"):
        plot_training_curves({"ce": pd.DataFrame({"epoch": [1], "train_loss": [1.0]})})
