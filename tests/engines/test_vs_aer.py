"""Must-show #2: with noise="aer" the exact probabilities equal Qiskit Aer's
density-matrix method with the exported noise model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qiskit.circuit.random import random_circuit

from qpu_twin import Twin, to_aer_noise_model

from ..circuits import random_native_dynamic
from .aer_reference import aer_exact_distribution

CASES = [("line5", 2 + i % 4, 100 + i) for i in range(15)] + [("ibm_hanoi", 2 + i % 5, 200 + i) for i in range(15)]


@pytest.fixture(scope="module")
def models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: (Twin(name, noise="aer"), to_aer_noise_model(name)) for name in ("line5", "ibm_hanoi")}


@pytest.mark.parametrize("profile,n,seed", CASES, ids=[f"{p}-{n}q-s{s}" for p, n, s in CASES])
def test_random_circuit_matches_aer_density_matrix(models, profile, n, seed):
    twin, nm = models[profile]
    qc = random_circuit(n, 6, max_operands=2, measure=True, seed=seed)
    if seed % 3 == 0:  # some circuits idle explicitly: delays carry relaxation in both models
        qc2 = qc.copy_empty_like()
        for inst in qc.data:
            if inst.operation.name == "measure" and not any(i.operation.name == "delay" for i in qc2.data):
                qc2.delay(2000, qc2.qubits[0], unit="ns")
            qc2.append(inst)
        qc = qc2
    res = twin.run(qc, seed=seed)
    ref = aer_exact_distribution(res.metadata["compiled_circuit"], nm)
    keys = set(ref) | set(res.probabilities)
    diff = max(abs(ref.get(k, 0.0) - res.probabilities.get(k, 0.0)) for k in keys)
    assert diff < 1e-6
    assert abs(sum(res.probabilities.values()) - 1) < 1e-12


def test_thirty_circuits_on_two_devices():
    assert len(CASES) >= 30 and {c[0] for c in CASES} == {"line5", "ibm_hanoi"}


@pytest.mark.parametrize("seed", range(4))
def test_dynamic_circuits_match_aer_sampling(models, seed):
    """Mid-circuit measurement, reset and feed-forward: the exact distribution agrees with
    20,000 Aer shots within 5 binomial standard deviations per outcome."""
    from qiskit_aer import AerSimulator

    twin, nm = models["line5"]
    qc = random_native_dynamic(4, 25, 1000 + seed)
    exact = twin.run(qc, transpile=False).probabilities
    shots = 20_000
    counts = AerSimulator(method="density_matrix", noise_model=nm, seed_simulator=seed).run(qc, shots=shots).result().get_counts()
    counts = {k.replace(" ", ""): v for k, v in counts.items()}
    for key in set(exact) | set(counts):
        p = max(exact.get(key, 0.0), 0.0)
        f = counts.get(key, 0) / shots
        sigma = np.sqrt(max(p * (1 - p), 1.0 / shots) / shots)  # floor: one count's worth for p ~ 0
        assert abs(f - p) <= 5 * sigma, (key, p, f)
