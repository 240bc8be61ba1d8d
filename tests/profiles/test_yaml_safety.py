"""Profiles read safely and strictly (issue #18): YAML alias bombs, duplicate keys, deep nesting, bad
encodings, coerced numbers, absurd magnitudes and worse-than-random readout each end in one
ProfileError naming the file, the location and the value -- fast, from the API and from the CLI."""

from __future__ import annotations

import copy
import json
import math
import re
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qpu_twin import ProfileError, load_profile
from qpu_twin.profiles.model import DeviceProfile
from qpu_twin.safeparse import MAX_DEPTH, MAX_YAML_NODES, parse_yaml

from .._cli_batch import problems, run_batch, run_module


_LINE5 = load_profile("line5")


@pytest.fixture(scope="module")
def line5():
    return _LINE5.to_dict()


def _yaml(d) -> str:
    return yaml.safe_dump(d, sort_keys=False)


def _laughs(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" block: anchor k is a list of ``width`` aliases of anchor k-1."""
    lines = ["  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for k in range(1, levels):
        lines.append(f"  - &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- text-level cases
def _text_cases(base: str) -> list[tuple[str, str | bytes, str, list[str]]]:
    """(id, content, suffix, needles): each is a malformed profile FILE."""
    laugh = _laughs()
    head, _, tail = base.partition("provenance:")
    deep = "[" * 100_000 + "]" * 100_000
    return [
        ("laughs_in_notes", head + "provenance:\n  source: s\n  method: m\n  notes:\n" + laugh + "\n", ".yaml",
         ["expands to more than", "billion laughs"]),
        ("laughs_in_unknown_key", base + "junk:\n" + laugh + "\n", ".yaml", ["expands to more than"]),
        ("recursive_alias", base + "junk: &r [*r]\n", ".yaml", ["recursive YAML alias", "line"]),
        ("duplicate_top_key", base + "name: other\n", ".yaml", ["duplicate key 'name'", "line"]),
        ("duplicate_nested_key", base.replace("t1_us: 100.0,", "t1_us: 100.0, t1_us: 5.0,", 1), ".yaml",
         ["duplicate key 't1_us'", "line"]),
        ("deep_flow_100000", deep, ".yaml", ["not valid YAML", "nesting depth"]),
        ("deep_flow_100", "a: " + "[" * 100 + "]" * 100 + "\n", ".yaml", [f"more than {MAX_DEPTH} levels"]),
        ("deep_block", "".join("  " * i + "- \n" for i in range(80)), ".yaml", [f"more than {MAX_DEPTH} levels"]),
        ("invalid_utf8", base.encode() + b"\nnotes: \xff\xfe\n", ".yaml", ["not UTF-8 text", "offset"]),
        ("binary_garbage", bytes(range(256)) * 4, ".yaml", ["not UTF-8 text"]),
        ("python_tag", base + "x: !!python/object/apply:os.system [ls]\n", ".yaml", ["not valid YAML",
                                                                                    "python/object"]),
        ("huge_integer", base.replace("num_qubits: 5", "num_qubits: " + "9" * 5000, 1), ".yaml",
         ["Exceeds the limit"]),
        ("syntax_error", head + "provenance: [unclosed\n", ".yaml", ["not valid YAML"]),
        ("empty_file", "", ".yaml", ["must hold a mapping", "NoneType"]),
        ("top_level_list", "- 1\n- 2\n", ".yaml", ["must hold a mapping", "list"]),
        ("top_level_scalar", "just a string\n", ".yaml", ["must hold a mapping", "str"]),
        ("json_deep", deep, ".json", [f"more than {MAX_DEPTH} levels"]),
        ("json_duplicate_key", '{"name": "a", "name": "b"}', ".json", ["duplicate key 'name'"]),
        ("json_invalid_utf8", b'{"name": "\xc3\x28"}', ".json", ["not UTF-8 text"]),
        ("json_truncated", json.dumps(yaml.safe_load(base))[:300], ".json", ["not valid JSON"]),
        ("json_huge_integer", '{"num_qubits": ' + "1" * 5000 + "}", ".json", ["Exceeds the limit"]),
        ("json_nan", json.dumps(yaml.safe_load(base)).replace('"t1_us": 100.0', '"t1_us": NaN', 1), ".json",
         ["qubit 0", "t1_us=nan"]),
        ("json_infinity", json.dumps(yaml.safe_load(base)).replace('"t2_us": 80.0', '"t2_us": Infinity', 1),
         ".json", ["qubit 0", "t2_us=inf"]),
        ("yaml_nan", base.replace("t1_us: 100.0", "t1_us: .nan", 1), ".yaml", ["qubit 0", "t1_us=nan"]),
        ("yaml_inf_duration", base.replace("readout_duration_ns: 1000.0", "readout_duration_ns: .inf", 1), ".yaml",
         ["qubit 0", "readout_duration_ns=inf"]),
    ]


def _set(d, path, value):
    d = copy.deepcopy(d)
    node = d
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return d


# ---------------------------------------------------------------------------- data-level cases
DATA_CASES = [
    # (id, path, value, needles)
    ("t1_true", ("qubits", 0, "t1_us"), True, ["qubit 0: t1_us=True: must be a number, not bool"]),
    ("t1_quoted", ("qubits", 0, "t1_us"), "100", ["qubit 0: t1_us='100': must be a number, not str"]),
    ("t2_quoted", ("qubits", 1, "t2_us"), "80.0", ["qubit 1: t2_us='80.0': must be a number"]),
    ("readout_false", ("qubits", 2, "prob_meas1_prep0"), False, ["qubit 2: prob_meas1_prep0=False"]),
    ("index_quoted", ("qubits", 0, "index"), "0", ["index='0': must be a number"]),
    ("num_qubits_quoted", ("num_qubits",), "5", ["num_qubits='5': must be a number"]),
    ("num_qubits_true", ("num_qubits",), True, ["num_qubits=True: must be a number"]),
    ("operational_string", ("qubits", 0, "operational"), "no", ["qubit 0: operational='no'", "boolean"]),
    ("operational_int", ("qubits", 0, "operational"), 1, ["qubit 0: operational=1", "boolean"]),
    ("gate_error_quoted", ("gates", 1, "error"), "0.001", ["gate id(0): error='0.001': must be a number"]),
    ("gate_duration_true", ("gates", 1, "duration_ns"), True, ["gate id(0): duration_ns=True"]),
    ("gate_qubit_quoted", ("gates", 1, "qubits"), ["0"], ["qubits", "'0'", "must be a number"]),
    ("gate_duration_1e308", ("gates", 1, "duration_ns"), 1e308, ["gate id(0): duration_ns=1e+308 exceeds 1e+12 ns"]),
    ("gate_duration_1e13", ("gates", 2, "duration_ns"), 1e13, ["gate sx(0): duration_ns=10000000000000.0 exceeds"]),
    ("readout_duration_1e300", ("qubits", 3, "readout_duration_ns"), 1e300,
     ["qubit 3: readout_duration_ns=1e+300 exceeds"]),
    ("zz_1e308", ("crosstalk", "zz", 0, "zz_khz"), 1e308, ["crosstalk.zz (0, 1): zz_khz=1e+308 exceeds 1e+06 kHz"]),
    ("zz_negative_huge", ("crosstalk", "zz", 0, "zz_khz"), -2e6, ["zz_khz=-2000000.0 exceeds"]),
    ("zz_quoted", ("crosstalk", "zz", 0, "zz_khz"), "-50", ["zz_khz='-50': must be a number"]),
    ("t1_1e308", ("qubits", 0, "t1_us"), 1e308, ["qubit 0: t1_us=1e+308 exceeds 1e+12 us"]),
    ("t2_1e13_over_t1", ("qubits", 0, "t2_us"), 1e13, ["qubit 0: t2_us=10000000000000.0"]),
    ("dt_huge", ("dt_ns",), 1e20, ["dt_ns=1e+20 exceeds"]),
    ("dt_quoted", ("dt_ns",), "0.5", ["dt_ns='0.5': must be a number"]),
    ("detuning_huge", ("qubits", 0, "detuning_sigma_khz"), 1e9, ["qubit 0: detuning_sigma_khz=1000000000.0 exceeds"]),
    ("frequency_huge", ("qubits", 0, "frequency_ghz"), 1e9, ["qubit 0: frequency_ghz=1000000000.0 exceeds"]),
    ("reset_duration_huge", ("qubits", 4, "reset_duration_ns"), 1e15, ["qubit 4: reset_duration_ns=1000000000000000.0 exceeds"]),
    ("leakage_lifetime_huge", ("qubits", 0, "leakage_lifetime_us"), 1e13, ["qubit 0: leakage_lifetime_us=10000000000000.0 exceeds"]),
    ("uncertainty_quoted", ("qubits", 0, "uncertainty"), {"t1_us": "0.1"}, ["uncertainty", "'0.1'",
                                                                          "must be a number"]),
    ("coupling_quoted", ("coupling_map", 0), ["0", "1"], ["coupling_map", "'0'", "must be a number"]),
    ("timestamp_garbage", ("timestamp",), "yesterday", ["timestamp='yesterday'"]),
    ("schema_version_quoted", ("schema_version",), "1", ["schema_version='1'"]),
    ("readout_error_pair_over_1", ("qubits", 1, "prob_meas1_prep0"), 0.98,
     ["qubit 1: prob_meas1_prep0=0.98 + prob_meas0_prep1=0.03 = 1.01 > 1", "worse than random"]),
    ("readout_prob_over_1", ("qubits", 1, "prob_meas0_prep1"), 1.5, ["qubit 1: prob_meas0_prep1=1.5 is not a "
                                                                     "probability"]),
    ("gate_error_over_max", ("gates", 2, "error"), 0.9, ["gate sx(0): error=0.9 outside"]),
    ("negative_t1", ("qubits", 2, "t1_us"), -5.0, ["qubit 2: t1_us=-5.0 must be > 0"]),
    ("qubits_not_list", ("qubits",), "many", ["qubits='many'"]),
    ("nested_list_in_notes", ("provenance", "notes"), [[["a"] * 3] * 3] * 3, ["provenance", "notes[", "valid string"]),
]


def _worse_than_random(d):
    d = copy.deepcopy(d)
    d["qubits"][2]["prob_meas1_prep0"] = 0.6
    d["qubits"][2]["prob_meas0_prep1"] = 0.5
    return d


def _all_cases(line5):
    base = _LINE5.to_yaml()  # the package's own writer (qubits in flow style)
    cases = [(cid, content, suffix, needles) for cid, content, suffix, needles in _text_cases(base)]
    for cid, path, value, needles in DATA_CASES:
        cases.append((cid, _yaml(_set(line5, path, value)), ".yaml", needles))
    cases.append(("readout_0.6_plus_0.5", _yaml(_worse_than_random(line5)), ".yaml",
                  ["qubit 2: prob_meas1_prep0=0.6 + prob_meas0_prep1=0.5 = 1.1 > 1", "worse than random"]))
    return cases


def _write(tmp_path, cid, content, suffix):
    f = tmp_path / f"{cid}{suffix}"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content, encoding="utf-8")
    return f


CASES = _all_cases(_LINE5.to_dict())


def test_case_count():
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("cid,content,suffix,needles", CASES, ids=[c[0] for c in CASES])
def test_malformed_profile(tmp_path, cid, content, suffix, needles):
    f = _write(tmp_path, cid, content, suffix)
    t0 = time.perf_counter()
    with pytest.raises(ProfileError) as info:
        load_profile(f)
    elapsed = time.perf_counter() - t0
    msg = str(info.value)
    assert str(f) in msg, msg  # the file is named
    for needle in needles:
        assert needle in msg, (cid, needle, msg)
    assert len(msg) < 2000, msg[:300]  # values are truncated before formatting
    assert elapsed < 5.0, (cid, elapsed)  # no hang (the bombs fail at once)


def test_billion_laughs_fails_fast():
    text = "a:\n" + _laughs(10, 10)  # 10**10 leaves if expanded
    t0 = time.perf_counter()
    with pytest.raises(ProfileError, match="expands to more than"):
        parse_yaml(text, source="bomb.yaml", error=ProfileError)
    assert time.perf_counter() - t0 < 1.0


def test_medium_alias_structure_in_unknown_key_is_summarised(line5):
    """A structure that stays under the expansion limit (9**6 leaves) but is refused as an unknown field:
    the message shows a summary of the value, never its repr (which would be ~4 MB)."""
    text = _yaml(line5) + "junk:\n" + _laughs(6, 9) + "\n"
    t0 = time.perf_counter()
    with pytest.raises(ProfileError) as info:
        DeviceProfile.from_text_data(parse_yaml(text, source="m.yaml", error=ProfileError), source="m.yaml")
    assert "junk" in str(info.value) and len(str(info.value)) < 1000
    assert time.perf_counter() - t0 < 5.0
    assert 9**6 < MAX_YAML_NODES


def test_aliases_and_merge_keys_within_limits_still_load(line5):
    """Anchors, aliases and merge keys are legitimate YAML: a profile using them loads equal."""
    q = {k: v for k, v in line5["qubits"][0].items() if k != "index"}
    text = _yaml({k: v for k, v in line5.items() if k != "qubits"})
    text += "qubits:\n- &q0 " + json.dumps(dict(index=0, **q)) + "\n"
    for i in range(1, 5):
        overrides = {k: v for k, v in line5["qubits"][i].items() if line5["qubits"][i].get(k) != q.get(k)}
        text += f"- {{<<: *q0, {', '.join(f'{k}: {json.dumps(v)}' for k, v in overrides.items())}}}\n"
    prof = DeviceProfile.from_text_data(parse_yaml(text, source="a.yaml", error=ProfileError))
    assert prof == DeviceProfile.from_dict(line5)


def test_importer_floats_and_ints_still_accepted(line5):
    """Strictness is about strings and booleans: ints for float fields and numpy scalars still work."""
    import numpy as np

    d = copy.deepcopy(line5)
    d["qubits"][0]["t1_us"] = 100  # int
    d["qubits"][1]["t1_us"] = np.float64(100.0)
    d["gates"][1]["duration_ns"] = np.int64(40)
    d["qubits"][2]["index"] = np.int64(2)
    p = DeviceProfile.from_dict(d)
    assert p.qubit(0).t1_us == 100.0 and isinstance(p.qubit(0).t1_us, float)
    assert p == DeviceProfile.from_dict(line5)


def test_non_operational_qubit_may_keep_a_bad_readout(line5):
    """The importers' documented policy: a qubit whose readout carries no information is marked
    non-operational and keeps its source values (recorded); that profile stays valid."""
    d = _worse_than_random(line5)
    d["qubits"][2]["operational"] = False
    assert not DeviceProfile.from_dict(d).qubit(2).operational


def test_cli_profile_validate_on_malformed_files(tmp_path):
    """0 tracebacks, 0 hangs: every malformed file through `qpu-twin profile validate`, one line, exit 1."""
    cases = CASES
    argv = [["profile", "validate", str(_write(tmp_path, cid, content, suffix))]
            for cid, content, suffix, _ in cases]
    records = run_batch(argv, limit_each=30)
    assert problems(records) == []
    for (cid, _, _, needles), r in zip(cases, records):
        assert r["status"] == 1 and needles[0] in r["stderr"], (cid, r["stderr"])
    # and a real process on the worst case
    proc = run_module(["profile", "validate", argv[0][2]], timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "expands to more than" in proc.stderr


# ---------------------------------------------------------------------------- property-based
_NUMERIC_PROB = ("prob_meas1_prep0", "prob_meas0_prep1", "reset_error")
_LOCATION = re.compile(r"(qubit \d+|gate \w+|[a-z_0-9]+(\.[a-z_0-9]+|\[\d+\])*=|coupling_map|crosstalk|missing|"
                       r"duplicate|num_qubits|control_flow)")


def _leaves(d, path=()):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _leaves(v, (*path, i))
    yield path


_REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.integers(-3, 3), max_size=3), st.just({}), st.just("1e3"))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_profile_is_refused_with_a_location_or_valid(line5, data):
    """Drop / retype / scale / truncate a random field of a real profile: either a ProfileError naming the
    source and a location, or a profile whose numbers are all finite and in range."""
    paths = [p for p in _leaves(line5) if p]
    path = data.draw(st.sampled_from(paths))
    op = data.draw(st.sampled_from(["drop", "retype", "scale", "truncate"]))
    d = copy.deepcopy(line5)
    parent = d
    for p in path[:-1]:
        parent = parent[p]
    key = path[-1]
    old = parent[key]
    if op == "drop":
        del parent[key]
    elif op == "retype":
        parent[key] = data.draw(_REPLACEMENTS)
    elif op == "scale":
        factor = data.draw(st.sampled_from([-1.0, 0.0, 1e-300, 1e300, 10.0, float("inf"), float("nan")]))
        parent[key] = old * factor if isinstance(old, (int, float)) and not isinstance(old, bool) else factor
    else:
        parent[key] = old[: data.draw(st.integers(0, max(len(old) - 1, 0)))] if isinstance(old, (str, list)) else None
    try:
        prof = DeviceProfile.from_text_data(d, source="mutated.yaml")
    except ProfileError as exc:
        msg = str(exc)
        assert msg.startswith("mutated.yaml: "), msg
        assert _LOCATION.search(msg), msg  # names a field, an entry or an edge
        return
    for q in prof.qubits:
        for f in ("t1_us", "t2_us", "readout_duration_ns"):
            v = getattr(q, f)
            assert v is None or (math.isfinite(v) and v > 0)
        for f in _NUMERIC_PROB:
            v = getattr(q, f)
            assert v is None or 0.0 <= v <= 1.0
        if q.operational:
            assert q.prob_meas1_prep0 + q.prob_meas0_prep1 <= 1.0
    for g in prof.gates:
        assert g.duration_ns is not None and math.isfinite(g.duration_ns) and g.duration_ns >= 0
        assert g.error is None or 0.0 <= g.error <= 0.8
    for t in prof.crosstalk.zz:
        assert math.isfinite(t.zz_khz) and abs(t.zz_khz) <= 1e6
    # and it round-trips
    assert DeviceProfile.from_text_data(parse_yaml(prof.to_yaml(), source="rt", error=ProfileError)) == prof
