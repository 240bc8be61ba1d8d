"""Coherent IX / ZX errors of two-qubit gates (Gate.ix_error_rad, zx_error_rad; issue #14).

References: the analytic rotation angles of the target (ix + zx with the
control in |0>, ix - zx with it in |1>, adding coherently over repeated gates)
and a QuTiP master-equation integration written here from the definition
(H = i log(CX) / T + (ix IX + zx ZX) / 2T with the qubits' T1/T2 collapse
operators), not the builder's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip
import scipy.linalg
from qiskit import QuantumCircuit

from qpu_twin import Twin, load_profile
from qpu_twin.errors import ProfileError
from qpu_twin.fit import FitParameter, profile_with
from qpu_twin.noise import channels as ch

#: the gate's unitary dynamics only: no decoherence, no depolarizing top-up, no idling, no readout
COHERENT_ONLY = {"level": "lindblad", "decoherence": False, "gate_error": False, "readout": False, "idle": False,
                 "zz": False}


def _profile(ix: float, zx: float, pair=("cx", (0, 1))):
    return profile_with(load_profile("line5"), [FitParameter("ix_error_rad", pair, ix),
                                                FitParameter("zx_error_rad", pair, zx)])


def _cx_chain(k: int, control_one: bool) -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    if control_one:
        qc.x(0)
    for _ in range(k):
        qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


@pytest.mark.parametrize("ix,zx", [(0.0, 0.3), (0.2, 0.0), (0.15, -0.25), (-0.1, 0.4)])
@pytest.mark.parametrize("k", [1, 2, 5])
def test_target_rotates_by_ix_plus_zx_or_ix_minus_zx_and_adds_up_coherently(ix, zx, k):
    twin = Twin(_profile(ix, zx), noise=COHERENT_ONLY)
    # control |0>: the target turns by ix + zx per gate, k gates by k (ix + zx)
    p = twin.run(_cx_chain(k, False), transpile=False).probabilities
    assert p.get("10", 0.0) == pytest.approx(math.sin(k * (ix + zx) / 2) ** 2, abs=1e-9)
    # control |1>: the target is flipped k times and turns by ix - zx per gate
    p = twin.run(_cx_chain(k, True), transpile=False).probabilities
    flipped = "11" if k % 2 else "01"  # clbit 1 (target) is the left character
    assert p.get(flipped, 0.0) == pytest.approx(math.cos(k * (ix - zx) / 2) ** 2, abs=1e-9)


def test_zx_kicks_a_phase_back_onto_the_control_of_a_target_in_superposition():
    """Target in |+> (an X eigenstate): IX does nothing, ZX turns the control about Z by zx."""
    zx = 0.5
    twin = Twin(_profile(0.3, zx), noise=COHERENT_ONLY)
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.h(1)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure(0, 0)
    p = twin.run(qc, transpile=True, seed=1).probabilities
    assert p.get("1", 0.0) == pytest.approx(math.sin(zx / 2) ** 2, abs=1e-9)


def _mesolve_cx(profile, ix: float, zx: float, rho0: np.ndarray) -> np.ndarray:
    """The cx(0, 1) of ``profile`` with the coherent error, integrated with QuTiP from the definition."""
    gate = profile.gate("cx", (0, 1))
    T = gate.duration_ns
    cx = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=complex)  # qubit 0 = low bit
    w, v = np.linalg.eig(cx)
    h = -(v * np.angle(w)) @ np.linalg.inv(v) / T  # exp(-i h T) = CX
    X, Z, I2 = np.array([[0, 1], [1, 0]]), np.diag([1.0, -1.0]), np.eye(2)
    h = h + (ix * np.kron(X, I2) + zx * np.kron(X, Z)) / (2 * T)  # Qiskit order: kron(qubit 1, qubit 0)
    sm = np.array([[0, 1], [0, 0]], dtype=complex)
    c_ops = []
    for q in (0, 1):
        t1, t2 = profile.qubit(q).t1_us * 1e3, profile.qubit(q).t2_us * 1e3
        rate_phi = 1 / t2 - 0.5 / t1
        for op, rate in ((sm, 1 / t1), (Z, rate_phi / 2)):
            full = np.kron(I2, op) if q == 0 else np.kron(op, I2)
            c_ops.append(qutip.Qobj(np.sqrt(rate) * full, dims=[[2, 2], [2, 2]]))
    H = qutip.Qobj(0.5 * (h + h.conj().T), dims=[[2, 2], [2, 2]])
    res = qutip.mesolve(H, qutip.Qobj(rho0, dims=[[2, 2], [2, 2]]), [0.0, T], c_ops,
                        options={"atol": 1e-12, "rtol": 1e-10})
    return res.states[-1].full()


def test_gate_map_with_decoherence_equals_a_qutip_integration_and_counts_in_the_stated_error():
    ix, zx = 0.12, -0.2
    prof = _profile(ix, zx)
    builder = Twin(prof, noise={"level": "lindblad", "gate_error": False}).builder()
    s = builder.gate_map("cx", (0, 1))
    rng = np.random.default_rng(3)
    for _ in range(3):  # random mixed 2-qubit inputs
        a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
        rho0 = a @ a.conj().T
        rho0 /= np.trace(rho0)
        out = ch.apply_to_matrix(s, rho0)
        assert np.allclose(out, _mesolve_cx(prof, ix, zx, rho0), atol=1e-7)
    # with the top-up, the map's infidelity is the stated error: the coherent part is inside it, not added
    ix, zx = 0.05, -0.06
    prof = _profile(ix, zx)
    full = Twin(prof, noise="lindblad").builder().gate_map("cx", (0, 1))
    cx = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=complex)
    X = np.array([[0, 1], [1, 0]])
    error_unitary = scipy.linalg.expm(-0.5j * (ix * np.kron(X, np.eye(2)) + zx * np.kron(X, np.diag([1, -1]))))
    coherent_infidelity = 1 - ch.average_gate_fidelity(ch.unitary_superop(cx @ error_unitary), cx)
    stated = prof.gate("cx", (0, 1)).error
    decoherence_only = Twin(load_profile("line5"), noise={"level": "lindblad", "gate_error": False}).builder()
    decoherence_infidelity = 1 - ch.average_gate_fidelity(decoherence_only.gate_map("cx", (0, 1)), cx)
    assert coherent_infidelity + decoherence_infidelity < stated  # room for a top-up
    assert 1 - ch.average_gate_fidelity(full, cx) == pytest.approx(stated, abs=1e-9)


def test_unphysical_coherent_errors_are_refused_with_the_field_named():
    base = load_profile("line5")
    with pytest.raises(ProfileError, match=r"zx_error_rad=4\.0 must be an angle in \[-pi, pi\]"):
        profile_with(base, [FitParameter("zx_error_rad", ("cx", (0, 1)), 4.0)])
    with pytest.raises(ProfileError, match=r"ix_error_rad=0\.1 but 'sx' is not a two-qubit gate"):
        profile_with(base, [FitParameter("ix_error_rad", ("sx", (0,)), 0.1)])


def test_ablation_switch_turns_the_coherent_errors_off():
    prof = _profile(0.2, 0.3)
    on = Twin(prof, noise=COHERENT_ONLY).run(_cx_chain(1, False), transpile=False).probabilities
    off = Twin(prof, noise={**COHERENT_ONLY, "coherent_errors": False}).run(_cx_chain(1, False),
                                                                           transpile=False).probabilities
    assert on.get("10", 0.0) == pytest.approx(math.sin(0.25) ** 2, abs=1e-9)
    assert off.get("00", 0.0) == pytest.approx(1.0, abs=1e-12)
