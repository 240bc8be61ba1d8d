"""Import legacy IBM ``backend_properties`` + ``backend_configuration`` JSON dicts.

This is the format IBM Quantum served before Qiskit's ``Target`` (and the one
archived with old jobs, e.g. ``calibration_data/ibm_repetition_codes_2022``).
Dates there may carry a ``" [tzlocal]"`` suffix: the archiving machine's local
zone, which is not recoverable; such dates are read as UTC and the assumption
is recorded in ``provenance.adjustments``.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import ProfileError
from ..gates import GATE_SPECS
from ._common import (
    DEFAULT_READOUT_DURATION_NS,
    ImportLog,
    fill_readout_durations,
    finalize_gate,
    finalize_qubit,
    ibm_gate_values,
    ibm_qubit_values,
    ibm_zz_terms,
    parse_timestamp,
    qpu_twin_version,
    readout_from_average,
    split_instructions,
)


def _as_dict(obj: Any, what: str) -> dict[str, Any]:
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    if not isinstance(obj, dict):
        raise ProfileError(f"{what} must be a dict (IBM JSON), got {type(obj).__name__}")
    return obj


def profile_data_from_ibm_properties(
    properties: dict[str, Any],
    configuration: dict[str, Any],
    *,
    name: str | None = None,
    source: str | None = None,
    default_readout_duration_ns: float = DEFAULT_READOUT_DURATION_NS,
) -> tuple[dict[str, Any], ImportLog]:
    """Build a :class:`DeviceProfile` from legacy IBM properties/configuration dicts.

    Parameters
    ----------
    properties : dict
        ``backend_properties``: ``qubits``, ``gates``, ``general``, ``last_update_date``.
    configuration : dict
        ``backend_configuration``: ``n_qubits``, ``basis_gates``, ``coupling_map``, ``dt`` (s).
    name : str, optional
        Profile name (default: ``backend_name``).
    source : str, optional
        Where the dicts came from (file path), for the provenance.
    """
    props = _as_dict(properties, "properties")
    conf = _as_dict(configuration, "configuration")
    for key in ("qubits", "gates", "last_update_date"):
        if key not in props:
            raise ProfileError(f"backend_properties: missing field {key!r}")
    for key in ("n_qubits", "basis_gates"):
        if key not in conf:
            raise ProfileError(f"backend_configuration: missing field {key!r}")
    n = int(conf["n_qubits"])
    pname = name or props.get("backend_name") or conf.get("backend_name")
    if not pname:
        raise ProfileError("backend_properties: no 'backend_name' and no name= given")
    log = ImportLog(pname)

    coupling = conf.get("coupling_map") or []
    if isinstance(coupling, str):
        try:
            coupling = json.loads(coupling)
        except json.JSONDecodeError:
            raise ProfileError(f"backend_configuration.coupling_map is not a list: {coupling[:60]!r}") from None
    conf_edges = {tuple(int(q) for q in e) for e in coupling}

    # ---- qubits
    qubits = ibm_qubit_values(props, n)
    gate_vals = ibm_gate_values(props)
    for q in qubits:
        readout_from_average(q, log)
        r = gate_vals.get(("reset", (q["index"],)))
        if r:
            if "duration_ns" in r:
                q["reset_duration_ns"] = r["duration_ns"]
            if "error" in r:
                q["reset_error"] = r["error"]
    fill_readout_durations(qubits, log, default_readout_duration_ns)
    for q in qubits:
        finalize_qubit(q, log)

    # ---- gates: every calibrated entry of a basis gate
    basis = set(conf["basis_gates"]) | {g for g, _ in gate_vals}
    gate_names, control_flow = split_instructions(basis, log)
    gates: list[dict[str, Any]] = []
    edges: set[tuple[int, int]] = set()
    for (gname, qargs), vals in sorted(gate_vals.items()):
        if gname not in gate_names:
            continue
        spec = GATE_SPECS[gname]
        if len(qargs) != spec.num_qubits:
            log.adjust("device", "gates", f"{gname}{qargs}", None, "arity differs from the gate's: not imported")
            continue
        gates.append(finalize_gate(gname, qargs, vals.get("error"), vals.get("duration_ns"), log))
        if spec.num_qubits == 2:
            edges.add(qargs)
    missing = sorted(e for e in edges if e not in conf_edges)
    if missing:
        raise ProfileError(
            f"{pname}: backend_properties has two-qubit gates on pairs {missing} absent from "
            f"backend_configuration.coupling_map"
        )
    uncalibrated = sorted(e for e in conf_edges if e not in edges)
    for e in uncalibrated:
        log.adjust(
            "coupling_map", str(list(e)), "edge", None, "edge in configuration has no calibrated gate: not imported"
        )

    zz = ibm_zz_terms(props.get("general", []), edges, n, log)
    ts = parse_timestamp(props["last_update_date"], where="backend_properties.last_update_date", log=log)
    dt = conf.get("dt")
    processor = conf.get("processor_type") or {}
    notes = [
        f"backend_name={props.get('backend_name')!r} backend_version={props.get('backend_version')!r} "
        f"last_update_date={props.get('last_update_date')!r}"
    ]
    if processor:
        notes.append(f"processor_type={processor}")
    data = {
        "name": pname,
        "vendor": "IBM",
        "technology": "superconducting",
        "timestamp": ts,
        "num_qubits": n,
        "dt_ns": float(dt) * 1e9 if dt else None,
        "qubits": qubits,
        "gates": gates,
        "coupling_map": sorted(edges),
        "crosstalk": {"zz": zz},
        "control_flow": control_flow,
        "provenance": {
            "source": source or "IBM backend_properties / backend_configuration JSON",
            "method": "DeviceProfile.from_ibm_properties (legacy IBM properties JSON)",
            "imported_with": qpu_twin_version(),
            "notes": notes,
            "adjustments": log.adjustments,
        },
    }
    return data, log
