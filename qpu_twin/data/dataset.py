"""Hardware datasets: circuits that ran on a device, with measured counts and the calibration snapshot.

On-disk format (a directory; ``schema_version`` 2, version 1 is still read)::

    my_dataset/
      dataset.json     {"schema_version": 2, "name", "device", "date", "source",
                        "snapshots": {KEY: "snapshots/KEY.yaml", ...},
                        "raw_snapshots": {KEY: "raw_snapshots/KEY.json", ...},
                        "circuits": [{"name", "counts": {bitstring: n}, "shots",
                                      "physical": bool, "answer": bitstring | null,
                                      "snapshot": KEY | null, "meta": {...},
                                      "delays": [{"path": [i, ...], "duration": x, "unit": "ns"}, ...]},
                                     ...]}
      circuits.qpy     the circuits, in the same order (Qiskit QPY)
      snapshots/*.yaml device profiles (qpu_twin format)
      raw_snapshots/*.json  IBM properties + configuration of a snapshot (for Aer's baseline), if any

Bitstrings are Qiskit-ordered (classical bit 0 rightmost, no spaces), of
exactly the circuit's number of classical bits; ``shots`` is the sum of the
counts. ``physical: true`` means the circuit is native and on physical qubits
and runs as given (``transpile=False``). A directory of archived IBM job JSON
files (qobj + result + properties) is also a dataset: :func:`load_dataset`
detects it.

Delay units: QPY (with the installed Qiskit) does not store a delay's unit --
``delay(1280, unit="ns")`` comes back as ``delay(1280, unit="dt")``, and a
non-integer ``delay(1.5, unit="us")`` does not load at all. So every delay
whose unit is not ``dt`` is written to QPY as ``delay(0, unit="dt")`` and its
duration and unit are stored in the circuit's ``delays`` list (``path`` =
instruction index, through control-flow blocks: ``[i, block, j, ...]``);
:func:`load_dataset` puts them back, so a save/load round trip is lossless.

:func:`load_dataset` validates everything before returning (pydantic schema
of ``dataset.json``, then: as many QPY circuits as entries; counts keys
bitstrings of the circuit's width, summing to ``shots``; answers of that
width; gate parameters finite and bound; snapshot keys known and snapshot
files inside the folder; delay records pointing at delays). Every problem is
a :class:`~qpu_twin.errors.DataError` naming the file, the path and the value.
"""

from __future__ import annotations

import io
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError
from qiskit import QuantumCircuit

from ..errors import (ArgumentError, DataError, ProfileError, check_instance, check_int, check_path, check_sequence,
                      check_str, short_repr)
from ..files import write_bytes_atomic, write_text_atomic
from ..paths import resolve_shipped
from ..profiles.model import DeviceProfile
from ..profiles.store import read_profile_file, save_profile
from ..safeparse import read_json
from .records import MeasuredCircuit
from .schema import BITS_RE, Count, Finite, Index, fail, validation_error

SCHEMA_VERSION = 2
#: Units a delay may have (Qiskit's).
DELAY_UNITS = ("s", "ms", "us", "ns", "ps", "dt")
_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._:+-]*$")


@dataclass(frozen=True)
class HardwareDataset:
    """Circuits with measured counts, the device, and calibration snapshots keyed by name.

    ``raw_snapshots`` optionally keeps what a baseline needs beyond the profile
    (IBM properties/configuration dicts for Aer's ``from_backend_properties``,
    or the live backend object for ``from_backend``).
    """

    name: str
    device: str
    date: str
    circuits: tuple[MeasuredCircuit, ...]
    snapshots: dict[str, DeviceProfile] = field(default_factory=dict, repr=False)
    raw_snapshots: dict[str, Any] = field(default_factory=dict, repr=False)
    source: str = ""

    def subset(self, n: int | None) -> "HardwareDataset":
        """The dataset with only its first ``n`` circuits (all of them for ``None``)."""
        n = check_int("n", n, minimum=0, allow_none=True)
        if n is None:
            return self
        return HardwareDataset(self.name, self.device, self.date, self.circuits[:n], self.snapshots,
                               self.raw_snapshots, self.source)


# ---------------------------------------------------------------------- schema of dataset.json
class DelayRecord(BaseModel):
    """The duration and unit of one delay (QPY does not keep the unit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: tuple[Index, ...]
    duration: Finite | None
    unit: Literal["s", "ms", "us", "ns", "ps", "dt"]


class DatasetCircuit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: StrictStr
    counts: dict[StrictStr, Count] | None = None
    shots: Count | None = None
    physical: StrictBool = False
    answer: StrictStr | None = None
    snapshot: StrictStr | None = None
    meta: dict[StrictStr, Any] = {}
    delays: tuple[DelayRecord, ...] = ()


class DatasetFile(BaseModel):
    """``dataset.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1, 2]
    name: StrictStr
    device: StrictStr
    date: StrictStr = ""
    source: StrictStr = ""
    snapshots: dict[StrictStr, StrictStr] = {}
    raw_snapshots: dict[StrictStr, StrictStr] = {}
    circuits: tuple[DatasetCircuit, ...]


class _Circuits(BaseModel):
    circuits: list[DatasetCircuit]


def _as_int(v):
    import numbers

    return int(v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else v


# ---------------------------------------------------------------------- delays <-> QPY
def _strip_delays(circuit, prefix=()):
    """A copy of ``circuit`` whose non-``dt`` delays are ``delay(0, "dt")``, and their records."""
    from qiskit.circuit import CircuitInstruction, ControlFlowOp, Delay
    from qiskit.circuit.parameterexpression import ParameterExpression

    records: list[dict] = []
    out = circuit.copy_empty_like()
    for i, inst in enumerate(circuit.data):
        op = inst.operation
        path = (*prefix, i)
        if isinstance(op, Delay) and op.unit != "dt":
            d = op.duration
            if isinstance(d, ParameterExpression):
                records.append({"path": list(path), "duration": None, "unit": op.unit})
                out._append(CircuitInstruction(Delay(d, unit="dt"), inst.qubits, inst.clbits))
                continue
            if isinstance(d, bool) or not isinstance(d, (int, float)) or not math.isfinite(float(d)):
                raise DataError(f"circuit {circuit.name!r}: instruction {list(path)}: delay duration "
                                f"{d!r} cannot be stored (a finite number or a parameter)")
            records.append({"path": list(path), "duration": d if isinstance(d, int) else float(d), "unit": op.unit})
            out._append(CircuitInstruction(Delay(0, unit="dt"), inst.qubits, inst.clbits))
        elif isinstance(op, ControlFlowOp):
            blocks = []
            for b, block in enumerate(op.blocks):
                nb, recs = _strip_delays(block, (*path, b))
                blocks.append(nb)
                records += recs
            out._append(CircuitInstruction(op.replace_blocks(blocks), inst.qubits, inst.clbits))
        else:
            out._append(inst)
    return out, records


def _restore_delays(circuit, records, where: str, parts: list):
    """Put the stored durations and units back into the delays named by ``records``."""
    from qiskit.circuit import CircuitInstruction, ControlFlowOp, Delay

    for r, rec in enumerate(records):
        target, path = circuit, list(rec.path)
        chain = []  # (circuit, index, op) down the blocks
        try:
            while len(path) > 1:
                i, b = path[0], path[1]
                op = target.data[i].operation
                if not isinstance(op, ControlFlowOp):
                    raise IndexError
                chain.append((target, i, op, b))
                target = op.blocks[b]
                path = path[2:]
            if len(path) != 1:
                raise IndexError
            inst = target.data[path[0]]
        except IndexError:
            raise fail(where, parts + ["delays", r, "path"], list(rec.path),
                       "does not name an instruction of the circuit in circuits.qpy") from None
        if not isinstance(inst.operation, Delay):
            raise fail(where, parts + ["delays", r, "path"], list(rec.path),
                       f"names a {inst.operation.name!r}, not a delay (circuits.qpy and dataset.json disagree)")
        duration = inst.operation.duration if rec.duration is None else rec.duration
        if rec.unit == "dt" and rec.duration is not None and not float(rec.duration).is_integer():
            raise fail(where, parts + ["delays", r, "duration"], rec.duration, "a delay in dt must be an integer")
        if rec.duration is not None and rec.duration < 0:
            raise fail(where, parts + ["delays", r, "duration"], rec.duration, "a delay must be >= 0")
        new = Delay(int(duration) if rec.unit == "dt" and rec.duration is not None else duration, unit=rec.unit)
        target.data[path[0]] = CircuitInstruction(new, inst.qubits, inst.clbits)
        # rebuild the control-flow ops upward (blocks are copied by replace_blocks)
        for parent, i, op, b in reversed(chain):
            blocks = list(op.blocks)
            blocks[b] = target
            op = op.replace_blocks(blocks)
            pinst = parent.data[i]
            parent.data[i] = CircuitInstruction(op, pinst.qubits, pinst.clbits)
            target = parent
    return circuit


# ---------------------------------------------------------------------- checks shared by save and load
def _check_circuit(qc, c: DatasetCircuit, where: str, parts: list) -> None:
    from qiskit.circuit import ParameterExpression

    width = qc.num_clbits
    if c.counts is not None:
        total = 0
        for key, n in c.counts.items():
            if not (BITS_RE.match(key) or (key == "" and width == 0)):
                raise fail(where, parts + ["counts"], key, "a counts key must be a bitstring of 0 and 1 (no spaces)")
            if len(key) != width:
                raise fail(where, parts + ["counts"], key, f"has {len(key)} bits but the circuit has {width} "
                           "classical bits")
            total += n
        if total < 1:
            raise fail(where, parts + ["counts"], c.counts, "no shots (give null for a circuit without counts)")
        if c.shots is not None and c.shots != total:
            raise fail(where, parts + ["shots"], c.shots, f"but the counts sum to {total}")
    if c.answer is not None and (not BITS_RE.match(c.answer) or len(c.answer) != width):
        raise fail(where, parts + ["answer"], c.answer, f"must be a bitstring of the circuit's {width} classical bits")
    if qc.parameters:
        raise fail(where, parts + ["name"], c.name, f"the circuit has unbound parameters "
                   f"{sorted(p.name for p in qc.parameters)[:5]}")
    for k, inst in enumerate(qc.data):
        for p in inst.operation.params:
            if isinstance(p, ParameterExpression) or isinstance(p, bool):
                continue
            if isinstance(p, (int, float, complex)) and not all(math.isfinite(x) for x in (complex(p).real,
                                                                                          complex(p).imag)):
                raise fail(where, parts + ["name"], c.name, f"instruction {k} ({inst.operation.name}) has the "
                           f"non-finite parameter {p!r}")


def _snapshot_path(folder: Path, rel: str, where: str, parts: list) -> Path:
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts:
        raise fail(where, parts, rel, "must be a relative path inside the dataset folder")
    return folder / p


# ---------------------------------------------------------------------- save
def save_dataset(ds: HardwareDataset, folder) -> Path:
    """Write ``ds`` in the documented directory format (atomic files; validated before writing).

    Raw snapshots that are IBM (properties, configuration) dicts are written;
    others (a live backend object) cannot be and are left out with a warning.
    """
    from qiskit import qpy

    check_instance("ds", ds, HardwareDataset)
    folder = check_path("folder", folder)
    where = str(folder / "dataset.json")
    stripped, entries = [], []
    for i, c in enumerate(ds.circuits):
        qc, delays = _strip_delays(c.circuit)
        try:
            meta = json.loads(json.dumps(c.meta, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise fail(where, ["circuits", i, "meta"], c.meta, f"cannot be stored as JSON: {exc}") from None
        counts = None if c.counts is None else {k: _as_int(v) for k, v in c.counts.items()}
        entries.append({"name": c.name, "counts": counts, "shots": c.shots if c.counts else None,
                        "physical": c.physical, "answer": c.answer, "snapshot": c.snapshot, "meta": meta,
                        "delays": delays})
        stripped.append(qc)
    try:
        models = _Circuits.model_validate({"circuits": entries}).circuits
    except ValidationError as exc:
        raise validation_error(exc, {"circuits": entries}, where) from None
    names: set[str] = set()
    for i, (c, model) in enumerate(zip(ds.circuits, models)):
        parts = ["circuits", i]
        if c.name in names:
            raise fail(where, parts + ["name"], c.name, "two circuits have this name")
        names.add(c.name)
        _check_circuit(c.circuit, model, where, parts)
        if c.snapshot is not None and c.snapshot not in ds.snapshots:
            raise fail(where, parts + ["snapshot"], c.snapshot, "is not one of the dataset's snapshots")
    snaps, raws = {}, {}
    for key in ds.snapshots:
        if not _KEY_RE.match(key):
            raise fail(where, ["snapshots"], key, "a snapshot key must be letters, digits and ._:+- (a file name)")
    (folder / "snapshots").mkdir(parents=True, exist_ok=True)
    for key, prof in ds.snapshots.items():
        rel = f"snapshots/{key}.yaml"
        save_profile(prof, folder / rel)
        snaps[key] = rel
    skipped = []
    for key, raw in ds.raw_snapshots.items():
        if isinstance(raw, tuple) and len(raw) == 2 and all(isinstance(x, dict) for x in raw) and _KEY_RE.match(key):
            rel = f"raw_snapshots/{key}.json"
            try:
                text = json.dumps({"properties": raw[0], "configuration": raw[1]}, allow_nan=False)
            except (TypeError, ValueError):
                skipped.append(key)
                continue
            write_text_atomic(folder / rel, text)
            raws[key] = rel
        else:
            skipped.append(key)
    if skipped:
        warnings.warn(f"save_dataset: raw snapshots {skipped} (e.g. live backend objects) cannot be stored; the "
                      "saved dataset has only their profiles", stacklevel=2)
    buf = io.BytesIO()
    qpy.dump(stripped, buf)
    write_bytes_atomic(folder / "circuits.qpy", buf.getvalue())
    meta = {"schema_version": SCHEMA_VERSION, "name": ds.name, "device": ds.device, "date": ds.date,
            "source": ds.source, "snapshots": snaps, "raw_snapshots": raws, "circuits": entries}
    write_text_atomic(folder / "dataset.json", json.dumps(meta, indent=1, allow_nan=False))
    return folder


# ---------------------------------------------------------------------- load
def load_dataset(path) -> HardwareDataset:
    """Load a dataset directory (own format or IBM job archive) or a single IBM job file.

    A relative ``calibration_data/...`` path that does not exist from the current folder is
    found among the data shipped with qpu_twin.
    """
    path = resolve_shipped(check_path("path", path))
    if not path.exists():
        raise DataError(f"dataset {str(path)!r} does not exist")
    if path.is_dir() and (path / "dataset.json").is_file():
        return _load_own(path)
    files = [path] if path.is_file() else sorted(path.glob("*.json"))
    if not files:
        raise DataError(f"{path}: no dataset.json and no IBM job *.json files")
    return _load_ibm(files, path)


def _load_own(folder: Path) -> HardwareDataset:
    from qiskit import qpy

    where = str(folder / "dataset.json")
    data = read_json(folder / "dataset.json", error=DataError, what="dataset file")
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected a JSON object at the top level, got {type(data).__name__}")
    if data.get("schema_version") not in (1, 2):
        raise DataError(f"{where}: schema_version={data.get('schema_version')!r}, expected 1 or 2")
    try:
        meta = DatasetFile.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, where, known=set(DatasetFile.model_fields)) from None
    qpy_path = folder / "circuits.qpy"
    if not qpy_path.is_file():
        raise DataError(f"{qpy_path}: missing (the dataset's circuits)")
    try:
        with open(qpy_path, "rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            circuits = qpy.load(fh)
    except Exception as exc:  # noqa: BLE001 - any failure of the binary parser on a corrupt file
        raise DataError(f"{qpy_path}: not a readable QPY file ({type(exc).__name__}: {str(exc)[:120]})") from None
    if len(circuits) != len(meta.circuits):
        raise DataError(f"{folder}: {len(circuits)} circuits in circuits.qpy but {len(meta.circuits)} entries in "
                        "dataset.json")
    snaps = {}
    for key, rel in meta.snapshots.items():
        p = _snapshot_path(folder, rel, where, ["snapshots", key])
        try:
            snaps[key] = read_profile_file(p)
        except ProfileError as exc:
            raise DataError(f"{where}: snapshots[{key!r}]: {exc}") from None
    raws = {}
    for key, rel in meta.raw_snapshots.items():
        p = _snapshot_path(folder, rel, where, ["raw_snapshots", key])
        raw = read_json(p, error=DataError, what="raw snapshot file")
        if not (isinstance(raw, dict) and isinstance(raw.get("properties"), dict)
                and isinstance(raw.get("configuration"), dict)):
            raise DataError(f"{p}: expected an object with 'properties' and 'configuration' objects")
        raws[key] = (raw["properties"], raw["configuration"])
    out, names = [], set()
    for i, (qc, c) in enumerate(zip(circuits, meta.circuits)):
        parts = ["circuits", i]
        if c.name in names:
            raise fail(where, parts + ["name"], c.name, "two circuits have this name")
        names.add(c.name)
        if c.delays:
            qc = _restore_delays(qc, c.delays, where, parts)
        _check_circuit(qc, c, where, parts)
        if c.snapshot is not None and c.snapshot not in snaps:
            raise fail(where, parts + ["snapshot"], c.snapshot, f"is not in snapshots ({sorted(snaps)})")
        out.append(MeasuredCircuit(c.name, qc, dict(c.counts) if c.counts is not None else None, c.physical,
                                   c.answer, c.snapshot, dict(c.meta)))
    return HardwareDataset(meta.name, meta.device, meta.date, tuple(out), snaps, raws, meta.source or str(folder))


def _load_ibm(files: list[Path], path: Path) -> HardwareDataset:
    from .ibm_jobs import load_ibm_job, profile_from_job

    circuits, snaps, raws, device, dates = [], {}, {}, "", []
    for f in files:
        job = load_ibm_job(f)
        key = str(job.properties.get("last_update_date", job.job_id)).replace(" [tzlocal]", "")
        if job.properties and key not in snaps:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                snaps[key] = profile_from_job(job, source=f"{f.name} (archived snapshot)")
            raws[key] = (job.properties, job.configuration)
        device = device or job.backend_name
        dates.append(job.date)
        for hc in job.circuits:
            circuits.append(MeasuredCircuit(hc.name, hc.circuit, hc.counts, True, None,
                                            key if job.properties else None,
                                            {"job_id": job.job_id, "date": str(job.date)}))
    return HardwareDataset(path.name, device, min(dates) if dates else "", tuple(circuits), snaps, raws,
                           f"IBM job archive {path}")


def dataset_from_backend(backend, circuits, *, shots: int = 4000, seed: int | None = None,
                         name: str | None = None) -> HardwareDataset:
    """Run circuits on a live Qiskit backend standing in for hardware and collect a dataset.

    The circuits are transpiled for the backend; the dataset's snapshot is the
    backend imported as a profile (and the backend itself, for Aer's
    ``NoiseModel.from_backend`` baseline).
    """
    from datetime import datetime, timezone

    from qiskit import transpile

    if not (hasattr(backend, "target") and hasattr(backend, "run")):
        raise ArgumentError(f"backend={short_repr(backend)}: must be a Qiskit BackendV2 (got {type(backend).__name__})")
    circuits = check_sequence("circuits", circuits, of=(MeasuredCircuit, QuantumCircuit),
                              what="QuantumCircuit or MeasuredCircuit", allow_empty=False)
    shots = check_int("shots", shots, minimum=1, maximum=10**15)  # qpu_twin.twin.MAX_SHOTS
    check_int("seed", seed, minimum=0, maximum=2**63 - 1, allow_none=True)
    check_str("name", name, allow_none=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prof = DeviceProfile.from_qiskit_backend(backend)
    items = [c if isinstance(c, MeasuredCircuit) else MeasuredCircuit(c.name, c) for c in circuits]
    tq = transpile([c.circuit for c in items], backend, seed_transpiler=seed or 0, optimization_level=1)
    run_kw = {"shots": shots}
    if seed is not None:
        run_kw["seed_simulator"] = seed
    result = backend.run(tq, **run_kw).result()
    out = []
    for i, (c, t) in enumerate(zip(items, tq)):
        counts = {k.replace(" ", ""): v for k, v in result.get_counts(i).items()}
        out.append(MeasuredCircuit(c.name, t, counts, True, c.answer, "backend", c.meta))
    return HardwareDataset(name or f"live_{backend.name}", prof.name, datetime.now(timezone.utc).date().isoformat(),
                           tuple(out), {"backend": prof}, {"backend": backend}, f"live run on {backend.name}")
