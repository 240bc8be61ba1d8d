"""Generated benchmark suites: GHZ, mirror circuits, quantum volume, Bernstein-Vazirani, QFT.

Each function returns :class:`MeasuredCircuit` objects (logical circuits, no
counts) with a known ``answer`` where the ideal output is deterministic; run
them on hardware or a stand-in backend with
:func:`~qpu_twin.data.dataset_from_backend`.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from ..circuit_library import MAX_CIRCUIT_QUBITS, MAX_LAYERS
from ..circuit_library import ghz as ghz_circuit
from ..data import MeasuredCircuit
from ..errors import ArgumentError, check_int, check_str
from ..seeding import check_seed


def _n(n) -> int:
    return check_int("n", n, minimum=1, maximum=MAX_CIRCUIT_QUBITS)


def ghz(n: int) -> MeasuredCircuit:
    """The GHZ chain on ``n`` qubits (:func:`qpu_twin.circuit_library.ghz`)."""
    qc = ghz_circuit(n)
    return MeasuredCircuit(qc.name, qc, meta={"kind": "ghz"})


def mirror(n: int, layers: int, seed: int = 0) -> MeasuredCircuit:
    """Random Clifford layers U, then U^dagger: the ideal output is all zeros."""
    from qiskit.quantum_info import random_clifford

    n = _n(n)
    layers = check_int("layers", layers, minimum=0, maximum=MAX_LAYERS)
    rng = np.random.default_rng(check_seed(seed))
    qc = QuantumCircuit(n, n, name=f"mirror{n}x{layers}_s{seed}")
    body = QuantumCircuit(n)
    for _ in range(layers):
        body.compose(random_clifford(n, seed=rng).to_circuit(), inplace=True)
        body.barrier()
    qc.compose(body, inplace=True)
    qc.compose(body.inverse(), inplace=True)
    qc.measure(range(n), range(n))
    return MeasuredCircuit(qc.name, qc, answer="0" * n, meta={"kind": "mirror"})


def quantum_volume(n: int, seed: int = 0) -> MeasuredCircuit:
    """A quantum-volume model circuit of width ``n`` (Qiskit's ``QuantumVolume``), measured."""
    from qiskit.circuit.library import QuantumVolume

    n = _n(n)
    check_seed(seed)

    qc = QuantumCircuit(n, n, name=f"qv{n}_s{seed}")
    qc.compose(QuantumVolume(n, seed=seed).decompose(), inplace=True)
    qc.measure(range(n), range(n))
    return MeasuredCircuit(qc.name, qc, meta={"kind": "quantum_volume"})


def bernstein_vazirani(secret: str) -> MeasuredCircuit:
    """Bernstein-Vazirani for the bitstring ``secret`` (the ideal output)."""
    check_str("secret", secret)
    if set(secret) - {"0", "1"} or len(secret) > MAX_CIRCUIT_QUBITS - 1:
        raise ArgumentError(f"secret={secret!r}: must be a bitstring of 0s and 1s")
    n = len(secret)
    qc = QuantumCircuit(n + 1, n, name=f"bv_{secret}")
    qc.x(n)
    qc.h(range(n + 1))
    for i, bit in enumerate(reversed(secret)):
        if bit == "1":
            qc.cx(i, n)
    qc.h(range(n))
    qc.measure(range(n), range(n))
    return MeasuredCircuit(qc.name, qc, answer=secret, meta={"kind": "bv"})


def qft_roundtrip(n: int, value: int) -> MeasuredCircuit:
    """Prepare |value>, QFT then inverse QFT: the ideal output is ``value``."""
    from qiskit.circuit.library import QFT

    n = _n(n)
    value = check_int("value", value, minimum=0)
    if value >= 2**n:
        raise ArgumentError(f"value={value}: does not fit in n={n} bits (must be < {2**n})")
    qc = QuantumCircuit(n, n, name=f"qft{n}_{value}")
    for i in range(n):
        if (value >> i) & 1:
            qc.x(i)
    qc.compose(QFT(n).decompose(), inplace=True)
    qc.barrier()
    qc.compose(QFT(n, inverse=True).decompose(), inplace=True)
    qc.measure(range(n), range(n))
    return MeasuredCircuit(qc.name, qc, answer=format(value, f"0{n}b"), meta={"kind": "qft"})


def standard_suite(n: int = 3, seed: int = 0) -> list[MeasuredCircuit]:
    """A small mixed suite: GHZ, mirror, quantum volume, BV and QFT on n qubits."""
    n = _n(n)
    rng = np.random.default_rng(check_seed(seed))
    secret = "".join(rng.choice(["0", "1"], size=n))
    return [ghz(n), mirror(n, 2, seed), quantum_volume(n, seed), bernstein_vazirani(secret),
            qft_roundtrip(n, int(rng.integers(2**n)))]
