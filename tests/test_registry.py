"""One registry shape: the same record fields, and the same error type and wording, for losses,
models and datasets."""
from __future__ import annotations

import pytest

from hemlab import losses
from hemlab.data import DATASETS, load_dataset
from hemlab.models import MODELS, create_model
from hemlab.registry import Record, Registry, check_options, unknown_name_error

FACTORIES = {
    "loss": (losses.LOSSES, lambda name, **options: losses.create_loss(name, **options), "hem", ["margin"]),
    "model": (MODELS, lambda name, **options: create_model(name, 3, **options), "unet", ["in_channels", "width"]),
    "dataset": (DATASETS, lambda name, **options: load_dataset(name, **options), "digits", ["test_fraction"]),
}


@pytest.mark.parametrize("kind", FACTORIES)
def test_unknown_name_same_type_and_wording(kind):
    registry, factory, _, _ = FACTORIES[kind]
    assert registry.kind == kind
    with pytest.raises(ValueError) as raised:
        factory("nope")
    assert str(raised.value) == f"{kind}: expected one of {list(registry)}, got 'nope'"
    with pytest.raises(ValueError, match=f"^{kind}: expected one of"):
        registry.record(["not", "hashable"])


@pytest.mark.parametrize("kind", FACTORIES)
def test_unknown_option_same_type_and_wording(kind):
    registry, factory, name, some_options = FACTORIES[kind]
    with pytest.raises(ValueError) as raised:
        factory(name, colour=True)
    allowed = registry[name].options
    assert set(some_options) <= set(allowed)
    assert str(raised.value) == f"{kind} {name!r}: expected options from {allowed}, got unknown ['colour']"


@pytest.mark.parametrize("kind", FACTORIES)
def test_records_share_one_shape(kind):
    registry = FACTORIES[kind][0]
    assert isinstance(registry, Registry) and list(registry) == list(registry.keys())
    for name, record in registry.items():
        assert isinstance(record, Record) and record.name == name
        assert record.description and "\n" not in record.description and callable(record.builder)
        assert registry.defaults(name) == record.defaults
        assert set(record.defaults) | set(record.required) == set(record.options)


def test_defaults_and_required_come_from_the_signature():
    def builder(size, *, depth=2, scale=0.5, seed=0):
        return size, depth, scale, seed

    record = Record("thing", "A thing.", builder)
    assert record.options == ["size", "depth", "scale", "seed"]
    assert record.defaults == {"depth": 2, "scale": 0.5, "seed": 0}
    assert record.required == ["size"]
    check_options(builder, {"size": 1, "depth": 3}, "thing 'x'")
    with pytest.raises(ValueError, match=r"^thing 'x': expected a value for \['size'\] \(required\), got options \['depth'\]$"):
        check_options(builder, {"depth": 3}, "thing 'x'")
    check_options(builder, {"depth": 3}, "thing 'x'", supplied=("size",))
    with pytest.raises(ValueError, match=r"expected options from \['depth', 'scale'\], got unknown \['seed'\]"):
        check_options(builder, {"seed": 1}, "thing 'x'", supplied=("size", "seed"))


def test_unknown_name_error_wording():
    error = unknown_name_error("widget", "w", ["a", "b"])
    assert isinstance(error, ValueError) and str(error) == "widget: expected one of ['a', 'b'], got 'w'"
