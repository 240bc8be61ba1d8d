"""Numba kernels that apply a k-qubit superoperator to a density matrix in place.

The density matrix of n qubits is a flat complex128 array of length 4^n with
flat index r * 2^n + c (row r, column c; qubit q is bit q of r and c). A
k-qubit row-major superoperator S acting on local qubits Q touches the "vector
qubits" at bit positions Q[j] (column bits) and n + Q[j] (row bits): it is
applied like a 2k-qubit gate to a 2n-qubit state vector, group by group, in
place, without ever forming a 4^n x 4^n matrix.
"""

from __future__ import annotations

import os

import numba as nb
import numpy as np
from numba import njit, prange

from ..errors import EngineError


@njit(cache=True, inline="always")
def _insert_zeros(g, sorted_pos):
    for p in sorted_pos:
        low = g & ((1 << p) - 1)
        g = ((g >> p) << (p + 1)) | low
    return g


@njit(cache=True, fastmath=True)
def _prepare(mat, positions):
    m = positions.size
    dim = 1 << m
    offsets = np.zeros(dim, np.int64)
    for l in range(dim):
        o = 0
        for j in range(m):
            if (l >> j) & 1:
                o += 1 << positions[j]
        offsets[l] = o
    return offsets, np.sort(positions), np.ascontiguousarray(mat.real), np.ascontiguousarray(mat.imag)


@njit(cache=True, fastmath=True)
def _apply_groups(psi, mr, mi, offsets, sp, start, stop):
    """Apply the matrix to amplitude groups ``start..stop-1`` (the shared inner loop)."""
    dim = offsets.size
    vr = np.empty(dim)
    vi = np.empty(dim)
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


@njit(parallel=True, cache=True, fastmath=True)
def _apply_matrix(psi, mat, positions, nthreads):
    """Parallel kernel: the groups split into ``nthreads`` chunks (one parallel region per call)."""
    offsets, sp, mr, mi = _prepare(mat, positions)
    nouter = psi.size >> positions.size
    chunk = (nouter + nthreads - 1) // nthreads
    for t in prange(nthreads):
        start = t * chunk
        stop = min(nouter, start + chunk)
        _apply_groups(psi, mr, mi, offsets, sp, start, stop)


@njit(cache=True, fastmath=True)
def _apply_matrix_serial(psi, mat, positions):
    """Serial kernel: no parallel region (waking worker threads costs more than small states take)."""
    offsets, sp, mr, mi = _prepare(mat, positions)
    _apply_groups(psi, mr, mi, offsets, sp, 0, psi.size >> positions.size)


def _parallel_min_qubits(default: int = 10) -> int:
    raw = os.environ.get("QPU_TWIN_PARALLEL_MIN_QUBITS", "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise EngineError(f"environment variable QPU_TWIN_PARALLEL_MIN_QUBITS={raw!r} must be a non-negative integer")
    return int(raw)


#: Density matrices of at least this many qubits use the parallel kernel (when numba has more
#: than one thread), smaller ones the serial kernel. Chosen by measurement
#: (``benchmarks/bench_latency.py --only-kernels``, 2 cores): below 10 qubits a call takes
#: < 2 ms serially; a parallel region then gains at most ~1.5-2x on an idle machine but, when
#: the cores are busy, often waits for a worker thread to be scheduled (medians of 20-50 ms
#: per call were measured for 2-9 qubits under load). From 10 qubits a serial call takes
#: >= 30 ms and parallel is no slower even loaded. Override with the environment variable
#: ``QPU_TWIN_PARALLEL_MIN_QUBITS`` (e.g. 7 on a dedicated machine); results do not depend on it.
PARALLEL_MIN_QUBITS = _parallel_min_qubits()


def apply_superop(rho: np.ndarray, superop: np.ndarray, qubits, num_qubits: int) -> None:
    """Apply a row-major k-qubit superoperator to the flat density matrix ``rho`` in place.

    Parameters
    ----------
    rho : ndarray, complex128, shape (4**num_qubits,)
    superop : ndarray, shape (4**k, 4**k)
    qubits : sequence of int
        Local qubits the superop acts on (its local qubit j is ``qubits[j]``).

    Notes
    -----
    Below :data:`PARALLEL_MIN_QUBITS` qubits a serial kernel runs, above it the
    parallel one over ``numba.get_num_threads()`` threads; both run the same
    inner loop per amplitude group, so the result is bit-for-bit the same.
    """
    k = len(qubits)
    positions = np.empty(2 * k, np.int64)
    for j, q in enumerate(qubits):
        positions[j] = q
        positions[k + j] = num_qubits + q
    mat = np.ascontiguousarray(superop, dtype=np.complex128)
    nthreads = nb.get_num_threads() if num_qubits >= PARALLEL_MIN_QUBITS else 1
    if nthreads > 1:
        _apply_matrix(rho, mat, positions, nthreads)
    else:
        _apply_matrix_serial(rho, mat, positions)


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
