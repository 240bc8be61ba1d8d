"""Turning calibration results into new, dated profiles, and the calibration history.

``apply_results(profile, results)`` returns a *new* validated profile: the
fitted values replace the old ones (with their standard errors in
``uncertainty``), the timestamp is the calibration time, and the provenance
names every experiment and lists each change old -> new.

History: a device's dated profiles are the shipped profiles whose ``name`` is
the device (``ibm_hanoi``, ``ibm_hanoi_2022-05-20`` are both "ibm_hanoi") plus
any file saved under ``calibration_data/history/<device>/`` (or
``QPU_TWIN_HISTORY``). ``profile_as_of(device, date)`` picks the latest one
not after ``date``; ``drift_summary(device)`` tabulates the medians over time.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..errors import CalibrationError
from ..paths import calibration_data_dir, profiles_dirs
from ..profiles.io import read_profile_file, save_profile
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
    results = list(results)
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


# ---------------------------------------------------------------------- history
def history_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("QPU_TWIN_HISTORY", "").split(os.pathsep) if p]
    return [*extra, calibration_data_dir() / "history"]


def save_to_history(profile: DeviceProfile, folder: str | Path | None = None) -> Path:
    """Save ``profile`` as ``<folder>/<device>/<timestamp>.yaml`` (default: the first history dir)."""
    base = Path(folder) if folder else history_dirs()[0]
    stamp = profile.timestamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    return save_profile(profile, base / profile.name / f"{stamp}.yaml")


def calibration_history(device: str) -> list[DeviceProfile]:
    """All dated profiles of ``device`` (shipped and saved), oldest first, one per timestamp."""
    found: dict[str, DeviceProfile] = {}
    paths: list[Path] = []
    for folder in profiles_dirs():
        if folder.is_dir():
            paths += sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json"))
    for folder in history_dirs():
        d = folder / device
        if d.is_dir():
            paths += sorted(d.glob("*.yaml")) + sorted(d.glob("*.json"))
    for p in paths:
        try:
            prof = read_profile_file(p)
        except Exception:  # noqa: BLE001 - an unreadable file is not part of this device's history
            continue
        if prof.name == device:
            found.setdefault(prof.timestamp.isoformat(), prof)
    if not found:
        raise CalibrationError(f"no calibration history for device {device!r}")
    return [found[k] for k in sorted(found, key=lambda s: datetime.fromisoformat(s))]


def profile_as_of(device: str, date) -> DeviceProfile:
    """The latest profile of ``device`` whose timestamp is not after ``date`` (ISO string or datetime)."""
    when = date if isinstance(date, datetime) else datetime.fromisoformat(str(date).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    hist = calibration_history(device)
    older = [p for p in hist if p.timestamp <= when]
    if not older:
        raise CalibrationError(
            f"{device}: no calibration on or before {when.isoformat()} (earliest: {hist[0].timestamp.isoformat()})"
        )
    return older[-1]


def drift_summary(device: str) -> list[dict]:
    """One row per dated profile: medians of T1, T2, readout error and 1q/2q gate errors."""
    rows = []
    for p in calibration_history(device):
        s = p.summary()
        twoq = [g for g in p.two_qubit_gate_names]
        oneq = [n for n in ("sx", "r", "x") if n in s["gates"]]
        rows.append({
            "timestamp": p.timestamp.isoformat(),
            "median_t1_us": s["median_t1_us"],
            "median_t2_us": s["median_t2_us"],
            "median_readout_error": s["median_readout_error"],
            "median_1q_error": s["gates"][oneq[0]]["median_error"] if oneq else None,
            "median_2q_error": s["gates"][twoq[0]]["median_error"] if twoq else None,
            "source": p.provenance.source[:60],
        })
    return rows
