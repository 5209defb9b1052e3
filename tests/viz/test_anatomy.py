"""The loss-anatomy computations against hand-worked values and slow obvious references,
and the panel's callback without a browser."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from hemlab import losses
from hemlab.viz import (
    LossAnatomyPanel,
    anatomy_losses,
    decision_grid,
    logit_gradients,
    parse_logits,
    plot_decision_regions,
    plot_logit_gradients,
    plot_rival_sweep,
    plot_true_logit_pull,
    rival_sweep,
    train_toy_models,
    true_logit_pull,
)
from hemlab.viz.anatomy import loss_color

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


def test_decision_grid_of_a_linear_model():
    model = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))   # z_0 - z_1 = 2 x
    xs, ys, predicted, logit_margin = decision_grid(model, (-1.0, 1.0, -1.0, 1.0), resolution=5)
    assert predicted.shape == logit_margin.shape == (5, 5)
    expected_class = (torch.tensor(xs) < 0).long().numpy()   # class 1 wins left of x = 0
    assert (predicted[:, xs != 0] == expected_class[xs != 0]).all()
    assert abs(logit_margin - 2 * abs(xs)[None, :]).max() < 1e-6


@pytest.fixture(scope="module")
def toy():
    return train_toy_models(["ce", "hem"], margins=(0.5, 1.0), dataset="moons", n_samples=120,
                            hidden_sizes=(16,), epochs=15, batch_size=60, progress=False)


def test_train_toy_models_trains_one_model_per_loss_and_margin(toy):
    assert set(toy.models) == {("ce", None), ("hem", 0.5), ("hem", 1.0)}
    assert all(0.5 <= value <= 1.0 for value in toy.accuracies.values())   # two moons are easy
    assert toy.key("hem", 0.8) == ("hem", 1.0) and toy.key("ce", 0.8) == ("ce", None)
    with pytest.raises(ValueError, match="no toy model"):
        toy.model("mm", 1.0)


def test_train_toy_models_rejects_negative_margins():
    with pytest.raises(ValueError, match="margins"):
        train_toy_models(["hem"], margins=(-1.0,))


def test_plots_draw_one_artist_per_loss_and_class(toy):
    table = logit_gradients(LOGITS, 0, margin=1.0)
    axis = plot_logit_gradients(table)
    assert len(axis.patches) >= 3 * 5 and [t.get_text() for t in axis.get_legend().get_texts()] == ["hem", "mm", "ce"]
    axis = plot_rival_sweep(rival_sweep(LOGITS, 0, 1), true_logit=1.0, margin=1.0, current=1.5)
    assert len(axis.get_lines()) == 3 + 3
    figure = plot_true_logit_pull(true_logit_pull(solved_fractions=[0.0, 0.5]))
    assert len(figure.axes) == 2 and all(len(a.get_lines()) == 3 for a in figure.axes)
    axis = plot_decision_regions(toy.model("hem", 1.0), toy.train_set, 1.0)
    assert axis.collections
    assert loss_color("hem") != loss_color("ce")
    with pytest.raises(ValueError, match="name"):
        loss_color("nope")
    plt.close("all")


def test_parse_logits():
    assert parse_logits("1, -2.5; 3").tolist() == [1.0, -2.5, 3.0]
    with pytest.raises(ValueError, match="logits"):
        parse_logits("1, x")
    with pytest.raises(ValueError, match="at least two"):
        parse_logits("1")


def test_panel_update_follows_the_widgets(toy):
    panel = LossAnatomyPanel(toy, loss="hem")
    assert [value for _, value in panel.loss.options] == anatomy_losses()
    first = panel.update()
    assert first.loss == "hem" and first.margin == 1.0 and first.loss_value == pytest.approx(1.15, abs=1e-5)
    assert "<b>hem</b>" in first.readout
    panel.margin.value = 0.5   # the observer redraws; update() returns what it drew
    second = panel.update()
    assert second.loss_value < first.loss_value and second.readout != first.readout
    assert second.png.startswith(b"\x89PNG") and panel.image.value == second.png != first.png
    panel.loss.value = "ce"
    third = panel.update()
    assert third.loss == "ce" and "no margin" in third.readout
    panel.logits.value = "0, 1, 2"
    assert panel.target.max == 2 and len(panel.update().gradients) == 3
    plt.close("all")


def test_panel_reports_bad_logits_in_its_readout(toy):
    panel = LossAnatomyPanel(toy)
    panel.logits.value = "1, oops"          # through the observer: no exception escapes
    assert "expected comma-separated numbers" in panel.readout.value
    with pytest.raises(ValueError, match="logits"):
        panel.update()
    with pytest.raises(ValueError, match="loss"):
        LossAnatomyPanel(toy, loss="dice")


def test_the_anatomy_plots_use_the_shared_palette():
    from matplotlib.colors import to_rgba

    from hemlab.viz import HEM_COLOR, loss_colors
    assert loss_color("hem") == pytest.approx(to_rgba(HEM_COLOR)[:3])
    assert all(loss_color(name) == pytest.approx(to_rgba(loss_colors([name])[name])[:3])
               for name in ("ce", "mm", "logitnorm", "focal"))
    axis = plot_rival_sweep(rival_sweep(LOGITS, 0, 1), true_logit=1.0, margin=1.0)
    (hem_line,) = [line for line in axis.get_lines() if line.get_label() == "hem"]
    assert to_rgba(hem_line.get_color()) == pytest.approx(to_rgba(HEM_COLOR))
    plt.close("all")


def test_decision_regions_without_a_margin_draw_no_band(toy):
    with_band = plot_decision_regions(toy.model("hem", 1.0), toy.train_set, 1.0)
    without = plot_decision_regions(toy.model("ce", 1.0), toy.train_set, None)
    assert len(without.collections) < len(with_band.collections)
    assert "no band" in without.get_title()
    panel = LossAnatomyPanel(toy, loss="ce")
    assert "no margin, no band" in panel.update().figure.axes[2].get_title()
    plt.close("all")


def test_training_curves_draw_each_loss_in_its_colour():
    import pandas as pd
    from matplotlib.colors import to_rgba

    from hemlab.viz import HEM_COLOR, loss_colors, plot_training_curves
    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "eval_accuracy": [0.5, 0.9]})
    figure = plot_training_curves({"ce": history, "hem": history})
    for axis in figure.axes:
        colors = {line.get_label(): to_rgba(line.get_color()) for line in axis.get_lines()}
        assert colors == {"ce": to_rgba(loss_colors(["ce"])["ce"]), "hem": to_rgba(HEM_COLOR)}
    plt.close(figure)
