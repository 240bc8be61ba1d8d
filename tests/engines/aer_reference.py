"""Exact outcome distributions from Qiskit Aer's density-matrix method (test reference)."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit


def aer_exact_distribution(compiled: QuantumCircuit, noise_model) -> dict[str, float]:
    """Exact distribution of a circuit whose measurements are all at the end.

    Aer evolves the density matrix with ``noise_model`` up to the final
    measurements (``save_density_matrix``); the readout-error matrices are
    taken from the same NoiseModel object and applied classically.
    """
    from qiskit_aer import AerSimulator

    body = compiled.copy_empty_like()
    meas = []  # (qubit, clbit)
    for inst in compiled.data:
        if inst.operation.name == "measure":
            meas.append((compiled.find_bit(inst.qubits[0]).index, compiled.find_bit(inst.clbits[0]).index))
            continue
        if meas and inst.operation.name != "barrier":
            raise ValueError("aer_exact_distribution: only terminal measurements are supported")
        body.append(inst)
    qubits = [q for q, _ in meas]
    body.save_density_matrix(qubits=qubits, label="rho")
    sim = AerSimulator(method="density_matrix", noise_model=noise_model)
    data = sim.run(body, shots=1).result().data(0)
    rho = np.asarray(data["rho"])
    probs = np.real(np.diag(rho))  # index bit j = qubits[j]
    m = len(qubits)
    t = probs.reshape([2] * m)  # axis i <-> qubits[m-1-i]
    ro = noise_model._local_readout_errors  # {(q,): ReadoutError}
    for j, q in enumerate(qubits):
        err = ro.get((q,))
        if err is None:
            continue
        mat = np.asarray(err.probabilities)  # [actual, recorded]
        ax = m - 1 - j
        t = np.moveaxis(np.tensordot(mat.T, t, axes=([1], [ax])), 0, ax)
    flat = t.reshape(-1)
    nc = compiled.num_clbits
    out: dict[str, float] = {}
    for idx, p in enumerate(flat):
        key = 0
        for j, (_, c) in enumerate(meas):
            if (idx >> j) & 1:
                key |= 1 << c
        s = format(key, f"0{nc}b")
        out[s] = out.get(s, 0.0) + float(p)
    return out
