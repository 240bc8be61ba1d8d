"""Distribution distances against hand-computed values."""

import math

import pytest

from qpu_twin.metrics import hellinger, tvd


def test_identical_and_disjoint():
    assert hellinger({"0": 1}, {"0": 5}) == 0.0 and tvd({"0": 1}, {"0": 5}) == 0.0
    assert hellinger({"0": 1}, {"1": 1}) == 1.0 and tvd({"0": 1}, {"1": 1}) == 1.0


def test_hand_computed():
    p = {"00": 0.5, "11": 0.5}
    q = {"00": 0.25, "01": 0.25, "11": 0.5}
    # BC = sqrt(.5*.25) + sqrt(.5*.5) = 0.35355 + 0.5
    assert hellinger(p, q) == pytest.approx(math.sqrt(1 - (math.sqrt(0.125) + 0.5)))
    assert tvd(p, q) == pytest.approx(0.25)
    assert tvd({"0": 30, "1": 70}, {"0": 0.5, "1": 0.5}) == pytest.approx(0.2)


def test_zero_weight():
    with pytest.raises(ValueError):
        tvd({}, {"0": 1})
