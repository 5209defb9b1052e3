"""pull_during_training: HEM's total pull on the true logits is 1 while samples are in error,
MM's is bounded by the fraction in error, and the table has one row per optimizer, loss and step."""
from __future__ import annotations

import pytest

from hemlab.anatomy import pull_during_training, update_ratio


@pytest.fixture(scope="module")
def table():
    return pull_during_training(n_samples=90, steps=6, hidden_sizes=(8,))


def test_one_row_per_optimizer_loss_and_step(table):
    assert len(table) == 2 * 2 * 6
    assert set(table["optimizer"]) == {"sgd", "adamw"} and set(table["loss"]) == {"hem", "mm"}
    first = table[table["step"] == 0]
    assert first["in_error"].nunique() == 1          # every run starts from the same weights


def test_hem_pulls_with_total_one_and_mm_with_at_most_its_fraction_in_error(table):
    hem = table[(table["loss"] == "hem") & (table["in_error"] > 0)]
    assert not hem.empty and (hem["pull"] - 1).abs().max() < 1e-4
    mm = table[table["loss"] == "mm"]
    classes = 3                                       # spirals
    assert (mm["pull"] <= mm["in_error"] * (classes - 1) / classes + 1e-6).all()
    assert (table["update"] > 0).all()


def test_the_update_ratio_compares_hem_with_mm(table):
    pull, update = update_ratio(table, "sgd")
    assert pull >= 1.5 - 1e-6 and update > 0            # MM's total pull is at most 2/3 on three classes
    with pytest.raises(ValueError, match="table: no"):
        update_ratio(table[table["loss"] == "hem"], "sgd")


@pytest.mark.parametrize(("arguments", "match"), [
    ({"loss_names": []}, "loss_names"),
    ({"learning_rates": {"rmsprop": 0.1}}, "learning_rates"),
    ({"steps": 0}, "steps"),
])
def test_bad_arguments_are_named(arguments, match):
    with pytest.raises(ValueError, match=match):
        pull_during_training(**arguments)
