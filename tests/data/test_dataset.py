"""Hardware datasets: the shipped IBM archive as a dataset, the own directory format, malformed files."""

from __future__ import annotations

import pytest

from qpu_twin.data import load_dataset, save_dataset
from qpu_twin.errors import DataError
from qpu_twin.paths import calibration_data_dir


def test_ibm_archive_is_a_dataset():
    ds = load_dataset(calibration_data_dir() / "ibm_repetition_codes_2022")
    assert len(ds.circuits) == 432 and ds.device == "ibm_hanoi"
    assert len(ds.snapshots) == 2 and all(c.physical and c.shots == 100_000 for c in ds.circuits)


def test_dataset_round_trip(tmp_path):
    ds = load_dataset(calibration_data_dir() / "ibm_repetition_codes_2022").subset(3)
    save_dataset(ds, tmp_path / "d")
    back = load_dataset(tmp_path / "d")
    assert [c.counts for c in back.circuits] == [c.counts for c in ds.circuits]
    assert [c.circuit for c in back.circuits] == [c.circuit for c in ds.circuits]
    assert back.snapshots.keys() == ds.snapshots.keys()


def test_malformed_dataset(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "dataset.json").write_text('{"schema_version": 9}')
    with pytest.raises(DataError, match="schema_version=9"):
        load_dataset(d)
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(tmp_path / "nothing")
