"""``qpu-twin bench``: JSON output on a dataset measured on a fake backend."""

from __future__ import annotations

import json
import pytest

from qpu_twin.benchmark import dataset_from_backend, ghz, save_dataset
from qpu_twin.cli import main


#: the command writes its default checkpoint into the current folder
pytestmark = pytest.mark.usefixtures("in_tmp_path")


def test_cli_bench_json(capsys, tmp_path):
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    live = dataset_from_backend(FakeManilaV2(), [ghz(3)], shots=2000, seed=1)
    save_dataset(live, tmp_path / "live")
    code = main(["bench", str(tmp_path / "live"), "--json", "--models", "ideal,twin_lindblad", "--resamples", "50"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and set(out["models"]) == {"ideal", "twin_lindblad"}
    for entry in out["models"].values():
        assert {"mean_hellinger", "mean_tvd", "ci95", "seconds"} <= set(entry)
    assert out["circuits"][0]["circuit"] == "ghz3"
