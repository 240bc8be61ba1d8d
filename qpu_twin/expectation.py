"""Noisy expectation values of observables (``Twin.expectation``): an Estimator without shot noise.

Observables are Pauli operators on the *circuit's* qubits (Qiskit labels:
the rightmost character is qubit 0; ``SparsePauliOp`` for sums). They are
mapped through the compiled circuit's layout to physical and then to the
program's local qubits, and measured as a hardware Estimator measures them:
every non-identity factor is read out with the qubit's assignment errors,
which turns a factor P into ``alpha I + beta P`` with ``alpha = p(0|1) - p(1|0)``
and ``beta = 1 - p(1|0) - p(0|1)`` (``readout=False`` gives the state's own
expectation value). Qubits the circuit never touches are in |0>.

Engines (``engine="auto"`` picks, and says why in ``metadata["engine_reason"]``):

* ``density_matrix``: exact, up to 12 active qubits;
* ``pauli_propagation``: Heisenberg-picture propagation with a rigorous
  truncation bound (:mod:`qpu_twin.engines.pauli_propagation`), any size
  without feed-forward;
* ``trajectories``: per-trajectory exact values on MPS with a standard error
  (:mod:`qpu_twin.engines.trajectories`), any size, feed-forward included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ArgumentError, short_repr

EXPECTATION_ENGINES = ("auto", "density_matrix", "pauli_propagation", "trajectories")
_PAULI = {
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.diag([1.0, -1.0]).astype(complex),
}


@dataclass(frozen=True)
class ExpectationResult:
    """Noisy expectation values of a list of observables (a frozen record).

    Attributes
    ----------
    values : np.ndarray
        <O_k> for each observable.
    errors : np.ndarray
        The stated error of each value: 0 (``density_matrix``), the rigorous
        truncation bound (``pauli_propagation``), or the standard error plus
        twice the truncation bound (``trajectories``).
    stderr : np.ndarray
        Standard errors (0 for the deterministic engines).
    bound : np.ndarray
        Truncation bounds (0 for ``density_matrix``).
    engine : str
    metadata : dict
        ``engine_reason``, the compiled circuit, the local qubit map, engine statistics.
    """

    values: np.ndarray
    errors: np.ndarray
    stderr: np.ndarray
    bound: np.ndarray
    engine: str
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)

    def error_estimate(self) -> float:
        """The largest stated error over the observables."""
        return float(np.max(self.errors)) if len(self.errors) else 0.0


def as_pauli_ops(observables, num_qubits: int) -> list:
    """Observables as a list of Qiskit ``SparsePauliOp`` on ``num_qubits`` circuit qubits."""
    from qiskit.quantum_info import Pauli, SparsePauliOp

    items = observables if isinstance(observables, (list, tuple)) else [observables]
    out = []
    for j, o in enumerate(items):
        try:
            op = SparsePauliOp(o) if isinstance(o, (str, Pauli)) else SparsePauliOp(o) if not isinstance(
                o, SparsePauliOp) else o
        except Exception as exc:  # noqa: BLE001 - report what could not be read
            raise ArgumentError(f"observables[{j}]={short_repr(o)}: not a Pauli label, Pauli or SparsePauliOp "
                                f"({exc})") from None
        if op.num_qubits != num_qubits:
            raise ArgumentError(f"observables[{j}]={short_repr(o)} acts on {op.num_qubits} qubits, the circuit has "
                                f"{num_qubits}")
        if np.abs(op.coeffs.imag).max() > 1e-12:
            raise ArgumentError(f"observables[{j}]: coefficients must be real (Hermitian observable)")
        out.append(op)
    return out


def local_terms(ops, virt_to_phys: list[int], active_qubits, readout) -> list[list[tuple[float, dict[int, str]]]]:
    """Each observable as [(coefficient, {local qubit: letter})] with readout and inactive qubits folded in.

    ``readout(q)`` gives (p10, p01) of physical qubit q, or None for ``readout=False``.
    A factor on an inactive qubit (in |0>) is replaced by its value; the readout
    factor alpha I + beta P of an active qubit is expanded (2^w terms per
    string of weight w).
    """
    local = {q: i for i, q in enumerate(active_qubits)}
    out = []
    for op in ops:
        terms: dict[tuple, float] = {}
        for label, c in zip(op.paulis.to_labels(), op.coeffs):
            factors = [(1.0, {})]
            for vq, letter in enumerate(reversed(label)):
                if letter == "I":
                    continue
                pq = virt_to_phys[vq]
                ro = readout(pq) if readout is not None else None
                alpha, beta = (0.0, 1.0) if ro is None else (ro[1] - ro[0], 1.0 - ro[0] - ro[1])
                if pq not in local:  # never touched: |0>
                    val = beta * (1.0 if letter == "Z" else 0.0) + alpha
                    factors = [(f * val, d) for f, d in factors]
                    continue
                new = []
                for f, d in factors:
                    if alpha:
                        new.append((f * alpha, d))
                    new.append((f * beta, {**d, local[pq]: letter}))
                factors = new
            for f, d in factors:
                if f == 0.0:
                    continue
                key = tuple(sorted(d.items()))
                terms[key] = terms.get(key, 0.0) + float(np.real(c)) * f
        out.append([(c, dict(k)) for k, c in terms.items() if c != 0.0])
    return out


def product_operator(paulis: dict[int, str]) -> dict[int, np.ndarray]:
    return {q: _PAULI[p] for q, p in paulis.items()}


def density_matrix_values(rho: np.ndarray, terms_per_obs, n: int) -> np.ndarray:
    """Exact <O> from the density matrix of the active qubits (local qubit j = bit j)."""
    from qiskit.quantum_info import DensityMatrix, SparsePauliOp

    dm = DensityMatrix(rho)
    vals = []
    for terms in terms_per_obs:
        total = 0.0
        for c, d in terms:
            if not d:
                total += c
                continue
            label = ["I"] * n
            for q, p in d.items():
                label[n - 1 - q] = p
            total += c * float(np.real(dm.expectation_value(SparsePauliOp("".join(label)))))
        vals.append(total)
    return np.array(vals)


def trajectory_values(state, terms_per_obs, term_index) -> tuple[np.ndarray, np.ndarray]:
    """(values, standard errors) of each observable from the per-trajectory term values."""
    vals, ses = [], []
    for j, terms in enumerate(terms_per_obs):
        weights = {}
        const = 0.0
        for c, d in terms:
            if not d:
                const += c
            else:
                name = state.names[term_index[tuple(sorted(d.items()))]]
                weights[name] = weights.get(name, 0.0) + c
        if weights:
            m, se = state.combine(weights)
        else:
            m, se = 0.0, 0.0
        vals.append(m + const)
        ses.append(se if math.isfinite(se) else math.inf)
    return np.array(vals), np.array(ses)
