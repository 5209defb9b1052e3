"""``train`` on CUDA: autocast (bfloat16, and float16 with its gradient scaler), channels_last
and the on-device crop and flip. Marked ``cuda``: run with ``HEMLAB_TEST_DEVICE=cuda``."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from hemlab.data import random_crop_flip
from hemlab.inference import uses_channels_last
from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.train import predict, train

pytestmark = pytest.mark.cuda


def _record_first_conv(model: nn.Module) -> list[tuple[torch.dtype, bool]]:
    """Per forward call of the model's first 2-D convolution: its output dtype, and whether
    its input arrived channels_last."""
    seen: list[tuple[torch.dtype, bool]] = []
    conv = next(module for module in model.modules() if isinstance(module, nn.Conv2d))
    conv.register_forward_hook(lambda module, inputs, output: seen.append(
        (output.dtype, inputs[0].is_contiguous(memory_format=torch.channels_last) and not inputs[0].is_contiguous())))
    return seen


@pytest.mark.parametrize("amp_dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("loss_name", ["ce", "hem"])
def test_autocast_and_channels_last_training_learns_digits(amp_dtype, loss_name, digits, device):
    train_set, test_set = digits
    model = create_model("digits_cnn", 10, 1, seed=0)
    seen = _record_first_conv(model)
    history = train(model, create_loss(loss_name), train_set, epochs=10, eval_data=test_set, batch_size=64,
                    optimizer="adamw", lr=3e-3, weight_decay=1e-4, schedule="cosine", amp_dtype=amp_dtype,
                    device=device, progress=False)
    assert history["train_loss"].notna().all() and history["eval_accuracy"].iloc[-1] >= 0.9
    assert seen[0][0] == getattr(torch, amp_dtype)
    assert uses_channels_last(model)  # one-channel inputs are contiguous in either layout: check the weights
    assert all(parameter.dtype == torch.float32 and parameter.is_cuda for parameter in model.parameters())
    logits, _ = predict(model, test_set)
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()


def test_amp_off_stays_float32(digits, device):
    model = create_model("digits_cnn", 10, 1, seed=0)
    seen = _record_first_conv(model)
    train(model, create_loss("hem"), digits[0], epochs=1, batch_size=256, amp=False, device=device, progress=False)
    assert {dtype for dtype, _ in seen} == {torch.float32}


def test_on_device_crop_and_flip_keeps_channels_last(device):
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(256, 3, 32, 32, generator=generator).to(device)
    data = TensorDataset(images, torch.randint(0, 10, (256,), generator=generator).to(device))
    model = create_model("resnet18", 10, seed=0)
    seen = _record_first_conv(model)
    history = train(model, create_loss("hem"), data, epochs=2, batch_size=64, augment=random_crop_flip,
                    device=device, progress=False)
    assert history["train_loss"].notna().all()
    assert seen and all(dtype == torch.bfloat16 and channels_last for dtype, channels_last in seen)
