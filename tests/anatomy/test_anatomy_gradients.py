"""The loss-anatomy computations against hand-worked values and slow obvious references:
gradients per logit, the rival sweep and the pull on the true logits (``hemlab.anatomy``)."""
from __future__ import annotations

import pytest
import torch

from hemlab import losses
from hemlab.anatomy import anatomy_losses, logit_gradients, rival_sweep, true_logit_pull

LOGITS = [1.0, 1.5, 0.8, 0.2, -1.0]   # true class 0; hinge errors 0, 1.5, 0.8, 0.2, 0 at margin 1


def _gradient_of(table, name):
    return torch.tensor(table[table["loss"] == name].sort_values("class")["gradient"].tolist())


def test_anatomy_losses_are_the_registry_classification_losses_without_required_data():
    names = anatomy_losses()
    assert "hem" in names and "mm" in names and "ce" in names
    assert "dice" not in names and "la" not in names   # segmentation only; needs class_counts
    for name in names:
        assert "classification" in losses.loss_info(name).outputs
        losses.create_loss(name)


def test_logit_gradients_match_hand_worked_hem_and_mm():
    table = logit_gradients(LOGITS, 0, margin=1.0)
    # HEM: errors 1.5, 0.8, 0.2 have mean 0.5 over 5 classes, so 1.5 and 0.8 are kept.
    torch.testing.assert_close(_gradient_of(table, "hem"), torch.tensor([-1.0, 0.5, 0.5, 0.0, 0.0]),
                               atol=1e-5, rtol=0)
    # MM: every violator gets 1/C, the true logit minus their count over C.
    torch.testing.assert_close(_gradient_of(table, "mm"), torch.tensor([-0.6, 0.2, 0.2, 0.2, 0.0]),
                               atol=1e-12, rtol=0)
    hem_value = table.loc[table["loss"] == "hem", "loss_value"].iloc[0]
    assert hem_value == pytest.approx((1.5 + 0.8) / 2, abs=1e-5)
    assert table.loc[table["is_target"], "class"].unique().tolist() == [0]


def test_logit_gradients_of_ce_are_softmax_minus_one_hot():
    table = logit_gradients(LOGITS, 2, margin=1.0, loss_names=["ce"])
    probabilities = torch.softmax(torch.tensor(LOGITS, dtype=torch.float64), dim=0)
    expected = probabilities - torch.nn.functional.one_hot(torch.tensor(2), 5)
    torch.testing.assert_close(_gradient_of(table, "ce").double(), expected)


@pytest.mark.parametrize("name", ["hem", "mm", "ce", "focal"])
def test_gradients_sum_to_zero_over_classes(name):
    # These losses depend on the logits only through their differences z_j - z_y.
    table = logit_gradients(LOGITS, 1, margin=0.5, loss_names=[name])
    assert abs(float(_gradient_of(table, name).sum())) < 1e-6


def test_logit_gradients_reject_bad_input():
    with pytest.raises(ValueError, match="logits"):
        logit_gradients([1.0], 0)
    with pytest.raises(ValueError, match="target"):
        logit_gradients(LOGITS, 5)
    with pytest.raises(ValueError, match="loss_names"):
        logit_gradients(LOGITS, 0, loss_names=[])
    with pytest.raises(ValueError, match="loss: expected one of"):
        logit_gradients(LOGITS, 0, loss_names=["nope"])


def test_rival_sweep_is_flat_before_the_hinge_and_mm_rises_with_slope_one_over_c():
    values = torch.linspace(-2.0, 3.0, 51).tolist()
    sweep = rival_sweep(LOGITS, 0, rival=1, margin=1.0, loss_names=["hem", "mm", "ce"], values=values)
    for name in ("hem", "mm"):
        rows = sweep[(sweep["loss"] == name) & (sweep["rival_logit"] < -1e-9)]   # hinge at z_y - margin = 0
        assert rows["loss_value"].max() - rows["loss_value"].min() < 1e-9
    mm = sweep[(sweep["loss"] == "mm") & (sweep["rival_logit"] > 0.1)].sort_values("rival_logit")
    slopes = mm["loss_value"].diff().dropna() / mm["rival_logit"].diff().dropna()
    assert (slopes - 1 / 5).abs().max() < 1e-9
    ce = sweep[sweep["loss"] == "ce"].sort_values("rival_logit")["loss_value"]
    assert ce.is_monotonic_increasing and ce.min() > 0


def test_rival_sweep_agrees_with_logit_gradients_at_the_current_value():
    sweep = rival_sweep(LOGITS, 0, rival=1, margin=1.0, values=[1.5])
    table = logit_gradients(LOGITS, 0, margin=1.0)
    for name in ("hem", "mm", "ce"):
        swept = sweep.loc[sweep["loss"] == name, "loss_value"].iloc[0]
        assert swept == pytest.approx(table.loc[table["loss"] == name, "loss_value"].iloc[0])


def test_rival_sweep_rejects_the_target_as_rival():
    with pytest.raises(ValueError, match="rival"):
        rival_sweep(LOGITS, 0, rival=0)


def test_true_logit_pull_is_one_over_s_for_hem_and_one_over_bc_for_mm():
    batch_size, num_classes = 40, 5
    pull = true_logit_pull(batch_size, num_classes, margin=1.0, solved_fractions=[0.0, 0.5, 0.9])
    hem, mm = (pull[pull["loss"] == name].reset_index(drop=True) for name in ("hem", "mm"))
    in_error = batch_size * (1 - hem["solved_fraction"])
    assert ((hem["per_sample"] - 1 / in_error).abs() < 1e-5).all()
    assert ((hem["total"] - 1).abs() < 1e-4).all()
    assert ((mm["per_sample"] - 1 / (batch_size * num_classes)).abs() < 1e-12).all()
    assert mm["total"].tolist() == pytest.approx((in_error / (batch_size * num_classes)).tolist())


def test_true_logit_pull_rejects_a_fully_solved_batch():
    with pytest.raises(ValueError, match="solved_fractions"):
        true_logit_pull(solved_fractions=[1.0])
    with pytest.raises(ValueError, match="batch_size"):
        true_logit_pull(batch_size=1)
