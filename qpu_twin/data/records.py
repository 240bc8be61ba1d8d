"""The one record of a circuit that ran (or will run) with measured counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qiskit import QuantumCircuit


@dataclass(frozen=True)
class MeasuredCircuit:
    """A circuit, with the counts it gave on hardware when it ran there.

    Attributes
    ----------
    name : str
    circuit : QuantumCircuit
    counts : dict[str, int] or None
        Qiskit-ordered bitstrings (clbit 0 rightmost) -> counts.
    physical : bool
        The circuit is native and on physical qubits (runs with ``transpile=False``).
    answer : str, optional
        The ideal outcome of a circuit with a known answer (success probability).
    snapshot : str, optional
        Key of the calibration snapshot (profile) of its dataset it ran under.
    meta : dict
        Job id, date, header, ...
    """

    name: str
    circuit: QuantumCircuit = field(repr=False)
    counts: dict[str, int] | None = field(default=None, repr=False)
    physical: bool = False
    answer: str | None = None
    snapshot: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def shots(self) -> int:
        return int(sum(self.counts.values())) if self.counts else 0

    @property
    def probabilities(self) -> dict[str, float]:
        """The measured frequencies (empty without counts)."""
        n = self.shots
        return {k: v / n for k, v in self.counts.items()} if n else {}
