"""The loss-anatomy plots and the panel's callback without a browser, drawn from what
``hemlab.anatomy`` computes (its own tests are in tests/anatomy)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from hemlab.anatomy import anatomy_losses, logit_gradients, rival_sweep, train_toy_models, true_logit_pull
from hemlab.viz import (
    LossAnatomyPanel,
    parse_logits,
    plot_decision_regions,
    plot_logit_gradients,
    plot_rival_sweep,
    plot_true_logit_pull,
)
from hemlab.viz.anatomy import loss_color

LOGITS = [1.0, 1.5, 0.8, 0.2, -1.0]   # true class 0


@pytest.fixture(scope="module")
def toy():
    return train_toy_models(["ce", "hem"], margins=(0.5, 1.0), dataset="moons", n_samples=120,
                            hidden_sizes=(16,), epochs=15, batch_size=60, progress=False)


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
