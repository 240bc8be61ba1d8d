"""Readable summaries of a profile: medians, worst qubits and gates."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model calls this module: no runtime import back
    from .model import DeviceProfile


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def profile_summary(p: DeviceProfile, *, worst: int = 3) -> dict[str, Any]:
    """A JSON-compatible summary (what ``qpu-twin profile show`` prints)."""
    ops = [q for q in p.qubits if q.operational]
    t1 = [q.t1_us for q in ops if q.t1_us is not None]
    t2 = [q.t2_us for q in ops if q.t2_us is not None]
    ro = [q.readout_error for q in ops if q.readout_error is not None]
    gates: dict[str, Any] = {}
    for name in p.native_gates:
        entries = [g for g in p.gates_named(name)]
        live = [g for g in entries if g.operational and g.error is not None]
        errs = [g.error for g in live]
        durs = [g.duration_ns for g in entries if g.duration_ns is not None]
        worst_g = sorted(live, key=lambda g: g.error, reverse=True)[:worst]
        gates[name] = {
            "count": len(entries),
            "non_operational": sum(1 for g in entries if not g.operational),
            "median_error": _median(errs),
            "median_duration_ns": _median(durs),
            "worst": [{"qubits": list(g.qubits), "error": g.error} for g in worst_g] if errs and max(errs) > 0 else [],
        }
    worst_t1 = sorted((q for q in ops if q.t1_us is not None), key=lambda q: q.t1_us)[:worst]
    worst_t2 = sorted((q for q in ops if q.t2_us is not None), key=lambda q: q.t2_us)[:worst]
    worst_ro = sorted((q for q in ops if q.readout_error is not None), key=lambda q: q.readout_error, reverse=True)[
        :worst
    ]
    zz = [abs(t.zz_khz) for t in p.crosstalk.zz]
    return {
        "name": p.name,
        "vendor": p.vendor,
        "technology": p.technology.value,
        "timestamp": p.timestamp.isoformat(),
        "num_qubits": p.num_qubits,
        "operational_qubits": len(ops),
        "native_gates": list(p.native_gates),
        "coupling_edges": len(p.coupling_map),
        "median_t1_us": _median(t1),
        "median_t2_us": _median(t2),
        "median_readout_error": _median(ro),
        "median_readout_duration_ns": _median([q.readout_duration_ns for q in ops if q.readout_duration_ns]),
        "median_abs_zz_khz": _median(zz),
        "zz_pairs": len(zz),
        "gates": gates,
        "worst_qubits": {
            "t1_us": [{"qubit": q.index, "t1_us": q.t1_us} for q in worst_t1],
            "t2_us": [{"qubit": q.index, "t2_us": q.t2_us} for q in worst_t2],
            "readout_error": [{"qubit": q.index, "readout_error": q.readout_error} for q in worst_ro],
        },
        "adjustments": len(p.provenance.adjustments),
        "source": p.provenance.source,
        "fingerprint": p.fingerprint,
    }
