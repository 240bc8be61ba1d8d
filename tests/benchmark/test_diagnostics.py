"""Diagnostics that localise model error (qpu_twin.benchmark.diagnostics) on the shipped ibm_hanoi codes.

References are independent of the code under test: the ideal density-matrix
engine for the classical answer, direct counting over bitstrings for the
measured statistics, and binomial shot noise for the intervals.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from qpu_twin import Twin
from qpu_twin.benchmark.diagnostics import classical_answer, code_family, diagnose, error_by_family
from qpu_twin.data import load_dataset
from qpu_twin.errors import BenchmarkError

DATASET = Path(__file__).resolve().parents[2] / "calibration_data" / "ibm_repetition_codes_2022"


@pytest.fixture(scope="module")
def hanoi():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset(DATASET)


def _pick(ds, family: str, n: int):
    return [c for c in ds.circuits if c.counts and code_family(c) == family][:n]


def test_code_families_of_the_hanoi_dataset(hanoi):
    # 8 jobs of 54 circuits (2 of them without dynamical decoupling, benchmarks/results_where_the_error_is.txt);
    # each job runs the bit-flip code on |000> and on |111> and the phase-flip code, 18 circuits each
    fam = Counter(code_family(c) for c in hanoi.circuits if c.counts)
    assert fam == {f"{k} {dd}": (108 if dd == "DD" else 36)
                   for k in ("bit-flip code |000>", "bit-flip code |111>", "phase-flip code") for dd in ("DD", "no DD")}


def test_classical_answer_is_the_ideal_engines_certain_outcome(hanoi):
    for family in ("bit-flip code |000> no DD", "bit-flip code |111> DD", "phase-flip code DD"):
        for c in _pick(hanoi, family, 2):
            p = Twin(hanoi.snapshots[c.snapshot], noise="ideal").run(c.circuit, transpile=False, seed=0).probabilities
            best = max(p, key=p.get)
            assert p[best] == pytest.approx(1.0, abs=1e-9)
            if family.startswith("phase-flip"):
                assert classical_answer(c.circuit) is None  # a superposition: the answer needs the ideal engine
            else:
                assert classical_answer(c.circuit) == best


def _synthetic(circuits, answers, err: float, shots: int, seed: int):
    """Each circuit's counts drawn from q = (1 - err) delta_answer + err uniform over the other outcomes."""
    rng = np.random.default_rng(seed)
    out, qs = [], {}
    for c, a in zip(circuits, answers):
        nb = c.circuit.num_clbits
        others = [format(i, f"0{nb}b") for i in range(2**nb) if format(i, f"0{nb}b") != a]
        q = {a: 1 - err, **{k: err / len(others) for k in others}}
        keys = sorted(q)
        draws = rng.multinomial(shots, [q[k] for k in keys])
        out.append(dataclasses.replace(c, counts={k: int(n) for k, n in zip(keys, draws) if n}))
        qs[c.name] = q
    return out, qs


def test_error_by_family_intervals_follow_the_binomial_shot_noise(hanoi):
    base = _pick(hanoi, "bit-flip code |111> DD", 12)
    answers = [classical_answer(c.circuit) for c in base]
    err, shots = 0.2, 2000
    circuits, qs = _synthetic(base, answers, err, shots, seed=5)
    fe = error_by_family(circuits, {"exact": lambda c: qs[c.name], "half": lambda c: {
        k: (v if k == classical_answer(c.circuit) else v / 2) for k, v in qs[c.name].items()}}, resamples=2000)
    r = fe.get("bit-flip code |111> DD", "exact")
    measured = np.mean([1 - c.counts.get(a, 0) / shots for c, a in zip(circuits, answers)])
    assert r.measured == pytest.approx(measured, abs=1e-12) and r.circuits == 12
    se = math.sqrt(len(base) * err * (1 - err) / shots) / len(base)  # standard error of the mean over circuits
    assert abs(r.measured - err) <= 4 * se and r.predicted == pytest.approx(err, abs=1e-12)
    # the bootstrap interval is the normal one, +-1.96 se, to its Monte-Carlo accuracy (2000 resamples)
    assert (r.high - r.low) / 2 == pytest.approx(1.96 * se, rel=0.15)
    assert r.low < r.measured < r.high
    # a model that predicts half the error (normalised: 0.1 / 0.9) has ratio ~ 0.2 / 0.111
    half = fe.get("bit-flip code |111> DD", "half")
    assert half.predicted == pytest.approx(0.1 / 0.9, abs=1e-12)
    assert half.ratio == pytest.approx(r.measured / (0.1 / 0.9), rel=1e-12)
    # Hellinger against the direct formula
    def h(c, q):
        return math.sqrt(max(0.0, 1 - sum(math.sqrt(n / shots * q[k]) for k, n in c.counts.items())))
    assert r.hellinger == pytest.approx(np.mean([h(c, qs[c.name]) for c in circuits]), abs=1e-12)
    assert "bit-flip code |111> DD" in fe.table() and fe.plot() is not None


def test_error_by_family_needs_an_answer(hanoi):
    phase = _pick(hanoi, "phase-flip code no DD", 2)
    bit = _pick(hanoi, "bit-flip code |000> no DD", 2)
    model = {"flat": lambda c: {format(i, "07b"): 1 / 128 for i in range(128)}}
    fe = error_by_family(phase + bit, model)
    assert fe.families() == ["bit-flip code |000> no DD"]
    assert fe.meta["without_answer"] == tuple(c.name for c in phase)
    assert "2 circuits without a unique ideal answer" in fe.table()
    ideal = Twin(hanoi.snapshots[phase[0].snapshot], noise="ideal")
    fe = error_by_family(phase + bit, model,
                         ideal=lambda c: ideal.run(c.circuit, transpile=False, seed=0).probabilities)
    assert fe.families() == ["bit-flip code |000> no DD", "phase-flip code no DD"]
    assert fe.get("phase-flip code no DD", "flat").predicted == pytest.approx(127 / 128)
    with pytest.raises(BenchmarkError, match="no model"):
        error_by_family(bit, {})


def test_diagnose_statistics_against_direct_counting(hanoi):
    base = _pick(hanoi, "bit-flip code |000> no DD", 10)
    answers = [classical_answer(c.circuit) for c in base]
    circuits, qs = _synthetic(base, answers, 0.3, 4000, seed=11)
    d = diagnose(circuits, lambda c: qs[c.name], model="exact", family=code_family, resamples=400)
    fam = "bit-flip code |000> no DD"
    marg = {x.label: x for x in d.select("marginal", fam)}
    for b in range(7):  # P(clbit b = 1), clbit 0 rightmost, averaged over circuits
        direct = np.mean([sum(n for k, n in c.counts.items() if k[6 - b] == "1") / c.shots for c in circuits])
        assert marg[f"c{b}"].measured == pytest.approx(direct, abs=1e-12)
    from qpu_twin.data.classify import repetition_code_layout

    det = d.select("detection", fam)
    lay = repetition_code_layout(circuits[0].circuit)
    direct = np.mean([[sum(n * np.array(lay.detection_events(k)).reshape(-1)[j] for k, n in c.counts.items()) / c.shots
                       for j in range(len(det))] for c in circuits], axis=0)
    assert np.allclose([x.measured for x in det], direct, atol=1e-12)
    # the model is the distribution the counts were drawn from: every z is shot noise (|z| <= 4.5 over < 40 tests)
    zs = [x.z for x in d.items]
    assert len(zs) < 40 and max(abs(z) for z in zs) <= 4.5
