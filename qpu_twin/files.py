"""Files: atomic writes, JSON objects read with clear errors, checkpoints of long runs.

A leaf module (it imports only :mod:`qpu_twin.errors`), so every layer writes
files the same way: a temporary file in the target's folder, then
``os.replace``, so an interrupted write never leaves half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from .errors import QpuTwinError


@contextlib.contextmanager
def replaced_atomically(path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; it replaces ``path`` when the block ends without error.

    On any error (Ctrl-C too) the temporary file is removed and ``path`` is
    left as it was. The folder of ``path`` is created if missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`replaced_atomically`); returns the path."""
    with replaced_atomically(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`replaced_atomically`); returns the path."""
    with replaced_atomically(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def read_json_object(path, *, error: type[QpuTwinError], required: Sequence[str] = (), label: str | None = None,
                     hint: str = "") -> dict[str, Any]:
    """The JSON object stored in ``path``.

    Parameters
    ----------
    error : QpuTwinError subclass
        Raised, naming the file (``label``, default the path), when it cannot
        be read, is not JSON, is not a JSON object or lacks a ``required`` field.
    hint : str
        Appended to the missing-field message, e.g. ``" (not a Quantinuum benchmark file?)"``.
    """
    label = label if label is not None else str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{label}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise error(f"{label}: not valid JSON (truncated file?): {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{label}: expected a JSON object, got {type(data).__name__}")
    require_fields(data, required, error=error, label=label, hint=hint)
    return data


def require_fields(data: Mapping[str, Any], required: Sequence[str], *, error: type[QpuTwinError], label: str,
                   hint: str = "") -> None:
    """``error`` naming ``label`` and the first field of ``required`` that ``data`` lacks."""
    for key in required:
        if key not in data:
            raise error(f"{label}: missing field {key!r}{hint}")


def write_checkpoint(path, *, kind: str, version: int, ident: Mapping[str, Any], **state: Any) -> Path:
    """Save a long run's state (JSON, atomically) so that it can resume.

    The file holds ``{"qpu_twin_<kind>_checkpoint": version, "ident": ident, **state}``;
    ``ident`` says which run it belongs to (see :func:`read_checkpoint`).
    """
    return write_text_atomic(path, json.dumps({_marker(kind): version, "ident": dict(ident), **state}))


def read_checkpoint(path, *, kind: str, version: int, ident: Mapping[str, Any], error: type[QpuTwinError],
                    what: str, needed: str) -> dict[str, Any]:
    """The state saved by :func:`write_checkpoint`, checked to belong to this run.

    Parameters
    ----------
    ident : mapping
        This run's identity; every entry must equal the checkpoint's (after a
        JSON round trip, so tuples compare equal to lists).
    error : QpuTwinError subclass
        Raised when the file is missing, unreadable, of another kind or
        version, or of another run; the message names the file and, for
        another run, the first entry that differs and what must be the same
        (``needed``, e.g. ``"the same dataset, models, resamples and seed"``).
    what : str
        The run's name in messages (``"benchmark"``, ``"fit"``).
    """
    path = Path(path)
    label = f"checkpoint {str(path)!r}"
    if not path.exists():
        raise error(f"{label} does not exist (nothing to resume)")
    data = read_json_object(path, error=error, label=label)
    if data.get(_marker(kind)) != version or not isinstance(data.get("ident"), dict):
        raise error(f"{label} is not a qpu_twin {what} checkpoint (version {version})")
    for key, want in ident.items():
        if data["ident"].get(key) != json.loads(json.dumps(want)):
            raise error(f"{label} belongs to another {what}: its {key} differs from this one's "
                        f"({needed} are needed to resume)")
    return data


def _marker(kind: str) -> str:
    return f"qpu_twin_{kind}_checkpoint"
