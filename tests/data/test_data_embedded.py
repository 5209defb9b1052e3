"""Embedded datasets: digits, generated shapes, 2-D toy sets, and loading by name."""
from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch

from hemlab.data import registry as data_registry
from hemlab.data import (
    DATASETS, IGNORE_INDEX, available_datasets, class_counts, dataset_defaults, load_dataset, load_digits, load_shapes,
    load_toy2d, make_shapes, make_toy2d,
)
from hemlab.registry import Registry


def test_digits_split_shapes_range_and_stratification():
    train, test = load_digits()
    assert len(train) == 1347 and len(test) == 450
    for split in (train, test):
        images, labels = split.tensors
        assert images.shape[1:] == (1, 8, 8) and images.dtype == torch.float32
        assert labels.dtype == torch.int64 and set(labels.tolist()) == set(range(10))
        assert images.min() == 0.0 and images.max() == 1.0
    share_train = class_counts(train.tensors[1]).float() / len(train)
    share_test = class_counts(test.tensors[1]).float() / len(test)
    assert (share_train - share_test).abs().max() < 0.01


def test_digits_split_is_seeded():
    first, _ = load_digits(seed=0)
    again, _ = load_digits(seed=0)
    other, _ = load_digits(seed=1)
    assert torch.equal(first.tensors[0], again.tensors[0])
    assert not torch.equal(first.tensors[0], other.tensors[0])


def test_digits_rejects_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.5)


def test_shapes_images_and_labels():
    dataset = make_shapes(24, image_size=32, num_classes=5, seed=3)
    images, labels = dataset.tensors
    assert images.shape == (24, 3, 32, 32) and labels.shape == (24, 32, 32)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert set(labels.unique().tolist()) == {0, 1, 2, 3, 4, IGNORE_INDEX}


def _neighbours_with_different_labels(labels: torch.Tensor) -> int:
    """Horizontally or vertically adjacent pixel pairs, neither ignored, whose labels differ."""
    count = 0
    for a, b in ((labels[:, :, 1:], labels[:, :, :-1]), (labels[:, 1:, :], labels[:, :-1, :])):
        count += int(((a != b) & (a != IGNORE_INDEX) & (b != IGNORE_INDEX)).sum())
    return count


def test_shapes_object_borders_are_ignored():
    plain = make_shapes(16, seed=1, ignore_border=False).tensors[1]
    bordered = make_shapes(16, seed=1).tensors[1]
    assert _neighbours_with_different_labels(plain) > 0
    assert _neighbours_with_different_labels(bordered) == 0
    kept = bordered != IGNORE_INDEX
    assert torch.equal(bordered[kept], plain[kept])
    assert 0.02 < (~kept).float().mean() < 0.4


def test_shapes_are_seeded():
    assert torch.equal(make_shapes(4, seed=5).tensors[0], make_shapes(4, seed=5).tensors[0])
    assert not torch.equal(make_shapes(4, seed=5).tensors[0], make_shapes(4, seed=6).tensors[0])


@pytest.mark.parametrize("argument, value", [("n_images", 0), ("image_size", 4), ("num_classes", 9), ("max_objects", 0)])
def test_shapes_rejects_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=argument):
        make_shapes(**{argument: value})


@pytest.mark.parametrize("name, num_classes", [("blobs", 4), ("moons", 2), ("spirals", 3)])
def test_toy2d_sets(name, num_classes):
    dataset = make_toy2d(name, 300, num_classes=num_classes, seed=2)
    points, labels = dataset.tensors
    assert points.shape == (300, 2) and points.dtype == torch.float32
    assert set(labels.tolist()) == set(range(num_classes))
    assert torch.allclose(points.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.equal(points, make_toy2d(name, 300, num_classes=num_classes, seed=2).tensors[0])


def test_toy2d_unknown_name():
    with pytest.raises(ValueError, match="blobs, moons, spirals"):
        make_toy2d("circles")


def test_load_dataset_by_name():
    train, test = load_dataset("digits")
    assert torch.equal(train.tensors[0], load_digits()[0].tensors[0])
    train, test = load_dataset("shapes", n_images=20, image_size=16)
    assert len(train) == 20 and len(test) == 16 and train.tensors[0].shape[-1] == 16
    assert not torch.equal(train.tensors[0][:16], test.tensors[0])
    train, test = load_dataset("moons", n_samples=50)
    assert len(train) == len(test) == 50 and not torch.equal(train.tensors[0], test.tensors[0])
    assert set(available_datasets()) == set(DATASETS) and DATASETS["cifar100"].num_classes == 100


def test_load_dataset_errors():
    with pytest.raises(ValueError, match=r"^dataset: expected one of \['digits', 'shapes', .*\], got 'imagenet'$"):
        load_dataset("imagenet")
    with pytest.raises(ValueError, match=r"^dataset 'digits': expected options from \['test_fraction'\], "
                                         r"got unknown \['colour'\]$"):
        load_dataset("digits", colour=True)
    with pytest.raises(ValueError, match=r"dataset 'cifar10': expected options from \['root', 'timeout'\]"):
        load_dataset("cifar10", image_size=64)


def test_a_loaders_own_type_error_is_not_swallowed(monkeypatch):
    def broken_loader(test_fraction=0.25, seed=0):
        raise TypeError("a bug inside the loader")

    broken = dataclasses.replace(DATASETS["digits"], builder=broken_loader)
    monkeypatch.setattr(data_registry, "DATASETS", Registry("dataset", [broken]))
    with pytest.raises(TypeError, match="a bug inside the loader"):
        load_dataset("digits")


def test_dataset_defaults_come_from_the_loader_signature():
    assert dataset_defaults("digits") == {"test_fraction": 0.25}
    assert dataset_defaults("shapes") == {"n_images": 256, "image_size": 32, "num_classes": 4, "max_objects": 3,
                                          "ignore_border": True}
    assert dataset_defaults("moons")["num_classes"] == 2 == DATASETS["moons"].num_classes
    assert dataset_defaults("voc") == {"root": None, "image_size": 128, "timeout": 3.0}
    for name in available_datasets():
        info = DATASETS[name]
        assert info.name == name and info.description and callable(info.builder)
        if "num_classes" in dataset_defaults(name):
            assert dataset_defaults(name)["num_classes"] == info.num_classes


@pytest.mark.parametrize("split_loader, generator", [(load_shapes, make_shapes), (load_toy2d, make_toy2d)])
def test_split_loaders_keep_the_generators_defaults(split_loader, generator):
    def defaults(function):
        return {name: parameter.default for name, parameter in inspect.signature(function).parameters.items()}

    assert defaults(split_loader) == defaults(generator)


def test_segmentation_sets_mark_ignored_pixels_with_ignore_index():
    assert DATASETS["shapes"].ignore_index == IGNORE_INDEX == -100
    assert DATASETS["voc"].ignore_index == IGNORE_INDEX
    assert all(DATASETS[name].ignore_index is None for name in available_datasets() if DATASETS[name].kind != "segmentation")
    train, _ = load_dataset("shapes", n_images=8, image_size=16)
    assert IGNORE_INDEX in train.tensors[1].unique().tolist()


@pytest.mark.parametrize("name", ["blobs", "moons", "spirals"])
def test_toy2d_train_and_test_come_from_one_distribution(name):
    train, test = load_toy2d(name, 400, num_classes=2 if name == "moons" else 3, seed=5)
    assert len(train) == len(test) == 400
    for label in train.tensors[1].unique():
        train_mean = train.tensors[0][train.tensors[1] == label].mean(dim=0)
        test_mean = test.tensors[0][test.tensors[1] == label].mean(dim=0)
        assert torch.linalg.vector_norm(train_mean - test_mean) < 0.25, (name, int(label))
