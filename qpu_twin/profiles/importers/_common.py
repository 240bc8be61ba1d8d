"""Shared machinery of the importers: unit conversion, IBM property parsing,
and the explicit, recorded adjustments of values a strict model must not take
at face value.

Adjustment rules (documented in ``docs/profiles.md``; every application is
recorded in ``provenance.adjustments`` and announced by one
:class:`~qpu_twin.errors.ProfileWarning` per import that names each change):

* ``T2 > 2*T1`` (fit noise in the source): ``t2_us := 2*t1_us`` (no pure
  dephasing).
* T1 or T2 missing, or readout with p(0|1) + p(1|0) >= 1 (assignment carries
  no information): the qubit is marked ``operational: false``.
* Gate error >= the maximal average infidelity d/(d+1) (IBM writes 1.0 for a
  dead gate) or missing: the gate is kept, marked ``operational: false`` and
  its error set to ``None``.
* Readout duration missing: the median of the device's other qubits, or
  ``default_readout_duration_ns`` if none has one.
* Instructions without a known gate name (``measure_2``, ...): not imported.
"""

from __future__ import annotations

import re
import statistics
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..._version import __version__
from ...errors import ProfileError, ProfileWarning
from ..gates import CONTROL_FLOW, GATE_SPECS, NON_GATE_INSTRUCTIONS, max_average_infidelity

#: Used only when a source gives no readout duration for any qubit (old IBM
#: snapshots): a typical 2019-2020 IBM readout length. Recorded when used.
DEFAULT_READOUT_DURATION_NS = 3500.0

_TIME_TO_US = {"s": 1e6, "ms": 1e3, "us": 1.0, "µs": 1.0, "μs": 1.0, "ns": 1e-3}
_TIME_TO_NS = {k: v * 1e3 for k, v in _TIME_TO_US.items()}
_FREQ_TO_GHZ = {"hz": 1e-9, "khz": 1e-6, "mhz": 1e-3, "ghz": 1.0}


def time_to_us(value: float, unit: str, where: str) -> float:
    try:
        return float(value) * _TIME_TO_US[unit.strip()]
    except KeyError:
        raise ProfileError(f"{where}: unknown time unit {unit!r} (known: {sorted(_TIME_TO_US)})") from None


def time_to_ns(value: float, unit: str, where: str) -> float:
    try:
        return float(value) * _TIME_TO_NS[unit.strip()]
    except KeyError:
        raise ProfileError(f"{where}: unknown time unit {unit!r} (known: {sorted(_TIME_TO_NS)})") from None


def freq_to_ghz(value: float, unit: str, where: str) -> float:
    try:
        return float(value) * _FREQ_TO_GHZ[unit.strip().lower()]
    except KeyError:
        raise ProfileError(f"{where}: unknown frequency unit {unit!r} (known: Hz, kHz, MHz, GHz)") from None


def parse_timestamp(value: Any, *, where: str, log: "ImportLog | None" = None) -> datetime:
    """Parse an IBM-style date (datetime, ISO string, or ISO string with ``" [tzlocal]"``).

    A timestamp without a zone (or with IBM's unresolvable ``[tzlocal]``
    marker) is taken as UTC; when ``log`` is given the assumption is recorded.
    """
    if isinstance(value, datetime):
        dt = value
        raw = value.isoformat()
    elif isinstance(value, str):
        raw = value
        text = re.sub(r"\s*\[tzlocal\]\s*$", "", value.strip())
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ProfileError(f"{where}: cannot parse date {value!r}") from None
    else:
        raise ProfileError(f"{where}: date must be a string or datetime, got {value!r}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=timezone.utc)
        if log is not None:
            log.adjust(
                "device",
                "timestamp",
                raw,
                dt.isoformat(),
                "source date has no resolvable time zone ('[tzlocal]' or none): interpreted as UTC",
                warn=False,
            )
    return dt


@dataclass
class ImportLog:
    """Collects the adjustments of one import and emits one warning naming them."""

    device: str
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    _warn: list[str] = field(default_factory=list)

    def adjust(self, target: str, field_: str, source_value, value, reason: str, *, warn: bool = True) -> None:
        self.adjustments.append(
            {"target": target, "field": field_, "source_value": source_value, "value": value, "reason": reason}
        )
        if warn:
            self._warn.append(f"{target}: {field_} {source_value!r} -> {value!r} ({reason})")

    def emit(self) -> None:
        if self._warn:
            lines = "\n  ".join(self._warn)
            warnings.warn(
                f"{self.device}: importer adjusted {len(self._warn)} source value(s) "
                f"(recorded in provenance.adjustments):\n  {lines}",
                ProfileWarning,
                stacklevel=4,
            )


def finalize_qubit(q: dict[str, Any], log: ImportLog, *, require_t1: bool = True) -> dict[str, Any]:
    """Apply the documented adjustment rules to one qubit's raw values (in place)."""
    where = f"qubit {q['index']}"
    t1, t2 = q.get("t1_us"), q.get("t2_us")
    if (require_t1 and t1 is None) or t2 is None:
        missing = [n for n, v in (("t1_us", t1), ("t2_us", t2)) if v is None and (n == "t2_us" or require_t1)]
        if q.get("operational", True):
            q["operational"] = False
            log.adjust(where, "operational", True, False, f"{' and '.join(missing)} missing in source")
    elif t1 is not None and t2 > 2 * t1:
        q["t2_us"] = 2 * t1
        log.adjust(where, "t2_us", t2, 2 * t1, "T2 > 2*T1 in source (fit noise): set T2 = 2*T1, no pure dephasing")
    p10, p01 = q.get("prob_meas1_prep0"), q.get("prob_meas0_prep1")
    if p10 is not None and p01 is not None and p10 + p01 >= 1 and q.get("operational", True):
        q["operational"] = False
        log.adjust(
            where,
            "operational",
            True,
            False,
            f"readout p(1|0)+p(0|1)={p10 + p01:.4g} >= 1: the assignment carries no information",
        )
    return q


def finalize_gate(name: str, qubits: tuple[int, ...], error, duration_ns, log: ImportLog) -> dict[str, Any]:
    """Apply the documented adjustment rules to one gate's raw values."""
    spec = GATE_SPECS[name]
    g: dict[str, Any] = {"name": name, "qubits": list(qubits), "error": error, "duration_ns": duration_ns}
    label = f"gate {name}({', '.join(map(str, qubits))})"
    if spec.virtual:
        # Virtual frame changes: the source quotes 0/0 (checked by validation).
        g["error"] = 0.0 if error is None else error
        g["duration_ns"] = 0.0 if duration_ns is None else duration_ns
        return g
    emax = max_average_infidelity(spec.num_qubits)
    if error is None:
        g["operational"] = False
        log.adjust(label, "operational", True, False, "no gate error in source")
    elif error >= emax:
        g["operational"] = False
        g["error"] = None
        log.adjust(
            label,
            "error",
            error,
            None,
            f"error >= {emax:.3g} (IBM marks a dead gate with 1.0): gate marked non-operational",
        )
    return g


def fill_readout_durations(qubits: list[dict[str, Any]], log: ImportLog, default_ns: float) -> None:
    known = [q["readout_duration_ns"] for q in qubits if q.get("readout_duration_ns")]
    fill = statistics.median(known) if known else default_ns
    why = (
        "readout duration missing in source: median of the other qubits"
        if known
        else "readout duration missing in source for every qubit: importer default"
    )
    for q in qubits:
        if not q.get("readout_duration_ns"):
            q["readout_duration_ns"] = float(fill)
            log.adjust(f"qubit {q['index']}", "readout_duration_ns", None, float(fill), why)


# ---------------------------------------------------------------------- IBM properties
def ibm_qubit_values(props: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Per-qubit values from an IBM ``backend_properties`` dict, in profile units."""
    entries = props.get("qubits")
    if not isinstance(entries, list):
        raise ProfileError("backend_properties: 'qubits' must be a list of per-qubit property lists")
    if len(entries) != n:
        raise ProfileError(f"backend_properties: {len(entries)} qubit entries but the device has {n} qubits")
    out = []
    for i, plist in enumerate(entries):
        where = f"backend_properties.qubits[{i}]"
        q: dict[str, Any] = {"index": i}
        for item in plist:
            name, value, unit = item.get("name"), item.get("value"), item.get("unit", "") or ""
            if value is None:
                continue
            if name == "T1":
                q["t1_us"] = time_to_us(value, unit or "us", where + ".T1")
            elif name == "T2":
                q["t2_us"] = time_to_us(value, unit or "us", where + ".T2")
            elif name == "frequency":
                q["frequency_ghz"] = freq_to_ghz(value, unit or "GHz", where + ".frequency")
            elif name == "anharmonicity":
                q["anharmonicity_ghz"] = freq_to_ghz(value, unit or "GHz", where + ".anharmonicity")
            elif name == "prob_meas1_prep0":
                q["prob_meas1_prep0"] = float(value)
            elif name == "prob_meas0_prep1":
                q["prob_meas0_prep1"] = float(value)
            elif name == "readout_error":
                q["_readout_error"] = float(value)
            elif name == "readout_length":
                q["readout_duration_ns"] = time_to_ns(value, unit or "ns", where + ".readout_length")
            elif name == "operational":
                q["operational"] = bool(value)
        out.append(q)
    return out


def ibm_gate_values(props: dict[str, Any]) -> dict[tuple[str, tuple[int, ...]], dict[str, float]]:
    """``(gate, qubits) -> {"error", "duration_ns"}`` from IBM ``backend_properties``."""
    out: dict[tuple[str, tuple[int, ...]], dict[str, float]] = {}
    for i, g in enumerate(props.get("gates", [])):
        where = f"backend_properties.gates[{i}]"
        vals: dict[str, float] = {}
        for item in g.get("parameters", []):
            if item.get("name") == "gate_error" and item.get("value") is not None:
                vals["error"] = float(item["value"])
            elif item.get("name") == "gate_length" and item.get("value") is not None:
                vals["duration_ns"] = time_to_ns(item["value"], item.get("unit") or "ns", where + ".gate_length")
        out[(g["gate"], tuple(int(q) for q in g["qubits"]))] = vals
    return out


def ibm_zz_terms(
    general: list[dict[str, Any]], edges: set[tuple[int, int]], n: int, log: ImportLog
) -> list[dict[str, Any]]:
    """ZZ terms from IBM ``general`` entries named ``zz_<a><b>`` (digits concatenated).

    The split of the digit string into two qubit indices is resolved with the
    coupling graph; a name that resolves to no coupled pair (or to several) is
    recorded as an adjustment (not imported), never silently dropped.
    """
    undirected = {frozenset(e) for e in edges}
    terms: dict[frozenset, dict[str, Any]] = {}
    for item in general or []:
        name = str(item.get("name", ""))
        m = re.fullmatch(r"zz_(\d+)", name)
        if not m:
            continue
        digits = m.group(1)
        cands = []
        for k in range(1, len(digits)):
            a_s, b_s = digits[:k], digits[k:]
            if (len(a_s) > 1 and a_s[0] == "0") or (len(b_s) > 1 and b_s[0] == "0"):
                continue
            a, b = int(a_s), int(b_s)
            if a < n and b < n and frozenset((a, b)) in undirected:
                cands.append((a, b))
        if len(cands) != 1:
            log.adjust("crosstalk.zz", name, item.get("value"), None, f"cannot resolve qubit pair (candidates {cands})")
            continue
        a, b = cands[0]
        ghz = freq_to_ghz(item.get("value"), item.get("unit") or "GHz", f"general.{name}")
        key = frozenset((a, b))
        if key in terms:
            log.adjust("crosstalk.zz", name, item.get("value"), None, "duplicate entry for this pair; first kept")
            continue
        terms[key] = {"qubits": [min(a, b), max(a, b)], "zz_khz": ghz * 1e6}
    return sorted(terms.values(), key=lambda t: t["qubits"])


def split_instructions(names, log: ImportLog) -> tuple[list[str], list[str]]:
    """Split instruction names into (gate names to import, control-flow names)."""
    gates, flow = [], []
    for name in sorted(names):
        if name in GATE_SPECS:
            gates.append(name)
        elif name in CONTROL_FLOW:
            flow.append(name)
        elif name in NON_GATE_INSTRUCTIONS:
            continue
        else:
            log.adjust("device", "gates", name, None, f"instruction {name!r} is not a known gate name: not imported")
    return gates, flow


def readout_from_average(q: dict[str, Any], log: ImportLog) -> None:
    """If only the mean readout error is known, use it for both p(1|0) and p(0|1) (recorded)."""
    avg = q.pop("_readout_error", None)
    for field_ in ("prob_meas1_prep0", "prob_meas0_prep1"):
        if q.get(field_) is None and avg is not None:
            q[field_] = avg
            log.adjust(
                f"qubit {q['index']}",
                field_,
                None,
                avg,
                "source gives only the mean readout error: assumed symmetric",
                warn=False,
            )


def qpu_twin_version() -> str:
    return f"qpu_twin {__version__}"
