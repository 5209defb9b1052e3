"""ECE against a hand loop; margins and logit norms against direct formulas."""
from __future__ import annotations

import pytest
import torch

from hemlab.metrics import classification_margins, expected_calibration_error, logit_norms


def _ece_loop(logits: torch.Tensor, targets: torch.Tensor, n_bins: int) -> float:
    probabilities = logits.double().softmax(1)
    total = 0.0
    for bin_number in range(n_bins):
        low, high = bin_number / n_bins, (bin_number + 1) / n_bins
        members = [i for i in range(len(targets)) if low < probabilities[i].max() <= high]
        if not members:
            continue
        confidence = sum(float(probabilities[i].max()) for i in members) / len(members)
        correct = sum(int(probabilities[i].argmax() == targets[i]) for i in members) / len(members)
        total += len(members) / len(targets) * abs(correct - confidence)
    return total


@pytest.mark.parametrize("n_bins", [1, 5, 15])
def test_ece_matches_hand_loop(n_bins, device):
    logits = torch.randn(200, 4) * 4.0  # over-confident: about 0.9 mean confidence, 0.6 accuracy
    targets = torch.randint(0, 4, (200,))
    targets[:100] = logits[:100].argmax(1)
    result = expected_calibration_error(logits.to(device), targets.to(device), n_bins=n_bins)
    assert result == pytest.approx(_ece_loop(logits, targets, n_bins), abs=1e-12)
    assert result > 0.01


def test_ece_of_a_perfectly_calibrated_toy_is_zero():
    # two samples at confidence 0.5 (one right, one wrong) and two at 1.0-ish that are right
    logits = torch.tensor([[0.0, 0.0], [0.0, 0.0], [50.0, 0.0], [0.0, 50.0]])
    targets = torch.tensor([0, 1, 0, 1])
    assert expected_calibration_error(logits, targets, n_bins=10) == pytest.approx(0.0, abs=1e-12)


def test_ece_rejects_bad_bins():
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(torch.randn(3, 2), torch.tensor([0, 1, 0]), n_bins=0)


def test_margins_match_direct_formula(device):
    logits = torch.randn(6, 5, requires_grad=True)
    targets = torch.randint(0, 5, (6,))
    margins = classification_margins(logits.to(device), targets.to(device)).cpu()
    expected = [
        float(row[label]) - max(float(value) for j, value in enumerate(row) if j != label)
        for row, label in zip(logits.detach(), targets.tolist())
    ]
    torch.testing.assert_close(margins, torch.tensor(expected))
    assert ((margins > 0) == (logits.argmax(1) == targets)).all()
    margins.sum().backward()
    assert logits.grad is not None


def test_margins_dense_and_norms():
    logits = torch.randn(2, 3, 4, 5)
    targets = torch.randint(0, 3, (2, 4, 5))
    margins = classification_margins(logits, targets)
    assert margins.shape == (2, 4, 5)
    pixel, label = logits[1, :, 2, 3], int(targets[1, 2, 3])
    rivals = torch.cat([pixel[:label], pixel[label + 1:]])
    torch.testing.assert_close(margins[1, 2, 3], pixel[label] - rivals.max())
    norms = logit_norms(logits)
    assert norms.shape == (2, 4, 5)
    torch.testing.assert_close(norms[1, 2, 3], pixel.pow(2).sum().sqrt())


def test_margins_validate_inputs():
    with pytest.raises(ValueError, match="2 classes"):
        classification_margins(torch.randn(3, 1), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="targets"):
        classification_margins(torch.randn(3, 4), torch.tensor([0, 4, 1]))
