"""The one sampler: counts from an engine's output, and per-shot memory from counts.

``Twin``, ``TwinBackend`` and the benchmark harness all draw shots here, so
the same seed gives the same counts wherever a circuit is run.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import EngineError
from .base import EngineOutput


def sample_counts(probabilities: Mapping[str, float], shots: int, rng: np.random.Generator) -> dict[str, int]:
    """``shots`` multinomial draws from an exact distribution (outcomes with 0 counts omitted).

    Round-off negatives down to -1e-12 are treated as 0; anything more negative
    is a numerical failure and raises :class:`EngineError`.
    """
    keys = list(probabilities)
    p = np.array([probabilities[k] for k in keys], dtype=float)
    if p.size == 0:
        raise EngineError("cannot sample: empty distribution")
    if not np.all(np.isfinite(p)):
        raise EngineError("cannot sample: the distribution has non-finite probabilities")
    if p.min() < -1e-12:
        raise EngineError(f"cannot sample: probability {p.min():.3g} < 0 (numerical failure)")
    p = np.maximum(p, 0.0)  # round-off below 1e-12 only (checked above)
    total = p.sum()
    if total <= 0:
        raise EngineError("cannot sample: the distribution has zero total weight")
    p /= total
    draws = rng.multinomial(shots, p)
    return {k: int(c) for k, c in zip(keys, draws) if c}


def sample_output(out: EngineOutput, shots: int, rng: np.random.Generator) -> tuple[dict[str, int], int]:
    """Counts for ``shots`` shots of an engine output: ``(counts, clipped negative weights)``."""
    if out.sampler is None:
        return sample_counts(out.probabilities, shots, rng), 0
    counts, clipped = out.sampler(int(shots), rng)
    return dict(counts), int(clipped)


def memory_from_counts(counts: Mapping[str, int], rng: np.random.Generator) -> list[str]:
    """Per-shot outcomes in a random order (a uniform random permutation of the counts)."""
    out = [k for k, c in counts.items() for _ in range(int(c))]
    order = rng.permutation(len(out))
    return [out[i] for i in order]
