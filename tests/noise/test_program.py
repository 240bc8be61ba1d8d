"""Fusion and terminal-measurement handling are exact program transformations."""

from __future__ import annotations

import numpy as np
import pytest

from qpu_twin import Twin
from qpu_twin.engines import get_engine

from ..circuits import random_native_dynamic


def _close(a: dict, b: dict, tol: float) -> float:
    keys = set(a) | set(b)
    return max(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("noise", ["lindblad", "aer"])
def test_fusion_is_exact(seed, noise):
    twin = Twin("line5", noise=noise)
    qc = random_native_dynamic(4, 30, seed)
    sched = twin.schedule(qc, transpile=False)
    b = twin.builder()
    eng = get_engine("density_matrix")
    fused = eng.run(b.program(sched, fuse_ops=True)).probabilities
    plain = eng.run(b.program(sched, fuse_ops=False)).probabilities
    assert _close(fused, plain, 0) < 1e-12
    assert abs(sum(fused.values()) - 1) < 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_terminal_measurements_equal_branching(seed):
    """Reading terminal measurements from the diagonal equals branching on them."""
    from qpu_twin.noise.program import NoisyProgram

    twin = Twin("line5")
    qc = random_native_dynamic(4, 20, seed)
    prog = twin.builder().program(twin.schedule(qc, transpile=False))
    assert prog.terminal  # the final measure_all is terminal
    branched = NoisyProgram(prog.num_qubits, prog.num_clbits, prog.active_qubits,
                            prog.instructions + tuple(prog.terminal), (), prog.metadata)
    eng = get_engine("density_matrix")
    a = eng.run(prog).probabilities
    b = eng.run(branched).probabilities
    assert _close(a, b, 0) < 1e-12


def test_untouched_qubits_are_dropped():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(27, 2)
    qc.delay(100, 0, unit="ns")
    qc.barrier()
    qc.x(1)
    qc.cx(1, 2)
    qc.measure([1, 2], [0, 1])
    res = Twin("ibm_hanoi").run(qc, transpile=False)
    assert res.metadata["active_qubits"] == [1, 2]
    assert np.isclose(sum(res.probabilities.values()), 1.0, atol=1e-12)
