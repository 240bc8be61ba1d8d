"""Tensor-network engine: the density operator as a matrix-product state (MPDO).

The density operator of the active qubits is vectorised site by site: site i
carries a tensor A[i] of shape (chi_left, 4, chi_right) whose physical index is
p = 2 r + c for the row bit r and column bit c of its qubit. This is the same
row-major convention as the engines' superoperators, so a NoisyProgram's
channels apply unchanged:

* a one-qubit channel contracts its 4x4 superoperator into one site;
* a two-qubit channel (16x16) is applied to two *adjacent* sites and split back
  by SVD, truncated to ``max_bond`` and ``cutoff``; non-adjacent qubits are first
  brought together by swapping sites (the site order then stays permuted);
* the site order starts from a reverse Cuthill-McKee ordering of the program's
  interaction graph, so the gates of a transpiled circuit are mostly local.

The MPS is kept in mixed-canonical form around the sites being split, so each
SVD truncation is locally optimal; the **discarded weight** of every split
(sum of discarded squared singular values over their total: the relative
squared Frobenius error of the vectorised density operator at that step) is
accumulated in ``metadata["truncation_error"]``, and a warning is raised past
``warn_threshold``.

Measurements. A terminal measurement is a one-qubit channel that dephases and
applies the assignment errors (the site then holds the classical record). A
mid-circuit measurement copies the outcome into a new *record site* inserted
next to the qubit (deferred measurement): exact, and the qubit lives on.
Reset is a channel. Classical feed-forward (``if_else``) needs branching and is
not supported here: the error says to use ``density_matrix``.

Outputs: the exact distribution over the classical bits when there are at most
``max_enumerate`` of them (a pruned left-to-right contraction), shot sampling
by sequential conditional sampling from the MPDO otherwise, single-bitstring
probabilities and Pauli expectation values from the result's ``state``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from .._blas import BlasThreads
from ..errors import EngineError
from ..noise.program import Channel, Conditional, Measure, NoisyProgram
from .base import Engine, EngineOutput, check_option_values, register_engine

_TR = np.array([1.0, 0.0, 0.0, 1.0])  # vec(I): contracts a site's (r, c) with r == c
_DIAG = (np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.0, 1.0]))  # |0><0|, |1><1|
_PAULI = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0, -1.0]),
}


class TruncationWarning(UserWarning):
    """The tensor-network engine discarded more weight than its warning threshold."""


def _serial_blas_max_bond(default: int = 128) -> int:
    raw = os.environ.get("QPU_TWIN_MPDO_SERIAL_MAX_BOND", "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise EngineError(f"environment variable QPU_TWIN_MPDO_SERIAL_MAX_BOND={raw!r} must be a non-negative integer")
    return int(raw)


#: Two-site contractions (matmul, SVD, QR) whose bonds are all at most this run with one BLAS
#: thread. Measured (``benchmarks/bench_latency.py --only-kernels``, 2 cores, busy): one thread
#: was faster at every bond up to 128, by 10-40x when the cores are busy (OpenBLAS threads
#: wait for each other); on an idle 2-core machine threads gain at most 2x. Environment
#: variable ``QPU_TWIN_MPDO_SERIAL_MAX_BOND`` (0: never limit the BLAS threads).
SERIAL_BLAS_MAX_BOND = _serial_blas_max_bond()


def _site_gate(s16: np.ndarray, first_is_q0: bool) -> np.ndarray:
    """16x16 row-major superop on (q0, q1) -> tensor G[pL', pR', pL, pR] on (left site, right site).

    Superop index L = r_loc * 4 + c_loc with r_loc = r0 + 2 r1 (qubit 0 = bit 0);
    site index p = 2 r + c.
    """
    t = s16.reshape(2, 2, 2, 2, 2, 2, 2, 2)  # [r1', r0', c1', c0', r1, r0, c1, c0]
    # -> [r0', c0', r1', c1', r0, c0, r1, c1] : site of q0 then site of q1
    g = t.transpose(1, 3, 0, 2, 5, 7, 4, 6).reshape(4, 4, 4, 4)
    if not first_is_q0:
        g = g.transpose(1, 0, 3, 2)
    return g


def _site_gate_k(s: np.ndarray, order) -> np.ndarray:
    """Row-major superop on k channel qubits -> 4^k x 4^k matrix on k adjacent sites.

    ``order[i]`` is the channel qubit at the i-th site from the left; the site-major index has
    the leftmost site most significant and p = 2 r + c per site (as :func:`_site_gate`).
    """
    k = len(order)
    t = np.asarray(s).reshape([2] * (4 * k))  # [r' (q k-1..0), c' (..), r (..), c (..)]

    def ax(block: int, j: int) -> int:
        return block * k + (k - 1 - j)

    perm = [a for j in order for a in (ax(0, j), ax(1, j))] + [a for j in order for a in (ax(2, j), ax(3, j))]
    return np.ascontiguousarray(t.transpose(perm).reshape(4**k, 4**k))


#: Largest channel (qubits) the MPDO engines apply (the noise builder's ZZ corrections reach 4).
MAX_CHANNEL_QUBITS = 4

_SWAP = np.zeros((4, 4, 4, 4))
for _a in range(4):
    for _b in range(4):
        _SWAP[_b, _a, _a, _b] = 1.0


def _measure_copy(p10: float, p01: float) -> np.ndarray:
    """Superop tensor on (qubit site, fresh record site): project, copy the outcome, apply confusion.

    G[pq', prec', pq, prec] with the record initially |0><0| (prec = 0).
    """
    conf = np.array([[1 - p10, p01], [p10, 1 - p01]])  # [recorded, actual]
    g = np.zeros((4, 4, 4, 4))
    for b in range(2):
        for rec in range(2):
            # qubit stays |b><b| (post-measurement), record becomes |rec><rec| with prob conf[rec, b]
            g[3 * b, 3 * rec, 3 * b, 0] = conf[rec, b]
    return g


def _readout_superop(p10: float, p01: float) -> np.ndarray:
    """4x4: dephase in Z and apply the assignment errors (the site becomes the classical record)."""
    s = np.zeros((4, 4))
    s[0, 0], s[0, 3] = 1 - p10, p01
    s[3, 0], s[3, 3] = p10, 1 - p01
    return s


@dataclass
class MPDO:
    """Vectorised density operator as an MPS (list of (chiL, 4, chiR) arrays)."""

    sites: list[np.ndarray]
    labels: list[tuple[str, int]]  # ("q", local qubit) or ("rec", record id)
    max_bond: int | None = 128
    cutoff: float = 1e-12
    truncation_error: float = 0.0
    truncations: int = 0
    max_bond_seen: int = 1
    lo: int = 0  # sites < lo are left-isometric, sites > hi right-isometric
    hi: int = 0
    history: list[float] = field(default_factory=list)
    blas: Any = field(default=None, repr=False)  # a BlasThreads: one BLAS thread for small contractions

    @classmethod
    def zero_state(cls, labels, **opts) -> "MPDO":
        sites = [np.array([1.0, 0, 0, 0], dtype=complex).reshape(1, 4, 1) for _ in labels]
        return cls(sites, list(labels), lo=0, hi=len(labels) - 1, **opts)

    def position(self, label) -> int:
        return self.labels.index(label)

    # ------------------------------------------------------------------ canonical form
    def _left_canon(self, i: int) -> None:
        a = self.sites[i]
        cl, d, cr = a.shape
        q, r = np.linalg.qr(a.reshape(cl * d, cr))
        self.sites[i] = q.reshape(cl, d, q.shape[1])
        self.sites[i + 1] = np.tensordot(r, self.sites[i + 1], axes=(1, 0))

    def _right_canon(self, i: int) -> None:
        a = self.sites[i]
        cl, d, cr = a.shape
        q, r = np.linalg.qr(a.reshape(cl, d * cr).T)
        self.sites[i] = q.T.reshape(q.shape[1], d, cr)
        self.sites[i - 1] = np.tensordot(self.sites[i - 1], r.T, axes=(2, 0))

    def center(self, i: int, j: int) -> None:
        """Make [i, j] the only non-isometric range."""
        while self.lo < i:
            self._left_canon(self.lo)
            self.lo += 1
        while self.hi > j:
            self._right_canon(self.hi)
            self.hi -= 1
        self.lo = min(self.lo, i)
        self.hi = max(self.hi, j)

    # ------------------------------------------------------------------ ops
    def apply1(self, i: int, s: np.ndarray) -> None:
        a = self.sites[i]
        out = s @ a.transpose(1, 0, 2).reshape(4, -1)
        self.sites[i] = np.ascontiguousarray(out.reshape(4, a.shape[0], a.shape[2]).transpose(1, 0, 2))
        self.lo, self.hi = min(self.lo, i), max(self.hi, i)

    def apply2(self, i: int, g: np.ndarray) -> None:
        """Apply G[pL', pR', pL, pR] to adjacent sites (i, i+1) and split with truncation."""
        if self.blas is not None:
            self.blas.set_serial(max(self.sites[i].shape[0], self.sites[i].shape[2], self.sites[i + 1].shape[2])
                                 <= SERIAL_BLAS_MAX_BOND)
        self.center(i, i + 1)
        a, b = self.sites[i], self.sites[i + 1]
        cl, cr = a.shape[0], b.shape[2]
        theta = (a.reshape(cl * 4, -1) @ b.reshape(-1, 4 * cr)).reshape(cl, 16, cr)
        theta = g.reshape(16, 16) @ theta.transpose(1, 0, 2).reshape(16, cl * cr)
        m = theta.reshape(4, 4, cl, cr).transpose(2, 0, 1, 3).reshape(cl * 4, 4 * cr)
        u, svh = self._split(m)
        self.sites[i] = u.reshape(cl, 4, -1)
        self.sites[i + 1] = svh.reshape(-1, 4, cr)
        self.lo = self.hi = i + 1

    def _split(self, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SVD m = u (s vh) with truncation; accounts the discarded weight. Returns (u, s vh)."""
        try:
            u, s, vh = np.linalg.svd(m, full_matrices=False)
        except np.linalg.LinAlgError:  # pragma: no cover - LAPACK gesdd failure
            u, s, vh = scipy.linalg.svd(m, full_matrices=False, lapack_driver="gesvd")
        total = float(np.sum(s**2))
        keep = len(s)
        if total > 0:
            # smallest k such that the discarded tail is <= cutoff * total, then cap at max_bond
            tail = np.cumsum((s**2)[::-1])[::-1]  # tail[k] = sum_{j>=k} s_j^2
            ok = np.nonzero(tail <= self.cutoff * total)[0]
            keep = int(ok[0]) if ok.size else len(s)
            keep = max(keep, 1)
            if self.max_bond is not None:
                keep = min(keep, self.max_bond)
            disc = float(np.sum(s[keep:] ** 2)) / total
            if disc > 0:
                self.truncation_error += disc
                self.truncations += 1
        self.max_bond_seen = max(self.max_bond_seen, keep)
        return u[:, :keep], s[:keep, None] * vh[:keep]

    def apply_k(self, i: int, g: np.ndarray, k: int) -> None:
        """Apply a 4^k x 4^k site-major matrix to adjacent sites i..i+k-1 and split them back."""
        self.center(i, i + k - 1)
        theta = self.sites[i]
        for j in range(1, k):
            theta = np.tensordot(theta, self.sites[i + j], axes=(theta.ndim - 1, 0))
        cl, cr = theta.shape[0], theta.shape[-1]
        theta = theta.reshape(cl, 4**k, cr).transpose(1, 0, 2).reshape(4**k, cl * cr)
        rest = (g @ theta).reshape(4**k, cl, cr).transpose(1, 0, 2)  # (cl, 4^k, cr)
        left = cl
        for j in range(k - 1):
            u, rest = self._split(rest.reshape(left * 4, -1))
            self.sites[i + j] = u.reshape(left, 4, -1)
            left = u.shape[1]
        self.sites[i + k - 1] = rest.reshape(left, 4, cr)
        self.lo = self.hi = i + k - 1

    def gather(self, labels) -> int:
        """Swap sites until ``labels`` are adjacent (keeping their relative order); return the leftmost index."""
        labels = sorted(labels, key=self.position)
        first = self.position(labels[0])
        for j, lab in enumerate(labels[1:], start=1):
            cur = self.position(lab)
            while cur > first + j:
                self.swap(cur - 1)
                cur -= 1
        return first

    def swap(self, i: int) -> None:
        """Exchange sites i and i+1 (an exact permutation, re-split by SVD)."""
        self.apply2(i, _SWAP)
        self.labels[i], self.labels[i + 1] = self.labels[i + 1], self.labels[i]

    def bring_together(self, la, lb) -> tuple[int, bool]:
        """Swap sites until ``la`` and ``lb`` are adjacent; return (left index, la is left)."""
        i, j = self.position(la), self.position(lb)
        while abs(i - j) > 1:
            if j > i:  # move j leftwards
                self.swap(j - 1)
                j -= 1
            else:
                self.swap(j)
                j += 1
        return (i, True) if i < j else (j, False)

    def insert_after(self, i: int, label) -> int:
        """Insert a product site |0><0| right after site i; returns its index."""
        chi = self.sites[i].shape[2]
        new = np.zeros((chi, 4, chi), dtype=complex)
        for k in range(chi):
            new[k, 0, k] = 1.0
        self.sites.insert(i + 1, new)
        self.labels.insert(i + 1, label)
        if self.hi > i:
            self.hi += 1
        if self.lo > i:
            self.lo += 1
        # the identity site is an isometry in both directions: canonical form is kept
        return i + 1

    # ------------------------------------------------------------------ contractions
    def _right_envs(self, vecs: list[np.ndarray]) -> list[np.ndarray]:
        envs = [None] * (len(self.sites) + 1)
        envs[-1] = np.ones(1, dtype=complex)
        for k in range(len(self.sites) - 1, -1, -1):
            envs[k] = np.einsum("xpy,p,y->x", self.sites[k], vecs[k], envs[k + 1])
        return envs

    def contract(self, vecs: list[np.ndarray]) -> complex:
        env = np.ones(1, dtype=complex)
        for a, v in zip(self.sites, vecs):
            env = np.einsum("x,xpy,p->y", env, a, v)
        return complex(env[0])


@dataclass
class MPDOState:
    """The final MPDO with its classical-bit map: probabilities, samples, expectation values."""

    mpdo: MPDO
    clbit_site: dict[int, tuple]  # clbit -> site label holding its record
    num_clbits: int
    num_qubits: int

    def _vecs(self, assignment: dict[tuple, int]) -> list[np.ndarray]:
        return [_DIAG[assignment[lab]] if lab in assignment else _TR for lab in self.mpdo.labels]

    def trace(self) -> float:
        return float(np.real(self.mpdo.contract([_TR] * len(self.mpdo.sites))))

    def probability(self, bitstring: str) -> float:
        """Probability of one outcome (Qiskit order: clbit 0 is the rightmost character)."""
        if len(bitstring) != self.num_clbits:
            raise EngineError(f"bitstring {bitstring!r} must have {self.num_clbits} bits")
        assign: dict[tuple, int] = {}
        for c in range(self.num_clbits):
            b = int(bitstring[self.num_clbits - 1 - c])
            lab = self.clbit_site.get(c)
            if lab is None:
                if b:
                    return 0.0  # never written: always 0
                continue
            if lab in assign and assign[lab] != b:
                return 0.0
            assign[lab] = b
        return float(np.real(self.mpdo.contract(self._vecs(assign))))

    def expectation(self, pauli: str) -> float:
        """<P> for a Pauli string over the *active qubits* (character i = local qubit i, leftmost = 0)."""
        if len(pauli) != self.num_qubits or set(pauli) - set("IXYZ"):
            raise EngineError(f"pauli={pauli!r}: need {self.num_qubits} characters from IXYZ")
        vecs = []
        for lab in self.mpdo.labels:
            if lab[0] == "q":
                p = _PAULI[pauli[lab[1]]]
                vecs.append(p.T.reshape(-1))  # Tr(P rho) = sum_rc P[c, r] rho[r, c]
            else:
                vecs.append(_TR)
        return float(np.real(self.mpdo.contract(vecs)))

    def distribution(self) -> dict[str, float]:
        """Exact distribution over the classical bits by a pruned left-to-right contraction."""
        labels = self.mpdo.labels
        site_bits: dict[int, list[int]] = {}
        for c, lab in self.clbit_site.items():
            site_bits.setdefault(labels.index(lab), []).append(c)
        partial: dict[int, np.ndarray] = {0: np.ones(1, dtype=complex)}
        for k, a in enumerate(self.mpdo.sites):
            bits = site_bits.get(k)
            nxt: dict[int, np.ndarray] = {}
            if not bits:
                m = np.einsum("xpy,p->xy", a, _TR)
                for key, env in partial.items():
                    nxt[key] = env @ m
            else:
                mats = [np.einsum("xpy,p->xy", a, _DIAG[b]) for b in (0, 1)]
                for key, env in partial.items():
                    for b in (0, 1):
                        v = env @ mats[b]
                        if not np.any(v):
                            continue
                        k2 = key
                        for c in bits:
                            if b:
                                k2 |= 1 << c
                        nxt[k2] = v
            partial = nxt
        nc = self.num_clbits
        return {format(k, f"0{nc}b") if nc else "": float(np.real(v[0])) for k, v in sorted(partial.items())}

    def sample(self, shots: int, rng: np.random.Generator) -> tuple[dict[str, int], int]:
        """Sequential conditional sampling; returns (counts, number of clipped negative weights)."""
        labels = self.mpdo.labels
        site_bits: dict[int, list[int]] = {}
        for c, lab in self.clbit_site.items():
            site_bits.setdefault(labels.index(lab), []).append(c)
        renv = self.mpdo._right_envs([_TR] * len(labels))
        envs = np.ones((shots, 1), dtype=complex)
        keys = np.zeros(shots, dtype=object)
        keys[:] = 0
        clipped = 0
        for k, a in enumerate(self.mpdo.sites):
            bits = site_bits.get(k)
            if not bits:
                envs = envs @ np.einsum("xpy,p->xy", a, _TR)
            else:
                mats = [np.einsum("xpy,p->xy", a, _DIAG[b]) for b in (0, 1)]
                e0, e1 = envs @ mats[0], envs @ mats[1]
                w0, w1 = np.real(e0 @ renv[k + 1]), np.real(e1 @ renv[k + 1])
                neg = (w0 < 0) | (w1 < 0)
                clipped += int(np.count_nonzero(neg))
                w0, w1 = np.maximum(w0, 0.0), np.maximum(w1, 0.0)
                tot = w0 + w1
                if np.any(tot <= 0):
                    raise EngineError("tensor_network: sampling hit a zero-weight branch (truncation too strong?)")
                pick = rng.random(shots) < (w1 / tot)
                envs = np.where(pick[:, None], e1 / w1[:, None].clip(1e-300), e0 / w0[:, None].clip(1e-300))
                for c in bits:
                    keys = np.where(pick, keys | (1 << c), keys)
            # keep envs well scaled
            norm = np.abs(envs).max(axis=1, keepdims=True)
            norm[norm == 0] = 1.0
            envs = envs / norm
        nc = self.num_clbits
        counts: dict[str, int] = {}
        for key in keys:
            s = format(int(key), f"0{nc}b") if nc else ""
            counts[s] = counts.get(s, 0) + 1
        return dict(sorted(counts.items())), clipped


MPDO_OPTIONS = ("max_bond", "cutoff", "max_enumerate", "warn_threshold", "progress")


def check_mpdo_options(engine: str, max_bond, cutoff, max_enumerate=20) -> None:
    if max_bond is not None and (isinstance(max_bond, bool) or not isinstance(max_bond, (int, np.integer))
                                 or max_bond < 1):
        raise EngineError(f"{engine}: max_bond={max_bond!r} must be an integer >= 1 or None")
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float, np.floating)) or not 0 <= cutoff < 1:
        raise EngineError(f"{engine}: cutoff={cutoff!r} must be a number in [0, 1)")
    if isinstance(max_enumerate, bool) or not isinstance(max_enumerate, (int, np.integer)) \
            or not 0 <= max_enumerate <= 30:
        raise EngineError(f"{engine}: max_enumerate={max_enumerate!r} must be an integer in [0, 30]")


def engine_output(state: MPDOState, meta: dict[str, Any], max_enumerate: int) -> EngineOutput:
    """The exact distribution when there are at most ``max_enumerate`` classical bits, else sampling only."""
    if state.num_clbits <= max_enumerate:
        probs = state.distribution()
        meta["trace"] = float(sum(probs.values()))
    else:
        probs = {}
        meta["trace"] = state.trace()
        meta["probabilities"] = (
            f"not enumerated ({state.num_clbits} classical bits > max_enumerate={max_enumerate}); "
            "use res.counts or res.state.probability(bitstring)"
        )
    return EngineOutput(probs, meta, sampler=state.sample, state=state,
                        truncation_error=float(meta.get("truncation_error", 0.0)))


def _site_order(program: NoisyProgram) -> list[int]:
    """Reverse Cuthill-McKee order of the interaction graph (2-qubit channels), weighted by use."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    n = program.num_qubits
    w = np.zeros((n, n))

    def visit(instrs):
        for ins in instrs:
            if isinstance(ins, Channel) and len(ins.qubits) >= 2:
                for j, a in enumerate(ins.qubits):
                    for b in ins.qubits[j + 1:]:
                        w[a, b] += 1
                        w[b, a] += 1
            elif isinstance(ins, Conditional):
                visit(ins.true_body)
                visit(ins.false_body)

    visit(program.instructions)
    if not w.any():
        return list(range(n))
    order = reverse_cuthill_mckee(csr_matrix(w), symmetric_mode=True)
    return [int(q) for q in order]


class TensorNetworkEngine(Engine):
    """MPDO engine for 13 to 150+ active qubits.

    Options
    -------
    max_bond : int or None
        Largest bond dimension kept (default 128; None = no cap).
    cutoff : float
        Discard the smallest singular values whose total weight is at most
        ``cutoff`` times the total (default 1e-12).
    max_enumerate : int
        Enumerate the exact distribution when there are at most this many
        classical bits (default 20); otherwise only sampling and queries.
    warn_threshold : float
        Warn when the accumulated truncation error exceeds it (default 1e-3).
    progress : bool or None
        tqdm progress bar over the instructions (default: for 2,000+ instructions).
    """

    name = "tensor_network"
    option_names = MPDO_OPTIONS

    def __init__(self, *, max_bond: int | None = 128, cutoff: float = 1e-12, max_enumerate: int = 20,
                 warn_threshold: float = 1e-3, progress: bool | None = None):
        super().__init__(max_bond=max_bond, cutoff=cutoff, max_enumerate=max_enumerate,
                         warn_threshold=warn_threshold)
        check_mpdo_options("tensor_network", max_bond, cutoff, max_enumerate)
        check_option_values("tensor_network", warn_threshold=warn_threshold, progress=progress)
        self.max_bond, self.cutoff = max_bond, cutoff
        self.max_enumerate, self.warn_threshold, self.progress = max_enumerate, warn_threshold, progress

    def check(self, program: NoisyProgram) -> None:
        if program.readout_pairs:
            raise EngineError("tensor_network: correlated readout (crosstalk.readout_pairs) is exact only in "
                              "engine='density_matrix'; use it or noise={'correlated_readout': False}")
        if program.metadata.get("leakage_flags"):
            raise EngineError("tensor_network: leakage (Gate.leakage_prob) needs flag qubits and gates on up to 4 "
                              "engine qubits: use engine='density_matrix' or noise={'leakage': False}")

        def walk(instrs):
            for ins in instrs:
                if isinstance(ins, Conditional):
                    raise EngineError(
                        "tensor_network does not support classical feed-forward (if_else): it needs branching "
                        "on measurement records; use engine='density_matrix' (up to ~13 active qubits)"
                    )
                if isinstance(ins, Channel) and len(ins.qubits) > MAX_CHANNEL_QUBITS:
                    raise EngineError(f"tensor_network: channel on {len(ins.qubits)} qubits "
                                      f"(at most {MAX_CHANNEL_QUBITS})")

        walk(program.instructions)

    def run(self, program: NoisyProgram) -> EngineOutput:
        self.check(program)
        order = _site_order(program)
        mp = MPDO.zero_state([("q", q) for q in order], max_bond=self.max_bond, cutoff=self.cutoff)
        mp.blas = BlasThreads() if SERIAL_BLAS_MAX_BOND > 0 else None
        try:
            return self._run(program, order, mp)
        finally:
            if mp.blas is not None:
                mp.blas.restore()

    def _run(self, program: NoisyProgram, order, mp: MPDO) -> EngineOutput:
        clbit_site: dict[int, tuple] = {}
        n_rec = 0
        instrs = list(program.instructions)
        show = self.progress if self.progress is not None else len(instrs) >= 2000
        from tqdm import tqdm

        for ins in tqdm(instrs, desc="tensor_network", disable=not show, leave=False):
            if isinstance(ins, Channel):
                if len(ins.qubits) == 1:
                    mp.apply1(mp.position(("q", ins.qubits[0])), ins.superop)
                elif len(ins.qubits) == 2:
                    qa, qb = ins.qubits
                    i, a_left = mp.bring_together(("q", qa), ("q", qb))
                    mp.apply2(i, _site_gate(ins.superop, first_is_q0=a_left))
                else:
                    k = len(ins.qubits)
                    i = mp.gather([("q", q) for q in ins.qubits])
                    order = [ins.qubits.index(mp.labels[i + j][1]) for j in range(k)]
                    mp.apply_k(i, _site_gate_k(ins.superop, order), k)
            elif isinstance(ins, Measure):
                i = mp.position(("q", ins.qubit))
                label = ("rec", n_rec)
                n_rec += 1
                j = mp.insert_after(i, label)
                mp.apply2(i, _measure_copy(ins.p10, ins.p01))
                clbit_site[ins.clbit] = label
                assert j == i + 1
        for m in program.terminal:
            i = mp.position(("q", m.qubit))
            mp.apply1(i, _readout_superop(m.p10, m.p01))
            clbit_site[m.clbit] = ("q", m.qubit)
        state = MPDOState(mp, clbit_site, program.num_clbits, program.num_qubits)
        meta: dict[str, Any] = {
            "truncation_error": mp.truncation_error,
            "truncations": mp.truncations,
            "max_bond_dimension": mp.max_bond_seen,
            "max_bond": self.max_bond,
            "cutoff": self.cutoff,
            "sites": len(mp.sites),
            "record_sites": n_rec,
            "site_order": order,
        }
        if mp.truncation_error > self.warn_threshold:
            warnings.warn(
                f"tensor_network: accumulated truncation error {mp.truncation_error:.3g} exceeds "
                f"{self.warn_threshold:g} (max_bond={self.max_bond}, cutoff={self.cutoff:g}); raise max_bond",
                TruncationWarning,
                stacklevel=3,
            )
        return engine_output(state, meta, self.max_enumerate)


register_engine("tensor_network", TensorNetworkEngine)
