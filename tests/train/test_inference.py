"""The one evaluation path: eval_mode, model_device, predict, and train's eval accuracy agreeing with it."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from hemlab import train as train_module
from hemlab.inference import Batches, eval_mode, model_device, predict, uses_channels_last
from hemlab.losses import create_loss
from hemlab.metrics import accuracy
from hemlab.models import create_model
from hemlab.train import train


class _Failing(nn.Module):
    """Dropout then a linear layer; raises on its ``fail_on_call``-th forward pass."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        super().__init__()
        self.dropout = nn.Dropout(0.5)
        self.linear = nn.Linear(64, 10)
        self.calls = 0
        self.fail_on_call = fail_on_call

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("forward failed")
        return self.linear(self.dropout(images.flatten(1)))


def test_eval_mode_restores_every_flag_also_on_error():
    model = _Failing().train()
    model.dropout.eval()  # a mixed state must come back exactly
    with eval_mode(model):
        assert not any(module.training for module in model.modules())
    assert model.training and model.linear.training and not model.dropout.training
    with pytest.raises(RuntimeError, match="boom"):
        with eval_mode(model):
            raise RuntimeError("boom")
    assert model.training and model.linear.training and not model.dropout.training


def test_predict_restores_the_mode_when_the_model_raises(digits):
    model = _Failing(fail_on_call=2).train()
    with pytest.raises(RuntimeError, match="forward failed"):
        predict(model, digits[1], batch_size=100)
    assert all(module.training for module in model.modules())


def test_model_device():
    assert model_device(nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(nn.ReLU()) == torch.device("cpu")


def test_predict_agrees_across_data_forms(digits, make_mlp, plain_dataset):
    _, test_set = digits
    model = make_mlp()
    model.train()
    logits, targets = predict(model, test_set, batch_size=100)
    assert model.training
    assert logits.shape == (450, 10) and logits.dtype == torch.float32 and torch.equal(targets, test_set.tensors[1])
    with torch.no_grad():
        assert torch.allclose(logits, model.eval()(test_set.tensors[0]), atol=1e-6)
    for other in (plain_dataset(test_set), DataLoader(test_set, batch_size=33)):
        other_logits, other_targets = predict(model, other)
        assert torch.allclose(other_logits, logits, atol=1e-6) and torch.equal(other_targets, targets)


def test_predict_checks_its_arguments(digits, make_mlp):
    with pytest.raises(ValueError, match="batch_size"):
        predict(make_mlp(), digits[1], batch_size=0)
    with pytest.raises(ValueError, match="amp_dtype: expected None or one of bfloat16, float16"):
        predict(make_mlp(), digits[1], amp_dtype="float8")
    with pytest.raises(ValueError, match="data: expected a Dataset or DataLoader"):
        predict(make_mlp(), digits[1].tensors)


@pytest.mark.parametrize("model_name", ["mlp", "digits_cnn"])
def test_history_eval_accuracy_is_the_accuracy_of_predict(model_name, digits, device):
    train_set, test_set = digits
    torch.manual_seed(0)
    model = create_model(model_name, 10, 1)
    history = train(model, create_loss("ce"), train_set, epochs=2, batch_size=64, eval_data=test_set,
                    device=device, progress=False)
    assert uses_channels_last(model) is (model_name == "digits_cnn")
    logits, targets = predict(model, test_set)
    assert accuracy(logits, targets) == history["eval_accuracy"].iloc[-1]


def test_predict_lays_inputs_out_as_the_model(digits):
    model = create_model("digits_cnn", 10, 1).to(memory_format=torch.channels_last)
    assert uses_channels_last(model) and not uses_channels_last(create_model("digits_cnn", 10, 1))
    images = digits[1].tensors[0][:4].expand(-1, 3, -1, -1)
    batches = Batches(torch.utils.data.TensorDataset(images, torch.zeros(4, dtype=torch.long)), 2,
                      torch.device("cpu"), channels_last=True)
    assert all(x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
               for x, _ in batches.epoch())


def test_train_reexports_predict():
    assert train_module.predict is predict
