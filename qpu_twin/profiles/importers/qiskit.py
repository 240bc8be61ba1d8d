"""Import a profile from any Qiskit ``BackendV2`` with a ``Target``.

The Target gives T1/T2/frequency (``qubit_properties``), gate errors and
durations, readout error and duration, reset duration and the coupling graph.
When the backend also carries an IBM ``properties()`` snapshot (IBM Runtime
backends and every ``qiskit_ibm_runtime.fake_provider`` fake backend), the
importer adds what the Target lacks: asymmetric readout p(0|1)/p(1|0),
anharmonicity, static ZZ, and the snapshot date.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ...errors import ProfileError
from ..gates import GATE_SPECS
from ._common import (
    DEFAULT_READOUT_DURATION_NS,
    ImportLog,
    fill_readout_durations,
    finalize_gate,
    finalize_qubit,
    ibm_qubit_values,
    ibm_zz_terms,
    parse_timestamp,
    qpu_twin_version,
    readout_from_average,
    split_instructions,
)


def _properties_dict(backend) -> dict[str, Any] | None:
    getter = getattr(backend, "properties", None)
    if not callable(getter):
        return None
    try:
        props = getter()
    except Exception:  # noqa: BLE001 - a backend without a snapshot
        return None
    if props is None:
        return None
    return props.to_dict() if hasattr(props, "to_dict") else dict(props)


def _vendor_from_name(name: str) -> str:
    return "IBM" if name.startswith(("ibm", "fake_")) else "unknown"


def profile_data_from_qiskit_backend(
    backend,
    *,
    name: str | None = None,
    vendor: str | None = None,
    technology: str = "superconducting",
    timestamp: datetime | None = None,
    default_readout_duration_ns: float = DEFAULT_READOUT_DURATION_NS,
) -> tuple[dict[str, Any], ImportLog]:
    """Build a :class:`DeviceProfile` from a Qiskit ``BackendV2``.

    Parameters
    ----------
    backend : qiskit.providers.BackendV2
        Any backend with a ``target``; e.g. ``FakeSherbrooke()``.
    name : str, optional
        Profile name. Default: the snapshot's ``backend_name`` (``ibm_sherbrooke``)
        or ``backend.name``.
    timestamp : datetime, optional
        Snapshot time when the backend carries none (default: the snapshot's
        ``last_update_date``; failing that, the import time, recorded).
    default_readout_duration_ns : float
        Used only when no qubit has a readout duration (recorded).

    Returns
    -------
    DeviceProfile
        Validated; every adjusted source value is in ``provenance.adjustments``.
    """
    target = getattr(backend, "target", None)
    if target is None:
        raise ProfileError(f"backend {getattr(backend, 'name', backend)!r} has no Target (a BackendV2 is required)")
    props = _properties_dict(backend)
    n = int(target.num_qubits)
    pname = name or (props or {}).get("backend_name") or backend.name
    log = ImportLog(pname)

    # ---- qubits: Target first, snapshot fills the gaps
    snap_q = ibm_qubit_values(props, n) if props and props.get("qubits") else [{"index": i} for i in range(n)]
    qprops = target.qubit_properties or [None] * n
    measure = target["measure"] if "measure" in target.operation_names else {}
    reset = target["reset"] if "reset" in target.operation_names else {}
    qubits: list[dict[str, Any]] = []
    for i in range(n):
        q: dict[str, Any] = {"index": i}
        qp = qprops[i] if i < len(qprops) else None
        if qp is not None:
            if getattr(qp, "t1", None) is not None:
                q["t1_us"] = qp.t1 * 1e6
            if getattr(qp, "t2", None) is not None:
                q["t2_us"] = qp.t2 * 1e6
            if getattr(qp, "frequency", None) is not None:
                q["frequency_ghz"] = qp.frequency * 1e-9
        s = snap_q[i]
        for key in ("t1_us", "t2_us", "frequency_ghz", "anharmonicity_ghz", "operational"):
            if key not in q and key in s:
                q[key] = s[key]
        m = measure.get((i,)) if measure else None
        if m is not None and m.duration is not None:
            q["readout_duration_ns"] = m.duration * 1e9
        elif s.get("readout_duration_ns"):
            q["readout_duration_ns"] = s["readout_duration_ns"]
        for key in ("prob_meas1_prep0", "prob_meas0_prep1"):
            if key in s:
                q[key] = s[key]
        avg = m.error if (m is not None and m.error is not None) else s.get("_readout_error")
        if avg is not None:
            q["_readout_error"] = avg
        readout_from_average(q, log)
        r = reset.get((i,)) if reset else None
        if r is not None:
            if r.duration is not None:
                q["reset_duration_ns"] = r.duration * 1e9
            if r.error is not None:
                q["reset_error"] = r.error
        qubits.append(q)
    fill_readout_durations(qubits, log, default_readout_duration_ns)
    for q in qubits:
        finalize_qubit(q, log)

    # ---- gates and coupling
    gate_names, control_flow = split_instructions(target.operation_names, log)
    gates: list[dict[str, Any]] = []
    edges: list[tuple[int, int]] = []
    for gname in gate_names:
        spec = GATE_SPECS[gname]
        for qargs, ip in sorted((target[gname] or {}).items(), key=lambda kv: kv[0] or ()):
            if qargs is None:
                continue
            if len(qargs) != spec.num_qubits:
                log.adjust("device", "gates", f"{gname}{qargs}", None, "arity differs from the gate's: not imported")
                continue
            err = None if ip is None else ip.error
            dur = None if (ip is None or ip.duration is None) else ip.duration * 1e9
            gates.append(finalize_gate(gname, tuple(qargs), err, dur, log))
            if spec.num_qubits == 2 and tuple(qargs) not in edges:
                edges.append(tuple(qargs))
    edges.sort()

    zz = ibm_zz_terms((props or {}).get("general", []), set(edges), n, log) if props else []

    # ---- when
    if timestamp is not None:
        ts = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc)
    elif props and props.get("last_update_date"):
        ts = parse_timestamp(props["last_update_date"], where="properties.last_update_date", log=log)
    else:
        ts = datetime.now(timezone.utc).replace(microsecond=0)
        log.adjust("device", "timestamp", None, ts.isoformat(), "backend carries no calibration date: import time used")

    dt = getattr(target, "dt", None)
    source = f"Qiskit backend {backend.name!r} ({type(backend).__module__}.{type(backend).__name__})"
    notes = []
    if props:
        notes.append(
            f"IBM calibration snapshot backend_name={props.get('backend_name')!r} "
            f"backend_version={props.get('backend_version')!r} last_update_date={str(props.get('last_update_date'))!r}"
        )
    data = {
        "name": pname,
        "vendor": vendor or _vendor_from_name(str(pname)),
        "technology": technology,
        "timestamp": ts,
        "num_qubits": n,
        "dt_ns": dt * 1e9 if dt else None,
        "qubits": qubits,
        "gates": gates,
        "coupling_map": edges,
        "crosstalk": {"zz": zz},
        "control_flow": control_flow,
        "provenance": {
            "source": source,
            "method": "DeviceProfile.from_qiskit_backend: Target (qubit_properties, instruction properties)"
            + (" + properties() snapshot (readout asymmetry, anharmonicity, ZZ, date)" if props else ""),
            "imported_with": qpu_twin_version(),
            "notes": notes,
            "adjustments": log.adjustments,
        },
    }
    return data, log
