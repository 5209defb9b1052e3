"""One training loop for any model, any loss and any data; read it top to bottom.

In short::

    history = train(model, loss, train_set, epochs=20, eval_data=test_set, lr=0.1,
                    schedule="step", checkpoint="results/run.pt")
    config = TrainConfig(epochs=20, lr=0.1, schedule="step")       # the same, as one value
    history = train(model, loss, train_set, config, eval_data=test_set, desc="hem seed 0")
    logits, targets = predict(model, test_set)
    hemlab.metrics.accuracy(logits, targets)

``train`` trains ``model`` in place and returns its per-epoch history as a DataFrame with
``HISTORY_COLUMNS``. Its settings are one frozen :class:`TrainConfig`, checked when it is
made; keyword arguments to ``train`` that name a ``TrainConfig`` field override it. Data is
a ``Dataset`` or a ``DataLoader``, batched by :class:`hemlab.inference.Batches`
(tensor-backed datasets live on the device and are batched by indexing there). The
per-epoch ``eval_accuracy`` comes from the same path as :func:`predict`.

Reproducibility: the shuffling order of epoch ``e`` is drawn from its own generator seeded
with ``(seed, e)``, and the global torch RNG (used by dropout and augmentation) is seeded
with ``seed``; on CPU two runs with the same arguments give the same weights. ``seed`` does
not touch the model's initial weights: seed those with ``create_model(..., seed=...)``.

Checkpoints: after every epoch the state (model, optimizer, scheduler, grad scaler, epoch,
history, RNG states) is written atomically with the run's identity (the ``TrainConfig``,
the loss's class and repr, the model's class and parameter shapes, the data sizes).
Calling ``train`` again with the same ``checkpoint`` path continues after the last finished
epoch and ends with the weights an uninterrupted run would have; a checkpoint of any other
run is refused with a ``ValueError`` naming what differs.

Devices: on CUDA the forward pass runs under autocast (``amp_dtype`` bfloat16 or float16,
the latter with a gradient scaler); on CPU and MPS it stays float32. Losses always see
float32 logits. With ``channels_last`` (default) a model with 2-D convolutions and its 4-D
inputs use the ``channels_last`` memory order on CUDA and on the CPU; on one CPU thread it
made a training step of the small CNNs and the U-Net 13-28% faster and left ResNet-18 about
even (``benchmarks/channels_last_cpu.py``). Models without 2-D convolutions, and MPS runs,
keep torch's default layout. Inputs changed by ``augment`` are put back in that order.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import time
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Callable, Iterable

import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from hemlab.checks import POSITIVE_INTEGER, Instance, Interval, Options, check
from hemlab.inference import (AMP_DTYPES, EVAL_BATCH_SIZE, Batches, Data, autocast, batched_logits, check_data,
                              predict, to_channels_last, uses_channels_last)
from hemlab.io import save_torch
from hemlab.runtime import resolve_device

HISTORY_COLUMNS: tuple[str, ...] = ("epoch", "train_loss", "train_accuracy", "eval_accuracy", "seconds", "lr")
OPTIMIZERS: tuple[str, ...] = ("sgd", "adamw")
SCHEDULES: tuple[str, ...] = ("none", "step", "cosine")

Augment = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]
LossFn = Callable[[Tensor, Tensor], Tensor]

__all__ = ["HISTORY_COLUMNS", "OPTIMIZERS", "SCHEDULES", "TrainConfig", "create_optimizer", "create_scheduler",
           "predict", "run_identity", "train"]


# ----------------------------------------------------------------------------- settings

SETTING_CHECKS: dict[str, tuple[Any, ...]] = {
    "epochs": (POSITIVE_INTEGER,),
    "batch_size": (POSITIVE_INTEGER,),
    "optimizer": (Options(*OPTIMIZERS),),
    "lr": (Interval(Real, 0, math.inf, closed="right", noun="learning rate"),),
    "momentum": (Interval(Real, 0, 1, closed="left"),),
    "weight_decay": (Interval(Real, 0, math.inf, closed="both"),),
    "schedule": (Options(*SCHEDULES),),
    "gamma": (Interval(Real, 0, 1, closed="right"),),
    "grad_clip": (None, Interval(Real, 0, math.inf, closed="right")),
    "amp": (Instance(bool),),
    "amp_dtype": (Options(*AMP_DTYPES),),
    "channels_last": (Instance(bool),),
    "seed": (Interval(Integral),),
    "num_workers": (Interval(Integral, 0, None),),
}
"""What each :class:`TrainConfig` field must be (:mod:`hemlab.checks`), ``milestones`` aside; infinite
``lr``, ``weight_decay`` and ``grad_clip`` are allowed, as they always were."""


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run; frozen, and checked when made (``ValueError`` naming
    the first bad field). ``dataclasses.asdict(config)`` is what a checkpoint records.

    - ``optimizer``: ``"sgd"`` (``momentum``, ``weight_decay``) or ``"adamw"``
      (``weight_decay``; ``momentum`` unused).
    - ``schedule``, stepped once per epoch: ``"none"``, ``"step"`` (multiply the rate by
      ``gamma`` at each epoch in ``milestones``; default ``(epochs // 2, 3 * epochs // 4)``)
      or ``"cosine"`` (from ``lr`` to 0 over ``epochs``).
    - ``grad_clip``: clip the global gradient norm to this value (None: no clipping).
    - ``amp``, ``amp_dtype``: autocast on CUDA to ``"bfloat16"`` or ``"float16"``.
    - ``channels_last``: ``channels_last`` memory order for convolutional models (module doc).
    - ``seed``: data order and the global torch RNG (dropout, augmentation); not the model's
      initial weights (``create_model(..., seed=...)`` seeds those).
    - ``num_workers``: ``DataLoader`` workers for datasets that are not tensor-backed.
    """

    epochs: int
    batch_size: int = 128
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "none"
    milestones: tuple[int, ...] | None = None
    gamma: float = 0.1
    grad_clip: float | None = None
    amp: bool = True
    amp_dtype: str = "bfloat16"
    channels_last: bool = True
    seed: int = 0
    num_workers: int = 0

    def __post_init__(self) -> None:
        for name, constraints in SETTING_CHECKS.items():
            check(name, getattr(self, name), *constraints)
        if self.milestones is not None:
            steps = self.milestones
            if self.schedule != "step":
                raise ValueError(f"milestones: expected None unless schedule='step', got {steps!r}")
            epoch = Interval(Integral, 1, self.epochs, closed="left")
            if not (isinstance(steps, (tuple, list)) and len(steps) > 0 and list(steps) == sorted(set(steps))
                    and all(epoch.refusal(step) is None for step in steps)):
                raise ValueError(f"milestones: expected increasing epochs in 1..{self.epochs - 1}, got {steps!r}")
            object.__setattr__(self, "milestones", tuple(steps))

    def step_milestones(self) -> tuple[int, ...]:
        """The epochs at which ``"step"`` multiplies the rate by ``gamma``."""
        if self.milestones is not None:
            return self.milestones
        return tuple(sorted({m for m in (self.epochs // 2, 3 * self.epochs // 4) if 0 < m < self.epochs}))


_CONFIG_FIELDS = tuple(field.name for field in dataclasses.fields(TrainConfig))


def _resolve_config(config: TrainConfig | None, settings: dict[str, Any]) -> TrainConfig:
    """``config`` with ``settings`` (TrainConfig field overrides) applied, or a new one from them."""
    unknown = sorted(set(settings) - set(_CONFIG_FIELDS))
    if unknown:
        raise TypeError(f"train: unexpected keyword argument(s) {', '.join(unknown)}; "
                        f"TrainConfig fields are {', '.join(_CONFIG_FIELDS)}")
    if config is None:
        if "epochs" not in settings:
            raise TypeError("epochs: required; pass epochs=... or a TrainConfig")
        return TrainConfig(**settings)
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config: expected a TrainConfig or None, got {type(config).__name__}")
    return dataclasses.replace(config, **settings)


# ----------------------------------------------------------------------------- parts of a run

def create_optimizer(parameters: Iterable[nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    """SGD with momentum or AdamW, as ``config`` says, over ``parameters``.

    Both use torch's multi-tensor (``foreach``) update on every device, CUDA's default: the
    same arithmetic as the per-parameter loop torch picks on the CPU, bit for bit (a test
    compares the weights), in fewer operator calls (AdamW's step on the quick preset's U-Net,
    36 tensors, went from 1.9 to 1.35 ms on one CPU thread)."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay,
                               foreach=True)
    return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay, foreach=True)


def create_scheduler(optimizer: torch.optim.Optimizer,
                     config: TrainConfig) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The per-epoch learning-rate schedule of ``config`` (None for ``"none"``)."""
    if config.schedule == "step" and config.step_milestones():
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=list(config.step_milestones()),
                                                    gamma=config.gamma)
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    return None


def autocast_dtype_for(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The dtype the forward pass is autocast to: ``config.amp_dtype`` on CUDA when
    ``config.amp``, else None (float32 on CPU and MPS)."""
    return AMP_DTYPES[config.amp_dtype] if config.amp and device.type == "cuda" else None


def _use_channels_last(model: nn.Module, config: TrainConfig, device: torch.device) -> bool:
    """``channels_last`` on CUDA and CPU for models with 2-D convolutions (module doc)."""
    has_conv2d = any(parameter.ndim == 4 for parameter in model.parameters())
    return config.channels_last and has_conv2d and device.type in ("cuda", "cpu")


def _without_addresses(text: str) -> str:
    """``repr`` text without the memory addresses that differ between processes."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


def _describe_loss(loss_fn: LossFn) -> str:
    """The loss's repr, led by its class name, then for a module the options its repr does not
    show: plain attributes (torch's losses print none) and tensor state (per-class values)."""
    text = _without_addresses(repr(loss_fn))
    name = type(loss_fn).__name__
    text = text if text.startswith(name) else f"{name}: {text}"
    if not isinstance(loss_fn, nn.Module):
        return text
    hidden = {key: value for key, value in vars(loss_fn).items()
              if not key.startswith("_") and key != "training" and f"{key}=" not in text
              and isinstance(value, (bool, int, float, str, type(None)))}
    hidden.update({key: tensor.tolist() for key, tensor in loss_fn.state_dict().items()})
    return f"{text} with {', '.join(f'{key}={value!r}' for key, value in hidden.items())}" if hidden else text


def _data_size(data: Data | None) -> int | None:
    """The number of samples in ``data`` (a DataLoader's dataset), None when unknown."""
    dataset = data.dataset if isinstance(data, DataLoader) else data
    try:
        return len(dataset)
    except TypeError:
        return None


def run_identity(config: TrainConfig, model: nn.Module, loss_fn: LossFn, train_data: Data,
                 eval_data: Data | None) -> dict[str, Any]:
    """What makes a run this run, as a flat dict a checkpoint stores and compares:
    every ``TrainConfig`` field, the loss (class name and repr, which carries its options),
    the model (class name and parameter shapes) and the train/eval data sizes."""
    return {
        **dataclasses.asdict(config),
        "loss": _describe_loss(loss_fn),
        "model": type(model).__name__,
        "model parameter shapes": [(name, tuple(parameter.shape)) for name, parameter in model.named_parameters()],
        "train data size": _data_size(train_data),
        "eval data size": _data_size(eval_data),
    }


def _identity_differences(saved: dict[str, Any], identity: dict[str, Any]) -> list[str]:
    """``"key: before -> now"`` for each identity entry that changed; for lists (the parameter
    shapes) the first entry that differs."""
    differences = []
    for key, value in identity.items():
        before = saved.get(key)
        if before == value:
            continue
        if isinstance(before, list) and isinstance(value, list):
            first = next(index for index in range(max(len(before), len(value)))
                         if index >= min(len(before), len(value)) or before[index] != value[index])
            before, value = (entries[first] if first < len(entries) else "nothing" for entries in (before, value))
            key = f"{key} differ from entry {first}"
        differences.append(f"{key}: {before!r} -> {value!r}")
    return differences


def _restore_checkpoint(path: str | os.PathLike, identity: dict[str, Any], device: torch.device, model: nn.Module,
                        optimizer: torch.optim.Optimizer, scheduler: Any, scaler: torch.amp.GradScaler) -> list[dict]:
    """Load the state written by :func:`_save_checkpoint` into the run's parts; return the history."""
    state = torch.load(path, map_location=device, weights_only=True)
    if "identity" not in state:
        raise ValueError(f"checkpoint: {os.fspath(path)} records no run identity (an older hemlab wrote it); "
                         "use a new checkpoint path")
    differences = _identity_differences(state["identity"], identity)
    if differences:
        raise ValueError(f"checkpoint: {os.fspath(path)} was written by another run ({'; '.join(differences)}); "
                         "use the same run or a new checkpoint path")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["rng"]["torch"].cpu())
    if device.type == "cuda" and state["rng"]["cuda"]:
        torch.cuda.set_rng_state_all([rng.cpu() for rng in state["rng"]["cuda"]])
    return state["history"]


def _save_checkpoint(path: str | os.PathLike, identity: dict[str, Any], device: torch.device, model: nn.Module,
                     optimizer: torch.optim.Optimizer, scheduler: Any, scaler: torch.amp.GradScaler,
                     history: list[dict]) -> None:
    save_torch({
        "identity": identity,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "history": history,
        "rng": {"torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else []},
    }, path)


# ----------------------------------------------------------------------------- epochs

def _correct_and_scored(logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """0-d counts on the device (no host sync): positions predicted right, and positions
    scored (target in ``[0, C)``; others, such as an ignore label, are neither)."""
    return logits.argmax(dim=1).eq(targets).sum(), targets.ge(0).logical_and_(targets.lt(logits.shape[1])).sum()


def _positions(logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """Dense ``(N, C, d1, ...)`` logits and ``(N, d1, ...)`` targets as ``(M, C)`` and ``(M,)``
    rows, one per position; classification ``(N, C)`` and ``(N,)`` as they are."""
    if logits.ndim == 2:
        return logits, targets
    return logits.movedim(1, -1).reshape(-1, logits.shape[1]), targets.reshape(-1)


class _EpochTally:
    """The loss and accuracy of an epoch's training batches, counted without slowing the steps.

    A step only keeps references (the detached loss, logits and targets); the counting runs
    on the device in chunks of about ``FLUSH_ELEMENTS`` logits (once per epoch for ordinary
    classification, every step for dense outputs), and the host waits once, in
    :meth:`result`. ``train_loss`` is the sample-weighted mean of the batch losses,
    ``train_accuracy`` the fraction of scored positions (targets in ``[0, C)``) predicted right.
    """

    FLUSH_ELEMENTS = 1 << 22

    def __init__(self, device: torch.device) -> None:
        self.losses: list[Tensor] = []
        self.sizes: list[int] = []
        self.pending: list[tuple[Tensor, Tensor]] = []
        self.pending_elements = 0
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.valid = torch.zeros((), dtype=torch.long, device=device)

    def add(self, loss: Tensor, logits: Tensor, targets: Tensor) -> None:
        self.losses.append(loss.detach())
        self.sizes.append(targets.shape[0])
        self.pending.append((logits.detach(), targets))
        self.pending_elements += logits.numel()
        if self.pending_elements >= self.FLUSH_ELEMENTS:
            self._count_pending()

    def _count_pending(self) -> None:
        if not self.pending:
            return
        logits, targets = zip(*(_positions(logits, targets) for logits, targets in self.pending))
        logits, targets = torch.cat(logits), torch.cat(targets)
        correct, valid = _correct_and_scored(logits, targets)
        self.correct += correct
        self.valid += valid
        self.pending, self.pending_elements = [], 0

    def result(self) -> tuple[float, float]:
        """``(train_loss, train_accuracy)``; NaN accuracy when no position was scored."""
        if not self.losses:
            raise ValueError("train_data: gave no batches (a DataLoader that drops its only, short batch?)")
        self._count_pending()
        losses = torch.stack(self.losses).tolist()
        train_loss = sum(loss * size for loss, size in zip(losses, self.sizes)) / sum(self.sizes)
        valid = int(self.valid)
        return train_loss, int(self.correct) / valid if valid else math.nan


def _train_epoch(model: nn.Module, loss_fn: LossFn, batches: Iterable[tuple[Tensor, Tensor]],
                 optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, config: TrainConfig, *,
                 device: torch.device, autocast_dtype: torch.dtype | None, channels_last: bool,
                 augment: Augment | None, bar: tqdm) -> tuple[float, float]:
    """One pass over ``batches`` in train mode; return ``(train_loss, train_accuracy)``
    (:class:`_EpochTally`). Nothing in a step waits for the device."""
    model.train()
    parameters = [parameter for group in optimizer.param_groups for parameter in group["params"]]
    tally = _EpochTally(device)
    for inputs, targets in batches:
        if augment is not None:
            inputs, targets = augment(inputs, targets)
            inputs = to_channels_last(inputs) if channels_last else inputs
        with autocast(device, autocast_dtype):
            logits = model(inputs)
        loss = loss_fn(logits.float(), targets)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if config.grad_clip is not None:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(parameters, config.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        tally.add(loss, logits, targets)
        bar.update()
    return tally.result()


def _evaluate_accuracy(model: nn.Module, batches: Batches) -> float:
    """Accuracy over ``batches`` through :func:`hemlab.inference.batched_logits` (as ``predict``)."""
    correct = torch.zeros((), dtype=torch.long, device=batches.device)
    valid = torch.zeros((), dtype=torch.long, device=batches.device)
    for logits, targets in batched_logits(model, batches):
        batch_correct, batch_valid = _correct_and_scored(logits, targets)
        correct += batch_correct
        valid += batch_valid
    return float(correct) / int(valid) if int(valid) else math.nan


def _check_run(model: nn.Module, loss_fn: LossFn, train_data: Data, eval_data: Data | None) -> None:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise ValueError(f"loss_fn: expected a callable loss(logits, targets), got {type(loss_fn).__name__}")
    check_data("train_data", train_data)
    if eval_data is not None:
        check_data("eval_data", eval_data)


# ----------------------------------------------------------------------------- the loop

def train(
    model: nn.Module,
    loss_fn: LossFn,
    train_data: Data,
    config: TrainConfig | None = None,
    *,
    eval_data: Data | None = None,
    augment: Augment | None = None,
    device: str | torch.device = "auto",
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[dict], None] | None = None,
    desc: str = "train",
    **settings: Any,
) -> pd.DataFrame:
    """Train ``model`` in place with ``loss_fn(logits, targets)``; return the history table.

    ``config`` holds the settings (:class:`TrainConfig`); ``settings`` are ``TrainConfig``
    fields that override it (``train(m, l, d, epochs=3, lr=0.01)`` builds one,
    ``train(m, l, d, config, lr=0.01)`` uses ``dataclasses.replace(config, lr=0.01)``).
    ``augment(inputs, targets)`` runs on each training batch on the device (e.g.
    ``hemlab.data.random_crop_flip``). ``device``: ``"auto"`` picks CUDA, MPS, then CPU.
    ``checkpoint``: a path written after every epoch and resumed from (module doc).
    ``progress`` shows a bar named ``desc``. ``on_epoch_end(row)`` is called with each
    finished epoch's history row after its checkpoint is written.

    Returns a DataFrame with one row per epoch and columns ``HISTORY_COLUMNS``: ``epoch``
    (1-based), ``train_loss`` (sample-weighted mean of the batch losses), ``train_accuracy``
    (on the training batches as seen, in train mode), ``eval_accuracy`` (on ``eval_data``
    after the epoch, as ``accuracy(*predict(model, eval_data))``; NaN without it),
    ``seconds`` and ``lr`` (the rate used during the epoch).
    """
    config = _resolve_config(config, settings)
    _check_run(model, loss_fn, train_data, eval_data)
    device = resolve_device(device)
    autocast_dtype = autocast_dtype_for(config, device)
    channels_last = _use_channels_last(model, config, device)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    if isinstance(loss_fn, nn.Module):
        loss_fn.to(device)
    optimizer = create_optimizer([p for p in model.parameters() if p.requires_grad], config)
    scheduler = create_scheduler(optimizer, config)
    scaler = torch.amp.GradScaler(device.type, enabled=autocast_dtype == torch.float16)
    identity = run_identity(config, model, loss_fn, train_data, eval_data)
    parts = (device, model, optimizer, scheduler, scaler)
    if checkpoint is not None and os.path.exists(checkpoint):
        history = _restore_checkpoint(checkpoint, identity, *parts)
    else:
        history = []
        torch.manual_seed(config.seed)

    train_batches = Batches(train_data, config.batch_size, device, shuffle=True, seed=config.seed,
                            channels_last=channels_last, num_workers=config.num_workers)
    eval_batches = None if eval_data is None else Batches(  # laid out as predict lays them out
        eval_data, EVAL_BATCH_SIZE, device, channels_last=uses_channels_last(model), num_workers=config.num_workers)
    with tqdm(total=(config.epochs - len(history)) * len(train_batches), desc=desc, unit="batch",
              disable=not progress, dynamic_ncols=True) as bar:
        for epoch in range(len(history), config.epochs):
            started = time.perf_counter()
            epoch_lr = optimizer.param_groups[0]["lr"]
            train_loss, train_accuracy = _train_epoch(
                model, loss_fn, train_batches.epoch(epoch), optimizer, scaler, config, device=device,
                autocast_dtype=autocast_dtype, channels_last=channels_last, augment=augment, bar=bar)
            if scheduler is not None:
                scheduler.step()
            eval_accuracy = math.nan if eval_batches is None else _evaluate_accuracy(model, eval_batches)
            history.append({"epoch": epoch + 1, "train_loss": train_loss, "train_accuracy": train_accuracy,
                            "eval_accuracy": eval_accuracy, "seconds": time.perf_counter() - started,
                            "lr": epoch_lr})
            bar.set_postfix(epoch=epoch + 1, loss=f"{train_loss:.4f}", acc=f"{train_accuracy:.3f}",
                            eval=f"{eval_accuracy:.3f}")
            if checkpoint is not None:
                _save_checkpoint(checkpoint, identity, *parts, history)
            if on_epoch_end is not None:
                on_epoch_end(dict(history[-1]))
    return pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
