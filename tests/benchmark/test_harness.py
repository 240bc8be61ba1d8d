"""Benchmark harness: a live (fake) backend standing in for hardware."""

from __future__ import annotations

import warnings

import pytest

from qpu_twin.benchmark import dataset_from_backend, default_models, run_benchmark, standard_suite, write_report


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


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
    # the per-family diagnostics: circuits with a known answer (mirror, BV), measured vs predicted error
    assert "### per circuit family" in open(md).read() and (tmp_path / "rep" / "diagnostics_family.png").exists()
