"""Must-show 4 (issue #18): every format the package writes reads back equal -- profiles with every
optional field, fitted and calibrated profiles, the calibration-history profiles, datasets (including
ns / us / s / ms delays, which a bare QPY round trip turns into dt), IBM archives saved as datasets, and
the benchmark report's data JSON."""

from __future__ import annotations

import copy
import io
import json
import math
import warnings

import pytest
from qiskit import QuantumCircuit, qpy
from qiskit.circuit import Delay, Parameter

from qpu_twin import load_profile
from qpu_twin.data import HardwareDataset, MeasuredCircuit, load_dataset, save_dataset
from qpu_twin.paths import calibration_data_dir
from qpu_twin.profiles.model import DeviceProfile
from qpu_twin.profiles.store import parse_profile_text


def _all_fields_profile() -> DeviceProfile:
    d = load_profile("line5").to_dict()
    q = d["qubits"][1]
    q.update(prep_excited_prob=0.002, readout_t1_window_ns=150.0, meas_excitation_prob=0.001,
             meas_relaxation_prob=0.003, t2_star_us=60.0, leakage_lifetime_us=5.0, leaked_reads_as=0,
             uncertainty={"t1_us": 1.5, "prob_meas0_prep1": 0.0011})
    d["qubits"][2].update(detuning_sigma_khz=3.25, operational=False)
    g = d["gates"][1]
    g.update(overrotation=-0.0125, leakage_prob=1e-5, uncertainty={"error": 1e-5})
    d["crosstalk"]["measurement"] = [{"measured": 0, "spectator": 1, "error": 1e-4, "uncertainty": {"error": 1e-5}},
                                     {"measured": None, "spectator": None, "error": 2e-5}]
    d["crosstalk"]["readout_spectators"] = [{"measured": 1, "spectator": 2, "dephasing_rate_mhz": 0.05,
                                             "stark_shift_mhz": -0.125}]
    col = [0.97, 0.01, 0.015, 0.005]
    d["crosstalk"]["readout_pairs"] = [{"qubits": [0, 1], "assignment": [col, col[1:] + col[:1], col[2:] + col[:2],
                                                                          col[3:] + col[:3]]}]
    d["description"] = "ünïcode ± µs — \"quoted\" 'text'\nsecond line"
    d["provenance"]["notes"] = ["1q error 4.5e-05 ± 8e-06", "a: b: c", "- not a list", "yes", "1e3", ""]
    d["dt_ns"] = 0.1 + 0.2  # a float whose repr needs all 17 digits
    return DeviceProfile.from_dict(d)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_profile_with_every_optional_field_round_trips(tmp_path, suffix):
    p = _all_fields_profile()
    path = p.save(tmp_path / f"p{suffix}")
    back = load_profile(path)
    assert back == p and back.fingerprint == p.fingerprint
    assert back.dt_ns == 0.1 + 0.2 and back.description == p.description
    text = p.to_yaml() if suffix == ".yaml" else p.to_json()
    assert parse_profile_text(text, fmt=suffix[1:]) == p


@pytest.mark.parametrize("name", ["fitted_ibm_hanoi_seed0.yaml", "fitted_ibm_hanoi_seed0_t2.yaml",
                                  "fitted_ibm_hanoi_seed0_physics.yaml"])
def test_fitted_profiles_round_trip(tmp_path, repo_root, name):
    p = load_profile(repo_root / "benchmarks" / name)
    for suffix in (".yaml", ".json"):
        assert load_profile(p.save(tmp_path / f"x{suffix}")) == p


def test_calibrated_profile_round_trips(tmp_path):
    from qpu_twin.calibration import apply_results
    from qpu_twin.calibration.experiments import CalibrationResult

    base = load_profile("line5")
    results = [CalibrationResult("T1", (0,), "t1_us", 91.25, 2.5), CalibrationResult("RB1Q", (1,), "epg", 4.2e-4,
                                                                                          3e-5)]
    p = apply_results(base, results)
    assert p.qubit(0).t1_us == 91.25
    for suffix in (".yaml", ".json"):
        assert load_profile(p.save(tmp_path / f"c{suffix}")) == p


def test_history_profile_round_trips(tmp_path):
    from qpu_twin.calibration.history import quantinuum_history

    folder = tmp_path / "h"
    folder.mkdir()
    src = calibration_data_dir() / "quantinuum"
    for name in ("H2-1__2024_05_20__SPAM.json", "H2-1__2024_05_20__TQ_RB.json", "H2-1__2024_05_20__SQ_RB.json"):
        (folder / name).write_bytes((src / name).read_bytes())
    [p] = quantinuum_history(folder, bootstrap=10).profiles()
    assert p.gate("rzz", [0, 1]).uncertainty["error"] > 0
    for suffix in (".yaml", ".json"):
        assert load_profile(p.save(tmp_path / f"h{suffix}")) == p


# ---------------------------------------------------------------------------- datasets
def _delay_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3, name="delays")
    qc.delay(1280, 0, unit="ns")
    qc.delay(1.5, 1, unit="us")
    qc.delay(100, 2, unit="dt")
    qc.delay(2.5e-6, 0, unit="s")
    qc.delay(0.25, 1, unit="ms")
    qc.delay(12.75, 2, unit="ns")
    qc.x(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.delay(3.5, 1, unit="us")
        qc.x(2)
    qc.measure([1, 2], [1, 2])
    return qc


def _delays(qc, out=None):
    out = [] if out is None else out
    for inst in qc.data:
        op = inst.operation
        if isinstance(op, Delay):
            out.append((op.duration, op.unit))
        for block in getattr(op, "blocks", ()):
            _delays(block, out)
    return out


def test_bare_qpy_loses_delay_units():
    """Why the dataset format keeps units itself (documents the installed Qiskit's behaviour)."""
    qc = QuantumCircuit(1)
    qc.delay(1280, 0, unit="ns")
    buf = io.BytesIO()
    qpy.dump(qc, buf)
    buf.seek(0)
    [back] = qpy.load(buf)
    if back.data[0].operation.unit == "ns":
        pytest.skip("this Qiskit keeps delay units in QPY")
    assert back.data[0].operation.unit == "dt"


def test_dataset_with_ns_and_us_delays_round_trips(tmp_path):
    qc = _delay_circuit()
    theta = Parameter("t")
    pq = QuantumCircuit(1, 1, name="param_delay")
    pq.delay(theta, 0, unit="ns")
    pq.measure(0, 0)
    pq = pq.assign_parameters({theta: 40})
    ds = HardwareDataset("delays", "line5", "2026-01-01", (
        MeasuredCircuit("delays", qc, {"000": 10, "101": 7}, False, "101", "line5", {"note": "µs ±"}),
        MeasuredCircuit("param_delay", pq, {"0": 3, "1": 1}, True, None, None),
        MeasuredCircuit("no_counts", QuantumCircuit(1, 1, name="empty"), None),
    ), {"line5": load_profile("line5")}, {}, "round trip test")
    folder = save_dataset(ds, tmp_path / "d")
    back = load_dataset(folder)
    assert _delays(back.circuits[0].circuit) == _delays(qc) == [
        (1280, "ns"), (1.5, "us"), (100, "dt"), (2.5e-6, "s"), (0.25, "ms"), (12.75, "ns"), (3.5, "us")]
    assert _delays(back.circuits[1].circuit) == _delays(pq)
    for a, b in zip(ds.circuits, back.circuits):
        assert b.circuit == a.circuit
        assert (b.name, b.counts, b.physical, b.answer, b.snapshot, b.meta) == \
            (a.name, a.counts, a.physical, a.answer, a.snapshot, a.meta)
    assert (back.name, back.device, back.date, back.source) == (ds.name, ds.device, ds.date, ds.source)
    assert back.snapshots == ds.snapshots
    # saved again: the same files
    again = save_dataset(back, tmp_path / "e")
    assert (again / "dataset.json").read_text() == (folder / "dataset.json").read_text()
    assert (again / "circuits.qpy").read_bytes() == (folder / "circuits.qpy").read_bytes()


def test_ibm_archive_saved_as_dataset_round_trips(tmp_path):
    ds = load_dataset(calibration_data_dir() / "ibm_repetition_codes_2022" /
                      "625558bd3bfc767795eac3ce__ibm_hanoi.json").subset(4)
    back = load_dataset(save_dataset(ds, tmp_path / "d"))
    assert [c.circuit for c in back.circuits] == [c.circuit for c in ds.circuits]
    assert [(c.name, c.counts, c.physical, c.snapshot, c.meta) for c in back.circuits] == \
        [(c.name, c.counts, c.physical, c.snapshot, c.meta) for c in ds.circuits]
    assert back.snapshots == ds.snapshots
    assert back.raw_snapshots == ds.raw_snapshots  # the IBM dicts for Aer's baseline are kept too


def test_live_backend_raw_snapshot_is_announced(tmp_path):
    ds = HardwareDataset("x", "line5", "", (MeasuredCircuit("a", QuantumCircuit(1, 1), {"0": 1}),), {},
                         {"backend": object()})
    with pytest.warns(UserWarning, match="cannot be stored"):
        save_dataset(ds, tmp_path / "x")
    assert load_dataset(tmp_path / "x").raw_snapshots == {}


# ---------------------------------------------------------------------------- report data
def test_benchmark_report_data_round_trips_through_json():
    from qpu_twin.benchmark import run_benchmark
    from qpu_twin.benchmark.harness import Model

    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    ds = HardwareDataset("r", "line5", "", (MeasuredCircuit("bell", qc, {"00": 480, "11": 500, "01": 20}, False, "11"),
                                            MeasuredCircuit("bell2", qc, {"00": 40, "11": 60}, False, "11")),
                         {}, {})
    model = Model("even", lambda bc: {"00": 0.5, "11": 0.5}, True, "0.5/0.5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run_benchmark(ds, [model], resamples=20, seed=1, progress=False)
    data = report.as_json()
    text = json.dumps(data, allow_nan=False)  # no NaN / inf in what the package writes
    back = json.loads(text)
    assert back == json.loads(json.dumps(data))
    assert _canon(back) == _canon(data)


def _canon(x):
    """Tuples as lists, everything else as is (JSON has no tuples)."""
    if isinstance(x, dict):
        return {k: _canon(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_canon(v) for v in x]
    if isinstance(x, float):
        assert math.isfinite(x)
    return x


def test_copy_of_dataset_is_independent(tmp_path):
    """Loading returns fresh objects: editing a loaded dataset's counts does not change the file's."""
    ds = HardwareDataset("c", "line5", "", (MeasuredCircuit("a", QuantumCircuit(1, 1), {"0": 2, "1": 1}),), {}, {})
    back = load_dataset(save_dataset(ds, tmp_path / "c"))
    counts = copy.deepcopy(back.circuits[0].counts)
    back.circuits[0].counts["0"] = 99
    assert load_dataset(tmp_path / "c").circuits[0].counts == counts
