"""Your own loss: registration, options, module twin, ignore_index and reduction, identity, colour."""
from __future__ import annotations

import pytest
import torch

from hemlab import losses
from hemlab.anatomy import anatomy_losses, logit_gradients
from hemlab.losses import LOSSES, create_loss, loss_defaults, loss_info, register_loss
from hemlab.losses.registration import probe_loss
from hemlab.tasks.loss_labels import parse_loss_spec, sort_labels
from hemlab.tasks.spec import RunSpec
from hemlab.viz.palette import EXTRA_COLORS, HEM_COLOR, loss_colors


def squared_hinge(logits, target, margin: float = 1.0):
    """Per-position squared hinge over the rivals (no mean over classes): ``sum_j max(0, z_j - z_y + mu)^2``."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    errors = (logits - logits.gather(1, target[:, None]) + margin).clamp_min(0).scatter(1, target[:, None], 0.0)
    return errors.pow(2).sum(dim=1)


@pytest.fixture
def registered():
    """Register ``squared_hinge`` as ``sqtest`` for one test, and remove it afterwards."""
    register_loss("sqtest", squared_hinge, description="squared hinge for tests", reference="tests")
    yield loss_info("sqtest")
    LOSSES.remove("sqtest")


def test_a_registered_loss_is_a_loss_like_the_built_in_ones(registered):
    assert losses.available_losses()[-1] == "sqtest" and "sqtest" in losses.available_losses("segmentation")
    assert loss_defaults("sqtest") == {"margin": 1.0, "ignore_index": -100, "reduction": "mean"}
    assert registered.module == __name__ and registered.version.startswith("unversioned+")
    criterion = create_loss("sqtest", margin=0.5)
    logits = torch.tensor([[2.0, 1.5, 0.5], [0.0, 3.0, 0.0]], requires_grad=True)
    value = criterion(logits, torch.tensor([0, 1]))
    # sample 0: (1.5 - 2 + 0.5)^2 + 0 = 0; sample 1 is solved; try margin 1: 0.5^2 = 0.25 over 2 samples
    assert value.item() == 0.0
    assert abs(create_loss("sqtest")(logits, torch.tensor([0, 1])).item() - 0.125) < 1e-6
    assert "sqtest" in repr(criterion) and "margin=0.5" in repr(criterion)
    with pytest.raises(ValueError, match=r"sqtest': expected options from \['margin', 'ignore_index', 'reduction'\]"):
        create_loss("sqtest", gamma=2)
    assert "sqtest" in anatomy_losses()
    table = logit_gradients([1.0, 1.5, 0.8], 0, margin=1.0, loss_names=("sqtest",))
    assert table.set_index("class")["gradient"].round(5).tolist() == [-(3.0 + 1.6), 3.0, 1.6]


def test_the_decorator_form_returns_the_function_and_names_the_options():
    @register_loss("decorated", description="a decorated loss", outputs=("classification",))
    def decorated(logits, target, *, scale: float = 2.0):
        return scale * torch.nn.functional.cross_entropy(logits, target, reduction="none")

    try:
        assert decorated.__name__ == "decorated" and loss_info("decorated").outputs == ("classification",)
        assert "decorated" not in losses.available_losses("segmentation")
        assert parse_loss_spec("decorated:scale=3") == ("decorated", (("scale", 3.0),))
        logits, target = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
        expected = 3 * torch.nn.functional.cross_entropy(logits, target)
        assert torch.allclose(create_loss("decorated", scale=3.0)(logits, target), expected)
    finally:
        LOSSES.remove("decorated")


def test_ignored_positions_are_removed_and_reductions_applied_by_hemlab(registered):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 2, 2, generator=generator)
    target = torch.randint(0, 3, (2, 2, 2), generator=generator)
    target[0, 0, 0] = target[1, 1, 1] = -100
    per_pixel = create_loss("sqtest", reduction="none")(logits, target)
    flat_logits, flat_target = logits.movedim(1, -1).reshape(-1, 3), target.reshape(-1)
    keep = flat_target != -100
    expected = torch.zeros(8)
    expected[keep] = squared_hinge(flat_logits[keep], flat_target[keep])
    assert per_pixel.shape == target.shape and torch.allclose(per_pixel.reshape(-1), expected)
    assert torch.allclose(create_loss("sqtest", reduction="sum")(logits, target), expected.sum())
    assert torch.allclose(create_loss("sqtest")(logits, target), expected.sum() / 6)
    everything_ignored = torch.full_like(target, -100)
    zero = create_loss("sqtest")(logits.requires_grad_(True), everything_ignored)
    zero.backward()
    assert zero.item() == 0.0 and logits.grad.abs().sum() == 0


def test_a_scalar_loss_is_the_mean_and_refuses_other_reductions():
    register_loss("meanonly", lambda logits, target: torch.nn.functional.cross_entropy(logits, target),
                  description="returns a scalar")
    try:
        logits, target = torch.randn(5, 4), torch.tensor([0, 1, 2, 3, -100])
        expected = torch.nn.functional.cross_entropy(logits[:4], target[:4])
        assert torch.allclose(create_loss("meanonly")(logits, target), expected)
        with pytest.raises(ValueError, match="returns a scalar .* reduction must be 'mean', got 'sum'"):
            create_loss("meanonly", reduction="sum")(logits, target)
    finally:
        LOSSES.remove("meanonly")


def test_a_loss_that_declares_ignore_index_and_reduction_gets_the_raw_input():
    seen = {}

    def own(logits, target, ignore_index: int = -100, reduction: str = "mean"):
        seen.update(shape=tuple(logits.shape), ignore_index=ignore_index, reduction=reduction)
        return torch.nn.functional.cross_entropy(logits, target, ignore_index=ignore_index, reduction=reduction)

    register_loss("ownreduce", own, description="handles both itself")
    try:
        create_loss("ownreduce", reduction="sum", ignore_index=7)(torch.randn(2, 3, 4, 4), torch.zeros(2, 4, 4).long())
        assert seen == {"shape": (2, 3, 4, 4), "ignore_index": 7, "reduction": "sum"}
        with pytest.raises(ValueError, match=r"declares \['reduction'\] but not \['ignore_index'\]"):
            register_loss("half", lambda logits, target, reduction="mean": logits.sum(), description="half")
    finally:
        LOSSES.remove("ownreduce")


@pytest.mark.parametrize("name, kwargs, message", [
    ("hem", {}, "'hem' is built into hemlab and cannot be replaced"),
    ("Bad:Name", {}, "name: expected a lower-case identifier"),
    ("nodesc", {"description": " "}, "description: expected a one-line description"),
    ("badout", {"outputs": ("regression",)}, r"outputs: expected a non-empty subset of \['classification'"),
])
def test_bad_registrations_name_what_is_expected(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        register_loss(name, squared_hinge, **{"description": "a loss", **kwargs})
    with pytest.raises(ValueError, match="must name its options as keyword parameters"):
        register_loss("varkw", lambda logits, target, **options: logits.sum(), description="x")
    with pytest.raises(ValueError, match=r"must take \(logits, target, \*\*options\)"):
        register_loss("onearg", lambda logits: logits.sum(), description="x")


def test_a_second_registration_needs_replace_and_built_in_names_never_change(registered):
    with pytest.raises(ValueError, match="'sqtest' is already registered; pass replace=True"):
        register_loss("sqtest", squared_hinge, description="again")
    register_loss("sqtest", squared_hinge, description="again", replace=True)
    assert loss_info("sqtest").description == "again"
    with pytest.raises(ValueError, match="built into hemlab"):
        register_loss("ce", squared_hinge, description="x", replace=True)
    with pytest.raises(ValueError, match="cannot be removed"):
        LOSSES.remove("ce")
    assert loss_info("ce").module == "" and loss_info("hem").builder is losses.HEMLoss


def test_the_tiny_build_refuses_bad_option_values(registered):
    with pytest.raises(ValueError, match="margin must be >= 0"):
        probe_loss(registered, "segmentation", {"margin": -1.0})
    with pytest.raises(ValueError, match="hem_loss: margin must be >= 0"):
        probe_loss(loss_info("hem"), "classification", {"margin": -1.0})
    probe_loss(loss_info("la"), "classification", {"tau": 2.0})
    with pytest.raises(ValueError, match=r"la:tau expected a number \(default 1.0\), got 'abc'"):
        parse_loss_spec("la:tau=abc")


def test_the_run_identity_follows_the_function_source(registered):
    spec = RunSpec("ood", "digits", "mlp", "sqtest", seed=0)
    first = spec.run_id

    def squared_hinge_edited(logits, target, margin: float = 1.0):
        return squared_hinge(logits, target, margin) * 2

    register_loss("sqtest", squared_hinge_edited, description="edited", replace=True)
    assert RunSpec("ood", "digits", "mlp", "sqtest", seed=0).run_id != first


def test_a_registered_loss_gets_a_fixed_colour_of_its_own(registered):
    colors = loss_colors(["ce", "hem", "sqtest", "sqtest:margin=0.5"])
    assert colors["hem"] == HEM_COLOR and colors["sqtest"] in EXTRA_COLORS
    assert colors["sqtest"] == loss_colors(["sqtest"])["sqtest"]
    assert colors["sqtest"] not in {colors["ce"], colors["hem"]} and colors["sqtest:margin=0.5"] != colors["sqtest"]
    assert sort_labels(["sqtest", "hem", "ce"]) == ["ce", "hem", "sqtest"]
