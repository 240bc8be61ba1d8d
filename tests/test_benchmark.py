"""Benchmark harness: metrics against hand computations, datasets, a live backend standing in for hardware."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from qpu_twin.benchmark import (
    dataset_from_backend,
    default_models,
    ghz,
    load_dataset,
    run_benchmark,
    save_dataset,
    standard_suite,
    write_report,
)
from qpu_twin.cli import main
from qpu_twin.errors import DataError
from qpu_twin.metrics import (
    bootstrap_metric,
    heavy_output_probability,
    hellinger,
    linear_xeb,
    success_probability,
    tvd,
)
from qpu_twin.paths import calibration_data_dir


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------- metrics vs independent formulas
def test_metrics_hand_cases():
    ideal = {"00": 0.4, "01": 0.3, "10": 0.2, "11": 0.1}
    q = {"00": 50, "01": 10, "10": 30, "11": 10}  # counts: 0.5 0.1 0.3 0.1
    assert tvd(ideal, q) == pytest.approx(0.5 * (0.1 + 0.2 + 0.1 + 0.0))
    assert hellinger(ideal, q) == pytest.approx(
        math.sqrt(1 - (math.sqrt(0.2) + math.sqrt(0.03) + math.sqrt(0.06) + math.sqrt(0.01))))
    # heavy outputs: probabilities above the median (0.25) are 00 and 01
    assert heavy_output_probability(ideal, q) == pytest.approx(0.6)
    # linear XEB = 4 * sum q p - 1 = 4 * (0.5*.4 + .1*.3 + .3*.2 + .1*.1) - 1
    assert linear_xeb(ideal, q) == pytest.approx(4 * 0.3 - 1)
    assert linear_xeb(ideal, ideal) == pytest.approx(4 * (0.16 + 0.09 + 0.04 + 0.01) - 1)
    assert success_probability(q, "10") == pytest.approx(0.3)
    uniform = {format(i, "02b"): 0.25 for i in range(4)}
    assert linear_xeb(ideal, uniform) == pytest.approx(0.0)


def test_bootstrap_metric_matches_plain_metric_and_scales_with_shots():
    pred = {"0": 0.7, "1": 0.3}
    resamples = 400
    # shot counts where TVD = |0.65 - 0.7| sits >= 5 sigma from its fold at 0, so TVD is linear in the fraction
    for shots in (2_500, 10_000):
        counts = {"0": int(0.65 * shots), "1": shots - int(0.65 * shots)}
        v, reps = bootstrap_metric("tvd", pred, counts, resamples=resamples, rng=np.random.default_rng(1))
        assert v == pytest.approx(tvd(pred, counts))
        # the spread of the replicates is the binomial shot noise of the measured fraction; a standard
        # deviation estimated from R replicates has relative error 1/sqrt(2(R-1)): allow 3 of those
        assert np.std(reps) == pytest.approx(np.sqrt(0.65 * 0.35 / shots), rel=3 / np.sqrt(2 * (resamples - 1)))


# ---------------------------------------------------------------- datasets
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


# ---------------------------------------------------------------- a live backend standing in for hardware
def test_harness_on_a_fake_backend(tmp_path):
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    live = dataset_from_backend(FakeManilaV2(), standard_suite(3, seed=2), shots=4000, seed=3)
    models = default_models(live)
    report = run_benchmark(live, models, resamples=100)
    names = set(report.models)
    assert {"ideal", "aer_backend", "twin_aer", "twin_lindblad", "twin_no_readout"} <= names
    for e in report.models.values():
        lo, hi = e["ci95_hellinger"]
        assert hi > lo  # a real interval (its calibration is tested on one circuit in the bootstrap test)
    # the noiseless prediction is the worst, and the twin beats it
    assert report.models["ideal"]["mean_hellinger"] > report.models["twin_lindblad"]["mean_hellinger"]
    assert all("measured:success" in r or "measured:hop" in r for r in report.circuits)
    md = write_report(report, live, tmp_path / "rep", models=models)
    assert "mean Hellinger" in open(md).read() and (tmp_path / "rep" / "models.png").stat().st_size > 1000


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
