"""The calibration history of a device: its dated profiles, ``profile_as_of``, drift.

A device's dated profiles are the shipped profiles whose ``name`` is the
device (``ibm_hanoi``, ``ibm_hanoi_2022-05-20`` are both "ibm_hanoi") plus any
file saved under ``calibration_data/history/<device>/`` (or the folders in
``QPU_TWIN_HISTORY``). ``profile_as_of(device, date)`` picks the latest one not
after ``date``; ``drift_summary(device)`` tabulates the medians over time.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ArgumentError, ProfileError, check_instance, check_path, check_str, short_repr
from ..paths import calibration_data_dir, profiles_dirs
from .model import DeviceProfile
from .store import read_profile_file, save_profile


def history_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("QPU_TWIN_HISTORY", "").split(os.pathsep) if p]
    return [*extra, calibration_data_dir() / "history"]


def save_to_history(profile: DeviceProfile, folder: str | Path | None = None) -> Path:
    """Save ``profile`` as ``<folder>/<device>/<timestamp>.yaml`` (default: the first history dir)."""
    check_instance("profile", profile, DeviceProfile)
    folder = check_path("folder", folder, allow_none=True)
    base = folder if folder else history_dirs()[0]
    stamp = profile.timestamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    return save_profile(profile, base / profile.name / f"{stamp}.yaml")


def calibration_history(device: str) -> list[DeviceProfile]:
    """All dated profiles of ``device`` (shipped and saved), oldest first, one per timestamp."""
    check_str("device", device)
    found: dict[str, DeviceProfile] = {}
    paths: list[Path] = []
    for folder in profiles_dirs():
        if folder.is_dir():
            paths += sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json"))
    for folder in history_dirs():
        d = folder / device
        if d.is_dir():
            paths += sorted(d.glob("*.yaml")) + sorted(d.glob("*.json"))
    known: set[str] = {d.name for folder in history_dirs() if folder.is_dir() for d in folder.iterdir() if d.is_dir()}
    for p in paths:
        try:
            prof = read_profile_file(p)
        except ProfileError:  # an unreadable or invalid file is not part of this device's history
            continue
        known.add(prof.name)
        if prof.name == device:
            found.setdefault(prof.timestamp.isoformat(), prof)
    if not found:
        import difflib

        close = difflib.get_close_matches(str(device), sorted(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProfileError(f"no calibration history for device {device!r}{hint}; devices with profiles: "
                           f"{', '.join(sorted(known)) or '(none)'}")
    return [found[k] for k in sorted(found, key=lambda s: datetime.fromisoformat(s))]


def profile_as_of(device: str, date) -> DeviceProfile:
    """The latest profile of ``device`` whose timestamp is not after ``date`` (ISO string or datetime)."""
    check_str("device", device)
    if isinstance(date, datetime):
        when = date
    else:
        try:
            when = datetime.fromisoformat(str(date).replace("Z", "+00:00"))
        except ValueError:
            raise ArgumentError(f"date={short_repr(date)}: not an ISO date or datetime (e.g. '2022-05-19' or "
                                "'2022-05-19T12:00:00Z')") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    hist = calibration_history(device)
    older = [p for p in hist if p.timestamp <= when]
    if not older:
        raise ProfileError(
            f"{device}: no calibration on or before {when.isoformat()} (date={short_repr(date)}; earliest: "
            f"{hist[0].timestamp.isoformat()})"
        )
    return older[-1]


def drift_summary(device: str) -> list[dict]:
    """One row per dated profile: medians of T1, T2, readout error and 1q/2q gate errors."""
    check_str("device", device)
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
