"""TwinBackend: a Qiskit BackendV2 that primitives and qiskit-experiments use unchanged."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qiskit import transpile

from qpu_twin import DeviceProfile, ProfileWarning, Twin, TwinBackend
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
