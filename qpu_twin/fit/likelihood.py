"""Multinomial likelihood of measured counts under the twin, with a fast path for readout parameters.

For a circuit whose measurements write distinct classical bits, the recorded
distribution factorises as P_rec(k) = sum_a P_act(a) prod_c C_q(c)[k_c, a_c],
where P_act is the twin's distribution with readout errors off ("actual"
outcomes) and C_q the 2x2 assignment matrix of the qubit measured into bit c.
P_act depends only on the quantum parameters, so readout parameters are fitted
by re-contracting cached P_act arrays (microseconds) with analytic gradients.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..data import MeasuredCircuit
from ..profiles.model import DeviceProfile
from ..twin import Twin


@dataclass
class CircuitTerm:
    """Cached data of one circuit for the likelihood."""

    name: str
    circuit: object = field(repr=False)
    counts_array: np.ndarray = field(repr=False)  # shape (2,)*nc, axis j <-> clbit nc-1-j
    clbit_qubit: list[int | None] = field(default_factory=list)  # physical qubit measured into clbit c
    qubits: frozenset = frozenset()  # active physical qubits
    p_act: np.ndarray | None = field(default=None, repr=False)

    @property
    def num_clbits(self) -> int:
        return self.counts_array.ndim


def _events(circuit) -> list[int | None] | None:
    """clbit -> measured physical qubit, or None if a clbit is written twice / conditionals exist."""
    out: dict[int, int] = {}
    for inst in circuit.data:
        name = inst.operation.name
        if name == "if_else":
            return None
        if name == "measure":
            c = circuit.find_bit(inst.clbits[0]).index
            if c in out:
                return None
            out[c] = circuit.find_bit(inst.qubits[0]).index
    return [out.get(c) for c in range(circuit.num_clbits)]


def _counts_array(counts: dict[str, int], nc: int) -> np.ndarray:
    arr = np.zeros(2**nc)
    for k, v in counts.items():
        arr[int(k, 2)] += v
    return arr.reshape([2] * nc) if nc else arr


def _to_dict(arr: np.ndarray) -> dict[str, float]:
    flat = arr.reshape(-1)
    nc = arr.ndim
    return {format(i, f"0{nc}b"): float(v) for i, v in enumerate(flat) if v > 0}


def make_terms(circuits: list[MeasuredCircuit]) -> list[CircuitTerm]:
    terms = []
    for bc in circuits:
        ev = _events(bc.circuit)
        if ev is None:
            raise ValueError(f"{bc.name}: classical bits written twice or feed-forward: no factorised readout")
        qubits = frozenset(bc.circuit.find_bit(q).index for inst in bc.circuit.data
                           if inst.operation.name not in ("delay", "barrier") for q in inst.qubits)
        terms.append(CircuitTerm(bc.name, bc.circuit, _counts_array(bc.counts, bc.circuit.num_clbits), ev, qubits))
    return terms


def actual_distributions(terms: list[CircuitTerm], profile: DeviceProfile, noise: dict | None = None,
                         only: list[CircuitTerm] | None = None) -> None:
    """Fill ``p_act`` (readout off) for ``only`` (default all) terms under ``profile``."""
    opts = dict(noise or {"level": "lindblad"})
    opts["readout"] = False
    twin = Twin(profile, noise=opts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in only if only is not None else terms:
            probs = twin.run(t.circuit, transpile=False).probabilities
            arr = np.zeros(2**t.num_clbits)
            for k, v in probs.items():
                arr[int(k, 2)] = max(v, 0.0)
            t.p_act = arr.reshape([2] * t.num_clbits) if t.num_clbits else arr


def _confusion(p10: float, p01: float) -> np.ndarray:
    return np.array([[1 - p10, p01], [p10, 1 - p01]])  # [recorded, actual]


_D10 = np.array([[-1.0, 0.0], [1.0, 0.0]])
_D01 = np.array([[0.0, 1.0], [0.0, -1.0]])


def _apply(arr: np.ndarray, mats: dict[int, np.ndarray]) -> np.ndarray:
    nc = arr.ndim
    out = arr
    for c, m in mats.items():
        ax = nc - 1 - c
        out = np.moveaxis(np.tensordot(m, out, axes=([1], [ax])), 0, ax)
    return out


def recorded(term: CircuitTerm, readout: dict[int, tuple[float, float]]) -> np.ndarray:
    """P_rec of a term given {qubit: (p10, p01)}."""
    mats = {c: _confusion(*readout[q]) for c, q in enumerate(term.clbit_qubit) if q is not None}
    return _apply(term.p_act, mats)


def loglik_readout(terms: list[CircuitTerm], readout: dict[int, tuple[float, float]], *,
                   gradient: bool = False):
    """sum over terms of counts . log P_rec, and optionally d/d(p10, p01) per qubit."""
    total = 0.0
    grad: dict[int, np.ndarray] = {q: np.zeros(2) for q in readout}
    for t in terms:
        mats = {c: _confusion(*readout[q]) for c, q in enumerate(t.clbit_qubit) if q is not None}
        p = _apply(t.p_act, mats)
        p = np.clip(p, 1e-300, None)
        total += float(np.sum(t.counts_array * np.log(p)))
        if gradient:
            w = t.counts_array / p
            for c, q in enumerate(t.clbit_qubit):
                if q is None:
                    continue
                for j, dm in enumerate((_D10, _D01)):
                    alt = dict(mats)
                    alt[c] = dm
                    grad[q][j] += float(np.sum(w * _apply(t.p_act, alt)))
    return (total, grad) if gradient else total


def predicted(term: CircuitTerm, readout) -> dict[str, float]:
    return _to_dict(recorded(term, readout))
