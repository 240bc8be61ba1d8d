"""Must-show #3 (test part): the real ibm_hanoi repetition-code circuits run exactly."""

from __future__ import annotations

import warnings

import pytest

from qpu_twin import Twin, load_profile
from qpu_twin.data import ibm_repetition_code_jobs, load_ibm_job


@pytest.fixture(scope="module")
def jobs():
    return ibm_repetition_code_jobs()


def test_archive_loads(jobs):
    assert len(jobs) == 8 and all(len(j.circuits) == 54 for j in jobs)
    hc = jobs[0].circuits[0]
    assert hc.shots == 100_000 and sum(hc.counts.values()) == 100_000
    assert hc.circuit.num_qubits == 27 and hc.circuit.num_clbits == 7


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


def test_all_jobs_exact_distributions(jobs):
    for job in jobs[1:]:
        _check_job(job)


def test_malformed_job_file(tmp_path):
    from qpu_twin import DataError

    f = tmp_path / "job.json"
    f.write_text('{"qobj": {"experiments": [{"header": {"n_qubits": 2, "memory_slots": 1}, '
                 '"instructions": [{"name": "teleport", "qubits": [0]}]}]}, "result": {"experiments": [{"counts": {}}]}}')
    with pytest.raises(DataError, match=r"""instructions"\]\[0\]\["name"\]='teleport': unsupported instruction"""):
        load_ibm_job(f)
