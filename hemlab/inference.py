"""The one evaluation path: eval mode, device, batching, and logits over a dataset.

    logits, targets = predict(model, test_set)          # float32 logits, int64 targets
    hemlab.metrics.accuracy(logits, targets)

``train`` scores its ``eval_data`` after each epoch through :func:`batched_logits`, the
generator :func:`predict` concatenates, so the history's ``eval_accuracy`` equals the
accuracy of ``predict``'s logits. Both run in float32 unless ``amp_dtype`` is given, and
both lay out 4-D inputs as the model's weights are laid out (:func:`uses_channels_last`).

Data is a ``Dataset`` or a ``DataLoader``. Tensor-backed datasets (``TensorDataset`` and
subsets of one, as ``hemlab.data`` makes) are moved to the device once and batched by
indexing there, so no batch is copied from the host. Other datasets go through a
``DataLoader``; a given ``DataLoader`` is used as it is.
"""
from __future__ import annotations

import contextlib
import math
from typing import Iterator, Union

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from hemlab.checks import POSITIVE_INTEGER, Options, check
from hemlab.data.core import dataset_tensors, is_tensor_backed
from hemlab.runtime import resolve_device

Data = Union[Dataset, DataLoader]

AMP_DTYPES: dict[str, torch.dtype] = {"bfloat16": torch.bfloat16, "float16": torch.float16}
EVAL_BATCH_SIZE = 512


def check_data(name: str, data: object) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``data`` is a ``Dataset`` or ``DataLoader``."""
    if not isinstance(data, (Dataset, DataLoader)):
        raise ValueError(f"{name}: expected a Dataset or DataLoader, got {type(data).__name__}")


def model_device(model: nn.Module) -> torch.device:
    """The device of ``model``'s first parameter (CPU for a model without parameters)."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def uses_channels_last(model: nn.Module) -> bool:
    """True when some 4-D weight of ``model`` (a 2-D convolution) is stored ``channels_last``."""
    return any(parameter.ndim == 4 and not parameter.is_contiguous()
               and parameter.is_contiguous(memory_format=torch.channels_last)
               for parameter in model.parameters())


def to_channels_last(inputs: Tensor) -> Tensor:
    """4-D ``inputs`` ``(N, C, H, W)`` in ``channels_last`` memory order; other tensors unchanged."""
    return inputs.contiguous(memory_format=torch.channels_last) if inputs.ndim == 4 else inputs


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put every submodule of ``model`` in eval mode; afterwards restore each one's own
    training flag (a mixed state comes back exactly), also when the body raises."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def autocast(device: torch.device, amp_dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to ``amp_dtype`` on ``device``, or nothing when ``amp_dtype`` is None."""
    if amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=amp_dtype)


class Batches:
    """Batches of ``(inputs, targets)`` on ``device``, reshuffled per epoch when ``shuffle``.

    ``inputs`` as stored (``channels_last`` for 4-D inputs when asked), ``targets`` int64.
    The order of epoch ``e`` depends only on ``(seed, e)``.
    """

    def __init__(self, data: Data, batch_size: int, device: torch.device, *, shuffle: bool = False,
                 seed: int = 0, channels_last: bool = False, num_workers: int = 0) -> None:
        self.batch_size, self.device, self.shuffle, self.seed = batch_size, device, shuffle, seed
        self.channels_last, self.num_workers = channels_last, num_workers
        self.data, self.inputs, self.targets = data, None, None
        if isinstance(data, DataLoader):
            self.num_batches = len(data)
        else:
            if len(data) == 0:
                raise ValueError("data: the dataset is empty")
            self.num_batches = math.ceil(len(data) / batch_size)
            if is_tensor_backed(data):
                inputs, targets = dataset_tensors(data)
                self.inputs = self._format(inputs.to(device, non_blocking=True))
                self.targets = targets.to(device, torch.long, non_blocking=True)

    def __len__(self) -> int:
        return self.num_batches

    def _format(self, inputs: Tensor) -> Tensor:
        return to_channels_last(inputs) if self.channels_last else inputs

    def _order_generator(self, epoch: int) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)

    def epoch(self, epoch: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """The batches of epoch ``epoch`` (its order depends only on ``seed`` and ``epoch``)."""
        if self.inputs is not None:
            count = len(self.inputs)
            if self.shuffle:
                order = torch.randperm(count, generator=self._order_generator(epoch), device="cpu").to(self.device)
            else:
                order = torch.arange(count, device=self.device)
            for start in range(0, count, self.batch_size):
                index = order[start:start + self.batch_size]
                yield self.inputs[index], self.targets[index]
            return
        if isinstance(self.data, DataLoader):
            loader = self.data
        else:
            loader = DataLoader(
                self.data, batch_size=self.batch_size, shuffle=self.shuffle,
                generator=self._order_generator(epoch) if self.shuffle else None,
                num_workers=self.num_workers, pin_memory=self.device.type == "cuda",
            )
        for inputs, targets in loader:
            yield (self._format(inputs.to(self.device, non_blocking=True)),
                   targets.to(self.device, torch.long, non_blocking=True))


def batched_logits(model: nn.Module, batches: Batches, *, amp_dtype: torch.dtype | None = None
                   ) -> Iterator[tuple[Tensor, Tensor]]:
    """``(logits, targets)`` per batch, in order: ``model`` in eval mode (restored when the
    generator finishes or is closed), no gradients, autocast to ``amp_dtype`` when given;
    logits float32 ``(B, C, ...)``."""
    with eval_mode(model):
        for inputs, targets in batches.epoch(0):
            with torch.no_grad(), autocast(batches.device, amp_dtype):
                logits = model(inputs)
            yield logits.float(), targets


def predict(model: nn.Module, data: Data, *, batch_size: int = EVAL_BATCH_SIZE,
            device: str | torch.device | None = None, amp_dtype: str | None = None) -> tuple[Tensor, Tensor]:
    """Run ``model`` in eval mode over ``data`` (in order); return ``(logits, targets)``.

    ``logits`` are float32 ``(N, C)`` or ``(N, C, H, W)``, ``targets`` int64 ``(N,)`` or
    ``(N, H, W)``, both on ``device`` (default: where the model's parameters are; ``"auto"``
    is resolved and the model moved there). ``amp_dtype``: None (float32) or
    ``"bfloat16"`` / ``"float16"`` for autocast. 4-D inputs take the model's memory layout.
    Every submodule's train/eval mode is restored, also when the model raises.
    """
    batch_size = check("batch_size", batch_size, POSITIVE_INTEGER)
    check("amp_dtype", amp_dtype, None, Options(*AMP_DTYPES))
    check_data("data", data)
    if device is None:
        target_device = model_device(model)
    else:
        target_device = resolve_device(device)
        model.to(target_device)
    batches = Batches(data, batch_size, target_device, channels_last=uses_channels_last(model))
    pairs = list(batched_logits(model, batches, amp_dtype=None if amp_dtype is None else AMP_DTYPES[amp_dtype]))
    return torch.cat([logits for logits, _ in pairs]), torch.cat([targets for _, targets in pairs])
