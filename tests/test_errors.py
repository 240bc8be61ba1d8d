"""qpu_twin.errors: the validators shared by every layer."""

from __future__ import annotations

import math

import pytest

from qpu_twin.errors import ArgumentError, CompileError, finite_float


def test_finite_float_accepts_numbers_and_numeric_text():
    assert finite_float("x", 2) == 2.0 and isinstance(finite_float("x", 2), float)
    assert finite_float("x", "1.5e-3") == 1.5e-3
    assert finite_float("x", -0.25) == -0.25


@pytest.mark.parametrize("value, message", [
    ("abc", r"^parameter theta='abc': not a number$"),
    (None, r"^parameter theta=None: not a number$"),
    (math.nan, r"^parameter theta=nan: not finite$"),
    ("inf", r"^parameter theta=inf: not finite$"),
])
def test_finite_float_names_label_and_value(value, message):
    with pytest.raises(CompileError, match=message):
        finite_float("parameter theta", value, error=CompileError)


def test_finite_float_default_error_is_argument_error():
    with pytest.raises(ArgumentError) as info:
        finite_float("p[0]", [1, 2])
    assert isinstance(info.value, ValueError) and str(info.value) == "p[0]=list[2](1, 2): not a number"
