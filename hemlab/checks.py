"""Declarative argument checks: say what an argument must be, once, and get a clear error.

A constraint describes the values it accepts, and :func:`check` returns the value (an
integer as ``int``, a real number as ``float``) or raises an error that names the argument,
says what was expected and shows what was given:

>>> from numbers import Integral, Real
>>> check("batch_size", 64, Interval(Integral, 1, None))
64
>>> check("threads", 0, Interval(Integral, 1, None), None)
Traceback (most recent call last):
    ...
ValueError: threads: expected a positive integer or None, got 0
>>> check("lr", "0.1", Interval(Real, 0, None, closed="neither"))
Traceback (most recent call last):
    ...
hemlab.checks.ArgumentTypeError: lr: expected a finite number > 0, got '0.1'

Rules every constraint follows: ``bool`` is never a number (``True`` is not ``1``); numpy
integers and floats are numbers; a real interval refuses NaN, and refuses infinity unless
the interval names it as a closed bound (``Interval(Real, 0, math.inf, closed="both")``).
A value of the wrong type raises :class:`ArgumentTypeError` (a ``TypeError`` and a
``ValueError``); a value of the right type outside the constraint raises ``ValueError``.
The idea is scikit-learn's ``sklearn.utils._param_validation``.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Iterable, NamedTuple

__all__ = ["POSITIVE_INTEGER", "ArgumentTypeError", "Instance", "Interval", "Options", "Refusal", "check", "refusal"]

CLOSED = ("left", "right", "both", "neither")


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type. It is also a ``ValueError``, as scikit-learn's
    ``InvalidParameterError`` is, so that code catching ``ValueError`` (what most of hemlab
    raised for a wrong type before) still catches it."""


class Refusal(NamedTuple):
    """Why a constraint refuses a value: the exception type and the part that failed,
    e.g. ``Refusal(ValueError, ">= 0")``."""

    error: type[Exception]
    reason: str


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _bound(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class Interval:
    """Numbers of ``kind`` (``numbers.Integral`` or ``numbers.Real``) between ``low`` and ``high``.

    ``None`` leaves a side open-ended; ``closed`` (``"left"``, ``"right"``, ``"both"`` or
    ``"neither"``) says which given bounds belong to the interval. ``noun`` names the
    quantity in messages (default ``"integer"`` or ``"number"``).

    >>> str(Interval(Integral, 0, None))
    'a non-negative integer'
    >>> str(Interval(Real, 0, 1, closed="left"))
    'a number in [0, 1)'
    >>> str(Interval(Real, 0, math.inf, closed="right", noun="learning rate"))
    'a positive learning rate'
    >>> Interval(Real, 0, None).refusal(math.inf)
    Refusal(error=<class 'ValueError'>, reason='finite')
    """

    def __init__(self, kind: type, low: float | None = None, high: float | None = None, *, closed: str = "left",
                 noun: str | None = None) -> None:
        if kind not in (Integral, Real):
            raise ValueError(f"kind: expected numbers.Integral or numbers.Real, got {kind!r}")
        if closed not in CLOSED:
            raise ValueError(f"closed: expected one of {', '.join(CLOSED)}, got {closed!r}")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed
        self.noun = noun or ("integer" if kind is Integral else "number")
        self.low_closed, self.high_closed = closed in ("left", "both"), closed in ("right", "both")

    def _allows(self, bound: float | None, closed: bool) -> bool:
        return bound is not None and math.isinf(bound) and closed

    def _range(self) -> str:
        """The bounds in words: ``"> 0"``, ``"in [0, 1)"``, or ``""`` for none."""
        low = None if self.low is None or math.isinf(self.low) else self.low
        high = None if self.high is None or math.isinf(self.high) else self.high
        if low is not None and high is not None:
            return f"in {'[' if self.low_closed else '('}{_bound(low)}, {_bound(high)}{']' if self.high_closed else ')'}"
        if low is not None:
            return f"{'>=' if self.low_closed else '>'} {_bound(low)}"
        if high is not None:
            return f"{'<=' if self.high_closed else '<'} {_bound(high)}"
        return ""

    def _finite_only(self) -> bool:
        """Whether a real interval refuses an infinity that no finite bound rules out."""
        return self.kind is Real and ((self.high is None and not self._allows(self.low, self.low_closed))
                                      or (self.low is None and not self._allows(self.high, self.high_closed)))

    def _sign(self) -> str | None:
        """``"positive"`` or ``"non-negative"`` when the interval is all such numbers
        (integers ``>= 1``; reals ``> 0`` with infinity), else ``None``."""
        unbounded = self.high is None or self._allows(self.high, self.high_closed)
        if not unbounded or self._finite_only():
            return None
        if self.low == 0:
            return "non-negative" if self.low_closed else "positive"
        return "positive" if self.kind is Integral and self.low == 1 and self.low_closed else None

    def __str__(self) -> str:
        sign, bounds = self._sign(), self._range()
        if sign:
            return f"{_article(sign)} {self.noun}"
        words = _article(f"finite {self.noun}" if self._finite_only() else self.noun)
        return f"{words} {bounds}" if bounds else words

    def refusal(self, value: Any) -> Refusal | None:
        """``None`` if ``value`` lies in the interval, else why not."""
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return Refusal(ArgumentTypeError, _article(self.noun))
        number = float(value)
        infinite_ok = (self._allows(self.high, self.high_closed) if number > 0
                       else self._allows(self.low, self.low_closed))
        if math.isnan(number) or (math.isinf(number) and not infinite_ok):
            return Refusal(ValueError, "finite")
        low_ok = self.low is None or number > self.low or (self.low_closed and number == self.low)
        high_ok = self.high is None or number < self.high or (self.high_closed and number == self.high)
        return None if low_ok and high_ok else Refusal(ValueError, self._range())

    def convert(self, value: Any) -> int | float:
        return int(value) if self.kind is Integral else float(value)


class Options:
    """One of a fixed set of values, compared with ``==``; a bool matches only a bool option.

    >>> str(Options("sgd", "adamw"))
    'one of sgd, adamw'
    >>> Options(1, 2).refusal(True)
    Refusal(error=<class 'ValueError'>, reason='one of 1, 2')
    """

    def __init__(self, *values: Any) -> None:
        self.values = values

    def __str__(self) -> str:
        return f"one of {', '.join(str(value) for value in self.values)}"

    def refusal(self, value: Any) -> Refusal | None:
        bools = isinstance(value, bool)
        found = any(value == option and bools == isinstance(option, bool) for option in self.values)
        return None if found else Refusal(ValueError, str(self))

    def convert(self, value: Any) -> Any:
        return value


class Instance:
    """An instance of ``kind``; ``Instance(int)`` refuses ``bool``, ``Instance(bool)`` reads "True or False".

    >>> str(Instance(int)), str(Instance(bool))
    ('an int', 'True or False')
    """

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def __str__(self) -> str:
        return "True or False" if self.kind is bool else _article(self.kind.__name__)

    def refusal(self, value: Any) -> Refusal | None:
        wrong = not isinstance(value, self.kind) or (isinstance(value, bool) and self.kind is not bool)
        return Refusal(ArgumentTypeError, str(self)) if wrong else None

    def convert(self, value: Any) -> Any:
        return value


POSITIVE_INTEGER = Interval(Integral, 1, None)
"""The most common constraint: an integer ``>= 1`` (a count, a size, a batch size)."""


def _shown(value: Any, limit: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


def refusal(value: Any, constraints: Iterable[Any]) -> Refusal | None:
    """``None`` if any of ``constraints`` accepts ``value`` (``None`` among them accepts
    ``None``), else the first constraint's refusal, as a ``ValueError`` when some constraint
    took the value's type and refused its value.

    >>> refusal(-1, [Interval(Integral, 0, None)])
    Refusal(error=<class 'ValueError'>, reason='>= 0')
    """
    refusals = []
    for constraint in constraints:
        if constraint is None:
            if value is None:
                return None
            refusals.append(Refusal(ArgumentTypeError, "None"))
            continue
        found = constraint.refusal(value)
        if found is None:
            return None
        refusals.append(found)
    error = ValueError if any(found.error is ValueError for found in refusals) else ArgumentTypeError
    return Refusal(error, refusals[0].reason)


def check(name: str, value: Any, *constraints: Any, owner: str | None = None) -> Any:
    """``value`` if one of ``constraints`` accepts it (converted by that constraint: ``int``
    or ``float`` for an :class:`Interval`); else raise, naming ``name`` and ``owner``.

    ``None`` among the constraints accepts ``None``. ``owner`` says whose argument it is.

    >>> check("scale", 2, Interval(Real, 0, None, closed="neither"))
    2.0
    >>> check("amp_dtype", "float8", None, Options("bfloat16", "float16"))
    Traceback (most recent call last):
        ...
    ValueError: amp_dtype: expected None or one of bfloat16, float16, got 'float8'
    >>> check("image_size", True, Interval(Integral, 1, None), owner="dataset 'toy'")
    Traceback (most recent call last):
        ...
    hemlab.checks.ArgumentTypeError: image_size: expected a positive integer for dataset 'toy', got True
    """
    for constraint in constraints:
        if constraint is None and value is None:
            return None
        if constraint is not None and constraint.refusal(value) is None:
            return constraint.convert(value)
    refused = refusal(value, constraints)
    expected = " or ".join("None" if constraint is None else str(constraint) for constraint in constraints)
    where = f" for {owner}" if owner else ""
    raise refused.error(f"{name}: expected {expected}{where}, got {_shown(value)}")
