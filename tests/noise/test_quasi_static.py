"""Quasi-static Gaussian detuning (issue #14 item 5): Gaussian-times-exponential Ramsey, echo refocusing,
exactness of the quadrature, the Monte Carlo fallback's stated error, and the sigma derived from T2*."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qpu_twin import DeviceProfile, Twin
from qpu_twin.noise.quasi_static import nodes_for

NOISE = {"level": "lindblad", "readout": False, "gate_error": False, "zz": False}
#: the near-ideal fixture's 1q gates last 1e-3 ns and decohere at the 1e-8 level
GATE_DECOHERENCE = 1e-7


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _with_sigma(base: DeviceProfile, sigma_khz: float, qubits=(0,)) -> DeviceProfile:
    d = base.to_dict()
    for q in qubits:
        d["qubits"][q]["detuning_sigma_khz"] = sigma_khz
    return DeviceProfile.model_validate(d)


def _echo(piece_ns: float, *, pulses: int) -> QuantumCircuit:
    """sx - (wait - X - wait) x pulses - sx - measure: a Hahn echo (1 pulse) or XX decoupling (2)."""
    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    for _ in range(pulses):
        qc.delay(piece_ns, 0, unit="ns")
        qc.x(0)
        qc.delay(piece_ns, 0, unit="ns")
    qc.sx(0)
    qc.measure(0, 0)
    return qc


def _ramsey_p1_analytic(t_ns, t1_ns, t2_ns, sigma_hz):
    """sx - wait t - sx from |0>: P(1) with amplitude damping, Markovian T2 and a Gaussian static detuning."""
    sx = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2
    rho = sx @ np.diag([1.0, 0.0]).astype(complex) @ sx.conj().T
    g = 1 - math.exp(-t_ns / t1_ns)
    coh = math.exp(-t_ns / t2_ns) * math.exp(-0.5 * (2 * math.pi * sigma_hz * t_ns * 1e-9) ** 2)  # E[e^{i d t}]
    rho = np.array([[rho[0, 0] + g * rho[1, 1], rho[0, 1] * coh], [rho[1, 0] * coh, (1 - g) * rho[1, 1]]])
    rho = sx @ rho @ sx.conj().T
    return float(np.real(rho[1, 1]))


@pytest.mark.parametrize("t_us", [1.0, 4.0, 10.0, 25.0])
def test_ramsey_envelope_is_gaussian_times_exponential(near_ideal_line5, t_us):
    sigma_khz = 25.0
    prof = _with_sigma(near_ideal_line5, sigma_khz)
    q = prof.qubit(0)
    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    qc.delay(t_us * 1000, 0, unit="ns")
    qc.sx(0)
    qc.measure(0, 0)
    res = Twin(prof, noise=NOISE).run(qc, transpile=False)
    want = _ramsey_p1_analytic(t_us * 1e3, q.t1_us * 1e3, q.t2_us * 1e3, sigma_khz * 1e3)
    assert res.probabilities.get("1", 0.0) == pytest.approx(want, abs=GATE_DECOHERENCE)
    assert res.metadata["quasi_static"]["method"] == "quadrature" and res.averaging_error == 0.0
    # switched off: the Markovian fringe only
    off = Twin(prof, noise={**NOISE, "quasi_static": False}).run(qc, transpile=False)
    assert off.probabilities.get("1", 0.0) == pytest.approx(
        _ramsey_p1_analytic(t_us * 1e3, q.t1_us * 1e3, q.t2_us * 1e3, 0.0), abs=GATE_DECOHERENCE)


def test_echo_refocuses_the_static_detuning(near_ideal_line5):
    prof = _with_sigma(near_ideal_line5, 40.0)
    qc = _echo(6000, pulses=1)
    with_noise = Twin(prof, noise=NOISE).run(qc, transpile=False).probabilities.get("1", 0.0)
    without = Twin(near_ideal_line5, noise=NOISE).run(qc, transpile=False).probabilities.get("1", 0.0)
    assert with_noise == pytest.approx(without, abs=GATE_DECOHERENCE)  # fully refocused
    # the same wait without the echo pulse loses the static part
    ramsey = QuantumCircuit(1, 1)
    ramsey.sx(0)
    ramsey.delay(12000, 0, unit="ns")
    ramsey.sx(0)
    ramsey.measure(0, 0)
    r_noise = Twin(prof, noise=NOISE).run(ramsey, transpile=False).probabilities.get("0", 0.0)
    r_clean = Twin(near_ideal_line5, noise=NOISE).run(ramsey, transpile=False).probabilities.get("0", 0.0)
    assert r_noise - r_clean > 0.05


def test_sigma_from_t2_star_and_echo():
    """(2 pi sigma)^2 = 2 (1 - T2*/T2)/T2*^2 makes the Ramsey envelope equal 1/e at t = T2*."""
    from qpu_twin.profiles.model import Qubit

    q = Qubit(index=0, t1_us=200.0, t2_us=150.0, t2_star_us=60.0, prob_meas1_prep0=0.01, prob_meas0_prep1=0.02,
              readout_duration_ns=1000.0)
    sigma_hz = q.quasi_static_sigma_khz() * 1e3
    t = q.t2_star_us * 1e-6
    envelope = math.exp(-q.t2_star_us / q.t2_us) * math.exp(-0.5 * (2 * math.pi * sigma_hz * t) ** 2)
    assert envelope == pytest.approx(math.exp(-1.0), rel=1e-12)


def test_quadrature_is_exact_and_monte_carlo_states_its_error(near_ideal_line5):
    from qpu_twin.twin import Twin as TwinCls

    prof = _with_sigma(near_ideal_line5, 15.0, qubits=(0, 1, 2))
    qc = QuantumCircuit(3, 3)
    qc.sx(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.delay(3000, 0, unit="ns")
    qc.delay(3000, 1, unit="ns")
    qc.delay(3000, 2, unit="ns")
    qc.cx(1, 2)
    qc.cx(0, 1)
    qc.sx(0)
    qc.measure([0, 1, 2], [0, 1, 2])
    exact = Twin(prof, noise=NOISE).run(qc, transpile=False)
    info = exact.metadata["quasi_static"]
    assert info["method"] == "quadrature" and info["runs"] == math.prod(info["nodes"].values())
    # doubling the nodes does not move the exact average
    saved, saved_cap = nodes_for.__globals__["QUADRATURE_TOL"], TwinCls.QUASI_STATIC_MAX_RUNS
    try:
        nodes_for.__globals__["QUADRATURE_TOL"] = 1e-15
        TwinCls.QUASI_STATIC_MAX_RUNS = 10_000
        finer = Twin(prof, noise=NOISE).run(qc, transpile=False)
    finally:
        nodes_for.__globals__["QUADRATURE_TOL"] = saved
        TwinCls.QUASI_STATIC_MAX_RUNS = saved_cap
    assert finer.metadata["quasi_static"]["method"] == "quadrature"
    assert finer.metadata["quasi_static"]["runs"] > info["runs"]
    for k, v in exact.probabilities.items():
        assert finer.probabilities.get(k, 0.0) == pytest.approx(v, abs=1e-9)
    # a cap below the grid size switches to seeded Monte Carlo with a stated standard error
    old_cap = TwinCls.QUASI_STATIC_MAX_RUNS
    try:
        TwinCls.QUASI_STATIC_MAX_RUNS = 64
        mc = Twin(prof, noise=NOISE).run(qc, transpile=False, seed=5)
        mc2 = Twin(prof, noise=NOISE).run(qc, transpile=False, seed=5)
    finally:
        TwinCls.QUASI_STATIC_MAX_RUNS = old_cap
    assert mc.metadata["quasi_static"]["method"] == "monte_carlo" and mc.averaging_error > 0
    assert mc.probabilities == mc2.probabilities  # reproducible from the seed
    worst = max(abs(mc.probabilities.get(k, 0.0) - v) for k, v in exact.probabilities.items())
    assert worst < 5 * mc.averaging_error  # within 5 of its own standard errors


def test_classical_circuits_skip_the_average(near_ideal_line5):
    prof = _with_sigma(near_ideal_line5, 50.0, qubits=(0, 1))
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.cx(0, 1)
    qc.delay(5000, 0, unit="ns")
    qc.measure([0, 1], [0, 1])
    res = Twin(prof, noise=NOISE).run(qc, transpile=False)
    assert "quasi_static" not in res.metadata  # basis states only: a detuning cannot matter


# ---------------------------------------------------------------- mean detuning (frame offset, issue #14 item 5)
def _with_detuning(base: DeviceProfile, mean_khz: float, sigma_khz: float | None = None, qubits=(0,)):
    d = base.to_dict()
    for q in qubits:
        d["qubits"][q]["detuning_khz"] = mean_khz
        if sigma_khz is not None:
            d["qubits"][q]["detuning_sigma_khz"] = sigma_khz
    return DeviceProfile.model_validate(d)


def _fringe_p1(t_ns, t1_ns, t2_ns, mean_hz, sigma_hz, *, quadrature: bool):
    """sx - wait t - [rz(pi/2)] - sx from |0> by 2x2 algebra: amplitude damping, Markovian T2 and a Gaussian
    detuning N(mean, sigma^2) that rotates by exp(-i 2 pi delta t Z / 2), i.e. rho_01 -> rho_01 exp(-i 2 pi delta t);
    its average is exp(-i 2 pi mean t) exp(-(2 pi sigma t)^2 / 2)."""
    sx = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2
    rho = sx @ np.diag([1.0, 0.0]).astype(complex) @ sx.conj().T
    g = 1 - math.exp(-t_ns / t1_ns)
    coh = (math.exp(-t_ns / t2_ns) * math.exp(-0.5 * (2 * math.pi * sigma_hz * t_ns * 1e-9) ** 2)
           * np.exp(-1j * 2 * math.pi * mean_hz * t_ns * 1e-9))
    rho = np.array([[rho[0, 0] + g * rho[1, 1], rho[0, 1] * coh], [rho[1, 0] * np.conj(coh), (1 - g) * rho[1, 1]]])
    if quadrature:
        rz = np.diag([np.exp(-1j * math.pi / 4), np.exp(1j * math.pi / 4)])
        rho = rz @ rho @ rz.conj().T
    rho = sx @ rho @ sx.conj().T
    return float(np.real(rho[1, 1]))


@pytest.mark.parametrize("sigma_khz", [None, 15.0])
@pytest.mark.parametrize("quadrature", [False, True])
@pytest.mark.parametrize("t_us", [2.0, 7.0, 13.0])
def test_ramsey_fringe_oscillates_at_the_mean_detuning(near_ideal_line5, t_us, quadrature, sigma_khz):
    mean_khz = 30.0
    prof = _with_detuning(near_ideal_line5, mean_khz, sigma_khz)
    q = prof.qubit(0)
    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    qc.delay(t_us * 1000, 0, unit="ns")
    if quadrature:
        qc.rz(math.pi / 2, 0)
    qc.sx(0)
    qc.measure(0, 0)
    res = Twin(prof, noise=NOISE).run(qc, transpile=False)
    # the detuning also acts during the gates (half before, half after each): the fringe's phase runs from the
    # middle of the first sx to the middle of the last one (a rotation before |0> or before Z readout is invisible)
    t_ns = t_us * 1e3 + prof.gate("sx", (0,)).duration_ns
    want = _fringe_p1(t_ns, q.t1_us * 1e3, q.t2_us * 1e3, mean_khz * 1e3, (sigma_khz or 0.0) * 1e3,
                      quadrature=quadrature)
    assert res.probabilities.get("1", 0.0) == pytest.approx(want, abs=GATE_DECOHERENCE)
    info = res.metadata["quasi_static"]
    assert info["mean_hz"] == {0: mean_khz * 1e3} and info["method"] == "quadrature"
    if sigma_khz is None:
        assert info["runs"] == 1  # an offset without spread: one exact run
    # the two quadratures see the offset's sign: mirror offsets give mirror fringes
    mirror = Twin(_with_detuning(near_ideal_line5, -mean_khz, sigma_khz), noise=NOISE).run(qc, transpile=False)
    want_mirror = _fringe_p1(t_ns, q.t1_us * 1e3, q.t2_us * 1e3, -mean_khz * 1e3, (sigma_khz or 0.0) * 1e3,
                             quadrature=quadrature)
    assert mirror.probabilities.get("1", 0.0) == pytest.approx(want_mirror, abs=GATE_DECOHERENCE)
    # switched off with the quasi-static noise: the Markovian fringe only
    off = Twin(prof, noise={**NOISE, "quasi_static": False}).run(qc, transpile=False)
    assert off.probabilities.get("1", 0.0) == pytest.approx(
        _fringe_p1(t_ns, q.t1_us * 1e3, q.t2_us * 1e3, 0.0, 0.0, quadrature=quadrature), abs=GATE_DECOHERENCE)


def test_echo_and_decoupling_refocus_the_mean_detuning(near_ideal_line5):
    prof = _with_detuning(near_ideal_line5, 40.0)
    echo = _echo(3000, pulses=2)  # an XX decoupling sequence: t/4 - X - t/2 - X - t/4
    p_det = Twin(prof, noise=NOISE).run(echo, transpile=False).probabilities.get("1", 0.0)
    p_clean = Twin(near_ideal_line5, noise=NOISE).run(echo, transpile=False).probabilities.get("1", 0.0)
    assert p_det == pytest.approx(p_clean, abs=GATE_DECOHERENCE)
    # basis-state circuits never see it (no run beyond the nominal one)
    flip = QuantumCircuit(1, 1)
    flip.x(0)
    flip.delay(5000, 0, unit="ns")
    flip.measure(0, 0)
    res = Twin(prof, noise=NOISE).run(flip, transpile=False)
    assert "quasi_static" not in res.metadata


def test_mean_detuning_is_validated(near_ideal_line5):
    from qpu_twin.errors import ProfileError

    assert _with_detuning(near_ideal_line5, -250.0).qubit(0).detuning_khz == -250.0  # either sign
    with pytest.raises(ProfileError, match=r"qubit 0.*detuning_khz=-2000000.0 exceeds"):
        _with_detuning(near_ideal_line5, -2e6)
    with pytest.raises(ProfileError, match="detuning_khz"):
        _with_detuning(near_ideal_line5, float("inf"))
