"""Quantum-trajectory engine: the NoisyProgram unravelled into pure states on matrix-product states.

Every channel of the program is split once into Kraus operators (from the
eigendecomposition of its Choi matrix, largest first): a channel with one
Kraus operator is a unitary (gates without noise, ZZ phases, frame changes)
and acts deterministically; otherwise operator ``K_k`` is drawn with the
norm-based probability ``p_k = ||K_k psi||^2`` and the state becomes
``K_k psi / sqrt(p_k)`` (for a mixed-unitary channel, where every
``K_k^dagger K_k`` is proportional to the identity, ``p_k`` does not depend on
the state and needs no contraction). Averaged over trajectories this is the
channel exactly: gates with their coherent errors, ZZ, over-rotation,
relaxation, dephasing, depolarizing remainders, reset. A mid-circuit
measurement samples its outcome (Born rule), projects, and records the bit
after the assignment error; feed-forward reads the recorded bits of each
trajectory.

State: a pure-state MPS (local dimension 2) over the active qubits, in the
reverse Cuthill-McKee site order of the MPDO engine, with SWAPs for
non-adjacent pairs (the order then stays permuted), kept in mixed-canonical
form so each two-site SVD truncation (``max_bond``, ``cutoff`` = discarded
weight fraction per split) is locally optimal. Trajectories run in *batches*
of ``batch_size`` sharing one array per site (bonds padded with zero singular
values to the batch maximum): numpy does one call per instruction for the
whole batch.

Randomness: the run's seed becomes a ``SeedSequence`` spawning one child per
trajectory; trajectory ``t`` draws all its random numbers from its own
generator (one uniform per stochastic instruction slot, then its output
samples), so :func:`run_batch` is a pure function of (prepared program,
trajectory seeds): batches can be mapped by any executor, in any order, and
their results summed in batch order give the same numbers.

Output per trajectory: with at most ``max_enumerate`` classical bits, the
exact distribution of the recorded bits of its final state (Born rule over
the terminal measurements with their assignment errors, plus its sampled
mid-circuit records); the engine's ``probabilities`` are their mean over
trajectories and ``stderr`` the standard error of that mean (sample standard
deviation / sqrt(trajectories)). With more classical bits, each trajectory
draws its share of the shots (sequential sampling of the MPS, then the
assignment errors). Requested ``observables`` (product operators) and
``bitstrings`` are evaluated exactly on every trajectory's final state.

Truncation error: discarding Schmidt weight ``eps`` and renormalising moves a
pure state by trace distance ``sqrt(eps)``; channels contract trace distance,
so the trajectory average differs from the untruncated average by at most the
mean over trajectories of ``sum sqrt(eps)`` over its splits (a rigorous bound
on the error of any probability; twice it for a +-1-valued observable). That
mean is ``truncation_error``.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import EngineError, short_repr
from ..noise import channels as ch
from ..noise.program import Channel, Conditional, Measure, NoisyProgram
from ..seeding import seed_sequence
from .base import Engine, EngineOutput, register_engine
from .tensor_network import TruncationWarning, _site_order

TRAJECTORY_OPTIONS = ("trajectories", "batch_size", "max_bond", "cutoff", "max_enumerate", "observables",
                      "bitstrings", "warn_threshold", "progress")

_PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.diag([1.0, -1.0]).astype(complex),
}
#: [0, 2, 1, 3]: exchanges the two bits of a 2-qubit basis index (little-endian <-> site order).
_BITSWAP = np.array([0, 2, 1, 3])
_SWAP_GATE = np.eye(4, dtype=complex)[_BITSWAP]


# ---------------------------------------------------------------------- channel decomposition
def kraus_from_superop(s: np.ndarray, *, rtol: float = 1e-14) -> np.ndarray:
    """Kraus operators of a row-major superoperator, largest first, shape (m, d, d).

    From the eigendecomposition of the (Hermitian part of the) Choi matrix:
    ``K_k = sqrt(lambda_k) unvec(v_k)``; eigenvalues below ``rtol`` times the
    largest (numerical zeros and round-off negatives) are dropped.
    """
    d = int(round(math.sqrt(s.shape[0])))
    j = ch.choi(np.asarray(s, dtype=complex))
    j = 0.5 * (j + j.conj().T)
    w, v = np.linalg.eigh(j)
    order = np.argsort(w)[::-1]
    w, v = w[order], v[:, order]
    keep = w > rtol * max(w[0], 0.0)
    if not keep.any():
        raise EngineError("trajectories: a channel has no positive Choi eigenvalue (not completely positive)")
    w, v = w[keep], v[:, keep]
    # Choi index (r, r'): J[(r, r'), (c, c')] = sum_k K[r', r] conj(K[c', c])
    return np.stack([math.sqrt(wk) * v[:, k].reshape(d, d).T for k, wk in enumerate(w)])


@dataclass
class _Op:
    """One prepared instruction."""

    kind: str  # "u1", "u2", "k1", "k2", "measure", "cond"
    qubits: tuple[int, ...] = ()
    mats: np.ndarray | None = None  # (d, d) unitary, or (m, d, d) Kraus operators (channel's little-endian order)
    kdk: np.ndarray | None = None  # (m, d, d) K^dagger K, for the norm-based probabilities
    fixed_p: np.ndarray | None = None  # state-independent probabilities (mixed-unitary channels)
    slot: int = -1  # first random-number slot
    measure: Measure | None = None
    cond: Conditional | None = None
    true_ops: list = field(default_factory=list)
    false_ops: list = field(default_factory=list)
    label: str = ""


@dataclass
class PreparedProgram:
    """A NoisyProgram with every channel decomposed, the site order and the random-slot layout.

    Plain data (numpy arrays): what :func:`run_batch` needs, picklable for executors.
    """

    num_qubits: int
    num_clbits: int
    order: list[int]
    ops: list[_Op]
    num_slots: int
    terminal: tuple[Measure, ...]
    stats: dict[str, Any]
    #: joint assignment matrices of terminal pairs (indices into ``terminal``), as ``NoisyProgram.readout_pairs``
    readout_pairs: tuple = ()


def prepare(program: NoisyProgram, *, unitary_atol: float = 1e-12) -> PreparedProgram:
    """Decompose the program's channels and lay out its random-number slots (deterministic)."""
    cache: dict[int, tuple] = {}
    stats = {"unitary_channels": 0, "kraus_channels": 0, "mixed_unitary_channels": 0, "max_kraus_rank": 1,
             "max_tp_defect": 0.0}
    slots = [0]

    def decompose(c: Channel):
        key = id(c.superop)
        if key in cache:
            return cache[key]
        k = len(c.qubits)
        if k > 2:
            raise EngineError(f"trajectories: channel {c.label!r} on {k} qubits (fuse to <= 2)")
        ks = kraus_from_superop(c.superop)
        d = ks.shape[1]
        kdk = np.einsum("kji,kjl->kil", ks.conj(), ks)
        defect = float(np.abs(kdk.sum(0) - np.eye(d)).max())
        if defect > 1e-8:
            raise EngineError(f"trajectories: channel {c.label!r} on local qubits {c.qubits} is not trace "
                              f"preserving (|sum K^dag K - I| = {defect:.3g})")
        stats["max_tp_defect"] = max(stats["max_tp_defect"], defect)
        if ks.shape[0] == 1 or float(np.sum(np.abs(ks[1:]) ** 2)) <= unitary_atol:
            u = ks[0]
            # polar part: the exact unitary closest to K_0 (K_0 is unitary up to the dropped weight)
            uu, _, vh = np.linalg.svd(u)
            out = ("u", uu @ vh, None, None)
        else:
            traces = np.real(np.einsum("kii->k", kdk)) / d
            fixed = None
            if all(np.abs(kdk[j] - traces[j] * np.eye(d)).max() <= 1e-12 for j in range(len(ks))):
                fixed = traces / traces.sum()
            out = ("k", ks, kdk, fixed)
        cache[key] = out
        return out

    def convert(instrs) -> list[_Op]:
        ops: list[_Op] = []
        for ins in instrs:
            if isinstance(ins, Channel):
                kind, mats, kdk, fixed = decompose(ins)
                n = len(ins.qubits)
                if kind == "u":
                    stats["unitary_channels"] += 1
                    ops.append(_Op(f"u{n}", ins.qubits, mats, label=ins.label))
                else:
                    stats["kraus_channels"] += 1
                    stats["mixed_unitary_channels"] += fixed is not None
                    stats["max_kraus_rank"] = max(stats["max_kraus_rank"], len(mats))
                    ops.append(_Op(f"k{n}", ins.qubits, mats, kdk, fixed, slot=slots[0], label=ins.label))
                    slots[0] += 1
            elif isinstance(ins, Measure):
                ops.append(_Op("measure", (ins.qubit,), slot=slots[0], measure=ins, label=ins.label))
                slots[0] += 2  # outcome, assignment error
            elif isinstance(ins, Conditional):
                op = _Op("cond", cond=ins, label=ins.label)
                op.true_ops = convert(ins.true_body)
                op.false_ops = convert(ins.false_body)
                ops.append(op)
            else:  # pragma: no cover - programs are built by NoiseBuilder
                raise EngineError(f"trajectories: unknown instruction {ins!r}")
        return ops

    ops = convert(program.instructions)
    pairs = tuple((int(i), int(j), np.asarray(m, dtype=float)) for i, j, m in getattr(program, "readout_pairs", ()))
    return PreparedProgram(program.num_qubits, program.num_clbits, _site_order(program), ops, slots[0],
                           tuple(program.terminal), stats, pairs)


# ---------------------------------------------------------------------- batched MPS
class BatchMPS:
    """``B`` pure-state MPS sharing one array per site: ``sites[i]`` has shape (B, chiL, 2, chiR).

    ``center`` is the orthogonality centre: sites left of it are left-isometric,
    sites right of it right-isometric (per trajectory). ``disc`` / ``bound``
    accumulate per trajectory the discarded weight and the sum of its square
    roots over all splits.
    """

    def __init__(self, batch: int, labels: Sequence[int], *, max_bond: int | None, cutoff: float):
        self.B = batch
        zero = np.zeros((batch, 1, 2, 1), dtype=complex)
        zero[:, 0, 0, 0] = 1.0
        self.sites = [zero.copy() for _ in labels]
        self.labels = list(labels)
        self.pos = {q: i for i, q in enumerate(self.labels)}
        self.center = 0
        self.max_bond, self.cutoff = max_bond, cutoff
        self.disc = np.zeros(batch)
        self.bound = np.zeros(batch)
        self.max_bond_seen = 1
        self.splits = 0

    # ------------------------------------------------------------------ canonical form
    def move_center(self, j: int) -> None:
        B = self.B
        while self.center < j:
            i = self.center
            a = self.sites[i]
            _, cl, _, cr = a.shape
            q, r = np.linalg.qr(a.reshape(B, cl * 2, cr))
            k = q.shape[2]
            self.sites[i] = q.reshape(B, cl, 2, k)
            nxt = self.sites[i + 1]
            self.sites[i + 1] = (r @ nxt.reshape(B, cr, -1)).reshape(B, k, 2, nxt.shape[3])
            self.center += 1
        while self.center > j:
            i = self.center
            a = self.sites[i]
            _, cl, _, cr = a.shape
            q, r = np.linalg.qr(a.reshape(B, cl, 2 * cr).transpose(0, 2, 1))
            k = q.shape[2]
            self.sites[i] = q.transpose(0, 2, 1).reshape(B, k, 2, cr)
            prv = self.sites[i - 1]
            self.sites[i - 1] = (prv.reshape(B, -1, cl) @ r.transpose(0, 2, 1)).reshape(B, prv.shape[1], 2, k)
            self.center -= 1

    # ------------------------------------------------------------------ one site
    def rdm1(self, i: int) -> np.ndarray:
        self.move_center(i)
        a = self.sites[i]
        return np.einsum("bapc,baqc->bpq", a, a.conj())

    def apply1(self, i: int, u: np.ndarray, active=None) -> None:
        """A unitary (2, 2) or per-trajectory (B, 2, 2) on site ``i`` (keeps the canonical form)."""
        a = self.sites[i]
        new = np.einsum("pq,baqc->bapc", u, a) if u.ndim == 2 else np.einsum("bpq,baqc->bapc", u, a)
        self.sites[i] = new if active is None else np.where(active[:, None, None, None], new, a)

    def kraus1(self, i: int, op: _Op, u: np.ndarray, active=None) -> np.ndarray:
        """Draw and apply one of ``op``'s Kraus operators on site ``i``; returns the choices."""
        if op.fixed_p is not None:
            probs = np.broadcast_to(op.fixed_p, (self.B, len(op.fixed_p)))
        else:
            rho = self.rdm1(i)
            probs = np.real(np.einsum("kqp,bpq->bk", op.kdk, rho))
        choice, pk = _choose(probs, u)
        kmat = op.mats[choice] / np.sqrt(pk)[:, None, None]
        self.apply1(i, kmat, active)
        return choice

    # ------------------------------------------------------------------ two sites
    def _theta(self, i: int) -> np.ndarray:
        if self.center < i:
            self.move_center(i)
        elif self.center > i + 1:
            self.move_center(i + 1)
        a, c = self.sites[i], self.sites[i + 1]
        B, cl, _, m = a.shape
        cr = c.shape[3]
        return (a.reshape(B, cl * 2, m) @ c.reshape(B, m, 2 * cr)).reshape(B, cl, 4, cr)

    def _split(self, i: int, theta: np.ndarray, *, center_left: bool = False) -> None:
        B, cl, _, cr = theta.shape
        mat = theta.reshape(B, cl * 2, 2 * cr)
        try:
            u, s, vh = np.linalg.svd(mat, full_matrices=False)
        except np.linalg.LinAlgError:  # pragma: no cover - LAPACK gesdd failure
            import scipy.linalg

            parts = [scipy.linalg.svd(m_, full_matrices=False, lapack_driver="gesvd") for m_ in mat]
            u, s, vh = (np.stack([p[j] for p in parts]) for j in range(3))
        s2 = s**2
        total = s2.sum(axis=1)
        total = np.where(total > 0, total, 1.0)
        tail = np.cumsum(s2[:, ::-1], axis=1)[:, ::-1]  # tail[:, k] = sum_{j >= k} s_j^2
        keep = np.count_nonzero(tail > self.cutoff * total[:, None], axis=1)
        keep = np.maximum(keep, 1)
        if self.max_bond is not None:
            keep = np.minimum(keep, self.max_bond)
        kmax = int(keep.max())
        mask = np.arange(kmax)[None, :] < keep[:, None]
        kept = np.where(mask, s[:, :kmax], 0.0)
        kept2 = np.sum(kept**2, axis=1)
        disc = np.clip(1.0 - kept2 / total, 0.0, None)
        if np.any(disc > 0):
            self.disc += disc
            self.bound += np.sqrt(disc)
        kept = kept / np.sqrt(np.where(kept2 > 0, kept2, 1.0))[:, None]  # renormalise the trajectory
        u, vh = u[:, :, :kmax], vh[:, :kmax, :]
        if center_left:
            self.sites[i] = (u * kept[:, None, :]).reshape(B, cl, 2, kmax)
            self.sites[i + 1] = vh.reshape(B, kmax, 2, cr)
            self.center = i
        else:
            self.sites[i] = u.reshape(B, cl, 2, kmax)
            self.sites[i + 1] = (kept[:, :, None] * vh).reshape(B, kmax, 2, cr)
            self.center = i + 1
        self.max_bond_seen = max(self.max_bond_seen, kmax)
        self.splits += 1

    def apply2(self, i: int, g: np.ndarray, active=None, *, center_left: bool = False) -> None:
        """A (4, 4) or per-trajectory (B, 4, 4) operator on sites (i, i+1), index 2 p_i + p_{i+1}."""
        theta = self._theta(i)
        new = np.einsum("pq,baqc->bapc", g, theta) if g.ndim == 2 else np.einsum("bpq,baqc->bapc", g, theta)
        if active is not None:
            new = np.where(active[:, None, None, None], new, theta)
        self._split(i, new, center_left=center_left)

    def kraus2(self, i: int, mats_site: np.ndarray, kdk_site: np.ndarray, fixed_p, u: np.ndarray,
               active=None) -> np.ndarray:
        theta = self._theta(i)
        if fixed_p is not None:
            probs = np.broadcast_to(fixed_p, (self.B, len(fixed_p)))
        else:
            rho = np.einsum("bapc,baqc->bpq", theta, theta.conj())
            probs = np.real(np.einsum("kqp,bpq->bk", kdk_site, rho))
        choice, pk = _choose(probs, u)
        kmat = mats_site[choice] / np.sqrt(pk)[:, None, None]
        new = np.einsum("bpq,baqc->bapc", kmat, theta)
        if active is not None:
            new = np.where(active[:, None, None, None], new, theta)
        self._split(i, new)
        return choice

    def swap(self, i: int, *, center_left: bool = False) -> None:
        self.apply2(i, _SWAP_GATE, center_left=center_left)
        self.labels[i], self.labels[i + 1] = self.labels[i + 1], self.labels[i]
        self.pos[self.labels[i]] = i
        self.pos[self.labels[i + 1]] = i + 1

    def bring_together(self, qa: int, qb: int) -> tuple[int, bool]:
        """Swap sites until qubits ``qa``, ``qb`` are adjacent; returns (left site, qa is left)."""
        i, j = self.pos[qa], self.pos[qb]
        while abs(i - j) > 1:
            if j > i:
                self.swap(j - 1, center_left=True)
                j -= 1
            else:
                self.swap(j)
                j += 1
        return (i, True) if i < j else (j, False)

    # ------------------------------------------------------------------ read-out
    def expect_product(self, ops: dict[int, np.ndarray]) -> np.ndarray:
        """<psi| prod_site ops[site] |psi> per trajectory (complex, shape (B,)); identity elsewhere."""
        if not ops:
            return np.ones(self.B, dtype=complex)
        first, last = min(ops), max(ops)
        self.move_center(first)
        env = None
        for k in range(first, last + 1):
            a = self.sites[k]
            oa = a if k not in ops else np.einsum("pq,baqc->bapc", ops[k], a)
            if env is None:
                env = np.einsum("bapc,bapd->bcd", oa, a.conj())
            else:
                env = np.einsum("bcd,bcpe,bdpf->bef", env, oa, a.conj())
        return np.einsum("bcc->b", env)


def _choose(probs: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index k drawn with probability probs[b, k] / sum_k probs[b, k] from uniforms ``u``; and that probability."""
    probs = np.clip(probs, 0.0, None)
    tot = probs.sum(axis=1)
    if np.any(tot <= 0):
        raise EngineError("trajectories: all Kraus probabilities vanish (state lost to truncation?)")
    cum = np.cumsum(probs, axis=1) / tot[:, None]
    choice = np.minimum(np.count_nonzero(u[:, None] >= cum, axis=1), probs.shape[1] - 1)
    # a choice of exactly zero probability can only come from round-off at the cumulative edge
    pk = probs[np.arange(len(choice)), choice]
    bad = pk <= 0
    if np.any(bad):
        choice = np.where(bad, np.argmax(probs, axis=1), choice)
        pk = probs[np.arange(len(choice)), choice]
    return choice, pk


def _site_matrix(m: np.ndarray, first_is_q0: bool) -> np.ndarray:
    """A (..., 4, 4) operator in the channel's little-endian order (q0 = bit 0) -> site order (left = high bit)."""
    if not first_is_q0:
        return m  # left site holds q1 = the high bit already
    return m[..., _BITSWAP, :][..., :, _BITSWAP]


# ---------------------------------------------------------------------- one batch
@dataclass
class BatchResult:
    """What one batch returns (plain arrays: summable in batch order)."""

    first: int
    size: int
    dist_sum: np.ndarray | None  # (2^nc,) sum over the batch of per-trajectory distributions
    dist_sumsq: np.ndarray | None
    values: np.ndarray  # (B, K) per-trajectory observable / bitstring values
    bound: np.ndarray  # (B,) sum of sqrt(discarded weight)
    disc: np.ndarray  # (B,) discarded weight
    jumps: np.ndarray  # (B,) Kraus draws other than the dominant operator
    counts: dict[str, int] | None
    max_bond: int
    splits: int


@dataclass(frozen=True)
class Readout:
    """What to compute on each final state (validated by the engine)."""

    max_enumerate: int
    observables: tuple  # of dict local qubit -> (2, 2) matrix
    bitstrings: tuple  # of str over the classical bits
    shots: tuple | None  # (total shots, total trajectories): each trajectory draws its share


def run_batch(prep: PreparedProgram, seeds: Sequence[np.random.SeedSequence], *, first: int, readout: Readout,
              max_bond: int | None, cutoff: float) -> BatchResult:
    """Run trajectories ``first .. first + len(seeds) - 1``: a pure function of its arguments.

    Trajectory ``first + b`` uses ``seeds[b]`` only: one uniform per random slot
    of the program, then its output samples.
    """
    B = len(seeds)
    rngs = [np.random.default_rng(s) for s in seeds]
    uni = np.stack([r.random(prep.num_slots) for r in rngs]) if prep.num_slots else np.zeros((B, 0))
    mps = BatchMPS(B, prep.order, max_bond=max_bond, cutoff=cutoff)
    reg = np.zeros((B, max(prep.num_clbits, 1)), dtype=bool)
    jumps = np.zeros(B, dtype=np.int64)
    _run_ops(prep.ops, mps, uni, reg, jumps, None)
    nc = prep.num_clbits
    dist_sum = dist_sumsq = None
    if nc <= readout.max_enumerate:
        dist = _distributions(mps, prep, reg)
        dist_sum, dist_sumsq = dist.sum(axis=0), (dist**2).sum(axis=0)
    values = _values(mps, prep, reg, readout)
    counts = None
    if readout.shots is not None and nc > readout.max_enumerate:
        shots, total = readout.shots
        share = np.array([shots // total + (first + b < shots % total) for b in range(B)])
        counts = _sample(mps, prep, reg, rngs, share)
    return BatchResult(first, B, dist_sum, dist_sumsq, values, mps.bound.copy(), mps.disc.copy(), jumps, counts,
                       mps.max_bond_seen, mps.splits)


def _run_ops(ops: list[_Op], mps: BatchMPS, uni, reg, jumps, active) -> None:
    for op in ops:
        if active is not None and not active.any():
            return
        k = op.kind
        if k == "u1":
            mps.apply1(mps.pos[op.qubits[0]], op.mats, active)
        elif k == "k1":
            choice = mps.kraus1(mps.pos[op.qubits[0]], op, uni[:, op.slot], active)
            jumps += (choice > 0) if active is None else ((choice > 0) & active)
        elif k in ("u2", "k2"):
            qa, qb = op.qubits
            i, a_left = mps.bring_together(qa, qb)
            if k == "u2":
                mps.apply2(i, _site_matrix(op.mats, a_left), active)
            else:
                choice = mps.kraus2(i, _site_matrix(op.mats, a_left), _site_matrix(op.kdk, a_left), op.fixed_p,
                                    uni[:, op.slot], active)
                jumps += (choice > 0) if active is None else ((choice > 0) & active)
        elif k == "measure":
            _measure(mps, op.measure, uni[:, op.slot], uni[:, op.slot + 1], reg, active)
        elif k == "cond":
            c = op.cond
            val = np.zeros(mps.B, dtype=np.int64)
            for j, b in enumerate(c.clbits):
                val |= reg[:, b].astype(np.int64) << j
            holds = val == c.value
            t_act = holds if active is None else holds & active
            f_act = ~holds if active is None else ~holds & active
            if op.true_ops and t_act.any():
                _run_ops(op.true_ops, mps, uni, reg, jumps, t_act)
            if op.false_ops and f_act.any():
                _run_ops(op.false_ops, mps, uni, reg, jumps, f_act)
        else:  # pragma: no cover
            raise EngineError(f"trajectories: unknown op kind {k!r}")


def _measure(mps: BatchMPS, m: Measure, u_out, u_err, reg, active) -> None:
    i = mps.pos[m.qubit]
    rho = mps.rdm1(i)
    p1 = np.clip(np.real(rho[:, 1, 1]), 0.0, 1.0)
    out = u_out < p1
    p_out = np.where(out, p1, 1.0 - p1)
    proj = np.zeros((mps.B, 2, 2), dtype=complex)
    proj[:, 1, 1] = out
    proj[:, 0, 0] = ~out
    proj /= np.sqrt(np.where(p_out > 0, p_out, 1.0))[:, None, None]
    mps.apply1(i, proj, active)
    flip = u_err < np.where(out, m.p01, m.p10)
    rec = out ^ flip
    if active is None:
        reg[:, m.clbit] = rec
    else:
        reg[:, m.clbit] = np.where(active, rec, reg[:, m.clbit])


def _confusion(m: Measure) -> np.ndarray:
    return np.array([[1.0 - m.p10, m.p01], [m.p10, 1.0 - m.p01]])  # [recorded, actual]


def _distributions(mps: BatchMPS, prep: PreparedProgram, reg) -> np.ndarray:
    """(B, 2^nc) exact distribution of the recorded bits of each trajectory."""
    B, nc = mps.B, prep.num_clbits
    rank = sorted(range(len(prep.terminal)), key=lambda j: mps.pos[prep.terminal[j].qubit])
    terminal = [prep.terminal[j] for j in rank]
    where = {orig: j for j, orig in enumerate(rank)}  # index in ``prep.terminal`` -> axis (site order)
    paired = {where[i] for i, _, _ in prep.readout_pairs} | {where[j] for _, j, _ in prep.readout_pairs}
    base = np.zeros(B, dtype=np.int64)
    tmask = 0
    for m in terminal:
        tmask |= 1 << m.clbit
    for c in range(nc):
        if not (tmask >> c) & 1:
            base |= reg[:, c].astype(np.int64) << c
    out = np.zeros((B, 2**nc))
    if not terminal:
        out[np.arange(B), base] = 1.0
        return out
    tpos = [mps.pos[m.qubit] for m in terminal]
    mps.move_center(tpos[0])
    measured = set(tpos)
    mcount = len(terminal)
    # sub-batches bound the memory of the prefix environments
    chi = max(max(a.shape[1], a.shape[3]) for a in mps.sites)
    per = 16 * (2**mcount) * chi * chi * 4
    step = max(1, min(B, int(2**28 // max(per, 1))))
    probs = np.zeros((B, 2**mcount))
    for lo in range(0, B, step):
        sl = slice(lo, min(B, lo + step))
        nb = sl.stop - sl.start
        a0 = mps.sites[tpos[0]][sl]
        env = np.broadcast_to(np.eye(a0.shape[1], dtype=complex), (nb, 1, a0.shape[1], a0.shape[1]))
        for k in range(tpos[0], tpos[-1] + 1):
            a = mps.sites[k][sl]
            t1 = np.einsum("bKlm,blxr->bKmxr", env, a)
            t2 = np.einsum("bKmxr,bmxs->bKxrs", t1, a.conj())
            if k in measured:
                env = t2.reshape(nb, -1, t2.shape[3], t2.shape[4])
            else:
                env = t2.sum(axis=2)
        probs[sl] = np.real(np.einsum("bKrr->bK", env))
    probs = np.clip(probs, 0.0, None)
    t = probs.reshape((B,) + (2,) * mcount)  # axis 1 + j: terminal[j] (site order), first = high bit
    for j, m in enumerate(terminal):
        if j not in paired:
            t = np.moveaxis(np.tensordot(_confusion(m), t, axes=([1], [1 + j])), 0, 1 + j)
    for i, j, mat in prep.readout_pairs:  # joint assignment of a pair read out together
        ai, aj = 1 + where[i], 1 + where[j]
        t = np.moveaxis(np.tensordot(mat.reshape(2, 2, 2, 2), t, axes=([2, 3], [ai, aj])), [0, 1], [ai, aj])
    flat = t.reshape(B, -1)
    offs = np.zeros(2**mcount, dtype=np.int64)
    idx = np.arange(2**mcount)
    for j, m in enumerate(terminal):
        offs |= ((idx >> (mcount - 1 - j)) & 1) << m.clbit
    out[np.arange(B)[:, None], base[:, None] + offs[None, :]] = flat  # distinct keys per trajectory
    return out


def _values(mps: BatchMPS, prep: PreparedProgram, reg, readout: Readout) -> np.ndarray:
    B = mps.B
    nvals = len(readout.observables) + len(readout.bitstrings)
    vals = np.zeros((B, nvals))
    col = 0
    for obs in sorted(range(len(readout.observables)), key=lambda j: min((mps.pos[q] for q in
                                                                           readout.observables[j]), default=0)):
        ops = {mps.pos[q]: m for q, m in readout.observables[obs].items()}
        vals[:, obs] = np.real(mps.expect_product(ops))
    col = len(readout.observables)
    nc = prep.num_clbits
    term = {m.clbit: m for m in prep.terminal}
    paired = {prep.terminal[i].clbit: (i, j, mat) for i, j, mat in prep.readout_pairs}
    paired.update({prep.terminal[j].clbit: None for i, j, mat in prep.readout_pairs})
    for j, bits in enumerate(readout.bitstrings):
        ok = np.ones(B, dtype=bool)
        ops: dict[int, np.ndarray] = {}
        pair_terms = []  # per pair: the 4 products |a_i><a_i| (x) diag(mat[r, (a_i, .)]) on the two sites
        for c in range(nc):
            b = bits[nc - 1 - c] == "1"
            if c in paired:
                if paired[c] is None:
                    continue
                i, jj, mat = paired[c]
                mi, mj = prep.terminal[i], prep.terminal[jj]
                r = 2 * int(b) + int(bits[nc - 1 - mj.clbit] == "1")
                pair_terms.append([{mps.pos[mi.qubit]: np.diag([1.0 - ai, float(ai)]).astype(complex),
                                    mps.pos[mj.qubit]: np.diag(mat[r, 2 * ai: 2 * ai + 2]).astype(complex)}
                                   for ai in (0, 1)])
            elif c in term:
                m = term[c]
                conf = _confusion(m)
                ops[mps.pos[m.qubit]] = np.diag(conf[int(b)]).astype(complex)
            else:
                ok &= reg[:, c] == b
        total = np.zeros(B)
        for combo in itertools.product(*pair_terms) if pair_terms else [()]:
            full = dict(ops)
            for part in combo:
                full.update(part)
            total += np.real(mps.expect_product(full))
        vals[:, col + j] = np.where(ok, total, 0.0)
    return vals


def _sample(mps: BatchMPS, prep: PreparedProgram, reg, rngs, share: np.ndarray) -> dict[str, int]:
    """Each trajectory b draws share[b] outcomes: sequential sampling of its MPS, then the assignment errors."""
    B, n, nc = mps.B, len(mps.sites), prep.num_clbits
    smax = int(share.max()) if len(share) else 0
    if smax == 0:
        return {}
    mps.move_center(0)
    u = np.stack([r.random((smax, n + len(prep.terminal))) for r in rngs])  # (B, S, n + m)
    env = np.ones((B, smax, 1), dtype=complex)
    x = np.zeros((B, smax, n), dtype=bool)
    for k in range(n):
        a = mps.sites[k]
        amps = np.einsum("bsl,blxr->bsxr", env, a)
        w = np.sum(np.abs(amps) ** 2, axis=3)
        tot = w.sum(axis=2)
        p1 = w[:, :, 1] / np.where(tot > 0, tot, 1.0)
        pick = u[:, :, k] < p1
        x[:, :, k] = pick
        sel = np.where(pick[:, :, None], amps[:, :, 1], amps[:, :, 0])
        norm = np.sqrt(np.where(pick, w[:, :, 1], w[:, :, 0]))
        env = sel / np.where(norm > 0, norm, 1.0)[:, :, None]
    bits = np.broadcast_to(reg[:, None, :nc], (B, smax, nc)).copy() if nc else np.zeros((B, smax, 0), bool)
    paired = {i for i, _, _ in prep.readout_pairs} | {j for _, j, _ in prep.readout_pairs}
    for j, m in enumerate(prep.terminal):
        if j in paired:
            continue
        actual = x[:, :, mps.pos[m.qubit]]
        flip = u[:, :, n + j] < np.where(actual, m.p01, m.p10)
        bits[:, :, m.clbit] = actual ^ flip
    for i, j, mat in prep.readout_pairs:  # recorded pair drawn from the joint matrix's column of the actual pair
        mi, mj = prep.terminal[i], prep.terminal[j]
        act = 2 * x[:, :, mps.pos[mi.qubit]].astype(np.int64) + x[:, :, mps.pos[mj.qubit]]
        cum = np.cumsum(mat, axis=0)[:, act]  # (4, B, S)
        rec = np.minimum(np.count_nonzero(u[None, :, :, n + i] >= cum / cum[-1], axis=0), 3)
        bits[:, :, mi.clbit] = rec >= 2
        bits[:, :, mj.clbit] = rec % 2 == 1
    want = np.arange(smax)[None, :] < share[:, None]
    chosen = bits[want]  # (total, nc), clbit c in column c
    chars = np.where(chosen[:, ::-1], ord("1"), ord("0")).astype(np.uint8)
    keys = chars.view(f"S{nc}").ravel() if nc else np.array([b""] * len(chosen))
    uniq, cnt = np.unique(keys, return_counts=True)
    return {k.decode(): int(c) for k, c in zip(uniq, cnt)}


# ---------------------------------------------------------------------- result state
@dataclass
class TrajectoryState:
    """Per-trajectory values of the requested observables and bitstrings, with their statistics.

    ``values[:, j]`` is quantity j on each trajectory (observables first, then
    bitstrings, in the order requested); :meth:`mean` / :meth:`stderr` give the
    estimate and its standard error, :meth:`combine` any linear combination
    (e.g. P(0...0) + P(1...1)) with its own standard error.
    """

    names: list[str]
    values: np.ndarray
    truncation_bounds: np.ndarray  # per trajectory: sum sqrt(discarded weight)
    discarded_weights: np.ndarray
    jumps: np.ndarray

    @property
    def trajectories(self) -> int:
        return int(self.values.shape[0])

    def mean(self, name: str) -> float:
        return float(self.values[:, self.names.index(name)].mean())

    def stderr(self, name: str) -> float:
        return _stderr(self.values[:, self.names.index(name)])

    def combine(self, weights: dict[str, float]) -> tuple[float, float]:
        """(estimate, standard error) of sum_name weight * quantity (per-trajectory correlations included)."""
        v = sum(w * self.values[:, self.names.index(k)] for k, w in weights.items())
        return float(np.mean(v)), _stderr(v)

    def probability(self, bitstring: str) -> float:
        """Mean over trajectories of the exact probability of ``bitstring`` (requested with ``bitstrings``)."""
        if bitstring not in self.names:
            raise EngineError(f"trajectories: bitstring {bitstring!r} was not requested: pass "
                              "engine_options={'bitstrings': [...]} to compute it on every trajectory")
        return self.mean(bitstring)

    @property
    def truncation_error(self) -> float:
        return float(self.truncation_bounds.mean()) if self.trajectories else 0.0


def _stderr(v: np.ndarray) -> float:
    n = len(v)
    return float(np.std(v, ddof=1) / math.sqrt(n)) if n > 1 else math.inf


# ---------------------------------------------------------------------- engine
class TrajectoryEngine(Engine):
    """Quantum trajectories on matrix-product states (any size; feed-forward supported).

    Options
    -------
    trajectories : int
        Number of trajectories (default 1000).
    batch_size : int
        Trajectories run together (default 64). Results are bit-identical for a
        given seed and batch size, whatever executes the batches.
    max_bond : int or None
        Largest bond dimension per trajectory (default 256; None = no cap).
    cutoff : float
        Discarded weight fraction allowed per split (default 1e-14).
    max_enumerate : int
        Up to this many classical bits (default 16), every trajectory gives its
        exact distribution; above, each draws its share of the shots.
    observables : sequence
        Product operators evaluated exactly on every trajectory: Pauli strings
        over the active qubits (character i = local qubit i, as
        ``MPDOState.expectation``) or dicts {local qubit: 2x2 matrix}.
    bitstrings : sequence of str
        Outcomes (clbit 0 rightmost) whose exact probability every trajectory
        contributes, e.g. ``["0"*n, "1"*n]`` for the GHZ populations.
    warn_threshold : float
        Warn if the truncation bound exceeds it (default 1e-3).
    progress : bool or None
        tqdm bar over the batches (default: for 10+ batches).
    """

    name = "trajectories"
    option_names = TRAJECTORY_OPTIONS
    #: Twin passes ``seed=`` (a SeedSequence) and ``shots=`` to :meth:`run`.
    stochastic = True

    def __init__(self, *, trajectories: int = 1000, batch_size: int = 64, max_bond: int | None = 256,
                 cutoff: float = 1e-14, max_enumerate: int = 16, observables: Sequence = (),
                 bitstrings: Sequence[str] = (), warn_threshold: float = 1e-3, progress: bool | None = None,
                 **unknown):
        super().__init__(trajectories=trajectories, batch_size=batch_size, max_bond=max_bond, cutoff=cutoff,
                         max_enumerate=max_enumerate, warn_threshold=warn_threshold, **unknown)  # refuses unknown
        _check_int_opt("trajectories", trajectories, 1, 10**9)
        _check_int_opt("batch_size", batch_size, 1, 10**6)
        if max_bond is not None:
            _check_int_opt("max_bond", max_bond, 1, 10**6)
        if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float, np.floating)) or not 0 <= cutoff < 1:
            raise EngineError(f"trajectories: cutoff={short_repr(cutoff)} must be a number in [0, 1)")
        _check_int_opt("max_enumerate", max_enumerate, 0, 24)
        if (isinstance(warn_threshold, bool) or not isinstance(warn_threshold, (int, float))
                or not math.isfinite(warn_threshold) or warn_threshold < 0):
            raise EngineError(f"trajectories: warn_threshold={short_repr(warn_threshold)} must be a number >= 0")
        if isinstance(observables, (str, dict)) or not isinstance(observables, Sequence):
            raise EngineError(f"trajectories: observables={short_repr(observables)} must be a list of Pauli "
                              "strings or {qubit: 2x2 matrix} dicts")
        if isinstance(bitstrings, str) or not isinstance(bitstrings, Sequence) or \
                not all(isinstance(b, str) and set(b) <= {"0", "1"} for b in bitstrings):
            raise EngineError(f"trajectories: bitstrings={short_repr(bitstrings)} must be a list of '0'/'1' strings")
        if progress is not None and not isinstance(progress, (bool, np.bool_)):
            raise EngineError(f"trajectories: progress={short_repr(progress)} must be True, False or None")
        self.trajectories, self.batch_size = int(trajectories), int(batch_size)
        self.max_bond, self.cutoff, self.max_enumerate = max_bond, float(cutoff), int(max_enumerate)
        self.observables, self.bitstrings = list(observables), list(bitstrings)
        self.warn_threshold, self.progress = float(warn_threshold), progress

    def check(self, program: NoisyProgram) -> None:
        if program.metadata.get("leakage_flags"):
            raise EngineError("trajectories: leakage (Gate.leakage_prob) needs flag qubits and gates on up to 4 "
                              "engine qubits: use engine='density_matrix' or noise={'leakage': False}")
        if len(getattr(program, "readout_pairs", ())) > 10 and self.bitstrings:
            raise EngineError(f"trajectories: bitstrings with {len(program.readout_pairs)} correlated readout "
                              "pairs (> 10) cost 2^pairs contractions; use noise={'correlated_readout': False}")
        for j, b in enumerate(self.bitstrings):
            if len(b) != program.num_clbits:
                raise EngineError(f"trajectories: bitstrings[{j}]={b!r} has {len(b)} bits, the program "
                                  f"{program.num_clbits}")
        self._observables(program)

    def _observables(self, program: NoisyProgram) -> tuple[tuple, list[str]]:
        out, names = [], []
        n = program.num_qubits
        for j, o in enumerate(self.observables):
            if isinstance(o, str):
                if len(o) != n or set(o) - set("IXYZ"):
                    raise EngineError(f"trajectories: observables[{j}]={o!r} must have {n} characters from IXYZ "
                                      "(character i = local qubit i)")
                out.append({q: _PAULI[c] for q, c in enumerate(o) if c != "I"})
                names.append(o)
            elif isinstance(o, dict):
                d = {}
                for q, m in o.items():
                    m = np.asarray(m, dtype=complex)
                    if not isinstance(q, (int, np.integer)) or not 0 <= q < n or m.shape != (2, 2):
                        raise EngineError(f"trajectories: observables[{j}] entry {short_repr(q)}: need a local "
                                          f"qubit in [0, {n}) and a 2x2 matrix (got shape {m.shape})")
                    d[int(q)] = m
                out.append(d)
                names.append(f"observable[{j}]")
            else:
                raise EngineError(f"trajectories: observables[{j}]={short_repr(o)}: a Pauli string or a dict")
        return tuple(out), names

    def run(self, program: NoisyProgram, *, seed=None, shots: int | None = None) -> EngineOutput:
        self.check(program)
        t0 = time.perf_counter()
        prep = prepare(program)
        t_prep = time.perf_counter() - t0
        ss = seed_sequence(seed)
        n_traj = self.trajectories
        seeds = trajectory_seeds(ss, n_traj)
        obs, obs_names = self._observables(program)
        readout = Readout(self.max_enumerate, obs, tuple(self.bitstrings),
                          None if shots is None else (int(shots), n_traj))
        batches = [(lo, seeds[lo:lo + self.batch_size]) for lo in range(0, n_traj, self.batch_size)]
        show = self.progress if self.progress is not None else len(batches) >= 10
        from tqdm import tqdm

        results = [run_batch(prep, s, first=lo, readout=readout, max_bond=self.max_bond, cutoff=self.cutoff)
                   for lo, s in tqdm(batches, desc="trajectories", disable=not show, leave=False)]
        return assemble(results, prep, readout, obs_names, meta_extra={
            "seed_entropy": ss.entropy, "seed_spawn_key": list(ss.spawn_key), "batch_size": self.batch_size,
            "max_bond": self.max_bond, "cutoff": self.cutoff, "prepare_s": t_prep,
            "engine_s": time.perf_counter() - t0}, warn_threshold=self.warn_threshold)


def assemble(results: list[BatchResult], prep: PreparedProgram, readout: Readout, obs_names: list[str], *,
             meta_extra: dict, warn_threshold: float = math.inf) -> EngineOutput:
    """Sum batch results (in batch order) into one :class:`EngineOutput`."""
    results = sorted(results, key=lambda r: r.first)
    n = sum(r.size for r in results)
    nc = prep.num_clbits
    probs: dict[str, float] = {}
    stderr: dict[str, float] = {}
    if nc <= readout.max_enumerate:
        s = np.zeros(2**nc)
        s2 = np.zeros(2**nc)
        for r in results:
            s += r.dist_sum
            s2 += r.dist_sumsq
        mean = s / n
        var = np.clip(s2 / n - mean**2, 0.0, None) * (n / (n - 1) if n > 1 else math.inf)
        se = np.sqrt(var / n)
        for k in np.flatnonzero(mean):
            key = format(int(k), f"0{nc}b") if nc else ""
            probs[key] = float(mean[k])
            stderr[key] = float(se[k])
    counts = None
    if readout.shots is not None and nc > readout.max_enumerate:
        counts = {}
        for r in results:
            for k, c in r.counts.items():
                counts[k] = counts.get(k, 0) + c
        counts = dict(sorted(counts.items()))
    values = np.concatenate([r.values for r in results]) if results else np.zeros((0, 0))
    bound = np.concatenate([r.bound for r in results])
    disc = np.concatenate([r.disc for r in results])
    jumps = np.concatenate([r.jumps for r in results])
    state = TrajectoryState(list(obs_names) + list(readout.bitstrings), values, bound, disc, jumps)
    trunc = float(bound.mean())
    meta: dict[str, Any] = {
        "trajectories": n,
        "batches": len(results),
        "truncation_error": trunc,
        "truncation_bound_max": float(bound.max()),
        "discarded_weight_mean": float(disc.mean()),
        "jumps_mean": float(jumps.mean()),
        # stderr is the sample standard error: a jump branch rarer than 1/N is likely unseen and can
        # move a probability by up to ~1/N without showing in the sample's spread
        "rare_branch_floor": 1.0 / n if n else math.inf,
        "max_bond_dimension": max(r.max_bond for r in results),
        "splits_per_trajectory": results[0].splits if results else 0,
        "output": "exact per-trajectory distributions" if nc <= readout.max_enumerate else
                  f"sampled bitstrings ({nc} classical bits > max_enumerate={readout.max_enumerate})",
        **prep.stats,
        **meta_extra,
    }
    if nc > readout.max_enumerate:
        meta["probabilities"] = (f"not enumerated ({nc} classical bits > max_enumerate={readout.max_enumerate}); "
                                 "res.counts are the trajectories' samples; request exact per-trajectory values "
                                 "with engine_options={'bitstrings': [...]} or {'observables': [...]}")
    if trunc > warn_threshold:
        warnings.warn(f"trajectories: truncation bound {trunc:.3g} exceeds {warn_threshold:g} "
                      f"(max_bond={meta_extra.get('max_bond')}); raise max_bond", TruncationWarning, stacklevel=3)
    sampler = None
    if counts is not None:
        total = readout.shots[0]

        def sampler(shots_req, rng, _counts=counts, _total=total):  # noqa: ARG001 - the trajectories drew them
            if shots_req != _total:
                raise EngineError(f"trajectories: the run drew {_total} shots, {shots_req} requested")
            return dict(_counts), 0

    return EngineOutput(probs, meta, sampler=sampler, state=state, truncation_error=trunc, stderr=stderr or None)


def trajectory_seeds(ss: np.random.SeedSequence, n: int, start: int = 0) -> list[np.random.SeedSequence]:
    """The seeds of trajectories ``start .. start + n - 1``: children ``spawn_key + (t,)`` of ``ss``.

    The same children ``ss.spawn`` would give on a fresh ``ss``, built without
    mutating it, so any subset can be regenerated independently (executors).
    """
    return [np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (t,), pool_size=ss.pool_size)
            for t in range(start, start + n)]


def _check_int_opt(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise EngineError(f"trajectories: {name}={short_repr(value)} must be an integer in [{lo}, {hi}]")


register_engine("trajectories", TrajectoryEngine)
