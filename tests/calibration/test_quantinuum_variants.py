"""Quantinuum data files (issue #18): every upstream variant parses; malformed files end in one DataError
naming the file, the path inside it and the value (API and CLI, no tracebacks, no hangs); mutated real
files are refused with a location or validate as the original; the published spec-sheet numbers are
reproduced (must-show 3); `calibrate history` over all H1-1 files (must-show 5)."""

from __future__ import annotations

import copy
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qpu_twin import DataError
from qpu_twin.calibration.history import SPEC_COMPARISONS, quantinuum_history, spec_sheet_comparison
from qpu_twin.calibration.quantinuum_data import (
    MIN_LENGTHS_DECAY,
    MIN_LENGTHS_RB,
    analyse_data,
    analyse_file,
    load_quantinuum,
    quantinuum_files,
    validate_quantinuum,
)
from qpu_twin.paths import calibration_data_dir

from .._cli_batch import problems, run_batch, run_module

FOLDER = calibration_data_dir() / "quantinuum"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "hardware_data" / "quantinuum"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/hardware_data/quantinuum")
FILES = quantinuum_files()


def _summary_only(data: dict, *, paren: bool = False) -> dict:
    """The summary fields of a file only (no qasm / raw data / expected_output); pairs as "(a, b)" if asked."""
    out = {"shots": data["shots"]}
    for key in ("survival", "leakage_postselect", "sequence_info"):
        if key in data:
            val = data[key]
            if paren and key != "sequence_info":
                val = {f"({k})" if "," in k else k: v for k, v in val.items()}
            out[key] = val
    return out


# ---------------------------------------------------------------------------- every real file and variant
def test_all_shared_files_are_copied_byte_identical():
    names = {p.name for p in FILES}
    assert len(names) == 36
    if SHARED.is_dir():
        shared = sorted(SHARED.glob("*__*__*.json"))
        assert {p.name for p in shared} == names
        for p in shared:
            assert (FOLDER / p.name).read_bytes() == p.read_bytes(), p.name
        assert (FOLDER / "LICENSE").read_bytes() == (SHARED / "LICENSE").read_bytes()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shared_file_parses_and_analyses(path):
    d = load_quantinuum(path)
    machine, date, kind = path.stem.split("__")
    assert d.machine == machine and d.date == date.replace("_", "-")
    assert d.kind.lower() == kind.lower()  # spam.json and SPAM.json
    assert not d.summary_only
    for per in d.survival.values():
        for node in per.values():
            for c in (node.values() if isinstance(node, dict) else [node]):
                assert isinstance(c, int) and 0 <= c <= d.shots
    results = analyse_data(d, bootstrap=20, seed=1)
    wanted = {q for q, _ in SPEC_COMPARISONS[d.kind]} - ({"gate_error", "leakage_per_gate"} if d.leakage is None else
                                                         set())
    assert wanted <= {r.quantity for r in results}
    for r in results:
        assert math.isfinite(r.value) and math.isfinite(r.stderr) and r.stderr >= 0, r
        if r.quantity != "alpha":
            assert -1e-9 <= r.value <= 0.5, r


def test_upstream_variants_are_all_present():
    """The shipped files cover every variant the loader must handle."""
    raw = {p.name: json.loads(p.read_text()) for p in FILES}
    assert any("raw data" in d for d in raw.values()) and any("raw_data" in d for d in raw.values())
    assert any(n.endswith("__spam.json") for n in raw) and any(n.endswith("__SPAM.json") for n in raw)
    assert any(list(d["survival"]) == ["all"] for d in raw.values())
    infos = {type(d.get("sequence_info")).__name__ for d in raw.values()}
    assert {"dict", "list", "NoneType"} <= infos
    assert any(n.endswith("TQ_RB.json") and "leakage_postselect" not in d for n, d in raw.items())


def test_summary_only_paren_keyed_variant_gives_the_same_numbers(tmp_path):
    src = FOLDER / "H1-1__2023_01_20__TQ_RB.json"
    variant = _summary_only(json.loads(src.read_text()), paren=True)
    assert list(variant["survival"])[0] == "(0, 1)" and "qasm" not in variant
    f = tmp_path / src.name
    f.write_text(json.dumps(variant))
    d = load_quantinuum(f)
    assert d.summary_only and list(d.survival)[0] == "0, 1"
    a = {r.quantity: r for r in analyse_file(src, bootstrap=50, seed=3)}
    b = {r.quantity: r for r in analyse_file(f, bootstrap=50, seed=3)}
    assert set(a) == set(b)
    for q in a:
        assert b[q].value == a[q].value and b[q].stderr == a[q].stderr and b[q].qubits == a[q].qubits


def test_variant_without_file_name_is_detected_from_content(tmp_path):
    for name, kind in (("H1-1__2023_01_20__TQ_RB.json", "TQ_RB"), ("H1-1__2023_01_20__SQ_RB.json", "SQ_RB"),
                       ("H2-1__2023_03_10__Memory_RB.json", "Memory_RB"), ("H1-1__2022_06_09__spam.json", "SPAM"),
                       ("H1-2__2022_06_09__Measurement_crosstalk.json", "Measurement_crosstalk")):
        f = tmp_path / f"data_{kind}.json"
        f.write_text(json.dumps(_summary_only(json.loads((FOLDER / name).read_text()), paren=True)))
        assert load_quantinuum(f).kind == kind


# ---------------------------------------------------------------------------- malformed files
_BASES: dict[str, dict] = {}


def _base(name: str, *, summary: bool = True) -> dict:
    key = f"{name}:{summary}"
    if key not in _BASES:
        data = json.loads((FOLDER / name).read_text())
        _BASES[key] = _summary_only(data) if summary else data
    return copy.deepcopy(_BASES[key])


SQ = "H1-1__2023_01_20__SQ_RB.json"
TQ = "H1-1__2023_01_20__TQ_RB.json"
SPAM = "H1-1__2023_01_20__SPAM.json"
MEM = "H1-1__2023_01_20__Memory_RB.json"
MEMALL = "H2-1__2023_03_10__Memory_RB.json"
XT = "H1-1__2023_01_20__Measurement_crosstalk.json"
XT22 = "H1-1__2022_06_09__Measurement_crosstalk.json"


def _set(name, path, value, *, summary=True):
    def make():
        d = _base(name, summary=summary)
        node = d
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
        return d
    return make


def _edit(name, fn, *, summary=True):
    def make():
        d = _base(name, summary=summary)
        out = fn(d)
        return out if isinstance(out, (dict, str, bytes)) else d  # edits in place return None (or a list)
    return make


def _keep_lengths(lengths):
    def fn(d):
        for key in ("survival", "leakage_postselect"):
            if key in d:
                for per in d[key].values():
                    for L in list(per):
                        if L not in lengths:
                            del per[L]
        if isinstance(d.get("sequence_info"), dict):
            d["sequence_info"] = {L: v for L, v in d["sequence_info"].items() if L in lengths}
    return fn


def _first_raw(d):
    return next(iter(d["raw_data"]))


# (id, file name, content maker (dict or text/bytes), needles)
CASES = [
    ("count_over_shots", SQ, _set(SQ, ("survival", "0", "128", "3"), 101),
     ['survival["0"]["128"]["3"]=101: a count cannot exceed shots=100']),
    ("count_negative", SQ, _set(SQ, ("survival", "0", "128", "3"), -1),
     ['survival["0"]["128"]["3"]=-1: a count must be a non-negative integer']),
    ("count_fractional", SQ, _set(SQ, ("survival", "0", "128", "3"), 99.5),
     ['survival["0"]["128"]["3"]=99.5: a count must be a non-negative integer, not float']),
    ("count_integral_float", SQ, _set(SQ, ("survival", "1", "2", "0"), 99.0), ['=99.0: a count', 'not float']),
    ("count_bool", SQ, _set(SQ, ("survival", "1", "2", "0"), True), ['survival["1"]["2"]["0"]=True', "not bool"]),
    ("count_string", SQ, _set(SQ, ("survival", "1", "2", "0"), "99"), ["='99'", "not str"]),
    ("count_null", SQ, _set(SQ, ("survival", "1", "2", "0"), None), ["=None", "not NoneType"]),
    ("count_nan", SQ, lambda: json.dumps(_base(SQ)).replace('"0": 99', '"0": NaN', 1), ["=nan", "not float"]),
    ("count_huge", SQ, _set(SQ, ("survival", "1", "2", "0"), 10**30), ["a count must be at most"]),
    ("shots_string", SQ, _set(SQ, ("shots",), "100"), ["shots='100': shots must be an integer, not str"]),
    ("shots_10_400", SQ, _set(SQ, ("shots",), 10**400), ["shots=1000000", "shots must be in [1, 1e+09]"]),
    ("shots_zero", SQ, _set(SQ, ("shots",), 0), ["shots=0: shots must be in"]),
    ("shots_float", SQ, _set(SQ, ("shots",), 100.0), ["shots=100.0", "not float"]),
    ("shots_infinity", SQ, lambda: json.dumps(_base(SQ)).replace('"shots": 100', '"shots": Infinity', 1),
     ["shots=inf", "not float"]),
    ("shots_missing", SQ, _edit(SQ, lambda d: d.pop("shots") and None), ["missing field 'shots'"]),
    ("survival_missing", SQ, _edit(SQ, lambda d: d.pop("survival") and None), ["missing field 'survival'"]),
    ("survival_list", SQ, _set(SQ, ("survival",), [1, 2]), ["survival=list[2]", "dictionary"]),
    ("survival_empty", SQ, _set(SQ, ("survival",), {}), ["survival", "must be a non-empty mapping"]),
    ("qubit_key_word", SQ, _edit(SQ, lambda d: d["survival"].update({"x": d["survival"].pop("3")})),
     ["survival='x': a qubit key must be a non-negative integer"]),
    ("length_key_word", SQ, _edit(SQ, lambda d: d["survival"]["0"].update({"abc": d["survival"]["0"].pop("32")})),
     ["""survival["0"]='abc': a sequence length must be a non-negative integer"""]),
    ("length_zero", SQ, _edit(SQ, lambda d: [per.update({"0": per.pop("32")}) for per in d["survival"].values()]),
     ["an RB sequence length must be >= 1"]),
    ("qubit_missing_a_length", SQ, _edit(SQ, lambda d: d["survival"]["4"].pop("512") and None),
     ['survival["4"]=', "has lengths", "(missing ['512'])"]),
    ("qubit_missing_a_sequence", SQ, _edit(SQ, lambda d: d["survival"]["5"]["32"].pop("2") and None),
     ['survival["5"]["32"]=', "has 4 sequences", "has 5"]),
    ("leakage_missing_qubit", SQ, _edit(SQ, lambda d: d["leakage_postselect"].pop("9") and None),
     ["leakage_postselect=", "the two must have the same shape"]),
    ("leakage_missing_sequence", SQ, _edit(SQ, lambda d: d["leakage_postselect"]["2"]["128"].pop("4") and None),
     ['leakage_postselect["2"]["128"]=', "has 4 sequences"]),
    ("leakage_over_shots", SQ, _set(SQ, ("leakage_postselect", "0", "2", "0"), 500),
     ['leakage_postselect["0"]["2"]["0"]=500: a count cannot exceed shots=100']),
    ("sequence_info_lengths", SQ, _edit(SQ, lambda d: d["sequence_info"].update({"4096": 5})),
     ["sequence_info=", "names lengths", "4096"]),
    ("sequence_info_count", SQ, _set(SQ, ("sequence_info", "2"), 7),
     ['sequence_info["2"]=7: but survival["0"]["2"] has 5 sequences']),
    ("sequence_info_string", SQ, _set(SQ, ("sequence_info", "2"), "5"), ['sequence_info["2"]=\'5\'']),
    ("one_length_with_leakage", SQ, _edit(SQ, _keep_lengths({"2"})),
     ["1 distinct sequence length(s)", f"needs at least {MIN_LENGTHS_DECAY}"]),
    ("two_lengths_with_leakage", SQ, _edit(SQ, _keep_lengths({"2", "512"})),
     ["2 distinct sequence length(s): the leakage decay fit"]),
    ("memory_one_length", MEM, _edit(MEM, _keep_lengths({"8"})),
     ["1 distinct sequence length(s): a memory-error (RB-type) fit needs at least " f"{MIN_LENGTHS_RB}"]),
    ("unknown_field", SQ, _edit(SQ, lambda d: d.update({"survivall": {}})), ['unknown field "survivall"',
                                                                             "known fields"]),
    ("raw_data_twice", SQ, _edit(SQ, lambda d: d.update({"raw data": {}, "raw_data": {}})),
     ["both 'raw data' and 'raw_data'"]),
    ("top_level_list", SQ, lambda: "[1, 2, 3]", ["expected a JSON object at the top level, got list"]),
    ("truncated", SQ, lambda: (FOLDER / SQ).read_text()[:5000], ["not valid JSON (truncated file?)"]),
    ("binary_garbage", SQ, lambda: bytes(range(256)) * 16, ["not UTF-8 text"]),
    ("empty_file", SQ, lambda: "", ["not valid JSON"]),
    ("deep_nesting", SQ, lambda: '{"shots": 100, "qasm": ' + "[" * 5000 + "]" * 5000 + "}",
     ["nesting is too deep"]),
    ("duplicate_key", SQ, lambda: json.dumps(_base(SQ)).replace('"shots": 100', '"shots": 100, "shots": 50', 1),
     ["duplicate key 'shots'"]),
    ("pair_same_qubit", TQ, _edit(TQ, lambda d: [d[k].update({"3, 3": d[k].pop("2, 3")})
                                                 for k in ("survival", "leakage_postselect")]),
     ["survival='3, 3': a pair needs two different qubits"]),
    ("pair_dash", TQ, _edit(TQ, lambda d: [d[k].update({"2-3": d[k].pop("2, 3")})
                                           for k in ("survival", "leakage_postselect")]),
     ["survival='2-3': a two-qubit RB key must be a pair"]),
    ("pair_unbalanced_paren", TQ, _edit(TQ, lambda d: [d[k].update({"(2, 3": d[k].pop("2, 3")})
                                                       for k in ("survival", "leakage_postselect")]),
     ["survival='(2, 3': a two-qubit RB key must be a pair"]),
    ("pair_twice", TQ, _edit(TQ, lambda d: [d[k].update({"(2, 3)": d[k]["2, 3"]})
                                            for k in ("survival", "leakage_postselect")]),
     ["survival='(2, 3)': names the same pair as another key"]),
    ("spam_missing_state", SPAM, _edit(SPAM, lambda d: d["survival"]["4"].pop("1") and None),
     ['survival["4"]=', "needs both prepared states"]),
    ("spam_state_2", SPAM, _edit(SPAM, lambda d: d["survival"]["4"].update({"2": 5})),
     ['survival["4"]["2"]=5: a SPAM entry is keyed by the prepared state']),
    ("spam_over_shots", SPAM, _set(SPAM, ("survival", "7", "0"), 1001),
     ['survival["7"]["0"]=1001: a count cannot exceed shots=1000']),
    ("spam_nested", SPAM, _set(SPAM, ("survival", "7", "0"), {"0": 3}), ['survival["7"]["0"]=dict[1]', "not dict"]),
    ("raw_not_bits", SQ, _edit(SQ, lambda d: d["raw_data"][_first_raw(d)]["c"].__setitem__(5, "0121011010"),
                                 summary=False), ['raw_data["SQ_RB', '["c"][5]=\'0121011010\': a shot must be a '
                                                  'bitstring']),
    ("raw_too_many_shots", SQ, _edit(SQ, lambda d: d["raw_data"][_first_raw(d)]["c"].extend(["0" * 10] * 5),
                                       summary=False), ["105 shots, more than shots=100"]),
    ("raw_width", SQ, _edit(SQ, lambda d: d["raw_data"][_first_raw(d)]["l"].__setitem__(7, "0" * 9), summary=False),
     ['["l"][7]=', "has 9 bits, the first shot has 10"]),
    ("raw_shot_int", SQ, _edit(SQ, lambda d: d["raw_data"][_first_raw(d)]["c"].__setitem__(0, 101), summary=False),
     ['["c"][0]=101', "valid string"]),
    ("raw_data_space_not_bits", XT22, _edit(XT22, lambda d: d["raw data"][next(iter(d["raw data"]))].__setitem__(
        3, "x" * 10), summary=False), ['raw data["', "[3]='xxxxxxxxxx': a shot must be a bitstring"]),
    ("expected_bad", SQ, _edit(SQ, lambda d: d["expected_output"][next(iter(d["expected_output"]))].__setitem__(
        "0", "2"), summary=False), ['expected_output["', "an expected outcome must be a bitstring"]),
    ("qasm_not_text", SQ, _edit(SQ, lambda d: d["qasm"].__setitem__(next(iter(d["qasm"])), 5), summary=False),
     ['qasm["', "=5", "valid string"]),
    ("crosstalk_two_counts", XT, _edit(XT, lambda d: [per.pop(k) for per in d["survival"].values() for k in ("50", "100",
                                                                                                          "150")]
                                       and d.pop("sequence_info") and None),
     ["2 distinct sequence length(s): a decay fit against the number of measurements needs at least 3"]),
    ("crosstalk_sequence_info", XT, _set(XT, ("sequence_info",), [0, 50, 100, 150, 300]),
     ["sequence_info=", "lists measurement counts"]),
    ("crosstalk_per_qubit_info", XT22, _set(XT22, ("sequence_info", "3"), [0, 50, 100, 150, 250]),
     ['sequence_info["3"]=', 'but survival["3"] has measurement counts']),
    ("crosstalk_count_list", XT, _set(XT, ("survival", "2", "50"), [99]), ['survival["2"]["50"]=list[1]']),
    ("memory_all_typo", MEMALL, _edit(MEMALL, lambda d: d["survival"].update({"al": d["survival"].pop("all")})),
     ["survival='al': a qubit key must be a non-negative integer or 'all'"]),
    ("name_unknown_type", "H1-1__2023_01_20__Foo_RB.json", lambda: _base(SQ), ["names type 'Foo_RB'"]),
    ("name_bad_date", "H1-1__2023_02_30__SQ_RB.json", lambda: _base(SQ), ["date '2023_02_30' is not a calendar date"]),
]


def _write_case(tmp_path, cid, name, make):
    content = make()
    folder = tmp_path / cid
    folder.mkdir()
    f = folder / name
    if isinstance(content, bytes):
        f.write_bytes(content)
    elif isinstance(content, str):
        f.write_text(content)
    else:
        f.write_text(json.dumps(content))
    return f


def test_case_count():
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("cid,name,make,needles", CASES, ids=[c[0] for c in CASES])
def test_malformed_quantinuum_file(tmp_path, cid, name, make, needles):
    f = _write_case(tmp_path, cid, name, make)
    with pytest.raises(DataError) as info:
        analyse_file(f, bootstrap=5)
    msg = str(info.value)
    assert str(f) in msg, msg  # the file is named
    for needle in needles:
        assert needle in msg, (cid, needle, msg)
    assert len(msg) < 1500


def test_cli_calibrate_on_malformed_files(tmp_path):
    """0 tracebacks, 0 hangs, one line and exit 1 for every malformed file through `qpu-twin calibrate FILE`."""
    files = [_write_case(tmp_path, cid, name, make) for cid, name, make, _ in CASES]
    records = run_batch([["calibrate", str(f), "--bootstrap", "5"] for f in files], limit_each=60)
    assert problems(records) == []
    for (cid, _, _, needles), r in zip(CASES, records):
        assert r["status"] == 1 and needles[0] in r["stderr"], (cid, r["stderr"])
    proc = run_module(["calibrate", str(files[10]), "--bootstrap", "5"], timeout=300)  # shots=10**400
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "shots must be in" in proc.stderr


# ---------------------------------------------------------------------------- property-based
_PROP_BASES = {
    "SPAM": (SPAM, False), "SQ_RB": (SQ, True), "TQ_RB_paren": (TQ, True), "Memory_RB_all": (MEMALL, True),
    "Measurement_crosstalk_2022": (XT22, True),
}
_KIND = {"SPAM": "SPAM", "SQ_RB": "SQ_RB", "TQ_RB_paren": "TQ_RB", "Memory_RB_all": "Memory_RB",
         "Measurement_crosstalk_2022": "Measurement_crosstalk"}
_LOC = re.compile(r"(\w+( \w+)?\[|\(top level\)|missing field|unknown field|shots=|survival|both 'raw data'|"
                  r"sequence_info|leakage_postselect|nesting|(qasm|raw data|raw_data|expected_output)=)")


def _paths(node, path=()):
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):  # a few entries of the long per-shot lists
            out += _paths(v, (*path, i))
    return out


_PROP_DATA = {}


def _prop_base(key):
    if key not in _PROP_DATA:
        name, summary = _PROP_BASES[key]
        d = _base(name, summary=summary)
        if key == "TQ_RB_paren":
            d = _summary_only(d, paren=True)
        _PROP_DATA[key] = (d, _paths(d))
    return _PROP_DATA[key]


def _replace(node, path, fn):
    """A copy of ``node`` with the value at ``path`` replaced by ``fn(old)`` (copy on write: cheap)."""
    if not path:
        return fn(node)
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        new = dict(node)
        value = _replace(node[head], rest, fn)
        if value is _DROP:
            del new[head]
        else:
            new[head] = value
        return new
    new = list(node)
    value = _replace(node[head], rest, fn)
    if value is _DROP:
        del new[head]
    else:
        new[head] = value
    return new


_DROP = object()
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(alphabet="01x, ()", max_size=6), st.lists(st.integers(0, 3), max_size=2), st.just({}))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_quantinuum_file_is_refused_with_a_location_or_valid(data):
    """Drop / retype / scale / truncate a random field of a real file (all five types, the "(0, 1)" and
    "all" variants): a DataError naming the source and a location, or data that validates like the original
    and analyses to finite numbers in range."""
    key = data.draw(st.sampled_from(sorted(_PROP_BASES)))
    base, paths = _prop_base(key)
    path = data.draw(st.sampled_from(paths))
    op = data.draw(st.sampled_from(["drop", "retype", "scale", "truncate"]))

    def mutate(old):
        if op == "drop":
            return _DROP
        if op == "retype":
            return data.draw(_VALUES)
        if op == "scale":
            f = data.draw(st.sampled_from([-1, 0, 2, 10, 10**400, 0.5, float("nan")]))
            return old * f if isinstance(old, int) and not isinstance(old, bool) else f
        if isinstance(old, (str, list)):
            return old[: data.draw(st.integers(0, max(len(old) - 1, 0)))]
        if isinstance(old, dict):
            return dict(list(old.items())[: data.draw(st.integers(0, max(len(old) - 1, 0)))])
        return old
    mutated = _replace(base, path, mutate)
    try:
        d = validate_quantinuum(mutated, source="mutated.json", kind=_KIND[key])
    except DataError as exc:
        msg = str(exc)
        assert msg.startswith("mutated.json: ") and _LOC.search(msg), msg
        return
    assert isinstance(d.shots, int) and 1 <= d.shots <= 10**9
    for tree in (d.survival, d.leakage or {}):
        for per in tree.values():
            for node in per.values():
                for c in (node.values() if isinstance(node, dict) else [node]):
                    assert type(c) is int and 0 <= c <= d.shots
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = analyse_data(d, bootstrap=0)
    for r in results:
        assert math.isfinite(r.value), r
        assert -1e-9 <= r.value <= 1.0 + 1e-9, r


# ---------------------------------------------------------------------------- must-show 3: the spec sheet
SPEC_FILES = [p for p in FILES if not p.stem.split("__")[1].startswith("2025")]


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.stem for p in SPEC_FILES])
def test_reproduces_the_spec_sheet(path):
    """Each number of Spec_sheet_parameters.csv that these files produced (1Q / 2Q errors and their legacy
    and leakage parts, SPAM, memory, mid-circuit-measurement crosstalk) is reproduced within one combined
    standard deviation hypot(sigma_ours, sigma_published)."""
    rows = spec_sheet_comparison([path], bootstrap=300, seed=7)
    compared = [r for r in rows if r["published"] is not None]
    assert compared, "every file of a date with a spec-sheet row is compared"
    for r in compared:
        assert r["agrees"], r
        # our uncertainty is of the published size (same data, same kind of bootstrap); 0(2)E-06 style
        # published sigmas are rounded to one digit, hence the wide band
        if r["published_sigma"]:
            assert 0.25 * r["published_sigma"] <= r["stderr"] <= 4 * r["published_sigma"], r


def test_summary_only_variant_reproduces_the_spec_sheet(tmp_path):
    src = FOLDER / "H1-1__2023_01_20__TQ_RB.json"
    f = tmp_path / src.name
    f.write_text(json.dumps(_summary_only(json.loads(src.read_text()), paren=True)))
    rows = [r for r in spec_sheet_comparison([f], bootstrap=300, seed=7) if r["published"] is not None]
    assert {r["column"] for r in rows} == {"2Q error", "2Q error (legacy)", "2Q leakage"}
    assert all(r["agrees"] for r in rows), rows


# ---------------------------------------------------------------------------- must-show 5: history
def test_history_of_h1_1(tmp_path, monkeypatch):
    """All H1-1 files: every metric per date with error bars, a plot, and one dated profile per date that
    Twin.as_of uses."""
    from qpu_twin import Twin
    from qpu_twin.profiles.history import calibration_history, profile_as_of

    h = quantinuum_history(FOLDER, machine="H1-1", bootstrap=20, seed=0)
    assert h.dates == ["2022-06-09", "2023-01-20", "2023-07-17", "2024-04-10", "2025-05-02"]
    assert len(h.files) == 18
    table = h.table()
    assert [r["date"] for r in table] == h.dates and "±" in table[1]["2q_gate_error"]
    for p in h.points:
        assert math.isfinite(p.value) and p.stderr >= 0
    fig = h.plot(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 10_000 and len([a for a in fig.axes if a.get_visible()]) == 9
    hist = tmp_path / "history"
    paths = h.save_profiles(hist)
    assert [p.name for p in paths] == [f"{d}T000000Z.yaml" for d in h.dates]
    monkeypatch.setenv("QPU_TWIN_HISTORY", str(hist))
    hist_profiles = [p for p in calibration_history("quantinuum_h1-1") if "benchmark files" in p.provenance.source]
    assert [p.timestamp.date().isoformat() for p in hist_profiles] == h.dates
    # values: measured where the date has the file, else published (recorded)
    p23 = profile_as_of("quantinuum_h1-1", "2023-07-18")
    sq = h.point("2023-07-17", "1q_gate_error")
    assert p23.gate("r", [0]).error == pytest.approx(sq.value) and p23.gate("r", [0]).uncertainty["error"] == \
        pytest.approx(sq.stderr)
    spam = h.point("2023-07-17", "prob_meas0_prep1")
    assert p23.qubit(3).prob_meas0_prep1 == pytest.approx(spam.value)
    p24 = profile_as_of("quantinuum_h1-1", "2024-12-31")
    assert p24.gate("rzz", [0, 1]).error == pytest.approx(9.3e-4)  # no TQ_RB file that date: the spec sheet
    assert any("Quantinuum's published value for 2024-04-10" in n for n in p24.provenance.notes)
    twin = Twin.as_of("quantinuum_h1-1", "2025-06-01")
    assert twin.profile.timestamp.date().isoformat() == "2025-05-02"
    assert twin.profile.gate("rzz", [2, 3]).error == pytest.approx(h.point("2025-05-02", "2q_gate_error").value)


def test_history_refuses_a_mixed_folder_and_a_wrong_machine():
    with pytest.raises(DataError, match="several machines"):
        quantinuum_history(FOLDER, bootstrap=0)
    with pytest.raises(DataError, match="did you mean 'H1-1'"):
        quantinuum_history(FOLDER, machine="H1-1x", bootstrap=0)


def test_history_cli(tmp_path, capsys):
    """`qpu-twin calibrate history FOLDER` through the real command line."""
    from qpu_twin.cli import main

    code = main(["calibrate", "history", str(FOLDER), "--machine", "H2-1", "--bootstrap", "10",
                 "--plot", str(tmp_path / "h2.png"), "--history", str(tmp_path / "hist")])
    assert code == 0
    out = capsys.readouterr().out
    assert "H2-1: 10 files, 3 dates" in out and "3 dated profiles written" in out
    assert (tmp_path / "h2.png").is_file()
    assert sorted(p.name for p in (tmp_path / "hist" / "quantinuum_h2-1").iterdir()) == [
        "2023-03-10T000000Z.yaml", "2024-05-20T000000Z.yaml", "2025-04-30T000000Z.yaml"]
    assert main(["calibrate", "history", str(FOLDER), "--bootstrap", "0", "--no-profiles"]) == 1
    err = capsys.readouterr().err
    assert "several machines" in err and "Traceback" not in err


def test_spam_sigma_is_binomial():
    """Sanity of the SPAM error bar against an independent formula (binomial standard errors of the two
    pooled fractions, combined)."""
    d = load_quantinuum(FOLDER / "H2-1__2024_05_20__SPAM.json")
    n = d.shots * len(d.survival)
    p0 = sum(per["0"] for per in d.survival.values()) / n
    p1 = sum(per["1"] for per in d.survival.values()) / n
    [r] = [r for r in analyse_data(d) if r.quantity == "spam_error"]
    assert r.value == pytest.approx(1 - (p0 + p1) / 2)
    assert r.stderr == pytest.approx(0.5 * np.hypot(np.sqrt(p0 * (1 - p0) / n), np.sqrt(p1 * (1 - p1) / n)))
