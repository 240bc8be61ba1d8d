"""Distances and scores between outcome distributions (dicts bitstring -> probability or count).

* ``hellinger(p, q)`` = sqrt(1 - sum_k sqrt(p_k q_k)), in [0, 1];
* ``tvd(p, q)`` = 1/2 sum_k |p_k - q_k|;
* ``heavy_output_probability(ideal, q)``: mass of q on the ideal distribution's
  heavy outputs (ideal probability above the ideal median, over all 2^n
  outcomes, as in quantum volume);
* ``linear_xeb(ideal, q)`` = 2^n sum_k q_k p_ideal(k) - 1 (1 for the ideal
  distribution of a random circuit, 0 for uniform noise);
* ``success_probability(q, answer)`` = q(answer).

Counts are normalised. :func:`bootstrap_metric` gives confidence intervals
from the shot noise of measured counts (multinomial resampling).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

from .errors import ArgumentError, check_choice, check_finite_mapping, check_instance, check_int, check_str, short_repr

__all__ = ["bootstrap_metric", "heavy_output_probability", "heavy_outputs", "hellinger", "linear_xeb",
           "success_probability", "tvd"]

#: Largest number of bootstrap resamples (more would not change a 95 % interval; it bounds memory).
MAX_RESAMPLES = 10**6
#: Largest number of bits :func:`heavy_outputs` enumerates (2**n probabilities in memory).
MAX_HEAVY_BITS = 24


def _normalise(d: Mapping[str, float], what: str = "distribution", *, integer: bool = False) -> dict[str, float]:
    """``d`` divided by its total; non-finite or clearly negative entries are refused (ArgumentError naming ``what``)."""
    d = check_finite_mapping(what, d, integer=integer)
    total = sum(float(v) for v in d.values())
    return {k: float(v) / total for k, v in d.items()}


def _bitstrings(what: str, d: Mapping[str, float], n: int) -> None:
    """Every key of ``d`` is a bitstring of ``n`` bits (else ArgumentError naming ``what``)."""
    for k in d:
        if len(k) != n or set(k) - {"0", "1"}:
            raise ArgumentError(f"{what}: outcome {short_repr(k)} is not a bitstring of {n} bits")


def hellinger(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Hellinger distance sqrt(1 - sum_k sqrt(p_k q_k)) in [0, 1]; counts are normalised.

    Sums run over sorted outcomes: the same inputs give the same bits in every process (a set's order
    depends on the string-hash seed).
    """
    p, q = _normalise(p, "p"), _normalise(q, "q")
    bc = sum(math.sqrt(max(p[k], 0.0) * max(q[k], 0.0)) for k in sorted(p.keys() & q.keys()))
    return math.sqrt(max(0.0, 1.0 - bc))


def tvd(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total variation distance (1/2) sum_k |p_k - q_k|; counts are normalised."""
    p, q = _normalise(p, "p"), _normalise(q, "q")
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in sorted(p.keys() | q.keys()))


def heavy_outputs(ideal: Mapping[str, float], num_bits: int) -> set[str]:
    """Outcomes whose ideal probability exceeds the median over all 2^num_bits outcomes."""
    num_bits = check_int("num_bits", num_bits, minimum=1, maximum=MAX_HEAVY_BITS)
    p = _normalise(ideal, "ideal")
    _bitstrings("ideal", p, num_bits)
    probs = np.zeros(2**num_bits)
    for k, v in p.items():
        probs[int(k, 2)] = v
    med = float(np.median(probs))
    return {format(i, f"0{num_bits}b") for i in np.flatnonzero(probs > med)}


def heavy_output_probability(ideal: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Probability mass of ``q`` on the heavy outputs of ``ideal`` (see the module docstring)."""
    n = _width(ideal)
    heavy = heavy_outputs(ideal, n)
    q = _normalise(q, "q")
    _bitstrings("q", q, n)
    return float(sum(v for k, v in q.items() if k in heavy))


def linear_xeb(ideal: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Linear cross-entropy benchmark 2^n sum_k q_k p_ideal(k) - 1 (see the module docstring)."""
    n = _width(ideal)
    p = _normalise(ideal, "ideal")
    q = _normalise(q, "q")
    _bitstrings("ideal", p, n)
    _bitstrings("q", q, n)
    return float(2**n * sum(v * p.get(k, 0.0) for k, v in q.items()) - 1.0)


def _width(ideal) -> int:
    """Number of bits of the outcomes of a (validated) ideal distribution."""
    ideal = check_finite_mapping("ideal", ideal)
    return len(next(iter(ideal)))


def success_probability(q: Mapping[str, float], answer: str) -> float:
    """The probability (or frequency) of the outcome ``answer`` in ``q``."""
    q = _normalise(q, "q")
    check_str("answer", answer)
    _bitstrings("answer", {answer: 1.0}, len(answer))
    widths = {len(k) for k in q}
    if len(widths) == 1 and len(answer) not in widths:
        raise ArgumentError(f"answer={answer!r}: has {len(answer)} bits but the outcomes of q have {widths.pop()}")
    return float(q.get(answer, 0.0))


# ---------------------------------------------------------------------- vectorised + bootstrap
def _aligned(pred: Mapping[str, float], counts: Mapping[str, int]):
    keys = sorted(set(pred) | set(counts))
    p = np.array([max(pred.get(k, 0.0), 0.0) for k in keys])
    p = p / p.sum()
    c = np.array([counts.get(k, 0) for k in keys], dtype=np.int64)
    return keys, p, c


def bootstrap_metric(metric: str, prediction: Mapping[str, float], counts: Mapping[str, int], *,
                     resamples: int = 200, rng: np.random.Generator | None = None) -> tuple[float, np.ndarray]:
    """Metric between a predicted distribution and measured counts, and its bootstrap replicates.

    The measured counts are resampled multinomially (shot noise); returns
    (value on the data, array of ``resamples`` replicate values).
    """
    check_choice("metric", metric, ("hellinger", "tvd"))
    _normalise(prediction, "prediction")
    _normalise(counts, "counts", integer=True)
    resamples = check_int("resamples", resamples, minimum=1, maximum=MAX_RESAMPLES)
    check_instance("rng", rng, np.random.Generator, what="numpy Generator", allow_none=True)
    rng = rng or np.random.default_rng(0)
    keys, p, c = _aligned(prediction, counts)
    shots = int(c.sum())
    if shots <= 0:
        raise ArgumentError("bootstrap_metric: measured counts are empty")
    reps = rng.multinomial(shots, c / shots, size=resamples) / shots  # (R, K)
    obs = c / shots
    if metric == "hellinger":
        f: Callable = lambda q: np.sqrt(np.clip(1.0 - np.sqrt(q * p).sum(axis=-1), 0, None))  # noqa: E731
    elif metric == "tvd":
        f = lambda q: 0.5 * np.abs(q - p).sum(axis=-1)  # noqa: E731
    else:
        raise ArgumentError(f"metric={metric!r}: use 'hellinger' or 'tvd'")
    return float(f(obs)), f(reps)
