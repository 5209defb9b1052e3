"""FGSM / PGD: projection, eps = 0, strength, agreement with torchattacks, model hygiene, validation."""
from __future__ import annotations

import pytest
import torch
import torchattacks
from torch import nn

from hemlab.attacks import ATTACK_LOSSES, attack_loss, fgsm, pgd

EPS = 0.1


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def test_attack_losses_match_hand_values():
    logits = torch.tensor([[3.0, 1.0, 2.0, 0.0], [0.0, 4.0, 1.0, 2.0]])
    targets = torch.tensor([1, 1])
    # sample 0: z_y = 1, best rival 3, sorted 3 >= 2 >= 1 -> dlr = -(1 - 3) / (3 - 1) = 1
    # sample 1: z_y = 4, best rival 2, sorted 4 >= 2 >= 1 -> dlr = -(4 - 2) / (4 - 1) = -2/3
    torch.testing.assert_close(attack_loss(logits, targets, "margin"), torch.tensor([2.0, -2.0]))
    torch.testing.assert_close(attack_loss(logits, targets, "dlr"), torch.tensor([1.0, -2.0 / 3.0]))
    expected_ce = torch.stack([torch.logsumexp(row, 0) - row[1] for row in logits])
    torch.testing.assert_close(attack_loss(logits, targets, "ce"), expected_ce)


@pytest.mark.parametrize("loss", ATTACK_LOSSES)
def test_pgd_stays_in_the_ball_and_range_and_lowers_accuracy(digits_model, loss):
    model, x, y = digits_model
    adversarial = pgd(model, x, y, EPS, steps=10, loss=loss)
    assert adversarial.shape == x.shape
    assert (adversarial - x).abs().max() <= EPS + 1e-6
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    clean, attacked = _accuracy(model, x, y), _accuracy(model, adversarial, y)
    assert clean > 0.9
    assert attacked < clean - 0.3


def test_custom_clamp_and_no_clamp(digits_model):
    model, x, y = digits_model
    inside = pgd(model, x, y, EPS, clamp=(0.2, 0.8))
    assert inside.min() >= 0.2 and inside.max() <= 0.8
    free = pgd(model, x, y, EPS, clamp=None)
    assert free.min() < 0.0 and (free - x).abs().max() <= EPS + 1e-6


@pytest.mark.parametrize("attack", [fgsm, pgd])
def test_eps_zero_returns_the_inputs_unchanged(digits_model, attack):
    model, x, y = digits_model
    outside_range = x * 1.5 - 0.2  # eps = 0 must not even clamp
    adversarial = attack(model, outside_range, y, 0.0)
    assert torch.equal(adversarial, outside_range)
    assert adversarial.data_ptr() != outside_range.data_ptr()


def test_inputs_are_not_modified_in_place(digits_model):
    model, x, y = digits_model
    before = x.clone()
    pgd(model, x, y, EPS)
    fgsm(model, x, y, EPS)
    assert torch.equal(x, before)


def test_pgd_is_at_least_as_strong_as_fgsm(digits_model):
    model, x, y = digits_model
    fgsm_accuracy = _accuracy(model, fgsm(model, x, y, EPS), y)
    pgd_accuracy = _accuracy(model, pgd(model, x, y, EPS, steps=10), y)
    assert pgd_accuracy <= fgsm_accuracy
    assert fgsm_accuracy < _accuracy(model, x, y)


@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_agrees_with_torchattacks(digits_model, random_start):
    model, x, y = digits_model
    alpha, steps = 2.5 * EPS / 10, 10
    torch.manual_seed(123)
    reference = torchattacks.PGD(model, eps=EPS, alpha=alpha, steps=steps, random_start=random_start)(x, y)
    torch.manual_seed(123)
    ours = pgd(model, x, y, EPS, alpha=alpha, steps=steps, random_start=random_start, loss="ce")
    torch.testing.assert_close(ours, reference, rtol=0.0, atol=1e-6)
    assert _accuracy(model, ours, y) == _accuracy(model, reference, y)
    assert _accuracy(model, ours, y) < 0.5


def test_fgsm_agrees_with_torchattacks(digits_model):
    model, x, y = digits_model
    reference = torchattacks.FGSM(model, eps=EPS)(x, y)
    torch.testing.assert_close(fgsm(model, x, y, EPS), reference, rtol=0.0, atol=1e-6)


class _ModeRecorder(nn.Module):
    """Linear 4 -> 3 classifier with BatchNorm and Dropout that records the mode of each forward call."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(4)
        self.dropout = nn.Dropout(0.5)
        self.linear = nn.Linear(4, 3)
        self.seen_training: list[bool] = []
        self.fail_on_call = fail_on_call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen_training.append(self.training)
        if self.fail_on_call is not None and len(self.seen_training) == self.fail_on_call:
            raise RuntimeError("forward failed")
        return self.linear(self.dropout(self.norm(x)))


def test_model_runs_in_eval_mode_and_every_mode_is_restored():
    model = _ModeRecorder().train()
    model.dropout.eval()  # a mixed state must come back exactly
    running_mean = model.norm.running_mean.clone()
    x, y = torch.rand(8, 4), torch.randint(0, 3, (8,))
    pgd(model, x, y, 0.1, steps=3)
    assert model.seen_training == [False, False, False]
    assert model.training and model.norm.training and model.linear.training and not model.dropout.training
    assert torch.equal(model.norm.running_mean, running_mean)


def test_mode_is_restored_when_the_model_raises():
    model = _ModeRecorder(fail_on_call=2).train()
    with pytest.raises(RuntimeError, match="forward failed"):
        pgd(model, torch.rand(8, 4), torch.randint(0, 3, (8,)), 0.1, steps=3)
    assert all(module.training for module in model.modules())


def test_parameter_gradients_are_left_alone():
    model = _ModeRecorder()
    x, y = torch.rand(8, 4), torch.randint(0, 3, (8,))
    pgd(model, x, y, 0.1, steps=2)
    assert all(parameter.grad is None for parameter in model.parameters())
    model.linear.weight.grad = torch.ones_like(model.linear.weight)
    fgsm(model, x, y, 0.1)
    assert torch.equal(model.linear.weight.grad, torch.ones_like(model.linear.weight))
    assert model.linear.bias.grad is None


def test_attacks_work_inside_no_grad(digits_model):
    model, x, y = digits_model
    with torch.no_grad():
        adversarial = pgd(model, x, y, EPS, steps=2)
    assert not torch.equal(adversarial, x)


def test_validation_messages():
    model = nn.Linear(4, 2)
    x, y = torch.rand(5, 4), torch.randint(0, 2, (5,))
    with pytest.raises(ValueError, match="eps"):
        pgd(model, x, y, -0.1)
    with pytest.raises(ValueError, match="steps"):
        pgd(model, x, y, 0.1, steps=0)
    with pytest.raises(ValueError, match="ce, margin, dlr"):
        pgd(model, x, y, 0.1, loss="hinge")
    with pytest.raises(ValueError, match="at least 3 classes"):
        pgd(model, x, y, 0.1, loss="dlr")
    with pytest.raises(ValueError, match="y"):
        pgd(model, x, y[:3], 0.1)
    with pytest.raises(TypeError, match="y"):
        fgsm(model, x, y.float(), 0.1)
    with pytest.raises(ValueError, match="clamp"):
        pgd(model, x, y, 0.1, clamp=(1.0, 0.0))
    with pytest.raises(ValueError, match="alpha"):
        pgd(model, x, y, 0.1, alpha=0.0)
