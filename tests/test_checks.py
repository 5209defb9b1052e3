"""hemlab.checks: what each constraint accepts and refuses, the exception types and the messages."""
from __future__ import annotations

import doctest
import re
import math
from numbers import Integral, Real

import numpy as np
import pytest

import hemlab.checks
from hemlab.checks import ArgumentTypeError, Instance, Interval, Options, check, refusal

POSITIVE_INT = Interval(Integral, 1, None)
FINITE_POSITIVE = Interval(Real, 0, None, closed="neither")


def test_the_docstring_examples_hold():
    assert doctest.testmod(hemlab.checks).failed == 0


@pytest.mark.parametrize("value, converted", [(3, 3), (np.int64(3), 3), (np.uint8(1), 1)])
def test_an_integer_interval_accepts_integers_and_returns_int(value, converted):
    result = check("n", value, POSITIVE_INT)
    assert result == converted and type(result) is int


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 2.0, "2", None, [2]])
def test_an_integer_interval_refuses_bools_floats_and_strings_as_a_type_error(value):
    with pytest.raises(TypeError, match=r"^n: expected a positive integer, got ") as caught:
        check("n", value, POSITIVE_INT)
    assert isinstance(caught.value, ValueError) and type(caught.value) is ArgumentTypeError


@pytest.mark.parametrize("value", [0, -3, np.int32(0)])
def test_an_integer_below_the_bound_is_a_value_error_only(value):
    with pytest.raises(ValueError, match=rf"^n: expected a positive integer, got {re.escape(repr(value))}$") as caught:
        check("n", value, POSITIVE_INT)
    assert not isinstance(caught.value, TypeError)


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.5), np.float64(2.0), np.int16(4), 1e300])
def test_a_real_interval_accepts_numbers_and_numpy_scalars_and_returns_float(value):
    result = check("t", value, FINITE_POSITIVE)
    assert result == float(value) and type(result) is float


@pytest.mark.parametrize("value", [True, "1", None, 1j])
def test_a_real_interval_refuses_bool_and_non_numbers(value):
    with pytest.raises(ArgumentTypeError, match=r"^t: expected a finite number > 0, got "):
        check("t", value, FINITE_POSITIVE)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("inf")])
def test_nan_and_infinity_are_refused_unless_a_closed_bound_names_infinity(value):
    with pytest.raises(ValueError):
        check("t", value, FINITE_POSITIVE)
    with pytest.raises(ValueError):
        check("t", value, Interval(Real, 0, 1, closed="both"))
    with pytest.raises(ValueError):
        check("t", value, Interval(Real, 0, math.inf, closed="left"))


def test_a_closed_infinite_bound_accepts_that_infinity_only():
    positive = Interval(Real, 0, math.inf, closed="right")
    assert check("lr", math.inf, positive) == math.inf
    for refused in (-math.inf, math.nan, 0.0):
        with pytest.raises(ValueError):
            check("lr", refused, positive)
    assert check("x", -math.inf, Interval(Real, -math.inf, 0, closed="both")) == -math.inf


@pytest.mark.parametrize("closed, low_in, high_in", [("left", True, False), ("right", False, True),
                                                      ("both", True, True), ("neither", False, False)])
def test_closed_says_which_bounds_belong(closed, low_in, high_in):
    interval = Interval(Real, 0, 1, closed=closed)
    assert (interval.refusal(0) is None, interval.refusal(1) is None) == (low_in, high_in)
    assert interval.refusal(0.5) is None and interval.refusal(1.5) is not None and interval.refusal(-0.5) is not None


@pytest.mark.parametrize("interval, text", [
    (Interval(Integral, 1, None), "a positive integer"),
    (Interval(Integral, 0, None, closed="neither"), "a positive integer"),
    (Interval(Integral, 0, None), "a non-negative integer"),
    (Interval(Integral, 2, None), "an integer >= 2"),
    (Interval(Integral, 1, 5, closed="both"), "an integer in [1, 5]"),
    (Interval(Integral), "an integer"),
    (Interval(Real, 0, None, closed="neither"), "a finite number > 0"),
    (Interval(Real, 0, None), "a finite number >= 0"),
    (Interval(Real, None, 1, closed="right"), "a finite number <= 1"),
    (Interval(Real, 0, 1, closed="left"), "a number in [0, 1)"),
    (Interval(Real, 0, 0.5, closed="neither"), "a number in (0, 0.5)"),
    (Interval(Real, 0, math.inf, closed="right"), "a positive number"),
    (Interval(Real, 0, math.inf, closed="both"), "a non-negative number"),
    (Interval(Real, 0, math.inf, closed="right", noun="learning rate"), "a positive learning rate"),
    (Interval(Real), "a finite number"),
    (Options("sgd", "adamw"), "one of sgd, adamw"),
    (Instance(int), "an int"),
    (Instance(str), "a str"),
    (Instance(bool), "True or False"),
])
def test_constraints_describe_themselves(interval, text):
    assert str(interval) == text


def test_options_accept_their_values_and_refuse_others_as_value_errors():
    optimizers = Options("sgd", "adamw")
    assert check("optimizer", "adamw", optimizers) == "adamw"
    with pytest.raises(ValueError, match=r"^optimizer: expected one of sgd, adamw, got 'adam'$") as caught:
        check("optimizer", "adam", optimizers)
    assert not isinstance(caught.value, TypeError)
    with pytest.raises(ValueError):
        check("optimizer", ["sgd"], optimizers)


def test_a_bool_matches_only_a_bool_option():
    assert check("p", 2, Options(1, 2)) == 2
    with pytest.raises(ValueError):
        check("p", True, Options(1, 2))
    assert check("flag", True, Options(True, "auto")) is True


def test_instance_checks_the_type_and_int_refuses_bool():
    assert check("seed", 7, Instance(int)) == 7
    with pytest.raises(ArgumentTypeError, match=r"^seed: expected an int, got True$"):
        check("seed", True, Instance(int))
    assert check("amp", False, Instance(bool)) is False
    with pytest.raises(ArgumentTypeError, match=r"^amp: expected True or False, got 1$"):
        check("amp", 1, Instance(bool))


def test_none_among_the_constraints_accepts_none_and_reads_in_order():
    assert check("threads", None, POSITIVE_INT, None) is None
    with pytest.raises(ValueError, match=r"^threads: expected a positive integer or None, got 0$"):
        check("threads", 0, POSITIVE_INT, None)
    with pytest.raises(ValueError, match=r"^amp_dtype: expected None or one of bfloat16, float16, got 'float8'$"):
        check("amp_dtype", "float8", None, Options("bfloat16", "float16"))


def test_the_error_type_is_a_value_error_when_some_constraint_took_the_type():
    with pytest.raises(ValueError) as caught:
        check("grad_clip", -1.0, None, FINITE_POSITIVE)
    assert not isinstance(caught.value, TypeError)
    with pytest.raises(ArgumentTypeError):
        check("grad_clip", "1", None, FINITE_POSITIVE)


def test_the_owner_is_named_and_long_values_are_cut():
    with pytest.raises(ValueError, match=r"^size: expected a positive integer for dataset 'toy', got -1$"):
        check("size", -1, POSITIVE_INT, owner="dataset 'toy'")
    with pytest.raises(ArgumentTypeError) as caught:
        check("size", "x" * 500, POSITIVE_INT)
    assert str(caught.value).endswith("...") and len(str(caught.value)) < 160


@pytest.mark.parametrize("value, reason", [("a", "a number"), (math.nan, "finite"), (-1.0, ">= 0"), (True, "a number")])
def test_refusal_names_the_part_that_failed(value, reason):
    assert refusal(value, [Interval(Real, 0, None)]).reason == reason
    assert refusal(0.0, [Interval(Real, 0, None)]) is None


def test_bad_constraints_are_refused_when_made():
    with pytest.raises(ValueError, match="kind: expected numbers.Integral or numbers.Real"):
        Interval(int, 0, 1)
    with pytest.raises(ValueError, match="closed: expected one of left, right, both, neither"):
        Interval(Real, 0, 1, closed="open")
