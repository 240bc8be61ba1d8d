"""TwinBackend: a Qiskit BackendV2 that primitives and qiskit-experiments use unchanged."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qiskit import transpile

from qpu_twin import DeviceProfile, ProfileWarning, Twin, TwinBackend, load_profile
from qpu_twin.circuit_library import ghz


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _within_shot_noise(counts: dict, exact: dict, shots: int, k: float = 5.0):
    for key in set(counts) | set(exact):
        p = max(exact.get(key, 0.0), 0.0)
        sigma = np.sqrt(max(p * (1 - p), 1 / shots) / shots)
        assert abs(counts.get(key, 0) / shots - p) <= k * sigma, (key, p, counts.get(key, 0))


def test_run_returns_a_qiskit_result():
    backend = TwinBackend("line5", seed=1)
    tq = transpile(ghz(3), backend, seed_transpiler=1)
    res = backend.run(tq, shots=3000, memory=True).result()
    counts = res.get_counts()
    assert sum(counts.values()) == 3000
    assert len(res.get_memory()) == 3000 and set(res.get_memory()) <= set(counts)
    again = backend.run(tq, shots=3000, memory=True, seed_simulator=1).result().get_counts()
    assert again == counts  # the seed reproduces


def test_sampler_v2_agrees_with_twin():
    from qiskit.primitives import BackendSamplerV2

    backend = TwinBackend("ibm_hanoi", seed=2)
    tq = transpile(ghz(3), backend, seed_transpiler=3)
    pub = BackendSamplerV2(backend=backend).run([tq], shots=8000).result()[0]
    counts = pub.data.c.get_counts()
    exact = Twin("ibm_hanoi").run(tq, transpile=False).probabilities
    _within_shot_noise(counts, exact, 8000)


def test_estimator_v2_agrees_with_twin():
    from qiskit.primitives import BackendEstimatorV2
    from qiskit.quantum_info import SparsePauliOp

    backend = TwinBackend("ibm_hanoi", seed=3)
    tq = transpile(ghz(2, measure=False), backend, seed_transpiler=3)
    est = BackendEstimatorV2(backend=backend, options={"default_precision": 0.01})
    for label in ("ZZ", "XX"):
        obs = SparsePauliOp(label).apply_layout(tq.layout)
        ev = est.run([(tq, obs)]).result()[0].data
        # exact reference: rotate to the Z basis, measure, and take the parity from the exact distribution
        qc = ghz(2, measure=False)
        if label == "XX":
            qc.h([0, 1])
        qc.measure_all()
        rq = transpile(qc, backend, initial_layout=tq.layout.initial_index_layout()[:2], seed_transpiler=3)
        probs = Twin("ibm_hanoi").run(rq, transpile=False).probabilities
        exact = sum(p * (-1) ** k.count("1") for k, p in probs.items())
        assert abs(float(ev.evs) - exact) <= 5 * float(ev.stds) + 1e-9, (label, float(ev.evs), exact)


def test_target_round_trip_from_fake_sherbrooke():
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke

    fake = FakeSherbrooke()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfileWarning)
        profile = DeviceProfile.from_qiskit_backend(fake)
    tt = TwinBackend(profile).target
    ft = fake.target
    assert tt.dt == pytest.approx(ft.dt, rel=1e-12)
    dead_q = {q.index for q in profile.qubits if not q.operational}
    dead_g = {g.key for g in profile.gates if not g.operational}
    compared = 0
    for name in profile.native_gates:
        for qargs, fp in ft[name].items():
            if (name, qargs) in dead_g or dead_q & set(qargs):
                assert qargs not in tt[name]  # excluded, and recorded in the profile
                continue
            tp = tt[name][qargs]
            assert tp.error == fp.error
            assert tp.duration == pytest.approx(fp.duration, rel=1e-12, abs=1e-18)
            compared += 1
    for q in range(fake.num_qubits):
        if q in dead_q:
            continue
        assert tt["measure"][(q,)].duration == pytest.approx(ft["measure"][(q,)].duration, rel=1e-12)
        assert tt["measure"][(q,)].error == pytest.approx(ft["measure"][(q,)].error, rel=1e-12)
        assert tt.qubit_properties[q].t1 == pytest.approx(ft.qubit_properties[q].t1, rel=1e-12)
    assert compared > 600
    assert set(tt.operation_names) >= {"ecr", "sx", "x", "rz", "id", "measure", "reset", "delay"}


# ---------------------------------------------------------------- physical qubits (issue #12)
def _active(job, i: int = 0) -> list[int]:
    """The physical qubits the twin simulated for circuit ``i`` of a job (twin and Qiskit results agree)."""
    active = job.twin_results[i].metadata["active_qubits"]
    assert job.result().results[i].metadata["active_qubits"] == active
    return active


@pytest.fixture(scope="module")
def hanoi():
    return TwinBackend("ibm_hanoi", seed=5)


def test_a_one_qubit_native_circuit_runs_on_qubit_0(hanoi):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    job = hanoi.run(qc, shots=100)
    assert _active(job) == [0]
    # the physics is qubit 0's: |0> read as 1 with exactly its P(1|0)
    assert job.twin_results[0].probabilities["1"] == pytest.approx(hanoi.profile.qubit(0).prob_meas1_prep0,
                                                                   abs=1e-12)


def test_a_two_qubit_circuit_using_only_qubit_1_runs_on_qubit_1(hanoi):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 1)
    qc.sx(1)
    qc.sx(1)
    qc.measure(1, 0)
    job = hanoi.run(qc, shots=100)
    assert _active(job) == [1]
    assert job.twin_results[0].metadata["compiled_circuit"] is qc  # native: run exactly as given


def test_a_circuit_transpiled_with_a_layout_runs_on_that_layout(hanoi):
    qc = ghz(2)
    tq = transpile(qc, hanoi, initial_layout=[7, 10], seed_transpiler=1)
    job = hanoi.run(tq, shots=100)
    assert _active(job) == [7, 10]
    assert tq.layout.initial_index_layout()[:2] == [7, 10]


def test_a_non_native_circuit_is_translated_on_the_qubits_it_names(hanoi):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(6, 2)
    qc.h(3)
    qc.cx(3, 5)  # h is not native: translated from the identity layout, not moved to a "better" pair
    qc.measure([3, 5], [0, 1])
    job = hanoi.run(qc, shots=100)
    assert _active(job) == [3, 5]
    compiled = job.twin_results[0].metadata["compiled_circuit"]
    assert compiled.layout.initial_index_layout()[:6] == list(range(6))
    # uncoupled qubits: routed with SWAPs from the identity layout, through the qubit between them
    qc = QuantumCircuit(3, 2)
    qc.x(0)
    qc.cx(0, 2)
    qc.measure([0, 2], [0, 1])
    job = hanoi.run(qc, shots=2000, seed_simulator=3)
    assert _active(job) == [0, 1, 2]
    assert job.twin_results[0].metadata["compiled_circuit"].layout.initial_index_layout()[:3] == [0, 1, 2]
    counts = job.result().get_counts()
    assert counts.get("11", 0) > 0.9 * 2000  # and the logic is kept


def test_a_cx_against_the_native_direction_stays_on_its_pair():
    """On a device where (3, 5) has only cx(5, 3), cx(3, 5) is reversed in place."""
    from qiskit import QuantumCircuit

    p = load_profile("ibm_hanoi")
    d = p.to_dict()
    p = p.replace(gates=[g for g in d["gates"] if not (g["name"] == "cx" and list(g["qubits"]) == [3, 5])],
                  coupling_map=[e for e in d["coupling_map"] if list(e) != [3, 5]])
    backend = TwinBackend(p, seed=2)
    assert (3, 5) not in backend.target["cx"] and (5, 3) in backend.target["cx"]
    qc = QuantumCircuit(6, 2)
    qc.x(3)
    qc.cx(3, 5)
    qc.measure([3, 5], [0, 1])
    job = backend.run(qc, shots=2000)
    assert _active(job) == [3, 5]
    compiled = job.twin_results[0].metadata["compiled_circuit"]
    pairs = {tuple(compiled.find_bit(q).index for q in inst.qubits) for inst in compiled.data
             if inst.operation.num_qubits == 2}
    assert pairs == {(5, 3)}
    assert job.result().get_counts().get("11", 0) > 0.9 * 2000


def test_transpile_true_lets_qiskit_choose_the_layout(hanoi):
    qc = ghz(2)
    job = hanoi.run(qc, shots=100, transpile=True, seed_simulator=4)
    res = job.twin_results[0]
    assert res.metadata["transpile"] is True
    # where Qiskit's own (error-aware) transpilation against the backend puts it, with the same seed
    tq = transpile(qc, hanoi, seed_transpiler=res.metadata["transpile_seed"])
    chosen = sorted(tq.layout.initial_index_layout()[:2])
    assert _active(job) == chosen != [0, 1]
    assert _active(hanoi.run(qc, shots=100)) == [0, 1]  # the default keeps qubit i = device qubit i


def test_backend_counts_equal_twin_counts_with_the_same_seed():
    """Issue #13 must-show 2: one sampler, one seed convention."""
    from qiskit import QuantumCircuit

    twin = Twin("ibm_hanoi")
    one = QuantumCircuit(1, 1)
    one.sx(0)
    one.measure(0, 0)
    circuits = [one, ghz(3), transpile(ghz(2), TwinBackend(twin), initial_layout=[7, 10], seed_transpiler=1)]
    for seed in (0, 12345):
        job = TwinBackend(twin).run(circuits, shots=5000, seed_simulator=seed)
        expected = twin.run(circuits, shots=5000, seed=seed, transpile="physical")
        for i, res in enumerate(expected):
            assert job.result().get_counts(i) == res.counts
        single = TwinBackend(twin, seed=seed).run(circuits[1], shots=5000)  # the backend's default seed
        assert single.result().get_counts() == twin.run(circuits[1], shots=5000, seed=seed,
                                                        transpile="physical").counts


# ---------------------------------------------------------------- qiskit-experiments (a real client)
def test_qiskit_experiments_t1():
    from qiskit_experiments.library import T1

    backend = TwinBackend("line5", seed=3)
    data = T1(physical_qubits=(0,), delays=np.linspace(1e-6, 300e-6, 12)).run(
        backend, shots=2000, seed_simulator=4).block_for_results()
    r = data.analysis_results("T1")
    true = backend.profile.qubit(0).t1_us * 1e-6
    assert abs(r.value.nominal_value - true) <= 3 * r.value.std_dev


def test_qiskit_experiments_t2_hahn():
    from qiskit_experiments.library import T2Hahn

    backend = TwinBackend("line5", seed=3)
    data = T2Hahn(physical_qubits=(1,), delays=np.linspace(1e-6, 200e-6, 12)).run(
        backend, shots=2000, seed_simulator=5).block_for_results()
    r = data.analysis_results("T2")
    true = backend.profile.qubit(1).t2_us * 1e-6
    assert abs(r.value.nominal_value - true) <= 3 * r.value.std_dev


def test_qiskit_experiments_standard_rb():
    """EPG of sx from qiskit-experiments' own RB analysis agrees with the profile's sx error."""
    from qiskit_experiments.library import StandardRB

    backend = TwinBackend("line5", seed=3)
    exp = StandardRB(physical_qubits=(2,), lengths=[1, 100, 300, 600, 1000, 1500], num_samples=8, seed=7)
    data = exp.run(backend, shots=500, seed_simulator=6).block_for_results()
    epg = data.analysis_results("EPG_sx").value
    assert abs(epg.nominal_value - backend.profile.gate("sx", (2,)).error) <= 3 * epg.std_dev
    epc = data.analysis_results("EPC").value
    assert 0 < epc.nominal_value < 2e-3


def test_parameter_binds_is_refused_clearly():
    from qpu_twin import CompileError

    with pytest.raises(CompileError, match="parameter_binds"):
        TwinBackend("line5").run(ghz(2), parameter_binds=[{}, {}])
