"""Must-show #3: on the same twin-generated data, our fits agree with qiskit-experiments' analyses."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from qpu_twin import TwinBackend
from qpu_twin.calibration import ExperimentData, RBExperiment, T1Experiment


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _to_ours(name, qubits, qe_data, success: str, x_scale: float = 1.0):
    x, k, n = [], [], []
    for d in qe_data.data():
        counts = d["counts"]
        x.append(d["metadata"]["xval"] * x_scale)
        k.append(counts.get(success, 0))
        n.append(sum(counts.values()))
    return ExperimentData(name, tuple(qubits), np.array(x), np.array(k), np.array(n))


def test_t1_same_data_same_answer():
    from qiskit_experiments.library import T1

    backend = TwinBackend("line5", seed=3)
    qe = T1(physical_qubits=(0,), delays=np.linspace(1e-6, 300e-6, 15)).run(
        backend, shots=2000, seed_simulator=8).block_for_results()
    theirs = qe.analysis_results("T1").value
    ours = T1Experiment.analyse(_to_ours("T1", [0], qe, "1", x_scale=1e6))[0]
    combined = np.hypot(theirs.std_dev * 1e6, ours.stderr)
    assert abs(ours.value - theirs.nominal_value * 1e6) <= combined
    assert ours.stderr == pytest.approx(theirs.std_dev * 1e6, rel=0.5)


def test_rb_same_data_same_answer():
    from qiskit_experiments.library import StandardRB

    backend = TwinBackend("line5", seed=3)
    qe = StandardRB(physical_qubits=(2,), lengths=[1, 100, 300, 600, 1000, 1500], num_samples=6, seed=9).run(
        backend, shots=500, seed_simulator=9).block_for_results()
    alpha_theirs = qe.analysis_results("alpha").value
    epc_theirs = qe.analysis_results("EPC").value
    res = RBExperiment.analyse(_to_ours("RB1Q", [2], qe, "0"))
    alpha = next(r for r in res if r.quantity == "alpha")
    epc = next(r for r in res if r.quantity == "epc")
    assert abs(alpha.value - alpha_theirs.nominal_value) <= np.hypot(alpha.stderr, alpha_theirs.std_dev)
    assert abs(epc.value - epc_theirs.nominal_value) <= np.hypot(epc.stderr, epc_theirs.std_dev)
