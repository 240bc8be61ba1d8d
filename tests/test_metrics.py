"""Distribution distances and scores against hand-computed values; the bootstrap against shot noise."""

import math

import numpy as np
import pytest

from qpu_twin.metrics import (
    bootstrap_metric,
    heavy_output_probability,
    hellinger,
    linear_xeb,
    success_probability,
    tvd,
)


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


def test_metrics_hand_cases():
    ideal = {"00": 0.4, "01": 0.3, "10": 0.2, "11": 0.1}
    q = {"00": 50, "01": 10, "10": 30, "11": 10}  # counts: 0.5 0.1 0.3 0.1
    assert tvd(ideal, q) == pytest.approx(0.5 * (0.1 + 0.2 + 0.1 + 0.0))
    assert hellinger(ideal, q) == pytest.approx(
        math.sqrt(1 - (math.sqrt(0.2) + math.sqrt(0.03) + math.sqrt(0.06) + math.sqrt(0.01))))
    # heavy outputs: probabilities above the median (0.25) are 00 and 01
    assert heavy_output_probability(ideal, q) == pytest.approx(0.6)
    # linear XEB = 4 * sum q p - 1 = 4 * (0.5*.4 + .1*.3 + .3*.2 + .1*.1) - 1
    assert linear_xeb(ideal, q) == pytest.approx(4 * 0.3 - 1)
    assert linear_xeb(ideal, ideal) == pytest.approx(4 * (0.16 + 0.09 + 0.04 + 0.01) - 1)
    assert success_probability(q, "10") == pytest.approx(0.3)
    uniform = {format(i, "02b"): 0.25 for i in range(4)}
    assert linear_xeb(ideal, uniform) == pytest.approx(0.0)


def test_bootstrap_metric_matches_plain_metric_and_scales_with_shots():
    pred = {"0": 0.7, "1": 0.3}
    resamples = 400
    # shot counts where TVD = |0.65 - 0.7| sits >= 5 sigma from its fold at 0, so TVD is linear in the fraction
    for shots in (2_500, 10_000):
        counts = {"0": int(0.65 * shots), "1": shots - int(0.65 * shots)}
        v, reps = bootstrap_metric("tvd", pred, counts, resamples=resamples, rng=np.random.default_rng(1))
        assert v == pytest.approx(tvd(pred, counts))
        # the spread of the replicates is the binomial shot noise of the measured fraction; a standard
        # deviation estimated from R replicates has relative error 1/sqrt(2(R-1)): allow 3 of those
        assert np.std(reps) == pytest.approx(np.sqrt(0.65 * 0.35 / shots), rel=3 / np.sqrt(2 * (resamples - 1)))
