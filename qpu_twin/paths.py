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
