"""The public contract of every loss: shapes, reductions, ignore_index, bad input, dtypes, registry."""
from __future__ import annotations

import pytest
import torch

from hemlab import losses

NAMES = losses.available_losses()
COUNTS = [5.0, 1.0, 3.0, 2.0]


def build(name, **kwargs):
    if name == "la":
        kwargs.setdefault("class_counts", COUNTS)
    return losses.create_loss(name, **kwargs)


def inputs(shape=(8, 4), device="cpu", dtype=torch.float32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(*shape, generator=generator).to(device=device, dtype=dtype).requires_grad_()
    target = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=generator).to(device)
    return logits, target


def test_registry_names_and_records():
    assert NAMES == ["ce", "mm", "hem", "logitnorm", "la", "dice", "focal"]
    for name in NAMES:
        info = losses.loss_info(name)
        assert info.name == name and info.title and info.description
        assert callable(info.function) and issubclass(info.builder, torch.nn.Module)
        assert set(info.outputs) <= set(losses.OUTPUTS)
        assert set(losses.loss_defaults(name)) | set(info.required) == set(losses.accepted_arguments(name))
        for key, value in losses.loss_defaults(name).items():
            assert getattr(build(name), key) == value


def test_defaults_come_from_the_module_signature():
    assert losses.loss_defaults("hem") == {"margin": 1.0, "margins": "fixed", "class_counts": None, "scale": 2000.0,
                                           "ignore_index": -100, "reduction": "mean"}
    assert losses.loss_defaults("mm") == {"margin": 1.0, "p": 1, "ignore_index": -100, "reduction": "mean"}
    assert losses.loss_defaults("dice") == {"smooth": 1.0, "ignore_index": -100}
    assert losses.loss_info("la").required == ["class_counts"]
    assert losses.loss_defaults("la") == {"tau": 1.0, "ignore_index": -100, "reduction": "mean"}


def test_records_say_which_outputs_they_support():
    assert losses.available_losses() == NAMES
    assert losses.available_losses("segmentation") == NAMES
    assert losses.available_losses("classification") == [name for name in NAMES if name != "dice"]
    assert losses.loss_info("dice").outputs == ("segmentation",)
    assert not hasattr(losses, "ALL_TASKS") and not hasattr(losses.loss_info("ce"), "tasks")
    with pytest.raises(ValueError, match=r"output: expected one of \['classification', 'segmentation'\], got 'ood'"):
        losses.available_losses("ood")


FORMULAS = {
    "ce": "logsumexp_j z_j - z_y",
    "mm": "sum_{j != y} max(0, z_j - z_y + mu) ** p",
    "hem": "L   = sum_{j in K} e_j / (1e-6 + |K|)",
    "logitnorm": "CE(z / (tau * (||z||_2 + 1e-7)), y)",
    "la": "CE(z + tau * log(pi), y)",
    "dice": "(2 sum p_c g_c + s) / (sum p_c + sum g_c + s)",
    "focal": "-(1 - p_y) ** gamma * log p_y",
}


@pytest.mark.parametrize("name", NAMES)
def test_help_on_every_functional_loss_shows_its_formula(name):
    assert FORMULAS[name] in losses.loss_info(name).function.__doc__


def test_mm_is_credited_to_weston_and_watkins():
    assert "Weston & Watkins" in losses.loss_info("mm").reference
    assert "Crammer" not in losses.loss_info("mm").reference


def test_create_loss_errors_list_what_is_allowed():
    with pytest.raises(ValueError, match=r"^loss: expected one of \['ce', 'mm', 'hem', .*\], got 'xent'$"):
        losses.create_loss("xent")
    with pytest.raises(ValueError, match=r"^loss 'hem': expected options from \['margin', 'margins', 'class_counts', 'scale', 'ignore_index', "
                                             r"'reduction'\], "
                                         r"got unknown \['tau'\]$"):
        losses.create_loss("hem", tau=1.0)
    with pytest.raises(ValueError, match=r"^loss 'la': expected a value for \['class_counts'\] \(required\)"):
        losses.create_loss("la")


def test_bad_class_counts_fail_at_construction():
    with pytest.raises(ValueError, match="class_counts must be > 0 for every class"):
        losses.create_loss("la", class_counts=[0, 1, 2])
    with pytest.raises(ValueError, match="class_counts must be finite"):
        losses.create_loss("la", class_counts=[1.0, float("nan")])
    with pytest.raises(ValueError, match="class_counts must be a non-empty 1-D sequence"):
        losses.create_loss("la", class_counts=[[1, 2]])


@pytest.mark.parametrize("name", NAMES)
def test_module_equals_functional(name, device):
    logits, target = inputs((6, 4, 3), device)
    module = build(name).to(device)
    info = losses.loss_info(name)
    args = (COUNTS,) if name == "la" else ()
    torch.testing.assert_close(module(logits, target), info.function(logits, target, *args))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "dice"])
def test_reduction_none_shape_and_ignored_zero(name, device):
    logits, target = inputs((5, 4, 3, 2), device)
    target[0] = -100
    values = build(name, reduction="none")(logits, target)
    assert values.shape == target.shape
    assert torch.all(values[0] == 0)
    total = build(name, reduction="sum")(logits, target)
    torch.testing.assert_close(total, values.sum())


@pytest.mark.parametrize("name", NAMES)
def test_ignored_positions_take_no_part(name, device):
    logits, target = inputs((10, 4), device)
    target[::3] = 7 if name == "never" else -100
    kept = target != -100
    loss = build(name)(logits, target)
    torch.testing.assert_close(loss, build(name)(logits[kept], target[kept]))
    loss.backward()
    assert torch.all(logits.grad[~kept] == 0)


@pytest.mark.parametrize("name", NAMES)
def test_custom_ignore_index_inside_class_range(name, device):
    logits, target = inputs((12, 4), device)
    loss = build(name, ignore_index=2)(logits, target)
    kept = target != 2
    torch.testing.assert_close(loss, build(name)(logits[kept], target[kept]))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["empty", "all-ignored"])
def test_empty_and_all_ignored_give_zero_that_backpropagates(name, case, device):
    if case == "empty":
        logits, target = inputs((0, 4), device)
    else:
        logits, target = inputs((6, 4, 2), device)
        target.fill_(-100)
    loss = build(name)(logits, target)
    assert loss.ndim == 0 and loss.item() == 0.0
    loss.backward()
    assert logits.grad is not None and torch.all(logits.grad == 0)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(8, 4), (2, 4, 3, 3)])
def test_off_the_cpu_no_loss_reads_a_value_on_the_host(name, shape):
    # On the meta device any host read (.item(), bool(), int()) raises, so a loss that runs
    # there forward and backward never synchronises with its device, as on CUDA.
    with pytest.raises(RuntimeError):
        torch.zeros((), device="meta").item()
    logits = torch.randn(*shape, device="meta", requires_grad=True)
    target = torch.randint(0, 4, (shape[0], *shape[2:]), device="meta")
    loss = build(name).to("meta")(logits, target)
    loss.backward()
    assert loss.shape == () and logits.grad.shape == logits.shape


@pytest.mark.cuda
@pytest.mark.parametrize("name", NAMES)
def test_a_cuda_step_does_not_synchronise(name, device):
    logits, target = inputs((16, 4, 3), device)
    criterion = build(name).to(device)
    criterion(logits, target).backward()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        criterion(logits, target).backward()
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_huge_logits_stay_finite(name, dtype, device):
    logits = torch.tensor([[1e30, -1e30, 0.0, 5.0], [-1e30, 1e30, 1e30, 0.0], [3.0, 1.0, 2.0, 1e30]],
                          dtype=dtype, device=device, requires_grad=True)
    target = torch.tensor([0, 2, 1], device=device)
    loss = build(name)(logits, target)
    loss.backward()
    assert torch.isfinite(loss), loss
    assert torch.isfinite(logits.grad).all(), logits.grad


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_matches_float32(name, dtype, device):
    logits, target = inputs((64, 4, 3), device)
    half = logits.detach().to(dtype).requires_grad_()
    reference = build(name)(half.detach().float(), target)
    loss = build(name)(half, target)
    loss.backward()
    assert loss.dtype == dtype and half.grad.dtype == dtype
    assert torch.isfinite(half.grad.float()).all()
    torch.testing.assert_close(loss.float(), reference, rtol=2e-2, atol=2e-2)


BAD_INPUTS = [
    ("logits", lambda: (torch.randn(5), torch.zeros(5, dtype=torch.long)), ValueError, r"logits must have shape \(N, C\)"),
    ("ndim", lambda: (torch.randn(5, 3), torch.zeros(5, 2, dtype=torch.long)), ValueError, "one dimension fewer"),
    ("batch", lambda: (torch.randn(5, 3), torch.zeros(4, dtype=torch.long)), ValueError, "batch size 4 does not match logits batch size 5"),
    ("spatial", lambda: (torch.randn(2, 3, 4, 4), torch.zeros(2, 4, 5, dtype=torch.long)), ValueError, r"spatial shape \(4, 5\)"),
    ("float target", lambda: (torch.randn(5, 3), torch.zeros(5)), TypeError, "integer class indices"),
    ("bool target", lambda: (torch.randn(5, 3), torch.zeros(5, dtype=torch.bool)), TypeError, "integer class indices"),
    ("int logits", lambda: (torch.zeros(5, 3, dtype=torch.long), torch.zeros(5, dtype=torch.long)), TypeError, "floating-point"),
    ("too big", lambda: (torch.randn(5, 4), torch.tensor([0, 1, 2, 4, 0])), ValueError, r"\[0, 4\).*found \[4\]"),
    ("negative", lambda: (torch.randn(5, 4), torch.tensor([0, -1, 2, 1, 0])), ValueError, r"found \[-1\]"),
    ("not tensor", lambda: ([[0.0, 1.0]], torch.tensor([0])), TypeError, "logits must be a torch.Tensor"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case,make,error,message", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_fails_loudly(name, case, make, error, message):
    logits, target = make()
    with pytest.raises(error, match=message):
        build(name)(logits, target)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "dice"])
def test_unknown_reduction(name):
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        build(name, reduction="avg")
    logits, target = inputs()
    function = losses.loss_info(name).function
    args = (COUNTS,) if name == "la" else ()
    with pytest.raises(ValueError, match="reduction must be one of"):
        function(logits, target, *args, reduction="avg")


@pytest.mark.parametrize("function", [losses.hem_loss, losses.multi_margin_loss])
def test_margin_validation(function):
    logits, target = inputs()
    with pytest.raises(ValueError, match=r"margin must be a 1-D tensor of length C=4, got shape \(3,\)"):
        function(logits, target, torch.ones(3))
    with pytest.raises(ValueError, match="margin must be >= 0"):
        function(logits, target, -0.5)
    with pytest.raises(ValueError, match="margin must be finite"):
        function(logits, target, float("nan"))
    with pytest.raises(TypeError, match="margin must be a number"):
        function(logits, target, "1")


def test_hyper_parameter_validation():
    logits, target = inputs()
    with pytest.raises(ValueError, match="tau must be > 0"):
        losses.logitnorm_loss(logits, target, tau=0.0)
    with pytest.raises(ValueError, match="class_counts must be > 0"):
        losses.logit_adjusted_loss(logits, target, [1.0, 0.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="class_counts must be a 1-D tensor of length C=4"):
        losses.logit_adjusted_loss(logits, target, [1.0, 2.0])
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        losses.focal_loss(logits, target, gamma=-1.0)
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        losses.multi_margin_loss(logits, target, p=3)
    with pytest.raises(ValueError, match="smooth must be >= 0"):
        losses.dice_loss(logits, target, smooth=-1.0)


def test_per_class_margin_buffer_moves_with_module(device):
    module = losses.HEMLoss(margin=torch.tensor([0.1, 0.2, 0.3, 0.4])).to(device)
    assert "margin" in dict(module.named_buffers())
    assert module.margin.device.type == torch.device(device).type
    assert "per-class" in repr(module)
    logits, target = inputs(device=device)
    torch.testing.assert_close(module(logits, target), losses.hem_loss(logits, target, [0.1, 0.2, 0.3, 0.4]))


def test_focal_with_gamma_zero_is_cross_entropy(device):
    logits, target = inputs((16, 5, 3), device)
    torch.testing.assert_close(losses.focal_loss(logits, target, 0.0), losses.cross_entropy_loss(logits, target))


def test_logit_adjusted_with_tau_zero_is_cross_entropy(device):
    logits, target = inputs(device=device)
    torch.testing.assert_close(losses.logit_adjusted_loss(logits, target, COUNTS, 0.0),
                               losses.cross_entropy_loss(logits, target))


def test_dice_is_zero_for_a_perfect_confident_prediction(device):
    target = torch.randint(0, 3, (4, 6, 6), device=device)
    logits = 50.0 * torch.nn.functional.one_hot(target, 3).movedim(-1, 1).float()
    assert losses.dice_loss(logits, target, smooth=0.0).item() == pytest.approx(0.0, abs=1e-6)
