"""Readout as a timed process, backaction, spectators during a neighbour's readout, correlated readout,
state-dependent reset (issue #14 items 1-3 and 6), each against an analytic result."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qpu_twin import DeviceProfile, ProfileError, Twin

NO_GATE_NOISE = {"level": "lindblad", "gate_error": False, "zz": False}
#: the near-ideal fixture's 1q gates last 1e-3 ns and decohere at the 1e-8 level: agreement to 1e-7
GATE_DECOHERENCE = 1e-7


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _profile(base: DeviceProfile, **qubit0) -> DeviceProfile:
    d = base.to_dict()
    d["qubits"][0].update(qubit0)
    d["name"] = "line5_readout_test"
    return DeviceProfile.model_validate(d)


def _dist(res, nbits):
    return {format(i, f"0{nbits}b"): res.probabilities.get(format(i, f"0{nbits}b"), 0.0) for i in range(2**nbits)}


def test_readout_window_splits_p01_and_leaves_the_decayed_state(near_ideal_line5):
    q = near_ideal_line5.qubit(0)
    t1_ns = q.t1_us * 1e3
    tau = q.readout_duration_ns
    w = 0.5 * tau
    s = 0.004  # separation part of p(0|1)
    a = math.exp(-w / t1_ns)
    p01 = (1 - a) + a * s  # stated p(0|1) (p(1|0) = 0 here)
    prof = _profile(near_ideal_line5, prob_meas1_prep0=0.0, prob_meas0_prep1=p01, readout_t1_window_ns=w)
    twin = Twin(prof, noise=NO_GATE_NOISE)
    # terminal measurement of |1>: the stated p(0|1), whatever the split
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    assert twin.run(qc, transpile=False).probabilities["0"] == pytest.approx(p01, abs=GATE_DECOHERENCE)
    # measure twice: a decay inside the first window reads 0 AND leaves |0>; a separation error leaves |1>
    qc = QuantumCircuit(1, 2)
    qc.x(0)
    qc.measure(0, 0)
    qc.measure(0, 1)
    got = _dist(twin.run(qc, transpile=False), 2)
    b = math.exp(-(tau - w) / t1_ns)  # relaxation over the rest of the first readout
    # state machine: s1 = state after window 1 (1 w.p. a), record r1, then decay b, window a, record r2
    exp = {"00": 0.0, "01": 0.0, "10": 0.0, "11": 0.0}
    # decayed in window 1 -> reads 0 and stays 0 -> reads 0 again
    exp["00"] += 1 - a
    for r1, p_r1 in ((1, 1 - s), (0, s)):  # still |1> after window 1
        for alive, p_alive in ((True, b * a), (False, 1 - b * a)):
            p2 = {1: 1 - s, 0: s} if alive else {0: 1.0, 1: 0.0}
            for r2, pr2 in p2.items():
                exp[f"{r2}{r1}"] += a * p_r1 * p_alive * pr2
    for k in exp:
        assert got[k] == pytest.approx(exp[k], abs=GATE_DECOHERENCE), k
    # switching the window off gives the old model: all of p(0|1) is separation error
    old = Twin(prof, noise={**NO_GATE_NOISE, "readout_window": False}).run(qc, transpile=False)
    decay = 1 - math.exp(-tau / t1_ns)
    assert old.probabilities.get("01", 0.0) == pytest.approx((1 - p01) * (decay + (1 - decay) * p01),
                                                             abs=GATE_DECOHERENCE)


def test_readout_window_longer_than_t1_allows_is_refused(near_ideal_line5):
    with pytest.raises(ProfileError, match="readout_t1_window_ns.*more than the stated prob_meas0_prep1"):
        _profile(near_ideal_line5, prob_meas0_prep1=1e-4, readout_t1_window_ns=500.0)


def test_backaction_flips_the_measured_qubit(near_ideal_line5):
    pe, pr = 0.03, 0.07
    prof = _profile(near_ideal_line5, prob_meas1_prep0=0.0, prob_meas0_prep1=0.0, meas_excitation_prob=pe,
                    meas_relaxation_prob=pr)
    twin = Twin(prof, noise={**NO_GATE_NOISE, "decoherence": False})
    for prep, flip in ((0, pe), (1, pr)):
        qc = QuantumCircuit(1, 2)
        if prep:
            qc.x(0)
        qc.measure(0, 0)
        qc.measure(0, 1)
        got = _dist(twin.run(qc, transpile=False), 2)
        same, other = f"{prep}{prep}", f"{1 - prep}{prep}"
        assert got[other] == pytest.approx(flip, abs=1e-12) and got[same] == pytest.approx(1 - flip, abs=1e-12)
    # a terminal measurement does not see its own backaction
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    assert twin.run(qc, transpile=False).probabilities.get("1", 0.0) == pytest.approx(0.0, abs=1e-15)


def _spectator_profile(base, **entry):
    d = base.to_dict()
    d.setdefault("crosstalk", {})["readout_spectators"] = [dict(measured=1, spectator=0, **entry)]
    d["name"] = "line5_spectator_test"
    return DeviceProfile.model_validate(d)


def test_spectator_dephasing_and_stark_phase_over_the_readout_window(near_ideal_line5):
    gamma_mhz, delta_mhz = 0.2, 0.05  # 1/us and MHz
    prof = _spectator_profile(near_ideal_line5, dephasing_rate_mhz=gamma_mhz, stark_shift_mhz=delta_mhz)
    tau = prof.qubit(1).readout_duration_ns
    qc = QuantumCircuit(2, 2)
    qc.sx(0)
    qc.barrier(0, 1)
    qc.measure(1, 1)  # qubit 0 idles exactly over qubit 1's readout window
    qc.barrier(0, 1)
    qc.sx(0)
    qc.measure(0, 0)
    noise = {**NO_GATE_NOISE, "readout": False}
    res = Twin(prof, noise=noise).run(qc, transpile=False)
    p1 = res.marginal([0]).get("1", 0.0)
    # independent reference: 2x2 algebra with the analytic idle channel of qubit 0 over tau
    q0 = prof.qubit(0)
    t1, t2 = q0.t1_us * 1e3, q0.t2_us * 1e3
    sx = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2
    rho = sx @ np.diag([1.0, 0.0]) @ sx.conj().T
    g = 1 - math.exp(-tau / t1)
    phase = 2 * math.pi * delta_mhz * 1e-3 * tau
    coh = math.exp(-tau / t2) * math.exp(-gamma_mhz * 1e-3 * tau)
    rho = np.array([[rho[0, 0] + g * rho[1, 1], rho[0, 1] * coh * np.exp(-1j * phase)],
                    [rho[1, 0] * coh * np.exp(1j * phase), (1 - g) * rho[1, 1]]])
    rho = sx @ rho @ sx.conj().T
    assert p1 == pytest.approx(float(np.real(rho[1, 1])), abs=GATE_DECOHERENCE)
    off = Twin(prof, noise={**noise, "spectators": False}).run(qc, transpile=False).marginal([0]).get("1", 0.0)
    assert abs(off - p1) > 1e-3  # the effect is there and the switch removes it


def test_measurement_crosstalk_pauli_error_per_event(near_ideal_line5):
    e = 0.02
    d = near_ideal_line5.to_dict()
    d.setdefault("crosstalk", {})["measurement"] = [{"measured": None, "spectator": None, "error": e}]
    prof = DeviceProfile.model_validate(d)
    qc = QuantumCircuit(2, 2)
    qc.x(1)
    qc.barrier(0, 1)
    qc.measure(0, 0)  # qubit 1 (in |1>) is a spectator of this measurement event
    qc.barrier(0, 1)
    qc.measure(1, 1)
    res = Twin(prof, noise={**NO_GATE_NOISE, "readout": False, "decoherence": False}).run(qc, transpile=False)
    # a random Pauli with probability e: X and Y flip |1> (2e/3)
    assert res.marginal([1]).get("0", 0.0) == pytest.approx(2 * e / 3, abs=1e-12)


def test_correlated_readout_matrix_is_exact(near_ideal_line5):
    m = np.array([[0.90, 0.05, 0.05, 0.01], [0.04, 0.90, 0.00, 0.04], [0.05, 0.00, 0.90, 0.05],
                  [0.01, 0.05, 0.05, 0.90]])
    d = near_ideal_line5.to_dict()
    d.setdefault("crosstalk", {})["readout_pairs"] = [{"qubits": [0, 1], "assignment": m.tolist()}]
    prof = DeviceProfile.model_validate(d)
    twin = Twin(prof, noise={**NO_GATE_NOISE, "decoherence": False})
    for prep in range(4):
        qc = QuantumCircuit(2, 2)
        if prep & 2:
            qc.x(0)
        if prep & 1:
            qc.x(1)
        qc.measure([0, 1], [0, 1])
        probs = twin.run(qc, transpile=False).probabilities
        got = np.zeros(4)
        for k, v in probs.items():
            got[2 * int(k[1]) + int(k[0])] += v  # r = 2 b(q0) + b(q1); key is "c1 c0"
        assert got == pytest.approx(m[:, prep], abs=1e-12)
    bad = d.copy()
    bad["crosstalk"] = {"readout_pairs": [{"qubits": [0, 1], "assignment": (m * 1.1).tolist()}]}
    with pytest.raises(ProfileError, match="column 0 of assignment sums to"):
        DeviceProfile.model_validate(bad)


def test_reset_is_state_dependent(near_ideal_line5):
    e = 0.04
    prof = _profile(near_ideal_line5, reset_error=e, reset_duration_ns=500.0)
    d = prof.to_dict()
    d["control_flow"] = []
    twin = Twin(prof, noise={**NO_GATE_NOISE, "readout": False, "decoherence": False})
    for prep, want in ((0, 0.0), (1, e)):
        qc = QuantumCircuit(1, 1)
        if prep:
            qc.x(0)
        qc.reset(0)
        qc.measure(0, 0)
        assert twin.run(qc, transpile=False).probabilities.get("1", 0.0) == pytest.approx(want, abs=1e-14)


def test_terminal_measurement_ignores_backaction_with_decoherence_on(near_ideal_line5):
    """With decoherence on a measurement carries two post-measure maps (the rest-of-readout decay
    and the backaction); a terminal one drops both: P(0) of |1> is the x gate's and the idle decay
    only (~1e-8 on this fixture), not the 0.3 backaction."""
    prof = _profile(near_ideal_line5, prob_meas1_prep0=0.0, prob_meas0_prep1=0.0, meas_relaxation_prob=0.3)
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    for zz in (True, False):  # the dressed static-ZZ path and the plain one
        twin = Twin(prof, noise={**NO_GATE_NOISE, "zz": zz})
        assert twin.run(qc, transpile=False).probabilities.get("0", 0.0) == pytest.approx(0.0, abs=GATE_DECOHERENCE)
