"""Trajectory engine: agrees with the exact density-matrix engine within its own standard errors,
standard errors shrink as 1/sqrt(trajectories) and are honest, results do not depend on how the
batches are executed, and the options and auto selection behave."""

from __future__ import annotations

import math
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit

from qpu_twin import EngineError, Twin
from qpu_twin.engines import get_engine
from qpu_twin.engines import trajectories as T
from qpu_twin.noise import channels as ch

from ..circuits import random_native_dynamic


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _circuit(profile: str, kind: str, n: int, seed: int):
    """(twin, physical circuit) for one case: every case runs as a native physical circuit."""
    twin = Twin(profile)
    if kind == "dynamic":  # delays (idle noise), ZZ, mid-circuit measure, reset, if_else, readout
        return twin, random_native_dynamic(n, 30, 700 + seed, feed_forward=True)
    if kind == "dynamic_noff":
        return twin, random_native_dynamic(n, 30, 800 + seed, feed_forward=False)
    if kind == "ghz":
        qc = QuantumCircuit(n, n)
        qc.h(0)
        for i in range(n - 1):
            qc.cx(i, i + 1)
        qc.measure(range(n), range(n))
    else:
        qc = random_circuit(n, 5, max_operands=2, measure=True, seed=seed)
    return twin, twin.compile(qc, seed=seed)


#: 24 circuits of <= 10 qubits: idle noise, static ZZ (line5, ibm_hanoi), readout, mid-circuit
#: measurement and reset, feed-forward (if_else), transpiled random circuits and GHZ states
CASES = ([("line5", "dynamic", n, s) for n, s in [(3, 0), (4, 1), (4, 2), (5, 3), (5, 4), (5, 5), (3, 6), (4, 7)]]
         + [("line5", "dynamic_noff", n, s) for n, s in [(4, 0), (5, 1), (5, 2), (3, 3)]]
         + [("ibm_hanoi", "random", n, s) for n, s in [(4, 10), (5, 11), (6, 12), (7, 13), (8, 14)]]
         + [("ibm_hanoi", "ghz", n, 0) for n in (6, 10)]
         + [("line5", "random", 5, 20), ("line5", "ghz", 5, 0), ("quantinuum_h1-1", "random", 5, 21),
            ("ibm_hanoi", "random", 9, 15)])
FAST = [CASES[i] for i in (0, 1, 9, 13, 17, 20)]
N_TRAJ = 1000


def _check_against_dm(profile, kind, n, seed, n_traj=N_TRAJ):
    twin, qc = _circuit(profile, kind, n, seed)
    prog = twin.program(qc, transpile=False)
    exact = get_engine("density_matrix").run(prog).probabilities
    eng = get_engine("trajectories", trajectories=n_traj, batch_size=250, max_bond=None, cutoff=0.0,
                     progress=False)
    out = eng.run(prog, seed=1000 + seed)
    assert out.metadata["trajectories"] == n_traj
    assert sum(out.probabilities.values()) == pytest.approx(1.0, abs=1e-9)
    trunc = out.truncation_error  # numerically zero discards only (no cap, no cutoff)
    assert trunc < 1e-6
    z_max = 0.0
    for k in set(exact) | set(out.probabilities):
        p, est = exact.get(k, 0.0), out.probabilities.get(k, 0.0)
        se = out.stderr.get(k, 0.0)
        if p >= 10.0 / n_traj:
            # within 5 of the estimate's own standard error, plus 1/N: a jump branch of probability
            # q < 1/N is most likely absent from N trajectories, hides from the sample's spread and can
            # shift a [0, 1]-valued mean by q * 1 < 1/N (seen once in 24 circuits: ibm_hanoi GHZ-10)
            assert abs(est - p) <= 5 * se + 1.0 / n_traj + trunc + 1e-12, (k, p, est, se)
            if se > 0:
                z_max = max(z_max, abs(est - p) / se)
        else:
            # outcomes reached by rare jumps: the sample cannot see its own spread; a [0, 1]-valued
            # mean has variance <= p (1 - p) / N (Bhatia-Davis), used as the envelope
            assert abs(est - p) <= 5 * math.sqrt(p * (1 - p) / n_traj) + trunc + 1e-12, (k, p, est)
    return z_max


@pytest.mark.parametrize("profile,kind,n,seed", FAST, ids=[f"{p}-{k}-{n}q-s{s}" for p, k, n, s in FAST])
def test_agrees_with_density_matrix(profile, kind, n, seed):
    _check_against_dm(profile, kind, n, seed)


@pytest.mark.slow
@pytest.mark.parametrize("profile,kind,n,seed", CASES, ids=[f"{p}-{k}-{n}q-s{s}" for p, k, n, s in CASES])
def test_agrees_with_density_matrix_all(profile, kind, n, seed):
    _check_against_dm(profile, kind, n, seed)


def _values(prog, n_traj, seed):
    """Per-trajectory P(most likely outcome of the exact distribution)."""
    exact = get_engine("density_matrix").run(prog).probabilities
    top = max(exact, key=exact.get)
    eng = get_engine("trajectories", trajectories=n_traj, batch_size=100, bitstrings=[top], progress=False)
    out = eng.run(prog, seed=seed)
    return out.state.values[:, 0], out.state, exact[top]


def test_stderr_shrinks_as_inverse_sqrt_and_is_honest():
    twin, qc = _circuit("line5", "dynamic", 4, 1)
    prog = twin.program(qc, transpile=False)
    v_small, st_small, p = _values(prog, 100, 1)
    v_big, st_big, _ = _values(prog, 1600, 2)
    name = st_small.names[0]
    # se = s / sqrt(N): the ratio is 4 if the per-trajectory variance s^2 is the same; test the variances
    # against each other with the sampling variance of s^2, (m4 - s^4) / N
    def var_of_var(v):
        m = v.mean()
        return (np.mean((v - m) ** 4) - np.var(v) ** 2) / len(v)

    s2a, s2b = np.var(v_small, ddof=1), np.var(v_big, ddof=1)
    assert abs(s2a - s2b) <= 5 * math.sqrt(var_of_var(v_small) + var_of_var(v_big))
    ratio = st_small.stderr(name) / st_big.stderr(name)
    assert ratio == pytest.approx(4.0 * math.sqrt(s2a / s2b), rel=1e-9)
    # honesty: the spread of 20 independent 100-trajectory estimates matches their stated standard error
    ests = v_big[: 20 * 80].reshape(20, 80).mean(axis=1)
    ses = v_big[: 20 * 80].reshape(20, 80).std(axis=1, ddof=1) / math.sqrt(80)
    chi2 = float(np.sum(((ests - p) / ses) ** 2))  # ~ chi^2 with 20 degrees of freedom
    assert 20 - 5 * math.sqrt(40) < chi2 < 20 + 5 * math.sqrt(40)


def test_bit_identical_whatever_executes_the_batches():
    twin, qc = _circuit("line5", "dynamic", 4, 2)
    prog = twin.program(qc, transpile=False)
    eng = get_engine("trajectories", trajectories=120, batch_size=40, bitstrings=["0" * prog.num_clbits],
                     progress=False)
    out = eng.run(prog, seed=np.random.SeedSequence(5))
    prep = T.prepare(prog)
    ss = np.random.SeedSequence(5)
    readout = T.Readout(eng.max_enumerate, (), tuple(eng.bitstrings), None)
    jobs = [(lo, T.trajectory_seeds(ss, 40, lo)) for lo in (80, 0, 40)]  # any order, any worker
    with ThreadPoolExecutor(max_workers=3) as pool:
        parts = list(pool.map(lambda j: T.run_batch(prep, j[1], first=j[0], readout=readout, max_bond=eng.max_bond,
                                                    cutoff=eng.cutoff), jobs))
    again = T.assemble(parts, prep, readout, [], meta_extra={})
    assert again.probabilities == out.probabilities
    assert again.stderr == out.stderr
    assert np.array_equal(again.state.values, out.state.values)


def test_through_twin_seeded_with_stderr_and_counts():
    twin = Twin("line5", engine="trajectories", engine_options={"trajectories": 200, "progress": False})
    qc = random_native_dynamic(4, 20, 3, feed_forward=True)
    a = twin.run(qc, transpile=False, shots=500, seed=9)
    b = twin.run(qc, transpile=False, shots=500, seed=9)
    assert a.engine == "trajectories" and a.probabilities == b.probabilities and a.counts == b.counts
    assert sum(a.counts.values()) == 500
    assert set(a.stderr) == set(a.probabilities)
    assert a.error_estimate() == pytest.approx(a.truncation_error + max(a.stderr.values()))


def test_sampled_bitstrings_when_too_many_clbits():
    """Above max_enumerate each trajectory draws its share of the shots; exact values of requested bitstrings."""
    twin = Twin("line5")
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    compiled = twin.compile(qc, seed=1)
    prog = twin.program(compiled, transpile=False)
    exact = get_engine("density_matrix").run(prog).probabilities
    shots = 4000
    eng = get_engine("trajectories", trajectories=400, max_enumerate=1, bitstrings=["000", "111"], progress=False)
    out = eng.run(prog, seed=3, shots=shots)
    assert out.probabilities == {}
    counts, _ = out.sampler(shots, None)
    assert sum(counts.values()) == shots
    for k, p in exact.items():
        assert abs(counts.get(k, 0) / shots - p) <= 5 * math.sqrt(p * (1 - p) / shots) + 1e-9
    for k in ("000", "111"):
        assert abs(out.state.probability(k) - exact[k]) <= 5 * out.state.stderr(k) + 1e-12


def test_truncation_is_bounded():
    """With a small bond cap, the trajectory average stays within the stated truncation bound (+ 5 se)."""
    twin = Twin("ibm_hanoi")
    qc = twin.compile(random_circuit(6, 6, max_operands=2, measure=True, seed=4), seed=4)
    prog = twin.program(qc, transpile=False)
    exact = get_engine("density_matrix").run(prog).probabilities
    out = get_engine("trajectories", trajectories=600, max_bond=2, progress=False).run(prog, seed=4)
    assert out.truncation_error > 1e-4  # truncation happened and is reported
    for k, p in exact.items():
        if p >= 10 / 600:
            assert abs(out.probabilities.get(k, 0.0) - p) <= out.truncation_error + 5 * out.stderr.get(k, 0.0)


def test_kraus_decomposition_reconstructs_the_channel():
    twin = Twin("line5")
    for s in (twin.noise_map("cx", (0, 1), form="matrix"), twin.noise_map("idle", 2, duration_ns=500, form="matrix"),
              twin.noise_map("reset", 1, form="matrix"), twin.noise_map("zz", (0, 1), duration_ns=300, form="matrix")):
        ks = T.kraus_from_superop(s)
        assert np.abs(ch.kraus_superop(ks) - s).max() < 1e-12
        w = [np.sum(np.abs(k) ** 2) for k in ks]
        assert w == sorted(w, reverse=True)


def test_options_are_validated():
    with pytest.raises(EngineError, match="unknown option"):
        get_engine("trajectories", max_bonds=3)
    with pytest.raises(EngineError, match="trajectories=0"):
        get_engine("trajectories", trajectories=0)
    with pytest.raises(EngineError, match="cutoff"):
        get_engine("trajectories", cutoff=2.0)
    twin = Twin("line5")
    prog = twin.program(twin.compile(QuantumCircuit(2, 2), seed=1), transpile=False)
    with pytest.raises(EngineError, match="bitstrings"):
        get_engine("trajectories", bitstrings=["0"]).run(prog, seed=1)


def test_auto_picks_and_says_why():
    from qpu_twin.circuit_library import ghz_on_device

    qc = ghz_on_device("ibm_hanoi", 14)
    for noise, want in (("lindblad", "trajectories"), ({"level": "lindblad", "zz": False}, "tensor_network")):
        twin = Twin("ibm_hanoi", noise=noise)
        sched = twin.schedule(qc, seed=1)
        name, why = twin._engine_for(sched.num_active, None, sched=sched)
        assert name == want and "auto" in why
    twin = Twin("ibm_hanoi")
    name, why = twin._engine_for(4, None, sched=twin.schedule(QuantumCircuit(2, 2), seed=1))
    assert name == "density_matrix" and "exact" in why
