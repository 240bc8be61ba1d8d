"""Leakage out of the computational subspace, exactly, with a classical flag per leaky qubit.

Representation. A transmon that can leak gets one extra engine qubit, its
*flag*: the pair (q, f) holds |0> = |q=0, f=0>, |1> = |q=1, f=0> and the leaked
level |2> = |q=0, f=1> (the fourth state, |q=1, f=1>, is never populated).
Leakage is created by incoherent jumps and the gates act only inside the
computational subspace, so a state never carries coherence between the leaked
and the computational sector: the flag representation is *exact* for the
3-level model below (``tests/noise/test_leakage.py`` checks it against a direct
3-level QuTiP integration to 1e-8). Engines need nothing new but the flag on
measurements: the density-matrix engine runs it; the tensor-network engines
refuse programs with flags.

The 3-level model (``leakage`` switch; only where the profile gives values):

* a native gate with ``leakage_prob`` L: during the gate (duration T) the
  generator is the gate Hamiltonian H = i log(U)/T acting only when none of its
  qubits is leaked, with the usual T1 / T_phi collapse operators on the
  computational levels and seepage (below) on leaked qubits; the depolarizing
  top-up to the stated error acts when none was leaked at the start; then each
  qubit of the gate that is in |1> leaks to |2> with probability L (if the
  gate acted);
* a leaked qubit decays back to |1> with ``leakage_lifetime_us`` (seepage),
  during every op and idle window; ``None``: it stays leaked;
* while a qubit is leaked, gates on it do nothing to it or to their other
  qubits (which still decohere), ZZ gives no phase, reset leaves it leaked,
  backaction and spectator Pauli errors do not act on it;
* it reads as ``leaked_reads_as`` (1 by default: a transmon in |2> is
  classified as |1>), with the assignment errors of |1> (of |0> if it reads as 0).
"""

from __future__ import annotations

import numpy as np
import qutip

from . import channels as ch

_P0 = np.diag([1.0, 0.0]).astype(complex)
_P1 = np.diag([0.0, 1.0]).astype(complex)
_SM = np.array([[0, 1], [0, 0]], dtype=complex)  # |0><1|
_SP = _SM.conj().T  # |1><0|
_Z = np.diag([1.0, -1.0]).astype(complex)


def leaky_qubits(profile, schedule, options) -> list[int]:
    """Active physical qubits of ``schedule`` that take part in a gate with ``leakage_prob`` > 0."""
    if not options.leakage_active:
        return []
    out: set[int] = set()

    def walk(ops):
        for op in ops:
            if op.kind == "gate" and profile.has_gate(op.name, op.qubits):
                g = profile.gate(op.name, op.qubits)
                if g.leakage_prob:
                    out.update(op.qubits)
            elif op.kind == "if_else" and op.bodies:
                for body in op.bodies:
                    walk(body)

    walk(schedule.ops)
    return sorted(out)


def _on(op: np.ndarray, pos: list[int], n: int) -> np.ndarray:
    """Operator ``op`` on positions ``pos`` (little-endian: position j is bit j) of an n-qubit space."""
    m = len(pos)
    op = np.asarray(op, dtype=complex).reshape(2**m, 2**m)
    dim = 2**n
    idx = np.arange(dim)
    sub = np.zeros(dim, dtype=int)
    for k, p in enumerate(pos):
        sub |= ((idx >> p) & 1) << k
    other_mask = ~sum(1 << p for p in pos) & (dim - 1)
    same_other = (idx[:, None] & other_mask) == (idx[None, :] & other_mask)
    return np.where(same_other, op[sub[:, None], sub[None, :]], 0.0)


def flag_projector(flag_positions: list[int], n: int, value: int = 0) -> np.ndarray:
    """Projector onto all the given flags = ``value``."""
    p = np.eye(2**n, dtype=complex)
    for f in flag_positions:
        p = p @ _on(_P0 if value == 0 else _P1, [f], n)
    return p


def _projection_superop(proj: np.ndarray) -> np.ndarray:
    return np.kron(proj, proj.conj())


def embedded_generator(h: np.ndarray, c_ops_by_qubit: list[list[np.ndarray]], leaky: list[bool],
                       seep_rates: list[float]) -> tuple[np.ndarray, list[np.ndarray], int, list[int]]:
    """The generator of an op on k qubits (``leaky[j]``: qubit j has a flag) in the flag-embedded space.

    ``h`` is the k-qubit gate Hamiltonian (rad/ns), ``c_ops_by_qubit[j]`` the
    single-qubit collapse operators (2x2, already scaled) of qubit j; returns
    (H, collapse operators, n, flag positions) on n = k + (number of flags) engine
    qubits ordered (q_0 .. q_{k-1}, flags of the leaky ones in order).
    """
    k = len(leaky)
    flags = [k + i for i in range(sum(leaky))]
    n = k + len(flags)
    flag_of = {}
    it = iter(flags)
    for j in range(k):
        if leaky[j]:
            flag_of[j] = next(it)
    p_all0 = flag_projector(flags, n, 0)
    h_full = _on(h, list(range(k)), n) @ p_all0 if h is not None else np.zeros((2**n, 2**n), dtype=complex)
    h_full = 0.5 * (h_full + h_full.conj().T)
    c_full = []
    for j in range(k):
        for c in c_ops_by_qubit[j]:
            op = _on(c, [j], n)
            if j in flag_of:
                op = op @ _on(_P0, [flag_of[j]], n)  # acts on the computational levels only
            c_full.append(op)
        if j in flag_of and seep_rates[j] > 0:
            # |2> = |q=0, f=1>  ->  |1> = |q=1, f=0>
            seep = np.sqrt(seep_rates[j]) * (_on(_SP, [j], n) @ _on(_SM, [flag_of[j]], n))
            c_full.append(seep)
    return h_full, c_full, n, flags


def propagate(h_full, c_full, duration_ns: float) -> np.ndarray:
    """Row-major superoperator exp(L T) of the generator."""
    if duration_ns <= 0:
        return np.eye(h_full.shape[0] ** 2, dtype=complex)
    liou = qutip.liouvillian(qutip.Qobj(h_full), [qutip.Qobj(c) for c in c_full])
    return ch.swap_vec_order((liou * duration_ns).expm().full())


def jump_superop(leak_prob: float, q_pos: int, f_pos: int, n: int) -> np.ndarray:
    """A qubit in |1> leaks to |2> with probability ``leak_prob``: Kraus sqrt(L)|0,1><1,0| and the rest."""
    p10 = _on(_P1, [q_pos], n) @ _on(_P0, [f_pos], n)  # |q=1, f=0> projector
    k1 = np.sqrt(leak_prob) * (_on(_SM, [q_pos], n) @ _on(_SP, [f_pos], n)) @ p10
    k0 = np.eye(2**n, dtype=complex) - (1.0 - np.sqrt(1.0 - leak_prob)) * p10
    return ch.kraus_superop([k0, k1])


def guarded(superop_on_qubits: np.ndarray, k: int, n: int, flags: list[int]) -> np.ndarray:
    """A map on the k qubits that acts only when all ``flags`` are 0 (identity otherwise), on n engine qubits."""
    s_emb = ch.embed_superop(superop_on_qubits, list(range(k)), n)
    p0 = _projection_superop(flag_projector(flags, n, 0))
    rest = np.eye(4**n, dtype=complex) - p0
    return s_emb @ p0 + rest


def compose_gate(evolution: np.ndarray, topup: np.ndarray | None, jumps: list[np.ndarray], k: int, n: int,
                 flags: list[int]) -> np.ndarray:
    """exp(LT), then (only if no qubit was leaked at the start) the top-up and the leakage jumps."""
    p0 = _projection_superop(flag_projector(flags, n, 0))
    rest = np.eye(4**n, dtype=complex) - p0
    acted = evolution @ p0
    if topup is not None:
        acted = ch.embed_superop(topup, list(range(k)), n) @ acted
    for j in jumps:
        acted = j @ acted
    return acted + evolution @ rest

