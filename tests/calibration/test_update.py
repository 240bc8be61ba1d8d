"""Applying calibration results gives a new dated profile; history, as-of and drift."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from qpu_twin import ProfileError, Twin, load_profile
from qpu_twin.calibration import (
    CalibrationResult,
    apply_results,
    calibration_history,
    drift_summary,
    profile_as_of,
    save_to_history,
)
from qpu_twin.calibration.fitting import exp_decay, fit_binomial
from qpu_twin.errors import CalibrationError


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


def test_history_as_of_and_drift(tmp_path, monkeypatch):
    monkeypatch.setenv("QPU_TWIN_HISTORY", str(tmp_path))
    hist = calibration_history("ibm_hanoi")
    assert [p.timestamp.date().isoformat() for p in hist] == ["2022-05-18", "2022-05-20"]
    assert profile_as_of("ibm_hanoi", "2022-05-19").timestamp.day == 18
    assert Twin.as_of("ibm_hanoi", "2022-05-21").profile.timestamp.day == 20
    with pytest.raises(ProfileError, match="no calibration on or before"):
        profile_as_of("ibm_hanoi", "2021-01-01")
    # a new calibration saved to the history joins it
    new = apply_results(hist[-1], [_r([0], "t1_us", 95.0, 1.0)], timestamp=datetime(2022, 6, 1, tzinfo=timezone.utc))
    path = save_to_history(new)
    assert path.parent.name == "ibm_hanoi"
    rows = drift_summary("ibm_hanoi")
    assert len(rows) == 3 and rows[-1]["timestamp"].startswith("2022-06-01")
    assert profile_as_of("ibm_hanoi", "2022-07-01").qubit(0).t1_us == 95.0


def test_bootstrap_errors_agree_with_covariance():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 300, 15)
    n = np.full(15, 2000)
    k = rng.binomial(n, exp_decay(x, 0.95, 100.0, 0.02))
    kw = dict(names=["a", "tau", "b"], p0=[0.9, 80, 0.0], bounds=([0, 1, -0.2], [1.2, 1e4, 0.5]))
    cov = fit_binomial(exp_decay, x, k, n, **kw)
    boot = fit_binomial(exp_decay, x, k, n, bootstrap=200, seed=1, **kw)
    assert boot.error_method.startswith("bootstrap")
    assert boot.stderr["tau"] == pytest.approx(cov.stderr["tau"], rel=0.3)
    assert abs(cov.params["tau"] - 100.0) <= 3 * cov.stderr["tau"]
