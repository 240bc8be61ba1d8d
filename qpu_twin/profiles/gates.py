"""Registry of gate names a device profile may declare as native.

Names follow Qiskit's standard gate names, so a profile maps one-to-one onto a
Qiskit ``Target`` (the Google gates ``sqrt_iswap`` and ``syc``, which Qiskit
lacks, have gate classes in :mod:`qpu_twin.compile.native_gates`). Each entry
states the gate's arity, whether it is *virtual* (a frame change implemented in
software: zero duration and zero error) and, for two-qubit gates, whether it is
*symmetric* under exchange of its qubits (then a coupling edge in either
direction licenses it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateSpec:
    """Static facts about one gate name."""

    name: str
    num_qubits: int
    num_params: int = 0
    virtual: bool = False
    symmetric: bool = False


_SPECS = [
    # single-qubit
    GateSpec("id", 1),
    GateSpec("x", 1),
    GateSpec("y", 1),
    GateSpec("z", 1),
    GateSpec("h", 1),
    GateSpec("s", 1),
    GateSpec("sdg", 1),
    GateSpec("t", 1),
    GateSpec("tdg", 1),
    GateSpec("sx", 1),
    GateSpec("sxdg", 1),
    GateSpec("rx", 1, 1),
    GateSpec("ry", 1, 1),
    GateSpec("r", 1, 2),  # R(theta, phi): Quantinuum's native U1q
    GateSpec("u2", 1, 2),
    GateSpec("u3", 1, 3),
    GateSpec("u", 1, 3),
    GateSpec("rz", 1, 1, virtual=True),
    GateSpec("u1", 1, 1, virtual=True),
    GateSpec("p", 1, 1, virtual=True),
    # two-qubit
    GateSpec("cx", 2),
    GateSpec("cy", 2),
    GateSpec("ecr", 2),
    GateSpec("cz", 2, symmetric=True),
    GateSpec("swap", 2, symmetric=True),
    GateSpec("iswap", 2, symmetric=True),
    GateSpec("cp", 2, 1, symmetric=True),
    GateSpec("rzz", 2, 1, symmetric=True),
    GateSpec("rxx", 2, 1, symmetric=True),
    GateSpec("ryy", 2, 1, symmetric=True),
    GateSpec("rzx", 2, 1),
    # Google Sycamore (Qiskit gate classes in qpu_twin.compile.native_gates)
    GateSpec("sqrt_iswap", 2, symmetric=True),
    GateSpec("syc", 2, symmetric=True),
]

GATE_SPECS: dict[str, GateSpec] = {g.name: g for g in _SPECS}

#: Instructions that are not gates but that a device supports without a
#: per-qubit calibration entry in a profile.
NON_GATE_INSTRUCTIONS = frozenset({"measure", "reset", "delay", "barrier"})

#: Control-flow instruction names a device may declare.
CONTROL_FLOW = frozenset({"if_else", "for_loop", "while_loop", "switch_case"})


def max_average_infidelity(num_qubits: int) -> float:
    """Largest possible average gate infidelity of a ``num_qubits`` channel.

    For a channel E and target unitary U on dimension d, the average gate
    fidelity is at least 1/(d+1) (reached when tr(U^dag V)=0 for a unitary V),
    so the infidelity is at most d/(d+1): 2/3 for one qubit, 4/5 for two.
    ``num_qubits`` is 1 to 64.
    """
    from ..errors import check_int

    d = 2 ** check_int("num_qubits", num_qubits, minimum=1, maximum=64)
    return d / (d + 1)
