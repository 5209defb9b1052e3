"""One colour per loss, the same in every hemlab figure, with HEM always in the strong red.

A loss *label* is a loss name (``ce``, ``hem``, ...) optionally followed by its sorted options,
``hem:margin=0.5``. Each name has a fixed colour (colour-blind safe, from seaborn's
``colorblind`` palette); labels that carry options get lighter or darker shades of their
name's colour, in the order given, so a margin sweep reads as one family. A loss you
register (``hemlab.losses.register_loss``) gets a colour of :data:`EXTRA_COLORS` chosen by a
hash of its name, so it keeps that colour in every figure, process and session.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np
from matplotlib.colors import to_hex, to_rgb

from hemlab.tasks.loss_labels import LossLabel

HEM_COLOR = "#c0143c"
"""HEM's colour in every figure: a strong crimson no other loss uses."""

_NAME_COLORS = {
    "ce": "#0173b2",
    "mm": "#029e73",
    "hem": HEM_COLOR,
    "logitnorm": "#cc78bc",
    "la": "#de8f05",
    "dice": "#56b4e9",
    "focal": "#7b4f2c",
}
EXTRA_COLORS: tuple[str, ...] = ("#6a3d9a", "#1b9e77", "#e7298a", "#66a61e", "#a6761d", "#1f78b4", "#b15928",
                                 "#ff7f00", "#33a02c", "#fb9a99")
"""Colours for registered losses: distinct from the built-in losses' and from HEM's red."""


def extra_color(name: str) -> str:
    """The colour of a loss name hemlab does not define: :data:`EXTRA_COLORS` indexed by a hash
    of the name (the same in every process, unlike Python's ``hash``)."""
    return EXTRA_COLORS[int(hashlib.sha1(name.encode()).hexdigest(), 16) % len(EXTRA_COLORS)]


def loss_name(label: str) -> str:
    """The loss name of a label: ``"hem:margin=0.5"`` -> ``"hem"``."""
    return LossLabel.parse(label).name


def is_hem(label: str) -> bool:
    """Whether ``label`` is HEM, with or without options."""
    return loss_name(label) == "hem"


def _shades(color: str, count: int) -> list[str]:
    """``count`` shades of ``color`` from lighter to darker (the colour itself not included)."""
    base = np.array(to_rgb(color))
    mixes = np.linspace(-0.55, 0.45, count) if count > 1 else np.array([-0.45])
    shades = [base + (1 - base) * -mix if mix < 0 else base * (1 - mix) for mix in mixes]
    return [to_hex(np.clip(shade, 0, 1)) for shade in shades]


def loss_colors(labels: Sequence[str]) -> dict[str, str]:
    """A hex colour for each loss label, stable across figures.

    Plain names get their fixed colour (``hem`` always :data:`HEM_COLOR`); labels with options
    get shades of their name's colour (light to dark in the order given); other names (a
    registered loss) get :func:`extra_color`.

    >>> loss_colors(["ce", "hem"])["hem"] == HEM_COLOR
    True
    """
    if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"labels: expected a sequence of loss labels (str), got {labels!r}")
    colors: dict[str, str] = {}
    for name in dict.fromkeys(loss_name(label) for label in labels):
        color = _NAME_COLORS.get(name) or extra_color(name)
        family = list(dict.fromkeys(label for label in labels if loss_name(label) == name))
        variants = [label for label in family if ":" in label]
        colors.update(zip(variants, _shades(color, len(variants))))
        if name in family:
            colors[name] = color
    return colors


def line_style(label: str, colors: dict[str, str], highlight: str | None = None) -> dict[str, object]:
    """Matplotlib keywords that draw ``label`` in its colour, the highlighted loss thicker and
    on top (default: HEM; with ``highlight``, that label instead)."""
    strong = is_hem(label) if highlight is None else label == highlight
    return {"color": colors[label], "linewidth": 2.6 if strong else 1.6, "zorder": 3 if strong else 2}
