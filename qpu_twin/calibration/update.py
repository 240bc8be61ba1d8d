"""Turning calibration results into new, dated profiles, and the calibration history.

``apply_results(profile, results)`` returns a *new* validated profile: the
fitted values replace the old ones (with their standard errors in
``uncertainty``), the timestamp is the calibration time, and the provenance
names every experiment and lists each change old -> new.

The calibration history (dated profiles of a device, ``profile_as_of``,
``drift_summary``) lives in :mod:`qpu_twin.profiles.history`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from ..errors import check_choice, check_instance, check_sequence
from ..profiles.model import DeviceProfile
from .experiments import CalibrationResult

_QUBIT_FIELDS = {
    "t1_us": "t1_us",
    "t2_echo_us": "t2_us",
    "t2_star_us": "t2_us",  # used only when no echo value is given
    "prob_meas1_prep0": "prob_meas1_prep0",
    "prob_meas0_prep1": "prob_meas0_prep1",
}


def apply_results(profile: DeviceProfile, results: Iterable[CalibrationResult], *,
                  timestamp: datetime | None = None, gate_names: dict[int, str] | None = None,
                  min_quality: str = "good") -> DeviceProfile:
    """A new profile with the fitted values of ``results`` applied.

    Parameters
    ----------
    results : iterable of CalibrationResult
        ``t1_us``, ``t2_echo_us`` (or ``t2_star_us``), readout probabilities,
        ``epg`` (1q: applied to every non-virtual 1q gate of the qubit; 2q:
        to the pair's two-qubit gates, both directions) and ``zz_khz``.
    timestamp : datetime, optional
        The calibration time (default: now, UTC).
    min_quality : {"good", "any"}
        Results with a "bad" verdict are skipped (and listed in the notes) unless "any".

    T2 values above 2*T1 are *not* clipped: the profile validation rejects them
    and the error names the qubit (refit or recalibrate instead).
    """
    from ..profiles.store import load_profile

    profile = load_profile(profile)
    results = check_sequence("results", results, of=CalibrationResult, what="CalibrationResult")
    check_instance("timestamp", timestamp, datetime, allow_none=True)
    check_instance("gate_names", gate_names, dict, allow_none=True)
    check_choice("min_quality", min_quality, ("good", "any"))
    data = profile.to_dict()
    ts = timestamp or datetime.now(timezone.utc).replace(microsecond=0)
    notes = list(data["provenance"].get("notes", []))
    changes: list[str] = []
    skipped: list[str] = []
    # T2* is superseded only by an echo T2 that will itself be applied
    has_echo = {r.qubits for r in results if r.quantity == "t2_echo_us" and (min_quality != "good" or r.quality == "good")}
    for r in results:
        if min_quality == "good" and r.quality != "good":
            skipped.append(f"{r.experiment}{list(r.qubits)} {r.quantity} (quality {r.quality}: {r.status})")
            continue
        if r.quantity in _QUBIT_FIELDS:
            if r.quantity == "t2_star_us" and r.qubits in has_echo:
                continue
            field = _QUBIT_FIELDS[r.quantity]
            q = data["qubits"][r.qubits[0]]
            changes.append(f"qubit {r.qubits[0]} {field}: {q.get(field)!r} -> {r.value:.6g} +- {r.stderr:.2g} ({r.experiment})")
            q[field] = float(r.value)
            q.setdefault("uncertainty", {})[field] = float(r.stderr)
        elif r.quantity == "epg":
            targets = [g for g in data["gates"] if _gate_matches(g, r.qubits, profile)]
            if not targets:
                skipped.append(f"{r.experiment}{list(r.qubits)} epg: no matching native gate")
            for g in targets:
                changes.append(f"gate {g['name']}{tuple(g['qubits'])} error: {g.get('error')!r} -> {r.value:.4g} ({r.experiment})")
                g["error"] = float(r.value)
                g.setdefault("uncertainty", {})["error"] = float(r.stderr)
        elif r.quantity == "zz_khz":
            a, b = sorted(r.qubits)
            zz = data.setdefault("crosstalk", {}).setdefault("zz", [])
            entry = next((t for t in zz if sorted(t["qubits"]) == [a, b]), None)
            if entry is None:
                entry = {"qubits": [a, b]}
                zz.append(entry)
            changes.append(f"ZZ {a}-{b}: {entry.get('zz_khz')!r} -> {r.value:.4g} kHz ({r.experiment})")
            entry["zz_khz"] = float(r.value)
            entry.setdefault("uncertainty", {})["zz_khz"] = float(r.stderr)
    experiments = sorted({f"{r.experiment}{list(r.qubits)}" for r in results})
    data["timestamp"] = ts.isoformat()
    data["provenance"] = {
        "source": f"calibration of {profile.name} ({profile.fingerprint}) by experiments: " + ", ".join(experiments),
        "method": "qpu_twin.calibration.apply_results (binomially weighted fits)",
        "imported_with": data["provenance"].get("imported_with"),
        "references": list(data["provenance"].get("references", [])),
        "notes": notes + [f"based on profile {profile.name} of {profile.timestamp.isoformat()}"] + changes
        + [f"skipped: {s}" for s in skipped],
        "adjustments": data["provenance"].get("adjustments", []),
    }
    if not data["provenance"]["imported_with"]:
        del data["provenance"]["imported_with"]
    return DeviceProfile.model_validate(data)


def _gate_matches(g: dict, qubits: tuple[int, ...], profile: DeviceProfile) -> bool:
    from ..profiles.gates import GATE_SPECS

    spec = GATE_SPECS.get(g["name"])
    if spec is None or spec.virtual or not g.get("operational", True):
        return False
    if len(qubits) == 1:
        return g["qubits"] == [qubits[0]] and g["name"] != "id"
    return len(g["qubits"]) == 2 and sorted(g["qubits"]) == sorted(qubits)
