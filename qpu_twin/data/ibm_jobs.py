"""Loader for archived IBM Quantum jobs (qobj + result + calibration snapshot JSON).

Each file (e.g. ``calibration_data/ibm_repetition_codes_2022/*.json``) holds
one job: ``qobj.experiments[i].instructions`` is the exact scheduled physical
circuit that ran (``rz sx x cx measure reset delay barrier``; delays in units
of ``dt``; ``measure`` writes ``memory[0]``), ``result.experiments[i].counts``
(or ``result.experiments[i].data.counts``, Qiskit's ``Result`` JSON) the
measured counts with hex keys (memory slot 0 = least-significant bit), and
``backend_properties`` / ``backend_configuration`` the cached snapshot.

Validation (:func:`validate_ibm_job`, run by :func:`load_ibm_job` before any
circuit is built): pydantic schemas of the results, the qobj instructions,
the properties and the configuration (strict types: no string numbers, no
NaN angles, counts non-negative integers, ``shots`` an integer in
[1, 10**9]), then the cross-field rules: as many results as experiments;
instruction names known, with the right number of qubits and parameters,
qubits inside the register and distinct, memory slots inside it, delays
finite and >= 0; count keys hex (``0x1a``) or bitstrings of exactly
``memory_slots`` bits, naming a value that fits the register; counts summing
to ``shots``. Every problem is a :class:`~qpu_twin.errors.DataError` naming
the file, the path inside it (``result.experiments[3].counts["0x1a"]``) and
the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError, model_validator
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from ..errors import DataError, ProfileError, check_path
from ..paths import calibration_data_dir
from ..safeparse import parse_json, read_text
from .records import MeasuredCircuit
from .schema import BITS_RE, HEX_RE, Count, Finite, Index, Shots, fail, validation_error

#: Largest register (qubits or memory slots) of an archived experiment.
MAX_REGISTER = 10_000
#: Largest delay (in dt) of an instruction: 10**12 dt is minutes on any device.
MAX_DELAY_DT = 10**12

#: name -> (number of qubits, number of parameters); None: any
_INSTRUCTIONS = {"rz": (1, 1), "sx": (1, 0), "x": (1, 0), "id": (1, 0), "cx": (2, 0), "ecr": (2, 0),
                 "measure": (1, 0), "reset": (1, 0), "delay": (1, 1), "barrier": (None, 0)}


class _Open(BaseModel):
    """Archive records carry more fields than we read: unknown keys are kept, known ones are strict."""

    model_config = ConfigDict(extra="allow", frozen=True)


class QobjInstruction(_Open):
    name: StrictStr
    qubits: tuple[Index, ...] = ()
    params: tuple[Finite, ...] = ()
    memory: tuple[Index, ...] | None = None


class ExperimentHeader(_Open):
    n_qubits: Index | None = None
    memory_slots: Index | None = None
    name: StrictStr | None = None


class ExperimentConfig(_Open):
    n_qubits: Index | None = None
    memory_slots: Index | None = None


class QobjExperiment(_Open):
    header: ExperimentHeader = ExperimentHeader()
    config: ExperimentConfig = ExperimentConfig()
    instructions: list[QobjInstruction]


class Qobj(_Open):
    experiments: list[QobjExperiment]


class ResultData(_Open):
    counts: dict[StrictStr, Count] | None = None


class ResultExperiment(_Open):
    header: ExperimentHeader = ExperimentHeader()
    shots: Shots | None = None
    counts: dict[StrictStr, Count] | None = None
    data: ResultData | None = None
    success: StrictBool | None = None


class Result(_Open):
    backend_name: StrictStr = ""
    date: StrictStr | None = None
    job_id: StrictStr | None = None
    success: StrictBool | None = None
    experiments: list[ResultExperiment]


class Nduv(_Open):
    """A name / date / unit / value record of IBM backend properties."""

    name: StrictStr
    value: Finite
    unit: StrictStr = ""
    date: StrictStr | None = None


class GateProperties(_Open):
    gate: StrictStr
    qubits: list[Index]
    parameters: list[Nduv]


class BackendProperties(_Open):
    backend_name: StrictStr | None = None
    last_update_date: StrictStr
    qubits: list[list[Nduv]]
    gates: list[GateProperties]
    general: tuple[Nduv, ...] = ()


class BackendConfiguration(_Open):
    backend_name: StrictStr | None = None
    n_qubits: Index
    basis_gates: list[StrictStr]
    coupling_map: list[tuple[Index, Index]] | None = None
    dt: Finite | None = None

    @model_validator(mode="after")
    def _positive_dt(self):
        if self.dt is not None and not 0 < self.dt < 1:
            raise ValueError(f"dt={self.dt!r} must be a duration in seconds in (0, 1)")
        return self


class IBMJobFile(_Open):
    """One archived job file."""

    job_id: StrictStr | None = None
    qobj: Qobj
    result: Result
    backend_properties: BackendProperties | None = None
    backend_configuration: BackendConfiguration | None = None


@dataclass(frozen=True)
class IBMJob:
    job_id: str
    backend_name: str
    date: str
    path: str
    circuits: tuple[MeasuredCircuit, ...] = field(repr=False)
    properties: dict = field(repr=False, default_factory=dict)
    configuration: dict = field(repr=False, default_factory=dict)


def _register(e: QobjExperiment, i: int, source: str) -> tuple[int, int]:
    where = ["qobj", "experiments", i]
    n = e.header.n_qubits if e.header.n_qubits is not None else e.config.n_qubits
    slots = e.header.memory_slots if e.header.memory_slots is not None else e.config.memory_slots
    if n is None:
        raise fail(source, where + ["header"], None, "n_qubits is missing (in header and config)")
    if slots is None:
        raise fail(source, where + ["header"], None, "memory_slots is missing (in header and config)")
    if not 1 <= n <= MAX_REGISTER:
        raise fail(source, where + ["header", "n_qubits"], n, f"must be in [1, {MAX_REGISTER}]")
    if slots > MAX_REGISTER:
        raise fail(source, where + ["header", "memory_slots"], slots, f"must be at most {MAX_REGISTER}")
    return n, slots


def _check_instructions(e: QobjExperiment, i: int, n: int, slots: int, source: str) -> None:
    for k, ins in enumerate(e.instructions):
        where = ["qobj", "experiments", i, "instructions", k]
        spec = _INSTRUCTIONS.get(ins.name)
        if spec is None:
            raise fail(source, where + ["name"], ins.name, f"unsupported instruction (known: "
                       f"{', '.join(sorted(_INSTRUCTIONS))})")
        nq, npar = spec
        if nq is not None and len(ins.qubits) != nq:
            raise fail(source, where + ["qubits"], ins.qubits, f"{ins.name!r} acts on {nq} qubit(s)")
        if ins.name != "barrier" and not ins.qubits:
            raise fail(source, where + ["qubits"], ins.qubits, "no qubits")
        for j, q in enumerate(ins.qubits):
            if q >= n:
                raise fail(source, where + ["qubits", j], q, f"outside the register of n_qubits={n}")
        if len(set(ins.qubits)) != len(ins.qubits):
            raise fail(source, where + ["qubits"], ins.qubits, "repeats a qubit")
        if len(ins.params) != npar:
            raise fail(source, where + ["params"], ins.params, f"{ins.name!r} takes {npar} parameter(s)")
        if ins.name == "delay":
            d = ins.params[0]
            if not 0 <= d <= MAX_DELAY_DT:
                raise fail(source, where + ["params", 0], d, f"a delay (in dt) must be in [0, {MAX_DELAY_DT:.0e}]")
            if abs(d - round(d)) > 1e-6:
                raise fail(source, where + ["params", 0], d, "a delay in dt must be a whole number of samples")
        if ins.name == "measure":
            if not ins.memory or len(ins.memory) != 1:
                raise fail(source, where + ["memory"], ins.memory, "a measure writes exactly one memory slot")
            if ins.memory[0] >= slots:
                raise fail(source, where + ["memory", 0], ins.memory[0], f"outside memory_slots={slots}")


def _check_counts(r: ResultExperiment, i: int, slots: int, source: str) -> tuple[dict[str, int], int]:
    where = ["result", "experiments", i]
    if r.counts is not None:
        raw, cpath = r.counts, where + ["counts"]
    elif r.data is not None and r.data.counts is not None:
        raw, cpath = r.data.counts, where + ["data", "counts"]
    else:
        raise fail(source, where, "...", "no counts (neither 'counts' nor 'data.counts')")
    out: dict[str, int] = {}
    for key, value in raw.items():
        if HEX_RE.match(key):
            digits = key[2:].lstrip("0")
            if len(digits) > (slots + 3) // 4:
                raise fail(source, cpath, key, f"a hex key this long cannot fit memory_slots={slots}")
            idx = int(digits or "0", 16)
            if idx >= 2**slots:
                raise fail(source, cpath, key, f"names outcome {idx}, which does not fit memory_slots={slots}")
        else:
            bits = key.replace(" ", "")
            if not BITS_RE.match(bits):
                raise fail(source, cpath, key, "a counts key must be hex ('0x1a') or a bitstring ('0110')")
            if len(bits) != slots:
                raise fail(source, cpath, key, f"has {len(bits)} bits but the register has memory_slots={slots}")
            idx = int(bits, 2)
        if slots == 0:
            bits = ""
        else:
            bits = format(idx, f"0{slots}b")
        out[bits] = out.get(bits, 0) + value
    total = sum(out.values())
    shots = r.shots if r.shots is not None else total
    if total != shots:
        raise fail(source, where + ["shots"], shots, f"but the counts sum to {total}")
    if shots < 1:
        raise fail(source, cpath, raw, "no shots")
    return out, shots


def validate_ibm_job(data, *, source: str = "<job>") -> IBMJobFile:
    """Validate the parsed JSON of one job file (schema + cross-field rules); returns the model."""
    if not isinstance(data, dict):
        raise DataError(f"{source}: expected a JSON object at the top level, got {type(data).__name__}")
    for key in ("qobj", "result"):
        if key not in data:
            raise DataError(f"{source}: missing top-level key {key!r} (not an IBM job archive?)")
    try:
        job = IBMJobFile.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, source) from None
    exps, res = job.qobj.experiments, job.result.experiments
    if len(exps) != len(res):
        raise fail(source, ["result", "experiments"], f"list[{len(res)}]",
                   f"{len(res)} results but qobj has {len(exps)} experiments")
    if not exps:
        raise fail(source, ["qobj", "experiments"], [], "no experiments")
    for i, (e, r) in enumerate(zip(exps, res)):
        n, slots = _register(e, i, source)
        _check_instructions(e, i, n, slots, source)
        _check_counts(r, i, slots, source)
    conf = job.backend_configuration
    if conf is not None and conf.coupling_map:
        for j, (a, b) in enumerate(conf.coupling_map):
            if a >= conf.n_qubits or b >= conf.n_qubits or a == b:
                raise fail(source, ["backend_configuration", "coupling_map", j], [a, b],
                           f"not an edge between two qubits of n_qubits={conf.n_qubits}")
    props = job.backend_properties
    if props is not None and conf is not None and len(props.qubits) > conf.n_qubits:
        raise fail(source, ["backend_properties", "qubits"], f"list[{len(props.qubits)}]",
                   f"more qubits than the configuration's n_qubits={conf.n_qubits}")
    if props is not None:
        nq = conf.n_qubits if conf is not None else len(props.qubits)
        for j, g in enumerate(props.gates):
            for k, q in enumerate(g.qubits):
                if q >= nq:
                    raise fail(source, ["backend_properties", "gates", j, "qubits", k], q,
                               f"outside the device's {nq} qubits")
    return job


def _circuit(e: QobjExperiment, n: int, slots: int) -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(n, "q"), ClassicalRegister(slots, "c"), name=str(e.header.name or ""))
    for ins in e.instructions:
        name, qubits, params = ins.name, ins.qubits, ins.params
        if name == "rz":
            qc.rz(float(params[0]), qubits[0])
        elif name in ("sx", "x", "id"):
            getattr(qc, name)(qubits[0])
        elif name == "cx":
            qc.cx(qubits[0], qubits[1])
        elif name == "ecr":
            qc.ecr(qubits[0], qubits[1])
        elif name == "measure":
            qc.measure(qubits[0], ins.memory[0])
        elif name == "reset":
            qc.reset(qubits[0])
        elif name == "delay":
            qc.delay(int(round(float(params[0]))), qubits[0], unit="dt")
        elif name == "barrier":
            qc.barrier(*qubits) if qubits else qc.barrier()
    return qc


def load_ibm_job(path) -> IBMJob:
    """Load and validate one archived IBM job file (:class:`DataError` naming file, path and value)."""
    path = check_path("path", path)
    text = read_text(path, error=DataError, what="IBM job file")
    data = parse_json(text, source=f"{path}: cannot read job JSON", error=DataError)
    return ibm_job_from_data(data, source=str(path), default_id=path.stem)


def ibm_job_from_data(data, *, source: str = "<job>", default_id: str = "") -> IBMJob:
    """The :class:`IBMJob` of the parsed JSON of a job file, validated first (:func:`validate_ibm_job`)."""
    job = validate_ibm_job(data, source=source)
    job_id = job.job_id or job.result.job_id or default_id
    date = job.result.date or ""
    circuits = []
    for i, (e, r) in enumerate(zip(job.qobj.experiments, job.result.experiments)):
        n, slots = _register(e, i, source)
        counts, _shots = _check_counts(r, i, slots, source)
        qc = _circuit(e, n, slots)
        header = data["qobj"]["experiments"][i].get("header", {})
        circuits.append(MeasuredCircuit(f"{job_id}/{i}", qc, counts, physical=True,
                                        meta={"header": header, "index": i, "job_id": str(job_id), "date": date}))
    return IBMJob(
        job_id=str(job_id),
        backend_name=job.result.backend_name,
        date=date,
        path=source,
        circuits=tuple(circuits),
        properties=data.get("backend_properties") or {},
        configuration=data.get("backend_configuration") or {},
    )


def profile_from_job(job: IBMJob, **kwargs):
    """The job's cached calibration snapshot as a profile (:class:`DataError` naming the file if it is unusable)."""
    from ..profiles.model import DeviceProfile

    try:
        return DeviceProfile.from_ibm_properties(job.properties, job.configuration, **kwargs)
    except ProfileError as exc:
        raise DataError(f"{job.path}: backend_properties / backend_configuration: {exc}") from None


def ibm_repetition_code_jobs() -> list[IBMJob]:
    """The 8 archived ibm_hanoi repetition-code jobs shipped in ``calibration_data/``."""
    folder = calibration_data_dir() / "ibm_repetition_codes_2022"
    return [load_ibm_job(p) for p in sorted(folder.glob("*.json"))]
