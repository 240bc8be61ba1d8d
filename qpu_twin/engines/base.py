"""Engine interface and registry: engines consume a NoisyProgram and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from ..errors import ArgumentError, EngineError, check_bool, check_real, check_str
from ..noise.program import NoisyProgram


@dataclass(frozen=True)
class EngineOutput:
    """What an engine returns for one program (a frozen record).

    Attributes
    ----------
    probabilities : dict[str, float]
        Exact (or truncated) distribution over the classical bits; empty when
        the engine cannot enumerate it (then ``sampler`` draws shots).
    metadata : dict
        Engine statistics (branches, bonds, trace, ...); plain data.
    sampler : callable, optional
        ``sampler(shots, rng) -> (counts, n_clipped)`` when the engine samples
        itself (e.g. too many classical bits to enumerate).
    state : object, optional
        The engine's final state object (``MPDOState`` of the MPDO engines:
        ``probability(bitstring)``, ``expectation(pauli)``).
    truncation_error : float
        The engine's own approximation error (0 for exact engines, the
        accumulated discarded weight for truncated tensor networks, ``nan``
        when the engine cannot tell).
    """

    probabilities: dict[str, float]
    metadata: dict[str, Any] = field(default_factory=dict)
    sampler: Callable | None = None
    state: Any = None
    truncation_error: float = 0.0


class Engine:
    """Base class. Subclasses set ``name``, the option names they accept, and implement :meth:`run`."""

    name: ClassVar[str] = "engine"
    #: Option names the engine accepts; anything else is refused with an :class:`EngineError`.
    option_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **options: Any):
        unknown = sorted(set(options) - set(self.option_names))
        if unknown:
            raise EngineError(f"{self.name}: unknown option(s) {unknown} (known: "
                              f"{', '.join(self.option_names) or 'none'})")
        self.options = options

    def check(self, program: NoisyProgram) -> None:
        """Raise :class:`EngineError` if ``program`` cannot run (before any allocation)."""

    def check_size(self, num_qubits: int, *, mid_circuit_measurements: bool) -> None:
        """Raise :class:`EngineError` early (before noise maps are built) if the size is out of reach."""

    def run(self, program: NoisyProgram) -> EngineOutput:  # pragma: no cover - interface
        raise NotImplementedError


_ENGINES: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str, factory: Callable[..., Engine]) -> None:
    """Register ``factory(**options) -> Engine`` under ``name`` (replacing an engine of that name)."""
    check_str("name", name)
    if not callable(factory):
        raise ArgumentError(f"factory={factory!r}: must be callable (an Engine subclass or a function "
                            "returning an Engine)")
    _ENGINES[name] = factory


def check_option_values(engine: str, **values: Any) -> None:
    """:class:`EngineError` for engine option values of the wrong kind.

    ``save_state``: a bool; ``progress``: a bool or None; ``warn_threshold``: a real number >= 0 or None.
    """
    for name, value in values.items():
        try:
            if name == "save_state":
                check_bool(name, value)
            elif name == "progress":
                check_bool(name, value, allow_none=True)
            elif name == "warn_threshold":
                check_real(name, value, minimum=0.0, allow_none=True)
            else:  # pragma: no cover - a programming error
                raise KeyError(name)
        except ArgumentError as exc:
            raise EngineError(f"{engine}: {exc}") from None


def get_engine(name: str, **options: Any) -> Engine:
    if not isinstance(name, str) or name not in _ENGINES:
        import difflib

        close = difflib.get_close_matches(str(name), list(_ENGINES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise EngineError(f"engine={name!r} unknown{hint} (registered: {', '.join(sorted(_ENGINES))}, or 'auto')")
    factory = _ENGINES[name]
    known = getattr(factory, "option_names", None)
    if known is not None:  # refuse unknown names here: the factory's signature would raise a bare TypeError
        unknown = [k for k in options if k not in known]
        if unknown:
            from ..errors import did_you_mean

            hints = ", ".join(f"{k!r}{did_you_mean(k, known)}" for k in unknown)
            raise EngineError(f"{name}: unknown option(s) {hints} (known: {', '.join(known) or 'none'})")
    return factory(**options)


def engine_names() -> list[str]:
    return sorted(_ENGINES)
