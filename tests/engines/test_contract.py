"""The engine contract: every registered engine passes the same physics checks.

Analytic results (T1 decay, Ramsey, echo, ideal Bell/GHZ), trace one, and
agreement with the density-matrix reference on fixed noisy circuits. A new
engine is added to ENGINES and must pass unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qpu_twin import Twin
from qpu_twin.circuit_library import ghz

ENGINES = ["density_matrix", "tensor_network", "quimb_mpdo"]


def exact(engine: str) -> dict | None:
    """Engine options without truncation (tensor-network engines; the exact engine takes none).

    Engines are compared without truncation; truncation has its own tests.
    """
    return None if engine == "density_matrix" else {"max_bond": None, "cutoff": 0.0}

NO_RO = {"level": "lindblad", "readout": False}


def _p1(res):
    return res.probabilities.get("1", 0.0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("engine", ENGINES)
def test_t1_decay(engine):
    twin = Twin("line5", noise=NO_RO, engine=engine, engine_options=exact(engine))
    ps = []
    for t in (0.0, 30.0):
        qc = QuantumCircuit(1, 1)
        qc.x(0)
        if t:
            qc.delay(t, 0, unit="us")
        qc.measure(0, 0)
        ps.append(_p1(twin.run(qc, transpile=False)))
    assert abs(ps[1] - ps[0] * np.exp(-30.0 / 100.0)) < 1e-6


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("echo", [False, True])
def test_ramsey_and_echo(engine, echo, near_ideal_line5):
    twin = Twin(near_ideal_line5, noise=NO_RO, engine=engine, engine_options=exact(engine))
    t = 40.0
    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    if echo:
        qc.delay(t / 2, 0, unit="us")
        qc.x(0)
        qc.delay(t / 2, 0, unit="us")
    else:
        qc.delay(t, 0, unit="us")
    qc.sx(0)
    qc.measure(0, 0)
    expected = 0.5 * (1 - np.exp(-t / 80.0)) if echo else 0.5 * (1 + np.exp(-t / 80.0))
    assert abs(_p1(twin.run(qc, transpile=False)) - expected) < 1e-6


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n", [2, 3, 5])
def test_ideal_bell_ghz(engine, n):
    p = Twin("line5", noise="ideal", engine=engine, engine_options=exact(engine)).run(ghz(n), seed=1).probabilities
    assert p.get("0" * n, 0) == pytest.approx(0.5, abs=1e-9) and p.get("1" * n, 0) == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("profile", ["line5", "ibm_hanoi", "quantinuum_h1-1"])
def test_noisy_ghz_trace_one_and_reference(engine, profile):
    twin = Twin(profile, engine=engine, engine_options=exact(engine))
    compiled = twin.compile(ghz(4), seed=3)
    res = twin.run(compiled, transpile=False)
    assert abs(sum(res.probabilities.values()) - 1) < 1e-10
    assert min(res.probabilities.values()) > -1e-12
    if engine != "density_matrix":  # the reference itself is checked against Aer in test_vs_aer
        ref = Twin(profile, engine="density_matrix").run(compiled, transpile=False).probabilities
        keys = set(ref) | set(res.probabilities)
        assert max(abs(ref.get(k, 0) - res.probabilities.get(k, 0)) for k in keys) < 1e-6
    # a noisy GHZ is worse than ideal but still mostly GHZ
    assert 0.5 < res.probabilities["0000"] + res.probabilities["1111"] < 1.0
