"""IBM job archives and benchmark datasets (issue #18): every malformed file ends in one DataError naming
the file, the path inside it and the value -- from the API and from `qpu-twin bench DIR` (no tracebacks,
no hangs); mutated real job files are refused with a location or load as valid data."""

from __future__ import annotations

import copy
import io
import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit, qpy
from qiskit.circuit import Parameter

from qpu_twin import DataError, load_profile
from qpu_twin.data import HardwareDataset, MeasuredCircuit, load_dataset, load_ibm_job, save_dataset
from qpu_twin.data.ibm_jobs import ibm_job_from_data, validate_ibm_job
from qpu_twin.paths import calibration_data_dir

from .._cli_batch import problems, run_batch, run_module

JOB = calibration_data_dir() / "ibm_repetition_codes_2022" / "625558bd3bfc767795eac3ce__ibm_hanoi.json"
_FULL = json.loads(JOB.read_text())


def _trimmed(n: int = 3) -> dict:
    """The real job file with its first ``n`` experiments (validation cost ~ n)."""
    d = copy.deepcopy({k: v for k, v in _FULL.items() if k not in ("qobj", "result")})
    d["qobj"] = {**{k: v for k, v in _FULL["qobj"].items() if k != "experiments"},
                 "experiments": copy.deepcopy(_FULL["qobj"]["experiments"][:n])}
    d["result"] = {**{k: v for k, v in _FULL["result"].items() if k != "experiments"},
                   "experiments": copy.deepcopy(_FULL["result"]["experiments"][:n])}
    return d


BASE = _trimmed()
EXP0 = BASE["result"]["experiments"][0]
KEY0 = next(iter(EXP0["counts"]))
SHOTS = EXP0["shots"]
CX = next(i for i, ins in enumerate(BASE["qobj"]["experiments"][0]["instructions"]) if ins["name"] == "cx")
MEAS = next(i for i, ins in enumerate(BASE["qobj"]["experiments"][0]["instructions"]) if ins["name"] == "measure")
DELAY = next(i for i, ins in enumerate(BASE["qobj"]["experiments"][0]["instructions"]) if ins["name"] == "delay")
INS = ("qobj", "experiments", 0, "instructions")
P_INS = 'qobj["experiments"][0]["instructions"]'
P_CNT = 'result["experiments"][0]["counts"]'


def _set(path, value):
    def make():
        d = copy.deepcopy(BASE)
        node = d
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
        return d
    return make


def _edit(fn):
    def make():
        d = copy.deepcopy(BASE)
        out = fn(d)
        return out if isinstance(out, (dict, str, bytes)) else d
    return make


def _counts(fn):
    return _edit(lambda d: fn(d["result"]["experiments"][0]["counts"]))


def _rebalance(counts, key, value):
    """Set counts[key] and keep the total at SHOTS by moving the difference onto another key."""
    other = next(k for k in counts if k != key)
    counts[other] += counts.get(key, 0) - value
    counts[key] = value


def _insert(ins):
    return _edit(lambda d: d["qobj"]["experiments"][0]["instructions"].insert(0, ins))


JOB_CASES = [
    ("count_negative", _counts(lambda c: c.__setitem__(KEY0, -5)), [f'{P_CNT}["{KEY0}"]=-5: a count must be a '
                                                                  "non-negative integer"]),
    ("count_fractional", _counts(lambda c: c.__setitem__(KEY0, 1.5)), [f'{P_CNT}["{KEY0}"]=1.5', "not float"]),
    ("count_string", _counts(lambda c: c.__setitem__(KEY0, "10")), [f'{P_CNT}["{KEY0}"]=\'10\'', "not str"]),
    ("count_bool", _counts(lambda c: c.__setitem__(KEY0, True)), [f'{P_CNT}["{KEY0}"]=True', "not bool"]),
    ("key_not_hex", _counts(lambda c: c.__setitem__("0xZZ", 1)), [f"{P_CNT}='0xZZ': a counts key must be hex"]),
    ("key_word", _counts(lambda c: c.__setitem__("heads", 1)), [f"{P_CNT}='heads': a counts key must be hex"]),
    ("key_bits_wrong_width", _counts(lambda c: _rebalance(c, "0101", 1)),
     [f"{P_CNT}='0101': has 4 bits but the register has memory_slots=7"]),
    ("key_hex_too_large", _counts(lambda c: _rebalance(c, "0xff", 1)),
     [f"{P_CNT}='0xff': names outcome 255, which does not fit memory_slots=7"]),
    ("key_hex_huge", _counts(lambda c: _rebalance(c, "0x" + "f" * 100_000, 1)), ["a hex key this long cannot fit"]),
    ("counts_do_not_sum", _counts(lambda c: c.__setitem__(KEY0, c[KEY0] + 1)),
     [f'result["experiments"][0]["shots"]={SHOTS}: but the counts sum to {SHOTS + 1}']),
    ("shots_string", _set(("result", "experiments", 0, "shots"), "100000"),
     ['result["experiments"][0]["shots"]=\'100000\': shots must be an integer, not str']),
    ("shots_10_400", _set(("result", "experiments", 0, "shots"), 10**400), ["shots must be in [1, 1e+09]"]),
    ("shots_zero", _set(("result", "experiments", 0, "shots"), 0), ['["shots"]=0: shots must be in']),
    ("shots_negative", _set(("result", "experiments", 0, "shots"), -100), ['["shots"]=-100']),
    ("no_counts", _edit(lambda d: d["result"]["experiments"][0].pop("counts") and None), ["no counts"]),
    ("counts_null", _set(("result", "experiments", 0, "counts"), None), ["no counts"]),
    ("counts_list", _set(("result", "experiments", 0, "counts"), [1, 2]), [f"{P_CNT}=list[2]", "dictionary"]),
    ("data_counts_variant_bad_key", _edit(lambda d: d["result"]["experiments"][0].update(
        {"data": {"counts": {"0xZZ": SHOTS}}}) or d["result"]["experiments"][0].pop("counts") and None),
     ["result[\"experiments\"][0][\"data\"][\"counts\"]='0xZZ'"]),
    ("rz_nan", _insert({"name": "rz", "params": [float("nan")], "qubits": [0]}),
     [f'{P_INS}[0]["params"][0]=nan: must be a finite number']),
    ("rz_infinity", _insert({"name": "rz", "params": [float("inf")], "qubits": [0]}),
     [f'{P_INS}[0]["params"][0]=inf: must be a finite number']),
    ("rz_string", _insert({"name": "rz", "params": ["pi/2"], "qubits": [0]}),
     [f'{P_INS}[0]["params"][0]=\'pi/2\': must be a number, not str']),
    ("rz_no_param", _insert({"name": "rz", "params": [], "qubits": [0]}), [f'{P_INS}[0]["params"]=', "takes 1"]),
    ("delay_negative", _set((*INS, DELAY, "params"), [-16]), [f'{P_INS}[{DELAY}]["params"][0]=-16', "must be in"]),
    ("delay_fractional", _set((*INS, DELAY, "params"), [16.5]), ["a delay in dt must be a whole number"]),
    ("delay_huge", _set((*INS, DELAY, "params"), [1e20]), [f'{P_INS}[{DELAY}]["params"][0]=1e+20']),
    ("unknown_instruction", _set((*INS, CX, "name"), "u3"), [f'{P_INS}[{CX}]["name"]=\'u3\': unsupported instruction']),
    ("instruction_name_int", _set((*INS, CX, "name"), 5), [f'{P_INS}[{CX}]["name"]=5', "valid string"]),
    ("cx_one_qubit", _set((*INS, CX, "qubits"), [1]), [f'{P_INS}[{CX}]["qubits"]=', "acts on 2 qubit(s)"]),
    ("cx_repeated_qubit", _set((*INS, CX, "qubits"), [1, 1]), [f'{P_INS}[{CX}]["qubits"]=', "repeats a qubit"]),
    ("qubit_outside", _set((*INS, CX, "qubits"), [1, 99]), [f'{P_INS}[{CX}]["qubits"][1]=99: outside the register']),
    ("qubit_negative", _set((*INS, CX, "qubits"), [-1, 2]), [f'{P_INS}[{CX}]["qubits"][0]=-1']),
    ("qubit_string", _set((*INS, CX, "qubits"), ["1", 2]), [f'{P_INS}[{CX}]["qubits"][0]=\'1\'']),
    ("measure_no_memory", _edit(lambda d: d["qobj"]["experiments"][0]["instructions"][MEAS].pop("memory") and None),
     [f'{P_INS}[{MEAS}]["memory"]=None: a measure writes exactly one memory slot']),
    ("measure_memory_outside", _set((*INS, MEAS, "memory"), [20]),
     [f'{P_INS}[{MEAS}]["memory"][0]=20: outside memory_slots=7']),
    ("instructions_missing", _edit(lambda d: d["qobj"]["experiments"][0].pop("instructions") and None),
     ['qobj["experiments"][0]: missing field "instructions"']),
    ("n_qubits_string", _edit(lambda d: [d["qobj"]["experiments"][0][k].update({"n_qubits": "27"})
                                         for k in ("header", "config")]),
     ['qobj["experiments"][0]["', '"n_qubits"]=\'27\'']),
    ("n_qubits_missing", _edit(lambda d: [d["qobj"]["experiments"][0][k].pop("n_qubits") for k in ("header", "config")]),
     ['qobj["experiments"][0]["header"]=None: n_qubits is missing']),
    ("memory_slots_huge", _edit(lambda d: [d["qobj"]["experiments"][0][k].update({"memory_slots": 10**7})
                                           for k in ("header", "config")]), ["memory_slots", "10000000"]),
    ("fewer_results", _edit(lambda d: d["result"]["experiments"].pop() and None),
     ['result["experiments"]=\'list[2]\': 2 results but qobj has 3 experiments']),
    ("no_experiments", _edit(lambda d: [d[k].update({"experiments": []}) for k in ("qobj", "result")]),
     ['qobj["experiments"]=list[0](): no experiments']),
    ("qobj_missing", _edit(lambda d: d.pop("qobj") and None), ["missing top-level key 'qobj'"]),
    ("top_level_list", lambda: "[]", ["expected a JSON object at the top level, got list"]),
    ("binary_garbage", lambda: bytes(range(256)) * 64, ["not UTF-8 text"]),
    ("truncated", lambda: JOB.read_text()[:20_000], ["not valid JSON (truncated file?)"]),
    ("duplicate_key", lambda: json.dumps(BASE).replace('"qobj_id"', '"qobj_id": "x", "qobj_id"', 1),
     ["duplicate key 'qobj_id'"]),
    ("props_value_string", _set(("backend_properties", "qubits", 0, 0, "value"), "92.1"),
     ['backend_properties["qubits"][0][0]["value"]=\'92.1\': must be a number, not str']),
    ("props_value_nan", _set(("backend_properties", "qubits", 0, 1, "value"), float("nan")),
     ['backend_properties["qubits"][0][1]["value"]=nan: must be a finite number']),
    ("props_value_10_400", _set(("backend_properties", "qubits", 0, 4, "value"), 10**400),
     ['backend_properties["qubits"][0][4]["value"]=1000', "beyond the float range"]),
    ("props_gate_qubit_outside", _set(("backend_properties", "gates", 0, "qubits"), [99]),
     ['backend_properties["gates"][0]["qubits"][0]=99: outside the device\'s 27 qubits']),
    ("props_missing_date", _edit(lambda d: d["backend_properties"].pop("last_update_date") and None),
     ['backend_properties: missing field "last_update_date"']),
    ("conf_n_qubits_string", _set(("backend_configuration", "n_qubits"), "27"),
     ['backend_configuration["n_qubits"]=\'27\'']),
    ("conf_dt_negative", _set(("backend_configuration", "dt"), -1.0), ["dt=-1.0 must be a duration in seconds"]),
    ("conf_edge_outside", _edit(lambda d: d["backend_configuration"]["coupling_map"].append([0, 99])),
     ['backend_configuration["coupling_map"]', "=list[2](0, 99): not an edge"]),
    ("conf_self_loop", _edit(lambda d: d["backend_configuration"]["coupling_map"].append([3, 3])),
     ["=list[2](3, 3): not an edge between two qubits"]),
    ("result_experiments_not_list", _set(("result", "experiments"), {"0": {}}), ['result["experiments"]=dict[1]']),
]


# ---------------------------------------------------------------------------- datasets (own format)
def _small_dataset() -> HardwareDataset:
    prof = load_profile("line5")
    a = QuantumCircuit(2, 2, name="bell")
    a.h(0)
    a.cx(0, 1)
    a.delay(1280, 0, unit="ns")
    a.measure([0, 1], [0, 1])
    b = QuantumCircuit(1, 1, name="flip")
    b.x(0)
    b.delay(1.5, 0, unit="us")
    b.measure(0, 0)
    return HardwareDataset("small", "line5", "2026-01-01", (
        MeasuredCircuit("bell", a, {"00": 480, "11": 500, "01": 20}, False, None, "line5", {"k": 1}),
        MeasuredCircuit("flip", b, {"1": 97, "0": 3}, False, "1", "line5")), {"line5": prof}, {}, "test")


@pytest.fixture(scope="module")
def good_dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good") / "ds"
    save_dataset(_small_dataset(), folder)
    return folder


def _meta_edit(fn):
    def apply(folder):
        meta = json.loads((folder / "dataset.json").read_text())
        out = fn(meta)
        (folder / "dataset.json").write_text(out if isinstance(out, str) else json.dumps(meta))
    return apply


def _c0(fn):
    return _meta_edit(lambda m: fn(m["circuits"][0]) and None)


def _write_qpy(folder, circuits):
    buf = io.BytesIO()
    qpy.dump(circuits, buf)
    (folder / "circuits.qpy").write_bytes(buf.getvalue())


def _nan_circuit(folder):
    qc = QuantumCircuit(2, 2)
    qc.rz(float("nan"), 0)
    qc.measure([0, 1], [0, 1])
    b = QuantumCircuit(1, 1)
    b.measure(0, 0)
    _write_qpy(folder, [qc, b])
    _meta_edit(lambda m: [c.update({"delays": []}) for c in m["circuits"]])(folder)


def _unbound_circuit(folder):
    qc = QuantumCircuit(2, 2)
    qc.rz(Parameter("theta"), 0)
    qc.measure([0, 1], [0, 1])
    b = QuantumCircuit(1, 1)
    b.measure(0, 0)
    _write_qpy(folder, [qc, b])
    _meta_edit(lambda m: [c.update({"delays": []}) for c in m["circuits"]])(folder)


DSJ = "dataset.json"
DS_CASES = [
    ("schema_version_9", _meta_edit(lambda m: m.update({"schema_version": 9})), [f"{DSJ}: schema_version=9"]),
    ("schema_version_string", _meta_edit(lambda m: m.update({"schema_version": "2"})), ["schema_version='2'"]),
    ("counts_key_spaces", _c0(lambda c: c["counts"].update({"1 0": c["counts"].pop("01")})),
     ['circuits[0]["counts"]=\'1 0\': a counts key must be a bitstring']),
    ("counts_key_width", _c0(lambda c: c["counts"].update({"011": c["counts"].pop("01")})),
     ['circuits[0]["counts"]=\'011\': has 3 bits but the circuit has 2 classical bits']),
    ("counts_key_hex", _c0(lambda c: c["counts"].update({"0x1": c["counts"].pop("01")})),
     ["='0x1': a counts key must be a bitstring"]),
    ("counts_negative", _c0(lambda c: c["counts"].update({"01": -20})),
     ['circuits[0]["counts"]["01"]=-20: a count must be a non-negative integer']),
    ("counts_float", _c0(lambda c: c["counts"].update({"01": 20.0})), ['["counts"]["01"]=20.0', "not float"]),
    ("counts_string", _c0(lambda c: c["counts"].update({"01": "20"})), ['["counts"]["01"]=\'20\'', "not str"]),
    ("counts_empty", _c0(lambda c: c.update({"counts": {}, "shots": None})), ['circuits[0]["counts"]=dict[0](): no shots']),
    ("shots_mismatch", _c0(lambda c: c.update({"shots": 999})), ['circuits[0]["shots"]=999: but the counts sum to 1000']),
    ("shots_string", _c0(lambda c: c.update({"shots": "1000"})), ['circuits[0]["shots"]=\'1000\'']),
    ("shots_10_400", _c0(lambda c: c.update({"shots": 10**400})), ['circuits[0]["shots"]=1000', "at most"]),
    ("answer_width", _meta_edit(lambda m: m["circuits"][1].update({"answer": "10"})),
     ['circuits[1]["answer"]=\'10\': must be a bitstring of the circuit\'s 1 classical bits']),
    ("answer_not_bits", _meta_edit(lambda m: m["circuits"][1].update({"answer": "x"})), ['circuits[1]["answer"]=\'x\'']),
    ("snapshot_unknown", _c0(lambda c: c.update({"snapshot": "nope"})),
     ['circuits[0]["snapshot"]=\'nope\': is not in snapshots']),
    ("snapshot_path_traversal", _meta_edit(lambda m: m["snapshots"].update({"line5": "../../etc/passwd.yaml"})),
     ['snapshots["line5"]=\'../../etc/passwd.yaml\': must be a relative path inside the dataset folder']),
    ("snapshot_absolute", _meta_edit(lambda m: m["snapshots"].update({"line5": "/etc/x.yaml"})),
     ["must be a relative path inside"]),
    ("snapshot_file_invalid", lambda f: (f / "snapshots" / "line5.yaml").write_text("name: [\n"),
     ["snapshots['line5']", "not valid YAML"]),
    ("raw_snapshot_not_object", lambda f: (_meta_edit(lambda m: m.update({"raw_snapshots": {"r": "raw.json"}}))(f),
                                           (f / "raw.json").write_text("[1]")),
     ["raw.json: expected an object with 'properties' and 'configuration'"]),
    ("qpy_garbage", lambda f: (f / "circuits.qpy").write_bytes(b"QISKIT" + bytes(range(256)) * 8),
     ["circuits.qpy: not a readable QPY file"]),
    ("qpy_random", lambda f: (f / "circuits.qpy").write_bytes(bytes(range(256)) * 8),
     ["circuits.qpy: not a readable QPY file"]),
    ("qpy_missing", lambda f: (f / "circuits.qpy").unlink(), ["circuits.qpy: missing"]),
    ("fewer_entries", _meta_edit(lambda m: m["circuits"].pop()), ["2 circuits in circuits.qpy but 1 entries"]),
    ("duplicate_names", _meta_edit(lambda m: m["circuits"][1].update({"name": "bell"})),
     ['circuits[1]["name"]=\'bell\': two circuits have this name']),
    ("delay_path_not_delay", _c0(lambda c: c["delays"][0].update({"path": [0]})),
     ['circuits[0]["delays"][0]["path"]=list[1](0): names a \'h\', not a delay']),
    ("delay_path_outside", _c0(lambda c: c["delays"][0].update({"path": [99]})),
     ['circuits[0]["delays"][0]["path"]=list[1](99): does not name an instruction']),
    ("delay_unit_unknown", _c0(lambda c: c["delays"][0].update({"unit": "min"})),
     ['circuits[0]["delays"][0]["unit"]=\'min\'']),
    ("delay_duration_nan", lambda f: _c0(lambda c: c["delays"][0].update({"duration": "NAN"}))(f) or
     (f / DSJ).write_text((f / DSJ).read_text().replace('"NAN"', "NaN")),
     ['circuits[0]["delays"][0]["duration"]=nan: must be a finite number']),
    ("delay_duration_10_400", _c0(lambda c: c["delays"][0].update({"duration": 10**400})),
     ['circuits[0]["delays"][0]["duration"]=1000', "must be a finite number"]),
    ("delay_duration_negative", _c0(lambda c: c["delays"][0].update({"duration": -3})),
     ['circuits[0]["delays"][0]["duration"]=-3.0: a delay must be >= 0']),
    ("entry_unknown_field", _c0(lambda c: c.update({"cuonts": {}})), ['circuits[0]: unknown field "cuonts"']),
    ("name_missing", _c0(lambda c: c.pop("name")), ['circuits[0]: missing field "name"']),
    ("name_int", _c0(lambda c: c.update({"name": 5})), ['circuits[0]["name"]=5']),
    ("physical_string", _c0(lambda c: c.update({"physical": "yes"})), ['circuits[0]["physical"]=\'yes\'']),
    ("dataset_json_garbage", lambda f: (f / DSJ).write_bytes(b"\x00\xff" * 100), ["dataset.json", "not UTF-8 text"]),
    ("dataset_json_truncated", lambda f: (f / DSJ).write_text((f / DSJ).read_text()[:100]), ["not valid JSON"]),
    ("dataset_json_deep", lambda f: (f / DSJ).write_text("[" * 10_000 + "]" * 10_000), ["nesting is too deep"]),
    ("nan_angle_in_qpy", _nan_circuit, ["circuits[0]", "has the non-finite parameter nan"]),
    ("unbound_parameter", _unbound_circuit, ["circuits[0]", "unbound parameters ['theta']"]),
]


def test_case_counts():
    assert len(JOB_CASES) >= 45 and len(DS_CASES) >= 35
    assert len({c[0] for c in JOB_CASES}) == len(JOB_CASES) and len({c[0] for c in DS_CASES}) == len(DS_CASES)


def _write_job(tmp_path, cid, make):
    content = make()
    folder = tmp_path / cid
    folder.mkdir()
    f = folder / JOB.name
    if isinstance(content, bytes):
        f.write_bytes(content)
    elif isinstance(content, str):
        f.write_text(content)
    else:
        f.write_text(json.dumps(content))
    return f


def _write_ds(tmp_path, good, cid, apply):
    import shutil

    folder = tmp_path / cid
    shutil.copytree(good, folder)
    apply(folder)
    return folder


def test_trimmed_base_job_is_valid():
    job = ibm_job_from_data(copy.deepcopy(BASE), source="base")
    assert len(job.circuits) == 3 and all(c.shots == SHOTS for c in job.circuits)


@pytest.mark.parametrize("cid,make,needles", JOB_CASES, ids=[c[0] for c in JOB_CASES])
def test_malformed_ibm_job(tmp_path, cid, make, needles):
    f = _write_job(tmp_path, cid, make)
    with pytest.raises(DataError) as info:
        load_ibm_job(f)
    msg = str(info.value)
    assert str(f) in msg, msg
    for needle in needles:
        assert needle in msg, (cid, needle, msg)
    assert len(msg) < 1500
    # the folder is a dataset (an IBM archive): the same error through load_dataset
    with pytest.raises(DataError, match=re.escape(needles[0])):
        load_dataset(f.parent)


@pytest.mark.parametrize("cid,apply,needles", DS_CASES, ids=[c[0] for c in DS_CASES])
def test_malformed_dataset(tmp_path, good_dataset, cid, apply, needles):
    folder = _write_ds(tmp_path, good_dataset, cid, apply)
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    msg = str(info.value)
    assert str(folder) in msg, msg
    for needle in needles:
        assert needle in msg, (cid, needle, msg)
    assert len(msg) < 1500


def test_the_good_dataset_loads(good_dataset):
    ds = load_dataset(good_dataset)
    assert [c.name for c in ds.circuits] == ["bell", "flip"]


def test_save_refuses_what_load_would_refuse(tmp_path):
    ds = _small_dataset()
    bad = HardwareDataset(ds.name, ds.device, ds.date, (
        MeasuredCircuit("bell", ds.circuits[0].circuit, {"0 1": 10}, False, None, "line5"),), ds.snapshots)
    with pytest.raises(DataError, match="a counts key must be a bitstring"):
        save_dataset(bad, tmp_path / "x")
    nan = QuantumCircuit(1, 1)
    nan.rx(float("nan"), 0)
    nan.measure(0, 0)
    bad = HardwareDataset("n", "line5", "", (MeasuredCircuit("n", nan, {"0": 1}),), {})
    with pytest.raises(DataError, match="non-finite parameter nan"):
        save_dataset(bad, tmp_path / "y")
    bad = HardwareDataset("n", "line5", "", (MeasuredCircuit("a", nan.copy_empty_like(), {"0": 1}, snapshot="zz"),), {})
    with pytest.raises(DataError, match="is not one of the dataset's snapshots"):
        save_dataset(bad, tmp_path / "z")
    assert not (tmp_path / "z" / "dataset.json").exists()


def test_cli_bench_on_malformed_data(tmp_path, good_dataset):
    """0 tracebacks, 0 hangs: `qpu-twin bench DIR` on every malformed job archive and dataset, one line, exit 1."""
    (tmp_path / "jobs").mkdir()
    dirs = [_write_job(tmp_path / "jobs", cid, make).parent for cid, make, _ in JOB_CASES]
    dirs += [_write_ds(tmp_path / "ds", good_dataset, cid, apply) for cid, apply, _ in DS_CASES]
    records = run_batch([["bench", str(d), "--models", "ideal"] for d in dirs], limit_each=120)
    assert problems(records) == []
    for (cid, _, needles), r in zip(JOB_CASES + DS_CASES, records):
        assert r["status"] == 1 and needles[0] in r["stderr"], (cid, r["stderr"])
    proc = run_module(["bench", str(dirs[len(JOB_CASES) + DS_CASES.index(
        next(c for c in DS_CASES if c[0] == "qpy_garbage"))]), "--models", "ideal"], timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "not a readable QPY file" in proc.stderr


# ---------------------------------------------------------------------------- property-based
def _paths(node, path=(), depth=0):
    out = [path] if path else []
    if isinstance(node, dict):
        items = list(node.items())
        if path[-1:] == ("counts",):
            items = items[:4]
        for k, v in items:
            out += _paths(v, (*path, k), depth + 1)
    elif isinstance(node, list):
        for i in sorted({0, len(node) // 2, len(node) - 1} if node else set()):
            out += _paths(node[i], (*path, i), depth + 1)
    return out


_MUT_PATHS = _paths(BASE)
_DROP = object()


def _replace(node, path, fn):
    if not path:
        return fn(node)
    head, rest = path[0], path[1:]
    new = dict(node) if isinstance(node, dict) else list(node)
    value = _replace(node[head], rest, fn)
    if value is _DROP:
        del new[head]
    else:
        new[head] = value
    return new


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["0x1", "0x7f", "0xff", "1010101", "abc", "", "rz", "delay", "27"]),
                    st.lists(st.integers(-1, 30), max_size=3), st.just({}))
_LOC = re.compile(r"(\w+\[|\w+=|missing (top-level key|field)|\(top level\)|no counts|unknown field)")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_ibm_job_is_refused_with_a_location_or_valid(data):
    """Drop / retype / scale / truncate a random field of a real job file (3 of its experiments): a DataError
    naming the source and a location, or a job whose circuits and counts are all valid."""
    path = data.draw(st.sampled_from(_MUT_PATHS))
    op = data.draw(st.sampled_from(["drop", "retype", "scale", "truncate"]))

    def mutate(old):
        if op == "drop":
            return _DROP
        if op == "retype":
            return data.draw(_VALUES)
        if op == "scale":
            f = data.draw(st.sampled_from([-1, 0, 2, 10**400, 0.5, float("nan"), float("inf")]))
            if not isinstance(old, (int, float)) or isinstance(old, bool):
                return f
            try:
                return old * f
            except OverflowError:  # a float times 10**400: the file then holds the factor itself
                return f
        if isinstance(old, (str, list)):
            return old[: data.draw(st.integers(0, max(len(old) - 1, 0)))]
        if isinstance(old, dict):
            return dict(list(old.items())[: data.draw(st.integers(0, max(len(old) - 1, 0)))])
        return old
    mutated = _replace(BASE, path, mutate)
    try:
        job = ibm_job_from_data(mutated, source="mutated.json")
    except DataError as exc:
        msg = str(exc)
        assert msg.startswith("mutated.json: ") and _LOC.search(msg), msg
        return
    for c in job.circuits:
        assert c.shots >= 1 and all(isinstance(v, int) and v >= 0 for v in c.counts.values())
        width = c.circuit.num_clbits
        assert all(len(k) == width and set(k) <= {"0", "1"} for k in c.counts)
        for inst in c.circuit.data:
            for p in inst.operation.params:
                assert math.isfinite(float(p))
    validate_ibm_job(mutated, source="again")  # the same validation passes again


def test_metrics_refuse_non_finite_inputs():
    from qpu_twin.errors import ArgumentError
    from qpu_twin.metrics import hellinger, tvd

    for bad in ({"0": float("nan"), "1": 0.5}, {"0": float("inf")}, {"0": -1.0, "1": 2.0}):
        with pytest.raises(ArgumentError):
            hellinger(bad, {"0": 1.0})
        with pytest.raises(ArgumentError):
            tvd({"0": 1.0}, bad)
