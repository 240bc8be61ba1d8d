"""mitiq against the twin: ZNE, PEC with twin-derived representations, readout mitigation.

Ideal values come from Qiskit/Cirq statevectors; every tolerance is a number of
standard errors of the estimate (shot noise, or mitiq's own PEC error), the
unmitigated bias is required to be resolved by the same margin.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("mitiq")
cirq = pytest.importorskip("cirq")

from mitiq import Observable, PauliString, pec, rem, zne  # noqa: E402
from qiskit import QuantumCircuit  # noqa: E402
from qiskit.quantum_info import SparsePauliOp, Statevector  # noqa: E402

from qpu_twin import Twin  # noqa: E402
from qpu_twin.errors import QpuTwinError  # noqa: E402
from qpu_twin.interop.mitiq import (  # noqa: E402
    gate_pauli_fidelities,
    inverse_confusion_matrix,
    pauli_inverse_quasi_probabilities,
    pec_representations,
    twin_executor,
)

K = 5  # standard errors


@pytest.fixture(scope="module")
def hanoi():
    return Twin("ibm_hanoi")


def ghz4() -> QuantumCircuit:
    qc = QuantumCircuit(4)
    qc.h(0)
    for i in range(3):
        qc.cx(i, i + 1)
    return qc


def vqe_ansatz() -> tuple[QuantumCircuit, SparsePauliOp]:
    """Two layers of RY + CX chain on 4 qubits; transverse-field Ising H."""
    theta = np.random.default_rng(3).uniform(0, np.pi, size=(3, 4))
    qc = QuantumCircuit(4)
    for layer in range(2):
        for q in range(4):
            qc.ry(theta[layer, q], q)
        for q in range(3):
            qc.cx(q, q + 1)
    for q in range(4):
        qc.ry(theta[2, q], q)
    h = SparsePauliOp.from_sparse_list([("ZZ", [i, i + 1], 1.0) for i in range(3)]
                                       + [("X", [i], 0.5) for i in range(4)], 4)
    return qc, h


def _zne_check(circuit, observable, ideal, twin):
    ex = twin_executor(twin, observable, shots=1_000_000, seed=1)
    unmit = ex(circuit)
    s_unmit = ex.history[-1]["std_error"]
    factory = zne.inference.LinearFactory([1.0, 3.0])
    mit = zne.execute_with_zne(circuit, ex, factory=factory, scale_noise=zne.scaling.fold_global)
    s1, s3 = (h["std_error"] for h in ex.history[-2:])
    s_mit = math.hypot(1.5 * s1, 0.5 * s3)  # extrapolation to 0 from scales 1, 3: 1.5 E1 - 0.5 E3
    gain = abs(unmit - ideal) - abs(mit - ideal)
    assert gain > K * math.hypot(s_unmit, s_mit), (ideal, unmit, mit, s_unmit, s_mit)
    # every folded circuit ran on the same physical qubits, with the folds kept
    depths = [h["compiled"][0].count_ops().get("cx", 0) for h in ex.history[-2:]]
    assert depths[1] == 3 * depths[0]
    return unmit, mit


def test_zne_ghz4_zzzz(hanoi):
    unmit, mit = _zne_check(ghz4(), "ZZZZ", 1.0, hanoi)
    assert unmit < mit < 1.0


def test_zne_vqe_ansatz_energy(hanoi):
    qc, h = vqe_ansatz()
    ideal = float(np.real(Statevector(qc).expectation_value(h)))
    _zne_check(qc, h, ideal, hanoi)


def _pec_circuit():
    """Nine CNOTs between native single-qubit gates; <ZZ> = 1 ideally."""
    q = cirq.LineQubit.range(2)
    ops = [cirq.X(q[0]) ** 0.5, cirq.CNOT(q[0], q[1])]
    for _ in range(4):
        ops += [cirq.X(q[0]), cirq.X(q[1]), cirq.CNOT(q[0], q[1]), cirq.CNOT(q[0], q[1])]
    return cirq.Circuit(ops)


def test_pec_with_twin_representations_removes_the_bias(hanoi):
    circuit = _pec_circuit()
    sv = cirq.Simulator().simulate(circuit).final_state_vector
    zz = cirq.Z(cirq.LineQubit(0)) * cirq.Z(cirq.LineQubit(1))
    ideal = float(np.real(zz.expectation_from_state_vector(sv, {q: i for i, q in enumerate(sorted(circuit.all_qubits()))})))
    assert ideal == pytest.approx(1.0)
    ex = twin_executor(hanoi, "ZZ", layout=[1, 2], readout_mitigation=True, twirl=True)
    unmit = ex(circuit)
    reps = pec_representations(hanoi, circuit, layout=ex.layout)
    assert len(reps) == 4  # sx(0), cx(0, 1), x(0), x(1)
    value, data = pec.execute_with_pec(circuit, ex, representations=reps, num_samples=2000, random_state=1,
                                       full_output=True, force_run_all=False)
    err = data["pec_error"]
    assert abs(value - ideal) < K * err
    assert abs(unmit - ideal) > K * err  # the bias PEC removed is resolved


def test_pec_quasi_probabilities_invert_the_twirled_gate(hanoi):
    fid = gate_pauli_fidelities(hanoi, "cx", (1, 2))
    eta = pauli_inverse_quasi_probabilities(fid)
    assert sum(eta.values()) == pytest.approx(1.0, abs=1e-12)
    assert eta["II"] > 1 and all(v <= 0 for k, v in eta.items() if k != "II")
    # composing the twirled channel with its inverse gives fidelity 1 for every Pauli
    def commute(a, b):
        return sum(1 for x, y in zip(a, b) if x != "I" and y != "I" and x != y) % 2 == 0
    for q, f in fid.items():
        f_inv = sum(e * (1 if commute(p, q) else -1) for p, e in eta.items())
        assert f * f_inv == pytest.approx(1.0, abs=1e-12)
    # average gate infidelity of the twirled cx = the profile's cx error (twirling keeps F_pro)
    f_pro = sum(fid.values()) / 16
    assert (4 * f_pro + 1) / 5 == pytest.approx(1 - hanoi.profile.gate("cx", (1, 2)).error, rel=1e-9)


def test_readout_mitigation_with_mitiq_rem(hanoi):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    layout = [1, 2]
    shots = 100_000
    bits = twin_executor(hanoi, shots=shots, seed=4, layout=layout)
    obs = Observable(PauliString("ZZ"))
    icm = inverse_confusion_matrix(hanoi, layout)
    value = rem.execute_with_rem(qc, bits, obs, inverse_confusion_matrix=icm)
    raw = twin_executor(hanoi, "ZZ", layout=layout)(qc)
    no_readout = twin_executor(hanoi, "ZZ", layout=layout, noise={"readout": False})(qc)
    est = twin_executor(hanoi, "ZZ", layout=layout, shots=shots, readout_mitigation=True)
    est(qc)
    sigma = est.history[-1]["std_error"]  # the same tensored-inverse estimator
    assert abs(value - no_readout) < K * sigma
    assert abs(raw - no_readout) > K * sigma


def test_observable_forms_agree(hanoi):
    qc, h = vqe_ansatz()
    a = twin_executor(hanoi, h, layout=[5, 3, 2, 1])(qc)
    mitiq_obs = Observable(*[PauliString("ZZ", coeff=1.0, support=(i, i + 1)) for i in range(3)],
                           *[PauliString("X", coeff=0.5, support=(i,)) for i in range(4)])
    b = twin_executor(hanoi, mitiq_obs, layout=[5, 3, 2, 1])(qc)
    assert a == pytest.approx(b, abs=1e-12)
    # a Cirq circuit runs too (mitiq's converter, sorted LineQubits)
    q = cirq.LineQubit.range(4)
    c = cirq.Circuit(cirq.H(q[0]), *[cirq.CNOT(q[i], q[i + 1]) for i in range(3)])
    assert twin_executor(hanoi, "ZZZZ", layout=[5, 3, 2, 1])(c) == pytest.approx(
        twin_executor(hanoi, "ZZZZ", layout=[5, 3, 2, 1])(ghz4()), abs=1e-12)


def test_executor_errors_name_the_argument(hanoi):
    with pytest.raises(QpuTwinError, match="shots"):
        twin_executor(hanoi)
    with pytest.raises(QpuTwinError, match="observable='ZZ'.*circuit has 4"):
        twin_executor(hanoi, "ZZ")(ghz4())
    qc = QuantumCircuit(2)
    qc.h(0)
    with pytest.raises(QpuTwinError, match="not a native gate"):
        pec_representations(hanoi, qc, layout=[1, 2])
