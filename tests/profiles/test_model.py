"""The profile model: invalid profiles are rejected with a ProfileError naming field and value;
JSON Schema; fingerprint."""

from __future__ import annotations

import jsonschema
import pytest

from qpu_twin import DeviceProfile, ProfileError, load_profile, profile_json_schema


def _gate(d, name, qubits):
    for g in d["gates"]:
        if g["name"] == name and g["qubits"] == list(qubits):
            return g
    raise KeyError((name, qubits))


def _set_qubit(field, value, q=2):
    def f(d):
        d["qubits"][q][field] = value

    return f


def _set_gate(name, qubits, field, value):
    def f(d):
        _gate(d, name, qubits)[field] = value

    return f


def _del_qubit(field, q=1):
    def f(d):
        del d["qubits"][q][field]

    return f


def _append_gate(entry):
    def f(d):
        d["gates"].append(entry)

    return f


def _top(field, value):
    def f(d):
        d[field] = value

    return f


def _dup_qubit(d):
    d["qubits"][3]["index"] = 2


def _drop_edge(d):
    d["coupling_map"] = [e for e in d["coupling_map"] if e != [1, 2]]


def _zz(entry):
    def f(d):
        d["crosstalk"]["zz"].append(entry)

    return f


def _meas_xt(entry):
    def f(d):
        d.setdefault("crosstalk", {}).setdefault("measurement", []).append(entry)

    return f


# (case id, mutation, substrings the message must contain: the field and the value)
CASES = [
    ("t2_exceeds_2t1", _set_qubit("t2_us", 250.0), ["qubit 2", "t2_us=250.0", "2*t1_us=200.0"]),
    ("t1_negative", _set_qubit("t1_us", -5.0), ["qubit 2", "t1_us=-5.0"]),
    ("t2_zero", _set_qubit("t2_us", 0.0), ["qubit 2", "t2_us=0.0"]),
    ("t1_missing_superconducting", _del_qubit("t1_us"), ["qubit 1", "t1_us is missing"]),
    ("readout_p10_above_1", _set_qubit("prob_meas1_prep0", 1.2), ["qubit 2", "prob_meas1_prep0=1.2"]),
    ("readout_p01_negative", _set_qubit("prob_meas0_prep1", -0.01), ["qubit 2", "prob_meas0_prep1=-0.01"]),
    ("readout_missing", _del_qubit("prob_meas0_prep1"), ["qubit 1", "prob_meas0_prep1 is missing"]),
    ("readout_duration_missing", _del_qubit("readout_duration_ns"), ["qubit 1", "readout_duration_ns is missing"]),
    ("readout_duration_zero", _set_qubit("readout_duration_ns", 0.0), ["qubit 2", "readout_duration_ns=0.0"]),
    ("reset_error_above_1", _set_qubit("reset_error", 1.5), ["qubit 2", "reset_error=1.5"]),
    ("reset_duration_negative", _set_qubit("reset_duration_ns", -1.0), ["qubit 2", "reset_duration_ns=-1.0"]),
    ("frequency_negative", _set_qubit("frequency_ghz", -5.0), ["qubit 2", "frequency_ghz=-5.0"]),
    ("anharmonicity_too_large", _set_qubit("anharmonicity_ghz", -6.0), ["qubit 2", "anharmonicity_ghz=-6.0"]),
    ("t1_not_a_number", _set_qubit("t1_us", "long"), ["qubit 2", "t1_us='long'"]),
    ("t1_nan", _set_qubit("t1_us", float("nan")), ["qubit 2", "t1_us=nan"]),
    ("duplicate_qubit", _dup_qubit, ["duplicate qubit index 2"]),
    ("num_qubits_mismatch", _top("num_qubits", 6), ["num_qubits=6", "5 qubit entries"]),
    ("unknown_gate", _append_gate({"name": "foo", "qubits": [0], "error": 0.001, "duration_ns": 10.0}),
     ["gate foo(0)", "unknown gate name 'foo'"]),
    ("gate_error_above_max", _set_gate("sx", (1,), "error", 0.9), ["gate sx(1)", "error=0.9"]),
    ("gate_error_negative", _set_gate("cx", (0, 1), "error", -0.01), ["gate cx(0, 1)", "error=-0.01"]),
    ("gate_duration_missing", lambda d: _gate(d, "x", (3,)).pop("duration_ns"), ["gate x(3)", "duration_ns is missing"]),
    ("gate_duration_negative", _set_gate("cx", (1, 2), "duration_ns", -300.0), ["gate cx(1, 2)", "duration_ns=-300.0"]),
    ("physical_gate_zero_duration", _set_gate("sx", (0,), "duration_ns", 0.0), ["gate sx(0)", "duration_ns=0"]),
    ("virtual_gate_with_duration", _set_gate("rz", (0,), "duration_ns", 35.0), ["gate rz(0)", "duration_ns=35.0"]),
    ("virtual_gate_with_error", _set_gate("rz", (0,), "error", 0.001), ["gate rz(0)", "error=0.001"]),
    ("operational_gate_without_error", lambda d: _gate(d, "sx", (4,)).pop("error"), ["gate sx(4)", "error is missing"]),
    ("gate_on_uncoupled_pair", _append_gate({"name": "cx", "qubits": [0, 2], "error": 0.01, "duration_ns": 300.0}),
     ["gate cx(0, 2)", "pair (0, 2) is not in the coupling_map"]),
    ("gate_edge_removed", _drop_edge, ["gate cx(1, 2)", "pair (1, 2)"]),
    ("gate_wrong_arity", _append_gate({"name": "cx", "qubits": [1], "error": 0.01, "duration_ns": 300.0}),
     ["gate cx(1)", "acts on 2 qubit(s)"]),
    ("gate_repeated_qubit", _append_gate({"name": "cx", "qubits": [3, 3], "error": 0.01, "duration_ns": 300.0}),
     ["gate cx(3, 3)", "repeats a qubit"]),
    ("gate_qubit_out_of_range", _append_gate({"name": "sx", "qubits": [7], "error": 0.001, "duration_ns": 40.0}),
     ["gate sx(7)", "[7] outside 0..4"]),
    ("duplicate_gate", _append_gate({"name": "sx", "qubits": [0], "error": 0.001, "duration_ns": 40.0}),
     ["gate sx(0)", "duplicate gate entry"]),
    ("coupling_self_loop", lambda d: d["coupling_map"].append([2, 2]), ["coupling_map", "self-loop (2, 2)"]),
    ("coupling_out_of_range", lambda d: d["coupling_map"].append([4, 9]), ["coupling_map", "(4, 9)"]),
    ("zz_same_qubit", _zz({"qubits": [1, 1], "zz_khz": -40.0}), ["crosstalk.zz (1, 1)"]),
    ("zz_duplicate_pair", _zz({"qubits": [1, 0], "zz_khz": -40.0}), ["crosstalk.zz (1, 0)", "duplicate"]),
    ("meas_crosstalk_probability", _meas_xt({"measured": 0, "spectator": 1, "error": 2.0}),
     ["crosstalk.measurement", "error=2.0"]),
    ("timestamp_naive", _top("timestamp", "2026-01-01T00:00:00"), ["timestamp='2026-01-01T00:00:00'", "timezone"]),
    ("timestamp_garbage", _top("timestamp", "yesterday"), ["timestamp='yesterday'"]),
    ("schema_version_unknown", _top("schema_version", 7), ["schema_version=7"]),
    ("extra_field", _top("colour", "blue"), ["colour='blue'", "Extra inputs are not permitted"]),
    ("unknown_technology", _top("technology", "steam"), ["technology='steam'"]),
    ("dt_negative", _top("dt_ns", -0.5), ["dt_ns=-0.5"]),
    ("uncertainty_unknown_key", _set_qubit("uncertainty", {"colour": 0.1}), ["qubit 2", "uncertainty key 'colour'"]),
    ("uncertainty_negative", _set_gate("cx", (0, 1), "uncertainty", {"error": -1e-3}),
     ["gate cx(0, 1)", "uncertainty['error']=-0.001"]),
    ("unknown_control_flow", _top("control_flow", ["goto"]), ["control_flow", "'goto'"]),
    ("empty_name", _top("name", " "), ["name=' '"]),
]


def test_enough_distinct_cases():
    assert len({c[0] for c in CASES}) >= 20


@pytest.mark.parametrize("case_id,mutate,needles", CASES, ids=[c[0] for c in CASES])
def test_invalid_profile_rejected(line5_dict, case_id, mutate, needles):
    mutate(line5_dict)
    with pytest.raises(ProfileError) as info:
        DeviceProfile.model_validate(line5_dict)
    msg = str(info.value)
    for needle in needles:
        assert needle in msg, f"{case_id}: {needle!r} not in message {msg!r}"
    # the device is named too (when its name itself is valid)
    if case_id != "empty_name":
        assert "line5" in msg


def test_valid_profile_accepted(line5_dict):
    p = DeviceProfile.model_validate(line5_dict)
    assert p.num_qubits == 5 and p.gate("cx", (1, 0)).error == 0.01


def test_all_problems_are_reported_at_once(line5_dict):
    line5_dict["qubits"][0]["t2_us"] = 500.0
    line5_dict["qubits"][1]["t1_us"] = -1.0
    with pytest.raises(ProfileError) as info:
        DeviceProfile.model_validate(line5_dict)
    assert len(info.value.problems) == 2
    assert "qubit 0: t2_us=500.0" in str(info.value) and "qubit 1: t1_us=-1.0" in str(info.value)


def test_profile_is_immutable(line5_dict):
    p = DeviceProfile.model_validate(line5_dict)
    with pytest.raises(Exception):
        p.name = "other"  # type: ignore[misc]
    with pytest.raises(Exception):
        p.qubits[0].t1_us = 1.0  # type: ignore[misc]


def test_non_operational_gate_may_lack_error(line5_dict):
    g = _gate(line5_dict, "cx", (2, 3))
    g["error"] = None
    g["operational"] = False
    p = DeviceProfile.model_validate(line5_dict)
    assert not p.gate("cx", (2, 3)).operational


def test_trapped_ion_without_t1_is_valid(line5_dict):
    line5_dict["technology"] = "trapped_ion"
    for q in line5_dict["qubits"]:
        del q["t1_us"]
    p = DeviceProfile.model_validate(line5_dict)
    assert p.qubit(0).t1_us is None and p.qubit(0).tphi_us == pytest.approx(80.0)


def test_replace_revalidates(line5_dict):
    p = DeviceProfile.model_validate(line5_dict)
    with pytest.raises(ProfileError, match="num_qubits=3"):
        p.replace(num_qubits=3)


def test_symmetric_gate_lookup(line5_dict):
    line5_dict["gates"].append({"name": "cz", "qubits": [1, 2], "error": 0.01, "duration_ns": 100.0})
    p = DeviceProfile.model_validate(line5_dict)
    assert p.gate("cz", (2, 1)) is p.gate("cz", (1, 2))
    with pytest.raises(ProfileError, match=r"no native gate 'cx' on qubits \(0, 3\)"):
        p.gate("cx", (0, 3))


@pytest.mark.parametrize("name", ["line5", "ibm_hanoi", "quantinuum_h1-1"])
def test_json_schema_accepts_shipped_profiles(name):
    schema = profile_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(load_profile(name).to_dict(), schema)


def test_json_schema_rejects_extra_field():
    schema = profile_json_schema()
    data = load_profile("line5").to_dict()
    data["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_fingerprint_tracks_content():
    p = load_profile("line5")
    assert p.fingerprint == DeviceProfile.model_validate(p.to_dict()).fingerprint
    assert p.fingerprint != p.replace(description="changed").fingerprint
