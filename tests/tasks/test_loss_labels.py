"""``LossLabel``: the one reader and writer of ``hem:margin=0.5``, and hemlab's one loss order."""
from __future__ import annotations

import pytest

from hemlab.tasks.loss_labels import DEFAULT_LOSSES, LossLabel, loss_label, parse_loss_spec, read_word, sort_labels


@pytest.mark.parametrize("text, name, options", [
    ("hem", "hem", ()),
    ("hem:margin=0.5", "hem", (("margin", 0.5),)),
    (" hem : margin = 2 , reduction = sum ", "hem", (("margin", 2), ("reduction", "sum"))),
    ("mine:flag=true", "mine", (("flag", True),)),
])
def test_parse_reads_the_name_and_the_options_as_text(text, name, options):
    label = LossLabel.parse(text)
    assert (label.name, label.options) == (name, options)


@pytest.mark.parametrize("text", ["hem:margin=0.5", "hem:margin=0.25,reduction=sum", "la:tau=2", "ce"])
def test_a_label_writes_back_the_text_it_was_read_from(text):
    assert str(LossLabel.parse(text)) == text


@pytest.mark.parametrize("bad", ["hem:margin", "hem:=1", "hem:margin=", ":margin=1", "", 3])
def test_a_malformed_label_is_refused_naming_the_expected_form(bad):
    with pytest.raises(ValueError, match="NAME or NAME:option=value"):
        LossLabel.parse(bad)


def test_checked_asks_the_registry_and_drops_defaults():
    assert LossLabel.parse("hem:margin=1").checked() == LossLabel("hem")
    assert LossLabel.parse("hem:margin=0.5").checked().options == (("margin", 0.5),)
    assert parse_loss_spec("hem:margin=0.5") == ("hem", (("margin", 0.5),))
    with pytest.raises(ValueError, match="unknown"):
        LossLabel.parse("hem:width=3").checked()
    with pytest.raises(ValueError, match="expected a number"):
        LossLabel.parse("hem:margin=wide").checked()


def test_hem_margin_is_the_margin_of_hem_only():
    assert LossLabel.parse("hem:margin=0.5").hem_margin == 0.5
    assert LossLabel.parse("hem").hem_margin == 1.0
    assert LossLabel.parse("ce").hem_margin is None
    assert LossLabel.parse("hem:margins=frequency").hem_margin is None


def test_one_loss_order_plain_label_first_then_margins_ascending_then_unknown_names():
    labels = ["zeta", "hem:margin=4", "focal", "hem", "ce", "hem:margin=0.25", "alpha", "hem:margins=frequency"]
    assert sort_labels(labels + ["ce"]) == ["ce", "hem", "hem:margin=0.25", "hem:margin=4", "hem:margins=frequency",
                                           "focal", "alpha", "zeta"]
    assert [LossLabel(name).sort_key()[0] for name in DEFAULT_LOSSES] == list(range(len(DEFAULT_LOSSES)))


def test_loss_label_and_read_word():
    assert loss_label("hem", (("margin", 0.5),)) == "hem:margin=0.5"
    assert [read_word(text) for text in ("0.5", "2", "True", " sum ")] == [0.5, 2, True, "sum"]
