"""Random native circuits for line5-like devices (test helpers)."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit


def random_native_dynamic(n: int, depth: int, seed: int, *, edges=None, feed_forward: bool = True,
                          delays: bool = True) -> QuantumCircuit:
    """A physical circuit in {rz, sx, x, cx, delay, measure, reset, if_else} on qubits 0..n-1 of a line."""
    rng = np.random.default_rng(seed)
    edges = edges or [(i, i + 1) for i in range(n - 1)] + [(i + 1, i) for i in range(n - 1)]
    nc = n + 2
    qc = QuantumCircuit(n, nc)
    for _ in range(depth):
        r = rng.random()
        q = int(rng.integers(n))
        if r < 0.25:
            qc.sx(q)
        elif r < 0.35:
            qc.x(q)
        elif r < 0.5:
            qc.rz(float(rng.uniform(-np.pi, np.pi)), q)
        elif r < 0.72:
            a, b = edges[int(rng.integers(len(edges)))]
            qc.cx(a, b)
        elif r < 0.8 and delays:
            qc.delay(int(rng.integers(10, 3000)), q, unit="ns")
        elif r < 0.88:
            qc.measure(q, int(rng.integers(nc)))
        elif r < 0.93:
            qc.reset(q)
        elif feed_forward:
            c = int(rng.integers(nc))
            t = int(rng.integers(n))
            with qc.if_test((qc.clbits[c], 1)):
                if rng.random() < 0.5:
                    qc.x(t)
                else:
                    qc.sx(t)
    qc.measure(range(n), range(n))
    return qc
