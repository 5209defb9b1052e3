"""Named models: output shapes, the factory's validation, no downloads."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from hemlab.models import MODELS, available_models, count_parameters, create_model, model_defaults


@pytest.mark.parametrize("name, in_channels, size, expected", [
    ("mlp", 1, 8, (3, 10)),
    ("digits_cnn", 1, 8, (3, 10)),
    ("cifar_cnn", 3, 32, (3, 10)),
    ("resnet18", 3, 32, (3, 10)),
    ("resnet20", 3, 32, (3, 10)),
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


def test_resnet20_is_he_et_als_cifar_network():
    """20 weight layers (19 convolutions on the main path and the head), stages at 16, 32 and 64
    channels on 32, 16 and 8 pixels, 0.27M parameters, and each block starting as the identity."""
    model = create_model("resnet20", 10, seed=0)
    main_path = [m for name, m in model.named_modules() if isinstance(m, torch.nn.Conv2d) and "downsample" not in name]
    assert len(main_path) + 1 == 20 and count_parameters(model) == 272_474
    sizes = []
    handles = [stage.register_forward_hook(lambda module, inputs, output: sizes.append(tuple(output.shape[1:])))
               for stage in model.stages]
    model(torch.rand(2, 3, 32, 32))
    for handle in handles:
        handle.remove()
    assert sizes == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
    assert all(not block.bn2.weight.detach().any() for stage in model.stages for block in stage)


def test_unet_width_option():
    assert count_parameters(create_model("unet", 4, 3, width=8)) < count_parameters(create_model("unet", 4, 3))


def _same_weights(first: nn.Module, second: nn.Module) -> bool:
    return all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))


def test_same_global_seed_same_weights():
    torch.manual_seed(1)
    first = create_model("digits_cnn", 10, 1)
    torch.manual_seed(1)
    second = create_model("digits_cnn", 10, 1)
    assert _same_weights(first, second)


@pytest.mark.parametrize("name", ["mlp", "digits_cnn", "unet"])
def test_seed_argument_gives_the_same_weights_and_leaves_the_global_stream_alone(name):
    torch.manual_seed(5)
    expected_next = torch.rand(3)
    torch.manual_seed(5)
    first = create_model(name, 4, seed=7)
    assert torch.equal(torch.rand(3), expected_next)
    second = create_model(name, 4, seed=7)
    assert _same_weights(first, second)
    assert not _same_weights(first, create_model(name, 4, seed=8))
    with pytest.raises(ValueError, match="seed: expected an int or None, got '7'"):
        create_model(name, 4, seed="7")


@pytest.mark.parametrize("name, channels, size", [
    ("mlp", 1, 8), ("digits_cnn", 1, 8), ("cifar_cnn", 3, 32), ("resnet18", 3, 32), ("resnet20", 3, 32), ("unet", 3, 16),
])
def test_models_default_to_the_input_their_name_promises(name, channels, size):
    assert model_defaults(name)["in_channels"] == channels
    model = create_model(name, 10).eval()
    with torch.no_grad():
        assert model(torch.rand(2, channels, size, size)).shape[:2] == (2, 10)


@pytest.mark.parametrize("name", ["digits_cnn", "cifar_cnn", "resnet18", "resnet20", "unet"])
def test_a_channel_mismatch_gets_a_hemlab_message(name):
    model = create_model(name, 10).eval()
    built = model_defaults(name)["in_channels"]
    wrong = 4 - built
    with pytest.raises(ValueError, match=rf"^{name}: expected inputs \(N, {built}, H, W\) as built with "
                                         rf"in_channels={built}, got shape \(2, {wrong}, 16, 16\); "
                                         rf"create the model with in_channels={wrong}"):
        model(torch.rand(2, wrong, 16, 16))


def test_mlp_checks_the_values_per_sample():
    with pytest.raises(ValueError, match=r"MLP: expected inputs \(N, \.\.\.\) with in_features=64 values per sample"):
        create_model("mlp", 10)(torch.rand(2, 3, 8, 8))


def test_model_defaults_come_from_the_builder_signature():
    assert model_defaults("mlp") == {"in_channels": 1, "image_size": 8, "hidden_sizes": (256, 128)}
    assert model_defaults("unet") == {"in_channels": 3, "width": 32}
    for name in available_models():
        info = MODELS[name]
        assert info.name == name and info.description and info.output in ("classification", "segmentation")


def test_unknown_name_lists_the_allowed_ones():
    with pytest.raises(ValueError, match=r"^model: expected one of \['mlp', 'digits_cnn', 'cifar_cnn', 'resnet18', 'resnet20', "
                                         r"'unet', 'deeplabv3', 'fcn', 'lraspp'\], got 'vit'$"):
        create_model("vit", 10, 3)


@pytest.mark.parametrize("arguments, argument", [
    (dict(name="mlp", num_classes=0, in_channels=1), "num_classes"),
    (dict(name="mlp", num_classes=10, in_channels=0), "in_channels"),
    (dict(name="resnet18", num_classes=10, in_channels=3, width=8),
     r"model 'resnet18': expected options from \['in_channels'\], got unknown \['width'\]"),
])
def test_bad_arguments(arguments, argument):
    with pytest.raises(ValueError, match=argument):
        create_model(**arguments)
