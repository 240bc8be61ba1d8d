"""Finding, loading and saving profiles: shipped names, files, and the JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ArgumentError, ProfileError, check_instance, check_path, short_repr
from ..paths import profiles_dirs
from .io import SUFFIXES, parse_text
from .model import DeviceProfile


def parse_profile_text(text: str, *, fmt: str, source: str = "<string>") -> DeviceProfile:
    """Parse YAML or JSON text into a validated profile (:class:`ProfileError` naming ``source``)."""
    return DeviceProfile.from_text_data(parse_text(text, fmt=fmt, source=source), source=source)


def read_profile_file(path) -> DeviceProfile:
    """Read a ``.yaml``/``.yml``/``.json`` profile file."""
    return DeviceProfile.load(check_path("path", path))


def save_profile(profile: DeviceProfile, path) -> Path:
    """Write ``profile`` to ``path`` atomically (format from the suffix); returns the path."""
    check_instance("profile", profile, DeviceProfile)
    return profile.save(path)


def list_profiles() -> list[str]:
    """Names (file stems) of the shipped profiles, sorted."""
    names: set[str] = set()
    for folder in profiles_dirs():
        if folder.is_dir():
            names.update(p.stem for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    return sorted(names)


def find_profile(name: str) -> Path | None:
    for folder in profiles_dirs():
        for suffix in SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def load_profile(name_or_path) -> DeviceProfile:
    """Load a shipped profile by name (``"ibm_hanoi"``) or any profile file by path.

    Parameters
    ----------
    name_or_path : str or path-like or DeviceProfile
        A name from :func:`list_profiles`, a path to a ``.yaml``/``.json``
        file, or a profile (returned unchanged).

    Examples
    --------
    >>> from qpu_twin import load_profile
    >>> load_profile("ibm_hanoi").num_qubits
    27
    """
    if isinstance(name_or_path, DeviceProfile):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)):
        raise ArgumentError(f"profile={short_repr(name_or_path)}: give a DeviceProfile, a shipped profile name "
                            f"or a path to a .yaml/.json file (got {type(name_or_path).__name__})")
    text = str(name_or_path)
    path = Path(text)
    if path.suffix.lower() in SUFFIXES or path.is_file():
        return read_profile_file(path)
    found = find_profile(text)
    if found is None:
        import difflib

        names = list_profiles()
        close = difflib.get_close_matches(text, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProfileError(
            f"no profile named {text!r}{hint}; shipped profiles: {', '.join(names) or '(none)'} "
            f"(or pass a path to a .yaml/.json file)"
        )
    return read_profile_file(found)


def profile_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the profile file format, generated from the model."""
    schema = DeviceProfile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://qpu-twin.invalid/schemas/device_profile.v1.json"
    return schema
