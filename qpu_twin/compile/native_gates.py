"""Qiskit gates for native gates that Qiskit's standard library lacks (Google Sycamore).

* ``sqrt_iswap``: sqrt(iSWAP) = Cirq's ``ISWAP**0.5`` = ``FSimGate(theta=-pi/4, phi=0)``
  = Qiskit's ``XXPlusYYGate(-pi/2)``.
* ``syc``: the Sycamore gate = Cirq's ``cirq_google.SYC`` = ``FSimGate(theta=pi/2,
  phi=pi/6)`` = ``XXPlusYYGate(pi)`` followed by ``CPhaseGate(-pi/6)``.

Both are symmetric in their qubits, so their matrices are the same in Qiskit's
little-endian and Cirq's big-endian order. Importing this module registers, in
Qiskit's session equivalence library, CX = 1q gates + 2 sqrt_iswap (Cirq's
``two_qubit_matrix_to_sqrt_iswap_operations``, checked in the tests), so that
``transpile`` can target a Google profile; an equivalence for ``syc`` is not
registered (the transpiler uses sqrt_iswap).
"""

from __future__ import annotations

import math

import numpy as np
from qiskit.circuit import Gate, QuantumCircuit
from qiskit.circuit.library import CPhaseGate, CXGate, XXPlusYYGate


def _fsim(theta: float, phi: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    return np.array(
        [[1, 0, 0, 0], [0, c, -1j * s, 0], [0, -1j * s, c, 0], [0, 0, 0, np.exp(-1j * phi)]], dtype=complex
    )


class SqrtISwapGate(Gate):
    """sqrt(iSWAP): |01> -> (|01> + i|10>)/sqrt(2), |10> -> (i|01> + |10>)/sqrt(2)."""

    def __init__(self, label: str | None = None):
        super().__init__("sqrt_iswap", 2, [], label=label)

    def _define(self):
        qc = QuantumCircuit(2, name=self.name)
        qc.append(XXPlusYYGate(-math.pi / 2), [0, 1])
        self.definition = qc

    def inverse(self, annotated: bool = False):
        qc = QuantumCircuit(2, name="sqrt_iswap_dg")
        qc.append(XXPlusYYGate(math.pi / 2), [0, 1])
        return qc.to_gate()

    def __array__(self, dtype=None, copy=None):
        m = _fsim(-math.pi / 4, 0.0)
        return m if dtype is None else m.astype(dtype)


class SycamoreGate(Gate):
    """Google's Sycamore gate fSim(theta=pi/2, phi=pi/6)."""

    def __init__(self, label: str | None = None):
        super().__init__("syc", 2, [], label=label)

    def _define(self):
        qc = QuantumCircuit(2, name=self.name)
        qc.append(XXPlusYYGate(math.pi), [0, 1])
        qc.append(CPhaseGate(-math.pi / 6), [0, 1])
        self.definition = qc

    def __array__(self, dtype=None, copy=None):
        m = _fsim(math.pi / 2, math.pi / 6)
        return m if dtype is None else m.astype(dtype)


#: name -> factory of the Qiskit gate object
CUSTOM_GATES = {"sqrt_iswap": SqrtISwapGate, "syc": SycamoreGate}


def cx_from_sqrt_iswap() -> QuantumCircuit:
    """CX as single-qubit gates and two sqrt_iswap (up to a global phase)."""
    qc = QuantumCircuit(2, name="cx_via_sqrt_iswap")
    qc.t(0)
    qc.s(1)
    qc.sx(0)
    qc.ry(3 * math.pi / 4, 1)
    qc.append(SqrtISwapGate(), [0, 1])
    qc.y(0)
    qc.append(SqrtISwapGate(), [0, 1])
    qc.sxdg(0)
    qc.ry(3 * math.pi / 4, 1)
    qc.t(0)
    qc.sdg(1)
    return qc


def _register() -> None:
    from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary as sel

    if not getattr(sel, "_qpu_twin_sqrt_iswap", False):
        sel.add_equivalence(CXGate(), cx_from_sqrt_iswap())
        sel._qpu_twin_sqrt_iswap = True


_register()
