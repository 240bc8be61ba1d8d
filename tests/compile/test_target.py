"""compile.target: the Qiskit Target carries the profile's gates, readout, timing and qubit properties."""

from __future__ import annotations

import pytest

from qpu_twin import DeviceProfile, load_profile
from qpu_twin.compile.target import build_target, cached_target


def test_gates_durations_and_errors_come_from_the_profile():
    p = load_profile("line5")
    t = build_target(p)
    assert t.num_qubits == 5 and t.dt == pytest.approx(p.dt_ns * 1e-9, rel=1e-15)
    for g in p.gates:
        props = t[g.name][g.qubits]
        assert props.error == g.error and props.duration == pytest.approx(g.duration_ns * 1e-9, rel=1e-15)
    # a two-qubit gate only where the profile couples the pair
    assert set(t["cx"]) == {tuple(g.qubits) for g in p.gates if g.name == "cx"}
    assert (0, 2) not in t["cx"]
    assert "if_else" in t.operation_names and "delay" in t.operation_names


def test_measure_carries_the_asymmetric_readout_and_qubit_properties():
    p = load_profile("line5")
    t = build_target(p)
    for q in p.qubits:
        m = t["measure"][(q.index,)]
        assert (m.prob_meas1_prep0, m.prob_meas0_prep1) == (q.prob_meas1_prep0, q.prob_meas0_prep1)
        assert m.error == q.readout_error and m.duration == pytest.approx(q.readout_duration_ns * 1e-9, rel=1e-15)
        assert t["reset"][(q.index,)].error == q.reset_error
        qp = t.qubit_properties[q.index]
        assert qp.t1 == pytest.approx(q.t1_us * 1e-6, rel=1e-15) and qp.t2 == pytest.approx(q.t2_us * 1e-6, rel=1e-15)
        assert qp.frequency == pytest.approx(q.frequency_ghz * 1e9, rel=1e-15)


def test_non_operational_qubits_and_gates_are_left_out(line5_dict):
    line5_dict["qubits"][4]["operational"] = False
    for g in line5_dict["gates"]:
        if g["name"] == "sx" and g["qubits"] == [0]:
            g["operational"] = False
    t = build_target(DeviceProfile.model_validate(line5_dict))
    assert (4,) not in t["measure"] and (4,) not in t["x"] and (3, 4) not in t["cx"]
    assert (0,) not in t["sx"] and (0,) in t["x"]


def test_symmetric_gate_is_usable_in_both_directions(line5_dict):
    line5_dict["gates"] = [g for g in line5_dict["gates"] if g["name"] != "cx"]
    line5_dict["gates"].append({"name": "cz", "qubits": [1, 2], "error": 0.01, "duration_ns": 100.0})
    t = build_target(DeviceProfile.model_validate(line5_dict))
    assert t["cz"][(1, 2)] is t["cz"][(2, 1)]


def test_cached_target_is_memoised_per_profile_content():
    p = load_profile("line5")
    assert cached_target(p) is cached_target(DeviceProfile.model_validate(p.to_dict()))
    assert cached_target(p) is not cached_target(p.replace(description="changed"))
