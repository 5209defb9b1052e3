"""The optimizers' multi-tensor update gives the weights the per-parameter loop gives, bit for bit."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.train import TrainConfig, create_optimizer


def _train_steps(model: nn.Module, optimizer: torch.optim.Optimizer, steps: int = 12) -> list[torch.Tensor]:
    """``steps`` clipped steps of the HEM loss on fixed random 8x8 images."""
    generator = torch.Generator().manual_seed(3)
    images = torch.rand(steps, 16, 1, 8, 8, generator=generator)
    targets = torch.randint(0, 10, (steps, 16), generator=generator)
    loss_fn = create_loss("hem")
    for inputs, labels in zip(images, targets):
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(inputs), labels).backward()
        nn.utils.clip_grad_norm_(list(model.parameters()), 1.0)
        optimizer.step()
    return [parameter.detach().clone() for parameter in model.parameters()]


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
@pytest.mark.parametrize("model_name", ["mlp", "digits_cnn"])
def test_foreach_update_equals_the_per_parameter_loop(optimizer, model_name):
    config = TrainConfig(epochs=1, optimizer=optimizer, lr=0.05, weight_decay=1e-3)
    ours = create_model(model_name, 10, in_channels=1, seed=0)
    theirs = create_model(model_name, 10, in_channels=1, seed=0)
    hemlab_optimizer = create_optimizer(ours.parameters(), config)
    assert hemlab_optimizer.defaults["foreach"] is True
    if optimizer == "sgd":
        loop = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3, foreach=False)
    else:
        loop = torch.optim.AdamW(theirs.parameters(), lr=0.05, weight_decay=1e-3, foreach=False)
    for mine, reference in zip(_train_steps(ours, hemlab_optimizer), _train_steps(theirs, loop)):
        assert torch.equal(mine, reference)
    assert not torch.equal(next(ours.parameters()), next(create_model(model_name, 10, in_channels=1, seed=0)
                                                          .parameters()))
