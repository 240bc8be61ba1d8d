"""Hardware datasets: circuits that ran on a device, with measured counts and the calibration snapshot.

On-disk format (a directory, ``schema_version`` 1)::

    my_dataset/
      dataset.json     {"schema_version": 1, "name", "device", "date", "source",
                        "snapshots": {KEY: "snapshots/KEY.yaml", ...},
                        "circuits": [{"name", "counts": {bitstring: n}, "shots",
                                      "physical": bool, "answer": bitstring | null,
                                      "snapshot": KEY | null}, ...]}
      circuits.qpy     the circuits, in the same order (Qiskit QPY)
      snapshots/*.yaml device profiles (qpu_twin format)

Bitstrings are Qiskit-ordered (classical bit 0 rightmost, no spaces).
``physical: true`` means the circuit is native and on physical qubits and runs
as given (``transpile=False``). A directory of archived IBM job JSON files
(qobj + result + properties) is also a dataset: :func:`load_dataset` detects it.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qiskit import QuantumCircuit

from ..errors import ArgumentError, DataError, check_instance, check_int, check_path, check_sequence, check_str, short_repr
from ..paths import resolve_shipped
from ..files import read_json_object, replaced_atomically, require_fields, write_text_atomic
from ..profiles.model import DeviceProfile
from ..profiles.store import read_profile_file, save_profile
from .records import MeasuredCircuit

SCHEMA_VERSION = 1


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


def save_dataset(ds: HardwareDataset, folder) -> Path:
    """Write ``ds`` in the documented directory format (each file atomically)."""
    from qiskit import qpy

    check_instance("ds", ds, HardwareDataset)
    folder = check_path("folder", folder)
    (folder / "snapshots").mkdir(parents=True, exist_ok=True)
    snaps = {}
    for key, prof in ds.snapshots.items():
        rel = f"snapshots/{key}.yaml"
        save_profile(prof, folder / rel)
        snaps[key] = rel
    with replaced_atomically(folder / "circuits.qpy") as tmp, open(tmp, "wb") as fh:
        qpy.dump([c.circuit for c in ds.circuits], fh)
    meta = {
        "schema_version": SCHEMA_VERSION, "name": ds.name, "device": ds.device, "date": ds.date, "source": ds.source,
        "snapshots": snaps,
        "circuits": [{"name": c.name, "counts": c.counts, "shots": c.shots, "physical": c.physical,
                      "answer": c.answer, "snapshot": c.snapshot} for c in ds.circuits],
    }
    write_text_atomic(folder / "dataset.json", json.dumps(meta, indent=1))
    return folder


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

    label = f"{folder}/dataset.json"
    meta = read_json_object(folder / "dataset.json", error=DataError, label=label)
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise DataError(f"{label}: schema_version={meta.get('schema_version')!r}, expected {SCHEMA_VERSION}")
    require_fields(meta, ("name", "device", "circuits"), error=DataError, label=label)
    with open(folder / "circuits.qpy", "rb") as fh:
        circuits = qpy.load(fh)
    if len(circuits) != len(meta["circuits"]):
        raise DataError(f"{folder}: {len(circuits)} circuits in circuits.qpy but {len(meta['circuits'])} entries")
    snaps = {k: read_profile_file(folder / rel) for k, rel in meta.get("snapshots", {}).items()}
    out = []
    for i, (qc, c) in enumerate(zip(circuits, meta["circuits"])):
        counts = c.get("counts")
        if counts is not None and not isinstance(counts, dict):
            raise DataError(f"{folder}/dataset.json: circuits[{i}].counts is not a mapping of counts")
        if c.get("snapshot") and c["snapshot"] not in snaps:
            raise DataError(f"{folder}: circuits[{i}].snapshot={c['snapshot']!r} is not in snapshots")
        try:
            out.append(MeasuredCircuit(c.get("name", f"c{i}"), qc, counts, bool(c.get("physical")), c.get("answer"),
                                       c.get("snapshot")))
        except ArgumentError as exc:  # a malformed entry of the file (e.g. a negative or fractional count)
            raise DataError(f"{folder}/dataset.json: circuits[{i}]: {exc}") from None
    return HardwareDataset(meta["name"], meta["device"], meta.get("date", ""), tuple(out), snaps, {},
                           meta.get("source", str(folder)))


def _load_ibm(files: list[Path], path: Path) -> HardwareDataset:
    from .ibm_jobs import load_ibm_job

    circuits, snaps, raws, device, dates = [], {}, {}, "", []
    for f in files:
        job = load_ibm_job(f)
        key = str(job.properties.get("last_update_date", job.job_id)).replace(" [tzlocal]", "")
        if job.properties and key not in snaps:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                snaps[key] = DeviceProfile.from_ibm_properties(job.properties, job.configuration,
                                                               source=f"{f.name} (archived snapshot)")
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
