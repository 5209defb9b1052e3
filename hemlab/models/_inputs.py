"""The one input check every named model makes in its forward: the channel count."""
from __future__ import annotations

from torch import Tensor


def check_channels(inputs: Tensor, in_channels: int, model_name: str) -> None:
    """Raise ``ValueError`` unless ``inputs`` is ``(N, in_channels, ...)``: a shape read, no sync."""
    if inputs.ndim < 2 or inputs.shape[1] != in_channels:
        found = f"; create the model with in_channels={inputs.shape[1]} for this data" if inputs.ndim >= 2 else ""
        raise ValueError(
            f"{model_name}: expected inputs (N, {in_channels}, H, W) as built with in_channels={in_channels}, "
            f"got shape {tuple(inputs.shape)}{found}"
        )
