"""Exporters of the twin's layer noise: Aer ``PauliLindbladError`` and runtime ``LayerError``.

The reference for the Aer check is independent of the exporters and of the
model: the exact twirled channel of each layer (built from ``Twin.noise_map``
with Qiskit, ``tests/noise/test_pauli_lindblad.py``) applied after the ideal
layer in a Qiskit ``DensityMatrix`` evolution, single-qubit gates ideal.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix, Operator, Pauli, SparsePauliOp, SuperOp

from qpu_twin import Twin, TwinBackend
from qpu_twin.interop.layer_noise import aer_noisy_circuit, to_aer_errors, to_layer_errors
from tests.noise.test_pauli_lindblad import _reference_fidelities

ACTIVE = [0, 1, 4, 7]  # a path on ibm_hanoi: 0-1-4-7
PAIRS = [(0, 1), (1, 4), (4, 7)]


@pytest.fixture(scope="module")
def hanoi():
    return Twin("ibm_hanoi")


def _h(qc, q):  # H in hanoi's native gates
    qc.rz(math.pi / 2, q)
    qc.sx(q)
    qc.rz(math.pi / 2, q)


def _ghz(basis: str, measure: bool = True) -> QuantumCircuit:
    qc = QuantumCircuit(27, 4 if measure else 0)
    _h(qc, 0)
    for a, b in PAIRS:
        qc.cx(a, b)
    if basis == "X":
        for q in ACTIVE:
            _h(qc, q)
    if measure:
        qc.measure(ACTIVE, range(4))
    return qc


def _pauli_channel(fid: dict[str, float], n: int) -> SuperOp:
    """The Pauli channel with these fidelities (Walsh-Hadamard transform to error probabilities)."""
    labels = ["".join(p) for p in itertools.product("IXYZ", repeat=n)]
    f = {"I" * n: 1.0, **fid}
    paulis = {p: Pauli(p) for p in labels}
    out = np.zeros((4**n, 4**n), dtype=complex)
    for p in labels:
        prob = sum((1.0 if paulis[p].commutes(paulis[q]) else -1.0) * f[q] for q in labels) / 4**n
        out += prob * SuperOp(paulis[p]).data
    return SuperOp(out)


def _reference_expectation(twin, qc: QuantumCircuit, channels: dict) -> float:
    """<Z...Z> over ACTIVE: ideal single-qubit gates, each cx layer followed by its exact twirled channel."""
    loc = {q: i for i, q in enumerate(ACTIVE)}
    rho = DensityMatrix.from_label("0" * len(ACTIVE))
    for inst in qc.data:
        name = inst.operation.name
        qs = [qc.find_bit(q).index for q in inst.qubits]
        if name == "measure":
            continue
        rho = rho.evolve(Operator(inst.operation), qargs=[loc[q] for q in qs])
        if name == "cx":
            rho = rho.evolve(channels[tuple(qs)])
    return float(np.real(rho.expectation_value(Pauli("Z" * len(ACTIVE)))))


def _parity(counts: dict[str, int]) -> tuple[float, float]:
    shots = sum(counts.values())
    ev = sum((-1) ** k.count("1") * c for k, c in counts.items()) / shots
    return ev, math.sqrt(max(1 - ev**2, 1e-12) / shots)


@pytest.mark.parametrize("basis", ["Z", "X"])
def test_aer_with_exported_layers_reproduces_twirled_twin(hanoi, basis):
    from qiskit_aer import AerSimulator

    qc = _ghz(basis)
    model = hanoi.layer_noise(qc, transpile=False)
    assert [l.gates for l in model] == [(("cx", p),) for p in PAIRS]
    channels = {p: _pauli_channel(_reference_fidelities(hanoi, [p], ACTIVE, twirl=False), len(ACTIVE)) for p in PAIRS}
    ref = _reference_expectation(hanoi, qc, channels)
    ideal = 1.0
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        noisy = aer_noisy_circuit(model, negative_rates="clip")
    clipped = [str(w.message) for w in rec if "negative rate" in str(w.message)]
    assert all("set to 0" in m for m in clipped)
    shots = 40_000
    counts = AerSimulator(seed_simulator=11).run(noisy, shots=shots).result().get_counts()
    ev, sigma = _parity(counts)
    assert abs(ev - ref) < 5 * sigma
    assert ideal - ref > 10 * sigma  # the layer noise is resolved by the shots


def test_aer_export_refuses_negative_rates_unless_clipped(hanoi):
    from qpu_twin.errors import QpuTwinError

    model = hanoi.layer_noise(_ghz("Z"), transpile=False)
    if min(l.min_rate for l in model) >= 0:
        pytest.skip("no negative rate in this model")
    with pytest.raises(QpuTwinError, match="negative rates"):
        to_aer_errors(model)
    with pytest.warns(UserWarning, match="set to 0"):
        errs = to_aer_errors(model, negative_rates="clip")
    assert all(e.is_cptp() for e in errs)


def test_layer_errors_carry_the_maps(hanoi):
    model = hanoi.layer_noise(_ghz("Z"), transpile=False)
    errs = to_layer_errors(model)
    assert len(errs) == 3
    for err, layer in zip(errs, model):
        assert err.qubits == list(layer.qubits) == ACTIVE
        assert err.circuit.num_qubits == 4
        assert np.allclose(np.sort(err.error.rates), np.sort(np.real(layer.pauli_lindblad_map.rates)))
        assert len(err.error.generators) == layer.pauli_lindblad_map.num_terms


def test_runtime_estimator_local_mode_with_twin_layer_noise(hanoi):
    from qiskit_ibm_runtime import EstimatorV2  # the legacy (server-side) EstimatorV2, deprecated in 0.50

    qc = _ghz("Z", measure=False)
    model = hanoi.layer_noise(qc, transpile=False)
    backend = TwinBackend("ibm_hanoi", seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        est = EstimatorV2(mode=backend)
    est.options.resilience.layer_noise_model = to_layer_errors(model)
    obs = SparsePauliOp.from_sparse_list([("ZZZZ", ACTIVE, 1.0)], num_qubits=27)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = est.run([(qc, obs)], precision=0.01).result()
    ev, std = float(res[0].data.evs), float(res[0].data.stds)
    # local mode runs the circuit on the twin (its full noise, readout included)
    exact = hanoi.run(_ghz("Z"), transpile=False).expectation_z(range(4))
    assert 0 < std < 0.02
    assert abs(ev - exact) < 5 * std
    # and says the noise model has no effect there (runtime's local mode ignores resilience options)
    assert any("no effect in local testing mode" in str(w.message) for w in rec)
