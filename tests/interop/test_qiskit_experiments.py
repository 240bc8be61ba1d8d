"""qiskit-experiments on ``TwinBackend`` measure the qubits they name (issue #12).

The bug: ``TwinBackend`` re-transpiled narrower circuits onto qubits of its own
choice (RB on qubit 0 of ibm_hanoi ran on qubit 26). Here each characterization
runs on two ibm_hanoi qubits whose properties differ by a factor >= 1.7 and
must return the NAMED qubit's profile value within the experiment's own error
bar, and be inconsistent with the other qubit's value (so the test can tell the
qubits apart). A spy checks that every circuit an experiment sends is simulated
on exactly its ``physical_qubits``.

What "the profile value" is on the twin (docs/architecture.md, lindblad level):

* ``T1``: the profile's T1 (exact amplitude damping during the delay; the x
  gate and the readout only change the curve's amplitude and offset).
* ``T2Hahn``: the profile's T2. The twin's dephasing is Markovian (T1 and
  Tphi collapse operators), so the echo refocuses nothing and the coherence
  decays as exp(-t/T2) exactly.
* ``LocalReadoutError``: P(1|prep 0) is the profile's ``prob_meas1_prep0``
  (no gate before the measurement); P(0|prep 1) is ``prob_meas0_prep1`` plus
  the probability that the x pulse failed, which is of the order of the x
  gate's error (bounded by 2 * error here).
* ``StandardRB``: EPC = (d-1)/d (1 - p_C) where p_C is the geometric mean over
  the experiment's Cliffords of the product of the depolarizing parameters of
  every error event in the circuits (to first order: EPC = the sum of the
  Clifford's gate errors). A gate's infidelity is the profile's error, or the
  decoherence floor T1/T2 impose over its duration when that is larger (the
  twin then uses decoherence only, see ``DecoherenceWarning``); a k-qubit
  event with infidelity r inside d-dimensional RB has p = (d^2 F_e - 1)/(d^2 - 1),
  F_e = 1 - (2^k + 1)/2^k r; idle windows contribute their exact T1/T2 channel.
  qiskit-experiments reports ``EPG_sx = EPC / n`` with n the *per-circuit*
  average of (sx + x) per Clifford; with short sequences in the design that
  average scatters around the per-Clifford one (0.833 for the 1q Clifford group
  in the rz/sx/x basis) and its scatter is not in EPG's error bar, so the sx
  error is compared as EPC / n_clifford (and EPG_sx is checked to be EPC / n).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from qpu_twin import TwinBackend, load_profile

pytest.importorskip("qiskit_experiments")

#: ibm_hanoi qubits whose T1 (92 vs 206 us), T2 (153 vs 267 us), readout errors
#: (0.0076/0.0098 vs 0.022/0.023) and sx errors (3.2e-4 vs 1.4e-4) all differ by >= 1.7x.
QA, QB = 0, 10
K_SIGMA = 4.0


@pytest.fixture(scope="module")
def backend():
    return TwinBackend("ibm_hanoi", seed=2024)


class _Spy:
    """Records every circuit the backend's twin runs and the physical qubits it simulated."""

    def __init__(self, backend):
        self.backend, self.circuits, self.active = backend, [], []

    def __enter__(self):
        real = self.backend.twin.run

        def run(circuits, **kwargs):
            results = real(circuits, **kwargs)
            many = isinstance(circuits, (list, tuple))
            self.circuits += list(circuits) if many else [circuits]
            self.active += [r.metadata["active_qubits"] for r in (results if many else [results])]
            return results

        self.backend.twin.run = run  # an instance attribute shadows Twin.run
        return self

    def __exit__(self, *exc):
        del self.backend.twin.run


def _run(exp, backend, **run_options):
    """Run a qiskit-experiments experiment on ``backend``; returns (ExperimentData, spy)."""
    with _Spy(backend) as spy:
        data = exp.run(backend, **run_options).block_for_results()
    return data, spy


def _result(data, name: str):
    """The value (a ufloat, or the object) of the analysis result ``name``."""
    return data.analysis_results(name, dataframe=True).iloc[0].value


def _named_not_other(fit, sigma, named, other, *, what, slack=(0.0, 0.0)):
    """``fit`` agrees with ``named`` within K_SIGMA*sigma (widened by the one-sided ``slack``
    (below, above) of a known systematic) and is more than K_SIGMA*sigma away from ``other``."""
    lo, hi = slack
    assert named - lo - K_SIGMA * sigma <= fit <= named + hi + K_SIGMA * sigma, \
        f"{what}: fit {fit:.6g} +- {sigma:.2g} disagrees with the named qubit's {named:.6g}"
    assert abs(fit - other) > K_SIGMA * sigma + (lo if other < named else hi), \
        f"{what}: fit {fit:.6g} +- {sigma:.2g} cannot be told from the other qubit's {other:.6g}"


def test_the_two_qubits_differ_clearly(backend):
    """The premise of the comparisons: every property used differs by a factor >= 1.7."""
    p = backend.profile
    a, b = p.qubit(QA), p.qubit(QB)
    for field in ("t1_us", "t2_us", "prob_meas1_prep0", "prob_meas0_prep1"):
        x, y = getattr(a, field), getattr(b, field)
        assert max(x, y) / min(x, y) >= 1.7, field
    x, y = _gate_infidelity(p, "sx", (QA,)), _gate_infidelity(p, "sx", (QB,))
    assert max(x, y) / min(x, y) >= 1.7
    for q in (QA, QB):  # not decoherence-limited: the twin realizes the profile's sx and x errors
        assert _gate_infidelity(p, "sx", (q,)) == p.gate("sx", (q,)).error == p.gate("x", (q,)).error


# ---------------------------------------------------------------------------- T1 / T2
@pytest.mark.parametrize("named, other", [(QA, QB), (QB, QA)])
def test_t1_returns_the_named_qubits_t1(backend, named, other):
    from qiskit_experiments.library import T1

    p = backend.profile
    delays = np.linspace(1e-6, 450e-6, 12)  # the same design for both qubits
    data, spy = _run(T1(physical_qubits=(named,), delays=delays), backend, shots=20_000, seed_simulator=named + 1)
    assert spy.active == [[named]] * len(delays)
    t1 = _result(data, "T1")  # seconds
    _named_not_other(t1.nominal_value * 1e6, t1.std_dev * 1e6,
                     p.qubit(named).t1_us, p.qubit(other).t1_us, what=f"T1 of qubit {named} (us)")


@pytest.mark.parametrize("named, other", [(QA, QB), (QB, QA)])
def test_t2hahn_returns_the_named_qubits_t2(backend, named, other):
    from qiskit_experiments.library import T2Hahn

    p = backend.profile
    delays = np.linspace(2e-6, 500e-6, 12)
    data, spy = _run(T2Hahn(physical_qubits=(named,), delays=delays), backend, shots=20_000, seed_simulator=named + 2)
    assert spy.active == [[named]] * len(delays)
    t2 = _result(data, "T2")  # seconds
    _named_not_other(t2.nominal_value * 1e6, t2.std_dev * 1e6,
                     p.qubit(named).t2_us, p.qubit(other).t2_us, what=f"T2 of qubit {named} (us)")


# ---------------------------------------------------------------------------- readout
def test_local_readout_error_returns_each_named_qubits_assignment_matrix(backend):
    from qiskit_experiments.library import LocalReadoutError

    p = backend.profile
    shots = 100_000
    data, spy = _run(LocalReadoutError(physical_qubits=(QA, QB)), backend, shots=shots, seed_simulator=7)
    assert spy.active == [sorted((QA, QB))] * 2  # all-0 and all-1 preparations
    mitigator = _result(data, "Local Readout Mitigator")
    for named, other in ((QA, QB), (QB, QA)):
        a = mitigator.assignment_matrix(named)  # a[i, j] = P(measured i | prepared j)
        qn, qo = p.qubit(named), p.qubit(other)
        p10 = a[1, 0]
        _named_not_other(p10, math.sqrt(qn.prob_meas1_prep0 * (1 - qn.prob_meas1_prep0) / shots),
                         qn.prob_meas1_prep0, qo.prob_meas1_prep0, what=f"P(1|0) of qubit {named}")
        # prepared |1> by an x pulse that fails with a probability of the order of its error
        x_fail = 2 * p.gate("x", (named,)).error
        p01 = a[0, 1]
        _named_not_other(p01, math.sqrt(qn.prob_meas0_prep1 * (1 - qn.prob_meas0_prep1) / shots),
                         qn.prob_meas0_prep1, qo.prob_meas0_prep1, what=f"P(0|1) of qubit {named}",
                         slack=(0.0, x_fail))


# ---------------------------------------------------------------------------- RB
def _gate_infidelity(profile, name, qubits) -> float:
    """The infidelity the twin's map of a native gate has: the profile's error, or the
    first-order decoherence floor over its duration when that is larger."""
    g = profile.gate(name, qubits)
    t = g.duration_ns
    one_minus_fe = sum(t / (4 * profile.qubit(q).t1_us * 1e3) + t / (2 * profile.qubit(q).t2_us * 1e3)
                       for q in qubits)
    d = 2 ** len(qubits)
    floor = d / (d + 1) * one_minus_fe
    return max(g.error or 0.0, floor)


def _log_p(fe: float, d: int) -> float:
    """log of the depolarizing parameter, in d-dimensional RB, of an event with entanglement fidelity fe."""
    return math.log((d * d * fe - 1) / (d * d - 1))


def rb_error_budget(circuits, profile, num_qubits: int, *, qubit_map=None, idle=True) -> dict:
    """The EPC the twin should show for these RB circuits, from the profile (see the module docstring).

    ``qubit_map`` {circuit qubit: profile qubit} prices the same circuits with other
    qubits' parameters (the "other qubit" expectation). Returns EPC and the
    per-Clifford averages of the gates (Clifford-weighted and, as qiskit-experiments
    computes it, circuit-weighted) and of the ZZ-exposed time.
    """
    from qpu_twin.compile.schedule import schedule_circuit

    qmap = qubit_map or {}
    n = num_qubits
    d = 2 ** n
    log_p = 0.0
    n_cliffords = 0
    gates = Counter()
    per_circuit = Counter()
    non_cx_ns = 0.0
    for qc in circuits:
        nclif = qc.metadata["xval"] + 1
        n_cliffords += nclif
        ops = Counter()
        for inst in qc.data:
            name = inst.operation.name
            if name in ("barrier", "measure", "rz", "delay"):
                continue  # rz: virtual (exact frame change); measurement: not length-dependent
            qubits = tuple(qmap.get(qc.find_bit(q).index, qc.find_bit(q).index) for q in inst.qubits)
            ops[(name, qubits)] += 1
        for (name, qubits), count in ops.items():
            r = _gate_infidelity(profile, name, qubits)
            k = len(qubits)
            log_p += count * _log_p(1 - (2 ** k + 1) / 2 ** k * r, d)
            gates[(name, len(qubits))] += count
            per_circuit[(name, len(qubits))] += count / nclif
        if idle and n > 1:
            sched = schedule_circuit(qc, profile)
            cx_ns = 0.0
            for op in sched.ops:
                if op.kind == "idle":
                    q = profile.qubit(qmap.get(op.qubits[0], op.qubits[0]))
                    t = op.duration_ns
                    fe = (1 + 2 * math.exp(-t / (q.t2_us * 1e3)) + math.exp(-t / (q.t1_us * 1e3))) / 4
                    log_p += _log_p(fe, d)
                elif op.kind == "gate" and len(op.qubits) == 2:
                    cx_ns += op.duration_ns
            first_last = sched.first_last()
            start = max(s for s, _ in first_last.values())
            end = max(e for _, e in first_last.values())
            non_cx_ns += max(end - start - cx_ns, 0.0)
    epc = (d - 1) / d * (1 - math.exp(log_p / n_cliffords))
    return {
        "epc": epc,
        "gates_per_clifford": {k: v / n_cliffords for k, v in gates.items()},
        "gates_per_clifford_qe": {k: v / len(circuits) for k, v in per_circuit.items()},
        "non_cx_ns_per_clifford": non_cx_ns / n_cliffords,
    }


def _zz_bound(profile, pair, non_cx_ns: float) -> float:
    """Upper bound on the static ZZ's error per Clifford: the whole phase 2 pi zeta t accumulated
    coherently over the Clifford's non-cx time; a diag(1,1,1,e^{i theta}) has infidelity 0.15 theta^2."""
    zeta_hz = abs(profile.zz_khz(*pair) or 0.0) * 1e3
    theta = 2 * math.pi * zeta_hz * non_cx_ns * 1e-9
    return 0.15 * theta ** 2


@pytest.mark.parametrize("named, other", [(QA, QB), (QB, QA)])
def test_standard_rb_1q_returns_the_named_qubits_gate_error(backend, named, other):
    from qiskit_experiments.library import StandardRB

    p = backend.profile
    exp = StandardRB(physical_qubits=(named,), lengths=[1, 150, 500, 1000, 1600], num_samples=3, seed=11)
    data, spy = _run(exp, backend, shots=100_000, seed_simulator=named + 3)
    assert all(a == [named] for a in spy.active)
    epc = _result(data, "EPC")
    mine = rb_error_budget(spy.circuits, p, 1)
    theirs = rb_error_budget(spy.circuits, p, 1, qubit_map={named: other})
    _named_not_other(epc.nominal_value, epc.std_dev, mine["epc"], theirs["epc"], what=f"EPC of qubit {named}")
    # EPC ~ sum of the Clifford's gate errors (sx and x share the qubit's error; rz is virtual)
    n_clifford = sum(v for (name, _), v in mine["gates_per_clifford"].items() if name in ("sx", "x"))
    assert 0.80 < n_clifford < 0.87  # 20/24 for the 1q Clifford group in this basis
    assert mine["epc"] == pytest.approx(n_clifford * _gate_infidelity(p, "sx", (named,)), rel=1e-3)
    # the sx error: ours from the Clifford-weighted gate count; qiskit-experiments' EPG_sx is EPC / n_qe
    sx_fit = epc / n_clifford
    _named_not_other(sx_fit.nominal_value, sx_fit.std_dev, p.gate("sx", (named,)).error,
                     p.gate("sx", (other,)).error, what=f"sx error of qubit {named}")
    n_qe = sum(v for (name, _), v in mine["gates_per_clifford_qe"].items() if name in ("sx", "x"))
    epg_sx = _result(data, "EPG_sx")
    assert epg_sx.nominal_value == pytest.approx(epc.nominal_value / n_qe, rel=1e-9)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::qpu_twin.DecoherenceWarning")  # sx on qubit 14 (T2 = 27 us): expected
def test_standard_rb_2q_returns_the_named_pairs_error(backend):
    """2q RB on (16, 14), named in reversed order, against the (0, 1) pair (where a backend that
    ignores the layout would run it) and the lowest-error pair (7, 10) (where Qiskit's
    error-aware layout would put it)."""
    from qiskit_experiments.library import StandardRB

    p = backend.profile
    pair = (16, 14)
    exp = StandardRB(physical_qubits=pair, lengths=[1, 8, 20, 35, 55], num_samples=6, seed=11)
    data, spy = _run(exp, backend, shots=100_000, seed_simulator=5)
    assert all(a == sorted(pair) for a in spy.active)
    epc = _result(data, "EPC")
    mine = rb_error_budget(spy.circuits, p, 2)
    assert 1.45 < mine["gates_per_clifford"][("cx", 2)] < 1.65  # 1.5 for the 2q Clifford group
    zz = _zz_bound(p, pair, mine["non_cx_ns_per_clifford"])
    assert zz < 0.1 * epc.std_dev  # the static ZZ is negligible here (bounded, not modelled)
    for other in ((0, 1), (7, 10)):
        theirs = rb_error_budget(spy.circuits, p, 2, qubit_map=dict(zip(pair, other)))
        _named_not_other(epc.nominal_value, epc.std_dev, mine["epc"], theirs["epc"], what=f"EPC of {pair}",
                         slack=(0.0, zz))


# ---------------------------------------------------------------------------- spy
def _hanoi_with_cx_53_only():
    """ibm_hanoi without cx(3, 5): the pair (3, 5) has a native cx in one direction only."""
    p = load_profile("ibm_hanoi")
    d = p.to_dict()
    return p.replace(name="ibm_hanoi_cx53_only",
                     gates=[g for g in d["gates"] if not (g["name"] == "cx" and list(g["qubits"]) == [3, 5])],
                     coupling_map=[e for e in d["coupling_map"] if list(e) != [3, 5]])


def _experiment(kind: str, qubits: tuple):
    from qiskit_experiments.library import T1, LocalReadoutError, StandardRB, T2Hahn

    if kind == "T1":
        return T1(physical_qubits=qubits, delays=np.linspace(1e-6, 100e-6, 3))
    if kind == "T2Hahn":
        return T2Hahn(physical_qubits=qubits, delays=np.linspace(1e-6, 100e-6, 3))
    if kind == "LocalReadoutError":
        return LocalReadoutError(physical_qubits=qubits)
    return StandardRB(physical_qubits=qubits, lengths=[1, 4], num_samples=2, seed=3)


@pytest.mark.filterwarnings("ignore::qpu_twin.DecoherenceWarning")  # qubit 3 (T2 = 31 us): expected
@pytest.mark.parametrize("kind, qubits, device", [
    ("T1", (26,), "ibm_hanoi"),                    # where RB on qubit 0 used to run
    ("T2Hahn", (3,), "ibm_hanoi"),
    ("LocalReadoutError", (10, 0), "ibm_hanoi"),  # qubits in reversed order
    ("StandardRB", (0,), "ibm_hanoi"),             # the example
    ("StandardRB", (5, 3), "ibm_hanoi"),           # not (0, 1), reversed order
    ("StandardRB", (3, 5), "cx53_only"),           # native cx only as cx(5, 3)
])
def test_every_circuit_is_simulated_on_the_experiments_physical_qubits(kind, qubits, device):
    profile = _hanoi_with_cx_53_only() if device == "cx53_only" else load_profile(device)
    backend = TwinBackend(profile, seed=1)
    exp = _experiment(kind, qubits)
    with _Spy(backend) as spy:
        exp.run(backend, analysis=None, shots=200, seed_simulator=2).block_for_results()
    assert len(spy.active) == len(exp.circuits()) > 0
    assert spy.active == [sorted(qubits)] * len(spy.active)
    for qc in spy.circuits:  # what qiskit-experiments sent is what ran: native, on those qubits
        used = {qc.find_bit(q).index for inst in qc.data if inst.operation.name != "barrier" for q in inst.qubits}
        assert used == set(qubits)
        pairs = {tuple(qc.find_bit(q).index for q in inst.qubits) for inst in qc.data
                 if inst.operation.num_qubits == 2 and inst.operation.name != "barrier"}
        if device == "cx53_only":
            assert pairs <= {(5, 3)}  # Qiskit reversed cx(3, 5) with single-qubit gates; nothing moved
