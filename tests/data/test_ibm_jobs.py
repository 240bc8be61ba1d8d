"""The IBM job archive loader: the shipped repetition-code jobs, malformed job files."""

from __future__ import annotations

import pytest

from qpu_twin.data import ibm_repetition_code_jobs, load_ibm_job


@pytest.fixture(scope="module")
def jobs():
    return ibm_repetition_code_jobs()


def test_archive_loads(jobs):
    assert len(jobs) == 8 and all(len(j.circuits) == 54 for j in jobs)
    hc = jobs[0].circuits[0]
    assert hc.shots == 100_000 and sum(hc.counts.values()) == 100_000
    assert hc.circuit.num_qubits == 27 and hc.circuit.num_clbits == 7


def test_malformed_job_file(tmp_path):
    from qpu_twin import DataError

    f = tmp_path / "job.json"
    f.write_text('{"qobj": {"experiments": [{"header": {"n_qubits": 2, "memory_slots": 1}, '
                 '"instructions": [{"name": "teleport", "qubits": [0]}]}]}, "result": {"experiments": [{"counts": {}}]}}')
    with pytest.raises(DataError, match="unsupported name 'teleport'"):
        load_ibm_job(f)
