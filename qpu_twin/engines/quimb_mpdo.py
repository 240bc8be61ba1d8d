"""The same matrix-product density operator, built with quimb: an independent cross-check.

``engine="quimb_mpdo"`` runs a :class:`~qpu_twin.noise.program.NoisyProgram`
with quimb's :class:`quimb.tensor.MatrixProductState` of local dimension 4
(the vectorised density operator, site index ``p = 2 r + c`` as in
:mod:`.tensor_network`). Every channel's superoperator is applied with quimb's
``gate_(..., contract="swap+split")`` (quimb routes non-adjacent pairs by
swapping sites there and back) and compressed with quimb's own SVD truncation
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
from ..noise.program import Channel, NoisyProgram
from .base import Engine, EngineOutput, check_option_values, register_engine
from .tensor_network import (MPDO, MPDO_OPTIONS, MPDOState, _readout_superop, _site_gate, _site_order,
                             check_mpdo_options, engine_output)


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
            if len(ins.qubits) > 2:
                raise EngineError(f"quimb_mpdo: channel on {len(ins.qubits)} qubits (fuse to <= 2)")

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
            else:
                qa, qb = ins.qubits
                mps.gate_(_site_gate(ins.superop, first_is_q0=True), (pos[qa], pos[qb]), contract="swap+split",
                          **compress)
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


def _quimb_version() -> str:
    import quimb

    return quimb.__version__


register_engine("quimb_mpdo", QuimbMPDOEngine)
