"""``qpu-twin fit``: JSON output and the fitted profile on the shipped IBM archive."""

from __future__ import annotations

import pytest


#: the command writes its default checkpoint into the current folder
pytestmark = pytest.mark.usefixtures("in_tmp_path")


def test_cli_fit_json_and_dated_profile(capsys, tmp_path):
    """`qpu-twin fit --json` on the real IBM archive (a few circuits): the issue's JSON shape, held-out
    metrics for the three models, and a fitted profile dated by the data with the fit in its provenance."""
    import json

    from qpu_twin import load_profile as load
    from qpu_twin.cli import main

    out_path = tmp_path / "fitted.yaml"
    from pathlib import Path

    archive = Path(__file__).resolve().parents[2] / "calibration_data" / "ibm_repetition_codes_2022"
    code = main(["fit", str(archive), "--max-circuits", "4", "--sweeps", "1",
                 "--kinds", "p10,p01", "--aer-shots", "2000", "--seed", "3", "--json", "-o", str(out_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out["heldout"]) == {"datasheet_twin", "fitted_twin", "aer_properties"}
    for entry in out["heldout"].values():
        assert 0 < entry["mean_hellinger"] < 1 and 0 < entry["mean_tvd"] < 1 and entry["circuits"] == 2
    assert out["split_seed"] == 3 and out["train_circuits"] == 2
    assert {r["parameter"].split()[0] for r in out["parameters"]} == {"p10", "p01"}
    fitted = load(out_path)
    assert fitted.timestamp.date().isoformat() == "2022-04-12"  # first job's date, not the 2022-05-18 snapshot
    assert "fit of ibm_hanoi" in fitted.provenance.source
