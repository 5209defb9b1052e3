"""The toy models of the loss anatomy: one model per loss and margin, and the decision grid
of a model whose regions and margins are known (``hemlab.anatomy``)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from hemlab.anatomy import decision_grid, train_toy_models


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
