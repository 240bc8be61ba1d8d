"""Timing a physical circuit on a device: every op gets a start time and a
duration from the profile, and every idle window of every active qubit is
explicit.

* Scheduling is ALAP by default (IBM's default: qubits stay in |0> as long as
  possible) or ASAP. Qubits and classical bits are both resources: an op
  waits for all its qubits, and for the measurements that write the bits a
  conditional reads.
* ``barrier`` aligns its qubits and then disappears; ``delay`` is an explicit
  wait (its idle noise is a noise-model choice).
* ``if_else`` is one block on its qubits, as long as its longer branch; each
  branch is scheduled ASAP inside the block, and idle windows inside it are
  explicit too.
* Only *active* qubits are kept: a qubit that sees nothing but ``delay`` and
  ``barrier`` is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qiskit import QuantumCircuit
from qiskit.circuit import Clbit, ClassicalRegister, IfElseOp

from ..errors import CompileError
from ..profiles.model import DeviceProfile

OpKind = Literal["gate", "measure", "reset", "delay", "idle", "if_else"]

_UNIT_NS = {"s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3, "ns": 1.0, "ps": 1e-3}
_EPS_NS = 1e-9  # times closer than this (1e-18 s) are equal


@dataclass(frozen=True)
class ScheduledOp:
    """One timed operation on physical qubits (times in ns)."""

    kind: OpKind
    name: str
    qubits: tuple[int, ...]
    start_ns: float
    duration_ns: float
    clbits: tuple[int, ...] = ()
    params: tuple[float, ...] = ()
    operation: Any = field(default=None, compare=False, repr=False)
    condition: tuple[tuple[int, ...], int] | None = None
    bodies: tuple[tuple["ScheduledOp", ...], tuple["ScheduledOp", ...]] | None = field(default=None, repr=False)

    @property
    def end_ns(self) -> float:
        return self.start_ns + self.duration_ns


@dataclass(frozen=True)
class Schedule:
    """A timed physical circuit restricted to its active qubits.

    Attributes
    ----------
    active_qubits : tuple[int, ...]
        Physical qubits that are simulated (sorted); local qubit i is ``active_qubits[i]``.
    ops : tuple[ScheduledOp, ...]
        Gates, measurements, resets, delays, idle windows and conditional blocks,
        sorted by start time (ties keep circuit order).
    num_clbits, duration_ns, circuit
        Classical register width, total duration (ns) and the physical circuit.
    """

    profile_name: str
    active_qubits: tuple[int, ...]
    num_clbits: int
    ops: tuple[ScheduledOp, ...]
    duration_ns: float
    circuit: QuantumCircuit = field(compare=False, repr=False)

    @property
    def num_active(self) -> int:
        return len(self.active_qubits)

    def first_last(self) -> dict[int, tuple[float, float]]:
        """Per active qubit: (start of its first op, end of its last op), idle excluded."""
        out: dict[int, tuple[float, float]] = {}
        for op in self.ops:
            if op.kind in ("idle", "delay"):
                continue
            for q in op.qubits:
                s, e = out.get(q, (op.start_ns, op.end_ns))
                out[q] = (min(s, op.start_ns), max(e, op.end_ns))
        return out


# ---------------------------------------------------------------------- durations
def _delay_ns(op, profile: DeviceProfile) -> float:
    unit = op.unit
    value = float(op.duration)
    if unit == "dt":
        if profile.dt_ns is None:
            raise CompileError(f"delay of {value} dt but {profile.name} has no dt_ns")
        return value * profile.dt_ns
    if unit not in _UNIT_NS:
        raise CompileError(f"delay unit {unit!r} not supported (use dt, s, ms, us, ns or ps)")
    return value * _UNIT_NS[unit]


def _duration_ns(name: str, op, qubits: list[int], profile: DeviceProfile, warned: set) -> float:
    if name == "measure":
        return float(profile.qubit(qubits[0]).readout_duration_ns)
    if name == "reset":
        q = profile.qubit(qubits[0])
        if q.reset_duration_ns is not None:
            return float(q.reset_duration_ns)
        if ("reset", qubits[0]) not in warned:
            import warnings

            warnings.warn(
                f"{profile.name}: qubit {qubits[0]} has no reset_duration_ns; using its readout duration "
                f"{q.readout_duration_ns} ns (a measurement-based reset)",
                stacklevel=4,
            )
            warned.add(("reset", qubits[0]))
        return float(q.readout_duration_ns)
    if name == "delay":
        return _delay_ns(op, profile)
    if name == "barrier":
        return 0.0
    try:
        g = profile.gate(name, qubits)
    except Exception:
        raise CompileError(
            f"gate {name!r} on qubits {tuple(qubits)} is not a native gate of {profile.name}"
        ) from None
    return float(g.duration_ns)


def _condition(op: IfElseOp, circuit: QuantumCircuit) -> tuple[tuple[int, ...], int]:
    cond = op.condition
    if not isinstance(cond, tuple):
        raise CompileError("if_else with a classical expression is not supported (use (clbit, value) or (register, value))")
    target, value = cond
    if isinstance(target, Clbit):
        return (circuit.find_bit(target).index,), int(bool(value))
    if isinstance(target, ClassicalRegister):
        return tuple(circuit.find_bit(b).index for b in target), int(value)
    raise CompileError(f"unsupported if_else condition {cond!r}")


# ---------------------------------------------------------------------- linearise
@dataclass
class _Item:
    name: str
    qubits: list[int]
    clbits: list[int]
    duration: float
    op: Any
    condition: tuple | None = None
    bodies: tuple | None = None  # (true items, false items) with block-relative times


def _items(circuit: QuantumCircuit, qmap: list[int], cmap: list[int], profile: DeviceProfile,
           warned: set) -> list[_Item]:
    items = []
    for inst in circuit.data:
        op = inst.operation
        qubits = [qmap[circuit.find_bit(q).index] for q in inst.qubits]
        clbits = [cmap[circuit.find_bit(c).index] for c in inst.clbits]
        name = op.name
        if isinstance(op, IfElseOp):
            cond_bits, value = _condition(op, circuit)
            cond_bits = tuple(cmap[b] for b in cond_bits)
            bodies = []
            for block in (op.blocks[0], op.blocks[1] if len(op.blocks) > 1 else None):
                if block is None:
                    bodies.append([])
                    continue
                sub = _items(block, qubits, clbits, profile, warned)
                bodies.append(sub)
            timed = [_asap(b) for b in bodies]
            duration = max([t[1] for t in timed] + [0.0])
            items.append(_Item("if_else", qubits, sorted(set(clbits) | set(cond_bits)), duration, op,
                               (cond_bits, value), (timed[0][0], timed[1][0])))
            continue
        if name not in ("measure", "reset", "delay", "barrier") and op.num_qubits != len(qubits):
            raise CompileError(f"{name}: malformed instruction")
        if getattr(op, "_condition", None):
            raise CompileError(f"{name}: c_if conditions are not supported, use if_else")
        items.append(_Item(name, qubits, clbits, _duration_ns(name, op, qubits, profile, warned), op))
    return items


def _resources(it: _Item) -> list[tuple[str, int]]:
    """The qubits and clbits ``it`` occupies (an ``if_else`` also reads its condition's bits)."""
    res = [("q", q) for q in it.qubits] + [("c", c) for c in it.clbits]
    if it.name == "if_else":
        res += [("c", c) for c in it.condition[0]]
    return res


def _asap(items: list[_Item]) -> tuple[list[tuple[float, _Item]], float]:
    ready: dict = {}
    out = []
    end = 0.0
    for it in items:
        res = _resources(it)
        t = max([ready.get(r, 0.0) for r in res] + [0.0])
        if it.name == "barrier":
            for r in res:
                ready[r] = t
            continue
        for r in res:
            ready[r] = t + it.duration
        out.append((t, it))
        end = max(end, t + it.duration)
    return out, end


def _alap(items: list[_Item]) -> tuple[list[tuple[float, _Item]], float]:
    """As late as possible: ASAP on the reversed items, in reversed time (each op ends where it started)."""
    mirrored, end = _asap(items[::-1])
    return [(end - (t + it.duration), it) for t, it in reversed(mirrored)], end


def _to_ops(timed: list[tuple[float, _Item]], offset: float) -> list[ScheduledOp]:
    ops = []
    for start, it in timed:
        s = start + offset
        if it.name == "if_else":
            t_body = tuple(_to_ops(it.bodies[0], s))
            f_body = tuple(_to_ops(it.bodies[1], s))
            bodies = (_with_idle(t_body, it.qubits, s, s + it.duration), _with_idle(f_body, it.qubits, s, s + it.duration))
            ops.append(ScheduledOp("if_else", "if_else", tuple(it.qubits), s, it.duration, tuple(it.clbits),
                                   operation=it.op, condition=it.condition, bodies=bodies))
            continue
        kind = it.name if it.name in ("measure", "reset", "delay") else "gate"
        params = tuple(float(p) for p in getattr(it.op, "params", ()) if _is_number(p)) if kind == "gate" else ()
        ops.append(ScheduledOp(kind, it.name, tuple(it.qubits), s, it.duration, tuple(it.clbits), params, it.op))
    return ops


def _is_number(p) -> bool:
    try:
        float(p)
        return True
    except (TypeError, ValueError):
        return False


def _with_idle(ops: tuple[ScheduledOp, ...], qubits, t0: float, t1: float) -> tuple[ScheduledOp, ...]:
    """Add idle windows for ``qubits`` inside [t0, t1] wherever no op (or delay) covers them."""
    busy: dict[int, list[tuple[float, float]]] = {q: [] for q in qubits}
    for op in ops:
        for q in op.qubits:
            if q in busy:
                busy[q].append((op.start_ns, op.end_ns))
    idle = []
    for q, spans in busy.items():
        t = t0
        for s, e in sorted(spans):
            if s - t > _EPS_NS:
                idle.append(ScheduledOp("idle", "idle", (q,), t, s - t))
            t = max(t, e)
        if t1 - t > _EPS_NS:
            idle.append(ScheduledOp("idle", "idle", (q,), t, t1 - t))
    return tuple(sorted(list(ops) + idle, key=lambda o: o.start_ns))


def schedule_circuit(circuit: QuantumCircuit, profile: DeviceProfile, *, method: str = "alap") -> Schedule:
    """Time a physical circuit on ``profile`` and make every idle window explicit.

    Parameters
    ----------
    circuit : QuantumCircuit
        Physical and native (output of :func:`compile_circuit`).
    method : {"alap", "asap"}
        Scheduling policy.

    Idle windows run between consecutive ops of an active qubit, from the
    end of its first op to the start of its last (before its first op a
    qubit is in |0>, which idling does not change).
    """
    if method not in ("alap", "asap"):
        raise CompileError(f"scheduling method={method!r}: use 'alap' or 'asap'")
    warned: set = set()
    items = _items(circuit, list(range(circuit.num_qubits)), list(range(circuit.num_clbits)), profile, warned)
    timed, total = (_alap if method == "alap" else _asap)(items)
    ops = _to_ops(timed, 0.0)

    active = sorted({q for op in ops if op.kind not in ("delay",) for q in op.qubits})
    active_set = set(active)
    ops = [op for op in ops if op.kind != "delay" or set(op.qubits) & active_set]
    # idle windows between consecutive (non-delay) ops of each active qubit
    spans: dict[int, list[tuple[float, float]]] = {q: [] for q in active}
    for op in ops:
        if op.kind == "delay":
            continue
        for q in op.qubits:
            spans[q].append((op.start_ns, op.end_ns))
    idle = []
    for q, sp in spans.items():
        sp.sort()
        t = None
        for s, e in sp:
            if t is not None and s - t > _EPS_NS:
                idle.append(ScheduledOp("idle", "idle", (q,), t, s - t))
            t = e if t is None else max(t, e)
    # explicit delays already cover part of some gaps: an idle window is the
    # time not covered by a delay (delays carry their own noise decision)
    idle = _subtract_delays(idle, [op for op in ops if op.kind == "delay"])
    all_ops = sorted(ops + idle, key=lambda o: (o.start_ns, 0 if o.kind in ("idle", "delay") else 1))
    return Schedule(profile.name, tuple(active), circuit.num_clbits, tuple(all_ops), total, circuit)


def _subtract_delays(idle: list[ScheduledOp], delays: list[ScheduledOp]) -> list[ScheduledOp]:
    by_q: dict[int, list[tuple[float, float]]] = {}
    for d in delays:
        by_q.setdefault(d.qubits[0], []).append((d.start_ns, d.end_ns))
    out = []
    for w in idle:
        pieces = [(w.start_ns, w.end_ns)]
        for ds, de in sorted(by_q.get(w.qubits[0], [])):
            nxt = []
            for s, e in pieces:
                if de <= s or ds >= e:
                    nxt.append((s, e))
                    continue
                if ds - s > _EPS_NS:
                    nxt.append((s, ds))
                if e - de > _EPS_NS:
                    nxt.append((de, e))
            pieces = nxt
        out.extend(ScheduledOp("idle", "idle", w.qubits, s, e - s) for s, e in pieces if e - s > _EPS_NS)
    return out
