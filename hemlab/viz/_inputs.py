"""Input checks and conversions shared by the plotting modules (private).

Every check raises ``ValueError("argument: expected ..., got ...")`` naming the caller's argument.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

import numpy as np
import pandas as pd
import torch

from hemlab.tasks.loss_labels import sort_labels

ArrayLike = Union[torch.Tensor, np.ndarray]


def as_array(values: Any, name: str, ndim: int | None = None) -> np.ndarray:
    """A tensor (any dtype or device, float16 included) or array-like as a numpy array."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        values = values.float() if values.is_floating_point() else values
        array = values.numpy()
    else:
        try:
            array = np.asarray(values)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: expected a tensor or numpy array, got {type(values).__name__}") from error
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name}: expected numbers, got dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {array.shape}")
    return array


def as_logits(values: Any, name: str) -> torch.Tensor:
    """Finite float32 logits ``(N, C)`` with ``N >= 1`` and ``C >= 2``, as a CPU tensor."""
    array = as_array(values, name, ndim=2)
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{name}: expected floating-point logits, got dtype {array.dtype}")
    if array.shape[0] < 1 or array.shape[1] < 2:
        raise ValueError(f"{name}: expected shape (N, C) with N >= 1 and C >= 2, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: expected finite logits, found NaN or inf")
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def as_labels(values: Any, name: str, shape: tuple[int, ...], num_classes: int | None = None) -> torch.Tensor:
    """Integer class indices of the given shape (in ``[0, num_classes)`` when given), as int64."""
    array = as_array(values, name)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name}: expected integer class indices, got dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {array.shape}")
    if num_classes is not None and array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"{name}: expected class indices in [0, {num_classes}), "
                         f"got values in [{array.min()}, {array.max()}]")
    return torch.from_numpy(array.astype(np.int64))


def check_mapping(values: Any, name: str, what: str) -> Mapping[str, Any]:
    """A non-empty mapping from loss labels (str) to ``what``."""
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"{name}: expected a non-empty mapping loss label -> {what}, got {values!r:.80}")
    bad = [key for key in values if not isinstance(key, str)]
    if bad:
        raise ValueError(f"{name}: expected loss labels (str) as keys, got {bad[0]!r}")
    return values


def check_runs(runs: Any, name: str = "runs") -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``runs``: label -> ``(logits (N, C), targets (N,))`` as float32 / int64 CPU tensors."""
    checked = {}
    for label, pair in check_mapping(runs, name, "(logits (N, C), targets (N,))").items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{name}[{label!r}]: expected a pair (logits, targets), got {type(pair).__name__}")
        logits = as_logits(pair[0], f"{name}[{label!r}] logits")
        targets = as_labels(pair[1], f"{name}[{label!r}] targets", logits.shape[:1], logits.shape[1])
        checked[label] = (logits, targets)
    return checked


def check_logits_by_loss(values: Any, name: str) -> dict[str, torch.Tensor]:
    """label -> logits ``(N, C)`` as float32 CPU tensors."""
    mapping = check_mapping(values, name, "logits (N, C)")
    return {label: as_logits(logits, f"{name}[{label!r}]") for label, logits in mapping.items()}


def require_columns(table: Any, columns: Sequence[str], name: str) -> pd.DataFrame:
    """``table`` as a DataFrame holding ``columns``."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(table).__name__}")
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; has {list(table.columns)}")
    return table


def choose_labels(present: Sequence[str], losses: Sequence[str] | None, name: str) -> list[str]:
    """The loss labels to draw: ``losses`` as given (each must be present), or by default every
    present label without options (a margin sweep's ``hem:margin=...`` labels are left out)."""
    if losses is None:
        chosen = [label for label in sort_labels(present) if ":" not in label]
        return chosen or sort_labels(present)
    if isinstance(losses, str):
        raise ValueError(f"losses: expected a sequence of loss labels, got the string {losses!r}")
    absent = [label for label in losses if label not in present]
    if absent:
        raise ValueError(f"losses: {absent} not in {name}; it has {sort_labels(present)}")
    return list(dict.fromkeys(losses))
