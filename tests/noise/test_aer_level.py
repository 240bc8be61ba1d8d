"""The fast numerical aer-level maps equal Aer's own QuantumErrors."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import SuperOp

from qpu_twin import load_profile
from qpu_twin.interop.aer import aer_gate_error, aer_gate_errors, aer_gate_superop
from qpu_twin.noise import channels as ch


@pytest.mark.parametrize("name", ["line5", "ibm_hanoi", "quantinuum_h1-1"])
def test_fast_superop_equals_aer_quantum_error(name):
    prof = load_profile(name)
    table = aer_gate_errors(prof)
    checked = 0
    for (gname, qubits), err in list(table.items())[:120]:
        fast = aer_gate_superop(prof, gname, qubits)
        ref = ch.swap_vec_order(SuperOp(err).data)
        assert np.abs(fast - ref).max() < 1e-10, (gname, qubits)
        single = aer_gate_error(prof, gname, qubits)
        assert np.abs(ch.swap_vec_order(SuperOp(single).data) - ref).max() < 1e-12
        checked += 1
    assert checked > 10
