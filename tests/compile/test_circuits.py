"""Circuits with non-finite gate angles or delays (issue #18): refused with one CompileError naming the
circuit, the instruction, the parameter and the value -- before the transpiler can fold them away
(``rz(nan)`` is virtual) or pass them on (``rzz(nan)`` gave numbers) -- from the API and from `qpu-twin run`."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qpu_twin import CompileError, Twin
from qpu_twin.compile.circuits import check_finite_values

from .._cli_batch import problems, run_batch

NAN, INF = float("nan"), float("inf")


def _one(gate: str, value, *, qubits=(0,)):
    def make():
        qc = QuantumCircuit(2, 2, name=f"{gate}_{value}")
        if gate == "delay":
            qc.delay(value, qubits[0], unit="ns")
        elif gate == "u":
            qc.u(0.1, value, 0.2, qubits[0])
        else:
            getattr(qc, gate)(value, *qubits)
        qc.measure([0, 1], [0, 1])
        return qc
    return make


def _inside_if():
    qc = QuantumCircuit(2, 2, name="inside_if")
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.rz(INF, 1)
    qc.measure(1, 1)
    return qc


def _after_good_gates():
    qc = QuantumCircuit(2, 2, name="late")
    qc.h(0)
    qc.cx(0, 1)
    qc.rz(0.3, 1)
    qc.ry(-INF, 0)
    qc.measure([0, 1], [0, 1])
    return qc


# (id, circuit maker, needles)
CASES = [
    ("rz_nan", _one("rz", NAN), ["data[0] (rz on qubits (0,)) params[0]=nan"]),
    ("rz_inf", _one("rz", INF), ["(rz on qubits (0,)) params[0]=inf"]),
    ("rx_nan", _one("rx", NAN), ["(rx on qubits (0,)) params[0]=nan"]),
    ("ry_minus_inf", _one("ry", -INF), ["(ry on qubits (0,)) params[0]=-inf"]),
    ("rzz_nan", _one("rzz", NAN, qubits=(0, 1)), ["(rzz on qubits (0, 1)) params[0]=nan"]),
    ("rzz_inf", _one("rzz", INF, qubits=(0, 1)), ["(rzz on qubits (0, 1)) params[0]=inf"]),
    ("u_phi_nan", _one("u", NAN), ["(u on qubits (0,)) params[1]=nan"]),
    ("delay_nan", _one("delay", NAN), ["(delay on qubits (0,)) params[0]=nan"]),
    ("delay_inf", _one("delay", INF), ["(delay on qubits (0,)) params[0]=inf"]),
    ("rz_numpy_nan", _one("rz", np.float64(NAN)), ["(rz on qubits (0,)) params[0]=", "nan"]),
    ("inside_if_block", _inside_if, ["data[2].blocks[0].data[0] (rz on qubits (0,)) params[0]=inf"]),
    ("after_good_gates", _after_good_gates, ["data[3] (ry on qubits (0,)) params[0]=-inf"]),
]


@pytest.fixture(scope="module")
def twin():
    from qpu_twin import load_profile

    return Twin(load_profile("line5").replace(control_flow=["if_else"]))


@pytest.mark.parametrize("transpile", [True, False, "physical"])
@pytest.mark.parametrize("cid,make,needles", CASES, ids=[c[0] for c in CASES])
def test_non_finite_circuit_is_refused(twin, cid, make, needles, transpile):
    qc = make()
    for call in (lambda: twin.run(qc, shots=10, seed=1, transpile=transpile),
                 lambda: twin.run(qc, shots=None, transpile=transpile),
                 lambda: twin.compile(qc, transpile=transpile)):
        with pytest.raises(CompileError) as info:
            call()
        msg = str(info.value)
        assert f"circuit {qc.name!r}" in msg and "must be a finite number" in msg, msg
        for needle in needles:
            assert needle in msg, (cid, needle, msg)


def test_finite_and_free_parameters_pass_the_check():
    qc = QuantumCircuit(2, 2)
    qc.rz(1e300, 0)  # large but finite: an angle, reduced mod 2 pi later
    qc.rx(Parameter("free"), 1)  # left to the "unbound parameters" error
    qc.delay(0, 0, unit="ns")
    check_finite_values(qc)


_QASM2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n{body}\nmeasure q -> c;\n'
QASM_CASES = [
    ("rz_1e400", "rz(1e400) q[0];", "(rz on qubits (0,)) params[0]=inf"),
    ("rx_inf_minus_inf", "rx(1e400-1e400) q[0];", "(rx on qubits (0,)) params[0]=nan"),
    ("u3_minus_inf", "u3(0.1, -1e999, 0.2) q[1];", "params[1]=-inf"),
    ("after_cx", "h q[0];\ncx q[0], q[1];\nrz(1e309) q[1];", "data[2] (rz on qubits (1,)) params[0]=inf"),
]


def test_cli_run_on_non_finite_circuits(tmp_path):
    """0 tracebacks, 0 hangs: `qpu-twin run FILE` on each file, one line naming the file, exit 1."""
    files = []
    for cid, body, _ in QASM_CASES:
        f = tmp_path / f"{cid}.qasm"
        f.write_text(_QASM2.format(body=body))
        files.append(f)
    argv = [["run", str(f), "--profile", "line5", *extra] for f in files for extra in (["--shots", "10"], ["--exact"])]
    records = run_batch(argv, limit_each=60)
    assert problems(records) == []
    for a, r in zip(argv, records):
        cid = a[1]
        needle = next(n for c, _, n in QASM_CASES if cid.endswith(f"{c}.qasm"))
        assert r["status"] == 1 and a[1] in r["stderr"] and needle in r["stderr"], (a, r["stderr"])
