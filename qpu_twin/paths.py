"""Where shipped data lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent


def _shipped(folder: str) -> Path:
    # A wheel carries the top-level folders inside the package (pyproject
    # force-include); a source checkout / editable install has them beside it.
    inside = _PKG / "_shipped" / folder
    return inside if inside.is_dir() else _REPO / folder


def profiles_dirs() -> list[Path]:
    """Folders searched by :func:`qpu_twin.load_profile`, in order.

    ``QPU_TWIN_PROFILES`` (os.pathsep-separated) is searched first, then the
    shipped ``device_profiles/``.
    """
    extra = [Path(p) for p in os.environ.get("QPU_TWIN_PROFILES", "").split(os.pathsep) if p]
    return [*extra, _shipped("device_profiles")]


def calibration_data_dir() -> Path:
    """The shipped ``calibration_data/`` folder (hardware data and calibration history)."""
    return _shipped("calibration_data")


def examples_dir() -> Path:
    """The shipped ``examples/`` folder (OpenQASM circuits used by the README)."""
    return _shipped("examples")


_SHIPPED_TOP = {"examples": examples_dir, "calibration_data": calibration_data_dir,
                "device_profiles": lambda: _shipped("device_profiles")}


def resolve_shipped(path) -> Path:
    """``path`` itself if it exists; else, for a relative path under ``examples/``, ``calibration_data/``
    or ``device_profiles/``, the copy shipped with qpu_twin (so README commands work from any folder)."""
    p = Path(path)
    if p.exists() or p.is_absolute() or not p.parts:
        return p
    top = p.parts[0]
    if top in _SHIPPED_TOP:
        candidate = _SHIPPED_TOP[top]().joinpath(*p.parts[1:])
        if candidate.exists():
            return candidate
    return p
