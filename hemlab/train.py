"""One training loop for any model, any loss and any data; read it top to bottom.

    history = train(model, loss, train_set, epochs=20, eval_data=test_set, lr=0.1,
                    schedule="step", checkpoint="results/run.pt")
    logits, targets = predict(model, test_set)
    hemlab.metrics.accuracy(logits, targets)

``train`` trains ``model`` in place and returns its per-epoch history as a DataFrame with
``HISTORY_COLUMNS``. Data is a ``Dataset`` or a ``DataLoader``. Tensor-backed datasets
(``TensorDataset`` and subsets of one, as ``hemlab.data`` makes) are moved to the device
once and batched by indexing there, so no batch is copied from the host. Other datasets go
through a ``DataLoader``; a given ``DataLoader`` is used as it is.

Reproducibility: the shuffling order of epoch ``e`` is drawn from its own generator seeded
with ``(seed, e)``, and the global torch RNG (used by dropout and augmentation) is seeded
with ``seed``; on CPU two runs with the same arguments give the same weights. After every
epoch a checkpoint (model, optimizer, scheduler, grad scaler, epoch, history, RNG states)
is written atomically; calling ``train`` again with the same ``checkpoint`` path and the
same settings continues after the last finished epoch and ends with the weights an
uninterrupted run would have.

On CUDA the forward pass runs under autocast (``amp_dtype`` bfloat16 or float16, the
latter with a gradient scaler) and 4-D inputs and the model use ``channels_last``; on CPU
and MPS everything stays float32. Losses always see float32 logits.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Callable, Iterator, Sequence, Union

import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from hemlab.data.core import dataset_tensors, is_tensor_backed
from hemlab.io import save_torch
from hemlab.runtime import resolve_device

HISTORY_COLUMNS: tuple[str, ...] = ("epoch", "train_loss", "train_accuracy", "eval_accuracy", "seconds", "lr")
OPTIMIZERS: tuple[str, ...] = ("sgd", "adamw")
SCHEDULES: tuple[str, ...] = ("none", "step", "cosine")
AMP_DTYPES: dict[str, torch.dtype] = {"bfloat16": torch.bfloat16, "float16": torch.float16}

Data = Union[Dataset, DataLoader]
Augment = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]


# ----------------------------------------------------------------------------- batches

class _Batches:
    """Batches of ``(inputs, targets)`` on ``device``, reshuffled per epoch when ``shuffle``."""

    def __init__(self, data: Data, batch_size: int, device: torch.device, *, shuffle: bool, seed: int,
                 channels_last: bool = False, num_workers: int = 0) -> None:
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
        if self.channels_last and inputs.ndim == 4:
            return inputs.contiguous(memory_format=torch.channels_last)
        return inputs

    def _order_generator(self, epoch: int) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)

    def epoch(self, epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        """The batches of epoch ``epoch`` (its order depends only on ``seed`` and ``epoch``)."""
        if self.inputs is not None:
            count = len(self.inputs)
            order = torch.randperm(count, generator=self._order_generator(epoch)) if self.shuffle else torch.arange(count)
            order = order.to(self.device)
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


def _autocast(device: torch.device, amp_dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=amp_dtype)


# ----------------------------------------------------------------------------- evaluation

def _correct_and_valid(logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """Counts (0-d tensors, no host sync) of correct and of scored positions."""
    valid = (targets >= 0) & (targets < logits.shape[1])
    correct = (logits.argmax(dim=1) == targets) & valid
    return correct.sum(), valid.sum()


def _model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@torch.no_grad()
def _evaluate_accuracy(model: nn.Module, batches: _Batches, amp_dtype: torch.dtype | None) -> float:
    was_training = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.long, device=batches.device)
    valid = torch.zeros((), dtype=torch.long, device=batches.device)
    for inputs, targets in batches.epoch(0):
        with _autocast(batches.device, amp_dtype):
            logits = model(inputs)
        batch_correct, batch_valid = _correct_and_valid(logits, targets)
        correct += batch_correct
        valid += batch_valid
    model.train(was_training)
    return float(correct) / float(valid) if int(valid) else math.nan


@torch.no_grad()
def predict(model: nn.Module, data: Data, *, batch_size: int = 512,
            device: str | torch.device | None = None) -> tuple[Tensor, Tensor]:
    """Run ``model`` in eval mode over ``data`` (in order); return ``(logits, targets)``.

    ``logits`` are float32 ``(N, C)`` or ``(N, C, H, W)``, ``targets`` int64 ``(N,)`` or
    ``(N, H, W)``, both on ``device`` (default: where the model's parameters are; ``"auto"``
    is resolved and the model moved there). The model's train/eval mode is restored.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size!r}")
    if not isinstance(data, (Dataset, DataLoader)):
        raise ValueError(f"data: expected a Dataset or DataLoader, got {type(data).__name__}")
    if device is None:
        target_device = _model_device(model)
    else:
        target_device = resolve_device(device)
        model.to(target_device)
    was_training = model.training
    model.eval()
    all_logits, all_targets = [], []
    for inputs, targets in _Batches(data, batch_size, target_device, shuffle=False, seed=0).epoch(0):
        all_logits.append(model(inputs).float())
        all_targets.append(targets)
    model.train(was_training)
    return torch.cat(all_logits), torch.cat(all_targets)


# ----------------------------------------------------------------------------- training

def _check_arguments(epochs: int, batch_size: int, optimizer: str, lr: float, momentum: float,
                     weight_decay: float, schedule: str, milestones: Sequence[int] | None, gamma: float,
                     grad_clip: float | None, amp_dtype: str, num_workers: int) -> None:
    """Raise ``ValueError`` naming the first bad argument."""
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs: expected a positive integer, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if not lr > 0:
        raise ValueError(f"lr: expected a positive learning rate, got {lr!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum: expected a value in [0, 1), got {momentum!r}")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay: expected a non-negative value, got {weight_decay!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {schedule!r}")
    if milestones is not None:
        steps = list(milestones)
        if schedule != "step":
            raise ValueError(f"milestones: only used with schedule='step', got schedule={schedule!r}")
        if not steps or any(not isinstance(m, int) or not 0 < m < epochs for m in steps) or steps != sorted(set(steps)):
            raise ValueError(f"milestones: expected increasing epochs in 1..{epochs - 1}, got {milestones!r}")
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma: expected a factor in (0, 1], got {gamma!r}")
    if grad_clip is not None and not grad_clip > 0:
        raise ValueError(f"grad_clip: expected None or a positive max-norm, got {grad_clip!r}")
    if amp_dtype not in AMP_DTYPES:
        raise ValueError(f"amp_dtype: expected one of {', '.join(AMP_DTYPES)}, got {amp_dtype!r}")
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers: expected a non-negative integer, got {num_workers!r}")


def train(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    train_data: Data,
    *,
    epochs: int,
    eval_data: Data | None = None,
    batch_size: int = 128,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    schedule: str | None = "none",
    milestones: Sequence[int] | None = None,
    gamma: float = 0.1,
    grad_clip: float | None = None,
    augment: Augment | None = None,
    device: str | torch.device = "auto",
    amp: bool = True,
    amp_dtype: str = "bfloat16",
    channels_last: bool = True,
    seed: int = 0,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[dict], None] | None = None,
    num_workers: int = 0,
) -> pd.DataFrame:
    """Train ``model`` in place with ``loss_fn(logits, targets)``; return the history table.

    Optimiser: ``"sgd"`` (``momentum``, ``weight_decay``) or ``"adamw"`` (``weight_decay``;
    ``momentum`` unused). Schedule, stepped once per epoch: ``"none"``, ``"step"`` (multiply
    the rate by ``gamma`` at each epoch in ``milestones``; default ``(epochs // 2,
    3 * epochs // 4)``) or ``"cosine"`` (from ``lr`` to 0 over ``epochs``).
    ``grad_clip``: clip the global gradient norm to this value. ``augment(inputs, targets)``
    runs on each training batch on the device (e.g. ``hemlab.data.random_crop_flip``).
    ``device``: ``"auto"`` picks CUDA, MPS, then CPU. ``amp`` and ``channels_last`` act on
    CUDA only. ``on_epoch_end(row)`` is called with each finished epoch's history row after
    its checkpoint is written. Returns a DataFrame with one row per epoch and columns
    ``HISTORY_COLUMNS``: ``epoch`` (1-based), ``train_loss`` (sample-weighted mean of the
    batch losses), ``train_accuracy`` (on the training batches as seen, in train mode),
    ``eval_accuracy`` (on ``eval_data`` after the epoch; NaN without it), ``seconds`` and
    ``lr`` (the rate used during the epoch).
    """
    schedule = "none" if schedule is None else schedule
    _check_arguments(epochs, batch_size, optimizer, lr, momentum, weight_decay, schedule, milestones,
                     gamma, grad_clip, amp_dtype, num_workers)
    if not isinstance(model, nn.Module):
        raise ValueError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise ValueError(f"loss_fn: expected a callable loss(logits, targets), got {type(loss_fn).__name__}")
    for name, data in (("train_data", train_data), ("eval_data", eval_data)):
        if data is not None and not isinstance(data, (Dataset, DataLoader)):
            raise ValueError(f"{name}: expected a Dataset or DataLoader, got {type(data).__name__}")
    if schedule == "step" and milestones is None:
        milestones = sorted({m for m in (epochs // 2, 3 * epochs // 4) if 0 < m < epochs}) or None

    device = resolve_device(device)
    on_cuda = device.type == "cuda"
    autocast_dtype = AMP_DTYPES[amp_dtype] if amp and on_cuda else None
    use_channels_last = channels_last and on_cuda
    model.to(device, memory_format=torch.channels_last if use_channels_last else torch.preserve_format)
    if isinstance(loss_fn, nn.Module):
        loss_fn.to(device)

    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if optimizer == "sgd":
        optim = torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)
    else:
        optim = torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    if schedule == "step" and milestones:
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optim, milestones=list(milestones), gamma=gamma)
    elif schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=epochs)
    else:
        scheduler = None
    scaler = torch.amp.GradScaler("cuda", enabled=autocast_dtype == torch.float16)

    # Settings that must match for a checkpoint to be continued.
    config = {"epochs": epochs, "batch_size": batch_size, "optimizer": optimizer, "lr": lr, "momentum": momentum,
              "weight_decay": weight_decay, "schedule": schedule, "milestones": list(milestones or []),
              "gamma": gamma, "grad_clip": grad_clip, "seed": seed}
    history: list[dict] = []
    start_epoch = 0
    if checkpoint is not None and os.path.exists(checkpoint):
        state = torch.load(checkpoint, map_location=device, weights_only=True)
        changed = [f"{key}: {state['config'].get(key)!r} -> {value!r}"
                   for key, value in config.items() if state["config"].get(key) != value]
        if changed:
            raise ValueError(f"checkpoint: {os.fspath(checkpoint)} was written with other settings "
                             f"({'; '.join(changed)}); use the same settings or a new checkpoint path")
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        history, start_epoch = state["history"], state["epoch"]
        torch.set_rng_state(state["rng"]["torch"].cpu())
        if on_cuda and state["rng"]["cuda"]:
            torch.cuda.set_rng_state_all([rng.cpu() for rng in state["rng"]["cuda"]])
    else:
        torch.manual_seed(seed)

    train_batches = _Batches(train_data, batch_size, device, shuffle=True, seed=seed,
                             channels_last=use_channels_last, num_workers=num_workers)
    eval_batches = None if eval_data is None else _Batches(
        eval_data, max(batch_size, 256), device, shuffle=False, seed=seed,
        channels_last=use_channels_last, num_workers=num_workers)

    bar = tqdm(total=(epochs - start_epoch) * len(train_batches), desc="train", unit="batch",
               disable=not progress, dynamic_ncols=True)
    for epoch in range(start_epoch, epochs):
        started = time.perf_counter()
        model.train()
        loss_sum = torch.zeros((), device=device)
        samples = torch.zeros((), dtype=torch.long, device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        valid = torch.zeros((), dtype=torch.long, device=device)
        for inputs, targets in train_batches.epoch(epoch):
            if augment is not None:
                inputs, targets = augment(inputs, targets)
            with _autocast(device, autocast_dtype):
                logits = model(inputs)
            loss = loss_fn(logits.float(), targets)
            optim.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if grad_clip is not None:
                scaler.unscale_(optim)
                nn.utils.clip_grad_norm_(parameters, grad_clip)
            scaler.step(optim)
            scaler.update()

            loss_sum += loss.detach() * targets.shape[0]
            samples += targets.shape[0]
            batch_correct, batch_valid = _correct_and_valid(logits.detach(), targets)
            correct += batch_correct
            valid += batch_valid
            bar.update(1)

        epoch_lr = optim.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        eval_accuracy = math.nan if eval_batches is None else _evaluate_accuracy(model, eval_batches, autocast_dtype)
        row = {
            "epoch": epoch + 1,
            "train_loss": float(loss_sum) / int(samples),
            "train_accuracy": float(correct) / int(valid) if int(valid) else math.nan,
            "eval_accuracy": eval_accuracy,
            "seconds": time.perf_counter() - started,
            "lr": epoch_lr,
        }
        history.append(row)
        bar.set_postfix(epoch=epoch + 1, loss=f"{row['train_loss']:.4f}", acc=f"{row['train_accuracy']:.3f}",
                        eval=f"{eval_accuracy:.3f}")
        if checkpoint is not None:
            save_torch({
                "model": model.state_dict(),
                "optimizer": optim.state_dict(),
                "scheduler": None if scheduler is None else scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "epoch": epoch + 1,
                "history": history,
                "config": config,
                "rng": {"torch": torch.get_rng_state(),
                        "cuda": torch.cuda.get_rng_state_all() if on_cuda else []},
            }, checkpoint)
        if on_epoch_end is not None:
            on_epoch_end(dict(row))
    bar.close()
    return pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
