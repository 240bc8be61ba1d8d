"""The in-place superoperator kernel equals a dense reference."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import SuperOp, random_quantum_channel

from qpu_twin.engines.kernels import apply_superop, project_qubit
from qpu_twin.noise import channels as ch


def _rand_rho(n, rng):
    d = 2**n
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    r = a @ a.conj().T
    return r / np.trace(r)


@pytest.mark.parametrize("n,qubits", [(3, (0,)), (3, (2,)), (4, (1, 3)), (4, (3, 0)), (5, (2, 4)), (9, (8, 1))])
def test_apply_superop_matches_dense(n, qubits):
    rng = np.random.default_rng(n)
    k = len(qubits)
    chan = random_quantum_channel(2**k, seed=n + 17)
    s_row = ch.swap_vec_order(SuperOp(chan).data)
    rho = _rand_rho(n, rng)
    flat = rho.reshape(-1).copy()
    apply_superop(flat, s_row, qubits, n)
    from qiskit.quantum_info import DensityMatrix

    ref = DensityMatrix(rho).evolve(chan, qargs=list(qubits)).data
    assert np.abs(flat.reshape(2**n, 2**n) - ref).max() < 1e-12


def test_project_qubit():
    rng = np.random.default_rng(0)
    n = 3
    rho = _rand_rho(n, rng)
    p1 = np.kron(np.kron(np.eye(2), np.diag([0, 1])), np.eye(2))  # qubit 1 (little-endian)
    p0 = np.eye(8) - p1
    out = project_qubit(rho.reshape(-1), 1, n, 0.25, 0.75).reshape(8, 8)
    assert np.allclose(out, 0.25 * p0 @ rho @ p0 + 0.75 * p1 @ rho @ p1)


@pytest.mark.parametrize("n", [2, 5, 8, 9])
@pytest.mark.parametrize("k", [1, 2])
def test_serial_and_parallel_kernels_are_bit_identical(n, k):
    """Both kernels run the same inner loop per amplitude group: identical to the last bit."""
    from qpu_twin.engines import kernels as kn

    rng = np.random.default_rng(100 * n + k)
    s = rng.normal(size=(4**k, 4**k)) + 1j * rng.normal(size=(4**k, 4**k))
    qubits = [int(q) for q in rng.choice(n, k, replace=False)]
    pos = np.array(qubits + [n + q for q in qubits], np.int64)
    rho = rng.normal(size=4**n) + 1j * rng.normal(size=4**n)
    a, b, c = rho.copy(), rho.copy(), rho.copy()
    kn._apply_matrix_serial(a, s, pos)
    kn._apply_matrix(b, s, pos, 2)
    kn._apply_matrix(c, s, pos, 1)
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_apply_superop_threshold_picks_the_kernel(monkeypatch):
    """Results do not depend on PARALLEL_MIN_QUBITS (bitwise), and read-only maps are accepted."""
    from qpu_twin.engines import kernels as kn

    rng = np.random.default_rng(7)
    n = 6
    s = ch.swap_vec_order(SuperOp(random_quantum_channel(4, seed=3)).data)
    s.setflags(write=False)
    rho = _rand_rho(n, rng).reshape(-1)
    out = []
    for threshold in (0, 100):
        monkeypatch.setattr(kn, "PARALLEL_MIN_QUBITS", threshold)
        r = rho.copy()
        apply_superop(r, s, (4, 1), n)
        out.append(r)
    assert np.array_equal(out[0], out[1])
