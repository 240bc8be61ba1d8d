"""The same matrix-product density operator, built with quimb: an independent cross-check.

``engine="quimb_mpdo"`` runs a :class:`~qpu_twin.noise.program.NoisyProgram`
with quimb's :class:`quimb.tensor.MatrixProductState` of local dimension 4
(the vectorised density operator, site index ``p = 2 r + c`` as in
:mod:`.tensor_network`). Every channel's superoperator is applied with quimb's
``gate_(..., contract="swap+split")`` (quimb routes non-adjacent pairs by
swapping sites there and back; the 3- and 4-qubit static-ZZ corrections are
exact sub-MPOs applied with ``gate_with_submpo_``) and compressed with quimb's own SVD truncation
(``max_bond``, ``cutoff`` with ``cutoff_mode="rsum2"``: the discarded squared
singular values relative to their total, the same criterion as
``tensor_network``).

It exists to check the numpy engine against a well-tested tensor-network
library (tests and ``benchmarks/bench_large_circuits.py``), so it is kept
simple: terminal measurements only (a mid-circuit measurement or feed-forward
raises :class:`~qpu_twin.errors.EngineError` naming the engines that support
them), and quimb does not report the discarded weight, so
``metadata["truncation_error"]`` is ``nan`` and ``metadata["trace"]`` (1 for
an untruncated CPTP evolution) is the truncation diagnostic.
Probabilities, sampling and Pauli expectations reuse
:class:`~qpu_twin.engines.tensor_network.MPDOState` on the final tensors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import EngineError
from ..noise import channels as ch
from ..noise.program import Channel, NoisyProgram
from .base import Engine, EngineOutput, check_option_values, register_engine
from .tensor_network import (MAX_CHANNEL_QUBITS, MPDO, MPDO_OPTIONS, MPDOState, _readout_superop, _site_gate,
                             _site_gate_k, _site_order, check_mpdo_options, engine_output)


class QuimbMPDOEngine(Engine):
    """MPDO engine on quimb (cross-check of ``tensor_network``; terminal measurements only).

    Options: ``max_bond`` (default 128, None = no cap), ``cutoff`` (default
    1e-12), ``max_enumerate`` (default 20 classical bits).
    """

    name = "quimb_mpdo"
    option_names = MPDO_OPTIONS

    def __init__(self, *, max_bond: int | None = 128, cutoff: float = 1e-12, max_enumerate: int = 20,
                 warn_threshold: float | None = None, progress: bool | None = None):
        # warn_threshold and progress are accepted so engine_options work for both MPDO engines;
        # quimb reports no discarded weight to warn on, and shows no progress bar
        super().__init__(max_bond=max_bond, cutoff=cutoff, max_enumerate=max_enumerate)
        check_mpdo_options("quimb_mpdo", max_bond, cutoff, max_enumerate)
        check_option_values("quimb_mpdo", warn_threshold=warn_threshold, progress=progress)
        self.max_bond, self.cutoff, self.max_enumerate = max_bond, cutoff, max_enumerate

    def check(self, program: NoisyProgram) -> None:
        if program.readout_pairs:
            raise EngineError("quimb_mpdo: correlated readout (crosstalk.readout_pairs) is exact only in "
                              "engine='density_matrix'; use it or noise={'correlated_readout': False}")
        if program.metadata.get("leakage_flags"):
            raise EngineError("quimb_mpdo: leakage (Gate.leakage_prob) is simulated by engine='density_matrix' "
                              "only; use it or noise={'leakage': False}")
        for ins in program.instructions:
            if not isinstance(ins, Channel):
                raise EngineError(
                    f"quimb_mpdo supports terminal measurements only (found {type(ins).__name__} "
                    f"{getattr(ins, 'label', '')!r} mid-circuit); use engine='tensor_network' (mid-circuit "
                    "measurement, reset) or 'density_matrix' (also feed-forward)"
                )
            if len(ins.qubits) > MAX_CHANNEL_QUBITS:
                raise EngineError(f"quimb_mpdo: channel on {len(ins.qubits)} qubits (at most {MAX_CHANNEL_QUBITS})")

    def run(self, program: NoisyProgram) -> EngineOutput:
        import quimb.tensor as qtn

        self.check(program)
        order = _site_order(program)
        pos = {q: i for i, q in enumerate(order)}
        n = len(order)
        zero = np.array([1.0, 0.0, 0.0, 0.0], dtype=complex)
        mps = qtn.MPS_product_state([zero] * n)
        compress = {"max_bond": self.max_bond, "cutoff": self.cutoff, "cutoff_mode": "rsum2"}
        for ins in program.instructions:
            if len(ins.qubits) == 1:
                mps.gate_(ins.superop, pos[ins.qubits[0]], contract=True)
            elif len(ins.qubits) == 2:
                qa, qb = ins.qubits
                mps.gate_(_site_gate(ins.superop, first_is_q0=True), (pos[qa], pos[qb]), contract="swap+split",
                          **compress)
            else:  # a static-ZZ correction on 3-4 qubits
                u = _unitary_of(ins.superop)
                seq = None if u is None else _two_qubit_gates(u, ins.qubits)
                if seq is not None:  # exact two-qubit synthesis, each gate applied by quimb as above
                    for qubits, m in seq:
                        sup = np.kron(m, m.conj())
                        if len(qubits) == 1:
                            mps.gate_(sup, pos[qubits[0]], contract=True)
                        else:
                            mps.gate_(_site_gate(sup, first_is_q0=True), (pos[qubits[0]], pos[qubits[1]]),
                                      contract="swap+split", **compress)
                else:  # a general channel: an exact sub-MPO, applied and compressed by quimb (slow)
                    where = [pos[q] for q in ins.qubits]
                    mpo = qtn.MatrixProductOperator.from_dense(_site_gate_k(ins.superop, list(range(len(where)))),
                                                               dims=4, sites=where, L=n, cutoff=0.0)
                    mps.gate_with_submpo_(mpo, where=where, inplace_mpo=True, **compress)
        for m in program.terminal:
            mps.gate_(_readout_superop(m.p10, m.p01), pos[m.qubit], contract=True)
        sites = []
        for i in range(n):
            t = mps[i]
            inds = [mps.bond(i - 1, i)] if i > 0 else []
            inds.append(mps.site_ind(i))
            if i < n - 1:
                inds.append(mps.bond(i, i + 1))
            a = t.transpose(*inds).data
            if i == 0:
                a = a[None]
            if i == n - 1:
                a = a[..., None]
            sites.append(np.asarray(a, dtype=complex))
        mp = MPDO(sites, [("q", q) for q in order], max_bond=self.max_bond, cutoff=self.cutoff, lo=0, hi=n - 1)
        mp.max_bond_seen = max(max(a.shape[0], a.shape[2]) for a in sites)
        state = MPDOState(mp, {m.clbit: ("q", m.qubit) for m in program.terminal}, program.num_clbits,
                          program.num_qubits)
        meta: dict[str, Any] = {
            "truncation_error": math.nan,
            "max_bond_dimension": mp.max_bond_seen,
            "max_bond": self.max_bond,
            "cutoff": self.cutoff,
            "site_order": order,
            "library": f"quimb {_quimb_version()}",
        }
        return engine_output(state, meta, self.max_enumerate)


def _unitary_of(superop: np.ndarray, atol: float = 1e-12) -> np.ndarray | None:
    """U if the row-major superop is U (x) conj(U) (a unitary channel), else None."""
    d = int(round(np.sqrt(superop.shape[0])))
    m = superop.reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d)  # [(r', r), (c', c)]
    u_, s, vh = np.linalg.svd(m)
    if s[1:].max(initial=0.0) > atol * s[0]:
        return None
    u = (np.sqrt(s[0]) * u_[:, 0]).reshape(d, d)
    if not np.allclose(u @ u.conj().T, np.eye(d), atol=1e-10):
        return None
    return u


def _two_qubit_gates(u: np.ndarray, qubits) -> list | None:
    """An exact sequence of (qubits, matrix) one- and two-qubit gates equal to ``u`` (little-endian over
    ``qubits``) up to a global phase, or None.

    Qiskit's quantum Shannon decomposition, single-qubit gates merged into the two-qubit gates after
    them. It can lose accuracy on near-identity unitaries (the static-ZZ corrections), so the product
    is checked (to 1e-12); if it fails, u V and V^dag are decomposed for a fixed random unitary V.
    """
    from qiskit.quantum_info import Operator, random_unitary
    from qiskit.synthesis import qs_decomposition

    k = len(qubits)

    def gates(m):
        qc = qs_decomposition(m)
        out: list = []
        pending: dict[int, np.ndarray] = {}
        for inst in qc.data:
            loc = [qc.find_bit(q).index for q in inst.qubits]
            g = Operator(inst.operation).data
            if len(loc) == 1:
                pending[loc[0]] = g @ pending.get(loc[0], np.eye(2))
                continue
            a, b = loc
            pre = np.kron(pending.pop(b, np.eye(2)), pending.pop(a, np.eye(2)))  # little-endian: a is bit 0
            out.append(((a, b), g @ pre))
        return out + [((j,), g) for j, g in pending.items()]

    def exact(seq, target) -> bool:
        tot = np.eye(2**k, dtype=complex)
        for qs, g in seq:
            tot = _embed(g, list(qs), k) @ tot
        overlap = np.vdot(tot.ravel(), target.ravel())
        return abs(overlap) > 0 and np.abs(tot * (overlap / abs(overlap)) - target).max() < 1e-12

    seq = gates(u)
    if not exact(seq, u):
        v = random_unitary(2**k, seed=20240).data
        seq = gates(v.conj().T) + gates(u @ v)  # u = (u v) v^dag: v^dag acts first
        if not exact(seq, u):
            return None
    return [(tuple(qubits[j] for j in qs), g) for qs, g in seq]


_embed = ch.embed_op


def _quimb_version() -> str:
    import quimb

    return quimb.__version__


register_engine("quimb_mpdo", QuimbMPDOEngine)
