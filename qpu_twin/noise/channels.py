"""Small-channel algebra in the engine's convention.

Convention (used by every map the twin builds and every engine kernel):

* Operators on k qubits are 2^k x 2^k matrices in Qiskit's little-endian
  order (local qubit j is bit j of the basis index).
* A channel is its **row-major** superoperator S (4^k x 4^k): with
  vec(rho)[r * 2^k + c] = rho[r, c], vec(E(rho)) = S vec(rho). For Kraus
  operators S = sum_K K (x) conj(K). (Qiskit's ``SuperOp`` and QuTiP use
  column stacking; :func:`to_qiskit_superop` / :func:`from_column_stacked`
  convert.)
"""

from __future__ import annotations

import numpy as np


def swap_vec_order(s: np.ndarray) -> np.ndarray:
    """Convert a superoperator between row- and column-stacking (an involution)."""
    d2 = s.shape[0]
    d = int(round(np.sqrt(d2)))
    t = s.reshape(d, d, d, d)  # (r, c, r', c') -> (c, r, c', r')
    return np.ascontiguousarray(t.transpose(1, 0, 3, 2).reshape(d2, d2))


from_column_stacked = swap_vec_order


def unitary_superop(u: np.ndarray) -> np.ndarray:
    u = np.asarray(u, dtype=complex)
    return np.kron(u, u.conj())


def kraus_superop(kraus) -> np.ndarray:
    return sum(np.kron(k, np.conj(k)) for k in kraus)


def apply_to_matrix(s: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Apply the row-major superoperator ``s`` to the density matrix ``rho`` (a new matrix)."""
    d = rho.shape[0]
    return (s @ rho.reshape(-1)).reshape(d, d)


def choi(s: np.ndarray) -> np.ndarray:
    """Choi matrix sum_ij |i><j| (x) E(|i><j|) (input factor first)."""
    d = int(round(np.sqrt(s.shape[0])))
    t = s.reshape(d, d, d, d)  # [r', c', r, c]: E(|r><c|)[r', c']
    return np.ascontiguousarray(t.transpose(2, 0, 3, 1).reshape(d * d, d * d))


def is_cptp(s: np.ndarray, *, atol: float = 1e-10) -> tuple[bool, float, float]:
    """(is CPTP, min Choi eigenvalue, trace-preservation defect)."""
    d = int(round(np.sqrt(s.shape[0])))
    c = choi(s)
    herm = 0.5 * (c + c.conj().T)
    min_eig = float(np.linalg.eigvalsh(herm).min())
    # trace preservation: Tr_out(Choi) = I_in
    t = c.reshape(d, d, d, d)
    tr_out = np.einsum("iaja->ij", t)
    defect = float(np.abs(tr_out - np.eye(d)).max())
    return (min_eig >= -atol and defect <= atol), min_eig, defect


def process_fidelity(s: np.ndarray, u: np.ndarray) -> float:
    """Process (entanglement) fidelity of channel ``s`` with unitary ``u``."""
    d = u.shape[0]
    su = unitary_superop(u)
    return float(np.real(np.trace(su.conj().T @ s)) / d**2)


def average_gate_fidelity(s: np.ndarray, u: np.ndarray) -> float:
    """F_avg = (d F_pro + 1) / (d + 1)."""
    d = u.shape[0]
    return (d * process_fidelity(s, u) + 1) / (d + 1)


def depolarizing_superop(p: float, num_qubits: int) -> np.ndarray:
    """rho -> (1 - p) rho + p Tr(rho) I/d."""
    d = 2**num_qubits
    ident = np.eye(d * d, dtype=complex)
    vec_i = np.eye(d, dtype=complex).reshape(-1)
    full = np.outer(vec_i, vec_i) / d  # vec(I/d) vec(I)^T: rho -> Tr(rho) I/d
    return (1 - p) * ident + p * full


def relaxation_superop(duration_ns: float, t1_us: float | None, t2_us: float | None) -> np.ndarray:
    """Exact one-qubit T1/T2 channel for ``duration_ns`` (zero temperature).

    Solution of the Lindblad equation with L1 = sqrt(1/T1) sigma_- and
    Lphi = sqrt(1/(2 Tphi)) Z: populations relax as exp(-t/T1), coherences
    decay as exp(-t/T2). ``None`` means no such process.
    """
    t = duration_ns * 1e-3  # us
    gamma = 0.0 if t1_us is None else -np.expm1(-t / t1_us)
    coh = 1.0 if t2_us is None else np.exp(-t / t2_us)
    s = np.zeros((4, 4), dtype=complex)
    s[0, 0] = 1.0
    s[0, 3] = gamma
    s[3, 3] = 1.0 - gamma
    s[1, 1] = coh
    s[2, 2] = coh
    return s


def reset_superop(error: float = 0.0) -> np.ndarray:
    """State-dependent reset: |0> stays |0>; |1> goes to |0> except with probability ``error``.

    rho -> (rho00 + (1 - e) rho11) |0><0| + e rho11 |1><1| (the failed reset of |1>
    leaves |1>; a reset never excites |0>).
    """
    s = np.zeros((4, 4), dtype=complex)
    s[0, 0] = 1.0
    s[0, 3] = 1.0 - error
    s[3, 3] = error
    return s


def backaction_superop(p_excite: float, p_relax: float) -> np.ndarray:
    """A measurement's backaction on the measured qubit: |0> -> |1> w.p. ``p_excite``, |1> -> |0> w.p. ``p_relax``.

    Kraus operators sqrt(1-pe)|0><0| + sqrt(1-pr)|1><1|, sqrt(pe)|1><0|, sqrt(pr)|0><1|.
    """
    k0 = np.diag([np.sqrt(1 - p_excite), np.sqrt(1 - p_relax)]).astype(complex)
    k1 = np.array([[0, 0], [np.sqrt(p_excite), 0]], dtype=complex)
    k2 = np.array([[0, np.sqrt(p_relax)], [0, 0]], dtype=complex)
    return kraus_superop([k0, k1, k2])


def dephase_rotate_superop(decay: float, phase: float) -> np.ndarray:
    """Coherences times ``exp(-decay)`` and the Z rotation exp(-i phase Z / 2) (phase in rad)."""
    s = np.zeros((4, 4), dtype=complex)
    s[0, 0] = s[3, 3] = 1.0
    s[1, 1] = np.exp(-decay - 1j * phase)  # rho01 -> e^{-i phase} rho01 under exp(-i phase Z/2)
    s[2, 2] = np.exp(-decay + 1j * phase)
    return s


def pauli_error_superop(error: float) -> np.ndarray:
    """rho -> (1 - e) rho + e/3 (X rho X + Y rho Y + Z rho Z): a random Pauli error with probability ``e``."""
    paulis = [np.array([[0, 1], [1, 0]], dtype=complex), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    return (1 - error) * np.eye(4, dtype=complex) + error / 3 * sum(unitary_superop(p) for p in paulis)


def _embed_einsum(s: np.ndarray, positions, k: int) -> np.ndarray:
    """Reference construction of :func:`embed_superop`: einsum of ``s`` with identities."""
    m = len(positions)
    d_k = 2**k
    # tensor indices of s: (r'_ops..., c'_ops..., r_ops..., c_ops...), each op index big-endian by qubit
    t = s.reshape([2] * (4 * m))
    # build the block superop via einsum over an identity on the other qubits
    others = [q for q in range(k) if q not in positions]
    # axis labels: block row out/in, col out/in per qubit
    # row index of a k-qubit operator in big-endian axis order: qubit k-1 ... 0
    def ax(kind, q):
        return {"ro": 0, "co": 1, "ri": 2, "ci": 3}[kind] * k + q

    op_axes = []
    for kind in ("ro", "co", "ri", "ci"):
        op_axes += [ax(kind, positions[j]) for j in reversed(range(m))]
    eye = np.eye(2)
    operands = [t, op_axes]
    for q in others:
        operands += [eye, [ax("ro", q), ax("ri", q)], eye, [ax("co", q), ax("ci", q)]]
    out_axes = []
    for kind in ("ro", "co", "ri", "ci"):
        out_axes += [ax(kind, q) for q in reversed(range(k))]
    res = np.einsum(*operands, out_axes, optimize=True)
    return np.ascontiguousarray(res.reshape(d_k * d_k, d_k * d_k))


_EMBED_INDEX: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _embed_index(positions: tuple, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each entry of the embedded superop comes from: (flat output indices, flat source indices).

    Embedding only copies entries of ``s`` (times identity entries) and fills
    zeros, so it is an index map; it is found once per (positions, k) by
    embedding the superop whose entries are their own flat index + 1 (small
    integers: exact in floating point).
    """
    key = (positions, k)
    idx = _EMBED_INDEX.get(key)
    if idx is None:
        d2 = 4 ** len(positions)
        probe = _embed_einsum(np.arange(1.0, d2 * d2 + 1.0).reshape(d2, d2), list(positions), k)
        flat = np.rint(probe.real).astype(np.int64).reshape(-1)
        out = np.flatnonzero(flat)
        idx = _EMBED_INDEX[key] = (out, flat[out] - 1)
    return idx


def embed_superop(s: np.ndarray, positions: list[int], k: int) -> np.ndarray:
    """Embed a superop acting on local qubits ``positions`` of a k-qubit block.

    ``positions[j]`` is the block qubit that the op's qubit j is. Returns the
    4^k x 4^k row-major superop on the block: ``s`` tensored with the identity
    on the other block qubits, its indices permuted (an exact copy of entries;
    the index map is computed once per layout).
    """
    m = len(positions)
    if m == k and list(positions) == list(range(k)):
        return s
    out_idx, src_idx = _embed_index(tuple(int(p) for p in positions), k)
    d2 = 4**k
    res = np.zeros(d2 * d2, dtype=np.result_type(s.dtype, np.float64))
    res[out_idx] = s.reshape(-1)[src_idx]
    return res.reshape(d2, d2)


def kron_superops(s_a: np.ndarray, s_b: np.ndarray) -> np.ndarray:
    """Superop of (channel a on local qubit 0) (x) (channel b on local qubit 1)."""
    return embed_superop(s_a, [0], 2) @ embed_superop(s_b, [1], 2)


def embed_op(m: np.ndarray, positions: list[int], n: int) -> np.ndarray:
    """k-qubit operator ``m`` (little-endian over ``positions``) on n qubits."""
    idx = np.arange(2**n)
    sub = np.zeros(2**n, dtype=np.int64)
    rest = idx.copy()
    for j, p in enumerate(positions):
        sub |= ((idx >> p) & 1) << j
        rest &= ~(1 << p)
    return m[sub[:, None], sub[None, :]] * (rest[:, None] == rest[None, :])


#: I(x)X and Z(x)X on a two-qubit gate's qubits (a, b) in Qiskit's order (a is the low bit): X on b, Z on a
_IX = np.kron(np.array([[0, 1], [1, 0]], dtype=complex), np.eye(2, dtype=complex))
_ZX = np.kron(np.array([[0, 1], [1, 0]], dtype=complex), np.diag([1.0, -1.0]).astype(complex))


def coherent_generator(h: np.ndarray, duration_ns: float, coherent: tuple[float, float, float]) -> np.ndarray:
    """A gate's drive Hamiltonian with its coherent errors (rad/ns).

    ``h`` is the ideal generator (exp(-i h T) = U); ``coherent`` is
    ``(overrotation, ix_rad, zx_rad)`` (:attr:`qpu_twin.profiles.model.Gate.coherent`):
    H = (1 + overrotation) h + (ix I(x)X + zx Z(x)X) / (2T), Z on the gate's first
    qubit and X on its second. For cx the Pauli terms commute with the gate, so the
    error-only evolution is exactly U exp(-i (ix IX + zx ZX) / 2).
    """
    eps, ix, zx = coherent
    out = h * (1.0 + eps) if eps else h
    if ix or zx:
        if h.shape != (4, 4):
            raise ValueError(f"coherent IX/ZX error on a {h.shape[0]}-dimensional gate (two-qubit gates only)")
        out = out + (ix * _IX + zx * _ZX) / (2.0 * duration_ns)
    return out
