"""The whole-circuit physics reference (one master equation for the whole schedule) and the
twin's static-ZZ scheme checked against it.

* The reference itself: analytic T1 decay, Ramsey decay, the ZZ phase exp(-2 pi i zeta t)
  picked up with the neighbour in |1> (none with it in |0>), QuTiP ``mesolve`` agreeing with
  the sparse propagator, and generators in the builder's frame convention.
* The twin (builder + density-matrix engine) against the reference on the same schedules of
  real ibm_hanoi (cx) and ibm_sherbrooke (ecr) qubits with every noise component on: total
  variation <= 1e-3 (GHZ-3/4/5, a distance-3 repetition-code round with mid-circuit
  measurement and reset, a real repetition-code circuit of the 2022 ibm_hanoi archive, random
  two-qubit-gate layers). With ZZ off the two independent implementations agree to 1e-10.
* The same with the readout-window components of issue #14 (preparation, T1 readout window,
  backaction, spectator dephasing / Stark phase / Pauli errors, state-dependent reset) on
  mid-circuit-measured circuits: TV <= 1e-3 with ZZ, 1e-10 without.
* The GHZ asymmetry on ibm_sherbrooke is coherent ZZ physics of the schedule, not a sign or
  frame artefact: present without any decoherence, reversed when zeta changes sign; the issue's
  GHZ-8 (8 qubits) agrees with the reference, the first-order scheme did not (slow).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
from qiskit import QuantumCircuit, transpile

from qpu_twin import DeviceProfile, QpuTwinError, Twin, load_profile
from qpu_twin.circuit_library import brickwork, ghz
from qpu_twin.compile.target import build_target
from qpu_twin.engines import get_engine
from qpu_twin.noise.reference import principal_generator, whole_circuit_reference

TV_MAX = 1e-3  # the requirement: twin vs whole-circuit reference, every component on
LINES = {"ibm_hanoi": [7, 4, 1, 2, 3], "ibm_sherbrooke": [122, 123, 124, 125, 126]}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _tv(p: dict, q: dict) -> float:
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


#: the scheme these tests hold to TV_MAX (opt-in: the default first-order scheme is ~12x cheaper and
#: off by up to 8e-2 on Eagle-class ZZ, see test_first_order_scheme_misses_the_reference)
DRESSED = {"zz_scheme": "dressed"}


def _twin_probs(twin: Twin, sched, noise=None) -> dict:
    return get_engine("density_matrix").run(twin.builder(noise).program(sched, zz_scheme="dressed")).probabilities


# ---------------------------------------------------------------------- circuits
def rep_code_round() -> QuantumCircuit:
    """Distance-3 repetition code, one syndrome round: data 0, 2, 4 and ancillas 1, 3 on a line;
    ancillas measured mid-circuit and reset, then the data measured. Data 0 starts flipped."""
    qc = QuantumCircuit(5, 5)
    qc.x(0)
    for a in (1, 3):
        qc.cx(a - 1, a)
        qc.cx(a + 1, a)
    for j, a in enumerate((1, 3)):
        qc.measure(a, j)
        qc.reset(a)
    qc.barrier()
    for j, d in enumerate((0, 2, 4)):
        qc.measure(d, 2 + j)
    return qc


def spectator_round() -> QuantumCircuit:
    """Qubits 0 and 2 on |+> while their neighbour 1 (in |1>) is measured mid-circuit and reused
    (no reset): a neighbour's readout (dephasing, Stark phase, Pauli errors), its backaction and
    T1 during its readout window, and the ZZ with it all show in the final interference."""
    qc = QuantumCircuit(3, 4)
    qc.h(0)
    qc.h(2)
    qc.x(1)
    qc.barrier()
    qc.measure(1, 3)
    qc.cx(2, 1)
    qc.barrier()
    qc.h(0)
    qc.h(2)
    qc.measure(range(3), range(3))
    return qc




def _schedule(twin: Twin, kind: str, n: int):
    if kind == "ghz":
        return twin.schedule(ghz(n), seed=1)
    if kind == "ghz-line":  # the same GHZ chain on fixed qubits (a deterministic compilation)
        phys = transpile(ghz(n), target=build_target(twin.profile), initial_layout=LINES[twin.profile.name][:n],
                         seed_transpiler=1, optimization_level=1)
        return twin.schedule(phys, transpile=False)
    if kind == "archive":  # a real repetition-code circuit sent to ibm_hanoi in 2022
        from qpu_twin.data.ibm_jobs import ibm_repetition_code_jobs

        return twin.schedule(ibm_repetition_code_jobs()[0].circuits[0].circuit, transpile=False)
    if kind == "spectator":
        qc = spectator_round()
    else:
        qc = rep_code_round() if kind == "rep" else brickwork(n, {4: 4, 5: 3}[n], 7 + n)
    layout = LINES[twin.profile.name][: qc.num_qubits]
    phys = transpile(qc, target=build_target(twin.profile), initial_layout=layout, seed_transpiler=1,
                     optimization_level=1)
    return twin.schedule(phys, transpile=False)


FAST = [("ibm_hanoi", "ghz", 3), ("ibm_hanoi", "ghz", 4), ("ibm_hanoi", "random", 4),
        ("ibm_sherbrooke", "ghz", 3), ("ibm_sherbrooke", "ghz", 4), ("ibm_sherbrooke", "random", 4)]
SLOW = [("ibm_hanoi", "ghz", 5), ("ibm_hanoi", "rep", 5), ("ibm_hanoi", "archive", 5), ("ibm_hanoi", "random", 5),
        ("ibm_sherbrooke", "ghz", 5), ("ibm_sherbrooke", "rep", 5), ("ibm_sherbrooke", "random", 5)]
CASES = [pytest.param(*c, id=f"{c[0]}-{c[1]}{c[2]}") for c in FAST] + \
        [pytest.param(*c, id=f"{c[0]}-{c[1]}{c[2]}", marks=pytest.mark.slow) for c in SLOW]

_TWINS: dict[str, Twin] = {}


def _twin(name: str) -> Twin:
    if name not in _TWINS:
        _TWINS[name] = Twin(name, noise=DRESSED)
    return _TWINS[name]


def test_at_least_ten_whole_circuit_cases():
    assert len(FAST) + len(SLOW) >= 10
    assert {d for d, *_ in FAST + SLOW} == {"ibm_hanoi", "ibm_sherbrooke"}


# ---------------------------------------------------------------------- twin vs reference
@pytest.mark.parametrize("device,kind,n", CASES)
def test_twin_matches_whole_circuit_reference(device, kind, n):
    twin = _twin(device)
    sched = _schedule(twin, kind, n)
    assert sched.num_active == n
    ref = whole_circuit_reference(twin.profile, sched)
    assert ref.metadata["zz_pairs"], "the case must exercise static ZZ"
    assert sum(ref.probabilities.values()) == pytest.approx(1.0, abs=1e-10)
    assert _tv(_twin_probs(twin, sched), ref.probabilities) <= TV_MAX


@pytest.mark.parametrize("device,kind,n", [c for c in FAST if c[1] != "ghz"] + [("ibm_sherbrooke", "ghz", 4)])
def test_without_zz_the_two_implementations_agree_exactly(device, kind, n):
    """Gates, idle, measurement, reset, gate-error top-up: independent code, same physics."""
    twin = _twin(device)
    sched = _schedule(twin, kind, n)
    noise = {"level": "lindblad", "zz": False}
    ref = whole_circuit_reference(twin.profile, sched, noise=noise)
    assert _tv(_twin_probs(twin, sched, noise), ref.probabilities) < 1e-10


@pytest.mark.slow
def test_mid_circuit_measurement_and_reset_without_zz_agree_exactly():
    twin = _twin("ibm_sherbrooke")
    sched = _schedule(twin, "rep", 5)
    assert any(op.kind == "reset" for op in sched.ops)
    noise = {"level": "lindblad", "zz": False}
    ref = whole_circuit_reference(twin.profile, sched, noise=noise)
    assert ref.metadata["max_branches"] > 1
    assert _tv(_twin_probs(twin, sched, noise), ref.probabilities) < 1e-10


def test_first_order_scheme_misses_the_reference():
    """The earlier scheme (ZZ as a phase before the next non-diagonal op) is off by far more
    than the requirement on a layered ibm_sherbrooke circuit: why the dressed scheme exists
    (opt-in, noise={"zz_scheme": "dressed"}; the first-order default is ~12x cheaper)."""
    twin = _twin("ibm_sherbrooke")
    sched = _schedule(twin, "random", 4)
    ref = whole_circuit_reference(twin.profile, sched).probabilities
    old = get_engine("density_matrix").run(twin.builder().program(sched, zz_scheme="first_order")).probabilities
    assert _tv(old, ref) > 20 * TV_MAX


# ---------------------------------------------------------------------- the reference itself
@pytest.fixture(scope="module")
def pair_profile():
    """Two coupled qubits with round numbers: T1 = 80 us, T2 = 60 us, zeta = -250 kHz,
    (almost) instantaneous error-free 1q gates."""
    d = load_profile("line5").restrict([0, 1]).to_dict()
    for q in d["qubits"]:
        q["t1_us"], q["t2_us"] = 80.0, 60.0
    for g in d["gates"]:
        if len(g["qubits"]) == 1 and g["name"] in ("sx", "x", "id"):
            g["duration_ns"], g["error"] = 1e-3, 0.0
    d["crosstalk"] = {"zz": [{"qubits": [0, 1], "zz_khz": -250.0}]}
    d["name"] = "pair_round_numbers"
    return DeviceProfile.model_validate(d)


NO_READOUT = {"level": "lindblad", "readout": False}


@pytest.mark.parametrize("t_us", [0.5, 5.0, 40.0])
def test_reference_t1_decay(pair_profile, t_us):
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.delay(t_us, 0, unit="us")
    qc.measure(0, 0)
    p1 = whole_circuit_reference(pair_profile, qc, noise=NO_READOUT).probabilities["1"]
    # the 1e-3 ns x gate shifts P(1) by at most its own decay, 1e-3 ns / T1 = 1.25e-8
    assert p1 == pytest.approx(np.exp(-t_us / 80.0), abs=2e-8)


@pytest.mark.parametrize("t_us", [1.0, 20.0])
def test_reference_ramsey_decay(pair_profile, t_us):
    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    qc.delay(t_us, 0, unit="us")
    qc.sx(0)
    qc.measure(0, 0)
    p1 = whole_circuit_reference(pair_profile, qc, noise=NO_READOUT).probabilities["1"]
    assert p1 == pytest.approx(0.5 * (1 + np.exp(-t_us / 60.0)), abs=1e-6)


def _coherence_q0(result) -> complex:
    rho = result.final_state  # little-endian: qubit 0 is bit 0
    red = rho.reshape(2, 2, 2, 2).trace(axis1=0, axis2=2)  # trace out qubit 1
    return complex(red[1, 0])


@pytest.mark.parametrize("neighbour", [0, 1])
@pytest.mark.parametrize("t_us", [0.3, 1.7])
def test_reference_zz_phase_with_neighbour(pair_profile, neighbour, t_us):
    """Ramsey on q0 with q1 in |1>: rho_10 of q0 picks up exp(-2 pi i zeta t) (H/h = zeta|11><11|);
    with q1 in |0> it picks up nothing. Decoherence off so the phase is the only effect."""
    zeta_hz = -250e3
    qc = QuantumCircuit(2)
    if neighbour:
        qc.x(1)
    qc.sx(0)
    qc.delay(t_us, [0, 1], unit="us")
    qc.id(0)  # a last op on q0 after the wait, so the reference integrates through it
    qc.id(1)
    coh = {}
    for zz in (True, False):
        noise = {"level": "lindblad", "zz": zz, "decoherence": False, "idle": False, "delays": False}
        coh[zz] = _coherence_q0(whole_circuit_reference(pair_profile, qc, noise=noise))
    expected = np.exp(-2j * np.pi * zeta_hz * t_us * 1e-6) if neighbour else 1.0
    # ZZ also acts during the two 1e-3 ns gate windows: at most 2 pi |zeta| 2e-3 ns = 3.1e-6 rad
    assert abs(coh[True] / coh[False] - expected) < 4e-6


def test_twin_zz_phase_sign_matches_reference(pair_profile):
    """The same Ramsey with the neighbour in |1>, closed by a second sx: the twin's P(1) equals
    (1 + cos(2 pi zeta t)) / 2 as the reference's does (sign and size of the ZZ phase)."""
    t_us = 0.9
    qc = QuantumCircuit(2, 1)
    qc.x(1)
    qc.sx(0)
    qc.barrier()  # keep the neighbour's x at the start (ALAP would move it to the end)
    qc.delay(t_us, [0, 1], unit="us")
    qc.barrier()
    qc.sx(0)
    qc.measure(0, 0)
    noise = {"level": "lindblad", "decoherence": False, "idle": False, "delays": False, "readout": False, **DRESSED}
    twin = Twin(pair_profile, noise=noise)
    p_twin = twin.run(qc, transpile=False).probabilities.get("1", 0.0)
    p_ref = whole_circuit_reference(pair_profile, qc, noise=noise).probabilities.get("1", 0.0)
    analytic = 0.5 * (1 + np.cos(2 * np.pi * -250e3 * t_us * 1e-6))
    # phase uncertainty from the 1e-3 ns gate windows: <= 3.1e-6 rad (see above)
    assert p_ref == pytest.approx(analytic, abs=4e-6)
    assert p_twin == pytest.approx(analytic, abs=4e-6)
    assert p_twin == pytest.approx(p_ref, abs=1e-9)


@pytest.mark.parametrize("device,kind,n", [("ibm_sherbrooke", "ghz", 3), ("ibm_hanoi", "random", 4)])
def test_reference_mesolve_cross_check(device, kind, n):
    """The sparse exact propagator and QuTiP's mesolve (atol 1e-13) integrate the same equation."""
    twin = _twin(device)
    sched = _schedule(twin, kind, n)
    a = whole_circuit_reference(twin.profile, sched).probabilities
    b = whole_circuit_reference(twin.profile, sched, method="mesolve").probabilities
    assert _tv(a, b) < 1e-8


@pytest.mark.parametrize("name", ["x", "sx", "ecr", "cx", "h", "y", "swap"])
def test_principal_generator(name):
    """exp(-i H T) = U with eigenphases of H T in (-pi, pi] (also for the degenerate -1 of x, cx, ecr)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    u = np.asarray(get_standard_gate_name_mapping()[name].to_matrix(), dtype=complex)
    h = principal_generator(u, 100.0)
    assert np.allclose(scipy.linalg.expm(-1j * h * 100.0), u, atol=1e-12)
    assert np.all(np.abs(np.linalg.eigvalsh(h) * 100.0) <= np.pi + 1e-12)


@pytest.mark.parametrize("device,name", [("ibm_sherbrooke", "x"), ("ibm_sherbrooke", "sx"), ("ibm_sherbrooke", "ecr"),
                                         ("ibm_hanoi", "cx")])
def test_generators_in_the_builders_frame(device, name):
    """The reference drives each gate with the same H = i log(U) / T as the builder's gate maps."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    from qpu_twin.compile.schedule import ScheduledOp

    twin = _twin(device)
    gate = twin.profile.gates_named(name)[0]
    op = ScheduledOp("gate", name, gate.qubits, 0.0, gate.duration_ns, operation=get_standard_gate_name_mapping()[name])
    h_ref = principal_generator(np.asarray(op.operation.to_matrix(), dtype=complex), gate.duration_ns)
    assert np.allclose(twin.builder().drive_generator(op), h_ref * (1 + gate.overrotation), atol=1e-12)


def test_reference_refuses_what_it_does_not_model():
    twin = Twin("line5")
    qc = QuantumCircuit(2, 1)
    qc.x(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    with pytest.raises(QpuTwinError, match="if_else"):
        whole_circuit_reference(twin.profile, twin.schedule(qc, transpile=False))
    with pytest.raises(QpuTwinError, match="level='aer'"):
        whole_circuit_reference(twin.profile, ghz(2), noise="aer")
    with pytest.raises(QpuTwinError, match="method='rk4'"):
        whole_circuit_reference(twin.profile, ghz(2), method="rk4")


# ---------------------------------------------------------------------- the GHZ asymmetry
@pytest.mark.slow
def test_ghz_asymmetry_is_coherent_zz_physics():
    """GHZ-5 on ibm_sherbrooke qubits 122-126 (fixed compilation), exact integration, readout off:
    P(0..0) - P(1..1) = 0.046 with ZZ, 0.0003 without; the same without any decoherence or gate
    error (coherent); flipping the sign of zeta flips it (-0.039). (The default compilation of
    the issue's GHZ circuits has the opposite sign.) See docs/architecture.md, "Whole-circuit
    reference"."""
    twin = _twin("ibm_sherbrooke")
    sched = _schedule(twin, "ghz-line", 5)
    z, o = "0" * 5, "1" * 5

    def diff(profile, noise):
        p = whole_circuit_reference(profile, sched, noise=noise).probabilities
        return p.get(o, 0.0) - p.get(z, 0.0)

    ro = {"level": "lindblad", "readout": False}
    coherent = dict(ro, decoherence=False, idle=False, delays=False, gate_error=False)
    d = twin.profile.to_dict()
    for t in d["crosstalk"]["zz"]:
        t["zz_khz"] = -t["zz_khz"]
    flipped = DeviceProfile.model_validate(d)
    assert diff(twin.profile, ro) < -0.02
    assert abs(diff(twin.profile, dict(ro, zz=False))) < 0.002
    assert diff(twin.profile, coherent) < -0.02
    assert diff(flipped, ro) > 0.02


@pytest.mark.slow
def test_ghz8_of_the_issue_matches_reference():
    """The issue's GHZ-8 on ibm_sherbrooke (8 active qubits, the reference's limit): the twin's
    default scheme agrees with the whole-circuit integration; the first-order scheme did not."""
    twin = _twin("ibm_sherbrooke")
    sched = twin.schedule(ghz(8), seed=1)
    ref = whole_circuit_reference(twin.profile, sched).probabilities
    assert _tv(_twin_probs(twin, sched), ref) <= TV_MAX
    old = get_engine("density_matrix").run(twin.builder().program(sched, zz_scheme="first_order")).probabilities
    assert _tv(old, ref) > 10 * TV_MAX


# ---------------------------------------------------------------------- the readout-window physics too
def _with_readout_physics(profile: DeviceProfile) -> DeviceProfile:
    """The profile with round values for every readout-window component on the test line's qubits:
    preparation error, a T1 readout window, backaction, a (state-dependent) reset error,
    device-wide spectator dephasing and Stark shift during readouts and a spectator Pauli error
    per measurement event."""
    d = profile.to_dict()
    line = set(LINES[profile.name])
    for q in d["qubits"]:
        if q["index"] in line:
            q.update(prep_excited_prob=0.01, readout_t1_window_ns=600.0, meas_excitation_prob=0.005,
                     meas_relaxation_prob=0.02, reset_error=0.03)
    d["crosstalk"]["readout_spectators"] = [{"dephasing_rate_mhz": 0.05, "stark_shift_mhz": 0.02}]
    d["crosstalk"]["measurement"] = [{"error": 0.002}]
    d["name"] = profile.name  # the same qubit line (LINES)
    return DeviceProfile.model_validate(d)


@pytest.mark.parametrize("device,kind,n", [("ibm_hanoi", "spectator", 3), ("ibm_sherbrooke", "spectator", 3),
                                           pytest.param("ibm_hanoi", "rep", 5, marks=pytest.mark.slow),
                                           pytest.param("ibm_sherbrooke", "rep", 5, marks=pytest.mark.slow)])
def test_readout_physics_and_dressed_zz_match_reference(device, kind, n):
    """Mid-circuit measurement, reset and reuse with ZZ AND the readout-window components of
    issue #14 items 1, 2 and 6 (preparation, T1 readout window, backaction, spectator dephasing,
    Stark phase and Pauli errors): twin and reference agree to TV_MAX, and the components matter
    (together they move the reference by more than 10 TV_MAX)."""
    base = _twin(device)
    prof = _with_readout_physics(base.profile)
    twin = Twin(prof, noise=DRESSED)
    sched = _schedule(twin, kind, n)
    assert sched.num_active == n
    ref = whole_circuit_reference(prof, sched)
    assert ref.metadata["zz_pairs"] and ref.metadata["max_branches"] > 1
    assert _tv(_twin_probs(twin, sched), ref.probabilities) <= TV_MAX
    plain = whole_circuit_reference(base.profile, _schedule(base, kind, n)).probabilities
    assert _tv(plain, ref.probabilities) > 10 * TV_MAX
    # without ZZ the two independent implementations of these components agree exactly
    ref0 = whole_circuit_reference(prof, sched, noise={"zz": False}).probabilities
    assert _tv(_twin_probs(twin, sched, {"zz": False}), ref0) < 1e-10


def test_coherent_ix_zx_errors_with_dressed_zz_match_reference():
    """The coherent IX/ZX errors of every cx on the line (ibm_hanoi, ZZ on, a 4-qubit random circuit): twin
    and whole-circuit reference agree to TV_MAX, and the errors matter (they move the reference by > 10 TV_MAX)."""
    base = _twin("ibm_hanoi")
    d = base.profile.to_dict()
    line = set(LINES["ibm_hanoi"])
    for k, g in enumerate(d["gates"]):
        if g["name"] == "cx" and set(g["qubits"]) <= line:
            g.update(ix_error_rad=0.08 * (-1) ** k, zx_error_rad=0.12)
    prof = DeviceProfile.model_validate(d)
    twin = Twin(prof, noise=DRESSED)
    sched = _schedule(twin, "random", 4)
    ref = whole_circuit_reference(prof, sched).probabilities
    assert _tv(_twin_probs(twin, sched), ref) <= TV_MAX
    plain = whole_circuit_reference(base.profile, _schedule(base, "random", 4)).probabilities
    assert _tv(plain, ref) > 10 * TV_MAX
