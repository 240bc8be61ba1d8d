"""Noisy Pauli propagation: expectation values of observables in the Heisenberg picture.

An observable ``O = sum_P c_P P`` (real coefficients, Pauli strings on the
program's local qubits) is propagated backwards through the NoisyProgram:
each channel E acts as its adjoint, ``E^dagger(Q) = sum_P R[Q, P] P`` with the
Pauli transfer matrix ``R[Q, P] = tr(Q E(P)) / d``. Every channel is used
*exactly* as the noise builder made it: coherent gate errors, static ZZ
phases, over-rotation, non-unital T1 relaxation (``Z -> (1 - gamma) Z + gamma I``),
dephasing, depolarizing remainders, reset; nothing is Pauli-twirled. A
mid-circuit measurement whose record nothing reads is Z-dephasing. At the
start the state is |0...0>, so ``<O> = sum of the coefficients of the strings
made of I and Z only``.

Truncation. After each layer of disjoint channels, terms with ``|c| < atol``
(and, optionally, beyond ``max_weight`` or past the ``max_terms`` largest)
are dropped. A dropped term ``c P`` at any time t would have contributed
``c tr(P rho_t)`` with ``|tr(P rho_t)| <= 1``, so the **sum of the dropped
|c|** is a rigorous bound on the error of the result (``bound``). Terms that
are exactly zero are not counted: a term with X or Y on a qubit that, earlier
in the circuit, only meets channels which keep X/Y on it (frame changes, ZZ,
relaxation, dephasing) has zero expectation in |0...0> and is removed without
error. ``pauli_propagation`` never samples: the result is deterministic.

Why not IBM's ``pauli-prop`` (0.2.1, Rust core): it propagates through Pauli
rotation gates, Clifford gates and ``PauliLindbladError`` channels only, i.e.
twirled, unital noise; the twin's channels are general CPTP maps (fused gate
blocks from Lindblad integration, amplitude damping, reset), and twirling the
T1 channel would drop its non-unital part, which moves <Z> by O(gamma). The
core here (numba, a hash table per layer) applies arbitrary 1- and 2-qubit
Pauli transfer matrices. ``tests/engines/test_pauli_propagation.py`` checks it
against the exact density matrix and, on Pauli-rotation circuits, against
``pauli-prop`` when it is installed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numba as nb
import numpy as np
from numba import njit

from ..errors import EngineError, short_repr
from ..noise.program import Channel, Conditional, Measure, NoisyProgram

#: Pauli matrices by code x + 2 z: I, X, Z, Y.
_P1 = np.array([np.eye(2), [[0, 1], [1, 0]], [[1, 0], [0, -1]], [[0, -1j], [1j, 0]]], dtype=complex)
_LETTER_CODE = {"I": 0, "X": 1, "Z": 2, "Y": 3}
#: Entries of a Pauli transfer matrix below this are numerical zeros; dropping them is counted in the bound.
PTM_ATOL = 1e-13


def _pauli_basis(k: int) -> np.ndarray:
    """(4^k, 2^k, 2^k) Pauli strings by local code sum_j c_j 4^j (qubit j = bit j, little-endian)."""
    out = []
    for code in range(4**k):
        m = np.array([[1.0 + 0j]])
        for j in reversed(range(k)):
            m = np.kron(m, _P1[(code >> (2 * j)) & 3])
        out.append(m)
    return np.array(out)


_BASIS = {1: _pauli_basis(1), 2: _pauli_basis(2)}


def pauli_transfer(superop: np.ndarray) -> np.ndarray:
    """Heisenberg Pauli transfer matrix R[q, p] = tr(P_q E(P_p)) / d of a row-major superoperator."""
    d = int(round(math.sqrt(superop.shape[0])))
    k = int(round(math.log2(d)))
    basis = _BASIS[k]
    images = (basis.reshape(len(basis), -1) @ superop.T).reshape(basis.shape)  # E(P_p), row-major vec
    r = np.einsum("qij,pji->qp", basis, images) / d
    if np.abs(r.imag).max() > 1e-9:
        raise EngineError("pauli_propagation: a channel is not Hermiticity-preserving (complex transfer matrix)")
    return np.ascontiguousarray(r.real)


# ---------------------------------------------------------------------- numba core
@njit(cache=True, inline="always")
def _ctz(x):
    n = 0
    if (x & np.uint64(0xFFFFFFFF)) == 0:
        n += 32
        x >>= np.uint64(32)
    if (x & np.uint64(0xFFFF)) == 0:
        n += 16
        x >>= np.uint64(16)
    if (x & np.uint64(0xFF)) == 0:
        n += 8
        x >>= np.uint64(8)
    if (x & np.uint64(0xF)) == 0:
        n += 4
        x >>= np.uint64(4)
    if (x & np.uint64(0x3)) == 0:
        n += 2
        x >>= np.uint64(2)
    if (x & np.uint64(0x1)) == 0:
        n += 1
    return n


@njit(cache=True, inline="always")
def _hash(keys, i, nw):
    h = np.uint64(0x9E3779B97F4A7C15)
    for w in range(nw):
        z = keys[i, w] + np.uint64(0x9E3779B97F4A7C15) * np.uint64(w + 1)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        h ^= z + np.uint64(0x9E3779B97F4A7C15) + (h << np.uint64(6)) + (h >> np.uint64(2))
    return h


@njit(cache=True)
def _insert(tkeys, tcoef, tused, buf, j, c, nw, mask):
    h = _hash(buf, j, nw) & mask
    while True:
        if not tused[h]:
            tused[h] = True
            for w in range(nw):
                tkeys[h, w] = buf[j, w]
            tcoef[h] = c
            return 1
        same = True
        for w in range(nw):
            if tkeys[h, w] != buf[j, w]:
                same = False
                break
        if same:
            tcoef[h] += c
            return 0
        h = (h + np.uint64(1)) & mask


@njit(cache=True)
def _local_code(keys, i, qs, W):
    code = 0
    for j in range(qs.shape[0]):
        q = qs[j]
        if q < 0:
            break
        w, b = q // 64, np.uint64(q % 64)
        x = (keys[i, w] >> b) & np.uint64(1)
        z = (keys[i, W + w] >> b) & np.uint64(1)
        code |= int(x + np.uint64(2) * z) << (2 * j)
    return code


@njit(cache=True)
def _set_code(buf, i, qs, W, code):
    for j in range(qs.shape[0]):
        q = qs[j]
        if q < 0:
            break
        w, b = q // 64, np.uint64(q % 64)
        c = (code >> (2 * j)) & 3
        one = np.uint64(1) << b
        buf[i, w] = (buf[i, w] & ~one) | (one if (c & 1) else np.uint64(0))
        buf[i, W + w] = (buf[i, W + w] & ~one) | (one if (c & 2) else np.uint64(0))


@njit(cache=True)
def _touched(keys, i, W, chan_of, out):
    """Channels of the layer that term i touches (deduplicated, into ``out``); returns how many."""
    n = 0
    for w in range(W):
        s = keys[i, w] | keys[i, W + w]
        while s != 0:
            b = _ctz(s)
            s &= s - np.uint64(1)
            c = chan_of[w * 64 + b]
            if c >= 0:
                dup = False
                for k in range(n):
                    if out[k] == c:
                        dup = True
                        break
                if not dup:
                    out[n] = c
                    n += 1
    return n


@njit(cache=True)
def _rehash(tkeys, tcoef, tused, nw):
    cap = tkeys.shape[0] * 2
    nkeys = np.zeros((cap, nw), np.uint64)
    ncoef = np.zeros(cap, np.float64)
    nused = np.zeros(cap, np.bool_)
    mask = np.uint64(cap - 1)
    for h in range(tkeys.shape[0]):
        if tused[h]:
            _insert(nkeys, ncoef, nused, tkeys, h, tcoef[h], nw, mask)
    return nkeys, ncoef, nused


@njit(cache=True)
def _apply_layer(keys, coefs, W, chan_of, chan_qubits, tab_off, tab_code, tab_val, atol):
    """All channels of one layer (disjoint) applied to every term; merged in a hash table.

    ``tab_off[c, q] .. tab_off[c, q + 1]`` index the outputs (code, value) of input
    local code q of channel c. A branch whose |coefficient| falls below ``atol``
    is dropped at once (transfer entries are <= 1 in magnitude, so it cannot grow
    within the layer) and its |coefficient| counted. Returns (table keys,
    coefficients, used flags, dropped sum).
    """
    n = keys.shape[0]
    nw = 2 * W
    touched = np.empty(chan_of.shape[0], np.int64)
    cap = 16
    while cap < 4 * n + 16:
        cap *= 2
    tkeys = np.zeros((cap, nw), np.uint64)
    tcoef = np.zeros(cap, np.float64)
    tused = np.zeros(cap, np.bool_)
    count = 0
    dropped = 0.0
    bufcap = 1024
    buf = np.empty((bufcap, nw), np.uint64)
    bcoef = np.empty(bufcap, np.float64)
    buf2 = np.empty((bufcap, nw), np.uint64)
    bcoef2 = np.empty(bufcap, np.float64)
    for i in range(n):
        if 2 * (count + 1) > tkeys.shape[0]:
            tkeys, tcoef, tused = _rehash(tkeys, tcoef, tused, nw)
        nt = _touched(keys, i, W, chan_of, touched)
        if nt == 0:
            count += _insert(tkeys, tcoef, tused, keys, i, coefs[i], nw, np.uint64(tkeys.shape[0] - 1))
            continue
        for w in range(nw):
            buf[0, w] = keys[i, w]
        bcoef[0] = coefs[i]
        nb_ = 1
        for t in range(nt):
            c = touched[t]
            qs = chan_qubits[c]
            nb2 = 0
            for j in range(nb_):
                q = _local_code(buf, j, qs, W)
                for e in range(tab_off[c, q], tab_off[c, q + 1]):
                    v = bcoef[j] * tab_val[e]
                    if abs(v) < atol:
                        dropped += abs(v)
                        continue
                    if nb2 >= bufcap:
                        newcap = bufcap * 2
                        nbuf = np.empty((newcap, nw), np.uint64)
                        ncoef = np.empty(newcap, np.float64)
                        nbuf[:bufcap] = buf2
                        ncoef[:bufcap] = bcoef2
                        buf2, bcoef2 = nbuf, ncoef
                        ob = np.empty((newcap, nw), np.uint64)
                        oc = np.empty(newcap, np.float64)
                        ob[:bufcap] = buf
                        oc[:bufcap] = bcoef
                        buf, bcoef = ob, oc
                        bufcap = newcap
                    for w in range(nw):
                        buf2[nb2, w] = buf[j, w]
                    _set_code(buf2, nb2, qs, W, tab_code[e])
                    bcoef2[nb2] = v
                    nb2 += 1
            buf, buf2 = buf2, buf
            bcoef, bcoef2 = bcoef2, bcoef
            nb_ = nb2
        for j in range(nb_):
            if 2 * (count + 1) > tkeys.shape[0]:
                tkeys, tcoef, tused = _rehash(tkeys, tcoef, tused, nw)
            count += _insert(tkeys, tcoef, tused, buf, j, bcoef[j], nw, np.uint64(tkeys.shape[0] - 1))
    return tkeys, tcoef, tused, dropped


@njit(cache=True)
def _compact(tkeys, tcoef, tused, W, atol, max_weight, dead_x):
    """Keep |c| >= atol (and weight <= max_weight); drop X/Y on dead qubits exactly.

    Returns (keys, coefs, dropped |c| sum, support words).
    """
    cap = tkeys.shape[0]
    nw = 2 * W
    keep = np.zeros(cap, np.bool_)
    dropped = 0.0
    nkeep = 0
    for h in range(cap):
        if not tused[h]:
            continue
        c = tcoef[h]
        if c == 0.0:
            continue
        dead = False
        for w in range(W):
            if tkeys[h, w] & dead_x[w]:
                dead = True
                break
        if dead:
            continue
        if abs(c) < atol:
            dropped += abs(c)
            continue
        if max_weight >= 0:
            wt = 0
            for w in range(W):
                s = tkeys[h, w] | tkeys[h, W + w]
                while s != 0:
                    s &= s - np.uint64(1)
                    wt += 1
            if wt > max_weight:
                dropped += abs(c)
                continue
        keep[h] = True
        nkeep += 1
    keys = np.empty((nkeep, nw), np.uint64)
    coefs = np.empty(nkeep, np.float64)
    support = np.zeros(W, np.uint64)
    k = 0
    for h in range(cap):
        if keep[h]:
            for w in range(nw):
                keys[k, w] = tkeys[h, w]
            for w in range(W):
                support[w] |= tkeys[h, w] | tkeys[h, W + w]
            coefs[k] = tcoef[h]
            k += 1
    return keys, coefs, dropped, support


# ---------------------------------------------------------------------- program -> layers
@dataclass
class _Layer:
    chan_of: np.ndarray  # (n,) int64: channel index in the layer per local qubit, -1 if none
    chan_qubits: np.ndarray  # (m, 2) int64 local qubits of each channel (-1 padded)
    tab_off: np.ndarray  # (m, 17) int64
    tab_code: np.ndarray
    tab_val: np.ndarray
    mask: np.ndarray  # (W,) uint64 qubits the layer touches
    dead_x: np.ndarray  # (W,) uint64 qubits whose X/Y terms vanish once this layer has been passed
    ptm_dropped: np.ndarray  # (m, 16) sum of |R| dropped per input code (numerical zeros)


@dataclass
class PropagationPlan:
    """The program as layers of disjoint channels in Heisenberg (reverse) order, with their transfer tables."""

    num_qubits: int
    words: int
    layers: list[_Layer]
    initially_dead: np.ndarray  # (W,) qubits no channel ever touches (always |0>)
    stats: dict[str, Any] = field(default_factory=dict)


def _is_xy_safe(r: np.ndarray, k: int, j: int) -> bool:
    """True if every input with X/Y on channel qubit j maps only to outputs with X/Y on it."""
    for q in range(4**k):
        if not (q >> (2 * j)) & 1:
            continue
        outs = np.nonzero(np.abs(r[q]) > PTM_ATOL)[0]
        if any(not (p >> (2 * j)) & 1 for p in outs):
            return False
    return True


def plan(program: NoisyProgram) -> PropagationPlan:
    """Transfer tables of every channel, layered for backwards propagation (deterministic)."""
    n = program.num_qubits
    W = max(1, (n + 63) // 64)
    items = []  # (qubits, transfer matrix) in time order

    dephase = np.diag([1.0, 0.0, 1.0, 0.0])  # a measurement nobody reads: Z-dephasing

    def walk(instrs):
        for ins in instrs:
            if isinstance(ins, Conditional):
                raise EngineError("pauli_propagation: classical feed-forward (if_else) needs the measured "
                                  "records; use engine='trajectories' (or 'density_matrix' up to ~12 qubits)")
            if isinstance(ins, Measure):
                if getattr(ins, "flag", None) is not None:
                    raise EngineError("pauli_propagation: leakage flags are not supported; use "
                                      "noise={'leakage': False} or engine='density_matrix'")
                items.append(((ins.qubit,), dephase))
            elif isinstance(ins, Channel):
                if len(ins.qubits) > 2:
                    raise EngineError(f"pauli_propagation: channel {ins.label!r} on {len(ins.qubits)} qubits")
                items.append((tuple(ins.qubits), None if ins.superop is None else ins))
            else:  # pragma: no cover
                raise EngineError(f"pauli_propagation: unknown instruction {ins!r}")

    walk(program.instructions)
    if program.metadata.get("leakage_flags"):
        raise EngineError("pauli_propagation: leakage (Gate.leakage_prob) is not supported; use "
                          "noise={'leakage': False} or engine='density_matrix'")
    cache: dict[int, np.ndarray] = {}
    ptms = []
    for qs, obj in items:
        if isinstance(obj, Channel):
            key = id(obj.superop)
            if key not in cache:
                cache[key] = pauli_transfer(obj.superop)
            ptms.append(cache[key])
        else:
            ptms.append(obj)
    # the first (in time) channel on each qubit that can turn X/Y into I/Z: before it, X/Y terms vanish
    first_unsafe = {}
    for t, ((qs, _), r) in enumerate(zip(items, ptms)):
        for j, q in enumerate(qs):
            if q not in first_unsafe and not _is_xy_safe(r, len(qs), j):
                first_unsafe[q] = t
    # layers in reverse time: a channel goes one layer past the latest layer on any of its qubits
    level = {}
    layer_of = []
    for t in range(len(items) - 1, -1, -1):
        qs = items[t][0]
        lv = 1 + max((level.get(q, -1) for q in qs), default=-1)
        for q in qs:
            level[q] = lv
        layer_of.append((lv, t))
    groups: dict[int, list[int]] = {}
    for lv, t in layer_of:
        groups.setdefault(lv, []).append(t)
    layers = []
    touched = set()
    for lv in sorted(groups):
        ts = groups[lv]
        m = len(ts)
        chan_of = -np.ones(W * 64, dtype=np.int64)
        chan_qubits = -np.ones((m, 2), dtype=np.int64)
        offs = np.zeros((m, 17), dtype=np.int64)
        codes, vals = [], []
        dropped = np.zeros((m, 16))
        lmask = np.zeros(W, dtype=np.uint64)
        dead = np.zeros(W, dtype=np.uint64)
        pos = 0
        for c, t in enumerate(ts):
            qs = items[t][0]
            r = ptms[t]
            for j, q in enumerate(qs):
                chan_of[q] = c
                chan_qubits[c, j] = q
                lmask[q // 64] |= np.uint64(1) << np.uint64(q % 64)
                touched.add(q)
                if first_unsafe.get(q) == t:
                    dead[q // 64] |= np.uint64(1) << np.uint64(q % 64)
            nin = r.shape[0]
            for qin in range(16):
                offs[c, qin] = pos
                if qin < nin:
                    row = r[qin]
                    nz = np.abs(row) > PTM_ATOL
                    dropped[c, qin] = float(np.abs(row[~nz]).sum())
                    for p in np.nonzero(nz)[0]:
                        codes.append(int(p))
                        vals.append(float(row[p]))
                        pos += 1
            offs[c, 16] = pos
        layers.append(_Layer(chan_of, chan_qubits, offs, np.array(codes, dtype=np.int64),
                             np.array(vals, dtype=np.float64), lmask, dead, dropped))
    init_dead = np.zeros(W, dtype=np.uint64)
    for q in range(n):
        if q not in first_unsafe:
            init_dead[q // 64] |= np.uint64(1) << np.uint64(q % 64)
    stats = {"layers": len(layers), "channels": len(items), "distinct_transfer_matrices": len(cache)}
    return PropagationPlan(n, W, layers, init_dead, stats)


# ---------------------------------------------------------------------- observables
def _encode(terms, n: int, W: int) -> tuple[np.ndarray, np.ndarray]:
    """[(coefficient, {local qubit: 'X'|'Y'|'Z'})] -> (keys (N, 2W) uint64, coefficients (N,))."""
    keys = np.zeros((len(terms), 2 * W), dtype=np.uint64)
    coefs = np.zeros(len(terms))
    for i, (c, paulis) in enumerate(terms):
        coefs[i] = float(np.real(c))
        for q, letter in paulis.items():
            code = _LETTER_CODE[letter]
            one = np.uint64(1) << np.uint64(q % 64)
            if code & 1:
                keys[i, q // 64] |= one
            if code & 2:
                keys[i, W + q // 64] |= one
    return keys, coefs


@dataclass(frozen=True)
class PropagationResult:
    """One observable propagated to the start of the circuit.

    ``value`` is <O> in the noisy circuit up to truncation; ``bound`` the sum of
    every dropped |coefficient| (a rigorous bound on ``|value - exact|``).
    """

    value: float
    bound: float
    max_terms_seen: int
    final_terms: int
    seconds: float


def propagate(pl: PropagationPlan, terms, *, atol: float = 1e-6, max_weight: int | None = None,
              max_terms: int | None = None) -> PropagationResult:
    """Propagate one observable ``[(coefficient, {local qubit: letter})]`` through the plan."""
    t0 = time.perf_counter()
    W = pl.words
    keys, coefs = _encode(terms, pl.num_qubits, W)
    # exact: X/Y on a qubit nothing ever touches
    dead = pl.initially_dead.copy()
    keys, coefs, _, support = _compact_np(keys, coefs, W, 0.0, -1, dead)
    bound = 0.0
    peak = len(coefs)
    mw = -1 if max_weight is None else int(max_weight)
    for layer in pl.layers:
        if len(coefs) == 0:
            break
        dead |= layer.dead_x
        if not np.any(layer.mask & support):
            continue  # (qubits that die here are not in the support either)
        # numerical zeros dropped from the transfer tables, charged to the bound
        if layer.ptm_dropped.any():
            bound += _ptm_drop_charge(keys, coefs, W, layer)
        tk, tc, tu, dropped_branches = _apply_layer(keys, coefs, W, layer.chan_of, layer.chan_qubits, layer.tab_off,
                                                    layer.tab_code, layer.tab_val, float(atol))
        keys, coefs, dropped, support = _compact(tk, tc, tu, W, atol, mw, dead)
        bound += dropped + dropped_branches
        if max_terms is not None and len(coefs) > max_terms:
            cut = np.argpartition(-np.abs(coefs), max_terms)[:max_terms]
            keep = np.zeros(len(coefs), dtype=bool)
            keep[cut] = True
            bound += float(np.abs(coefs[~keep]).sum())
            keys, coefs = keys[keep], coefs[keep]
            support = np.bitwise_or.reduce(keys[:, :W] | keys[:, W:], axis=0) if len(coefs) else support * 0
        peak = max(peak, len(coefs))
    value = float(coefs[~np.any(keys[:, :W], axis=1)].sum()) if len(coefs) else 0.0
    return PropagationResult(value, bound, peak, len(coefs), time.perf_counter() - t0)


def _compact_np(keys, coefs, W, atol, mw, dead):
    if len(coefs) == 0:
        return keys, coefs, 0.0, np.zeros(W, dtype=np.uint64)
    used = np.ones(len(coefs), dtype=np.bool_)
    return _compact(keys, coefs.astype(np.float64), used, W, atol, mw, dead)


def _ptm_drop_charge(keys, coefs, W, layer) -> float:
    """Sum over terms of |c| times the dropped transfer-matrix weight of the channels they touch."""
    total = 0.0
    for c in range(layer.chan_qubits.shape[0]):
        if not layer.ptm_dropped[c].any():
            continue
        qs = [q for q in layer.chan_qubits[c] if q >= 0]
        code = np.zeros(len(coefs), dtype=np.int64)
        for j, q in enumerate(qs):
            w, b = q // 64, np.uint64(q % 64)
            x = ((keys[:, w] >> b) & np.uint64(1)).astype(np.int64)
            z = ((keys[:, W + w] >> b) & np.uint64(1)).astype(np.int64)
            code |= (x + 2 * z) << (2 * j)
        total += float(np.sum(np.abs(coefs) * layer.ptm_dropped[c][code]))
    return total


def pauli_terms(label_or_terms, n: int) -> list[tuple[float, dict[int, str]]]:
    """Accept a Pauli string over the local qubits (character i = local qubit i) or ``[(c, {q: letter})]``."""
    if isinstance(label_or_terms, str):
        s = label_or_terms
        if len(s) != n or set(s) - set("IXYZ"):
            raise EngineError(f"pauli_propagation: observable {s!r} must have {n} characters from IXYZ "
                              "(character i = local qubit i)")
        return [(1.0, {q: c for q, c in enumerate(s) if c != "I"})]
    out = []
    for item in label_or_terms:
        try:
            c, paulis = item
            c = float(np.real(c))
            paulis = {int(q): str(p) for q, p in dict(paulis).items() if p != "I"}
        except (TypeError, ValueError):
            raise EngineError(f"pauli_propagation: observable term {short_repr(item)} must be "
                              "(coefficient, {local qubit: 'X'|'Y'|'Z'})") from None
        for q, p in paulis.items():
            if not 0 <= q < n or p not in "XYZ":
                raise EngineError(f"pauli_propagation: observable term {short_repr(item)}: qubit {q} not in "
                                  f"[0, {n}) or letter {p!r} not X/Y/Z")
        out.append((c, paulis))
    return out


def expectation_values(program: NoisyProgram, observables: Sequence, *, atol: float = 1e-6,
                       max_weight: int | None = None, max_terms: int | None = None,
                       target_bound: float | None = None, min_atol: float = 1e-9) -> list[PropagationResult]:
    """<O> for each observable (Pauli string over local qubits, or [(c, {q: letter})]).

    With ``target_bound``, an observable whose bound exceeds it is propagated
    again with ``atol / 10`` until the bound is met or ``atol`` reaches ``min_atol``.
    """
    if isinstance(atol, bool) or not isinstance(atol, (int, float)) or not atol >= 0:
        raise EngineError(f"pauli_propagation: atol={short_repr(atol)} must be a number >= 0")
    pl = plan(program)
    out = []
    for obs in observables:
        terms = pauli_terms(obs, program.num_qubits)
        a = float(atol)
        res = propagate(pl, terms, atol=a, max_weight=max_weight, max_terms=max_terms)
        while target_bound is not None and res.bound > target_bound and a / 10 >= min_atol:
            a /= 10
            res = propagate(pl, terms, atol=a, max_weight=max_weight, max_terms=max_terms)
        out.append(res)
    return out
