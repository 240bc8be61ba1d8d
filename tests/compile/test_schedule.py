"""Scheduling: ALAP/ASAP timing, idle windows, delays, barriers, conditionals."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit

from qpu_twin import CompileError, load_profile
from qpu_twin.compile.schedule import schedule_circuit

LINE5 = load_profile("line5")  # 1q gates 40 ns, cx 300 ns, measure 1000 ns, reset 1000 ns


def _ops(s, kind=None):
    return [(o.name, o.qubits, round(o.start_ns, 6), round(o.duration_ns, 6)) for o in s.ops if kind is None or o.kind == kind]


def test_alap_and_idle_windows():
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.x(0)
    qc.x(0)
    qc.sx(1)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    s = schedule_circuit(qc, LINE5, method="alap")
    gates = _ops(s, "gate")
    assert gates[0] == ("x", (0,), 0.0, 40.0)
    assert ("sx", (1,), 80.0, 40.0) in gates  # ALAP: right before the cx
    assert ("cx", (0, 1), 120.0, 300.0) in gates
    assert s.duration_ns == pytest.approx(1420.0)
    assert _ops(s, "idle") == []  # ALAP leaves no gap here
    a = schedule_circuit(qc, LINE5, method="asap")
    assert ("sx", (1,), 0.0, 40.0) in _ops(a, "gate")
    assert ("idle", (1,), 40.0, 80.0) in _ops(a, "idle")  # ASAP: qubit 1 waits for the cx


def test_barrier_aligns_and_delay_counts():
    qc = QuantumCircuit(2)
    qc.x(0)
    qc.barrier()
    qc.delay(100, 1, unit="ns")
    qc.x(1)
    qc.x(0)
    s = schedule_circuit(qc, LINE5, method="asap")
    assert ("delay", (1,), 40.0, 100.0) in _ops(s, "delay")
    assert ("x", (1,), 140.0, 40.0) in _ops(s, "gate")


def test_delay_in_dt_units():
    qc = QuantumCircuit(1)
    qc.x(0)
    qc.delay(160, 0, unit="dt")
    qc.x(0)
    s = schedule_circuit(qc, LINE5)
    assert ("delay", (0,), 40.0, 80.0) in _ops(s, "delay")  # dt = 0.5 ns


def test_untouched_qubits_dropped():
    qc = QuantumCircuit(5, 1)
    qc.delay(50, 4, unit="ns")
    qc.barrier()
    qc.x(2)
    qc.measure(2, 0)
    s = schedule_circuit(qc, LINE5)
    assert s.active_qubits == (2,)


def test_conditional_block_waits_for_its_measurement():
    qc = QuantumCircuit(2, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    s = schedule_circuit(qc, LINE5, method="asap")
    blocks = [o for o in s.ops if o.kind == "if_else"]
    assert len(blocks) == 1 and blocks[0].start_ns == pytest.approx(1000.0)
    assert blocks[0].duration_ns == pytest.approx(40.0)
    true_body, false_body = blocks[0].bodies
    assert [o.name for o in true_body] == ["x"] and [o.kind for o in false_body] == ["idle"]


def test_reset_and_measure_durations():
    qc = QuantumCircuit(1, 1)
    qc.reset(0)
    qc.measure(0, 0)
    s = schedule_circuit(qc, LINE5)
    assert [(o.kind, o.duration_ns) for o in s.ops] == [("reset", 1000.0), ("measure", 1000.0)]


def test_bad_method_and_delay_unit():
    qc = QuantumCircuit(1)
    qc.x(0)
    with pytest.raises(CompileError, match="method='fast'"):
        schedule_circuit(qc, LINE5, method="fast")
