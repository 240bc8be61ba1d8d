"""Small synthetic hardware datasets on ``line5``: counts sampled from the twin of a known profile (fast)."""

from __future__ import annotations

import warnings

from qiskit import QuantumCircuit

from qpu_twin import Twin, load_profile
from qpu_twin.data import HardwareDataset, MeasuredCircuit, save_dataset


def circuits(n: int) -> list[QuantumCircuit]:
    """``n`` native, physical circuits on qubits 0-2 of line5: basis states, CX chains, Ramsey-like sx pairs."""
    out = []
    i = 0
    while len(out) < n:
        kind = i % 3
        qc = QuantumCircuit(3, 3)
        if kind == 0:  # a basis state
            for q in range(3):
                if (i // 3) >> q & 1:
                    qc.x(q)
        elif kind == 1:  # repeated CX on (0, 1) and (1, 2)
            qc.x(0)
            for _ in range(1 + (i // 3) % 4):
                qc.cx(0, 1)
                qc.cx(1, 2)
        else:  # sx pairs with an idle in between
            for q in range(3):
                qc.sx(q)
            qc.delay(2 + 3 * ((i // 3) % 5), 0, unit="us")
            qc.sx(0)
        qc.measure(range(3), range(3))
        out.append(qc)
        i += 1
    return out


def cx_circuits(n: int = 8) -> list[QuantumCircuit]:
    """``x(0)`` then k = 1..n CX(0, 1), both qubits measured: they constrain the CX error."""
    out = []
    for k in range(1, n + 1):
        qc = QuantumCircuit(2, 2)
        qc.x(0)
        for _ in range(k):
            qc.cx(0, 1)
        qc.measure([0, 1], [0, 1])
        out.append(qc)
    return out


def measured(profile, qcs, *, shots: int, seed: int, names=None) -> list[MeasuredCircuit]:
    """The circuits with counts sampled (seeded) from the twin of ``profile``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = Twin(profile).run(qcs, shots=shots, seed=seed, transpile=False)
    res = res if isinstance(res, list) else [res]
    names = names or [f"c{i}" for i in range(len(qcs))]
    return [MeasuredCircuit(nm, qc, dict(r.counts), True, snapshot="line5") for nm, qc, r in zip(names, qcs, res)]


def dataset(folder, data: list[MeasuredCircuit], name: str = "synthetic_line5"):
    """Save ``data`` (with line5 as its calibration snapshot) in the dataset format; returns the folder."""
    ds = HardwareDataset(name, "line5", "2024-01-01", tuple(data), {"line5": load_profile("line5")})
    return save_dataset(ds, folder)
