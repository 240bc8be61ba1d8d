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
