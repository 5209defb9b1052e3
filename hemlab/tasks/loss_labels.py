"""Loss labels: a loss and its options as one word, ``hem`` or ``hem:margin=0.5,reduction=sum``.

:class:`LossLabel` is the one reader and writer of that word. :meth:`LossLabel.parse` reads it as
text, without asking the loss registry, so a stored label of a plug-in loss that is not loaded
still reads; :meth:`LossLabel.checked` checks the options against the registry and drops those
equal to the loss's default, so ``hem:margin=1`` and ``hem`` are the same run. Labels sort in
hemlab's loss order (:meth:`LossLabel.sort_key`), the one order of tables and figures::

    label = LossLabel.parse("hem:margin=0.5")
    label.name, label.options, str(label)   # ('hem', (('margin', 0.5),), 'hem:margin=0.5')
    label.hem_margin                        # 0.5 (plain 'hem': the registry's default, 1.0)
    sorted(["hem", "ce", "hem:margin=0.5"], key=lambda text: LossLabel.parse(text).sort_key())
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from hemlab.losses import accepted_arguments, loss_info
from hemlab.losses.registration import probe_loss

DEFAULT_LOSSES: tuple[str, ...] = ("ce", "mm", "hem", "logitnorm", "la", "dice", "focal")
"""The paper's losses, in hemlab's order (tables, figures, the default sweep)."""

OptionValue = Any
LossOptions = tuple[tuple[str, OptionValue], ...]

_RESERVED_OPTIONS = ("ignore_index", "class_counts", "reduction")
"""Options that describe where a loss runs, not what it is: the task layer sets them."""


def read_word(text: str) -> OptionValue:
    """``'0.5'`` -> 0.5, ``'2'`` -> 2, ``'true'`` -> True; anything else stays a (stripped) string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def _option_text(key: str, value: OptionValue) -> str:
    return f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"


@dataclass(frozen=True)
class LossLabel:
    """A loss ``name`` and its ``options`` (``(key, value)`` pairs, in the order given);
    ``str(label)`` writes it back, e.g. ``hem:margin=0.5``."""

    name: str
    options: LossOptions = ()

    @classmethod
    def parse(cls, text: str) -> "LossLabel":
        """Read ``NAME`` or ``NAME:option=value[,option=value]`` as text (values read by
        :func:`read_word`); ``ValueError`` for anything else."""
        if not isinstance(text, str):
            raise ValueError(f"loss: expected NAME or NAME:option=value[,option=value], got {text!r}")
        name, _, option_text = text.partition(":")
        name = name.strip()
        options: dict[str, OptionValue] = {}
        for item in filter(None, (part.strip() for part in option_text.split(","))):
            key, equals, value = item.partition("=")
            if not name or not equals or not key.strip() or not value.strip():
                raise ValueError(f"loss: expected NAME or NAME:option=value[,option=value], got {text!r}")
            options[key.strip()] = read_word(value)
        if not name:
            raise ValueError(f"loss: expected NAME or NAME:option=value[,option=value], got {text!r}")
        return cls(name, tuple(options.items()))

    def checked(self) -> "LossLabel":
        """The label with its options checked by the loss registry, defaults dropped, sorted
        (:func:`canonical_loss_options`)."""
        return LossLabel(self.name, canonical_loss_options(self.name, dict(self.options)))

    def option(self, key: str, default: OptionValue = None) -> OptionValue:
        """The value of option ``key``, or ``default`` when the label does not set it."""
        return dict(self.options).get(key, default)

    @property
    def hem_margin(self) -> float | None:
        """HEM's margin (the registry's default for plain ``hem``); None for another loss, or for
        HEM with options besides the margin."""
        if self.name != "hem" or {key for key, _ in self.options} - {"margin"}:
            return None
        return float(self.option("margin", loss_info("hem").defaults["margin"]))

    def sort_key(self) -> tuple:
        """hemlab's loss order (:data:`DEFAULT_LOSSES`, then other names alphabetically); a
        name's plain label first, then its labels by option (margins ascending)."""
        rank = DEFAULT_LOSSES.index(self.name) if self.name in DEFAULT_LOSSES else len(DEFAULT_LOSSES)
        return rank, self.name, tuple((key, str(value)) if isinstance(value, str) else (key, value)
                                      for key, value in sorted(self.options))

    def __str__(self) -> str:
        if not self.options:
            return self.name
        return self.name + ":" + ",".join(_option_text(key, value) for key, value in self.options)


def sort_labels(labels: Iterable[str]) -> list[str]:
    """``labels`` once each, in hemlab's loss order (:meth:`LossLabel.sort_key`)."""
    return sorted(dict.fromkeys(labels), key=lambda label: LossLabel.parse(label).sort_key())


def canonical_loss_options(loss: str, options: Mapping[str, OptionValue]) -> LossOptions:
    """Check ``options`` against loss ``loss``'s registry entry; drop defaults; sort.

    Raises ``ValueError`` for an unknown loss or option, or an option the task layer sets
    itself (``ignore_index``, ``class_counts``, ``reduction``).
    """
    info = loss_info(loss)
    allowed = [name for name in accepted_arguments(loss) if name not in _RESERVED_OPTIONS]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"loss_options: {loss} expected options from {allowed}, got unknown {unknown}")
    kept = {}
    for name, value in options.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"loss_options: {loss}:{name} expected a number or a word, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"loss_options: {loss}:{name} expected a finite number, got {value!r}")
        default = info.defaults.get(name)
        if isinstance(value, str) and isinstance(default, (int, float)) and not isinstance(default, bool):
            raise ValueError(f"loss_options: {loss}:{name} expected a number (default {default!r}), got {value!r}")
        if info.defaults.get(name) != value:
            kept[name] = float(value) if isinstance(value, int) and isinstance(info.defaults.get(name), float) else value
    return tuple(sorted(kept.items()))


def parse_loss_spec(text: str) -> tuple[str, LossOptions]:
    """``'hem:margin=0.5'`` -> ``('hem', (('margin', 0.5),))``, checked by the registry."""
    label = LossLabel.parse(text).checked()
    return label.name, label.options


def read_loss_label(text: str) -> tuple[str, dict[str, OptionValue]]:
    """``'hem:margin=0.5'`` -> ``('hem', {'margin': 0.5})``: :meth:`LossLabel.parse` as a pair."""
    label = LossLabel.parse(text)
    return label.name, dict(label.options)


def check_losses(variants: Iterable[tuple[str, LossOptions]], outputs: Iterable[str]) -> None:
    """Build each ``(loss, options)`` once and evaluate it on a tiny input of each of
    ``outputs`` it supports (``hemlab.losses.registration.probe_loss``), so a bad option value is
    refused before any run; ``ValueError`` naming the loss spec and what the loss said."""
    outputs = list(dict.fromkeys(outputs))
    for name, options in dict.fromkeys(variants):
        info = loss_info(name)
        for output in (output for output in outputs if output in info.outputs):
            try:
                probe_loss(info, output, dict(options))
            except Exception as error:  # noqa: BLE001 - a user loss may raise anything; one line says what
                raise ValueError(f"losses: {loss_label(name, options)} fails on a tiny {output} input: "
                                 f"{type(error).__name__}: {error}") from None


def loss_label(loss: str, loss_options: LossOptions) -> str:
    """The short name of a loss with its options, e.g. ``hem:margin=0.5``."""
    return str(LossLabel(loss, tuple(loss_options)))


__all__ = ["DEFAULT_LOSSES", "LossLabel", "LossOptions", "OptionValue", "canonical_loss_options", "check_losses",
           "loss_label", "parse_loss_spec", "read_loss_label", "read_word", "sort_labels"]
