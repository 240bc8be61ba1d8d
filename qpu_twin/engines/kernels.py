"""Numba kernels that apply a k-qubit superoperator to a density matrix in place.

The density matrix of n qubits is a flat complex128 array of length 4^n with
flat index r * 2^n + c (row r, column c; qubit q is bit q of r and c). A
k-qubit row-major superoperator S acting on local qubits Q touches the "vector
qubits" at bit positions Q[j] (column bits) and n + Q[j] (row bits): it is
applied like a 2k-qubit gate to a 2n-qubit state vector, group by group, in
place, without ever forming a 4^n x 4^n matrix.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _insert_zeros(g, sorted_pos):
    for p in sorted_pos:
        low = g & ((1 << p) - 1)
        g = ((g >> p) << (p + 1)) | low
    return g


@njit(parallel=True, cache=True, fastmath=True)
def _apply_matrix(psi, mat, positions, nthreads):
    m = positions.size
    dim = 1 << m
    offsets = np.zeros(dim, np.int64)
    for l in range(dim):
        o = 0
        for j in range(m):
            if (l >> j) & 1:
                o += 1 << positions[j]
        offsets[l] = o
    sp = np.sort(positions)
    nouter = psi.size >> m
    chunk = (nouter + nthreads - 1) // nthreads
    mr = np.ascontiguousarray(mat.real)
    mi = np.ascontiguousarray(mat.imag)
    for t in prange(nthreads):
        vr = np.empty(dim)
        vi = np.empty(dim)
        start = t * chunk
        stop = min(nouter, start + chunk)
        for g in range(start, stop):
            base = _insert_zeros(g, sp)
            for l in range(dim):
                z = psi[base + offsets[l]]
                vr[l] = z.real
                vi[l] = z.imag
            for i in range(dim):
                ar = 0.0
                ai = 0.0
                for l in range(dim):
                    ar += mr[i, l] * vr[l] - mi[i, l] * vi[l]
                    ai += mr[i, l] * vi[l] + mi[i, l] * vr[l]
                psi[base + offsets[i]] = complex(ar, ai)


def apply_superop(rho: np.ndarray, superop: np.ndarray, qubits, num_qubits: int) -> None:
    """Apply a row-major k-qubit superoperator to the flat density matrix ``rho`` in place.

    Parameters
    ----------
    rho : ndarray, complex128, shape (4**num_qubits,)
    superop : ndarray, shape (4**k, 4**k)
    qubits : sequence of int
        Local qubits the superop acts on (its local qubit j is ``qubits[j]``).
    """
    k = len(qubits)
    positions = np.empty(2 * k, np.int64)
    for j, q in enumerate(qubits):
        positions[j] = q
        positions[k + j] = num_qubits + q
    nthreads = nb.get_num_threads() if rho.size >= 4**8 else 1
    _apply_matrix(rho, np.ascontiguousarray(superop, dtype=np.complex128), positions, nthreads)


def project_qubit(rho: np.ndarray, qubit: int, num_qubits: int, w0: float, w1: float) -> np.ndarray:
    """New flat array w0 * P0 rho P0 + w1 * P1 rho P1 for local ``qubit`` (P = |b><b|)."""
    n, q = num_qubits, qubit
    hi, lo = 2 ** (n - 1 - q), 2**q
    v = rho.reshape(hi, 2, lo, hi, 2, lo)
    out = np.zeros_like(v)
    if w0:
        out[:, 0, :, :, 0, :] = w0 * v[:, 0, :, :, 0, :]
    if w1:
        out[:, 1, :, :, 1, :] = w1 * v[:, 1, :, :, 1, :]
    return out.reshape(-1)


def project_pair(rho: np.ndarray, q: int, f: int, num_qubits: int, weights) -> np.ndarray:
    """New flat array sum_{bq, bf} weights[bq][bf] P rho P with P = |bq bf><bq bf| on local qubits (q, f)."""
    n = num_qubits
    t = rho.reshape([2] * (2 * n))
    out = np.zeros_like(t)
    rq, rf, cq, cf = n - 1 - q, n - 1 - f, 2 * n - 1 - q, 2 * n - 1 - f
    for bq in (0, 1):
        for bf in (0, 1):
            w = weights[bq][bf]
            if not w:
                continue
            idx = [slice(None)] * (2 * n)
            idx[rq] = idx[cq] = bq
            idx[rf] = idx[cf] = bf
            out[tuple(idx)] = w * t[tuple(idx)]
    return out.reshape(-1)
