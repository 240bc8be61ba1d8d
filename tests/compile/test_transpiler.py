"""The reused, re-seeded pass manager: identical to a fresh one, reproducible layouts, native skip."""

from __future__ import annotations

import math
import threading

import pytest
from qiskit import QuantumCircuit
from qiskit import transpile as qiskit_transpile
from qiskit.circuit.random import random_circuit

from qpu_twin import Twin, load_profile
from qpu_twin.circuit_library import ghz
from qpu_twin.compile import target as tg
from qpu_twin.compile.circuits import compile_circuit, is_native_physical

LINE5 = load_profile("line5")
HANOI = load_profile("ibm_hanoi")


def canon(c: QuantumCircuit) -> tuple:
    """Bit-level description: every instruction with its qubits, clbits and exact float parameters."""
    out = [float(c.global_phase).hex(), c.num_qubits, c.num_clbits]
    for inst in c.data:
        params = tuple(float(p).hex() for p in inst.operation.params)
        out.append((inst.operation.name, tuple(c.find_bit(q).index for q in inst.qubits),
                    tuple(c.find_bit(b).index for b in inst.clbits), params))
    if c.layout is not None:
        out.append((tuple(c.layout.initial_index_layout()), tuple(c.layout.final_index_layout())))
    return tuple(out)


def _circuits():
    return [ghz(2), ghz(4)] + [random_circuit(4, 6, max_operands=2, measure=True, seed=s) for s in range(4)]


@pytest.mark.parametrize("profile", [LINE5, HANOI], ids=["line5", "ibm_hanoi"])
def test_reseeded_pass_manager_equals_a_fresh_one(profile):
    tr = tg.Transpiler(profile)
    assert tr.reseedable()
    for qc in _circuits():
        for seed in (1, 12345, 2**31 - 5):
            fresh = tg.preset_pass_manager(tg.build_target(profile), 2, seed).run(qc)
            assert canon(tr.run(qc, seed=seed)) == canon(fresh)
    assert tr.stats["fresh_runs"] == 0


def test_same_as_qiskit_transpile_where_there_are_no_ties():
    """ibm_hanoi's calibrated errors are all distinct: the tie-break never acts, the output is Qiskit's."""
    tr = tg.Transpiler(HANOI)
    for qc in _circuits():
        for seed in (1, 7):
            ref = qiskit_transpile(qc, target=tg.build_target(HANOI), seed_transpiler=seed)
            assert canon(tr.run(qc, seed=seed)) == canon(ref)


@pytest.mark.parametrize("level", [0, 1, 3])
def test_other_optimization_levels_reseed_too(level):
    tr = tg.Transpiler(HANOI, optimization_level=level)
    qc = random_circuit(4, 5, max_operands=2, measure=True, seed=3)
    for seed in (2, 99):
        fresh = tg.preset_pass_manager(tg.build_target(HANOI), level, seed).run(qc)
        assert canon(tr.run(qc, seed=seed)) == canon(fresh)


def test_same_circuit_and_seed_three_times_and_on_a_new_twin():
    for profile in ("line5", "ibm_hanoi"):
        for qc in _circuits():
            twin = Twin(profile)
            first = [canon(twin.compile(qc, seed=5)) for _ in range(3)]
            tg._TRANSPILERS.clear()  # a genuinely new Target and pass manager
            again = canon(Twin(profile).compile(qc, seed=5))
            assert first[0] == first[1] == first[2] == again


def test_layout_ties_are_broken_reproducibly():
    """On the uniform line5 mirror-image layouts tie exactly; Qiskit 2.6 picks one at random per
    call (hash-ordered float sums, Qiskit issue #16490). With the fixed error map a fresh pass
    manager gives one answer every time (here a case that Qiskit splits ~50/50: p(all 10 equal) ~ 2e-3)."""
    qc = random_circuit(4, 6, max_operands=2, measure=True, seed=1)
    outs = {canon(tg.preset_pass_manager(tg.build_target(LINE5), 2, 1).run(qc)) for _ in range(10)}
    assert len(outs) == 1


def test_average_error_map_is_the_mean_error_per_qargs():
    """Independent reference: the mean over the Target's operations on each qargs, straight from the profile."""
    target = tg.build_target(HANOI)
    emap = tg.average_error_map(target)
    n = HANOI.num_qubits
    for q in (0, 5, 26):
        errs = [g.error or 0.0 for g in HANOI.gates if g.qubits == (q,) and g.operational]
        qb = HANOI.qubit(q)
        errs += [qb.readout_error, qb.reset_error or 0.0, 0.0]  # measure, reset, delay (no error)
        expect = sum(errs) / len(errs) * (1 + tg.TIE_BREAK * q / n)
        assert emap[(q, q)] == pytest.approx(expect, rel=1e-14)
    g = next(g for g in HANOI.gates if len(g.qubits) == 2 and g.operational)
    a, b = g.qubits
    assert emap[(a, b)] == pytest.approx(g.error * (1 + tg.TIE_BREAK * (a + b) / (2 * n)), rel=1e-14)


def test_tie_break_is_far_below_calibration_differences():
    """The tilt separates exact ties only: it is < 1e-8 relative, while ibm_hanoi's distinct
    single-qubit average errors differ by far more."""
    target = tg.build_target(HANOI)
    emap = tg.average_error_map(target)
    vals = sorted(emap[(q, q)] for q in range(HANOI.num_qubits))
    gaps = [b / a - 1 for a, b in zip(vals, vals[1:]) if b != a]
    assert min(gaps) > 100 * tg.TIE_BREAK
    assert math.isclose(tg.TIE_BREAK, 1e-9)


def test_seed_none_builds_a_fresh_pass_manager(monkeypatch):
    monkeypatch.delenv("QISKIT_TRANSPILER_SEED", raising=False)
    tr = tg.Transpiler(LINE5)
    out = tr.run(ghz(3))
    assert out.num_qubits == 5 and tr.stats["fresh_runs"] == 1 and tr.stats["reseeded_runs"] == 0
    monkeypatch.setenv("QISKIT_TRANSPILER_SEED", "17")
    assert canon(tr.run(ghz(3))) == canon(tr.run(ghz(3), seed=17))
    assert tr.stats["reseeded_runs"] == 2


def test_threads_share_a_transpiler():
    tr = tg.Transpiler(HANOI)
    circs = [random_circuit(4, 6, max_operands=2, measure=True, seed=s) for s in range(6)]
    expect = [canon(tr.run(qc, seed=i)) for i, qc in enumerate(circs)]
    got: dict[int, tuple] = {}

    def work(i):
        got[i] = canon(tr.run(circs[i], seed=i))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(circs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(circs))] == expect


def test_initial_layout_is_honoured_and_reseeded():
    tr = tg.Transpiler(HANOI)
    qc = ghz(3)
    out = tr.run(qc, seed=3, initial_layout=[5, 8, 11])
    assert out.layout.initial_index_layout()[:3] == [5, 8, 11]
    fresh = tg.preset_pass_manager(tg.build_target(HANOI), 2, 3, initial_layout=[5, 8, 11]).run(qc)
    assert canon(out) == canon(fresh)


def test_transpiler_for_is_shared_and_bounded():
    tg._TRANSPILERS.clear()
    a = tg.transpiler_for(LINE5)
    assert tg.transpiler_for(load_profile("line5")) is a
    assert tg.transpiler_for(LINE5, optimization_level=1) is not a
    assert len(tg._TRANSPILERS) <= tg._TRANSPILERS_MAX


# ---------------------------------------------------------------------- native circuits skip the transpiler
def test_native_physical_circuit_skips_the_transpiler():
    twin = Twin("line5")
    phys = twin.compile(ghz(4), seed=1)  # native, device-wide, has a layout
    assert is_native_physical(phys, LINE5)
    assert compile_circuit(phys, LINE5, transpile=True) is phys
    a = twin.run(phys, seed=2)
    b = twin.run(phys, transpile=False)
    assert a.probabilities == b.probabilities
    assert a.metadata["compiled_circuit"] is phys


def test_narrow_native_circuit_is_still_laid_out():
    """A native circuit narrower than the device, without a layout, is a logical circuit: transpiled."""
    qc = QuantumCircuit(2, 2)
    qc.sx(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    assert not is_native_physical(qc, HANOI)
    out = compile_circuit(qc, HANOI, transpile=True, seed=1)
    assert out is not qc and out.num_qubits == HANOI.num_qubits


def test_device_wide_non_native_circuit_is_transpiled():
    qc = QuantumCircuit(5, 1)
    qc.h(0)
    qc.measure(0, 0)
    assert not is_native_physical(qc, LINE5)
    assert "h" not in compile_circuit(qc, LINE5, transpile=True, seed=1).count_ops()


# ---------------------------------------------------------------------- Qiskit's threads
def test_serial_passes_give_the_same_output_and_restore_the_environment(monkeypatch):
    """Transpiling small circuits with QISKIT_IN_PARALLEL=TRUE (except inside Sabre) gives exactly
    the output of the fully threaded run, and the caller's environment is restored."""
    import os

    monkeypatch.delenv("QISKIT_IN_PARALLEL", raising=False)
    tr = tg.Transpiler(HANOI)
    circs = [ghz(5)] + [random_circuit(5, 10, max_operands=2, measure=True, seed=s) for s in range(3)]  # Sabre
    from qiskit.transpiler.passes.layout import sabre_layout

    seen = []
    inner = sabre_layout.sabre_layout_and_routing

    def spy(*args, **kwargs):  # inside SabreLayout.run: the caller's setting (unset), so threads
        seen.append(os.environ.get("QISKIT_IN_PARALLEL"))
        return inner(*args, **kwargs)

    monkeypatch.setattr(sabre_layout, "sabre_layout_and_routing", spy)
    serial = [canon(tr.run(qc, seed=4)) for qc in circs]
    assert "QISKIT_IN_PARALLEL" not in os.environ
    assert seen and all(v is None for v in seen)
    monkeypatch.setattr(tg, "SERIAL_MAX_OPS", -1)
    threaded = [canon(tr.run(qc, seed=4)) for qc in circs]
    assert serial == threaded


def test_qiskit_serial_keeps_a_users_setting(monkeypatch):
    import os

    monkeypatch.setenv("QISKIT_IN_PARALLEL", "FALSE")
    with tg.qiskit_serial():
        assert os.environ["QISKIT_IN_PARALLEL"] == "TRUE"
        with tg.qiskit_serial():
            assert os.environ["QISKIT_IN_PARALLEL"] == "TRUE"
        assert os.environ["QISKIT_IN_PARALLEL"] == "TRUE"
    assert os.environ["QISKIT_IN_PARALLEL"] == "FALSE"
