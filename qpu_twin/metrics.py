"""Distances between outcome distributions (dicts bitstring -> probability or count)."""

from __future__ import annotations

import math
from typing import Mapping


def _normalise(d: Mapping[str, float]) -> dict[str, float]:
    total = float(sum(d.values()))
    if total <= 0:
        raise ValueError("distribution has zero total weight")
    return {k: v / total for k, v in d.items()}


def hellinger(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Hellinger distance sqrt(1 - sum_k sqrt(p_k q_k)) in [0, 1]; counts are normalised."""
    p, q = _normalise(p), _normalise(q)
    bc = sum(math.sqrt(max(p[k], 0.0) * max(q[k], 0.0)) for k in p.keys() & q.keys())
    return math.sqrt(max(0.0, 1.0 - bc))


def tvd(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total variation distance (1/2) sum_k |p_k - q_k|; counts are normalised."""
    p, q = _normalise(p), _normalise(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in p.keys() | q.keys())
