"""engines.sampling: the one sampler. Tolerances are shot noise: 5 sigma, sigma = sqrt(p(1-p)/N)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from qpu_twin.engines.base import EngineOutput
from qpu_twin.engines.sampling import memory_from_counts, sample_counts, sample_output
from qpu_twin.errors import EngineError

P = {"000": 0.45, "011": 0.3, "101": 0.2, "110": 0.05, "111": 0.0}


def _within_shot_noise(counts, probabilities, shots):
    assert sum(counts.values()) == shots
    for key, p in probabilities.items():
        sigma = np.sqrt(p * (1 - p) / shots)
        assert abs(counts.get(key, 0) / shots - p) <= 5 * sigma + 1e-15, (key, counts.get(key, 0), p)


@pytest.mark.parametrize("shots", [1_000, 100_000])
def test_counts_follow_the_distribution(shots):
    counts = sample_counts(P, shots, np.random.default_rng(7))
    _within_shot_noise(counts, P, shots)
    assert "111" not in counts and all(c > 0 for c in counts.values())  # outcomes with 0 counts omitted


def test_unnormalised_weights_and_round_off_negatives():
    weights = {"0": 1.5, "1": 0.5, "2": -1e-13}  # total 2, a round-off negative
    counts = sample_counts(weights, 50_000, np.random.default_rng(3))
    _within_shot_noise(counts, {"0": 0.75, "1": 0.25, "2": 0.0}, 50_000)
    assert "2" not in counts


def test_same_seed_same_counts():
    a = sample_counts(P, 5_000, np.random.default_rng(11))
    assert a == sample_counts(P, 5_000, np.random.default_rng(11))
    assert a != sample_counts(P, 5_000, np.random.default_rng(12))


@pytest.mark.parametrize("probabilities, needle", [
    ({}, "empty distribution"),
    ({"0": 0.5, "1": float("nan")}, "non-finite"),
    ({"0": 1.0, "1": -1e-6}, "< 0"),
    ({"0": 0.0, "1": 0.0}, "zero total weight"),
])
def test_bad_distributions_raise(probabilities, needle):
    with pytest.raises(EngineError, match=needle):
        sample_counts(probabilities, 10, np.random.default_rng(0))


def test_sample_output_uses_the_engines_own_sampler():
    exact = EngineOutput({"0": 0.25, "1": 0.75})
    counts, clipped = sample_output(exact, 40_000, np.random.default_rng(5))
    assert clipped == 0
    _within_shot_noise(counts, exact.probabilities, 40_000)
    calls = []

    def sampler(shots, rng):
        calls.append(shots)
        return {"1": shots}, 3

    own = EngineOutput({}, sampler=sampler)
    assert sample_output(own, 17, np.random.default_rng(0)) == ({"1": 17}, 3) and calls == [17]


def test_memory_is_a_permutation_of_the_counts():
    counts = {"00": 5, "01": 3, "11": 2}
    memory = memory_from_counts(counts, np.random.default_rng(1))
    assert Counter(memory) == counts and len(memory) == 10
    assert memory == memory_from_counts(counts, np.random.default_rng(1))  # seeded


def test_memory_order_is_uniform():
    """The position of the single '1' among four shots is uniform: each of the 4 places with p = 1/4."""
    rng = np.random.default_rng(2)
    trials = 4_000
    where = Counter(memory_from_counts({"0": 3, "1": 1}, rng).index("1") for _ in range(trials))
    p = 0.25
    sigma = np.sqrt(p * (1 - p) / trials)
    for position in range(4):
        assert abs(where[position] / trials - p) <= 5 * sigma, where
