"""HEM's defining behaviours (the formula and gradient in hemlab/losses/hem.py) and the HEM+ margin helper."""
from __future__ import annotations

import pytest
import torch

from hemlab import losses


def test_solved_sample_gets_exactly_zero_gradient(device):
    logits = torch.tensor([[5.0, 3.9, 1.0], [0.0, 0.5, 0.2], [2.0, 2.0, 1.0]], device=device, requires_grad=True)
    target = torch.tensor([0, 1, 0], device=device)
    losses.hem_loss(logits, target, margin=1.0).backward()
    # Sample 0 beats every rival by more than the margin: no gradient at all.
    assert torch.all(logits.grad[0] == 0)
    assert torch.any(logits.grad[1] != 0) and torch.any(logits.grad[2] != 0)


@pytest.mark.parametrize("num_classes", [3, 10, 100])
def test_true_logit_gradient_is_minus_one_over_samples_in_error(num_classes, device):
    generator = torch.Generator().manual_seed(num_classes)
    logits = torch.randn(64, num_classes, generator=generator, dtype=torch.float64)
    target = torch.randint(0, num_classes, (64,), generator=generator)
    # Solve the first 40 samples by a wide margin; the rest carry error.
    logits[torch.arange(40), target[:40]] += 100.0
    logits[torch.arange(40, 64), target[40:]] -= 100.0
    logits = logits.to(device).requires_grad_()
    target = target.to(device)
    losses.hem_loss(logits, target).backward()
    true_grad = logits.grad.gather(1, target.unsqueeze(1)).squeeze(1)
    assert torch.all(true_grad[:40] == 0)
    torch.testing.assert_close(true_grad[40:], torch.full((24,), -1.0 / 24, dtype=torch.float64, device=device),
                               rtol=1e-5, atol=0)
    # Each erroneous sample's gradient sums to zero across classes (pushes rivals up by as much).
    torch.testing.assert_close(logits.grad.sum(dim=1), torch.zeros(64, dtype=torch.float64, device=device))


def test_multi_margin_gradient_shrinks_where_hem_does_not(device):
    """MM's true-logit gradient scales with violators / (B*C); HEM's stays -1/|S|."""
    logits = torch.zeros(100, 10, dtype=torch.float64, device=device)
    target = torch.zeros(100, dtype=torch.long, device=device)
    logits[:90, 0] = 10.0  # 90 of 100 samples solved
    logits.requires_grad_()
    mm_grad, = torch.autograd.grad(losses.multi_margin_loss(logits, target), logits)
    hem_grad, = torch.autograd.grad(losses.hem_loss(logits, target), logits)
    assert mm_grad[95, 0].item() == pytest.approx(-9 / (100 * 10))
    assert hem_grad[95, 0].item() == pytest.approx(-1 / 10, rel=1e-5)


def test_only_above_average_errors_are_kept():
    logits = torch.tensor([[0.0, 3.0, 1.0, -5.0]], dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0])
    # errors = [0, 4, 2, 0], threshold 1.5 -> keep 4 and 2, loss = 6 / 2.
    loss = losses.hem_loss(logits, target)
    assert loss.item() == pytest.approx(3.0, rel=1e-5)
    loss.backward()
    assert logits.grad[0, 3].item() == 0.0
    assert logits.grad[0, 1].item() == pytest.approx(0.5, rel=1e-5)


def test_error_equal_to_the_threshold_is_kept():
    # errors = [0, 3, 1, 0]: threshold 1, so the error of 1 is kept (>=): (3 + 1) / 2.
    logits = torch.tensor([[0.0, 2.0, 0.0, -1.0]], dtype=torch.float64)
    assert losses.hem_loss(logits, torch.tensor([0])).item() == pytest.approx(2.0, rel=1e-5)


def test_class_frequency_margins():
    margins = losses.class_frequency_margins([5000] * 10)
    torch.testing.assert_close(margins, torch.full((10,), 0.2))
    rare_first = losses.class_frequency_margins([10, 1000])
    assert rare_first[0] > rare_first[1]
    with pytest.raises(ValueError, match="class_counts must be > 0 for every class"):
        losses.class_frequency_margins([10, 0])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        losses.class_frequency_margins([])


def _slow_hem(logits, target, margins):
    """HEM written out sample by sample, each sample with the margin of its true class."""
    per_sample, in_error = [], 0
    for row, label in zip(logits.tolist(), target.tolist()):
        mu = float(margins[label])
        errors = [0.0 if j == label else max(0.0, z - row[label] + mu) for j, z in enumerate(row)]
        threshold = sum(errors) / len(errors)
        kept = [e for e in errors if e >= threshold and e > 0]
        value = sum(kept) / (1e-6 + len(kept))
        per_sample.append(value)
        in_error += value > 0
    return sum(per_sample) / (1e-6 + in_error)


def test_frequency_margins_option_matches_the_rule_sample_by_sample():
    counts = torch.tensor([500.0, 50.0, 5.0])
    generator = torch.Generator().manual_seed(3)
    logits, target = torch.randn(12, 3, generator=generator, dtype=torch.float64), torch.arange(12) % 3
    loss = losses.create_loss("hem", margins="frequency", class_counts=counts)
    expected = [(2000 / (3 * n)) ** 0.5 for n in counts.tolist()]
    torch.testing.assert_close(loss.margin, torch.tensor(expected), rtol=1e-6, atol=0)
    assert loss(logits, target).item() == pytest.approx(_slow_hem(logits, target, expected), rel=1e-5)
    assert losses.uses_class_counts("hem", {"margins": "frequency"}) and not losses.uses_class_counts("hem", {})
    assert losses.uses_class_counts("la", {})


@pytest.mark.parametrize("options, message", [
    ({"margins": "frequency"}, "margins='frequency' needs class_counts"),
    ({"margins": "frequency", "class_counts": [5, 5], "margin": 0.5}, "leave margin at its default"),
    ({"class_counts": [5, 5]}, "class_counts are used only with margins='frequency'"),
    ({"scale": 10.0}, "scale is used only with margins='frequency'"),
    ({"margins": "per_class"}, "margins must be one of fixed, frequency"),
    ({"margins": "frequency", "class_counts": [5, 0]}, "class_counts must be > 0"),
])
def test_frequency_margins_option_refuses_bad_combinations(options, message):
    with pytest.raises(ValueError, match=message):
        losses.create_loss("hem", **options)
