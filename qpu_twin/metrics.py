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

from .errors import ArgumentError, short_repr


def _normalise(d: Mapping[str, float], what: str = "distribution") -> dict[str, float]:
    """``d`` divided by its total; non-finite or clearly negative entries are refused (ArgumentError)."""
    if not isinstance(d, Mapping):
        raise ArgumentError(f"{what}: expected a mapping outcome -> probability or count, got {type(d).__name__}")
    total = 0.0
    for k, v in d.items():
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ArgumentError(f"{what}[{short_repr(k)}]={short_repr(v)}: not a number") from None
        if not math.isfinite(x):
            raise ArgumentError(f"{what}[{short_repr(k)}]={x!r}: not finite")
        if x < -1e-9:
            raise ArgumentError(f"{what}[{short_repr(k)}]={x!r}: negative")
        total += x
    if total <= 0:
        raise ArgumentError(f"{what}: zero total weight")
    return {k: float(v) / total for k, v in d.items()}


def hellinger(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Hellinger distance sqrt(1 - sum_k sqrt(p_k q_k)) in [0, 1]; counts are normalised.

    Sums run over sorted outcomes: the same inputs give the same bits in every process (a set's order
    depends on the string-hash seed).
    """
    p, q = _normalise(p), _normalise(q)
    bc = sum(math.sqrt(max(p[k], 0.0) * max(q[k], 0.0)) for k in sorted(p.keys() & q.keys()))
    return math.sqrt(max(0.0, 1.0 - bc))


def tvd(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total variation distance (1/2) sum_k |p_k - q_k|; counts are normalised."""
    p, q = _normalise(p), _normalise(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in sorted(p.keys() | q.keys()))


def heavy_outputs(ideal: Mapping[str, float], num_bits: int) -> set[str]:
    """Outcomes whose ideal probability exceeds the median over all 2^num_bits outcomes."""
    p = _normalise(ideal)
    probs = np.zeros(2**num_bits)
    for k, v in p.items():
        probs[int(k, 2)] = v
    med = float(np.median(probs))
    return {format(i, f"0{num_bits}b") for i in np.flatnonzero(probs > med)}


def heavy_output_probability(ideal: Mapping[str, float], q: Mapping[str, float]) -> float:
    n = len(next(iter(ideal)))
    heavy = heavy_outputs(ideal, n)
    q = _normalise(q)
    return float(sum(v for k, v in q.items() if k in heavy))


def linear_xeb(ideal: Mapping[str, float], q: Mapping[str, float]) -> float:
    n = len(next(iter(ideal)))
    p = _normalise(ideal)
    q = _normalise(q)
    return float(2**n * sum(v * p.get(k, 0.0) for k, v in q.items()) - 1.0)


def success_probability(q: Mapping[str, float], answer: str) -> float:
    return float(_normalise(q).get(answer, 0.0))


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
