"""Channel algebra conventions (row-major superoperators, little-endian qubits)."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from qiskit.quantum_info import Kraus, SuperOp, random_quantum_channel, random_unitary

from qpu_twin.noise import channels as ch


def _rand_rho(d, rng):
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    r = a @ a.conj().T
    return r / np.trace(r)


def test_swap_vec_order_matches_qiskit_superop():
    rng = np.random.default_rng(1)
    chan = random_quantum_channel(4, seed=3)  # 2 qubits
    s_row = ch.swap_vec_order(SuperOp(chan).data)
    rho = _rand_rho(4, rng)
    from qiskit.quantum_info import DensityMatrix

    expected = DensityMatrix(rho).evolve(chan).data
    assert np.allclose(ch.apply_to_matrix(s_row, rho), expected, atol=1e-12)
    assert np.allclose(ch.swap_vec_order(s_row), SuperOp(chan).data)


def test_kraus_and_unitary_superops():
    u = random_unitary(4, seed=5).data
    rho = _rand_rho(4, np.random.default_rng(2))
    assert np.allclose(ch.apply_to_matrix(ch.unitary_superop(u), rho), u @ rho @ u.conj().T)
    ks = Kraus(random_quantum_channel(2, seed=7)).data
    rho1 = _rand_rho(2, np.random.default_rng(3))
    assert np.allclose(ch.apply_to_matrix(ch.kraus_superop(ks), rho1), sum(k @ rho1 @ k.conj().T for k in ks))


@pytest.mark.parametrize("positions", [[0], [1], [2], [0, 2], [2, 0], [1, 2]])
def test_embed_superop_matches_tensor_product(positions):
    rng = np.random.default_rng(11)
    k = 3
    m = len(positions)
    u = random_unitary(2**m, seed=13).data
    s = ch.unitary_superop(u)
    # build the full 3-qubit unitary with qiskit: op qubit j acts on block qubit positions[j]
    from qiskit.quantum_info import Operator

    full = Operator(np.eye(2**k)).compose(Operator(u), qargs=positions).data
    emb = ch.embed_superop(s, positions, k)
    rho = _rand_rho(2**k, rng)
    assert np.allclose(ch.apply_to_matrix(emb, rho), full @ rho @ full.conj().T, atol=1e-12)


def test_relaxation_superop_solves_the_lindblad_equation():
    t1, t2, t = 100.0, 80.0, 30_000.0  # us, us, ns
    s = ch.relaxation_superop(t, t1, t2)
    gphi = 1 / (t2 * 1e3) - 1 / (2 * t1 * 1e3)
    c_ops = [np.sqrt(1 / (t1 * 1e3)) * qutip.destroy(2), np.sqrt(gphi / 2) * qutip.sigmaz()]
    rho0 = _rand_rho(2, np.random.default_rng(4))
    out = qutip.mesolve(qutip.qzero(2), qutip.Qobj(rho0), [0, t], c_ops, options={"atol": 1e-12, "rtol": 1e-10})
    assert np.allclose(ch.apply_to_matrix(s, rho0), out.states[-1].full(), atol=1e-8)


def test_depolarizing_and_fidelity():
    s = ch.depolarizing_superop(0.3, 1)
    # infidelity of depolarizing p is p (1 - 1/d)
    assert np.isclose(1 - ch.average_gate_fidelity(s, np.eye(2)), 0.15)
    ok, min_eig, defect = ch.is_cptp(s)
    assert ok and defect < 1e-14


def test_reset_superop_is_state_dependent():
    """Reset of |1> fails with the stated probability, reset of |0> never does (issue #14 item 6)."""
    e = 0.01
    s = ch.reset_superop(e)
    assert np.allclose(ch.apply_to_matrix(s, np.diag([1.0, 0.0]).astype(complex)), np.diag([1.0, 0.0]))
    assert np.allclose(ch.apply_to_matrix(s, np.diag([0.0, 1.0]).astype(complex)), np.diag([1 - e, e]))
    rho = _rand_rho(2, np.random.default_rng(5))
    r00, r11 = rho[0, 0].real, rho[1, 1].real
    assert np.allclose(ch.apply_to_matrix(s, rho), np.diag([r00 + (1 - e) * r11, e * r11]), atol=1e-14)
    assert ch.is_cptp(s)[0]


def test_backaction_and_spectator_channels():
    s = ch.backaction_superop(0.02, 0.05)
    assert ch.is_cptp(s)[0]
    out = ch.apply_to_matrix(s, np.diag([0.7, 0.3]).astype(complex))
    assert np.allclose(np.diag(out).real, [0.7 * 0.98 + 0.3 * 0.05, 0.7 * 0.02 + 0.3 * 0.95])
    d = ch.dephase_rotate_superop(0.3, 0.7)
    plus = 0.5 * np.ones((2, 2), dtype=complex)
    out = ch.apply_to_matrix(d, plus)
    assert out[0, 1] == pytest.approx(0.5 * np.exp(-0.3) * np.exp(-0.7j))  # exp(-i phase Z/2) on |+>
    p = ch.pauli_error_superop(0.03)
    assert ch.is_cptp(p)[0]
    # average gate infidelity of a random-Pauli error with probability e is 2e/3 (d = 2)
    assert 1 - ch.average_gate_fidelity(p, np.eye(2)) == pytest.approx(2 * 0.03 / 3)


def test_is_cptp_detects_non_cp():
    transpose = np.zeros((4, 4))
    for r in range(2):
        for c in range(2):
            transpose[c * 2 + r, r * 2 + c] = 1  # rho -> rho^T: positive but not CP
    ok, min_eig, _ = ch.is_cptp(transpose.astype(complex))
    assert not ok and min_eig < -0.4
