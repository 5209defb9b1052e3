"""No tensor made on another device than the inputs, found on the CPU (``tests/device_guard.py``).

Each test runs one of hemlab's device paths under :class:`FactoryDeviceGuard` and fails with
the list of hemlab lines that call a tensor factory without a device: training (with
augmentation, gradient clipping, a step schedule, channels_last and, by routing the autocast
choice to the CPU, the AMP path), evaluation, the attacks, every loss on classification and
dense input and the metrics; ``tests/tasks/test_runners_on_device.py`` runs every task runner
under it.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from torch.utils.data import TensorDataset

from hemlab import attacks, metrics, train as train_module
from hemlab.data import random_crop_flip
from hemlab.losses import available_losses, create_loss, loss_info, uses_class_counts
from hemlab.models import create_model
from hemlab.train import TrainConfig, predict, train

_spec = importlib.util.spec_from_file_location("hemlab_device_guard", Path(__file__).parent / "device_guard.py")
device_guard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(device_guard)


def _images(count: int = 48, classes: int = 4, side: int = 8) -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    return TensorDataset(torch.rand(count, 3, side, side, generator=generator), torch.arange(count) % classes)


def test_the_guard_flags_a_factory_without_a_device_in_hemlab_code():
    """The check itself can fail: a loss that makes its class indices on the CPU is caught."""
    from hemlab.losses import cross_entropy

    def leaky(logits, target, **kwargs):
        return (logits - torch.zeros(logits.shape[1])).sum()

    leaky.__code__ = leaky.__code__.replace(co_filename=cross_entropy.__file__)
    with device_guard.FactoryDeviceGuard() as active:
        leaky(torch.randn(2, 3), torch.tensor([0, 1], device="cpu"))
        torch.zeros(3)                                   # test code: not hemlab's, not flagged
    assert list(active.found) == [f"losses/cross_entropy.py:{leaky.__code__.co_firstlineno + 1} in leaky: torch.zeros"]


@pytest.mark.parametrize("amp", [False, True])
def test_training_and_evaluation(factory_guard, monkeypatch, amp):
    if amp:   # the CUDA-only autocast path, run on the CPU in bfloat16 (CPU autocast supports it)
        monkeypatch.setattr(train_module, "autocast_dtype_for", lambda config, device: torch.bfloat16)
    model = create_model("cifar_cnn", 4, seed=0)
    config = TrainConfig(epochs=2, batch_size=16, schedule="step", grad_clip=1.0, channels_last=True)
    history = train(model, create_loss("hem"), _images(), config, eval_data=_images(16), augment=random_crop_flip)
    assert history["train_loss"].notna().all()
    logits, targets = predict(model, _images(16), amp_dtype="bfloat16" if amp else None)
    assert logits.shape == (16, 4)


def test_the_attacks(factory_guard):
    model = create_model("cifar_cnn", 4, seed=0).eval()
    x, y = _images(8).tensors
    for loss in attacks.ATTACK_LOSSES:
        attacks.pgd(model, x, y, 0.03, steps=2, loss=loss)
    attacks.fgsm(model, x, y, 0.03)
    attacks.robust_correct(model, _images(8), attacks.standard_attacks(0.03, steps=2))


@pytest.mark.parametrize("name, options", [(name, {}) for name in available_losses()]
                         + [("hem", {"margins": "frequency"})])
def test_every_loss_forward_and_backward(factory_guard, name, options):
    info = loss_info(name)
    if uses_class_counts(name, options):
        options = {**options, "class_counts": torch.tensor([5.0, 3.0, 2.0])}
    if "classification" in info.outputs:
        logits = torch.randn(6, 3, requires_grad=True)
        create_loss(name, **options)(logits, torch.tensor([0, 1, 2, -100, 1, 0])).backward()
    if "segmentation" in info.outputs:
        logits = torch.randn(2, 3, 4, 4, requires_grad=True)
        target = torch.randint(0, 3, (2, 4, 4))
        target[0, 0] = -100
        create_loss(name, **options)(logits, target).backward()
    if name == "hem":
        create_loss("hem", margin=torch.tensor([0.5, 1.0, 2.0]))(torch.randn(6, 3), torch.arange(6) % 3)


def test_the_metrics(factory_guard):
    logits, targets = torch.randn(40, 4), torch.arange(40) % 4
    for method in metrics.OOD_METHODS:
        scores = metrics.ood_scores(logits, method)
    metrics.ood_metrics(scores[:20], scores[20:])
    metrics.accuracy(logits, targets)
    metrics.balanced_accuracy(logits, targets)
    metrics.per_class_accuracy(logits, targets)
    metrics.shot_accuracy(logits, targets, torch.tensor([100, 50, 10, 5]), many=60, few=8)
    metrics.expected_calibration_error(logits, targets)
    metrics.classification_margins(logits, targets)
    metrics.logit_norms(logits)
    metrics.continual_metrics(torch.rand(3, 3))
    dense = torch.randn(2, 4, 5, 5)
    masks = torch.randint(0, 4, (2, 5, 5))
    metrics.segmentation_metrics(dense.argmax(1), masks, 4)
    metrics.segmentation_metrics(dense, masks, 4, ignore_index=-100)


