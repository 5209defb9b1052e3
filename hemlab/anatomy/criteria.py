"""Which losses the anatomy looks at, and each one's criterion at a margin.

- :data:`REFERENCE_LOSSES`: HEM, MM and CE, the losses a chosen one is drawn beside;
- :func:`anatomy_losses`: the classification losses that need no extra data;
- :func:`takes_margin` / :func:`criterion_for`: a loss's ``nn.Module``, with ``margin`` when it takes one;
- :func:`unique_names`: a list of loss names without repeats, refused when empty.
"""
from __future__ import annotations

from typing import Iterable

from torch import nn

from hemlab.losses import accepted_arguments, available_losses, create_loss, loss_info

REFERENCE_LOSSES: tuple[str, ...] = ("hem", "mm", "ce")
"""The losses each anatomy figure draws by default, and the chosen loss beside."""


def anatomy_losses() -> list[str]:
    """Registry names of the classification losses that need no extra data (no
    ``class_counts``): the options of the notebook's loss dropdown."""
    return [name for name in available_losses("classification") if not loss_info(name).required]


def takes_margin(name: str) -> bool:
    """True when loss ``name`` accepts a ``margin`` argument (HEM and MM)."""
    return "margin" in accepted_arguments(name)


def criterion_for(name: str, margin: float) -> nn.Module:
    """``create_loss(name, margin=margin)`` for losses with a margin, ``create_loss(name)`` otherwise."""
    return create_loss(name, margin=margin) if takes_margin(name) else create_loss(name)


def unique_names(loss_names: Iterable[str]) -> list[str]:
    """``loss_names`` without repeats, in their order; at least one."""
    names = list(dict.fromkeys(loss_names))
    if not names:
        raise ValueError("loss_names: expected at least one loss name, got none")
    return names
