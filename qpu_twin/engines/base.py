"""Engine interface and registry: engines consume a NoisyProgram and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import EngineError
from ..noise.program import NoisyProgram


@dataclass
class EngineOutput:
    """Exact (or truncated) outcome distribution over classical bits."""

    probabilities: dict[str, float]
    metadata: dict[str, Any] = field(default_factory=dict)
    #: ``sampler(shots, rng) -> (counts, n_clipped)`` when the engine samples itself
    #: (e.g. the distribution is too large to enumerate).
    sampler: Callable | None = None


class Engine:
    """Base class. Subclasses set ``name`` and implement :meth:`run`."""

    name = "engine"

    def __init__(self, **options: Any):
        self.options = options

    def check(self, program: NoisyProgram) -> None:
        """Raise :class:`EngineError` if ``program`` cannot run (before any allocation)."""

    def check_size(self, num_qubits: int, *, mid_circuit_measurements: bool) -> None:
        """Raise :class:`EngineError` early (before noise maps are built) if the size is out of reach."""

    def run(self, program: NoisyProgram) -> EngineOutput:  # pragma: no cover - interface
        raise NotImplementedError


_ENGINES: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str, factory: Callable[..., Engine]) -> None:
    _ENGINES[name] = factory


def get_engine(name: str, **options: Any) -> Engine:
    if name not in _ENGINES:
        raise EngineError(f"engine {name!r} unknown (registered: {', '.join(sorted(_ENGINES))})")
    return _ENGINES[name](**options)


def engine_names() -> list[str]:
    return sorted(_ENGINES)
