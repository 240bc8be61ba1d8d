"""Whole-circuit physics reference: one master equation for the entire schedule.

:func:`whole_circuit_reference` integrates the Lindblad equation of all active
qubits (at most ``MAX_REFERENCE_QUBITS`` = 8: 5 qubits take about a second, 8 a
few minutes and < 0.5 GB) over the whole
:class:`~qpu_twin.compile.schedule.Schedule`, without splitting anything into
per-op maps. It is the yardstick for the
``lindblad`` level of :class:`~qpu_twin.noise.builder.NoiseBuilder`, written
independently of it (it reads only the profile and the schedule).

Model (the builder's documented physics, on one global time line)
------------------------------------------------------------------
* Time is cut into segments at every start and end of an op. In a segment the
  Hamiltonian is the sum of

  - the drive generator H = i log(U) / T of every gate running in it (principal
    logarithm, eigenphases in (-pi, pi], so exp(-i H T) = U; times
    (1 + overrotation), plus the coherent IX/ZX terms of two-qubit gates), on the
    gate's qubits, in the frame in which single-qubit
    gates are calibrated with their neighbours in |0>;
  - every static ZZ term H/h = zeta |11><11| between active qubits listed in
    the profile, ON ALL THE TIME (before a qubit's first op it is in |0>, where
    the term vanishes; after a measurement it acts as a classical field),
    except the pair of a two-qubit gate while that gate runs: a two-qubit
    gate is calibrated on hardware with its own pair's ZZ present, so U
    already contains it. Spectator ZZ is never calibrated away (calibrations
    run with the neighbours in |0>, where zeta |11><11| vanishes).

  plus, on every active qubit at all times, the collapse operators
  sqrt(1/T1) sigma_- and sqrt(1/(2 Tphi)) Z with 1/Tphi = 1/T2 - 1/(2 T1).
* Virtual (zero-duration) gates are exact unitaries at their time.
* A gate's error beyond its own decoherence (its isolated Lindbladian: its
  drive and its qubits' collapse operators, no ZZ, average gate infidelity r)
  is a depolarizing channel on its qubits at the gate's end, with
  p = (e - r) / ((1 - 1/d) - r) (none if r >= e): the builder's convention,
  so that a comparison isolates how ZZ and concurrency are split.
* Measurement: projective in Z at the start of the readout window, the
  asymmetric assignment errors on the recorded bit (classical branches keyed
  by the register, merged when records agree, as for mid-circuit
  measurements); the qubit keeps its collapse operators and its ZZ afterwards.
* Reset: at the start of its window, state-dependent: |0> stays |0>, |1> goes
  to |0> except with probability e (the profile's reset error) — Kraus
  |0><0|, sqrt(1 - e)|0><1|, sqrt(e)|1><1| — then it evolves as any idle qubit.
* Delays and idle windows: nothing but the always-on terms.

The readout-window physics of :mod:`qpu_twin.noise.readout`, where the profile
gives values (each switched off by the same ``NoiseOptions`` field as in the twin):

* ``preparation``: (1 - e)|0><0| + e|1><1| (e = ``prep_excited_prob``) at the
  start of each qubit's first op. (Before it a qubit is in |0>, where nothing
  acts; the residual population is thermal and does not decay before the
  circuit reaches the qubit: the twin's convention.)
* ``readout_window``: the projection happens ``readout_t1_window_ns`` = w after
  the start of the readout (the whole system evolves until then, T1 included),
  with the separation part of the assignment errors, s01 from
  p(0|1) = (1 - a)(1 - p(1|0)) + a s01, a = exp(-w/T1).
* ``backaction``: at the end of the readout window the Kraus map
  |0> -> |1> (``meas_excitation_prob``), |1> -> |0> (``meas_relaxation_prob``).
* ``spectators``: while a qubit is read out, every other active qubit has the
  extra Hamiltonian (2 pi stark_shift / 2) Z and collapse operator
  sqrt(rate / 2) Z of ``crosstalk.readout_spectators``, integrated together with
  everything else (gates included); at the end of the readout a random Pauli
  error (``crosstalk.measurement``) on every spectator that is used afterwards.

Correlated readout, leakage and quasi-static detuning are not modelled: a
profile with values for them on the schedule's qubits is refused unless their
switch is off. Classically conditioned blocks (``if_else``) are not supported.

Each segment is propagated exactly: ``scipy.sparse.linalg.expm_multiply`` of
the QuTiP Liouvillian on the vectorised branch states (default), or
``qutip.mesolve`` with tight tolerances (``method="mesolve"``, a cross-check).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import qutip
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from ..errors import QpuTwinError
from ..profiles.model import DeviceProfile
from .options import NoiseOptions

#: Most active qubits the reference accepts (a 4^n x 4^n sparse Liouvillian per segment).
MAX_REFERENCE_QUBITS = 8

_KNOWN_OPTIONS = {"level", "idle", "delays", "zz", "readout", "decoherence", "gate_error", "reset_error",
                  "preparation", "readout_window", "backaction", "spectators", "coherent_errors"}
_EPS_NS = 1e-9


@dataclass(frozen=True)
class ReferenceResult:
    """Outcome of :func:`whole_circuit_reference`.

    Attributes
    ----------
    probabilities : dict[str, float]
        Distribution over the classical bits (clbit 0 rightmost), as
        :attr:`qpu_twin.twin.Result.probabilities`.
    active_qubits : tuple[int, ...]
        Local qubit i of ``final_state`` is physical ``active_qubits[i]``.
    final_state : numpy.ndarray
        The state after the last event that can change a record (the start of
        the last measurement or the end of the last gate, ``metadata["stopped_at_ns"]``),
        summed over classical branches (measured qubits projected), 2^n x 2^n, little-endian.
    metadata : dict
        Segments integrated, method, depolarizing probabilities per gate.
    """

    probabilities: dict[str, float]
    active_qubits: tuple[int, ...]
    final_state: np.ndarray = field(repr=False)
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)


# ---------------------------------------------------------------------- operator algebra
def _embed(m: np.ndarray, positions: list[int], n: int) -> np.ndarray:
    """k-qubit operator ``m`` (little-endian over ``positions``) on n qubits."""
    idx = np.arange(2**n)
    sub = np.zeros(2**n, dtype=np.int64)
    rest = idx.copy()
    for j, p in enumerate(positions):
        bit = (idx >> p) & 1
        sub |= bit << j
        rest &= ~(1 << p)
    out = m[sub[:, None], sub[None, :]] * (rest[:, None] == rest[None, :])
    return np.asarray(out, dtype=complex)


def principal_generator(u: np.ndarray, duration_ns: float) -> np.ndarray:
    """H (rad/ns) with exp(-i H T) = U from U's eigenphases taken in (-pi, pi].

    A complex Schur form of a unitary is diagonal with a unitary basis, so this
    is exact also for degenerate eigenvalues.
    """
    t, z = scipy.linalg.schur(np.asarray(u, dtype=complex), output="complex")
    phases = np.angle(np.diag(t))
    phases = np.where(phases <= -np.pi + 1e-9, phases + 2 * np.pi, phases)
    # U = Z diag(e^{i phi}) Z^dag = exp(-i H T)  =>  H = -Z diag(phi) Z^dag / T
    h = -(z * phases) @ z.conj().T / duration_ns
    return 0.5 * (h + h.conj().T)


def _avg_gate_infidelity(channel, u: np.ndarray) -> float:
    """1 - F_avg from Nielsen's formula over the Pauli basis (``channel``: rho -> rho')."""
    d = u.shape[0]
    k = int(round(np.log2(d)))
    paulis1 = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    total = 0.0
    for code in range(4**k):
        p = np.array([[1.0 + 0j]])
        for j in reversed(range(k)):  # little-endian: qubit j is bit j
            p = np.kron(p, paulis1[(code >> (2 * j)) & 3])
        total += np.real(np.trace(u @ p.conj().T @ u.conj().T @ channel(p)))
    f_avg = (total + d * d) / (d * d * (d + 1))
    return float(1.0 - f_avg)


def _sparse_qobj(m: np.ndarray) -> qutip.Qobj:
    return qutip.Qobj(scipy.sparse.csr_matrix(m))


# ---------------------------------------------------------------------- the reference
def _unmodelled(profile: DeviceProfile, sched, opts: NoiseOptions) -> list[str]:
    """Switched-on components the reference does not model *and* that the profile gives values for
    on this schedule (a component without values does nothing, in the twin as here)."""
    d = asdict(opts)
    active = set(sched.active_qubits)
    out = []
    for k, v in d.items():
        if k in _KNOWN_OPTIONS or k == "zz_scheme" or not v:  # zz_scheme: the twin's splitting of ZZ
            continue
        if k == "correlated_readout":
            used = [e.qubits for e in profile.crosstalk.readout_pairs if set(e.qubits) <= active]
            if used and opts.readout:
                out.append(f"correlated_readout (crosstalk.readout_pairs {used})")
        elif k == "leakage":
            leaky = sorted({f"{op.name}{op.qubits}" for op in _walk(sched.ops) if op.kind == "gate"
                            and profile.has_gate(op.name, op.qubits) and profile.gate(op.name, op.qubits).leakage_prob})
            if leaky:
                out.append(f"leakage (leakage_prob of {leaky})")
        elif k == "quasi_static":
            noisy = sorted(q for q in active if profile.qubit(q).quasi_static_sigma_khz() > 0)
            if noisy:
                out.append(f"quasi_static (detuning sigma on qubits {noisy})")
        else:  # pragma: no cover - a new switch: refuse until it is modelled or checked inert
            out.append(k)
    return out


def _walk(ops):
    for op in ops:
        yield op
        if op.kind == "if_else" and op.bodies:
            for body in op.bodies:
                yield from _walk(body)


def _check_options(opts: NoiseOptions, profile: DeviceProfile | None = None, sched=None) -> None:
    if opts.level != "lindblad":
        raise QpuTwinError(f"whole_circuit_reference: noise level={opts.level!r}; the reference models 'lindblad'")
    unknown = _unmodelled(profile, sched, opts) if profile is not None else []
    if unknown:
        raise QpuTwinError(
            f"whole_circuit_reference: noise option(s) {unknown} are not modelled by the reference and the profile "
            "gives values for them; switch them off (noise={...: False})"
        )
    if opts.decoherence and not (opts.idle and opts.delays):
        raise QpuTwinError(
            f"whole_circuit_reference: idle={opts.idle!r}, delays={opts.delays!r} with decoherence=True: the "
            "reference keeps T1/T2 on all the time (use idle=delays=decoherence)"
        )


def _flatten(ops) -> list:
    out = []
    for op in ops:
        if op.kind == "if_else":
            raise QpuTwinError(f"whole_circuit_reference: if_else at t={op.start_ns} ns on qubits {op.qubits} "
                               "is not supported (terminal or mid-circuit measurements and resets are)")
        if op.kind in ("idle", "delay"):
            continue
        out.append(op)
    return out


class _Model:
    """Operators of one schedule on n local qubits."""

    def __init__(self, profile: DeviceProfile, schedule, opts: NoiseOptions):
        self.profile = profile
        self.opts = opts
        self.qubits = tuple(schedule.active_qubits)
        self.n = len(self.qubits)
        self.local = {q: i for i, q in enumerate(self.qubits)}
        n = self.n
        sm = np.array([[0, 1], [0, 0]], dtype=complex)
        z = np.diag([1.0, -1.0]).astype(complex)
        self.c_ops: list[np.ndarray] = []
        if opts.decoherence:
            for q in self.qubits:
                qb = profile.qubit(q)
                if qb.t1_us:
                    self.c_ops.append(np.sqrt(1.0 / (qb.t1_us * 1e3)) * _embed(sm, [self.local[q]], n))
                if qb.t2_us is not None:
                    rate_phi = 1.0 / (qb.t2_us * 1e3) - (0.5 / (qb.t1_us * 1e3) if qb.t1_us else 0.0)
                    if rate_phi > 0:
                        self.c_ops.append(np.sqrt(rate_phi / 2.0) * _embed(z, [self.local[q]], n))
        self.zz: dict[frozenset, np.ndarray] = {}
        if opts.zz:
            for term in profile.crosstalk.zz:
                a, b = term.qubits
                if a in self.local and b in self.local and term.zz_khz != 0.0:
                    w = 2 * np.pi * term.zz_khz * 1e3 * 1e-9  # rad/ns
                    diag = np.zeros(2**n)
                    idx = np.arange(2**n)
                    diag[((idx >> self.local[a]) & 1) & ((idx >> self.local[b]) & 1) == 1] = w
                    self.zz[frozenset((a, b))] = np.diag(diag).astype(complex)
        self._liou: dict[tuple, Any] = {}
        self._gen: dict[int, np.ndarray] = {}
        self._depol: dict[tuple, float] = {}
        dim = 2**n
        self._dissipator = qutip.liouvillian(None, [_sparse_qobj(c) for c in self.c_ops]) if self.c_ops else \
            qutip.Qobj(scipy.sparse.csr_matrix((dim * dim, dim * dim)), dims=[[[dim], [dim]], [[dim], [dim]]],
                       superrep="super")

    # -- gates
    def unitary(self, op) -> np.ndarray:
        try:
            return np.asarray(op.operation.to_matrix(), dtype=complex)
        except Exception as exc:
            raise QpuTwinError(f"whole_circuit_reference: gate {op.name!r} on {op.qubits} has no matrix: {exc}") from None

    def local_generator(self, op) -> np.ndarray:
        """The drive generator of a timed gate on its own qubits (rad/ns)."""
        from .channels import coherent_generator

        h = principal_generator(self.unitary(op), op.duration_ns)
        coherent = self.profile.gate(op.name, op.qubits).coherent if self.opts.coherent_errors else (0.0, 0.0, 0.0)
        return coherent_generator(h, op.duration_ns, coherent)

    def generator(self, op) -> np.ndarray:
        key = id(op)
        if key not in self._gen:
            self._gen[key] = _embed(self.local_generator(op), [self.local[q] for q in op.qubits], self.n)
        return self._gen[key]

    def depolarizing_p(self, op) -> float:
        """Depolarizing probability topping ``op`` up to its stated error (0 if none)."""
        gate = self.profile.gate(op.name, op.qubits)
        if not self.opts.gate_error or gate.error is None or op.duration_ns <= 0:
            return 0.0
        key = (op.name, op.qubits, tuple(round(p, 12) for p in op.params), round(op.duration_ns, 9))
        if key in self._depol:
            return self._depol[key]
        k = len(op.qubits)
        d = 2**k
        u = self.unitary(op)
        h = self.local_generator(op)
        c_ops = []
        if self.opts.decoherence:
            sm = np.array([[0, 1], [0, 0]], dtype=complex)
            z = np.diag([1.0, -1.0]).astype(complex)
            for j, q in enumerate(op.qubits):
                qb = self.profile.qubit(q)
                if qb.t1_us:
                    c_ops.append(np.sqrt(1.0 / (qb.t1_us * 1e3)) * _embed(sm, [j], k))
                if qb.t2_us is not None:
                    rate_phi = 1.0 / (qb.t2_us * 1e3) - (0.5 / (qb.t1_us * 1e3) if qb.t1_us else 0.0)
                    if rate_phi > 0:
                        c_ops.append(np.sqrt(rate_phi / 2.0) * _embed(z, [j], k))
        liou = qutip.liouvillian(qutip.Qobj(h), [qutip.Qobj(c) for c in c_ops]).full()
        prop = scipy.linalg.expm(liou * op.duration_ns)  # column-stacked

        def channel(rho):
            return (prop @ rho.reshape(-1, order="F")).reshape(d, d, order="F")

        r = _avg_gate_infidelity(channel, u)
        p = (gate.error - r) / ((1.0 - 1.0 / d) - r) if gate.error > r else 0.0
        self._depol[key] = p
        return p

    # -- segments
    def spectator_terms(self, measured: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """(H, collapse operators) on the other active qubits while ``measured`` is read out:
        Stark shift H = (2 pi stark_shift / 2) Z and dephasing sqrt(rate / 2) Z
        (coherence x exp(-rate t)) from ``crosstalk.readout_spectators``."""
        n = self.n
        h = np.zeros((2**n, 2**n), dtype=complex)
        c_ops = []
        if not self.opts.spectators:
            return h, c_ops
        z = np.diag([1.0, -1.0]).astype(complex)
        for q in self.qubits:
            if q == measured:
                continue
            rate = shift = 0.0  # 1/ns, rad/ns
            for t in self.profile.crosstalk.readout_spectators:
                if t.measured in (None, measured) and t.spectator in (None, q):
                    rate += t.dephasing_rate_mhz * 1e-3
                    shift += 2 * np.pi * t.stark_shift_mhz * 1e-3
            if shift:
                h += 0.5 * shift * _embed(z, [self.local[q]], n)
            if rate:
                c_ops.append(np.sqrt(rate / 2.0) * _embed(z, [self.local[q]], n))
        return h, c_ops

    def liouvillian(self, running: tuple, measuring: tuple = ()) -> Any:
        """Sparse (CSR, column-stacked) Liouvillian with the gates ``running`` driven and the
        qubits ``measuring`` being read out (their spectator terms on)."""
        key = (tuple(id(op) for op in running), tuple(measuring))
        if key in self._liou:
            return self._liou[key]
        h = np.zeros((2**self.n, 2**self.n), dtype=complex)
        own = {frozenset(op.qubits) for op in running if len(op.qubits) == 2}
        for op in running:
            h += self.generator(op)
        for pair, term in self.zz.items():
            if pair not in own:
                h += term
        extra_c = []
        for m in measuring:
            hm, cm = self.spectator_terms(m)
            h += hm
            extra_c += cm
        liou = qutip.liouvillian(_sparse_qobj(h)) + self._dissipator
        if extra_c:
            liou = liou + qutip.liouvillian(None, [_sparse_qobj(c) for c in extra_c])
        mat = scipy.sparse.csr_matrix(liou.to("csr").data.as_scipy())
        self._liou[key] = (liou, mat)
        return self._liou[key]


def _propagate(branches: dict, model: _Model, running: tuple, dt: float, method: str, stats,
               measuring: tuple = ()) -> dict:
    if dt <= _EPS_NS or not branches:
        return branches
    liou, mat = model.liouvillian(running, measuring)
    dim = 2**model.n
    keys = list(branches)
    stats["segments"] += 1
    if method == "expm_multiply":
        vecs = np.stack([branches[k].reshape(-1, order="F") for k in keys], axis=1)
        out = scipy.sparse.linalg.expm_multiply(mat * dt, vecs)
        return {k: out[:, j].reshape(dim, dim, order="F") for j, k in enumerate(keys)}
    res = {}
    opts = {"atol": 1e-13, "rtol": 1e-11, "nsteps": 10**6, "method": "adams"}
    for k in keys:
        rho0 = qutip.Qobj(branches[k])
        sol = qutip.mesolve(liou, rho0, [0.0, dt], options=opts)
        res[k] = sol.final_state.full()
    return res


def _apply_unitary(branches: dict, u_full: np.ndarray) -> dict:
    return {k: u_full @ r @ u_full.conj().T for k, r in branches.items()}


def _depolarize(branches: dict, local_qubits: list[int], p: float, n: int) -> dict:
    """rho -> (1 - p) rho + p (I/d on ``local_qubits``) (x) Tr_those(rho)."""
    if p == 0.0:
        return branches
    out = {}
    k = len(local_qubits)
    d = 2**k
    axes_r = [n - 1 - q for q in local_qubits]  # tensor axis of qubit q in a big-endian reshape
    for key, r in branches.items():
        t = r.reshape([2] * (2 * n))
        # partial trace over the listed qubits, then the maximally mixed state back on them
        red = t
        for ax in sorted(axes_r, reverse=True):
            red = np.trace(red, axis1=ax, axis2=ax + red.ndim // 2)
        mixed = np.tensordot(np.eye(d).reshape([2] * (2 * k)) / d, red, axes=0)
        # mixed axes: (row of traced..., col of traced..., row rest..., col rest...); restore order
        rest = [a for a in range(n) if a not in axes_r]
        traced = sorted(axes_r)  # identity: any labelling of the traced axes works
        src = traced + [n + a for a in traced] + rest + [n + a for a in rest]
        perm = np.argsort(src)
        full = np.transpose(mixed, perm).reshape(2**n, 2**n)
        out[key] = (1 - p) * r + p * full
    return out


def _measure(branches: dict, q: int, clbit: int, p10: float, p01: float, n: int) -> dict:
    new: dict[int, np.ndarray] = {}
    idx = np.arange(2**n)
    m1 = ((idx >> q) & 1).astype(float)
    m0 = 1.0 - m1
    proj0 = np.outer(m0, m0)
    proj1 = np.outer(m1, m1)
    bit = 1 << clbit
    for key, r in branches.items():
        r0 = r * proj0
        r1 = r * proj1
        for rec, w0, w1 in ((0, 1.0 - p10, p01), (1, p10, 1.0 - p01)):
            out = w0 * r0 + w1 * r1
            if not np.any(out):
                continue
            k2 = (key | bit) if rec else (key & ~bit)
            new[k2] = new[k2] + out if k2 in new else out
    return new


def _single_qubit_kraus(branches: dict, q: int, kraus: list[np.ndarray], n: int) -> dict:
    """rho -> sum_k K_k rho K_k^dag with the 2x2 ``kraus`` on local qubit q."""
    ks = [_embed(k, [q], n) for k in kraus]
    return {key: sum(k @ r @ k.conj().T for k in ks) for key, r in branches.items()}


def _separation_errors(p10: float, p01: float, t1_us: float | None, window_ns: float) -> tuple[float, float]:
    """The misclassification part of the stated errors when T1 acts for ``window_ns`` before
    discrimination: p(0|1) = (1 - a)(1 - p(1|0)) + a s01 with a = exp(-window / T1)."""
    if not window_ns or not t1_us:
        return p10, p01
    a = np.exp(-window_ns / (t1_us * 1e3))
    return p10, float((p01 - (1.0 - a) * (1.0 - p10)) / a)


_PAULIS = (np.array([[0, 1], [1, 0]], dtype=complex), np.array([[0, -1j], [1j, 0]]),
           np.diag([1.0, -1.0]).astype(complex))


def whole_circuit_reference(
    profile: DeviceProfile,
    schedule_or_circuit,
    *,
    noise: NoiseOptions | str | dict | None = None,
    method: str = "expm_multiply",
    scheduling: str = "alap",
) -> ReferenceResult:
    """Integrate the whole schedule as one Lindblad equation (see the module docstring).

    Parameters
    ----------
    profile : DeviceProfile
    schedule_or_circuit : Schedule or QuantumCircuit
        A :class:`~qpu_twin.compile.schedule.Schedule`, or a native physical
        circuit (scheduled here with ``scheduling``, no transpilation).
    noise : NoiseOptions, str or dict, optional
        ``lindblad`` level; ``zz``, ``decoherence`` (with ``idle`` and
        ``delays`` equal to it), ``gate_error``, ``readout`` and
        ``reset_error`` can be switched off.
    method : {"expm_multiply", "mesolve"}
        Exact sparse propagator per segment, or QuTiP's ODE solver (atol 1e-13).

    Returns
    -------
    ReferenceResult
    """
    from ..compile.schedule import Schedule, schedule_circuit

    opts = NoiseOptions.coerce(noise)
    _check_options(opts)
    if method not in ("expm_multiply", "mesolve"):
        raise QpuTwinError(f"whole_circuit_reference: method={method!r}; use 'expm_multiply' or 'mesolve'")
    if isinstance(schedule_or_circuit, Schedule):
        sched = schedule_or_circuit
    else:
        from ..compile.circuits import compile_circuit

        qc = compile_circuit(schedule_or_circuit, profile, transpile=False)
        sched = schedule_circuit(qc, profile, method=scheduling)
    if sched.num_active > MAX_REFERENCE_QUBITS:
        raise QpuTwinError(f"whole_circuit_reference: {sched.num_active} active qubits {sched.active_qubits}; "
                           f"at most {MAX_REFERENCE_QUBITS}")
    _check_options(opts, profile, sched)
    model = _Model(profile, sched, opts)
    n = model.n
    ops = _flatten(sched.ops)
    timed = [op for op in ops if op.kind == "gate" and op.duration_ns > _EPS_NS]
    measures = [op for op in ops if op.kind == "measure"]
    last_start: dict[int, float] = {}
    for op in ops:
        for q in op.qubits:
            last_start[q] = max(last_start.get(q, -1.0), op.start_ns)
    # events: (time, priority, order, kind, op, readout window); at equal times what ends a
    # measurement (backaction, spectator Pauli errors) precedes what starts
    events = []
    for order, op in enumerate(ops):
        if op.kind != "measure":
            events.append((op.start_ns, 1, order, op.kind, op, 0.0))
            continue
        qb = profile.qubit(op.qubits[0])
        w = min(float(qb.readout_t1_window_ns or 0.0), op.duration_ns) if opts.readout_window and opts.decoherence \
            else 0.0
        events.append((op.start_ns + w, 1, order, "measure", op, w))
        if opts.backaction and (qb.meas_excitation_prob or qb.meas_relaxation_prob):
            events.append((op.end_ns, 0, order, "backaction", op, 0.0))
        if opts.spectators and profile.crosstalk.measurement:
            events.append((op.end_ns, 0, order, "spectator-pauli", op, 0.0))
    if opts.preparation:  # at each qubit's first op (before it the qubit is |0>, which nothing changes)
        first: dict[int, tuple] = {}
        for order, op in enumerate(ops):
            for q in op.qubits:
                first.setdefault(q, (op.start_ns, order, op))
        for q, (t0, order, op) in first.items():
            if profile.qubit(q).prep_excited_prob:
                events.append((t0, 0, order, "prepare", SimpleNamespace(qubits=(q,)), 0.0))
    events.sort(key=lambda e: e[:3])
    spectating = opts.spectators and bool(profile.crosstalk.readout_spectators)
    times = sorted({0.0, sched.duration_ns} | {e[0] for e in events} | {op.end_ns for op in timed}
                   | {t for op in measures for t in (op.start_ns, op.end_ns)})
    # merge times closer than _EPS_NS
    grid: list[float] = []
    for t in times:
        if not grid or t - grid[-1] > _EPS_NS:
            grid.append(t)

    rho = np.zeros((2**n, 2**n), dtype=complex)
    rho[0, 0] = 1.0
    branches: dict[int, np.ndarray] = {0: rho}
    stats = {"segments": 0, "max_branches": 1, "stopped_at_ns": 0.0}
    depol: dict[str, float] = {}
    pending = list(events)
    for i, t in enumerate(grid):
        # 1) gates ending now: their depolarizing top-up
        for op in timed:
            if abs(op.end_ns - t) <= _EPS_NS:
                p = model.depolarizing_p(op)
                if p:
                    depol[f"{op.name}{op.qubits}"] = p
                    branches = _depolarize(branches, [model.local[q] for q in op.qubits], p, n)
        # 2) instantaneous events now: ends of measurements, then op starts in schedule order
        while pending and pending[0][0] <= t + _EPS_NS:
            _, _, _, kind, op, w = pending.pop(0)
            lq = model.local[op.qubits[0]]
            qb = profile.qubit(op.qubits[0])
            if kind == "gate" and op.duration_ns <= _EPS_NS:
                branches = _apply_unitary(branches, _embed(model.unitary(op), [model.local[q] for q in op.qubits], n))
            elif kind == "measure":  # projective, after T1 acted for the readout window w
                p10, p01 = (float(qb.prob_meas1_prep0 or 0.0), float(qb.prob_meas0_prep1 or 0.0)) \
                    if opts.readout else (0.0, 0.0)
                if w > 0 and opts.readout:
                    p10, p01 = _separation_errors(p10, p01, qb.t1_us, w)
                branches = _measure(branches, lq, op.clbits[0], p10, p01, n)
                stats["max_branches"] = max(stats["max_branches"], len(branches))
            elif kind == "prepare":  # residual excited population: |0> -> (1 - e)|0><0| + e|1><1|
                e = float(qb.prep_excited_prob)
                kraus = [np.diag([np.sqrt(1 - e), 1.0]).astype(complex), np.array([[0, 0], [np.sqrt(e), 0]], dtype=complex)]
                branches = _single_qubit_kraus(branches, lq, kraus, n)
            elif kind == "backaction":  # flips after the readout, unseen by its own record
                pe, pr = float(qb.meas_excitation_prob or 0.0), float(qb.meas_relaxation_prob or 0.0)
                kraus = [np.diag([np.sqrt(1 - pe), np.sqrt(1 - pr)]).astype(complex),
                         np.array([[0, 0], [np.sqrt(pe), 0]], dtype=complex),
                         np.array([[0, np.sqrt(pr)], [0, 0]], dtype=complex)]
                branches = _single_qubit_kraus(branches, lq, kraus, n)
            elif kind == "spectator-pauli":  # crosstalk.measurement: on spectators still to be used
                m = op.qubits[0]
                for q in model.qubits:
                    if q == m or last_start.get(q, -1.0) < op.end_ns - _EPS_NS:
                        continue
                    perr = 0.0
                    for term in profile.crosstalk.measurement:
                        if term.measured in (None, m) and term.spectator in (None, q):
                            perr = 1.0 - (1.0 - perr) * (1.0 - term.error)
                    if perr > 0:
                        kraus = [np.sqrt(1 - perr) * np.eye(2, dtype=complex)] + \
                            [np.sqrt(perr / 3) * p for p in _PAULIS]
                        branches = _single_qubit_kraus(branches, model.local[q], kraus, n)
            elif kind == "reset":  # state-dependent: |0> stays, |1> -> |0> except with probability err
                err = float(qb.reset_error or 0.0) if opts.reset_error else 0.0
                kraus = [np.diag([1.0, 0.0]).astype(complex), np.array([[0, np.sqrt(1 - err)], [0, 0]], dtype=complex),
                         np.diag([0.0, np.sqrt(err)]).astype(complex)]
                branches = _single_qubit_kraus(branches, lq, kraus, n)
        if i + 1 == len(grid) or (not pending and all(op.end_ns <= t + _EPS_NS for op in timed)):
            # nothing left that can change a record (later decay acts on already projected qubits)
            stats["stopped_at_ns"] = t
            break
        t_next = grid[i + 1]
        running = tuple(op for op in timed if op.start_ns <= t + _EPS_NS and op.end_ns >= t_next - _EPS_NS)
        measuring = tuple(sorted(op.qubits[0] for op in measures if spectating and op.start_ns <= t + _EPS_NS
                                 and op.end_ns >= t_next - _EPS_NS))
        branches = _propagate(branches, model, running, t_next - t, method, stats, measuring)

    nc = sched.num_clbits
    probs: dict[str, float] = {}
    for key, r in sorted(branches.items()):
        probs[format(key, f"0{nc}b") if nc else ""] = probs.get(format(key, f"0{nc}b") if nc else "", 0.0) + float(
            np.real(np.trace(r)))
    final = sum(branches.values())
    meta = {"method": method, "segments": stats["segments"], "stopped_at_ns": stats["stopped_at_ns"],
            "max_branches": stats["max_branches"],
            "depolarizing": depol, "noise": opts.as_dict(), "zz_pairs": sorted(tuple(sorted(p)) for p in model.zz)}
    return ReferenceResult(probs, model.qubits, final, meta)
