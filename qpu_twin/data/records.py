"""The one record of a circuit that ran (or will run) with measured counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qiskit import QuantumCircuit

from ..errors import check_bool, check_finite_mapping, check_instance, check_str


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

    def __post_init__(self):
        check_str("name", self.name, allow_empty=True)
        check_instance("circuit", self.circuit, QuantumCircuit)
        if self.counts is not None:
            check_finite_mapping("counts", self.counts, integer=True, nonzero_total=False)
        check_bool("physical", self.physical)
        check_str("answer", self.answer, allow_none=True, allow_empty=True)
        check_str("snapshot", self.snapshot, allow_none=True, allow_empty=True)
        check_instance("meta", self.meta, dict)

    @property
    def shots(self) -> int:
        return int(sum(self.counts.values())) if self.counts else 0

    @property
    def probabilities(self) -> dict[str, float]:
        """The measured frequencies (empty without counts)."""
        n = self.shots
        return {k: v / n for k, v in self.counts.items()} if n else {}
