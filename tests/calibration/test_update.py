"""Applying calibration results gives a new dated profile (never clipped)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qpu_twin import ProfileError, load_profile
from qpu_twin.calibration import CalibrationResult, apply_results


def _r(q, quantity, value, stderr, quality="good"):
    return CalibrationResult("X", tuple(q), quantity, value, stderr, quality=quality)


def test_apply_results_new_dated_profile():
    base = load_profile("line5")
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    new = apply_results(base, [
        _r([0], "t1_us", 91.0, 2.0), _r([0], "t2_echo_us", 70.0, 3.0), _r([0], "t2_star_us", 50.0, 3.0),
        _r([1], "prob_meas0_prep1", 0.04, 0.001), _r([2], "epg", 7e-4, 5e-5), _r([1, 2], "epg", 0.012, 0.001),
        _r([2, 3], "zz_khz", -47.0, 0.2), _r([3], "t1_us", 10.0, 50.0, quality="bad"),
    ], timestamp=when)
    assert new is not base and base.qubit(0).t1_us == 100.0  # the old one is untouched
    q0 = new.qubit(0)
    assert (q0.t1_us, q0.t2_us) == (91.0, 70.0) and q0.uncertainty == {"t1_us": 2.0, "t2_us": 3.0}
    assert new.qubit(1).prob_meas0_prep1 == 0.04
    assert new.gate("sx", (2,)).error == 7e-4 and new.gate("x", (2,)).error == 7e-4
    assert new.gate("id", (2,)).error == 5e-4  # id is not an RB-calibrated gate
    assert new.gate("cx", (1, 2)).error == new.gate("cx", (2, 1)).error == 0.012
    assert new.zz_khz(2, 3) == -47.0
    assert new.qubit(3).t1_us == 100.0  # bad-quality result skipped
    assert new.timestamp == when
    prov = new.provenance
    assert "calibration of line5" in prov.source and any("skipped" in n for n in prov.notes)
    assert any("qubit 0 t1_us: 100.0 -> 91" in n for n in prov.notes)


def test_apply_never_clips():
    with pytest.raises(ProfileError, match="qubit 0: t2_us=250.0 exceeds 2\\*t1_us=200.0"):
        apply_results(load_profile("line5"), [_r([0], "t2_echo_us", 250.0, 5.0)])
