"""profiles.edit: ParameterRef normalisation, with_values round trips, uncertainties, T2 kept physical, bad refs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qpu_twin import ArgumentError, ProfileError, load_profile
from qpu_twin.profiles.edit import KINDS, ParameterRef, get_value, kind_for_field, with_values

LINE5 = load_profile("line5")

#: one reference per kind on line5, with a new valid value (line5: T1 100 us, T2 80 us, ZZ -50 kHz)
NEW_VALUES = {
    ParameterRef("p10", (0,)): 0.02,
    ParameterRef("p01", (1,)): 0.05,
    ParameterRef("t1_us", (2,)): 90.0,
    ParameterRef("t2_us", (2,)): 70.0,
    ParameterRef("reset_error", (3,)): 0.01,
    ParameterRef("gate_error", ("cx", (1, 2))): 0.02,
    ParameterRef("overrotation", ("sx", (0,))): 0.03,
    ParameterRef("zz_khz", (3, 4)): -60.0,
    ParameterRef("prep_excited_prob", (0,)): 0.02,
    ParameterRef("readout_t1_window_ns", (1,)): 400.0,
    ParameterRef("meas_excitation_prob", (2,)): 0.01,
    ParameterRef("meas_relaxation_prob", (3,)): 0.02,
    ParameterRef("leakage_lifetime_us", (4,)): 50.0,
    ParameterRef("detuning_sigma_khz", (0,)): 10.0,
    ParameterRef("detuning_khz", (1,)): -12.5,
    ParameterRef("leakage_prob", ("cx", (0, 1))): 0.001,
    ParameterRef("ix_error_rad", ("cx", (2, 3))): 0.05,
    ParameterRef("zx_error_rad", ("cx", (3, 4))): -0.07,
}


def test_every_kind_is_exercised():
    assert {r.kind for r in NEW_VALUES} == set(KINDS)


@pytest.mark.parametrize("ref, expected", [
    (ParameterRef("t1_us", [np.int64(3)]), (3,)),
    (ParameterRef("zz_khz", (4, 3)), (3, 4)),
    (ParameterRef("gate_error", ("cx", [2, 1])), ("cx", (2, 1))),  # gate qubits keep their order
])
def test_targets_are_normalised(ref, expected):
    assert ref.target == expected and isinstance(ref.target, tuple)
    assert hash(ref) == hash(ParameterRef(ref.kind, expected)) and ref == ParameterRef(ref.kind, expected)


def test_a_qubit_given_as_text_is_refused():
    with pytest.raises(ArgumentError, match=r"target=\('4',\) must be \(qubit,\)"):
        ParameterRef("p10", ("4",))


def test_label_and_qubits():
    gate = ParameterRef("gate_error", ("cx", (2, 1)))
    assert gate.label == "gate_error cx(2, 1)" and gate.qubits == frozenset({1, 2})
    assert ParameterRef("zz_khz", (4, 3)).label == "zz_khz (3, 4)"
    assert ParameterRef("t1_us", (0,)).qubits == frozenset({0})
    assert kind_for_field("qubit", "prob_meas1_prep0") == "p10"
    with pytest.raises(ArgumentError, match="no parameter kind for qubit field 'colour'"):
        kind_for_field("qubit", "colour")


@pytest.mark.parametrize("kind, target, needle", [
    ("t1", (0,), "kind='t1': unknown parameter kind"),
    ("t1_us", (0, 1), r"ParameterRef\('t1_us'\): target=\(0, 1\) must be \(qubit,\)"),
    ("t1_us", ("a",), r"ParameterRef\('t1_us'\): target=\('a',\) must be \(qubit,\)"),
    ("gate_error", "cx", r"ParameterRef\('gate_error'\): target='cx' must be \(gate name, \(qubits...\)\)"),
    ("zz_khz", (1,), r"ParameterRef\('zz_khz'\): target=\(1,\) must be \(a, b\)"),
])
def test_bad_refs_name_kind_and_target(kind, target, needle):
    with pytest.raises(ArgumentError, match=needle):
        ParameterRef(kind, target)


@pytest.mark.parametrize("ref", list(NEW_VALUES), ids=lambda r: r.label)
def test_with_values_round_trip(ref):
    value = NEW_VALUES[ref]
    old = get_value(LINE5, ref)
    new = with_values(LINE5, {ref: value})
    assert get_value(new, ref) == value and ref.get(new) == value
    assert get_value(LINE5, ref) == old  # the original profile is untouched
    # everything else is unchanged: editing the value back gives the original profile
    if old is not None:
        back = with_values(new, {ref: old})
        assert back.to_dict() == LINE5.to_dict() and back.fingerprint == LINE5.fingerprint


def test_with_values_accepts_the_three_change_forms():
    ref = ParameterRef("t1_us", (0,))

    class Fitted:  # like qpu_twin.fit.FitParameter
        def __init__(self):
            self.ref, self.value, self.stderr = ref, 95.0, 1.5

    for changes in ({ref: (95.0, 1.5)}, [(ref, 95.0, 1.5)], [Fitted()]):
        q0 = with_values(LINE5, changes).qubit(0)
        assert q0.t1_us == 95.0 and q0.uncertainty == {"t1_us": 1.5}


def test_stderr_is_stored_in_uncertainty():
    gate = ParameterRef("gate_error", ("cx", (1, 2)))
    zz = ParameterRef("zz_khz", (4, 3))
    new = with_values(LINE5, {gate: (0.02, 0.001), zz: (-60.0, 0.5), ParameterRef("p10", (0,)): 0.02})
    assert new.gate("cx", (1, 2)).uncertainty == {"error": 0.001}
    assert gate.stated_uncertainty(new) == 0.001 and zz.stated_uncertainty(new) == 0.5
    assert ParameterRef("p10", (0,)).stated_uncertainty(new) is None  # no stderr given: none stored
    # a non-finite stderr is not an uncertainty: nothing is stored
    assert with_values(LINE5, {gate: (0.02, math.inf)}).gate("cx", (1, 2)).uncertainty == {}


def test_t2_kept_physical_only_when_asked():
    t1 = ParameterRef("t1_us", (0,))
    with pytest.raises(ProfileError, match=r"qubit 0: t2_us=80.0 exceeds 2\*t1_us=60.0"):
        with_values(LINE5, {t1: 30.0})
    new = with_values(LINE5, {t1: 30.0}, keep_t2_physical=True)
    assert (new.qubit(0).t1_us, new.qubit(0).t2_us) == (30.0, 60.0)
    assert any("qubit 0 t2_us: 80 -> 60" in n for n in new.provenance.notes)
    # a T2 changed in the same call is the caller's value, never adjusted
    both = with_values(LINE5, {t1: 30.0, ParameterRef("t2_us", (0,)): 50.0}, keep_t2_physical=True)
    assert (both.qubit(0).t1_us, both.qubit(0).t2_us) == (30.0, 50.0)


def test_bad_changes_are_refused():
    with pytest.raises(ArgumentError, match=r"changes: t1_us \(0,\): value=nan: not finite"):
        with_values(LINE5, {ParameterRef("t1_us", (0,)): float("nan")})
    with pytest.raises(ArgumentError, match=r"changes: t1_us \(0,\): value 'fast' is not a number"):
        with_values(LINE5, {ParameterRef("t1_us", (0,)): "fast"})
    with pytest.raises(ArgumentError, match="is not a ParameterRef"):
        with_values(LINE5, [("t1_us", 1.0, None)])
    with pytest.raises(ArgumentError, match="cannot read"):
        with_values(LINE5, [42])
    with pytest.raises(ProfileError, match=r"device 'line5': t1_us \(9,\): no qubit 9"):
        with_values(LINE5, {ParameterRef("t1_us", (9,)): 50.0})
    with pytest.raises(ProfileError, match=r"no native gate 'cx' on qubits \(0, 3\)"):
        with_values(LINE5, {ParameterRef("gate_error", ("cx", (0, 3))): 0.01})


def test_name_timestamp_and_provenance():
    new = with_values(LINE5, {ParameterRef("p10", (0,)): 0.02}, name="line5_fit", timestamp="2026-02-01T00:00:00Z",
                      provenance={"source": "test", "method": "with_values"}, notes=["p10 (0,): 0.01 -> 0.02"])
    assert new.name == "line5_fit" and new.timestamp.isoformat().startswith("2026-02-01")
    assert new.provenance.source == "test" and list(new.provenance.notes) == ["p10 (0,): 0.01 -> 0.02"]
