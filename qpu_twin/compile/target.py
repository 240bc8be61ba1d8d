"""A Qiskit ``Target`` built from a :class:`~qpu_twin.DeviceProfile`.

The Target carries every *operational* native gate with its duration and
error, ``measure`` (duration and mean readout error, plus the asymmetric
``prob_meas1_prep0`` / ``prob_meas0_prep1`` that Qiskit Aer reads), ``reset``,
``delay``, declared control flow, ``dt`` and per-qubit T1/T2/frequency. Gates
on non-operational qubits and non-operational gates are left out, so Qiskit's
error-aware layout never picks them.

:class:`Transpiler` holds one Target and Qiskit's preset pass manager per
profile, re-seeded per call (:func:`transpiler_for` shares them process-wide),
with a reproducible VF2 error map (:func:`average_error_map`).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections import OrderedDict

from qiskit import QuantumCircuit
from qiskit.circuit import Delay, IfElseOp, Measure, Parameter, Reset
from qiskit.circuit.controlflow import ForLoopOp, SwitchCaseOp, WhileLoopOp
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.providers import QubitProperties
from qiskit.transpiler import InstructionProperties, Target
from qiskit.transpiler.basepasses import AnalysisPass

from ..profiles.gates import GATE_SPECS
from ..profiles.model import DeviceProfile


class ReadoutProperties(InstructionProperties):
    """``InstructionProperties`` of ``measure`` with the asymmetric assignment errors."""

    __slots__ = ("prob_meas1_prep0", "prob_meas0_prep1")

    def __new__(cls, duration=None, error=None, *, prob_meas1_prep0=None, prob_meas0_prep1=None):
        self = super().__new__(cls, duration=duration, error=error)
        self.prob_meas1_prep0 = prob_meas1_prep0
        self.prob_meas0_prep1 = prob_meas0_prep1
        return self

    def __init__(self, duration=None, error=None, *, prob_meas1_prep0=None, prob_meas0_prep1=None):
        pass

    def __getnewargs_ex__(self):  # pragma: no cover - pickling for parallel transpile
        return (self.duration, self.error), {
            "prob_meas1_prep0": self.prob_meas1_prep0,
            "prob_meas0_prep1": self.prob_meas0_prep1,
        }


_CONTROL_FLOW = {"if_else": IfElseOp, "for_loop": ForLoopOp, "while_loop": WhileLoopOp, "switch_case": SwitchCaseOp}


def _s(ns: float | None) -> float | None:
    return None if ns is None else ns * 1e-9


def build_target(profile: DeviceProfile) -> Target:
    """The Qiskit ``Target`` of ``profile`` (fresh object; see :func:`cached_target`)."""
    qprops = [
        QubitProperties(
            t1=None if q.t1_us is None else q.t1_us * 1e-6,
            t2=None if q.t2_us is None else q.t2_us * 1e-6,
            frequency=None if q.frequency_ghz is None else q.frequency_ghz * 1e9,
        )
        for q in profile.qubits
    ]
    target = Target(
        description=f"qpu_twin target of {profile.name} ({profile.timestamp.isoformat()})",
        num_qubits=profile.num_qubits,
        dt=_s(profile.dt_ns),
        qubit_properties=qprops,
    )
    dead = {q.index for q in profile.qubits if not q.operational}
    std = get_standard_gate_name_mapping()
    by_name: dict[str, dict] = {}
    for g in profile.gates:
        if not g.operational or dead.intersection(g.qubits):
            continue
        props = InstructionProperties(duration=_s(g.duration_ns), error=g.error)
        entries = by_name.setdefault(g.name, {})
        entries[g.qubits] = props
        spec = GATE_SPECS[g.name]
        if spec.symmetric and len(g.qubits) == 2 and g.qubits[::-1] not in entries:
            entries[g.qubits[::-1]] = props
    for name, entries in sorted(by_name.items()):
        if name in std:
            target.add_instruction(std[name], entries, name=name)
        else:  # native gates Qiskit lacks (Google's sqrt_iswap, syc)
            from .native_gates import CUSTOM_GATES

            target.add_instruction(CUSTOM_GATES[name](), entries, name=name)
    live = [q for q in profile.qubits if q.operational]
    target.add_instruction(
        Measure(),
        {
            (q.index,): ReadoutProperties(
                duration=_s(q.readout_duration_ns),
                error=q.readout_error,
                prob_meas1_prep0=q.prob_meas1_prep0,
                prob_meas0_prep1=q.prob_meas0_prep1,
            )
            for q in live
        },
    )
    target.add_instruction(
        Reset(),
        {(q.index,): InstructionProperties(duration=_s(q.reset_duration_ns), error=q.reset_error) for q in live},
    )
    target.add_instruction(Delay(Parameter("t")), {(q.index,): None for q in live})
    for name in profile.control_flow:
        target.add_instruction(_CONTROL_FLOW[name], name=name)
    return target


_CACHE: dict[str, Target] = {}


def cached_target(profile: DeviceProfile) -> Target:
    """``build_target`` memoised per profile identity (Targets are costly for 100+ qubits).

    The returned Target is shared: do not modify it.
    """
    key = profile.fingerprint
    if key not in _CACHE:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = build_target(profile)
    return _CACHE[key]


# ---------------------------------------------------------------------- pass-manager reuse
def _resolve_optimization_level(level: int | None) -> int:
    """``level``, or Qiskit's default as ``qiskit.transpile`` resolves it (user config, else 2)."""
    if level is not None:
        return int(level)
    from qiskit import user_config

    return int(user_config.get_config().get("transpile_optimization_level", 2))


def _resolve_seed(seed: int | None) -> int | None:
    """``seed``, or Qiskit's fallbacks as ``qiskit.transpile`` resolves them (env, user config)."""
    if seed is not None:
        return int(seed)
    env = os.getenv("QISKIT_TRANSPILER_SEED")
    if env is not None:
        return int(env)
    from qiskit import user_config

    return user_config.get_config().get("transpiler_seed", None)


#: Relative tilt of the VF2 error map towards low qubit indices (see :func:`average_error_map`).
TIE_BREAK = 1e-9


def average_error_map(target):
    """Qiskit's VF2 average error map of ``target``, reproducible and with exact ties broken.

    Per qubit (key ``(q, q)``) and per 2-qubit qargs (key ``(a, b)``): the mean
    error of every operation defined there (operations without an error count
    as 0), as ``VF2Layout`` builds it, summed with ``math.fsum`` (exactly
    rounded, so independent of order) and multiplied by ``1 + TIE_BREAK *
    mean(qargs) / num_qubits``.

    Why: Qiskit 2.6 sums these errors, and the per-gate weights of a layout's
    score, in the iteration order of randomly seeded hash sets. Layouts of
    exactly equal error (mirror images on a uniform device like ``line5``)
    then score a rounding error (~1e-16 relative) apart in a random direction,
    and the chosen layout changes from call to call with the same seed (Qiskit
    issue #16490). The 1e-9 tilt is far above that rounding noise and far below
    any real calibration difference, so exact ties go to the lower qubit
    indices, reproducibly, and every other choice is Qiskit's own. (Errors of
    exactly 0 stay tied.) Returns None where Qiskit builds no map (a global
    2-qubit operation).
    """
    from qiskit.transpiler.passes.layout.vf2_utils import ErrorMap

    for name in target.operation_names:
        if target.qargs_for_operation_name(name) is None:
            op = target.operation_from_name(name)
            if not isinstance(op, type) and getattr(op, "num_qubits", 0) == 2:
                return None
    qargs_all = sorted(q for q in (target.qargs or ()) if q is not None)
    emap = ErrorMap(len(qargs_all))
    any_error = False
    degree: dict[int, set[int]] = {q: set() for q in range(target.num_qubits)}
    for qargs in qargs_all:
        errors = []
        for name in sorted(target.operation_names_for_qargs(qargs)):
            props = target[name].get(qargs) if target.qargs_for_operation_name(name) is not None else None
            err = None if props is None else props.error
            if err is not None:
                any_error = True
            errors.append(0.0 if err is None else float(err))
        if len(qargs) == 2:
            degree[qargs[0]].add(qargs[1])
            degree[qargs[1]].add(qargs[0])
        if errors and len(qargs) in (1, 2):
            key = (qargs[0], qargs[0]) if len(qargs) == 1 else (qargs[0], qargs[1])
            # exact ties (a uniform or mirror-symmetric device) broken towards lower qubit indices
            tie = 1.0 + TIE_BREAK * sum(qargs) / (len(qargs) * max(target.num_qubits, 1))
            emap.add_error(key, math.fsum(errors) / len(errors) * tie)
    if not any_error:  # Qiskit's fallback: penalise high-degree qubits
        emap = ErrorMap(len(qargs_all))
        n = target.num_qubits
        for q in range(n):
            emap.add_error((q, q), len(degree[q]) / n)
        for qargs in qargs_all:
            if len(qargs) == 2:
                a, b = qargs
                emap.add_error((a, b), 0.5 * (len(degree[a]) / n + len(degree[b]) / n))
    return emap


class _SetAverageErrorMap(AnalysisPass):
    """Put a precomputed ``vf2_avg_error_map`` in the property set (read by VF2Layout/VF2PostLayout)."""

    def __init__(self, error_map):
        super().__init__()
        self.error_map = error_map

    def run(self, dag):
        self.property_set["vf2_avg_error_map"] = self.error_map


def preset_pass_manager(target, optimization_level: int, seed: int | None, *, initial_layout=None):
    """Qiskit's preset pass manager for ``target`` with a reproducible VF2 error map.

    ``generate_preset_pass_manager(optimization_level, target=target, seed_transpiler=seed,
    initial_layout=initial_layout)`` plus one analysis pass before the layout
    stage that sets ``vf2_avg_error_map`` from :func:`average_error_map`.
    """
    from qiskit.transpiler import PassManager, generate_preset_pass_manager

    pm = generate_preset_pass_manager(optimization_level=optimization_level, target=target,
                                      seed_transpiler=seed, initial_layout=initial_layout)
    emap = average_error_map(target)
    if emap is not None:
        pre = PassManager([_SetAverageErrorMap(emap)])
        if pm.pre_layout is not None:
            pre += pm.pre_layout
        pm.pre_layout = pre
    for task in _walk_tasks(pm):
        if type(task).__name__ in THREADED_PASSES:
            task.run = _with_qiskit_threads(task.run)  # this instance only: see qiskit_serial()
    return pm


# ---------------------------------------------------------------------- Qiskit's threads
#: Passes that keep Qiskit's thread parallelism inside :func:`qiskit_serial`: Sabre runs its
#: layout and routing trials on threads (one per CPU), a real gain even on busy cores.
THREADED_PASSES = frozenset({"SabreLayout", "SabreSwap"})
#: Circuits of at most this many instructions are transpiled in :func:`qiskit_serial`.
SERIAL_MAX_OPS = 10_000

_ENV_LOCK = threading.RLock()
_SERIAL_DEPTH = 0
_SAVED_IN_PARALLEL: str | None = None


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


class qiskit_serial:  # noqa: N801 - used as a context manager, like contextlib's
    """Qiskit's Rust passes on the calling thread only, except :data:`THREADED_PASSES`.

    Qiskit's passes hand even tiny circuits to a thread pool; when the cores
    are busy each hand-off waits for a worker to be scheduled. Measured on 2
    busy cores (GHZ-4 on ibm_hanoi, median per pass): TwoQubitPeepholeOptimization
    11-19 ms with threads vs 0.12 ms without, CommutativeCancellation 7.7 vs
    0.09 ms; the whole transpilation 35-55 ms vs 2 ms. This sets Qiskit's own
    switch for "no threads here", ``QISKIT_IN_PARALLEL=TRUE`` (what Qiskit sets
    in its worker processes; Rust reads it per call), for the duration and
    restores it; the Sabre passes run with the caller's setting. Output is
    identical with and without threads (tested). A user's
    ``QISKIT_FORCE_THREADS=TRUE`` keeps threads everywhere; a user's
    ``QISKIT_IN_PARALLEL`` is respected inside the Sabre passes. The
    environment is process-wide: another thread transpiling at the same moment
    may run its own passes serially (or threaded) meanwhile; results do not
    depend on it.
    """

    def __enter__(self):
        global _SERIAL_DEPTH, _SAVED_IN_PARALLEL
        with _ENV_LOCK:
            if _SERIAL_DEPTH == 0:
                _SAVED_IN_PARALLEL = os.environ.get("QISKIT_IN_PARALLEL")
                os.environ["QISKIT_IN_PARALLEL"] = "TRUE"
            _SERIAL_DEPTH += 1
        return self

    def __exit__(self, *exc):
        global _SERIAL_DEPTH
        with _ENV_LOCK:
            _SERIAL_DEPTH -= 1
            if _SERIAL_DEPTH == 0:
                _set_env("QISKIT_IN_PARALLEL", _SAVED_IN_PARALLEL)
        return False


def _with_qiskit_threads(run):
    """``run`` with the caller's QISKIT_IN_PARALLEL setting restored while it runs (inside qiskit_serial)."""

    def threaded_run(dag):
        with _ENV_LOCK:
            inside = _SERIAL_DEPTH > 0
            if inside:
                _set_env("QISKIT_IN_PARALLEL", _SAVED_IN_PARALLEL)
        try:
            return run(dag)
        finally:
            if inside:
                with _ENV_LOCK:
                    if _SERIAL_DEPTH > 0:
                        os.environ["QISKIT_IN_PARALLEL"] = "TRUE"

    threaded_run.qpu_twin_threaded = True
    return threaded_run


def _walk_tasks(root):
    """Every pass and controller reachable from a pass manager (depth first)."""
    from qiskit.passmanager import BasePassManager
    from qiskit.passmanager.base_tasks import Task

    seen: set[int] = set()
    stack = [root]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (Task, BasePassManager)) and id(x) not in seen:
            seen.add(id(x))
            if isinstance(x, Task):
                yield x
            stack.extend(vars(x).values())


class _NotReseedable(Exception):
    pass


_LEAVES = (int, float, str, bool, type(None))
_SKIP_ATTRS = frozenset({"_hash"})  # hash of the init arguments: only deduplicates passes within one run


def _seed_slots(pm_a, pm_b, a: int, b: int) -> list[tuple]:
    """Paths of the attributes where two pass managers built with seeds ``a`` and ``b`` differ.

    Every difference must be exactly ``a`` vs ``b`` (the seed itself); anything
    else (a derived value, a different structure) raises :class:`_NotReseedable`.
    """
    from qiskit.passmanager import BasePassManager
    from qiskit.passmanager.base_tasks import Task

    slots: list[tuple] = []
    seen: set[int] = set()

    def walk(x, y, path):
        if isinstance(x, _LEAVES) or isinstance(y, _LEAVES):
            if type(x) is not type(y) or x != y:
                if x == a and y == b and type(x) is int:
                    slots.append(path)
                else:
                    raise _NotReseedable(f"{path}: {x!r} vs {y!r}")
            return
        if type(x) is not type(y):
            raise _NotReseedable(f"{path}: {type(x).__name__} vs {type(y).__name__}")
        if isinstance(x, (list, tuple)):
            if len(x) != len(y):
                raise _NotReseedable(f"{path}: lengths {len(x)} vs {len(y)}")
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, path + (("item", i),))
        elif isinstance(x, dict):
            if list(x) != list(y):
                raise _NotReseedable(f"{path}: keys differ")
            for k in x:
                walk(x[k], y[k], path + (("item", k),))
        elif isinstance(x, (Task, BasePassManager)):
            if id(x) in seen:
                return
            seen.add(id(x))
            dx, dy = vars(x), vars(y)
            if list(dx) != list(dy):
                raise _NotReseedable(f"{path}: attributes differ")
            for k in dx:
                if k not in _SKIP_ATTRS:
                    walk(dx[k], dy[k], path + (("attr", k),))
        # other objects (Target, coupling maps, plugins' callables) are the same inputs in both

    walk(pm_a, pm_b, ())
    return slots


def _set_path(root, path, value) -> None:
    obj = root
    for kind, key in path[:-1]:
        obj = getattr(obj, key) if kind == "attr" else obj[key]
    kind, key = path[-1]
    if kind == "attr":
        setattr(obj, key, value)
    else:
        obj[key] = value


class Transpiler:
    """Qiskit's preset pass manager for one profile, built once and re-seeded per call.

    ``generate_preset_pass_manager`` costs tens of milliseconds, more than
    transpiling a small circuit. A pass manager has its seed fixed when it is
    built, but the seeded passes (Sabre layout and routing) read it when they
    run: this class finds those attributes once, by building two pass managers
    with different seeds and requiring that they differ in exactly those
    integer attributes, and sets them before each run. The output equals that
    of a freshly built pass manager with the same seed (tested). A fresh pass
    manager is built for the call instead if the structure is not reseedable (a
    future Qiskit), for ``seed=None`` (Qiskit then draws a seed), or when
    another thread is using the shared one.

    Parameters
    ----------
    profile : DeviceProfile
    optimization_level : int, optional
        Qiskit's optimisation level (default: as ``qiskit.transpile``, 2).
    """

    _PROBE_SEEDS = (1_000_003, 2_000_029)
    _MAX_LAYOUTS = 8

    def __init__(self, profile: DeviceProfile, *, optimization_level: int | None = None):
        self.profile_name = profile.name
        self.target = build_target(profile)  # owned by this Transpiler, never modified
        self.optimization_level = _resolve_optimization_level(optimization_level)
        self._lock = threading.Lock()
        self._pms: OrderedDict[tuple | None, tuple] = OrderedDict()  # initial layout -> (pm, seed slots)
        self.stats = {"reseeded_runs": 0, "fresh_runs": 0, "pass_managers_built": 0}

    def _entry(self, initial_layout: tuple | None) -> tuple:
        ent = self._pms.get(initial_layout)
        if ent is None:
            a, b = self._PROBE_SEEDS
            layout = None if initial_layout is None else list(initial_layout)
            pm = preset_pass_manager(self.target, self.optimization_level, a, initial_layout=layout)
            try:
                slots = _seed_slots(pm, preset_pass_manager(self.target, self.optimization_level, b,
                                                            initial_layout=layout), a, b)
            except _NotReseedable:
                slots = None
            self.stats["pass_managers_built"] += 2
            ent = self._pms[initial_layout] = (pm, slots)
            while len(self._pms) > self._MAX_LAYOUTS:
                self._pms.popitem(last=False)
        else:
            self._pms.move_to_end(initial_layout)
        return ent

    def reseedable(self, initial_layout=None) -> bool:
        """True if runs with this initial layout reuse one pass manager."""
        key = None if initial_layout is None else tuple(int(q) for q in initial_layout)
        with self._lock:
            return self._entry(key)[1] is not None

    def run(self, circuit: QuantumCircuit, *, seed: int | None = None, initial_layout=None) -> QuantumCircuit:
        """``qiskit.transpile(circuit, target=..., seed_transpiler=seed, optimization_level=...,
        initial_layout=...)``, with the reproducible VF2 error map of :func:`preset_pass_manager`."""
        seed = _resolve_seed(seed)
        key = None if initial_layout is None else tuple(int(q) for q in initial_layout)
        serial = qiskit_serial() if circuit.size() <= SERIAL_MAX_OPS else contextlib.nullcontext()
        out = None
        with serial:
            if seed is not None and self._lock.acquire(blocking=False):
                try:
                    pm, slots = self._entry(key)
                    if slots is not None:
                        for path in slots:
                            _set_path(pm, path, seed)
                        out = pm.run(circuit)
                        self.stats["reseeded_runs"] += 1
                finally:
                    self._lock.release()
            if out is None:
                self.stats["fresh_runs"] += 1
                pm = preset_pass_manager(self.target, self.optimization_level, seed,
                                         initial_layout=None if key is None else list(key))
                out = pm.run(circuit)
        out.name = circuit.name
        return out


#: Transpilers per (profile fingerprint, optimisation level), shared by all Twins of a profile.
_TRANSPILERS: "OrderedDict[tuple, Transpiler]" = OrderedDict()
_TRANSPILERS_MAX = 8
_TRANSPILERS_LOCK = threading.Lock()


def transpiler_for(profile: DeviceProfile, *, optimization_level: int | None = None) -> Transpiler:
    """The process-wide :class:`Transpiler` of ``profile`` (kept for the last 8 profiles/levels).

    Keyed by the profile's fingerprint, so every ``Twin`` (and every call of
    :func:`~qpu_twin.compile.circuits.compile_circuit`) of the same profile
    shares one Target and one pass manager.
    """
    key = (profile.fingerprint, _resolve_optimization_level(optimization_level))
    with _TRANSPILERS_LOCK:
        tr = _TRANSPILERS.get(key)
        if tr is not None:
            _TRANSPILERS.move_to_end(key)
            return tr
    tr = Transpiler(profile, optimization_level=key[1])
    with _TRANSPILERS_LOCK:
        tr = _TRANSPILERS.setdefault(key, tr)
        _TRANSPILERS.move_to_end(key)
        while len(_TRANSPILERS) > _TRANSPILERS_MAX:
            _TRANSPILERS.popitem(last=False)
    return tr
