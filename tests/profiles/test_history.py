"""Calibration history of a device: dated profiles, as-of look-up, saving a new calibration, drift."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qpu_twin import ProfileError, Twin
from qpu_twin.calibration import CalibrationResult, apply_results
from qpu_twin.profiles.history import calibration_history, drift_summary, profile_as_of, save_to_history


def _r(q, quantity, value, stderr, quality="good"):
    return CalibrationResult("X", tuple(q), quantity, value, stderr, quality=quality)


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
