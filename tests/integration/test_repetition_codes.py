"""Must-show #3 (test part): the real ibm_hanoi repetition-code circuits run exactly."""

from __future__ import annotations

import warnings

import pytest

from qpu_twin import Twin, load_profile
from qpu_twin.data import ibm_repetition_code_jobs


@pytest.fixture(scope="module")
def jobs():
    return ibm_repetition_code_jobs()


def _check_job(job):
    twin = Twin(load_profile("ibm_hanoi"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for hc in job.circuits:
            res = twin.run(hc.circuit, transpile=False)
            assert abs(sum(res.probabilities.values()) - 1) < 1e-10, hc.name
            assert len(res.metadata["active_qubits"]) == 5
            assert res.metadata["engine_stats"]["max_branches"] > 1  # mid-circuit measurements branched
            assert min(res.probabilities.values()) > -1e-12
            assert set(res.probabilities) >= {k for k, c in hc.counts.items() if c > 1000}  # support covers the data


def test_one_job_exact_distributions(jobs):
    _check_job(jobs[0])


@pytest.mark.parametrize("index", range(1, 8), ids=lambda i: f"job{i}")
def test_all_jobs_exact_distributions(jobs, index):
    """Jobs 1-7 (job 0 above), one test each so that parallel workers share them."""
    assert len(jobs) == 8
    _check_job(jobs[index])
