"""Noisy Pauli propagation: equals the exact expectation values (density matrix) on <= 12 qubits,
stays within its stated truncation bound when it truncates, has the analytic transfer matrices of
known channels, agrees with IBM's pauli-prop where both apply, and refuses feed-forward."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import DensityMatrix, SparsePauliOp

from qpu_twin import EngineError, Twin
from qpu_twin.engines import pauli_propagation as pp
from qpu_twin.noise import channels as ch

from ..circuits import random_native_dynamic


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _exact(rho, label: str) -> float:
    """<P> for a Pauli string over local qubits (character i = local qubit i)."""
    return float(np.real(DensityMatrix(rho).expectation_value(SparsePauliOp(label[::-1]))))


CASES = [("line5", "random", 5, 1), ("ibm_hanoi", "random", 6, 2), ("ibm_hanoi", "random", 7, 3),
         ("ibm_hanoi", "ghz", 12, 0), ("line5", "dynamic", 5, 4), ("quantinuum_h1-1", "random", 5, 5)]


def _case(profile, kind, n, seed):
    twin = Twin(profile)
    if kind == "dynamic":  # mid-circuit measurement and reset, no feed-forward
        qc = random_native_dynamic(n, 30, 900 + seed, feed_forward=False)
    else:
        if kind == "ghz":
            qc = QuantumCircuit(n)
            qc.h(0)
            for i in range(n - 1):
                qc.cx(i, i + 1)
        else:
            qc = random_circuit(n, 5, max_operands=2, seed=seed)
        qc = twin.compile(qc, seed=seed)
    return twin, qc


SLOW = {("ibm_hanoi", "ghz", 12, 0)}


@pytest.mark.parametrize("profile,kind,n,seed", [pytest.param(*c, marks=pytest.mark.slow) if c in SLOW else c
                                               for c in CASES], ids=[f"{p}-{k}-{n}q" for p, k, n, s in CASES])
def test_untruncated_equals_density_matrix(profile, kind, n, seed):
    twin, qc = _case(profile, kind, n, seed)
    prog = twin.program(qc, transpile=False)
    rho, _ = twin.density_matrix(qc, transpile=False)
    m = prog.num_qubits
    rng = np.random.default_rng(seed)
    labels = ["".join(rng.choice(list("IXYZ"), m)) for _ in range(2)]
    labels += ["Z" + "I" * (m - 1), "I" * (m - 1) + "Z", "ZZ" + "I" * (m - 2)] + (["X" * m] if m <= 6 else [])
    for lab, res in zip(labels, pp.expectation_values(prog, labels, atol=1e-9)):
        assert res.bound < 1e-3  # (the sum of ~1e-9 branches dropped on the way)
        assert abs(res.value - _exact(rho.data, lab)) <= res.bound + 1e-10, lab


@pytest.mark.parametrize("atol", [1e-4, 1e-3, 1e-2])
def test_truncated_within_stated_bound(atol):
    twin = Twin("ibm_hanoi")
    qc = twin.compile(random_circuit(8, 5, max_operands=2, seed=7), seed=7)
    prog = twin.program(qc, transpile=False)
    rho, _ = twin.density_matrix(qc, transpile=False)
    m = prog.num_qubits
    labels = ["Z" * m, "Z" + "I" * (m - 1), "IZ" + "I" * (m - 2), "XX" + "I" * (m - 2), "I" * (m - 1) + "Y"]
    bounds = []
    for lab, res in zip(labels, pp.expectation_values(prog, labels, atol=atol)):
        assert abs(res.value - _exact(rho.data, lab)) <= res.bound + 1e-12, (lab, res)
        bounds.append(res.bound)
    assert max(bounds) > 0  # truncation happened and is reported


def test_target_bound_lowers_atol_until_met():
    twin = Twin("ibm_hanoi")
    qc = twin.compile(random_circuit(6, 6, max_operands=2, seed=8), seed=8)
    prog = twin.program(qc, transpile=False)
    m = prog.num_qubits
    coarse = pp.expectation_values(prog, ["Z" * m], atol=1e-2)[0]
    fine = pp.expectation_values(prog, ["Z" * m], atol=1e-2, target_bound=coarse.bound / 50)[0]
    assert fine.bound <= coarse.bound / 50 or fine.bound < coarse.bound


def test_transfer_matrices_of_known_channels():
    gamma = 0.2
    # amplitude damping: Z -> (1 - gamma) Z + gamma I, X -> sqrt(1 - gamma) X (codes I=0, X=1, Z=2, Y=3)
    t1 = ch.relaxation_superop(1e3 * -100.0 * np.log(1 - gamma), 100.0, 200.0)  # T2 = 2 T1: pure T1
    r = pp.pauli_transfer(t1)
    assert r[2, 2] == pytest.approx(1 - gamma) and r[2, 0] == pytest.approx(gamma)
    assert r[1, 1] == pytest.approx(np.sqrt(1 - gamma)) and r[3, 3] == pytest.approx(np.sqrt(1 - gamma))
    assert r[0, 0] == pytest.approx(1.0) and abs(r[0, 1:]).max() < 1e-12
    # a CNOT (control = local qubit 0): Heisenberg X_c -> X_c X_t, Z_t -> Z_c Z_t
    cx = np.eye(4)[[0, 3, 2, 1]]  # little-endian: |q1 q0>, control q0
    r = pp.pauli_transfer(ch.unitary_superop(cx))
    assert r[1, 1 + 4 * 1] == pytest.approx(1.0)  # X0 -> X0 X1
    assert r[2 * 4, 2 + 2 * 4] == pytest.approx(1.0)  # Z1 -> Z0 Z1
    # depolarizing: every non-identity Pauli shrinks by 1 - p
    r = pp.pauli_transfer(ch.depolarizing_superop(0.1, 2))
    assert np.allclose(np.diag(r)[1:], 0.9) and r[0, 0] == pytest.approx(1.0)


def test_feed_forward_is_refused():
    twin = Twin("line5")
    qc = random_native_dynamic(4, 30, 11, feed_forward=True)
    prog = twin.program(qc, transpile=False)
    with pytest.raises(EngineError, match="feed-forward"):
        pp.expectation_values(prog, ["Z" * prog.num_qubits])


def test_twin_expectation_density_matrix_pauli_propagation_and_readout():
    """Twin.expectation: density matrix = Pauli propagation, logical observables mapped through the layout,
    readout folded in as alpha + beta <Z> per measured qubit."""
    twin = Twin("line5")
    qc = QuantumCircuit(4)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.rx(0.4, 3)
    qc.cx(2, 3)
    logical = [SparsePauliOp(o) for o in ("IIZZ", "ZZII", "ZIIZ")] + [SparsePauliOp(["IIIZ", "ZIII"], [0.5, -0.25])]
    compiled = twin.compile(qc, seed=2)
    obs = [o.apply_layout(compiled.layout) for o in logical]  # onto the compiled circuit's physical qubits
    dm = twin.expectation(compiled, obs, transpile=False, engine="density_matrix")
    prop = twin.expectation(compiled, obs, transpile=False, engine="pauli_propagation", atol=0.0)
    assert np.allclose(dm.values, prop.values, atol=1e-10) and prop.error_estimate() < 1e-10
    # the same values when the twin transpiles (same seed: same layout) and maps the logical observables
    again = twin.expectation(qc, logical, seed=2, engine="density_matrix")
    assert np.allclose(again.values, dm.values, atol=1e-10)
    # readout folded in as a hardware Estimator measures: <Z_q>_read = alpha_q + beta_q <Z_q>, and the
    # product over qubits for Z_a Z_b (independent assignment errors)
    bare = twin.expectation(compiled, obs, transpile=False, engine="density_matrix", readout=False)
    lay = compiled.layout.final_index_layout()
    b = twin.builder()
    ab = {v: (lambda p10, p01: (p01 - p10, 1 - p10 - p01))(*b.readout(lay[v])) for v in range(4)}
    single = {v: twin.expectation(compiled, SparsePauliOp(_phys_label({lay[v]: "Z"}, compiled.num_qubits)),
                                  transpile=False, engine="density_matrix", readout=False).values[0] for v in range(4)}
    a0, b0 = ab[0]
    a1, b1 = ab[1]
    want01 = a0 * a1 + a0 * b1 * single[1] + b0 * a1 * single[0] + b0 * b1 * bare.values[0]
    assert dm.values[0] == pytest.approx(want01, abs=1e-12)
    want_lin = 0.5 * (ab[0][0] + ab[0][1] * single[0]) - 0.25 * (ab[3][0] + ab[3][1] * single[3])
    assert dm.values[3] == pytest.approx(want_lin, abs=1e-12)


def _phys_label(paulis: dict, n: int) -> str:
    s = ["I"] * n
    for q, p in paulis.items():
        s[n - 1 - q] = p
    return "".join(s)


def test_agrees_with_ibm_pauli_prop_on_rotation_circuits():
    """Noiseless native circuit (rz, sx, x, ecr: rotations and Cliffords): the same values as pauli-prop."""
    pauli_prop = pytest.importorskip("pauli_prop")
    twin = Twin("ibm_hanoi", noise="ideal")
    qc = twin.compile(random_circuit(5, 5, max_operands=2, seed=12), seed=12)
    prog = twin.program(qc, transpile=False)
    act = list(prog.active_qubits)
    sub = QuantumCircuit(len(act))
    for inst in qc.data:
        if inst.operation.name in ("barrier", "measure", "delay"):
            continue
        sub.append(inst.operation, [act.index(qc.find_bit(q).index) for q in inst.qubits])
    m = len(act)
    for lab in ["Z" * m, "X" + "Z" * (m - 1), "IY" + "X" * (m - 2)]:
        ours = pp.expectation_values(prog, [lab], atol=0.0)[0].value
        op, _ = pauli_prop.propagate_through_circuit(SparsePauliOp(lab[::-1]), sub, max_terms=10**6, atol=0.0,
                                                     frame="h")
        zero_state = sum(c for p, c in zip(op.paulis, op.coeffs) if not p.x.any())
        assert ours == pytest.approx(float(np.real(zero_state)), abs=1e-9)


def test_twin_estimator_v2_routes_to_expectation():
    """TwinEstimator (EstimatorV2): the values of Twin.expectation, parameter broadcasting included."""
    from qiskit.circuit import Parameter

    from qpu_twin.interop.estimator import TwinEstimator

    theta = Parameter("t")
    qc = QuantumCircuit(2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    twin = Twin("line5")
    est = TwinEstimator(twin, seed=3)
    res = est.run([(qc, ["ZZ", "IZ"], [[0.3], [1.1]])]).result()[0]
    assert res.data.evs.shape == (2,)
    for k, (obs, t) in enumerate([("ZZ", 0.3), ("IZ", 1.1)]):
        want = twin.expectation(qc.assign_parameters([t]), obs, seed=3).values[0]
        assert res.data.evs[k] == pytest.approx(want, abs=1e-12)
    assert res.metadata["engines"] == ["density_matrix"]
