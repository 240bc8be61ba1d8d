"""Loader for archived IBM Quantum jobs (qobj + result + calibration snapshot JSON).

Each file (e.g. ``calibration_data/ibm_repetition_codes_2022/*.json``) holds
one job: ``qobj.experiments[i].instructions`` is the exact scheduled physical
circuit that ran (``rz sx x cx measure reset delay barrier``; delays in units
of ``dt``; ``measure`` writes ``memory[0]``), ``result.experiments[i].counts``
the measured counts with hex keys (memory slot 0 = least-significant bit),
and ``backend_properties`` / ``backend_configuration`` the cached snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from ..errors import DataError, check_path
from ..paths import calibration_data_dir
from .records import MeasuredCircuit


@dataclass(frozen=True)
class IBMJob:
    job_id: str
    backend_name: str
    date: str
    path: str
    circuits: tuple[MeasuredCircuit, ...] = field(repr=False)
    properties: dict = field(repr=False, default_factory=dict)
    configuration: dict = field(repr=False, default_factory=dict)


def _circuit_from_qobj(exp: dict, where: str) -> QuantumCircuit:
    header = exp.get("header", {})
    n = int(header.get("n_qubits") or exp.get("config", {}).get("n_qubits"))
    slots = int(header.get("memory_slots") or exp.get("config", {}).get("memory_slots"))
    qc = QuantumCircuit(QuantumRegister(n, "q"), ClassicalRegister(slots, "c"), name=str(header.get("name", "")))
    for k, ins in enumerate(exp["instructions"]):
        name, qubits, params = ins["name"], ins.get("qubits", []), ins.get("params", [])
        try:
            if name == "rz":
                qc.rz(float(params[0]), qubits[0])
            elif name in ("sx", "x", "id"):
                getattr(qc, name)(qubits[0])
            elif name == "cx":
                qc.cx(qubits[0], qubits[1])
            elif name == "measure":
                qc.measure(qubits[0], ins["memory"][0])
            elif name == "reset":
                qc.reset(qubits[0])
            elif name == "delay":
                qc.delay(int(round(float(params[0]))), qubits[0], unit="dt")
            elif name == "barrier":
                qc.barrier(*qubits)
            else:
                raise DataError(f"{where}: instruction {k}: unsupported name {name!r}")
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise DataError(f"{where}: instruction {k} ({ins!r}) is malformed: {exc}") from None
    return qc


def _counts(raw: dict, slots: int, where: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in raw.items():
        try:
            idx = int(key, 16) if str(key).startswith("0x") else int(str(key).replace(" ", ""), 2)
        except ValueError:
            raise DataError(f"{where}: count key {key!r} is neither hex nor binary") from None
        if idx >= 2**slots:
            raise DataError(f"{where}: count key {key!r} exceeds {slots} memory slots")
        bits = format(idx, f"0{slots}b")
        out[bits] = out.get(bits, 0) + int(value)
    return out


def load_ibm_job(path) -> IBMJob:
    """Load one archived IBM job file."""
    path = check_path("path", path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read job JSON: {exc}") from None
    for key in ("qobj", "result"):
        if key not in data:
            raise DataError(f"{path}: missing top-level key {key!r}")
    exps = data["qobj"].get("experiments", [])
    res = data["result"].get("experiments", [])
    if len(exps) != len(res):
        raise DataError(f"{path}: {len(exps)} qobj experiments but {len(res)} results")
    circuits = []
    for i, (e, r) in enumerate(zip(exps, res)):
        where = f"{path.name}: experiment {i}"
        qc = _circuit_from_qobj(e, where)
        counts = _counts(r.get("counts", {}), qc.num_clbits, where)
        shots = int(r.get("shots") or sum(counts.values()))
        if sum(counts.values()) != shots:
            raise DataError(f"{where}: counts sum to {sum(counts.values())} but shots={shots}")
        circuits.append(MeasuredCircuit(f"{data.get('job_id', path.stem)}/{i}", qc, counts, physical=True,
                                        meta={"header": e.get("header", {}), "index": i,
                                              "job_id": str(data.get("job_id", path.stem)),
                                              "date": str(data["result"].get("date", ""))}))
    return IBMJob(
        job_id=str(data.get("job_id", path.stem)),
        backend_name=str(data["result"].get("backend_name", "")),
        date=str(data["result"].get("date", "")),
        path=str(path),
        circuits=tuple(circuits),
        properties=data.get("backend_properties", {}),
        configuration=data.get("backend_configuration", {}),
    )


def ibm_repetition_code_jobs() -> list[IBMJob]:
    """The 8 archived ibm_hanoi repetition-code jobs shipped in ``calibration_data/``."""
    folder = calibration_data_dir() / "ibm_repetition_codes_2022"
    return [load_ibm_job(p) for p in sorted(folder.glob("*.json"))]
