"""The one exception hierarchy of qpu_twin.

Every error the package raises on purpose derives from :class:`QpuTwinError`;
messages name the object (device, qubit, gate), the field and the offending
value, e.g. ``device 'line5': qubit 3: t2_us=250.0 exceeds 2*t1_us=200.0``.
"""

from __future__ import annotations


class QpuTwinError(Exception):
    """Base class of all qpu_twin errors."""


class ProfileError(QpuTwinError):
    """An invalid, unphysical or inconsistent device profile (or profile file).

    Attributes
    ----------
    problems : list[str]
        Every problem found, one line each (the message lists them all).
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems) if problems else [message]


class CompileError(QpuTwinError):
    """A circuit cannot be compiled onto / scheduled on a device."""


class EngineError(QpuTwinError):
    """A simulation engine cannot run a program (size, unsupported op, ...)."""


class CalibrationError(QpuTwinError):
    """A calibration experiment or analysis cannot proceed (bad data, ...)."""


class ProfileWarning(UserWarning):
    """An importer adjusted a source value (recorded in the profile's provenance)."""


class DecoherenceWarning(UserWarning):
    """A gate's decoherence alone exceeds its stated error: the twin uses decoherence only."""
