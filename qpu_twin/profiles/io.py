"""Reading and writing profile files (YAML / JSON) and finding shipped profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import ProfileError
from ..paths import profiles_dirs
from .cache import cached_profile_file
from .model import DeviceProfile

_SUFFIXES = (".yaml", ".yml", ".json")

try:  # libyaml is ~10x faster on the 127-qubit profiles
    _Loader = yaml.CSafeLoader
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - pure-python PyYAML
    _Loader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper


def dump_yaml(data: Any) -> str:
    """YAML text of plain data; floats are written with repr() so they round-trip exactly."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True)


def parse_profile_text(text: str, *, fmt: str, source: str = "<string>") -> DeviceProfile:
    """Parse YAML or JSON text into a validated profile.

    Raises
    ------
    ProfileError
        If the text is not valid YAML/JSON, is not a mapping, or fails validation.
    """
    try:
        data = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_Loader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"{source}: not valid {fmt.upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: a profile file must hold a mapping, got {type(data).__name__}")
    try:
        return DeviceProfile.model_validate(data)
    except ProfileError as exc:
        raise ProfileError(f"{source}: {exc}", [f"{source}: {p}" for p in exc.problems]) from None


def read_profile_file(path) -> DeviceProfile:
    """Read a ``.yaml``/``.yml``/``.json`` profile file (the parsed profile is reused while the
    file is unchanged: :mod:`qpu_twin.profiles.cache`)."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"profile file {str(path)!r} does not exist")
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    if path.suffix.lower() not in _SUFFIXES:
        raise ProfileError(f"profile file {str(path)!r}: unknown suffix {path.suffix!r} (use .yaml, .yml or .json)")
    return cached_profile_file(path, lambda: parse_profile_text(path.read_text(encoding="utf-8"), fmt=fmt,
                                                                source=str(path)))


def save_profile(profile: DeviceProfile, path) -> Path:
    """Write ``profile`` to ``path`` (format from the suffix); returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ProfileError(f"cannot save profile to {str(path)!r}: use a .yaml, .yml or .json suffix")
    text = profile.to_json() if suffix == ".json" else profile.to_yaml()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def list_profiles() -> list[str]:
    """Names (file stems) of the shipped profiles, sorted."""
    names: set[str] = set()
    for folder in profiles_dirs():
        if folder.is_dir():
            names.update(p.stem for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES)
    return sorted(names)


def find_profile(name: str) -> Path | None:
    for folder in profiles_dirs():
        for suffix in _SUFFIXES:
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
    text = str(name_or_path)
    path = Path(text)
    if path.suffix.lower() in _SUFFIXES or path.is_file():
        return read_profile_file(path)
    found = find_profile(text)
    if found is None:
        raise ProfileError(
            f"no profile named {text!r}; shipped profiles: {', '.join(list_profiles()) or '(none)'} "
            f"(or pass a path to a .yaml/.json file)"
        )
    return read_profile_file(found)


def profile_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the profile file format, generated from the model."""
    schema = DeviceProfile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://qpu-twin.invalid/schemas/device_profile.v1.json"
    return schema
