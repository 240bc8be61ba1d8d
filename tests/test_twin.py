"""Twin API: results, seeds, metadata, inspection, and clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qpu_twin import CompileError, EngineError, QpuTwinError, Twin


def bell():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_result_fields_and_metadata():
    twin = Twin("line5")
    res = twin.run(bell(), shots=2000, seed=11)
    assert abs(sum(res.probabilities.values()) - 1) < 1e-12
    assert sum(res.counts.values()) == 2000
    m = res.metadata
    assert m["profile"] == "line5" and m["profile_fingerprint"] == twin.profile.fingerprint
    assert m["noise"]["level"] == "lindblad" and res.engine == "density_matrix"
    assert isinstance(m["compiled_circuit"], QuantumCircuit)
    assert set(m["compiled_circuit"].count_ops()) <= {"rz", "sx", "x", "cx", "measure", "barrier", "id"}
    assert len(m["active_qubits"]) == 2


def test_counts_shot_noise():
    """Sampled counts agree with the exact probabilities within 5 binomial sigma."""
    res = Twin("line5").run(bell(), shots=20_000, seed=3)
    for k, p in res.probabilities.items():
        sigma = np.sqrt(p * (1 - p) / 20_000)
        assert abs(res.counts.get(k, 0) / 20_000 - p) <= 5 * sigma + 1e-12


def test_seed_reproducibility():
    twin = Twin("ibm_hanoi")
    native = twin.compile(bell(), seed=1)
    a = twin.run(native, shots=500, seed=42, transpile=False)
    b = Twin("ibm_hanoi").run(native, shots=500, seed=42, transpile=False)
    assert a.counts == b.counts and a.probabilities == b.probabilities
    assert a.metadata["seed_entropy"] == 42
    c = twin.run(native, shots=500, seed=43, transpile=False)
    assert c.counts != a.counts
    g = twin.run(native, shots=500, seed=np.random.default_rng(5), transpile=False)
    assert sum(g.counts.values()) == 500


def test_compiled_circuit_reproduces_the_result():
    """Qiskit's transpiler may break exact ties between equally good layouts differently from call to
    call even with a fixed seed; the simulated physical circuit is recorded, and re-running it with
    transpile=False reproduces the numbers exactly."""
    from qiskit.circuit.random import random_circuit

    twin = Twin("line5")
    res = twin.run(random_circuit(4, 6, max_operands=2, measure=True, seed=6), seed=6)
    again = Twin("line5").run(res.metadata["compiled_circuit"], transpile=False)
    assert again.probabilities == res.probabilities


def test_list_input_gives_list():
    res = Twin("line5").run([bell(), bell()], seed=1)
    assert isinstance(res, list) and len(res) == 2


def test_ideal_bell_and_ghz_exact():
    twin = Twin("line5", noise="ideal")
    assert twin.run(bell()).probabilities == pytest.approx({"00": 0.5, "11": 0.5}, abs=1e-12)
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    for i in range(3):
        qc.cx(i, i + 1)
    qc.measure(range(4), range(4))
    p = twin.run(qc, seed=1).probabilities
    assert p.get("0000", 0) == pytest.approx(0.5, abs=1e-12) and p.get("1111", 0) == pytest.approx(0.5, abs=1e-12)


def test_noise_options_and_ablation():
    twin = Twin("line5")
    full = twin.run(bell(), seed=2).probabilities
    no_ro = twin.run(bell(), seed=2, noise={"level": "lindblad", "readout": False}).probabilities
    assert no_ro["00"] + no_ro["11"] > full["00"] + full["11"]  # readout errors cost fidelity
    with pytest.raises(QpuTwinError, match="unknown"):
        Twin("line5", noise={"level": "lindblad", "colour": True})
    with pytest.raises(QpuTwinError, match="noise level='quantum'"):
        Twin("line5", noise="quantum")


def test_noise_map_forms():
    twin = Twin("line5")
    from qiskit.quantum_info import Choi, Kraus, SuperOp, average_gate_fidelity
    from qiskit.circuit.library import CXGate

    sup = twin.noise_map("cx", (0, 1))
    assert isinstance(sup, SuperOp) and sup.is_cptp()
    assert isinstance(twin.noise_map("cx", (0, 1), form="kraus"), Kraus)
    assert isinstance(twin.noise_map("sx", (2,), form="choi"), Choi)
    # independent fidelity computation by Qiskit against the ideal CX
    assert 1 - average_gate_fidelity(sup, CXGate()) == pytest.approx(0.01, abs=1e-9)
    idle = twin.noise_map("idle", (0,), duration_ns=1000.0)
    assert idle.is_cptp()
    with pytest.raises(QpuTwinError, match="duration_ns"):
        twin.noise_map("idle", (0,))


def test_qasm_file_input(tmp_path):
    f = tmp_path / "bell.qasm"
    f.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')
    res = Twin("line5", noise="ideal").run(str(f), seed=1)
    assert res.probabilities == pytest.approx({"00": 0.5, "11": 0.5}, abs=1e-12)
    f3 = tmp_path / "bell3.qasm"
    f3.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n')
    res3 = Twin("line5", noise="ideal").run(f3, seed=1)
    assert res3.probabilities == pytest.approx({"00": 0.5, "11": 0.5}, abs=1e-12)


# ---------------------------------------------------------------- bad input (must-show #5)
def test_non_native_gate_without_transpile():
    with pytest.raises(CompileError, match=r"gate 'h' on qubits \(0,\) is not a native gate of line5"):
        Twin("line5").run(bell(), transpile=False)


def test_uncoupled_pair_without_transpile():
    qc = QuantumCircuit(5, 2)
    qc.x(0)
    qc.cx(0, 3)
    qc.measure([0, 3], [0, 1])
    with pytest.raises(CompileError, match=r"'cx' on qubits \(0, 3\): the pair is not coupled on line5"):
        Twin("line5").run(qc, transpile=False)


def test_too_many_qubits_for_memory():
    """A 27-qubit GHZ on ibm_hanoi: refused with a clear error before any allocation."""
    qc = QuantumCircuit(27, 27)
    qc.h(0)
    for i in range(26):
        qc.cx(i, i + 1)
    qc.measure(range(27), range(27))
    with pytest.raises(EngineError, match=r"27 active qubits need .* GiB"):
        Twin("ibm_hanoi", engine="density_matrix").run(qc, seed=1)


def test_memory_limit_option():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    with pytest.raises(EngineError, match="limit"):
        Twin("line5", max_memory_bytes=100).run(qc, seed=1)


def test_malformed_qasm(tmp_path):
    f = tmp_path / "bad.qasm"
    f.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0]\ncx q[0],q[1];\n')
    with pytest.raises(CompileError, match="bad.qasm: malformed OpenQASM"):
        Twin("line5").run(str(f))


def test_missing_qasm_file():
    with pytest.raises(CompileError, match="does not exist"):
        Twin("line5").run("no_such_file.qasm")


def test_circuit_larger_than_device():
    qc = QuantumCircuit(6, 6)
    qc.h(range(6))
    qc.measure(range(6), range(6))
    with pytest.raises(CompileError, match=r"needs 6 qubits \(width 6\) but line5 has 5"):
        Twin("line5").run(qc)


def test_bad_shots():
    with pytest.raises(QpuTwinError, match="shots=0"):
        Twin("line5").run(bell(), shots=0)


# ---------------------------------------------------------------------------- property-based: run options
# (issue #18) Mutate one argument of a valid call -- drop / retype / scale it -- of Twin.run, of the Twin
# constructor's run options and of Twin.noise_map: either a package error naming that argument, or a
# result that passes the same validation as the original (finite probabilities summing to 1, counts
# that are non-negative integers summing to shots; a finite channel).
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_RUN_GOOD = {"shots": 100, "seed": 7, "transpile": True, "engine": "density_matrix", "noise": {"zz": False}}
_INIT_GOOD = {"engine": "density_matrix", "max_memory_bytes": 10**9, "engine_options": {"save_state": False}, "optimization_level": 1,
              "scheduling": "alap"}
_MAP_GOOD = {"op": "idle", "qubits": 0, "params": (), "duration_ns": 100.0, "form": "superop"}
_ARG_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "1e3", "false", "physical", "auto", "lindblad", "aer", "density_matrix", "alap",
                     "rz", "sx", "kraus"]),
    st.lists(st.integers(-1, 5), max_size=3), st.just({}), st.just({"zz": "false"}), st.just({"readout": False}),
    st.just({"max_bond": 0}), st.just({"foo": 1}), st.just(np.random.SeedSequence(3)))
_FACTORS = [-1, 0, 2, 10**30, 0.5, float("nan"), float("inf")]


@pytest.fixture(scope="module")
def _bell_twin():
    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc, Twin("line5")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_run_options_are_refused_by_name_or_valid(_bell_twin, data):
    import math

    qc, twin = _bell_twin
    target = data.draw(st.sampled_from(["run", "init", "noise_map"]))
    good = {"run": _RUN_GOOD, "init": _INIT_GOOD, "noise_map": _MAP_GOOD}[target]
    kw = dict(good)
    arg = data.draw(st.sampled_from(sorted(kw)))
    op = data.draw(st.sampled_from(["drop", "retype", "scale"]))
    if op == "drop":
        if target == "noise_map" and arg in ("op", "qubits"):
            op = "retype"  # required arguments: dropping one is Python's TypeError, not a value to check
        else:
            del kw[arg]
    if op == "retype":
        kw[arg] = data.draw(_ARG_VALUES)
    elif op == "scale":
        f = data.draw(st.sampled_from(_FACTORS))
        old = kw[arg]
        kw[arg] = old * f if isinstance(old, (int, float)) and not isinstance(old, bool) else f
    try:
        if target == "run":
            out = twin.run(qc, **kw)
        elif target == "init":
            out = Twin("line5", **kw).run(qc, shots=50, seed=1)
        else:
            out = twin.noise_map(**kw)
    except QpuTwinError as exc:
        msg = str(exc)
        names = {"engine_options": ("engine_options", "save_state", "max_bond", "foo", "option"),
                 "noise": ("noise", "zz", "readout")}.get(arg, (arg,))
        assert any(n in msg for n in names), (target, arg, kw.get(arg), msg)
        return
    if target == "noise_map":
        m = np.asarray(out.data)
        assert np.all(np.isfinite(m)), (kw, m)
        return
    p = out.probabilities
    assert all(math.isfinite(v) and -1e-12 <= v <= 1 + 1e-12 for v in p.values()), (kw, p)
    assert abs(sum(p.values()) - 1.0) < 1e-9, (kw, p)
    if out.shots is not None:
        assert type(out.shots) is int and 1 <= out.shots
        assert all(type(c) is int and c >= 0 for c in out.counts.values()) and sum(out.counts.values()) == out.shots
    else:
        assert out.counts is None


def test_schedule_cache_reuses_schedules_across_noise_only_profile_changes():
    """The fit's schedule cache: a trial profile that changes only fit-kind values (noise) reuses the compiled
    circuit and schedule of a native circuit, and its probabilities equal a fresh twin's bit for bit; a changed
    duration is a different timing key and schedules anew; an uncached twin never keeps anything."""
    import warnings

    from qpu_twin.fit import FitParameter, profile_with
    from qpu_twin.profiles.edit import KINDS
    from qpu_twin.twin import timing_key

    warnings.simplefilter("ignore")
    base = Twin("line5")
    qc = QuantumCircuit(5, 2)
    qc.sx(0)
    qc.cx(0, 1)
    qc.delay(2000, 0, unit="ns")
    qc.measure([0, 1], [0, 1])
    base._enable_schedule_cache()
    first = base.run(qc, transpile=False)
    key = (id(qc), timing_key(base.profile), base.scheduling)
    assert base._schedule_cache[key][0] is qc
    cached_sched = base._schedule_cache[key][2]
    # T1/T2 unlike other tests' (tests/noise/test_cache.py counts integrations; the map cache is process-wide)
    trial_values = {"p10": 0.02, "p01": 0.03, "t1_us": 61.7, "t2_us": 43.1, "gate_error": 0.02,
                    "overrotation": 0.01, "zz_khz": -40.0, "prep_excited_prob": 0.01, "detuning_khz": 12.0,
                    "detuning_sigma_khz": 5.0, "readout_t1_window_ns": 100.0, "meas_excitation_prob": 0.01,
                    "meas_relaxation_prob": 0.01, "leakage_prob": 0.001, "leakage_lifetime_us": 20.0,
                    "reset_error": 0.02, "ix_error_rad": 0.05, "zx_error_rad": -0.04}
    assert set(trial_values) == set(KINDS)  # every kind a fit can change
    targets = {"qubit": (0,), "gate": ("cx", (0, 1)), "zz": (0, 1)}
    for kind, value in trial_values.items():
        trial_prof = profile_with(base.profile, [FitParameter(kind, targets[KINDS[kind].entity], value)])
        assert timing_key(trial_prof) == timing_key(base.profile), kind
        trial = base.with_profile(trial_prof)
        got = trial.run(qc, transpile=False)
        assert trial._schedule_cache is base._schedule_cache and len(base._schedule_cache) == 1, kind
        fresh = Twin(trial_prof).run(qc, transpile=False)  # no cache: compiled and scheduled anew
        assert got.probabilities == fresh.probabilities, kind
        assert fresh.metadata["compiled_circuit"] == got.metadata["compiled_circuit"]
    # a duration change is a new timing key: scheduled anew, with the new duration
    d = base.profile.to_dict()
    cx = next(g for g in d["gates"] if g["name"] == "cx")
    cx["duration_ns"] = cx["duration_ns"] * 2
    from qpu_twin import DeviceProfile

    slow = DeviceProfile.model_validate(d)
    assert timing_key(slow) != timing_key(base.profile)
    slow_twin = base.with_profile(slow)
    res = slow_twin.run(qc, transpile=False)
    assert len(base._schedule_cache) == 2 and res.metadata["duration_ns"] > first.metadata["duration_ns"]
    assert res.probabilities == Twin(slow).run(qc, transpile=False).probabilities
    assert cached_sched is base._schedule_cache[key][2]
    # off by default
    plain = Twin("line5")
    plain.run(qc, transpile=False)
    assert plain._schedule_cache is None
