"""The :class:`DeviceProfile`: one validated description of a device at one time.

Conventions (also in ``docs/profiles.md``)
------------------------------------------
* Units are in the field names: ``t1_us`` (microseconds), ``duration_ns``
  (nanoseconds), ``frequency_ghz``, ``zz_khz``.
* ``Gate.error`` is the **average gate infidelity** 1 - F_avg of the
  implemented channel with respect to the ideal gate (IBM's ``gate_error``
  and RB error-per-gate are quoted in this convention). It is at most
  d/(d+1) (2/3 for one qubit, 4/5 for two).
* Readout: ``prob_meas1_prep0`` = p(1|0) and ``prob_meas0_prep1`` = p(0|1).
* ``t1_us=None`` means the device has no energy-relaxation process worth
  modelling (trapped ions); a superconducting operational qubit must give it.
* ZZ: ``zz_khz`` is zeta/h = (E11 - E10 - E01 + E00)/h, i.e. the static
  Hamiltonian term is H/h = (zeta/4) Z(x)Z (IBM's ``zz_*`` properties).
* Virtual gates (``rz``, ``u1``, ``p``) have zero duration and zero error.

Validation never clips: an unphysical or inconsistent value raises
:class:`~qpu_twin.errors.ProfileError` naming the device, the qubit or gate,
the field and the value. Importers that meet such values in real snapshots
adjust them *explicitly* and record every change in
``provenance.adjustments``.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime
from pathlib import Path
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, StrictBool, ValidationError,
                      model_validator)

from ..errors import (ArgumentError, ProfileError, check_instance, check_int, check_kwargs, check_path, check_qubits,
                      check_str, did_you_mean, short_repr)
from ..files import write_text_atomic
from . import importers
from .gates import CONTROL_FLOW, GATE_SPECS, max_average_infidelity
from .io import dump_yaml, profile_file_format, read_data_file
from .summary import profile_summary

SCHEMA_VERSION = 1

#: Exporters of a profile to other frameworks, registered by the layers that implement them
#: (``qpu_twin/__init__.py`` registers ``"cirq"`` -> ``qpu_twin.interop.cirq.to_cirq_noise_model``):
#: the model does not import upward.
_EXPORTERS: dict[str, Any] = {}


def register_exporter(name: str, func) -> None:
    """Register ``func(profile, **kwargs)`` as the exporter ``name`` (e.g. ``"cirq"``)."""
    _EXPORTERS[name] = func


def _format_validation_error(exc: ValidationError, data: Any, cls: type) -> ProfileError:
    """Turn a pydantic ValidationError into a ProfileError naming field and value.

    An unknown field gets the closest known field name as a suggestion; a
    missing field is named without dumping its parent; errors raised by nested
    entries (already :class:`ProfileError` with their own location) are kept,
    not wrapped again.
    """
    prefix = _entry_label(cls, data)
    errors = exc.errors()
    if len(errors) == 1 and isinstance((errors[0].get("ctx") or {}).get("error"), ProfileError):
        # one of our validators raised it (pydantic wraps it: ProfileError is a ValueError); keep its
        # problems, prefixed with where it happened
        inner = errors[0]["ctx"]["error"]
        loc = errors[0].get("loc", ())
        head = prefix + (f"{_where(loc, data)}: " if loc else "")
        if not head or str(inner).startswith(head):
            return inner
        return ProfileError(head + str(inner), [head + p for p in inner.problems])
    problems = []
    for err in errors:
        loc = err.get("loc", ())
        where = []
        i = 0
        while i < len(loc):
            part = loc[i]
            if part in ("qubits", "gates") and i + 1 < len(loc) and isinstance(loc[i + 1], int):
                entry = _get(data, part, loc[i + 1])
                kind = Qubit if part == "qubits" else Gate
                where.append(_entry_label(kind, entry, fallback=f"{part}[{loc[i + 1]}]").rstrip(": "))
                i += 2
                continue
            if isinstance(part, int) and where:
                where[-1] += f"[{part}]"
            else:
                where.append(str(part))
            i += 1
        field = ".".join(where)
        kind = err.get("type")
        inner = (err.get("ctx") or {}).get("error")
        if kind == "value_error" and isinstance(inner, ProfileError):
            # raised by a nested entry's own validation: its problems already name field and value
            problems += [p if not field or p.startswith(field) else f"{field}: {p}" for p in inner.problems]
        elif kind == "missing" and loc and isinstance(loc[-1], int):
            parent = _value_at(data, loc[:-1])  # a too-short sequence: show it (it is small by construction)
            problems.append(f"{field}: required item missing ({'.'.join(map(str, loc[:-1]))}={_short(parent)})")
        elif kind == "missing":
            problems.append(f"{field}: required field missing")
        elif kind == "extra_forbidden":
            import difflib

            known = list(getattr(_model_at(cls, loc[:-1]), "model_fields", {}))
            close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6) if loc else []
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}" if known else ""
            problems.append(f"{field}={_short(err.get('input'))}: unknown field; {err.get('msg', 'not allowed')}"
                            + (f" ({hint})" if hint else ""))
        else:
            msg = str(err.get("msg", "invalid"))
            msg = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
            problems.append(f"{field or cls.__name__}={_short(err.get('input'))}: {msg}")
    problems = [p if p.startswith(prefix) else prefix + p for p in problems]
    if len(problems) == 1:
        return ProfileError(problems[0], problems)
    return ProfileError(f"{prefix}invalid {cls.__name__} ({len(problems)} problems):\n  " + "\n  ".join(problems),
                        problems)


def _model_at(cls: type, loc) -> type | None:
    """The pydantic model class that validates the value at ``loc`` inside ``cls`` (None if not a model)."""
    import typing

    def models_in(tp):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for a in typing.get_args(tp) for m in models_in(a)]

    current = cls
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return None
        found = models_in(fields[part].annotation)
        if not found:
            return None
        current = found[0]
    return current


def _value_at(data: Any, loc: tuple) -> Any:
    """The value at a pydantic error location inside the input data (None if it cannot be followed)."""
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _where(loc: tuple, data: Any) -> str:
    """``qubit 3.t1_us`` / ``gate cx(0, 1).error`` / ``crosstalk.zz.0`` for a pydantic error location."""
    where = []
    i = 0
    while i < len(loc):
        part = loc[i]
        if part in ("qubits", "gates") and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            entry = _get(data, part, loc[i + 1])
            kind = Qubit if part == "qubits" else Gate
            where.append(_entry_label(kind, entry, fallback=f"{part}[{loc[i + 1]}]").rstrip(": "))
            i += 2
            continue
        where.append(str(part))
        i += 1
    return ".".join(where)


def _get(data: Any, part: str, idx: int) -> Any:
    try:
        return data[part][idx]
    except (KeyError, IndexError, TypeError):
        return None


def _entry_label(cls: type, data: Any, fallback: str = "") -> str:
    """``"device 'x': "``, ``"qubit 3: "`` or ``"gate cx(0, 1): "`` for error prefixes."""
    if not isinstance(data, dict):
        return f"{fallback}: " if fallback else ""
    name = cls.__name__
    if name == "DeviceProfile" and data.get("name"):
        return f"device {data['name']!r}: "
    if name == "Qubit" and "index" in data:
        return f"qubit {data['index']}: "
    if name == "Gate" and "name" in data:
        qubits = data.get("qubits") or ()
        try:
            return f"gate {data['name']}({', '.join(map(str, qubits))}): "
        except TypeError:
            return f"gate {data['name']}: "
    return f"{fallback}: " if fallback else ""


def _short(value: Any) -> str:
    return short_repr(value)


class _Frozen(BaseModel):
    """Frozen, strict base: unknown keys are errors, NaN/inf are rejected.

    Construction errors are :class:`ProfileError` naming the device, the
    qubit or gate, the field and the value.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)

    def __init__(self, **data: Any):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _format_validation_error(exc, data, type(self)) from None
        except ProfileError as exc:  # raised by a nested entry: add the outer context
            raise _with_context(exc, type(self), data) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any):  # type: ignore[override]
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise _format_validation_error(exc, obj, cls) from None
        except ProfileError as exc:
            raise _with_context(exc, cls, obj) from None


def _with_context(exc: ProfileError, cls: type, data: Any) -> ProfileError:
    prefix = _entry_label(cls, data)
    if not prefix or str(exc).startswith(prefix):
        return exc
    return ProfileError(prefix + str(exc), [prefix + p for p in exc.problems])


class Technology(str, Enum):
    """Qubit technology of a device."""

    superconducting = "superconducting"
    trapped_ion = "trapped_ion"
    neutral_atom = "neutral_atom"
    spin = "spin"
    photonic = "photonic"
    other = "other"


Scalar = float | int | str | bool | None


def _refuse_coercion(value: Any) -> Any:
    """Numbers stay numbers: a quoted number (``"100"``) or a boolean is not converted to one."""
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"must be a number, not {type(value).__name__} (quoted numbers and booleans are not "
                         "converted)")
    return value


#: A real number field: ints and floats (and numpy scalars) accepted; bools and strings refused.
Real = Annotated[float, BeforeValidator(_refuse_coercion)]
#: An integer field: bools and strings refused (an integral float such as 3.0 is accepted as 3).
Int = Annotated[int, BeforeValidator(_refuse_coercion)]
#: A boolean field: only true / false (no 0/1, no "yes").
Bool = StrictBool

#: Largest duration (ns) any field may hold (1000 s): larger values are typos that overflow later.
MAX_DURATION_NS = 1e12
#: Largest coherence or lifetime (us) any field may hold (about 11.6 days).
MAX_TIME_US = 1e12
#: Largest |ZZ| (kHz) and detuning sigma (kHz): 1 GHz.
MAX_KHZ = 1e6
#: Largest rate or shift (MHz) of a readout spectator: 1 THz.
MAX_MHZ = 1e6
#: Largest frequency (GHz).
MAX_GHZ = 1e6


class Adjustment(_Frozen):
    """One explicit change an importer made to a source value.

    ``target`` names the object (``"qubit 8"``, ``"gate cx(3, 5)"``,
    ``"device"``), ``field`` the profile field, ``source_value`` what the
    source said and ``value`` what the profile holds instead.
    """

    target: str
    field: str
    source_value: Scalar
    value: Scalar
    reason: str


class Provenance(_Frozen):
    """Where a profile's numbers come from and what was done to them."""

    source: str = Field(description="The data source (file, backend, document).")
    method: str = Field(description="How the profile was obtained (importer, hand-written, fit).")
    imported_with: str | None = Field(default=None, description="Software and version that built the profile.")
    references: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    adjustments: tuple[Adjustment, ...] = Field(
        default=(), description="Every source value the importer changed, with the reason."
    )


class Qubit(_Frozen):
    """Per-qubit properties. Times in us / ns, frequencies in GHz."""

    index: Int
    operational: Bool = True
    t1_us: Real | None = Field(default=None, description="Energy relaxation time T1 (us); None: no T1 process.")
    t2_us: Real | None = Field(default=None, description="Coherence time T2 (Ramsey/echo as the source gives, us).")
    frequency_ghz: Real | None = None
    anharmonicity_ghz: Real | None = None
    prob_meas1_prep0: Real | None = Field(default=None, description="Readout p(1|0).")
    prob_meas0_prep1: Real | None = Field(default=None, description="Readout p(0|1).")
    readout_duration_ns: Real | None = None
    reset_error: Real | None = Field(
        default=None, description="Probability that reset of |1> leaves the qubit in |1> (reset of |0> never fails).")
    reset_duration_ns: Real | None = None
    prep_excited_prob: Real | None = Field(
        default=None, description="Probability that the qubit starts a circuit in |1> instead of |0> (residual "
        "thermal population after initialisation); None: a perfect |0>.")
    readout_t1_window_ns: Real | None = Field(
        default=None,
        description="Effective time (ns) from the start of the readout until the state is discriminated: |1> "
        "relaxing within it reads 0 and stays 0. Splits p(0|1) into a T1 part and a separation part; "
        "None or 0: the whole p(0|1) is separation error (the post-measurement state is the pre-measurement one).")
    meas_excitation_prob: Real | None = Field(
        default=None, description="Backaction: probability that a measurement leaves a qubit that was in |0> in |1> "
        "(not seen in its own record; matters when the qubit is used again).")
    meas_relaxation_prob: Real | None = Field(
        default=None, description="Backaction: probability that a measurement leaves a qubit that was in |1> in |0> "
        "after discrimination (beyond T1 over the readout window).")
    t2_star_us: Real | None = Field(
        default=None, description="Ramsey coherence time T2* (us), when the source gives it besides the echo T2 "
        "(t2_us): the gap is quasi-static frequency noise.")
    detuning_sigma_khz: Real | None = Field(
        default=None, description="Standard deviation (kHz) of the quasi-static Gaussian detuning; None: derived "
        "from t2_star_us and t2_us when both are given, else 0.")
    detuning_khz: Real | None = Field(
        default=None, description="Mean offset (kHz) of the qubit's frequency from its drive frame (drift since the "
        "frequency was last calibrated, or a static shift): a superposition precesses at 2 pi detuning_khz while it "
        "idles, an echo or dynamical decoupling refocuses it; the Gaussian of detuning_sigma_khz is centred on it. "
        "None: 0.")
    leakage_lifetime_us: Real | None = Field(
        default=None, description="Lifetime (us) of the leaked level |2> before it decays back to |1> (seepage); "
        "None: a leaked qubit stays leaked.")
    leaked_reads_as: Literal[0, 1] = Field(
        default=1, description="The readout of a leaked qubit (a transmon in |2> reads as 1 on most devices).")
    uncertainty: dict[str, Real] = Field(
        default_factory=dict, description="Standard errors of numeric fields, keyed by field name."
    )

    def quasi_static_sigma_khz(self) -> float:
        """The quasi-static detuning sigma (kHz): stated, or derived from T2* and the echo T2, else 0.

        For a Gaussian static detuning with standard deviation sigma (angular
        2 pi sigma) on top of the Markovian decay exp(-t/T2), the Ramsey signal
        decays as exp(-t/T2 - (2 pi sigma t)^2 / 2); T2* is its 1/e time, so
        (2 pi sigma)^2 = 2 (1 - T2*/T2) / T2*^2.
        """
        if self.detuning_sigma_khz is not None:
            return float(self.detuning_sigma_khz)
        if self.t2_star_us is None or self.t2_us is None or self.t2_star_us >= self.t2_us:
            return 0.0
        t_star = self.t2_star_us
        omega = math.sqrt(2.0 * (1.0 - t_star / self.t2_us)) / t_star  # rad/us
        return omega / (2 * math.pi) * 1e3  # kHz

    @property
    def readout_error(self) -> float | None:
        """Mean assignment error (p(1|0) + p(0|1)) / 2."""
        if self.prob_meas1_prep0 is None or self.prob_meas0_prep1 is None:
            return None
        return 0.5 * (self.prob_meas1_prep0 + self.prob_meas0_prep1)

    @property
    def tphi_us(self) -> float | None:
        """Pure-dephasing time: 1/Tphi = 1/T2 - 1/(2 T1); None if infinite or unknown."""
        if self.t2_us is None:
            return None
        rate = 1.0 / self.t2_us - (0.5 / self.t1_us if self.t1_us else 0.0)
        return None if rate <= 0 else 1.0 / rate


class Gate(_Frozen):
    """One native gate on specific qubits. ``error`` is average gate infidelity."""

    name: str
    qubits: tuple[Int, ...]
    error: Real | None = None
    duration_ns: Real | None = None
    operational: Bool = True
    overrotation: Real = Field(
        default=0.0,
        description="Coherent over-rotation as a fraction of the gate's rotation: the twin applies U^(1+overrotation).",
    )
    leakage_prob: Real | None = Field(
        default=None, description="Probability per application that a qubit of the gate in |1> leaves the "
        "computational subspace (to |2>); None: no leakage.")
    ix_error_rad: Real = Field(
        default=0.0, description="Coherent error of a two-qubit gate on (a, b) (rad): the term "
        "(ix_error_rad I(x)X + zx_error_rad Z(x)X) / (2T) in its Hamiltonian, Z on a and X on b (the residual IX "
        "and ZX of a cross-resonance gate). For cx(a, b) it commutes with the gate: b over-rotates about X by "
        "ix + zx when a is |0> and by ix - zx when a is |1>. Counted in the stated error (the depolarizing "
        "top-up shrinks).")
    zx_error_rad: Real = Field(default=0.0,
                               description="Coherent ZX error of a two-qubit gate (rad); see ix_error_rad.")
    uncertainty: dict[str, Real] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[int, ...]]:
        return (self.name, self.qubits)

    @property
    def coherent(self) -> tuple[float, float, float]:
        """(overrotation, ix_error_rad, zx_error_rad): what the gate's drive Hamiltonian depends on."""
        return (float(self.overrotation), float(self.ix_error_rad), float(self.zx_error_rad))

    @property
    def label(self) -> str:
        return f"gate {self.name}({', '.join(map(str, self.qubits))})"


class ZZCoupling(_Frozen):
    """Static ZZ between two qubits: H/h = (zz_khz/4) Z(x)Z."""

    qubits: tuple[Int, Int]
    zz_khz: Real
    uncertainty: dict[str, Real] = Field(default_factory=dict)


class MeasurementCrosstalk(_Frozen):
    """Error on a spectator qubit caused by measuring (or resetting) another.

    ``measured=None`` / ``spectator=None`` mean "any qubit": the Quantinuum
    spec sheet quotes one device-wide mid-circuit-measurement crosstalk error.
    ``error`` is the probability per measurement event that the spectator
    suffers an error.
    """

    measured: Int | None = None
    spectator: Int | None = None
    error: Real
    uncertainty: dict[str, Real] = Field(default_factory=dict)


class ReadoutSpectator(_Frozen):
    """What reading out ``measured`` does to a ``spectator`` qubit during the readout window.

    Photons in the measured qubit's resonator dephase and Stark-shift nearby
    qubits: the spectator dephases at ``dephasing_rate_mhz`` (an extra pure-dephasing
    rate, 1/us) and accumulates a Z phase 2 pi ``stark_shift_mhz`` t for as long as
    the measurement lasts. ``None`` for either qubit means "any" (device-wide).
    """

    measured: Int | None = None
    spectator: Int | None = None
    dephasing_rate_mhz: Real = 0.0
    stark_shift_mhz: Real = 0.0
    uncertainty: dict[str, Real] = Field(default_factory=dict)


class CorrelatedReadout(_Frozen):
    """Joint assignment matrix of two qubits read out at the same time (readout crosstalk).

    ``assignment[r][a]`` = P(recorded r | actual a) with r, a = 2 b0 + b1 for the
    bits of ``qubits[0]``, ``qubits[1]``; columns sum to 1. When both qubits are
    measured simultaneously (overlapping windows) it replaces their single-qubit
    assignment errors.
    """

    qubits: tuple[Int, Int]
    assignment: tuple[tuple[Real, Real, Real, Real], ...]
    uncertainty: dict[str, Real] = Field(default_factory=dict)

    def matrix(self):
        import numpy as np

        return np.array(self.assignment, dtype=float)


class Crosstalk(_Frozen):
    zz: tuple[ZZCoupling, ...] = ()
    measurement: tuple[MeasurementCrosstalk, ...] = ()
    readout_spectators: tuple[ReadoutSpectator, ...] = ()
    readout_pairs: tuple[CorrelatedReadout, ...] = ()


class DeviceProfile(_Frozen):
    """An immutable, validated description of one device at one point in time.

    Build one with an importer (:meth:`from_qiskit_backend`,
    :meth:`from_ibm_properties`, :meth:`from_quantinuum_spec`), load one with
    :func:`qpu_twin.load_profile`, or write the fields by hand. Any
    unphysical or inconsistent value raises :class:`~qpu_twin.ProfileError`.

    Examples
    --------
    >>> import qpu_twin
    >>> p = qpu_twin.load_profile("line5")
    >>> p.num_qubits, p.qubit(0).t1_us
    (5, 100.0)
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str
    vendor: str
    technology: Technology
    timestamp: datetime = Field(description="Calibration snapshot time (timezone-aware).")
    num_qubits: Int
    dt_ns: Real | None = Field(default=None, description="Control-electronics sample time (ns), if any.")
    description: str = ""
    qubits: tuple[Qubit, ...]
    gates: tuple[Gate, ...]
    coupling_map: tuple[tuple[Int, Int], ...] = Field(
        default=(), description="Directed edges (control, target) where a two-qubit gate is calibrated."
    )
    crosstalk: Crosstalk = Crosstalk()
    control_flow: tuple[str, ...] = ()
    provenance: Provenance

    _gate_index: dict = PrivateAttr(default_factory=dict)
    _edges: frozenset = PrivateAttr(default=frozenset())
    _zz_index: dict = PrivateAttr(default_factory=dict)
    _fingerprint: str | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Equal when every field is equal (cached lookups such as the fingerprint do not count)."""
        if not isinstance(other, DeviceProfile):
            return NotImplemented
        return self.__dict__ == other.__dict__

    # ------------------------------------------------------------------ validation
    @model_validator(mode="after")
    def _validate(self) -> "DeviceProfile":
        problems = _collect_problems(self)
        if problems:
            head = f"device {self.name!r}: " if self.name else ""
            if len(problems) == 1:
                msg = head + problems[0]
            else:
                msg = f"{head}{len(problems)} problems:\n  " + "\n  ".join(problems)
            raise ProfileError(msg, [head + p for p in problems])
        self._gate_index = {g.key: g for g in self.gates}
        self._edges = frozenset(self.coupling_map)
        self._zz_index = {}
        for t in self.crosstalk.zz:  # the first term of a pair, as the lookup always returned
            self._zz_index.setdefault(frozenset(t.qubits), t.zz_khz)
        return self

    # ------------------------------------------------------------------ lookups
    def qubit(self, index: int) -> Qubit:
        """The :class:`Qubit` with this index."""
        index = check_int("index", index)
        if not 0 <= index < self.num_qubits:
            raise ProfileError(f"device {self.name!r}: no qubit {index} (num_qubits={self.num_qubits})")
        return self.qubits[index]

    def gate(self, name: str, qubits) -> Gate:
        """The calibrated :class:`Gate` ``name`` on ``qubits`` (order matters for directed gates)."""
        if type(name) is str and type(qubits) is tuple:  # the fast path (hashable, usually valid)
            try:
                g = self._gate_index.get((name, qubits))
            except TypeError:
                g = None
            if g is not None:
                return g
        check_str("name", name)
        qubits = check_qubits("qubits", qubits, distinct=False)
        g = self._gate_index.get((name, qubits))
        if g is None and name in GATE_SPECS and GATE_SPECS[name].symmetric and len(qubits) == 2:
            g = self._gate_index.get((name, qubits[::-1]))
        if g is None:
            hint = "" if name in self.native_gates else did_you_mean(name, self.native_gates)
            raise ProfileError(f"device {self.name!r}: no native gate {name!r}{hint} on qubits {qubits}")
        return g

    def has_gate(self, name: str, qubits) -> bool:
        try:
            self.gate(name, qubits)
        except ProfileError:
            return False
        return True

    @property
    def native_gates(self) -> tuple[str, ...]:
        """Sorted names of the native gates."""
        return tuple(sorted({g.name for g in self.gates}))

    def gates_named(self, name: str) -> tuple[Gate, ...]:
        """Every calibrated entry of the gate ``name`` (empty if the device has none)."""
        check_str("name", name)
        if name not in GATE_SPECS:
            raise ArgumentError(f"name={name!r}: not a gate name{did_you_mean(name, GATE_SPECS)} "
                                f"(native gates of {self.name}: {', '.join(self.native_gates)})")
        return tuple(g for g in self.gates if g.name == name)

    def is_coupled(self, a: int, b: int) -> bool:
        """True if (a, b) or (b, a) is a coupling edge."""
        if type(a) is int and type(b) is int and ((a, b) in self._edges or (b, a) in self._edges):
            return True  # the fast path
        a, b = self.qubit(check_int("a", a)).index, self.qubit(check_int("b", b)).index  # errors for bad qubits
        return (a, b) in self._edges or (b, a) in self._edges

    def zz_khz(self, a: int, b: int) -> float | None:
        """The static ZZ (kHz) between qubits ``a`` and ``b``, or None if the profile gives none."""
        n = self.num_qubits
        if not (type(a) is int and type(b) is int and 0 <= a < n and 0 <= b < n):  # else the fast path
            a, b = self.qubit(check_int("a", a)).index, self.qubit(check_int("b", b)).index
        return self._zz_index.get(frozenset((a, b)))

    @property
    def two_qubit_gate_names(self) -> tuple[str, ...]:
        return tuple(sorted({g.name for g in self.gates if len(g.qubits) == 2}))

    @property
    def fingerprint(self) -> str:
        """SHA-256 (first 16 hex digits) of the canonical JSON form: the profile's identity."""
        if self._fingerprint is None:
            text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
            self._fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._fingerprint

    # ------------------------------------------------------------------ copies
    def replace(self, **changes: Any) -> "DeviceProfile":
        """A new, re-validated profile with top-level fields changed."""
        data = self.to_dict()
        for key, value in changes.items():
            data[key] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        return DeviceProfile.model_validate(data)

    def restrict(self, qubits, *, name: str | None = None) -> "DeviceProfile":
        """The sub-device on ``qubits`` (renumbered 0..k-1 in the given order).

        Gates, coupling edges, ZZ and measurement-crosstalk terms are kept when
        all their qubits are in the subset; the provenance records the mapping.
        """
        qubits = list(check_qubits("qubits", qubits, allow_empty=False))
        check_str("name", name, allow_none=True)
        for q in qubits:
            if q >= self.num_qubits:
                raise ProfileError(f"device {self.name!r}: restrict(qubits={qubits}): no qubit {q} "
                                   f"(num_qubits={self.num_qubits})")
        new = {q: i for i, q in enumerate(qubits)}
        d = self.to_dict()
        d["name"] = name or f"{self.name}[{','.join(map(str, qubits))}]"
        d["num_qubits"] = len(qubits)
        d["qubits"] = [dict(d["qubits"][q], index=new[q]) for q in qubits]
        d["gates"] = [dict(g, qubits=[new[q] for q in g["qubits"]]) for g in d["gates"] if set(g["qubits"]) <= new.keys()]
        d["coupling_map"] = [[new[a], new[b]] for a, b in d.get("coupling_map", []) if a in new and b in new]
        xt = d.get("crosstalk", {})
        if xt:
            xt["zz"] = [dict(t, qubits=[new[t["qubits"][0]], new[t["qubits"][1]]]) for t in xt.get("zz", [])
                        if set(t["qubits"]) <= new.keys()]
            meas = []
            for t in xt.get("measurement", []):
                m, s = t.get("measured"), t.get("spectator")
                if (m is None or m in new) and (s is None or s in new):
                    meas.append(dict(t, **({"measured": new[m]} if m is not None else {}),
                                     **({"spectator": new[s]} if s is not None else {})))
            xt["measurement"] = meas
        prov = d["provenance"]
        prov["notes"] = list(prov.get("notes", [])) + [f"restricted from {self.name} to physical qubits {qubits}"]
        return DeviceProfile.model_validate(d)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict (what the YAML/JSON files hold)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DeviceProfile":
        """Validate a plain dict of the profile's fields (what :meth:`to_dict` returns)."""
        check_instance("data", data, dict, what="dict of the profile's fields")
        return cls.model_validate(data)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def to_json(self, *, indent: int | None = 1) -> str:
        check_int("indent", indent, minimum=0, allow_none=True)
        return json.dumps(self.to_dict(), indent=indent) + "\n"

    def save(self, path) -> Path:
        """Write to ``path`` atomically; the suffix (.yaml/.yml/.json) selects the format. Returns the path."""
        path = check_path("path", path)
        fmt = profile_file_format(path, action="save")
        write_text_atomic(path, self.to_json() if fmt == "json" else self.to_yaml())
        return path

    @classmethod
    def load(cls, path) -> "DeviceProfile":
        """Read and validate a ``.yaml``/``.yml``/``.json`` profile file."""
        path = check_path("path", path)
        data = read_data_file(path)
        return cls.from_text_data(data, source=str(path))

    @classmethod
    def from_text_data(cls, data: Any, *, source: str = "<string>") -> "DeviceProfile":
        """Validate parsed file data; errors are prefixed with ``source``."""
        check_str("source", source)
        if not isinstance(data, dict):
            raise ProfileError(f"{source}: a profile file must hold a mapping, got {type(data).__name__} "
                               f"(data={short_repr(data)})")
        try:
            return cls.model_validate(data)
        except ProfileError as exc:
            raise ProfileError(f"{source}: {exc}", [f"{source}: {p}" for p in exc.problems]) from None

    # ------------------------------------------------------------------ importers
    @classmethod
    def _from_import(cls, data_and_log) -> "DeviceProfile":
        data, log = data_and_log
        profile = cls.model_validate(data)
        log.emit()
        return profile

    @classmethod
    def from_qiskit_backend(cls, backend, **kwargs: Any) -> "DeviceProfile":
        """Import any Qiskit ``BackendV2`` with a ``Target`` (see :mod:`.importers.qiskit`)."""
        check_kwargs("DeviceProfile.from_qiskit_backend", kwargs, importers.profile_data_from_qiskit_backend)
        return cls._from_import(importers.profile_data_from_qiskit_backend(backend, **kwargs))

    @classmethod
    def from_ibm_properties(cls, properties: dict, configuration: dict, **kwargs: Any) -> "DeviceProfile":
        """Import legacy IBM ``backend_properties`` / ``backend_configuration`` dicts."""
        check_instance("properties", properties, dict)
        check_instance("configuration", configuration, dict)
        check_kwargs("DeviceProfile.from_ibm_properties", kwargs, importers.profile_data_from_ibm_properties)
        return cls._from_import(importers.profile_data_from_ibm_properties(properties, configuration, **kwargs))

    @classmethod
    def from_quantinuum_spec(cls, machine: str, date: str, **kwargs: Any) -> "DeviceProfile":
        """Import a Quantinuum machine from its published spec-sheet and emulator rows."""
        check_str("machine", machine)
        check_str("date", date)
        check_kwargs("DeviceProfile.from_quantinuum_spec", kwargs, importers.profile_data_from_quantinuum_spec)
        return cls._from_import(importers.profile_data_from_quantinuum_spec(machine, date, **kwargs))

    @classmethod
    def from_cirq_google(cls, processor: str, **kwargs: Any) -> "DeviceProfile":
        """Import a Google Sycamore processor (``"rainbow"``, ``"weber"``) from cirq-google's
        shipped median calibration (see :mod:`.importers.cirq_google`; needs ``qpu_twin[interop]``)."""
        from .importers.cirq_google import profile_data_from_cirq_google

        check_kwargs("DeviceProfile.from_cirq_google", kwargs, profile_data_from_cirq_google)
        return cls._from_import(profile_data_from_cirq_google(processor, **kwargs))

    def to_cirq_noise_model(self, **kwargs: Any):
        """A ``cirq.NoiseModel`` of this profile at the twin's ``noise="aer"`` level.

        Thin lazy wrapper of :func:`qpu_twin.interop.cirq.to_cirq_noise_model`
        (profiles do not import interop at module level).
        """
        exporter = _EXPORTERS.get("cirq")
        if exporter is None:  # pragma: no cover - qpu_twin/__init__ registers it
            raise ProfileError("to_cirq_noise_model: the Cirq exporter is not registered (import qpu_twin)")
        return exporter(self, **kwargs)

    def summary(self) -> dict[str, Any]:
        """Medians, worst qubits and gates: what ``qpu-twin profile show`` prints."""
        return profile_summary(self)

    def __repr__(self) -> str:
        return (
            f"DeviceProfile(name={self.name!r}, technology={self.technology.value!r}, "
            f"num_qubits={self.num_qubits}, timestamp={self.timestamp.isoformat()!r}, "
            f"gates={list(self.native_gates)})"
        )

    __str__ = __repr__


# ---------------------------------------------------------------------------- checks
def _num(x: float | None) -> bool:
    return x is not None


def _check_prob(problems: list[str], where: str, field: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        problems.append(f"{where}: {field}={value!r} is not a probability in [0, 1]")


def _check_max(problems: list[str], where: str, field: str, value: float | None, limit: float, unit: str,
               *, shown: float | None = None) -> None:
    if value is not None and value > limit:
        problems.append(f"{where}: {field}={shown if shown is not None else value!r} exceeds {limit:g} {unit} (an "
                        "absurd magnitude: a unit mistake or a typo?)")


def _check_uncertainty(problems: list[str], where: str, obj: BaseModel) -> None:
    fields = type(obj).model_fields
    for key, value in obj.uncertainty.items():  # type: ignore[attr-defined]
        ann = fields.get(key)
        if ann is None or key in ("uncertainty", "index", "operational", "name", "qubits"):
            problems.append(f"{where}: uncertainty key {key!r} is not a numeric field of {type(obj).__name__}")
        elif not (math.isfinite(value) and value >= 0):
            problems.append(f"{where}: uncertainty[{key!r}]={value!r} must be a finite standard error >= 0")


def _collect_problems(p: DeviceProfile) -> list[str]:
    problems: list[str] = []
    if not p.name.strip():
        problems.append(f"name={p.name!r} must be a non-empty string")
    if p.timestamp.tzinfo is None or p.timestamp.utcoffset() is None:
        problems.append(f"timestamp={p.timestamp.isoformat()!r} must be timezone-aware (e.g. end with +00:00)")
    if p.num_qubits < 1:
        problems.append(f"num_qubits={p.num_qubits!r} must be >= 1")
    if p.dt_ns is not None and p.dt_ns <= 0:
        problems.append(f"dt_ns={p.dt_ns!r} must be > 0")
    if p.dt_ns is not None and p.dt_ns > MAX_DURATION_NS:
        problems.append(f"dt_ns={p.dt_ns!r} exceeds {MAX_DURATION_NS:g} ns (an absurd magnitude: a unit mistake or a "
                        "typo?)")
    if len(p.qubits) != p.num_qubits:
        problems.append(f"num_qubits={p.num_qubits!r} but {len(p.qubits)} qubit entries are given")
    for name in p.control_flow:
        if name not in CONTROL_FLOW:
            problems.append(f"control_flow: unknown instruction {name!r} (known: {sorted(CONTROL_FLOW)})")

    seen: set[int] = set()
    sc = p.technology == Technology.superconducting
    for pos, q in enumerate(p.qubits):
        where = f"qubit {q.index}"
        if q.index in seen:
            problems.append(f"{where}: duplicate qubit index {q.index!r}")
        seen.add(q.index)
        if q.index != pos:
            problems.append(f"{where}: index={q.index!r} at position {pos}; qubits must be listed in order 0..n-1")
        if q.t1_us is not None and q.t1_us <= 0:
            problems.append(f"{where}: t1_us={q.t1_us!r} must be > 0")
        if q.t2_us is not None and q.t2_us <= 0:
            problems.append(f"{where}: t2_us={q.t2_us!r} must be > 0")
        if q.t1_us is not None and q.t2_us is not None and q.t1_us > 0 and q.t2_us > 2 * q.t1_us:
            problems.append(
                f"{where}: t2_us={q.t2_us!r} exceeds 2*t1_us={2 * q.t1_us!r} (T2 <= 2*T1 for any qubit)"
            )
        if q.operational:
            if sc and q.t1_us is None:
                problems.append(f"{where}: t1_us is missing (required for an operational superconducting qubit)")
            if q.t2_us is None and sc:
                problems.append(f"{where}: t2_us is missing (required for an operational superconducting qubit)")
            for field in ("prob_meas1_prep0", "prob_meas0_prep1", "readout_duration_ns"):
                if getattr(q, field) is None:
                    problems.append(f"{where}: {field} is missing (required for an operational qubit)")
        _check_prob(problems, where, "prob_meas1_prep0", q.prob_meas1_prep0)
        _check_prob(problems, where, "prob_meas0_prep1", q.prob_meas0_prep1)
        _check_prob(problems, where, "reset_error", q.reset_error)
        if q.readout_duration_ns is not None and q.readout_duration_ns <= 0:
            problems.append(f"{where}: readout_duration_ns={q.readout_duration_ns!r} must be > 0")
        if q.reset_duration_ns is not None and q.reset_duration_ns < 0:
            problems.append(f"{where}: reset_duration_ns={q.reset_duration_ns!r} must be >= 0")
        if q.frequency_ghz is not None and q.frequency_ghz <= 0:
            problems.append(f"{where}: frequency_ghz={q.frequency_ghz!r} must be > 0")
        _check_prob(problems, where, "meas_excitation_prob", q.meas_excitation_prob)
        _check_prob(problems, where, "prep_excited_prob", q.prep_excited_prob)
        _check_prob(problems, where, "meas_relaxation_prob", q.meas_relaxation_prob)
        _check_readout_window(problems, where, q)
        if q.operational and q.prob_meas1_prep0 is not None and q.prob_meas0_prep1 is not None:
            total = q.prob_meas1_prep0 + q.prob_meas0_prep1
            if total > 1.0:
                problems.append(
                    f"{where}: prob_meas1_prep0={q.prob_meas1_prep0!r} + prob_meas0_prep1={q.prob_meas0_prep1!r} = "
                    f"{total:.6g} > 1: this readout is worse than random (it reports the flipped bit more often "
                    "than the right one); fix the values or mark the qubit operational: false")
        for field in ("readout_duration_ns", "reset_duration_ns", "readout_t1_window_ns"):
            _check_max(problems, where, field, getattr(q, field), MAX_DURATION_NS, "ns")
        for field in ("t1_us", "t2_us", "t2_star_us", "leakage_lifetime_us"):
            _check_max(problems, where, field, getattr(q, field), MAX_TIME_US, "us")
        _check_max(problems, where, "frequency_ghz", q.frequency_ghz, MAX_GHZ, "GHz")
        _check_max(problems, where, "detuning_sigma_khz", q.detuning_sigma_khz, MAX_KHZ, "kHz")
        if q.detuning_khz is not None:
            _check_max(problems, where, "detuning_khz", abs(q.detuning_khz), MAX_KHZ, "kHz", shown=q.detuning_khz)
        if q.t2_star_us is not None:
            if q.t2_star_us <= 0:
                problems.append(f"{where}: t2_star_us={q.t2_star_us!r} must be > 0")
            elif q.t2_us is not None and q.t2_star_us > q.t2_us:
                problems.append(f"{where}: t2_star_us={q.t2_star_us!r} exceeds the echo t2_us={q.t2_us!r} "
                                "(quasi-static noise only shortens the Ramsey time)")
        if q.detuning_sigma_khz is not None and q.detuning_sigma_khz < 0:
            problems.append(f"{where}: detuning_sigma_khz={q.detuning_sigma_khz!r} must be >= 0")
        if q.leakage_lifetime_us is not None and q.leakage_lifetime_us <= 0:
            problems.append(f"{where}: leakage_lifetime_us={q.leakage_lifetime_us!r} must be > 0")
        if q.anharmonicity_ghz is not None and q.frequency_ghz is not None:
            if abs(q.anharmonicity_ghz) >= q.frequency_ghz:
                problems.append(
                    f"{where}: anharmonicity_ghz={q.anharmonicity_ghz!r} has magnitude >= "
                    f"frequency_ghz={q.frequency_ghz!r}"
                )
        _check_uncertainty(problems, where, q)

    n = p.num_qubits
    edges: set[tuple[int, int]] = set()
    for a, b in p.coupling_map:
        if not (0 <= a < n and 0 <= b < n):
            problems.append(f"coupling_map: edge ({a}, {b}) names a qubit outside 0..{n - 1}")
        elif a == b:
            problems.append(f"coupling_map: self-loop ({a}, {b})")
        elif (a, b) in edges:
            problems.append(f"coupling_map: duplicate edge ({a}, {b})")
        edges.add((a, b))

    keys: set[tuple[str, tuple[int, ...]]] = set()
    for g in p.gates:
        where = g.label
        spec = GATE_SPECS.get(g.name)
        if spec is None:
            problems.append(f"{where}: unknown gate name {g.name!r} (known: {', '.join(sorted(GATE_SPECS))})")
            continue
        if g.key in keys:
            problems.append(f"{where}: duplicate gate entry")
        keys.add(g.key)
        if len(g.qubits) != spec.num_qubits:
            problems.append(f"{where}: qubits={list(g.qubits)} but {g.name!r} acts on {spec.num_qubits} qubit(s)")
            continue
        if len(set(g.qubits)) != len(g.qubits):
            problems.append(f"{where}: qubits={list(g.qubits)} repeats a qubit")
            continue
        bad = [q for q in g.qubits if not 0 <= q < n]
        if bad:
            problems.append(f"{where}: qubit(s) {bad} outside 0..{n - 1}")
            continue
        if g.duration_ns is None:
            problems.append(f"{where}: duration_ns is missing")
        elif g.duration_ns > MAX_DURATION_NS:
            _check_max(problems, where, "duration_ns", g.duration_ns, MAX_DURATION_NS, "ns")
        elif g.duration_ns < 0:
            problems.append(f"{where}: duration_ns={g.duration_ns!r} must be >= 0")
        elif spec.virtual and g.duration_ns != 0:
            problems.append(f"{where}: duration_ns={g.duration_ns!r} but {g.name!r} is a virtual gate (must be 0)")
        elif not spec.virtual and g.duration_ns == 0:
            problems.append(f"{where}: duration_ns=0 for a physical (non-virtual) gate")
        if g.error is None:
            if g.operational:
                problems.append(f"{where}: error is missing (required for an operational gate)")
        else:
            emax = max_average_infidelity(spec.num_qubits)
            if not 0.0 <= g.error <= emax:
                problems.append(
                    f"{where}: error={g.error!r} outside [0, {emax:.4g}] (average gate infidelity of a "
                    f"{spec.num_qubits}-qubit channel is at most d/(d+1))"
                )
            elif spec.virtual and g.error != 0:
                problems.append(f"{where}: error={g.error!r} but {g.name!r} is a virtual gate (must be 0)")
        if not -1.0 < g.overrotation < 1.0:
            problems.append(f"{where}: overrotation={g.overrotation!r} must be a fraction in (-1, 1)")
        for fname in ("ix_error_rad", "zx_error_rad"):
            val = getattr(g, fname)
            if val and spec.num_qubits != 2:
                problems.append(f"{where}: {fname}={val!r} but {g.name!r} is not a two-qubit gate")
            elif not -math.pi <= val <= math.pi:
                problems.append(f"{where}: {fname}={val!r} must be an angle in [-pi, pi] (rad)")
        _check_prob(problems, where, "leakage_prob", g.leakage_prob)
        if g.leakage_prob and spec.virtual:
            problems.append(f"{where}: leakage_prob={g.leakage_prob!r} but {g.name!r} is a virtual gate")
        if spec.num_qubits == 2:
            a, b = g.qubits
            if (a, b) not in edges and not (spec.symmetric and (b, a) in edges):
                problems.append(f"{where}: pair ({a}, {b}) is not in the coupling_map")
        _check_uncertainty(problems, where, g)

    zz_seen: set[frozenset[int]] = set()
    for t in p.crosstalk.zz:
        a, b = t.qubits
        where = f"crosstalk.zz {tuple(t.qubits)}"
        if not (0 <= a < n and 0 <= b < n) or a == b:
            problems.append(f"{where}: qubits must be two distinct qubits in 0..{n - 1}")
            continue
        key = frozenset((a, b))
        if key in zz_seen:
            problems.append(f"{where}: duplicate ZZ entry for this pair")
        zz_seen.add(key)
        _check_max(problems, where, "zz_khz", abs(t.zz_khz), MAX_KHZ, "kHz", shown=t.zz_khz)
        _check_uncertainty(problems, where, t)
    for t in p.crosstalk.measurement:
        where = f"crosstalk.measurement (measured={t.measured}, spectator={t.spectator})"
        for field in ("measured", "spectator"):
            v = getattr(t, field)
            if v is not None and not 0 <= v < n:
                problems.append(f"{where}: {field}={v!r} outside 0..{n - 1}")
        if t.measured is not None and t.measured == t.spectator:
            problems.append(f"{where}: measured and spectator are the same qubit")
        _check_prob(problems, where, "error", t.error)
        _check_uncertainty(problems, where, t)
    for t in p.crosstalk.readout_spectators:
        where = f"crosstalk.readout_spectators (measured={t.measured}, spectator={t.spectator})"
        for field in ("measured", "spectator"):
            v = getattr(t, field)
            if v is not None and not 0 <= v < n:
                problems.append(f"{where}: {field}={v!r} outside 0..{n - 1}")
        if t.measured is not None and t.measured == t.spectator:
            problems.append(f"{where}: measured and spectator are the same qubit")
        if t.dephasing_rate_mhz < 0:
            problems.append(f"{where}: dephasing_rate_mhz={t.dephasing_rate_mhz!r} must be >= 0")
        _check_max(problems, where, "dephasing_rate_mhz", t.dephasing_rate_mhz, MAX_MHZ, "MHz")
        _check_max(problems, where, "stark_shift_mhz", abs(t.stark_shift_mhz), MAX_MHZ, "MHz",
                   shown=t.stark_shift_mhz)
        _check_uncertainty(problems, where, t)
    pairs_seen: set[frozenset[int]] = set()
    for t in p.crosstalk.readout_pairs:
        a, b = t.qubits
        where = f"crosstalk.readout_pairs {tuple(t.qubits)}"
        if not (0 <= a < n and 0 <= b < n) or a == b:
            problems.append(f"{where}: qubits must be two distinct qubits in 0..{n - 1}")
            continue
        if frozenset((a, b)) in pairs_seen:
            problems.append(f"{where}: duplicate entry for this pair")
        pairs_seen.add(frozenset((a, b)))
        m = t.assignment
        if len(m) != 4:
            problems.append(f"{where}: assignment must be a 4x4 matrix, got {len(m)} rows")
            continue
        for r, row in enumerate(m):
            for c, v in enumerate(row):
                if not 0.0 <= v <= 1.0:
                    problems.append(f"{where}: assignment[{r}][{c}]={v!r} outside [0, 1]")
        for c in range(4):
            col = sum(m[r][c] for r in range(4))
            if abs(col - 1.0) > 1e-9:
                problems.append(f"{where}: column {c} of assignment sums to {col!r}, not 1 (columns are "
                                "P(recorded | actual))")
        _check_uncertainty(problems, where, t)
    return problems


def _check_readout_window(problems: list[str], where: str, q: "Qubit") -> None:
    """The T1 part of p(0|1) over ``readout_t1_window_ns`` must not exceed the stated p(0|1)."""
    w = q.readout_t1_window_ns
    if w is None:
        return
    if w < 0:
        problems.append(f"{where}: readout_t1_window_ns={w!r} must be >= 0")
        return
    if q.readout_duration_ns is not None and w > q.readout_duration_ns:
        problems.append(f"{where}: readout_t1_window_ns={w!r} exceeds readout_duration_ns={q.readout_duration_ns!r}")
        return
    if q.t1_us and q.prob_meas0_prep1 is not None and q.prob_meas1_prep0 is not None and w > 0:
        decay = 1.0 - math.exp(-w / (q.t1_us * 1e3))
        t1_part = decay * (1.0 - q.prob_meas1_prep0)
        if t1_part > q.prob_meas0_prep1 + 1e-12:
            problems.append(
                f"{where}: readout_t1_window_ns={w!r}: T1={q.t1_us!r} us alone over that window gives p(0|1) >= "
                f"{t1_part:.4g}, more than the stated prob_meas0_prep1={q.prob_meas0_prep1!r} (shorten the window)")
