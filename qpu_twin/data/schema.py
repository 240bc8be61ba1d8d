"""Shared pieces of the data-file schemas: strict field types and errors that name file, path and value.

Every data loader (Quantinuum benchmark files, IBM job archives, datasets)
validates parsed JSON with pydantic models built from these types, then runs
its cross-field checks; every problem is a :class:`~qpu_twin.errors.DataError`
``"<file>: survival["0, 1"]["128"]["3"]=150: a count cannot exceed shots=100"``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from ..errors import DataError, short_repr

#: Largest ``shots`` (and count) accepted in a data file.
MAX_SHOTS = 10**9

BITS_RE = re.compile(r"^[01]+$")
HEX_RE = re.compile(r"^0x[0-9a-fA-F]+$")


def _count(value: Any) -> int:
    if type(value) is not int:  # noqa: E721 - bools and floats (99.0) are not counts
        raise ValueError(f"a count must be a non-negative integer, not {type(value).__name__}")
    if value < 0:
        raise ValueError("a count must be a non-negative integer")
    if value > MAX_SHOTS:
        raise ValueError(f"a count must be at most {MAX_SHOTS:.0e}")
    return value


def _shots(value: Any) -> int:
    if type(value) is not int:  # noqa: E721
        raise ValueError(f"shots must be an integer, not {type(value).__name__}")
    if not 1 <= value <= MAX_SHOTS:
        raise ValueError(f"shots must be in [1, {MAX_SHOTS:.0e}]")
    return value


def _index(value: Any) -> int:
    if type(value) is not int:  # noqa: E721
        raise ValueError(f"an index must be a non-negative integer, not {type(value).__name__}")
    if not 0 <= value < 10**6:
        raise ValueError("an index must be in [0, 10**6)")
    return value


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, not {type(value).__name__}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int such as 10**400: no float holds it
        raise ValueError("must be a finite number (this integer is beyond the float range)") from None
    if not finite:
        raise ValueError("must be a finite number")
    return value


#: A count of shots: a non-negative ``int`` (no bools, no floats such as 99.0), at most :data:`MAX_SHOTS`.
Count = Annotated[int, BeforeValidator(_count)]
#: A number of shots: an ``int`` in [1, :data:`MAX_SHOTS`].
Shots = Annotated[int, BeforeValidator(_shots)]
#: A qubit / clbit / memory-slot index: an ``int`` in [0, 10**6).
Index = Annotated[int, BeforeValidator(_index)]
#: A finite real number (ints accepted; bools, strings, NaN and inf refused).
Finite = Annotated[float, BeforeValidator(_finite)]


def key_text(k) -> str:
    text = str(k)
    if len(text) > 40:
        text = text[:37] + "..."
    return '"' + text.replace('"', '\\"') + '"'


def fmt_path(parts) -> str:
    """``survival["0, 1"]["128"]["3"]`` from ``("survival", "0, 1", "128", "3")``; list indices bare."""
    if not parts:
        return "(top level)"
    head, rest = parts[0], parts[1:]
    head = str(head) if isinstance(head, str) else f"[{head}]"
    return head + "".join(f"[{p}]" if isinstance(p, int) else f"[{key_text(p)}]" for p in rest)


def fail(source: str, parts, value, msg: str) -> DataError:
    """``DataError("<source>: <path>=<value>: <msg>")`` (the value truncated before formatting)."""
    return DataError(f"{source}: {fmt_path(parts)}={short_repr(value)}: {msg}")


def walk_loc(data: Any, loc) -> tuple[list, Any]:
    """The data path of a pydantic error location (union-member tags dropped) and the value there."""
    parts: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            parts.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            parts.append(part)
            node = node[part]
    return parts, node


def validation_error(exc: ValidationError, data: Any, source: str, *, known: set[str] | None = None) -> DataError:
    """The most specific problem of a pydantic ``ValidationError`` as a :class:`DataError` (file, path, value)."""
    best = None
    for err in exc.errors(include_url=False):
        parts, _ = walk_loc(data, tuple(err.get("loc", ())))
        if best is None or len(parts) > best[0]:
            best = (len(parts), err, parts)
    _, err, parts = best
    msg = str(err.get("msg", "invalid"))
    msg = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
    kind = err.get("type")
    loc = tuple(err.get("loc", ()))
    if kind == "extra_forbidden":
        where = fmt_path(parts[:-1]) + ": " if len(parts) > 1 else ""
        field = loc[-1] if loc else "?"
        hint = f" (known fields: {', '.join(sorted(known))})" if known and len(parts) <= 1 else ""
        return DataError(f"{source}: {where}unknown field {key_text(field)}{hint}")
    if kind == "missing":
        missing = loc[-1] if loc else "?"
        where = fmt_path(parts) + ": " if parts else ""
        return DataError(f"{source}: {where}missing field {key_text(missing)}")
    return DataError(f"{source}: {fmt_path(parts)}={short_repr(err.get('input'))}: {msg}")
