"""Seeds: one conversion for the whole package (a leaf module).

Every public function that takes ``seed`` accepts ``None`` (fresh entropy), a
non-negative integer, a ``numpy.random.SeedSequence`` or a
``numpy.random.Generator``; it is converted once to a ``SeedSequence`` whose
children seed parallel or per-circuit work, so results are reproducible
whatever the executor.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ArgumentError, short_repr

#: numpy accepts seeds up to 2**128 - 1 as SeedSequence entropy; larger values are refused.
MAX_SEED = 2**128 - 1


def seed_sequence(seed, *, name: str = "seed") -> np.random.SeedSequence:
    """``seed`` as a ``numpy.random.SeedSequence`` (see module docstring), or :class:`ArgumentError`."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(2**63)))
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ArgumentError(f"{name}={short_repr(seed)}: must be a non-negative integer, a numpy "
                            "SeedSequence/Generator or None")
    if seed < 0 or seed > MAX_SEED:
        raise ArgumentError(f"{name}={int(seed)}: must be between 0 and 2**128 - 1")
    return np.random.SeedSequence(int(seed))


def check_seed(seed, *, name: str = "seed"):
    """Validate ``seed`` like :func:`seed_sequence` without converting it (a Generator is not drawn from).

    Returns ``seed`` unchanged, for functions that pass it on to ``numpy.random.default_rng``.
    """
    if seed is None or isinstance(seed, (np.random.SeedSequence, np.random.Generator)):
        return seed
    seed_sequence(seed, name=name)
    return seed


def derived_int_seed(ss: np.random.SeedSequence, bits: int = 31) -> int:
    """A deterministic integer seed (e.g. for Qiskit's transpiler) drawn from ``ss``."""
    return int(ss.generate_state(1)[0] % (2**bits))
