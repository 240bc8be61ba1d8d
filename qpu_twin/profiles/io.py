"""Low-level reading and writing of profile files (YAML / JSON text <-> plain data).

This module knows nothing of the profile model: :class:`~qpu_twin.DeviceProfile`
uses it to load and save itself, and :mod:`.store` finds shipped profiles.
Saving is atomic, with :func:`qpu_twin.files.write_text_atomic` (a temporary
file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import ProfileError

SUFFIXES = (".yaml", ".yml", ".json")

try:  # libyaml is ~10x faster on the 127-qubit profiles
    _Loader = yaml.CSafeLoader
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - pure-python PyYAML
    _Loader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper


def dump_yaml(data: Any) -> str:
    """YAML text of plain data; floats are written with repr() so they round-trip exactly."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True)


def parse_text(text: str, *, fmt: str, source: str = "<string>") -> Any:
    """Plain data from YAML or JSON text; :class:`ProfileError` naming ``source`` if it does not parse."""
    try:
        return json.loads(text) if fmt == "json" else yaml.load(text, Loader=_Loader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"{source}: not valid {fmt.upper()}: {exc}") from None


def profile_file_format(path: Path, *, action: str = "read") -> str:
    """``"json"`` or ``"yaml"`` from the suffix of ``path``; :class:`ProfileError` for other suffixes."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        verb = "cannot save profile to" if action == "save" else "profile file"
        raise ProfileError(f"{verb} {str(path)!r}: unknown suffix {suffix!r} (use .yaml, .yml or .json)")
    return "json" if suffix == ".json" else "yaml"


def read_data_file(path) -> Any:
    """Plain data of a profile file (format from the suffix)."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"profile file {str(path)!r} does not exist")
    fmt = profile_file_format(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile file {str(path)!r}: cannot read it as UTF-8 text: {exc}") from None
    return parse_text(text, fmt=fmt, source=str(path))
