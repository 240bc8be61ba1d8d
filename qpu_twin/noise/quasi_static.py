"""Slow (quasi-static) frequency noise: a Gaussian detuning per qubit, constant during a shot.

A qubit whose profile gives ``detuning_sigma_khz`` (or both ``t2_star_us`` and the
echo ``t2_us``, see :meth:`qpu_twin.profiles.model.Qubit.quasi_static_sigma_khz`)
has a frequency offset delta ~ N(0, sigma^2) that is the same for the whole
circuit and different from shot to shot (1/f noise slower than a shot). The
twin averages the outcome distribution over delta *exactly*: Gauss-Hermite
quadrature per qubit, with enough nodes K that the quadrature error of
E[exp(i delta phi)] = exp(-sigma^2 phi^2 / 2) is below 1e-10 for the largest
phase the circuit can accumulate (phi <= 2 pi sigma T, T the circuit duration):
the Gauss-Hermite remainder is K! f^(2K)(xi) / (2K)!, so the bound is
K! (2 pi sigma T)^(2K) / (2K)!. Every node is one run of the
program with the qubit's idle windows rotated by exp(-i 2 pi delta t Z / 2) and
each gate sandwiched between half of its rotation before and half after.
So a Ramsey fringe decays as exp(-t/T2) exp(-(2 pi sigma t)^2 / 2) (Gaussian
times exponential) and a Hahn echo refocuses the static part: dynamical
decoupling pulses matter, as on hardware.

The Gaussian is centred on the qubit's ``detuning_khz`` (the mean offset of its
frequency from the drive frame: drift since the last frequency calibration), 0
when the profile gives none. A qubit with an offset and no spread is one
quadrature node (the offset itself, exact); with both, the nodes are shifted by
the offset, which leaves the quadrature error unchanged
(E[exp(i (mu + delta) phi)] = exp(i mu phi) E[exp(i delta phi)]). A Ramsey fringe
then oscillates as cos(2 pi mu t) under the same envelope, and an echo refocuses
the offset too.

The product grid over several noisy qubits grows as K^m; above ``max_runs``
the average is estimated by Monte Carlo over ``max_runs`` seeded detuning
draws instead, and its standard error is reported (``Result.error_estimate()``).
Circuits whose gates map computational basis states to basis states (x, cx,
rz, ... : repetition codes, classical logic) are never in a superposition, so
a detuning cannot change them: no quadrature is run for them (exact).
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np

#: gates that permute computational basis states (up to phases): a detuning never matters after them alone
CLASSICAL_GATES = frozenset({"x", "y", "z", "id", "cx", "cz", "cy", "swap", "rz", "p", "u1", "s", "sdg", "t", "tdg",
                             "ccx", "rzz", "cp", "crz", "ch_none"})
#: quadrature error target of E[exp(i delta phi)] per qubit
QUADRATURE_TOL = 1e-10
MAX_NODES = 80


def sensitive_qubits(profile, schedule, options) -> dict[int, float]:
    """Active qubits with a quasi-static detuning that can matter: ``{qubit: sigma in Hz}``.

    A qubit with a mean offset (``detuning_khz``) and no spread is included with sigma 0
    (see :func:`mean_offsets_hz` for the offsets).
    """
    if not options.quasi_static_active:
        return {}
    sig = {}
    for q in schedule.active_qubits:
        qubit = profile.qubit(q)
        s_khz = qubit.quasi_static_sigma_khz()
        if s_khz > 0 or qubit.detuning_khz:
            sig[q] = s_khz * 1e3
    if not sig or _classical(schedule.ops):
        return {}
    return sig


def mean_offsets_hz(profile, qubits) -> dict[int, float]:
    """``{qubit: mean detuning in Hz}`` of ``qubits`` that have a nonzero ``detuning_khz``."""
    return {q: float(profile.qubit(q).detuning_khz) * 1e3 for q in qubits if profile.qubit(q).detuning_khz}


def circuit_is_classical(circuit) -> bool:
    """Whether a ``QuantumCircuit`` only maps basis states to basis states (a detuning cannot change it)."""
    for inst in circuit.data:
        op = inst.operation
        if op.name in ("delay", "barrier", "measure", "reset"):
            continue
        blocks = getattr(op, "blocks", None)
        if blocks and op.name in ("if_else", "while_loop", "for_loop", "switch_case"):
            if not all(circuit_is_classical(b) for b in blocks):
                return False
            continue
        if op.name not in CLASSICAL_GATES:
            return False
    return True


def _classical(ops) -> bool:
    for op in ops:
        if op.kind == "gate" and op.name not in CLASSICAL_GATES:
            return False
        if op.kind == "if_else" and op.bodies and not all(_classical(b) for b in op.bodies):
            return False
    return True


def nodes_for(sigma_hz: float, duration_ns: float) -> int:
    """Gauss-Hermite nodes K with K! (2 pi sigma T)^(2K) / (2K)! <= QUADRATURE_TOL (at most MAX_NODES)."""
    a = 2 * math.pi * sigma_hz * duration_ns * 1e-9
    for k in range(1, MAX_NODES + 1):
        if a == 0 or math.lgamma(k + 1) + (2 * k) * math.log(a) - math.lgamma(2 * k + 1) <= math.log(QUADRATURE_TOL):
            return max(k, 1)
    return MAX_NODES


def phase_spans_ns(schedule) -> dict[int, float]:
    """Per active qubit, the time from its first to its last op other than a measurement (ns): a detuning
    before the first op (|0>) or after the last (commutes with the Z measurement) changes nothing."""
    out: dict[int, tuple[float, float]] = {}

    def walk(ops):
        for op in ops:
            if op.kind in ("idle", "delay", "measure"):
                continue
            if op.kind == "if_else" and op.bodies:
                for body in op.bodies:
                    walk(body)
            for q in op.qubits:
                a, b = out.get(q, (op.start_ns, op.end_ns))
                out[q] = (min(a, op.start_ns), max(b, op.end_ns))

    walk(schedule.ops)
    return {q: b - a for q, (a, b) in out.items()}


def averaging_plan(sigmas: dict[int, float], spans_ns: dict[int, float], *, max_runs: int,
                   rng: np.random.Generator, means: dict[int, float] | None = None):
    """``(points, weights, method, detail)``: detuning vectors {qubit: Hz} to run and their weights.

    Product Gauss-Hermite quadrature (nodes per qubit from its phase span, :func:`nodes_for`)
    when it needs at most ``max_runs`` runs, else ``max_runs`` Monte Carlo draws
    (weights 1/N; ``method="monte_carlo"``). ``means``: the Gaussians' centres (Hz, 0 where absent).
    """
    means = means or {}
    qubits = sorted(sigmas)
    ks = [nodes_for(sigmas[q], spans_ns.get(q, 0.0)) for q in qubits]
    total = math.prod(ks)
    if total <= max_runs:
        grids = []
        for q, k in zip(qubits, ks):
            x, w = np.polynomial.hermite_e.hermegauss(k)  # probabilists' Hermite: weight exp(-x^2/2)
            grids.append([(means.get(q, 0.0) + sigmas[q] * xi, wi / math.sqrt(2 * math.pi)) for xi, wi in zip(x, w)])
        points, weights = [], []
        for combo in product(*grids):
            points.append({q: d for q, (d, _) in zip(qubits, combo)})
            weights.append(math.prod(w for _, w in combo))
        return points, np.array(weights), "quadrature", {"nodes": dict(zip(qubits, ks))}
    draws = rng.standard_normal((max_runs, len(qubits)))
    points = [{q: means.get(q, 0.0) + sigmas[q] * z for q, z in zip(qubits, row)} for row in draws]
    return points, np.full(max_runs, 1.0 / max_runs), "monte_carlo", {"draws": max_runs,
                                                                        "quadrature_runs_needed": total}
