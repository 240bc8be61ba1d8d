"""The one exception hierarchy of qpu_twin.

Every error a user can cause derives from :class:`QpuTwinError`; messages
name the object (file, device, qubit, gate, argument), the field or location
and the offending value, e.g. ``device 'line5': qubit 3: t2_us=250.0 exceeds
2*t1_us=200.0``. Where it helps callers, a subclass also derives from the
matching builtin, so ``except ValueError`` keeps working:

=====================  =======================  ============================================
class                  also a                   raised for
=====================  =======================  ============================================
``ArgumentError``      ``ValueError``,          a wrong argument of a public function
                       ``TypeError``            (type or value); names the argument
``ProfileError``       ``ValueError``           an invalid, unphysical or unreadable profile
``CompileError``       ``ValueError``           a circuit that cannot run on the device
``EngineError``        ``RuntimeError``         an engine that cannot run a program
``DataError``          ``ValueError``           a malformed data file (dataset, job archive,
                                                calibration data); names file and path in it
``CalibrationError``   ``ValueError``           an experiment or analysis that cannot proceed
``FitError``           ``ValueError``           a fit that cannot be set up
``BenchmarkError``     ``ValueError``           a benchmark that cannot run
``Interrupted``        ``KeyboardInterrupt``    Ctrl-C in a long run after its checkpoint
                                                was written (``checkpoint`` attribute)
=====================  =======================  ============================================

Public functions validate their arguments on entry with the ``check_*`` helpers
below (``check_int``, ``check_real``, ``check_bool``, ``check_str``,
``check_choice`` (with a did-you-mean for near misses), ``check_path``,
``check_instance``, ``check_sequence``, ``check_qubits``, ``check_finite_mapping``,
``check_real_array``, ``check_kwargs``); their messages read
``f"{name}={short_repr(value)}: must be ..."``. ``tests/test_public_api.py`` walks
the public API with wrong arguments and checks each one.
"""

from __future__ import annotations

_MAX_VALUE_CHARS = 80


def short_repr(value, limit: int = _MAX_VALUE_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, safe for huge or nested values.

    Containers are summarised before ``repr`` runs, so a value built by YAML
    aliases (a "billion laughs" structure) never gets expanded.
    """
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        kind = type(value).__name__
        try:
            n = len(value)
        except Exception:  # noqa: BLE001 - a broken __len__ is still a value to describe
            n = "?"
        head = []
        total = 0
        items = value.items() if isinstance(value, dict) else value
        for i, item in enumerate(items):
            if i >= 3:
                head.append("...")
                break
            if isinstance(value, dict):
                k, v = item
                s = f"{short_repr(k, 20)}: {_scalar_repr(v)}"
            else:
                s = _scalar_repr(item)
            head.append(s)
            total += len(s)
            if total > limit:
                head.append("...")
                break
        inner = ", ".join(head)
        text = f"{kind}[{n}]({inner})"
        return text if len(text) <= limit else text[: limit - 3] + "..."
    return _scalar_repr(value, limit)


def _scalar_repr(value, limit: int = 30) -> str:
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        try:
            return f"{type(value).__name__}[{len(value)}]"
        except Exception:  # noqa: BLE001
            return type(value).__name__
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - repr of user objects may fail
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class QpuTwinError(Exception):
    """Base class of all qpu_twin errors."""


class ArgumentError(QpuTwinError, ValueError, TypeError):
    """A wrong argument of a public function; the message names the argument and shows the value."""


class ProfileError(QpuTwinError, ValueError):
    """An invalid, unphysical or inconsistent device profile (or profile file).

    Attributes
    ----------
    problems : list[str]
        Every problem found, one line each (the message lists them all).
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems) if problems else [message]


class CompileError(QpuTwinError, ValueError):
    """A circuit cannot be compiled onto / scheduled on a device."""


class EngineError(QpuTwinError, RuntimeError):
    """A simulation engine cannot run a program (size, unsupported op, ...)."""


class DataError(QpuTwinError, ValueError):
    """A malformed data file or record: names the file, the path inside it and the value."""


class CalibrationError(QpuTwinError, ValueError):
    """A calibration experiment or analysis cannot proceed."""


class FitError(QpuTwinError, ValueError):
    """A fit of the twin to data cannot be set up or run."""


class BenchmarkError(QpuTwinError, ValueError):
    """A benchmark cannot run (no data, unknown model, ...)."""


class Interrupted(QpuTwinError, KeyboardInterrupt):
    """A long run stopped by Ctrl-C after saving what was finished.

    Attributes
    ----------
    checkpoint : str or None
        The checkpoint file to pass as ``resume`` to continue.
    """

    def __init__(self, message: str, checkpoint: str | None = None):
        super().__init__(message)
        self.checkpoint = checkpoint


class ProfileWarning(UserWarning):
    """An importer adjusted a source value (recorded in the profile's provenance)."""


class DecoherenceWarning(UserWarning):
    """A gate's decoherence alone exceeds its stated error: the twin uses decoherence only."""


class CostWarning(UserWarning):
    """A run is expected to take long or use much memory (estimate in the message)."""


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None,
              allow_none: bool = False) -> int | None:
    """``value`` as an ``int`` (bools and floats refused), within bounds, or :class:`ArgumentError`."""
    import numbers

    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentError(f"{name}={short_repr(value)}: must be an integer"
                            + (" or None" if allow_none else ""))
    v = int(value)
    if minimum is not None and v < minimum:
        raise ArgumentError(f"{name}={v}: must be >= {minimum}")
    if maximum is not None and v > maximum:
        raise ArgumentError(f"{name}={v}: must be <= {maximum}")
    return v


def check_real(name: str, value, *, minimum: float | None = None, maximum: float | None = None,
               allow_none: bool = False, strict_minimum: bool = False) -> float | None:
    """``value`` as a finite ``float`` (bools refused), within bounds, or :class:`ArgumentError`."""
    import math
    import numbers

    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name}={short_repr(value)}: must be a real number" + (" or None" if allow_none else ""))
    v = float(value)
    if not math.isfinite(v):
        raise ArgumentError(f"{name}={v!r}: must be finite")
    if minimum is not None and (v < minimum or (strict_minimum and v == minimum)):
        raise ArgumentError(f"{name}={v!r}: must be {'>' if strict_minimum else '>='} {minimum}")
    if maximum is not None and v > maximum:
        raise ArgumentError(f"{name}={v!r}: must be <= {maximum}")
    return v


def did_you_mean(value, choices) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to ``value``, or ``""``."""
    import difflib

    text, names = str(value), [str(c) for c in choices]
    close = difflib.get_close_matches(text, names, n=1)
    if not close and len(text) >= 2:  # a prefix or a different case: "t1" -> "t1_us", "Tree" -> "tree"
        close = [c for c in names if c.lower().startswith(text.lower()) or text.lower() == c.lower()][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_choice(name: str, value, choices, *, allow_none: bool = False):
    """``value`` if it is one of ``choices`` (compared with ``==``), else :class:`ArgumentError`
    listing them, with a did-you-mean suggestion for a near miss."""
    if value is None and allow_none:
        return None
    choices = list(choices)
    try:
        ok = any(value == c for c in choices if isinstance(c, bool) == isinstance(value, bool))
    except Exception:  # noqa: BLE001 - an object whose == fails is not a choice
        ok = False
    if not ok:
        known = ", ".join(repr(c) for c in choices)
        raise ArgumentError(f"{name}={short_repr(value)}: unknown{did_you_mean(value, choices)}; use "
                            + ("one of " if len(choices) > 1 else "") + known + (" or None" if allow_none else ""))
    return value


def check_bool(name: str, value, *, allow_none: bool = False) -> bool | None:
    """``value`` as a ``bool`` (Python or numpy bools only: ``"no"`` or ``1`` are refused), or :class:`ArgumentError`."""
    if value is None and allow_none:
        return None
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ArgumentError(f"{name}={short_repr(value)}: must be True or False" + (" or None" if allow_none else ""))


def check_str(name: str, value, *, allow_none: bool = False, allow_empty: bool = False) -> str | None:
    """``value`` if it is a (non-empty, unless ``allow_empty``) string, else :class:`ArgumentError`."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise ArgumentError(f"{name}={short_repr(value)}: must be a string" + (" or None" if allow_none else ""))
    if not allow_empty and not value.strip():
        raise ArgumentError(f"{name}={value!r}: must be a non-empty string")
    return value


def check_path(name: str, value, *, allow_none: bool = False):
    """``value`` (a ``str`` or ``os.PathLike``) as a ``pathlib.Path``, else :class:`ArgumentError`."""
    import os
    from pathlib import Path

    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)) or (isinstance(value, str) and not value):
        raise ArgumentError(f"{name}={short_repr(value)}: must be a file or folder path (str or os.PathLike)"
                            + (" or None" if allow_none else ""))
    return Path(value)


def check_instance(name: str, value, cls, *, what: str | None = None, allow_none: bool = False):
    """``value`` if it is an instance of ``cls`` (a class or tuple of classes), else :class:`ArgumentError`."""
    if value is None and allow_none:
        return None
    if not isinstance(value, cls):
        kinds = what or " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise ArgumentError(f"{name}={short_repr(value)}: must be a {kinds}, got {type(value).__name__}")
    return value


def check_sequence(name: str, value, *, of=None, what: str | None = None, allow_empty: bool = True) -> list:
    """``value`` (a list, tuple or other non-string iterable) as a list; with ``of``, every item an instance of it."""
    if isinstance(value, (str, bytes, dict)) or value is None or not hasattr(value, "__iter__"):
        raise ArgumentError(f"{name}={short_repr(value)}: must be a list" + (f" of {what}" if what else ""))
    items = list(value)
    if not items and not allow_empty:
        raise ArgumentError(f"{name}={short_repr(value)}: must not be empty")
    if of is not None:
        for i, item in enumerate(items):
            if not isinstance(item, of):
                kinds = " or ".join(c.__name__ for c in (of if isinstance(of, tuple) else (of,)))
                raise ArgumentError(f"{name}[{i}]={short_repr(item)}: must be a {kinds}, got {type(item).__name__}")
    return items


def check_qubits(name: str, value, *, num_qubits: int | None = None, length=None, distinct: bool = True,
                 allow_int: bool = False, allow_empty: bool = True, device: str = "",
                 what: str = "qubit") -> tuple[int, ...]:
    """``value`` (a sequence of qubit indices, or one index if ``allow_int``) as a tuple of ints.

    Indices must be integers (bools and floats refused), within ``0..num_qubits-1`` when
    ``num_qubits`` is given, distinct when ``distinct``, and ``length`` (an int or a tuple
    of allowed lengths) many when given; else :class:`ArgumentError`. ``what`` names
    the items in messages (``"clbit"`` for classical bits).
    """
    import numbers

    if allow_int and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        items = [value]
    elif isinstance(value, (str, bytes, dict)) or value is None or not hasattr(value, "__iter__"):
        raise ArgumentError(f"{name}={short_repr(value)}: must be a sequence of {what} indices"
                            + (" or one index" if allow_int else ""))
    else:
        items = list(value)
    if not items and not allow_empty:
        raise ArgumentError(f"{name}={short_repr(value)}: must name at least one {what}")
    out = []
    for q in items:
        if isinstance(q, bool) or not isinstance(q, numbers.Integral):
            raise ArgumentError(f"{name}={short_repr(value)}: {what} {short_repr(q)} is not an integer index")
        q = int(q)
        if q < 0 or (num_qubits is not None and q >= num_qubits):
            where = f" of {device}" if device else ""
            top = f"0..{num_qubits - 1}" if num_qubits is not None else ">= 0"
            raise ArgumentError(f"{name}={short_repr(value)}: {what} {q} is not a {what}{where} ({top})")
        out.append(q)
    if distinct and len(set(out)) != len(out):
        raise ArgumentError(f"{name}={short_repr(value)}: repeats a {what}")
    if length is not None:
        allowed = (length,) if isinstance(length, int) else tuple(length)
        if len(out) not in allowed:
            raise ArgumentError(f"{name}={short_repr(value)}: needs {' or '.join(map(str, allowed))} qubit(s), "
                                f"got {len(out)}")
    return tuple(out)


def check_finite_mapping(name: str, value, *, nonnegative: bool = True, integer: bool = False,
                         nonzero_total: bool = True, key_type=str) -> dict:
    """``value`` as a dict of finite numbers (counts if ``integer``) keyed by ``key_type``, or :class:`ArgumentError`.

    Negative entries are refused when ``nonnegative`` (round-off above -1e-9 is kept as given),
    an all-zero or empty mapping when ``nonzero_total``.
    """
    import math
    import numbers
    from collections.abc import Mapping

    if not isinstance(value, Mapping):
        raise ArgumentError(f"{name}={short_repr(value)}: must be a mapping outcome -> "
                            + ("count" if integer else "probability or count"))
    total = 0.0
    for k, v in value.items():
        if key_type is not None and not isinstance(k, key_type):
            raise ArgumentError(f"{name}: key {short_repr(k)} must be a {key_type.__name__}")
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ArgumentError(f"{name}[{short_repr(k)}]={short_repr(v)}: not a number")
        x = float(v)
        if not math.isfinite(x):
            raise ArgumentError(f"{name}[{short_repr(k)}]={x!r}: not finite")
        if integer and not (isinstance(v, numbers.Integral) or x.is_integer()):
            raise ArgumentError(f"{name}[{short_repr(k)}]={short_repr(v)}: not a whole count")
        if nonnegative and x < (0 if integer else -1e-9):
            raise ArgumentError(f"{name}[{short_repr(k)}]={short_repr(v)}: negative")
        total += x
    if nonzero_total and total <= 0:
        raise ArgumentError(f"{name}={short_repr(value)}: " + ("empty" if not value else "zero total weight"))
    return dict(value)


def check_real_array(name: str, value, *, minimum: float | None = None, allow_empty: bool = False):
    """``value`` as a 1-d float numpy array of finite numbers (each >= ``minimum``), or :class:`ArgumentError`."""
    import numbers

    import numpy as np

    if isinstance(value, (str, bytes, dict)) or value is None:
        raise ArgumentError(f"{name}={short_repr(value)}: must be a sequence of numbers")
    if isinstance(value, numbers.Number):
        raise ArgumentError(f"{name}={short_repr(value)}: must be a sequence of numbers, not one number")
    items = list(value) if not isinstance(value, np.ndarray) else value.tolist()
    for x in (np.asarray(items, dtype=object).ravel() if items else ()):
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
            raise ArgumentError(f"{name}={short_repr(value)}: {short_repr(x)} is not a number")
    arr = np.asarray(items, dtype=float)
    if arr.ndim != 1:
        raise ArgumentError(f"{name}={short_repr(value)}: must be one-dimensional (shape {arr.shape})")
    if arr.size == 0 and not allow_empty:
        raise ArgumentError(f"{name}={short_repr(value)}: must not be empty")
    bad = arr[~np.isfinite(arr)]
    if bad.size:
        raise ArgumentError(f"{name}={short_repr(value)}: {float(bad[0])!r} is not finite")
    if minimum is not None and arr.size and arr.min() < minimum:
        raise ArgumentError(f"{name}={short_repr(value)}: {float(arr.min())!r} is below the minimum {minimum}")
    return arr


def check_kwargs(where: str, kwargs, known) -> None:
    """Refuse keyword arguments of ``where`` (e.g. ``"Twin.as_of"``) not in ``known``, with a did-you-mean.

    ``known`` is an iterable of names or a callable whose keyword parameters are the known names.
    """
    import inspect

    if callable(known):
        sig = inspect.signature(known)
        known = [p.name for p in sig.parameters.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "cls")]
    known = sorted(known)
    bad = sorted(set(kwargs) - set(known))
    if bad:
        hints = ", ".join(f"{b}={short_repr(kwargs[b])}{did_you_mean(b, known)}" for b in bad)
        raise ArgumentError(f"{where}: unknown keyword argument(s) {hints} (known: {', '.join(known) or 'none'})")
def finite_float(label: str, value, *, error: type[QpuTwinError] = ArgumentError) -> float:
    """``float(value)`` (a number or numeric text), or ``error`` naming ``label`` and the value if it is
    not a finite number: ``f"{label}={value!r}: not a number"`` / ``": not finite"``."""
    import math

    try:
        x = float(value)
    except (TypeError, ValueError):
        raise error(f"{label}={short_repr(value)}: not a number") from None
    if not math.isfinite(x):
        raise error(f"{label}={x!r}: not finite")
    return x
