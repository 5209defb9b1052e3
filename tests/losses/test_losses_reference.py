"""Every loss against a slow, obvious reference written here with Python loops and floats.

Device from ``HEMLAB_TEST_DEVICE`` (default cpu), logits dtype from ``HEMLAB_TEST_DTYPE``
(default float64; float32 compares with looser tolerances). gradcheck always runs in float64.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from hemlab import losses

EPS = 1e-6
IGNORE = -100


# ---------------------------------------------------------------- slow references
def rows(logits: torch.Tensor, target: torch.Tensor):
    """(logit row, target) pairs of every position, as Python floats and ints."""
    num_classes = logits.shape[1]
    flat_logits = logits.detach().double().movedim(1, -1).reshape(-1, num_classes).cpu().tolist()
    return list(zip(flat_logits, target.reshape(-1).cpu().tolist()))


def ref_hinge(row, y, margin):
    return [0.0 if j == y else max(0.0, row[j] - row[y] + margin) for j in range(len(row))]


def ref_log_softmax(row):
    top = max(row)
    log_total = top + math.log(sum(math.exp(v - top) for v in row))
    return [v - log_total for v in row]


def ref_cross_entropy_row(row, y):
    return -ref_log_softmax(row)[y]


def positionwise(row_loss, logits, target, reduction):
    """Apply ``row_loss(row, y)`` to every valid position; reduce as the CE family and MM do."""
    per_position, valid = [], []
    for row, y in rows(logits, target):
        valid.append(y != IGNORE)
        per_position.append(0.0 if y == IGNORE else row_loss(row, y))
    if reduction == "none":
        return per_position
    total = sum(per_position)
    if reduction == "sum":
        return total
    return total / max(1, sum(valid))


def ref_hem(logits, target, margin=1.0, reduction="mean"):
    def row_loss(row, y):
        errors = ref_hinge(row, y, margin[y] if isinstance(margin, list) else margin)
        threshold = sum(errors) / len(errors)
        kept = [e for e in errors if e >= threshold]
        return sum(kept) / (EPS + sum(1 for e in kept if e > 0))

    per_position = positionwise(row_loss, logits, target, "none")
    if reduction == "none":
        return per_position
    if reduction == "sum":
        return sum(per_position)
    return sum(per_position) / (EPS + sum(1 for value in per_position if value > 0))


def ref_mm(logits, target, margin=1.0, p=1, reduction="mean"):
    def row_loss(row, y):
        errors = ref_hinge(row, y, margin[y] if isinstance(margin, list) else margin)
        return sum(e**p for e in errors) / len(row)

    return positionwise(row_loss, logits, target, reduction)


def ref_ce_family(transform):
    def reference(logits, target, reduction="mean"):
        return positionwise(lambda row, y: ref_cross_entropy_row(transform(row), y), logits, target, reduction)

    return reference


def ref_logitnorm(tau):
    def transform(row):
        norm = math.sqrt(sum(v * v for v in row))
        return [v / (tau * (norm + 1e-7)) for v in row]

    return ref_ce_family(transform)


def ref_logit_adjusted(class_counts, tau):
    def transform(row):
        counts = class_counts[: len(row)]
        return [v + tau * math.log(n / sum(counts)) for v, n in zip(row, counts)]

    return ref_ce_family(transform)


def ref_focal(gamma):
    def row_loss(row, y):
        log_p = ref_log_softmax(row)[y]
        return -((1.0 - math.exp(log_p)) ** gamma) * log_p

    return lambda logits, target, reduction="mean": positionwise(row_loss, logits, target, reduction)


def ref_dice(logits, target, smooth=1.0):
    num_classes = logits.shape[1]
    intersection = [0.0] * num_classes
    predicted = [0.0] * num_classes
    actual = [0.0] * num_classes
    for row, y in rows(logits, target):
        if y == IGNORE:
            continue
        probabilities = [math.exp(v) for v in ref_log_softmax(row)]
        for c in range(num_classes):
            predicted[c] += probabilities[c]
            if c == y:
                intersection[c] += probabilities[c]
                actual[c] += 1.0
    dice = [(2 * intersection[c] + smooth) / (predicted[c] + actual[c] + smooth) for c in range(num_classes)]
    return 1.0 - sum(dice) / num_classes


# ---------------------------------------------------------------- inputs
def make_inputs(shape, device, ignore_fraction=0.0, seed=0, scale=2.0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    logits = (scale * torch.randn(*shape, generator=generator, dtype=torch.float64)).to(device=device, dtype=dtype)
    target = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=generator)
    if ignore_fraction:
        drop = torch.rand(target.shape, generator=generator) < ignore_fraction
        target[drop] = IGNORE
    return logits.requires_grad_(), target.to(device)


SHAPES = [(17, 5), (6, 4, 3, 5), (2, 3, 4, 2, 3)]
TOLERANCES = {torch.float64: (1e-10, 1e-12), torch.float32: (1e-5, 1e-6)}


def tolerance(dtype):
    """(rtol, atol) for comparing a loss computed in ``dtype`` with the float64 reference."""
    return TOLERANCES[dtype]
COUNTS = [10.0, 3.0, 7.0, 1.0, 5.0]


def cases():
    """(id, hemlab call, reference) for every loss and hyper-parameter we check."""
    return [
        ("ce", lambda z, y, r: losses.cross_entropy_loss(z, y, reduction=r), ref_ce_family(lambda row: row)),
        ("mm", lambda z, y, r: losses.multi_margin_loss(z, y, reduction=r), lambda z, y, r: ref_mm(z, y, reduction=r)),
        ("mm-p2-m0.5", lambda z, y, r: losses.multi_margin_loss(z, y, 0.5, p=2, reduction=r),
         lambda z, y, r: ref_mm(z, y, 0.5, p=2, reduction=r)),
        ("hem", lambda z, y, r: losses.hem_loss(z, y, reduction=r), lambda z, y, r: ref_hem(z, y, reduction=r)),
        ("hem-m0.3", lambda z, y, r: losses.hem_loss(z, y, 0.3, reduction=r), lambda z, y, r: ref_hem(z, y, 0.3, reduction=r)),
        ("logitnorm", lambda z, y, r: losses.logitnorm_loss(z, y, reduction=r), ref_logitnorm(0.04)),
        ("logitnorm-tau1", lambda z, y, r: losses.logitnorm_loss(z, y, 1.0, reduction=r), ref_logitnorm(1.0)),
        ("la", lambda z, y, r: losses.logit_adjusted_loss(z, y, COUNTS[: z.shape[1]], reduction=r),
         ref_logit_adjusted(COUNTS, 1.0)),
        ("la-tau0.5", lambda z, y, r: losses.logit_adjusted_loss(z, y, COUNTS[: z.shape[1]], 0.5, reduction=r),
         ref_logit_adjusted(COUNTS, 0.5)),
        ("focal", lambda z, y, r: losses.focal_loss(z, y, reduction=r), ref_focal(2.0)),
        ("focal-g0.5", lambda z, y, r: losses.focal_loss(z, y, 0.5, reduction=r), ref_focal(0.5)),
    ]


CASES = cases()


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,call,reference", CASES, ids=[case[0] for case in CASES])
def test_matches_reference(name, call, reference, reduction, shape, device, dtype):
    logits, target = make_inputs(shape, device, ignore_fraction=0.2, dtype=dtype)
    rtol, atol = tolerance(dtype)
    got = call(logits, target, reduction)
    expected = reference(logits, target, reduction)
    if reduction == "none":
        assert got.shape == target.shape
        expected = torch.tensor(expected, dtype=torch.float64).reshape(target.shape)
        torch.testing.assert_close(got.cpu().double(), expected, rtol=rtol, atol=atol)
    else:
        assert got.ndim == 0 and got.dtype == dtype
        assert got.item() == pytest.approx(expected, rel=rtol, abs=atol)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("smooth", [1.0, 0.0])
def test_dice_matches_reference(shape, smooth, device, dtype):
    logits, target = make_inputs(shape, device, ignore_fraction=0.2, dtype=dtype)
    rtol, atol = tolerance(dtype)
    got = losses.dice_loss(logits, target, smooth=smooth)
    assert got.item() == pytest.approx(ref_dice(logits, target, smooth), rel=rtol, abs=atol)


PER_CLASS_MARGIN = [0.2, 1.0, 0.0, 2.5, 0.7]


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_per_class_margins_match_reference(reduction, device, dtype):
    logits, target = make_inputs((40, 5), device, ignore_fraction=0.1, dtype=dtype)
    rtol, atol = tolerance(dtype)
    margin = torch.tensor(PER_CLASS_MARGIN, dtype=torch.float64, device=device)
    for function, reference in ((losses.hem_loss, ref_hem), (losses.multi_margin_loss, ref_mm)):
        got = function(logits, target, margin, reduction=reduction)
        expected = torch.tensor(reference(logits, target, PER_CLASS_MARGIN, reduction=reduction), dtype=torch.float64)
        torch.testing.assert_close(got.cpu().double(), expected.reshape(got.shape), rtol=rtol, atol=atol)


def test_multi_margin_equals_torch_on_2d(device):
    logits, target = make_inputs((64, 7), device)
    for p in (1, 2):
        for margin in (1.0, 0.25, 3.0):
            ours = losses.multi_margin_loss(logits, target, margin, p=p)
            theirs = F.multi_margin_loss(logits, target, p=p, margin=margin)
            torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
            grad_ours, = torch.autograd.grad(ours, logits)
            grad_theirs, = torch.autograd.grad(theirs, logits)
            torch.testing.assert_close(grad_ours, grad_theirs, rtol=1e-12, atol=1e-12)


def test_cross_entropy_equals_torch(device):
    logits, target = make_inputs((3, 6, 5, 4), device, ignore_fraction=0.3)
    torch.testing.assert_close(losses.cross_entropy_loss(logits, target), F.cross_entropy(logits, target))


GRAD_CASES = [case for case in CASES] + [
    ("hem-per-class", lambda z, y, r: losses.hem_loss(z, y, torch.tensor(PER_CLASS_MARGIN, dtype=torch.float64, device=z.device), reduction=r), None),
    ("dice", lambda z, y, r: losses.dice_loss(z, y), None),
]


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name,call,reference", GRAD_CASES, ids=[case[0] for case in GRAD_CASES])
def test_gradcheck(name, call, reference, reduction, device):
    logits, target = make_inputs((7, 5, 3), device, ignore_fraction=0.15, seed=3)
    assert torch.autograd.gradcheck(lambda z: call(z, target, reduction), (logits,), eps=1e-6, atol=1e-7)


def hem_by_composition(logits, target, margin=1.0):
    """HEM written as plain differentiable torch ops (2-D), a second, independent gradient path."""
    index = target.unsqueeze(1)
    errors = (logits - logits.gather(1, index) + margin).clamp_min(0).scatter(1, index, 0.0)
    threshold = errors.detach().mean(dim=1, keepdim=True)
    kept = torch.where(errors >= threshold, errors, torch.zeros_like(errors))
    count = (kept.detach() > 0).sum(dim=1, dtype=logits.dtype)
    per_sample = kept.sum(dim=1) / (EPS + count)
    return per_sample.sum() / (EPS + (per_sample.detach() > 0).sum(dtype=logits.dtype))


def test_hem_gradient_equals_composition(device):
    logits, target = make_inputs((256, 10), device, seed=5)
    analytic, = torch.autograd.grad(losses.hem_loss(logits, target), logits)
    composed, = torch.autograd.grad(hem_by_composition(logits, target), logits)
    torch.testing.assert_close(analytic, composed, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name,call,reference", CASES, ids=[case[0] for case in CASES])
def test_dense_equals_flattened(name, call, reference, device, dtype):
    logits, target = make_inputs((3, 5, 4, 6), device, ignore_fraction=0.2, seed=7, dtype=dtype)
    flat_logits = logits.movedim(1, -1).reshape(-1, 5)
    flat_target = target.reshape(-1)
    for reduction in ("mean", "sum"):
        torch.testing.assert_close(call(logits, target, reduction), call(flat_logits, flat_target, reduction))
    torch.testing.assert_close(call(logits, target, "none").reshape(-1), call(flat_logits, flat_target, "none"))
