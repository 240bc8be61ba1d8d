"""Google Sycamore profiles imported from cirq-google's shipped calibrations."""

from __future__ import annotations

import pytest

cirq = pytest.importorskip("cirq")
cirq_google = pytest.importorskip("cirq_google")

from qpu_twin import DeviceProfile, load_profile  # noqa: E402
from qpu_twin.profiles.importers.cirq_google import grid_qubits  # noqa: E402

EXPECTED = {"rainbow": (23, "2021-11-16"), "weber": (53, "2021-11-03")}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def imported(request):
    return request.param, DeviceProfile.from_cirq_google(request.param)


def test_import_validates_and_round_trips(imported):
    proc, p = imported
    n, date = EXPECTED[proc]
    assert p.name == f"google_{proc}" and p.vendor == "Google"
    assert p.num_qubits == n and p.timestamp.date().isoformat() == date
    assert set(p.native_gates) == {"rz", "u", "sqrt_iswap", "syc"}
    assert DeviceProfile.from_dict(p.to_dict()) == p  # validated again on the way back
    assert p.fingerprint == load_profile(f"google_{proc}").fingerprint  # shipped file is up to date


def test_mapping_follows_the_calibration(imported):
    """Spot-check the documented mapping against the raw metrics, qubit by qubit."""
    proc, p = imported
    cal = cirq_google.engine.load_median_device_calibration(proc)
    grid = grid_qubits(p)
    assert grid == sorted(grid) and len(set(grid)) == p.num_qubits

    def one(metric, q):
        return cal.value_to_float(cal[metric][(q,)])

    for i, q in enumerate(grid):
        qb = p.qubit(i)
        assert qb.t1_us == pytest.approx(one("single_qubit_idle_t1_micros", q), rel=1e-12)
        assert qb.prob_meas1_prep0 == pytest.approx(one("single_qubit_p00_error", q), rel=1e-12)
        assert qb.prob_meas0_prep1 == pytest.approx(one("single_qubit_p11_error", q), rel=1e-12)
        assert p.gate("u", (i,)).error == pytest.approx(2 / 3 * one("single_qubit_rb_pauli_error_per_gate", q), rel=1e-12)
        assert qb.t2_us <= 2 * qb.t1_us + 1e-12
    # T2 reproduces cirq-google's own Tphi where it resolves one
    props = cirq_google.engine.noise_properties_from_calibration(cal, gate_times_ns="legacy")
    for i, q in enumerate(grid):
        tphi_ns = props.tphi_ns[q]
        if tphi_ns < 1e9:
            expected_t2_us = 1e-3 / (0.5 / props.t1_ns[q] + 1 / tphi_ns)
            assert p.qubit(i).t2_us == pytest.approx(expected_t2_us, rel=1e-9)
    # two-qubit gates: 4/5 of the XEB Pauli error per cycle, both gate types on every calibrated pair
    metric = cal["two_qubit_parallel_sqrt_iswap_gate_xeb_pauli_error_per_cycle"]
    idx = {q: i for i, q in enumerate(grid)}
    for key, val in metric.items():
        a, b = cal.key_to_qubits(key)
        assert p.gate("sqrt_iswap", (idx[a], idx[b])).error == pytest.approx(0.8 * cal.value_to_float(val), rel=1e-12)
        assert p.has_gate("syc", (idx[b], idx[a]))  # symmetric gates: either order


def test_coherent_angle_data_is_recorded_not_dropped(imported):
    _, p = imported
    fields = {a.field for a in p.provenance.adjustments}
    assert "two_qubit_parallel_sqrt_iswap_gate_xeb_entangler_phi_error_per_cycle" in fields
    assert "zphase[sqrt_iswap][zeta]" in fields and "zphase[sqrt_iswap][gamma]" in fields
    assert p.crosstalk.zz == ()  # tunable couplers: no static ZZ in the calibration


def test_unknown_processor_is_refused():
    from qpu_twin.errors import ProfileError

    with pytest.raises(ProfileError, match="processor='sycamore'"):
        DeviceProfile.from_cirq_google("sycamore")


def test_cli_imports_and_writes_atomically(tmp_path, capsys):
    from qpu_twin.cli import main

    path = tmp_path / "rainbow.yaml"
    assert main(["profile", "import", "--cirq-google", "rainbow", "--name", "my_rainbow", "-o", str(path)]) == 0
    assert path.is_file() and not list(path.parent.glob(".*.tmp"))
    back = DeviceProfile.load(path)
    assert back == DeviceProfile.from_cirq_google("rainbow", name="my_rainbow") and back.name == "my_rainbow"
    with pytest.raises(SystemExit) as info:  # a bad suffix is refused before any import work
        main(["profile", "import", "--cirq-google", "rainbow", "-o", str(tmp_path / "x.txt")])
    assert info.value.code == 1
