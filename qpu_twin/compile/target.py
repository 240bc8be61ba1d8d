"""A Qiskit ``Target`` built from a :class:`~qpu_twin.DeviceProfile`.

The Target carries every *operational* native gate with its duration and
error, ``measure`` (duration and mean readout error, plus the asymmetric
``prob_meas1_prep0`` / ``prob_meas0_prep1`` that Qiskit Aer reads), ``reset``,
``delay``, declared control flow, ``dt`` and per-qubit T1/T2/frequency. Gates
on non-operational qubits and non-operational gates are left out, so Qiskit's
error-aware layout never picks them.
"""

from __future__ import annotations

from qiskit.circuit import Delay, IfElseOp, Measure, Parameter, Reset
from qiskit.circuit.controlflow import ForLoopOp, SwitchCaseOp, WhileLoopOp
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.providers import QubitProperties
from qiskit.transpiler import InstructionProperties, Target

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
