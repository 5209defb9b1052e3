"""Named models: output shapes, the factory's validation, no downloads."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from hemlab.models import available_models, count_parameters, create_model


@pytest.mark.parametrize("name, in_channels, size, expected", [
    ("mlp", 1, 8, (3, 10)),
    ("digits_cnn", 1, 8, (3, 10)),
    ("cifar_cnn", 3, 32, (3, 10)),
    ("resnet18", 3, 32, (3, 10)),
    ("unet", 3, 32, (3, 10, 32, 32)),
    ("unet", 3, 30, (3, 10, 30, 30)),
    ("digits_cnn", 3, 28, (3, 10)),
])
def test_output_shapes(name, in_channels, size, expected, device):
    model = create_model(name, 10, in_channels).to(device).eval()
    with torch.no_grad():
        logits = model(torch.rand(3, in_channels, size, size, device=device))
    assert tuple(logits.shape) == expected and torch.isfinite(logits).all()


def test_mlp_on_2d_points():
    model = create_model("mlp", 3, in_channels=2, image_size=1, hidden_sizes=(16,))
    assert model(torch.rand(5, 2)).shape == (5, 3)
    assert count_parameters(model) == 2 * 16 + 16 + 16 * 3 + 3


def test_resnet18_has_the_cifar_stem():
    model = create_model("resnet18", 100, 3)
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert isinstance(model.maxpool, nn.Identity)
    assert model.fc.out_features == 100
    assert 11_000_000 < count_parameters(model) < 11_300_000


def test_unet_width_option():
    assert count_parameters(create_model("unet", 4, 3, width=8)) < count_parameters(create_model("unet", 4, 3))


def test_same_seed_same_weights():
    torch.manual_seed(1)
    first = create_model("digits_cnn", 10, 1)
    torch.manual_seed(1)
    second = create_model("digits_cnn", 10, 1)
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)


def test_unknown_name_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="name") as raised:
        create_model("vit", 10, 3)
    for name in available_models():
        assert name in str(raised.value)


@pytest.mark.parametrize("arguments, argument", [
    (dict(name="mlp", num_classes=0, in_channels=1), "num_classes"),
    (dict(name="mlp", num_classes=10, in_channels=0), "in_channels"),
    (dict(name="resnet18", num_classes=10, in_channels=3, width=8), "options"),
])
def test_bad_arguments(arguments, argument):
    with pytest.raises(ValueError, match=argument):
        create_model(**arguments)
