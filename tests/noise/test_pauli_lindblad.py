"""Layer noise (``Twin.layer_noise``) against a brute-force Pauli twirl built with Qiskit.

The reference builds the layer channel from the twin's public maps
(``Twin.noise_map``) with ``qiskit.quantum_info.SuperOp`` composition, removes
the ideal layer unitary, averages P N P over all 4^n Paulis and reads the Pauli
fidelities by evolving each Pauli: no code shared with the module under test.
The model side is Qiskit's own ``PauliLindbladMap.pauli_fidelity``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix, Operator, Pauli, QubitSparsePauli, SuperOp

from qpu_twin import Twin


@pytest.fixture(scope="module")
def hanoi():
    return Twin("ibm_hanoi")


def _layer_circuit(pairs, active):
    qc = QuantumCircuit(27)
    for q in active:
        qc.sx(q)
    for a, b in pairs:
        qc.cx(a, b)
    return qc


def _reference_fidelities(twin, pairs, active, noise=None, twirl=True):
    """Twirled fidelities {label: f} of the layer (map qubit i = active[i]).

    ``twirl=True``: brute-force average P N P over all Paulis, then Tr(Q N_T(Q))/2^n.
    ``twirl=False``: Tr(Q N(Q))/2^n directly (the same numbers, by definition of the
    twirl; the two-qubit test checks that identity, the slower 4-qubit tests skip the average).
    """
    n = len(active)
    loc = {q: i for i, q in enumerate(active)}
    opts = twin.builder(noise).options
    durs = [twin.profile.gate("cx", p).duration_ns for p in pairs]
    T = max(durs)
    e = SuperOp(np.eye(4**n))
    busy = set()
    for (a, b), d in zip(pairs, durs):
        if T - d > 1e-9 and opts.idle_active:
            for q in (a, b):
                e = e.compose(twin.noise_map("idle", (q,), duration_ns=T - d, noise=noise), qargs=[loc[q]])
        e = e.compose(twin.noise_map("cx", (a, b), noise=noise), qargs=[loc[a], loc[b]])
        busy.update((a, b))
    for q in active:
        if q not in busy and opts.idle_active:
            e = e.compose(twin.noise_map("idle", (q,), duration_ns=T, noise=noise), qargs=[loc[q]])
    if opts.zz_active:
        gate_pairs = {frozenset(p) for p in pairs}
        for t in twin.profile.crosstalk.zz:
            a, b = t.qubits
            if a in loc and b in loc and frozenset((a, b)) not in gate_pairs:
                e = e.compose(twin.noise_map("zz", (a, b), duration_ns=T, noise=noise), qargs=[loc[a], loc[b]])
    ideal = QuantumCircuit(n)
    for a, b in pairs:
        ideal.cx(loc[a], loc[b])
    noise_ch = SuperOp(Operator(ideal).adjoint()).compose(e)  # N = E o U^-1
    paulis = ["".join(p) for p in itertools.product("IXYZ", repeat=n)]
    if twirl:
        twirled = SuperOp(sum(SuperOp(Pauli(p)).compose(noise_ch).compose(SuperOp(Pauli(p))).data
                              for p in paulis) / 4**n)
    else:
        twirled = noise_ch
    out = {}
    for p in paulis[1:]:
        m = Pauli(p).to_matrix()
        evolved = DensityMatrix(m).evolve(twirled).data
        out[p] = float(np.real(np.trace(m @ evolved))) / 2**n
    return out


def _model_fidelities(layer, labels):
    plm = layer.pauli_lindblad_map
    return {p: float(plm.pauli_fidelity(QubitSparsePauli.from_label(p))) for p in labels}


def _max_diff(a, b):
    return max(abs(a[k] - b[k]) for k in a)


@pytest.mark.parametrize("model", ["sparse", "full"])
def test_two_qubit_layer_reproduces_twirled_fidelities(hanoi, model):
    pairs, active = [(0, 1)], [0, 1]
    qc = _layer_circuit(pairs, active)
    res = hanoi.layer_noise(qc, transpile=False, model=model)
    assert len(res) == 1 and res.sequence == (0,)
    layer = res[0]
    assert layer.qubits == (0, 1) and layer.checked == "all" and layer.checked_paulis == 15
    ref = _reference_fidelities(hanoi, pairs, active)
    assert _max_diff(ref, _reference_fidelities(hanoi, pairs, active, twirl=False)) < 1e-12
    got = _model_fidelities(layer, ref)
    # on two coupled qubits the sparse generator set is complete: both models are exact
    assert _max_diff(got, ref) < 1e-6
    assert layer.max_fidelity_error < 1e-9
    assert min(ref.values()) < 0.995  # a real, resolvable noise level (cx error ~1e-2)


def test_four_qubit_layer_full_model_is_exact(hanoi):
    pairs, active = [(0, 1), (4, 7)], [0, 1, 4, 7]   # coupled 1-4: ZZ between the two gates
    qc = _layer_circuit(pairs, active)
    layer = hanoi.layer_noise(qc, transpile=False, model="full")[0]
    ref = _reference_fidelities(hanoi, pairs, active, twirl=False)
    assert _max_diff(_model_fidelities(layer, ref), ref) < 1e-6
    assert layer.pauli_lindblad_map.num_terms == 255


def test_four_qubit_layer_sparse_model_states_its_error(hanoi):
    pairs, active = [(0, 1), (4, 7)], [0, 1, 4, 7]
    qc = _layer_circuit(pairs, active)
    layer = hanoi.layer_noise(qc, transpile=False)[0]
    ref = _reference_fidelities(hanoi, pairs, active, twirl=False)
    got = _model_fidelities(layer, ref)
    # 4 x 3 weight-1 + 3 coupled pairs x 9 weight-2 generators
    assert layer.pauli_lindblad_map.num_terms == 12 + 27
    # the stated error is the true one
    assert _max_diff(got, ref) == pytest.approx(layer.max_fidelity_error, abs=1e-9)
    # exact on the generators' own Paulis (weight 1, and weight 2 on coupled pairs)
    loc = {0: 3, 1: 2, 4: 1, 7: 0}  # label position of each physical qubit (qubit 0 rightmost)
    sup = [p for p in ref if sum(c != "I" for c in p) == 1
           or (sum(c != "I" for c in p) == 2 and _on_coupled(p, loc, hanoi.profile))]
    assert len(sup) == 39
    assert max(abs(got[p] - ref[p]) for p in sup) < 1e-9
    # the miss comes from the ZZ phase between the two gates: without ZZ the sparse model is exact
    assert layer.max_fidelity_error > 1e-7
    layer_nozz = hanoi.layer_noise(qc, transpile=False, noise={"zz": False})[0]
    ref_nozz = _reference_fidelities(hanoi, pairs, active, noise={"zz": False}, twirl=False)
    assert _max_diff(_model_fidelities(layer_nozz, ref_nozz), ref_nozz) < 1e-6


def _on_coupled(label, loc, profile):
    inv = {v: k for k, v in loc.items()}
    qs = [inv[i] for i, c in enumerate(label) if c != "I"]
    return profile.is_coupled(*qs)


def test_layers_of_a_circuit_and_their_sequence(hanoi):
    qc = QuantumCircuit(27)
    qc.sx(0)
    for a, b in [(0, 1), (1, 4), (0, 1), (1, 4)]:
        qc.cx(a, b)
        qc.sx(a)
    res = hanoi.layer_noise(qc, transpile=False)
    assert [l.gates for l in res] == [(("cx", (0, 1)),), (("cx", (1, 4)),)]
    assert res.sequence == (0, 1, 0, 1)
    assert all(l.qubits == (0, 1, 4) for l in res)
    # the reordered circuit keeps every qubit's sequence of operations (so the same unitary)
    lc = res.layered_circuit()
    assert _per_qubit(lc) == _per_qubit(qc)


def _per_qubit(circ):
    seq = {}
    for inst in circ.data:
        for q in inst.qubits:
            seq.setdefault(circ.find_bit(q).index, []).append(
                (inst.operation.name, tuple(circ.find_bit(x).index for x in inst.qubits)))
    return seq


def test_ideal_twin_has_zero_rates(hanoi):
    qc = _layer_circuit([(0, 1)], [0, 1])
    layer = hanoi.layer_noise(qc, transpile=False, noise="ideal")[0]
    assert np.allclose(layer.pauli_lindblad_map.rates, 0.0, atol=1e-12)


def test_full_model_refused_on_large_layers(hanoi):
    from qpu_twin.errors import QpuTwinError

    qc = _layer_circuit([(0, 1)], list(range(8)))
    with pytest.raises(QpuTwinError, match="model='full'.*n=8"):
        hanoi.layer_noise(qc, transpile=False, model="full")
