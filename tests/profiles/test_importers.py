"""Importers: every qiskit-ibm-runtime fake backend, legacy IBM JSON, Quantinuum spec sheets."""

from __future__ import annotations

import json
import statistics
import warnings

import pytest

from qpu_twin import DeviceProfile, ProfileError, ProfileWarning, load_profile
from qpu_twin.profiles.importers import parse_uncertainty
from qpu_twin.profiles.store import parse_profile_text


def _fake_backends():
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return FakeProviderForBackendV2().backends()


FAKES = _fake_backends()


def _import_quiet(backend) -> DeviceProfile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfileWarning)
        return DeviceProfile.from_qiskit_backend(backend)


@pytest.fixture(scope="module")
def fake_profiles():
    return {b.name: (b, _import_quiet(b)) for b in FAKES}


def test_there_are_68_fake_backends():
    assert len(FAKES) == 68


def test_every_fake_backend_imports_validates_and_round_trips(fake_profiles):
    for name, (backend, p) in fake_profiles.items():
        assert p.num_qubits == backend.num_qubits, name
        text = p.to_yaml()
        assert parse_profile_text(text, fmt="yaml").to_yaml() == text, name


def test_fake_values_reproduce_the_target(fake_profiles):
    """Every operational gate's error and duration equal the Target's; T1/T2 in us."""
    for name, (backend, p) in fake_profiles.items():
        t = backend.target
        for g in p.gates:
            ip = t[g.name][g.qubits]
            assert g.duration_ns == pytest.approx(ip.duration * 1e9, rel=1e-12), (name, g.label)
            if g.operational:
                assert g.error == ip.error, (name, g.label)
        for q in p.qubits:
            qp = t.qubit_properties[q.index]
            if q.t1_us is not None and qp.t1 is not None:
                assert q.t1_us == pytest.approx(qp.t1 * 1e6, rel=1e-12)


def test_real_snapshot_anomalies_are_adjusted_and_recorded(fake_profiles):
    """T2 > 2*T1 and error >= 1 entries, counted independently from the Targets,
    are exactly the adjustments recorded in the profiles."""
    expected_t2, expected_dead, devices_t2 = 0, 0, set()
    for b in FAKES:
        t = b.target
        for qp in t.qubit_properties:
            if qp is not None and qp.t1 is not None and qp.t2 is not None and qp.t2 > 2 * qp.t1:
                expected_t2 += 1
                devices_t2.add(b.name)
        for op in t.operation_names:
            for props in (t[op] or {}).values():
                if props is not None and props.error is not None and props.error >= 1:
                    expected_dead += 1
    got_t2 = got_dead = 0
    for name, (backend, p) in fake_profiles.items():
        for a in p.provenance.adjustments:
            if a.field == "t2_us":
                got_t2 += 1
                q = p.qubit(int(a.target.split()[1]))
                assert a.value == q.t2_us == 2 * q.t1_us and a.source_value > a.value
            if a.field == "error" and a.source_value is not None and a.source_value >= 1:
                got_dead += 1
                gname, rest = a.target.split()[1].split("(", 1)
                qubits = tuple(int(x) for x in a.target.split("(", 1)[1].rstrip(")").split(","))
                assert not p.gate(gname, qubits).operational and p.gate(gname, qubits).error is None
    assert got_t2 == expected_t2 and got_dead == expected_dead
    # the numbers the issue quotes for qiskit-ibm-runtime's 68 fake backends
    assert (expected_t2, len(devices_t2), expected_dead) == (58, 26, 452)


def test_import_warns_naming_each_adjustment():
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke

    with pytest.warns(ProfileWarning) as record:
        p = DeviceProfile.from_qiskit_backend(FakeSherbrooke())
    text = "\n".join(str(w.message) for w in record)
    for a in p.provenance.adjustments:
        assert f"{a.target}: {a.field}" in text


def test_sherbrooke_snapshot_extras():
    """ZZ, asymmetric readout and date come from the properties() snapshot."""
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke

    b = FakeSherbrooke()
    p = _import_quiet(b)
    props = b.properties().to_dict()
    zz = {x["name"]: x["value"] for x in props["general"] if x["name"].startswith("zz_")}
    assert p.zz_khz(0, 1) == pytest.approx(zz["zz_01"] * 1e6)
    assert p.zz_khz(0, 14) == pytest.approx(zz["zz_014"] * 1e6)
    assert len(p.crosstalk.zz) == len(zz)
    q0 = {x["name"]: x["value"] for x in props["qubits"][0]}
    assert p.qubit(0).prob_meas0_prep1 == q0["prob_meas0_prep1"]
    assert p.qubit(0).prob_meas1_prep0 == q0["prob_meas1_prep0"]
    assert p.timestamp == props["last_update_date"]
    assert all(p.is_coupled(a, b_) for a, b_ in (t.qubits for t in p.crosstalk.zz))


def test_generic_backend_without_snapshot():
    from qiskit.providers.fake_provider import GenericBackendV2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfileWarning)
        p = DeviceProfile.from_qiskit_backend(GenericBackendV2(5, seed=3), name="generic5")
    assert p.num_qubits == 5 and p.name == "generic5"
    assert any(a.field == "timestamp" for a in p.provenance.adjustments)  # import time used, recorded
    q = p.qubit(0)
    assert q.prob_meas1_prep0 == q.prob_meas0_prep1  # only the mean known: symmetric, recorded
    assert any(a.field == "prob_meas1_prep0" for a in p.provenance.adjustments)


def test_backend_without_target():
    with pytest.raises(ProfileError, match="has no Target"):
        DeviceProfile.from_qiskit_backend(object())


# ---------------------------------------------------------------- legacy IBM JSON
@pytest.fixture(scope="module")
def hanoi_archive(repo_root):
    path = repo_root / "calibration_data" / "ibm_repetition_codes_2022" / "625558bd3bfc767795eac3ce__ibm_hanoi.json"
    return json.loads(path.read_text())


def test_ibm_hanoi_reproduces_archived_properties(hanoi_archive):
    p = load_profile("ibm_hanoi")
    props = hanoi_archive["backend_properties"]
    t1 = [next(x["value"] for x in q if x["name"] == "T1") for q in props["qubits"]]
    assert statistics.median(q.t1_us for q in p.qubits) == statistics.median(t1)
    cx_src = [next(x["value"] for x in g["parameters"] if x["name"] == "gate_error")
              for g in props["gates"] if g["gate"] == "cx"]
    cx_live = [g.error for g in p.gates_named("cx") if g.operational]
    # operational CX gates = the archive's live entries (error < 1) exactly
    assert statistics.median(cx_live) == statistics.median([e for e in cx_src if e < 1])
    # and the dead entries are restored exactly from the provenance
    restored = cx_live + [a.source_value for a in p.provenance.adjustments if a.target.startswith("gate cx")]
    assert sorted(restored) == sorted(cx_src)
    assert p.timestamp.isoformat() == "2022-05-18T11:31:57+00:00"
    assert p.summary()["median_t1_us"] == statistics.median(t1)


def test_ibm_hanoi_readout_and_zz(hanoi_archive):
    p = load_profile("ibm_hanoi")
    q3 = {x["name"]: x["value"] for x in hanoi_archive["backend_properties"]["qubits"][3]}
    assert p.qubit(3).prob_meas0_prep1 == q3["prob_meas0_prep1"]
    assert p.qubit(3).readout_duration_ns == pytest.approx(q3["readout_length"])
    general = {x["name"]: x["value"] for x in hanoi_archive["backend_properties"]["general"]}
    assert p.zz_khz(12, 13) == pytest.approx(general["zz_1213"] * 1e6)
    assert p.qubit(5).reset_duration_ns > 0


def test_tzlocal_is_recorded(hanoi_archive):
    p = load_profile("ibm_hanoi")
    a = [a for a in p.provenance.adjustments if a.field == "timestamp"]
    assert a and "[tzlocal]" in a[0].source_value


def test_ibm_properties_missing_field(hanoi_archive):
    props = dict(hanoi_archive["backend_properties"])
    del props["gates"]
    with pytest.raises(ProfileError, match="missing field 'gates'"):
        DeviceProfile.from_ibm_properties(props, hanoi_archive["backend_configuration"])


def test_ibm_properties_bad_unit(hanoi_archive):
    import copy

    props = copy.deepcopy(hanoi_archive["backend_properties"])
    props["qubits"][2][0]["unit"] = "fortnights"
    with pytest.raises(ProfileError, match=r"qubits\[2\].T1: unknown time unit 'fortnights'"):
        DeviceProfile.from_ibm_properties(props, hanoi_archive["backend_configuration"])


def test_second_hanoi_snapshot_adjusts_t2():
    p = load_profile("ibm_hanoi_2022-05-20")
    adjusted = {a.target for a in p.provenance.adjustments if a.field == "t2_us"}
    assert adjusted == {"qubit 8", "qubit 19"}


# ---------------------------------------------------------------- Quantinuum
@pytest.mark.parametrize(
    "text,value,sigma",
    [
        ("2.15(8)E-03", 2.15e-3, 0.08e-3),
        ("4.5(8)E-05", 4.5e-5, 0.8e-5),
        ("0(2)E-06", 0.0, 2e-6),
        ("6(1)E-05", 6e-5, 1e-5),
        ("1.36(8)E-03", 1.36e-3, 0.08e-3),
        ("0.5(12)", 0.5, 1.2),
        ("3e-3", 3e-3, None),
    ],
)
def test_parse_uncertainty(text, value, sigma):
    v, s = parse_uncertainty(text)
    assert v == pytest.approx(value, rel=1e-12, abs=1e-18)
    if sigma is None:
        assert s is None
    else:
        assert s == pytest.approx(sigma, rel=1e-12)


def test_parse_uncertainty_rejects_garbage():
    with pytest.raises(ProfileError, match="'2.1\\(x\\)E-3'"):
        parse_uncertainty("2.1(x)E-3")


@pytest.mark.parametrize(
    "machine,date,n,e1,s1,e2,s2",
    [("H1-1", "2023-01-20", 20, 4.5e-5, 0.8e-5, 2.15e-3, 0.08e-3), ("H2-1", "2024-05-20", 56, 3.4e-5, 0.4e-5, 1.36e-3, 0.08e-3)],
)
def test_quantinuum_profiles(machine, date, n, e1, s1, e2, s2):
    p = load_profile(f"quantinuum_{machine.lower()}")
    assert p.technology.value == "trapped_ion" and p.num_qubits == n
    assert p.gate("r", (3,)).error == pytest.approx(e1)
    assert p.gate("r", (3,)).uncertainty["error"] == pytest.approx(s1)
    assert p.gate("rzz", (7, 2)).error == pytest.approx(e2)  # all-to-all, either order
    assert p.gate("rzz", (2, 7)).uncertainty["error"] == pytest.approx(s2)
    assert len(p.gates_named("rzz")) == n * (n - 1) // 2
    assert all(q.t1_us is None for q in p.qubits)
    assert p.timestamp.date().isoformat() == date


def test_quantinuum_unknown_row():
    with pytest.raises(ProfileError, match="no row for Machine='H9-9'"):
        DeviceProfile.from_quantinuum_spec("H9-9", "2023-01-20")


def test_quantinuum_bad_date():
    with pytest.raises(ProfileError, match="date='20/01/2023'"):
        DeviceProfile.from_quantinuum_spec("H1-1", "20/01/2023")
