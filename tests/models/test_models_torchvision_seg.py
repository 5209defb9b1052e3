"""torchvision's DeepLabV3 and FCN as named models, on VOC-shaped random tensors (21 classes):
plain logits, gradients, seeded weights, training with hemlab's loop, and the ImageNet
backbone option without touching the network (the weight fetch is replaced)."""
from __future__ import annotations

import urllib.error

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.data import TensorDataset

from hemlab.data import IGNORE_INDEX
from hemlab.losses import create_loss
from hemlab.models import MODELS, create_model, model_defaults
from hemlab.train import predict, train

NAMES = ["deeplabv3", "fcn"]
FETCH = "torchvision.models._api.load_state_dict_from_url"


def _no_fetch(*args, **kwargs):
    raise AssertionError("a from-scratch model fetched weights")


@pytest.fixture(scope="module", params=NAMES)
def seeded(request) -> tuple[str, nn.Module, dict[str, torch.Tensor]]:
    """``(name, model, initial state)``: built with ``seed=0`` and 21 classes, failing if it
    fetches anything; the state is a copy taken before any test ran the model."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FETCH, _no_fetch)
        model = create_model(request.param, 21, seed=0)
    return request.param, model, {key: value.clone() for key, value in model.state_dict().items()}


def test_registry_entries():
    for name in NAMES:
        assert MODELS[name].output == "segmentation"
        assert model_defaults(name) == {"in_channels": 3, "pretrained_backbone": False}


def test_plain_logits_and_gradients(seeded):
    name, model, _ = seeded
    model.train()
    model.zero_grad(set_to_none=True)
    logits = model(torch.rand(2, 3, 64, 64))
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 21, 64, 64)
    assert not hasattr(model.network, "aux_classifier") or model.network.aux_classifier is None
    logits.logsumexp(dim=1).mean().backward()
    gradients = [parameter.grad for parameter in model.parameters()]
    assert all(gradient is not None and torch.isfinite(gradient).all() for gradient in gradients)
    assert gradients[0].abs().sum() > 0  # reaches the first convolution of the backbone


def test_the_seed_gives_the_same_weights(seeded):
    name, _, initial = seeded
    again = create_model(name, 21, seed=0).state_dict()
    assert all(torch.equal(value, again[key]) for key, value in initial.items())
    other = create_model(name, 21, seed=1)
    assert not torch.equal(initial["network.backbone.conv1.weight"], other.network.backbone.conv1.weight)


def test_a_channel_mismatch_gets_a_hemlab_message(seeded):
    name, model, _ = seeded
    with pytest.raises(ValueError, match=rf"^{name}: expected inputs \(N, 3, H, W\) as built with in_channels=3, "
                                         r"got shape \(2, 1, 16, 16\)"):
        model.eval()(torch.rand(2, 1, 16, 16))


def test_hemlab_trains_and_predicts_with_it():
    images = torch.rand(2, 3, 32, 32)
    masks = torch.randint(0, 21, (2, 32, 32))
    masks[:, :2] = IGNORE_INDEX
    data = TensorDataset(images, masks)
    model = create_model("deeplabv3", 21, seed=0)
    history = train(model, create_loss("hem"), data, epochs=1, batch_size=2, device="cpu", progress=False)
    assert history["train_loss"].notna().all()
    logits, targets = predict(model, data)
    assert logits.shape == (2, 21, 32, 32) and targets.shape == (2, 32, 32)


def test_other_input_channels_from_scratch():
    model = create_model("fcn", 5, in_channels=1).eval()
    with torch.no_grad():
        assert model(torch.rand(2, 1, 32, 32)).shape == (2, 5, 32, 32)


@pytest.mark.parametrize("name", NAMES)
def test_an_unreachable_backbone_download_fails_in_one_line(name, monkeypatch):
    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(FETCH, offline)
    with pytest.raises(RuntimeError) as caught:
        create_model(name, 21, pretrained_backbone=True)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{name}: pretrained_backbone=True needs the ImageNet ResNet-50 weights")
    assert "could not be fetched" in message and "pretrained_backbone=False" in message


def test_the_pretrained_backbone_loads_the_fetched_imagenet_weights(monkeypatch):
    imagenet = torchvision.models.resnet50().state_dict()
    urls = []

    def fetch(url, *args, **kwargs):
        urls.append(url)
        return imagenet

    monkeypatch.setattr(FETCH, fetch)
    model = create_model("deeplabv3", 21, pretrained_backbone=True)
    assert urls == [torchvision.models.ResNet50_Weights.IMAGENET1K_V1.url]
    for key, value in model.network.backbone.state_dict().items():
        assert torch.equal(value, imagenet[key]), key


@pytest.mark.parametrize("options, message", [
    ({"pretrained_backbone": "yes"}, "pretrained_backbone: expected True or False, got 'yes'"),
    ({"pretrained_backbone": True, "in_channels": 1},
     "in_channels: the ImageNet backbone of fcn takes 3 channels, got 1"),
])
def test_bad_options(options, message, monkeypatch):
    monkeypatch.setattr(FETCH, _no_fetch)
    with pytest.raises(ValueError, match=f"^{message}"):
        create_model("fcn", 21, **options)


def test_lraspp_is_the_small_model_from_scratch_with_plain_logits(monkeypatch):
    monkeypatch.setattr(FETCH, _no_fetch)
    model = create_model("lraspp", 7, seed=0)
    assert MODELS["lraspp"].output == "segmentation" and model_defaults("lraspp") == {"in_channels": 3}
    assert 3_000_000 < sum(parameter.numel() for parameter in model.parameters()) < 3_500_000
    logits = model.train()(torch.rand(2, 3, 64, 64))
    assert logits.shape == (2, 7, 64, 64)
    logits.logsumexp(dim=1).mean().backward()
    with pytest.raises(ValueError, match="in_channels: lraspp is built for 3-channel images, got 1"):
        create_model("lraspp", 7, in_channels=1)
