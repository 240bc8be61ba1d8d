"""Must-show #2 and #4: Quantinuum H1-1 / H2-1 raw data reproduce the published spec-sheet numbers;
`qpu-twin calibrate` handles every file type and rejects malformed files clearly."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from qpu_twin import CalibrationError
from qpu_twin.calibration.quantinuum_data import analyse_file, load_quantinuum, quantinuum_files
from qpu_twin.cli import main
from qpu_twin.paths import calibration_data_dir
from qpu_twin.profiles.importers import parse_uncertainty

FOLDER = calibration_data_dir() / "quantinuum"


def _published(machine: str, date: str) -> dict[str, tuple[float, float]]:
    with open(FOLDER / "Spec_sheet_parameters.csv") as fh:
        for row in csv.DictReader(fh):
            if row["Machine"] == machine and row["Date"] == date:
                return {k: parse_uncertainty(row[k]) for k in ("1Q error", "2Q error", "SPAM error", "Transport 1Q error")}
    raise KeyError((machine, date))


CASES = [
    ("H1-1", "2023_01_20", "SQ_RB", "gate_error", "1Q error"),
    ("H1-1", "2023_01_20", "TQ_RB", "gate_error", "2Q error"),
    ("H1-1", "2023_01_20", "SPAM", "spam_error", "SPAM error"),
    ("H2-1", "2024_05_20", "SQ_RB", "gate_error", "1Q error"),
    ("H2-1", "2024_05_20", "TQ_RB", "gate_error", "2Q error"),
    ("H2-1", "2024_05_20", "SPAM", "spam_error", "SPAM error"),
    ("H1-1", "2023_01_20", "Memory_RB", "memory_error_per_step", "Transport 1Q error"),
    ("H2-1", "2024_05_20", "Memory_RB", "memory_error_per_step", "Transport 1Q error"),
]


@pytest.mark.parametrize("machine,date,kind,quantity,column", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_reproduces_published_numbers(machine, date, kind, quantity, column):
    results = analyse_file(FOLDER / f"{machine}__{date}__{kind}.json", bootstrap=400, seed=1)
    [r] = [r for r in results if r.quantity == quantity]
    value, sigma = _published(machine, date)[column]
    combined = float(np.hypot(sigma, r.stderr))
    assert abs(r.value - value) <= combined, (r.value, r.stderr, value, sigma)
    # and our uncertainty is of the published size (same data, same kind of bootstrap)
    assert 0.4 * sigma <= r.stderr <= 2.5 * sigma


def test_every_file_type_via_cli(capsys):
    kinds = set()
    for f in quantinuum_files():
        code = main(["calibrate", str(f), "--json", "--bootstrap", "40"])
        out = json.loads(capsys.readouterr().out)
        assert code == 0 and out["results"]
        for r in out["results"]:
            assert {"experiment", "qubits", "quantity", "value", "stderr"} <= set(r)
        kinds.add(load_quantinuum(f).kind)
    assert kinds == {"SQ_RB", "TQ_RB", "Memory_RB", "SPAM", "Measurement_crosstalk"}


def test_cli_table(capsys):
    code = main(["calibrate", str(FOLDER / "H1-1__2023_01_20__SPAM.json")])
    out = capsys.readouterr().out
    assert code == 0 and "spam_error" in out and "SPAM" in out


@pytest.mark.parametrize("content,needle", [
    ('{"shots": 100, "survival": {"0": {"2": {"0": 99}', "not valid JSON"),
    ("[1, 2, 3]", "expected a JSON object"),
    ('{"survival": {"0": {"0": 5, "1": 5}}}', "missing field 'shots'"),
    ('{"shots": -3, "survival": {"0": {"0": 5, "1": 5}}}', "shots=-3"),
    ('{"shots": 100, "survival": {"0": {"2": {"0": 150}}}}', "=150 is not a count in [0, shots=100]"),
    ('{"shots": 100, "survival": {"0": {"2": {"0": "many"}}}}', "'many' is not a count"),
    ('{"shots": 100, "survival": {}}', "survival"),
])
def test_malformed_files(tmp_path, capsys, content, needle):
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(CalibrationError, match=__import__("re").escape(needle)):
        analyse_file(f, bootstrap=10)
    assert main(["calibrate", str(f)]) == 1
    assert needle.split("=")[0] in capsys.readouterr().err


def test_truncated_real_file(tmp_path):
    src = (FOLDER / "H1-1__2023_01_20__SQ_RB.json").read_text()
    f = tmp_path / "H1-1__2023_01_20__SQ_RB.json"
    f.write_text(src[: len(src) // 3])
    with pytest.raises(CalibrationError, match="truncated"):
        load_quantinuum(f)
