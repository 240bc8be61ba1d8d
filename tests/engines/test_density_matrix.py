"""Density-matrix engine: the cost warning, the progress bar and the memory message (issue #12 item 4)."""

from __future__ import annotations

import warnings

import pytest
from qiskit import QuantumCircuit

from qpu_twin import CostWarning, EngineError, Twin
from qpu_twin.engines import density_matrix as dm


def _ghz(n: int, *, mid: bool = False) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if mid:
        qc.measure(0, 0)
        qc.x(0)
    qc.measure(range(n), range(n))
    return qc


def test_a_long_run_warns_with_its_estimates_and_shows_a_progress_bar(monkeypatch, capsys):
    monkeypatch.setattr(dm, "WARN_SECONDS", 0.0)
    with pytest.warns(CostWarning, match=r"density_matrix: 3 active qubits, \d+ channels: estimated .* s and .* GiB"):
        Twin("line5", engine="density_matrix").run(_ghz(3), seed=1)
    assert "density_matrix" in capsys.readouterr().err  # the tqdm bar (stderr)


def test_a_short_run_is_silent(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CostWarning)
        Twin("line5", engine="density_matrix").run(_ghz(3), seed=1)
    assert capsys.readouterr().err == ""


def test_memory_message_names_only_the_factors_that_apply():
    eng = dm.DensityMatrixEngine(max_memory_bytes=1000)
    with pytest.raises(EngineError) as plain:
        eng.check_size(5, mid_circuit_measurements=False)
    assert "16*4^5 bytes" in str(plain.value) and "x3" not in str(plain.value)
    with pytest.raises(EngineError) as mid:
        eng.check_size(5, mid_circuit_measurements=True)
    assert "x3 for the mid-circuit measurement branches" in str(mid.value)


def test_a_large_state_warns_before_it_is_allocated(monkeypatch):
    monkeypatch.setattr(dm, "WARN_BYTES", 100)
    with pytest.warns(CostWarning, match=r"3 active qubits need .* GiB \(16\*4\^3 bytes\)"):
        Twin("line5", engine="density_matrix").run(_ghz(3), seed=1)
