"""One way to read and change numeric profile parameters: :class:`ParameterRef`.

Calibration updates, the global fit, posterior draws and the profile history
all edit profiles through :func:`with_values`, so one naming scheme holds
everywhere. A reference is a *kind* (the short name the fit and the CLI use)
and a *target*:

===============  ==========================  ================================
kind             target                      profile field
===============  ==========================  ================================
``p10``          ``(qubit,)``                ``qubits[q].prob_meas1_prep0``
``p01``          ``(qubit,)``                ``qubits[q].prob_meas0_prep1``
``t1_us``        ``(qubit,)``                ``qubits[q].t1_us``
``t2_us``        ``(qubit,)``                ``qubits[q].t2_us``
``reset_error``  ``(qubit,)``                ``qubits[q].reset_error``
``gate_error``   ``(name, (q, ...))``        ``gates[name, qubits].error``
``overrotation`` ``(name, (q, ...))``        ``gates[name, qubits].overrotation``
``zz_khz``       ``(a, b)``                  ``crosstalk.zz[a, b].zz_khz``
===============  ==========================  ================================

New physics adds rows to :data:`KINDS` (one place), nothing else.

    >>> from qpu_twin import load_profile
    >>> from qpu_twin.profiles.edit import ParameterRef, with_values
    >>> p = load_profile("line5")
    >>> ref = ParameterRef("t1_us", (0,))
    >>> with_values(p, {ref: 80.0}).qubit(0).t1_us
    80.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from ..errors import (ArgumentError, ProfileError, check_bool, check_choice, check_instance, check_sequence, check_str,
                      did_you_mean, finite_float, short_repr)
from .model import DeviceProfile

__all__ = ["KINDS", "KindSpec", "ParameterRef", "get_value", "kind_for_field", "with_values"]


@dataclass(frozen=True)
class KindSpec:
    """Where a parameter kind lives: ``entity`` (qubit / gate / zz) and its ``field``."""

    entity: str
    field: str
    unit: str = ""
    description: str = ""


#: The one table of editable parameter kinds.
KINDS: dict[str, KindSpec] = {
    "p10": KindSpec("qubit", "prob_meas1_prep0", "", "readout p(1|0)"),
    "p01": KindSpec("qubit", "prob_meas0_prep1", "", "readout p(0|1)"),
    "t1_us": KindSpec("qubit", "t1_us", "us", "energy relaxation time"),
    "t2_us": KindSpec("qubit", "t2_us", "us", "coherence time"),
    "reset_error": KindSpec("qubit", "reset_error", "", "probability that reset of |1> leaves |1>"),
    "prep_excited_prob": KindSpec("qubit", "prep_excited_prob", "", "residual |1> population at the start"),
    "readout_t1_window_ns": KindSpec("qubit", "readout_t1_window_ns", "ns", "T1-relevant readout window"),
    "meas_excitation_prob": KindSpec("qubit", "meas_excitation_prob", "", "measurement backaction 0 -> 1"),
    "meas_relaxation_prob": KindSpec("qubit", "meas_relaxation_prob", "", "measurement backaction 1 -> 0"),
    "leakage_lifetime_us": KindSpec("qubit", "leakage_lifetime_us", "us", "lifetime of the leaked level"),
    "detuning_sigma_khz": KindSpec("qubit", "detuning_sigma_khz", "kHz", "quasi-static detuning sigma"),
    "detuning_khz": KindSpec("qubit", "detuning_khz", "kHz", "mean detuning from the drive frame"),
    "leakage_prob": KindSpec("gate", "leakage_prob", "", "leakage per gate of a qubit in |1>"),
    "gate_error": KindSpec("gate", "error", "", "average gate infidelity"),
    "overrotation": KindSpec("gate", "overrotation", "", "coherent over-rotation fraction"),
    "ix_error_rad": KindSpec("gate", "ix_error_rad", "rad", "coherent IX error of a two-qubit gate"),
    "zx_error_rad": KindSpec("gate", "zx_error_rad", "rad", "coherent ZX error of a two-qubit gate"),
    "zz_khz": KindSpec("zz", "zz_khz", "kHz", "static ZZ zeta/h"),
}


def kind_for_field(entity: str, field: str) -> str:
    """The kind name of a profile field (``("qubit", "prob_meas1_prep0")`` -> ``"p10"``)."""
    check_choice("entity", entity, sorted({s.entity for s in KINDS.values()}))
    check_str("field", field)
    for kind, spec in KINDS.items():
        if spec.entity == entity and spec.field == field:
            return kind
    fields = [s.field for s in KINDS.values() if s.entity == entity]
    raise ArgumentError(f"field={field!r}: no parameter kind for {entity} field {field!r}{did_you_mean(field, fields)} "
                        f"(known: {', '.join(f'{s.entity}.{s.field}' for s in KINDS.values())})")


@dataclass(frozen=True)
class ParameterRef:
    """A reference to one numeric profile parameter.

    Parameters
    ----------
    kind : str
        A key of :data:`KINDS`.
    target : tuple
        ``(qubit,)`` for qubit kinds, ``(gate name, (qubits...))`` for gate
        kinds, ``(a, b)`` for ZZ (stored sorted).
    """

    kind: str
    target: tuple

    def __post_init__(self):
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise ArgumentError(f"kind={short_repr(self.kind)}: unknown parameter kind{did_you_mean(self.kind, KINDS)} "
                                f"(known: {', '.join(KINDS)})")
        ent = KINDS[self.kind].entity
        t = self.target
        try:
            if ent == "qubit":
                if len(t) != 1:
                    raise ValueError
                norm = (_index(t[0]),)
            elif ent == "gate":
                name, qubits = t
                if not isinstance(name, str):
                    raise ValueError
                norm = (name, tuple(_index(q) for q in qubits))
            else:
                a, b = (_index(x) for x in t)
                norm = (min(a, b), max(a, b))
        except (TypeError, ValueError):
            shape = {"qubit": "(qubit,)", "gate": "(gate name, (qubits...))", "zz": "(a, b)"}[ent]
            raise ArgumentError(f"ParameterRef({self.kind!r}): target={t!r} must be {shape}") from None
        object.__setattr__(self, "target", norm)

    @property
    def spec(self) -> KindSpec:
        """The :class:`KindSpec` of ``kind`` (entity and profile field)."""
        return KINDS[self.kind]

    @property
    def qubits(self) -> frozenset[int]:
        """The physical qubits the parameter belongs to."""
        if self.spec.entity == "gate":
            return frozenset(self.target[1])
        return frozenset(self.target)

    @property
    def label(self) -> str:
        if self.spec.entity == "gate":
            name, qubits = self.target
            return f"{self.kind} {name}{tuple(qubits)}"
        return f"{self.kind} {tuple(self.target)}"

    def get(self, profile: DeviceProfile) -> float | None:
        """The parameter's value in ``profile`` (``None`` if the profile gives none)."""
        return get_value(profile, self)

    def stated_uncertainty(self, profile: DeviceProfile) -> float | None:
        """The standard error ``profile`` states for this parameter (its ``uncertainty`` field)."""
        check_instance("profile", profile, DeviceProfile)
        entry = _entry(profile, self)
        if entry is None:
            return None
        value = entry.uncertainty.get(self.spec.field)
        return None if value is None else float(value)


def _index(q) -> int:
    """A qubit index of a target (bools and floats refused: ``int(2.5)`` would silently truncate)."""
    import numbers

    if isinstance(q, bool) or not isinstance(q, numbers.Integral):
        raise ValueError(q)
    return int(q)


def _entry(profile: DeviceProfile, ref: ParameterRef):
    ent = ref.spec.entity
    if ent == "qubit":
        return profile.qubit(ref.target[0])
    if ent == "gate":
        return profile.gate(*ref.target)
    a, b = ref.target
    for t in profile.crosstalk.zz:
        if sorted(t.qubits) == [a, b]:
            return t
    return None


def get_value(profile: DeviceProfile, ref: ParameterRef) -> float | None:
    """The value of ``ref`` in ``profile`` (a missing ZZ term reads as ``0.0``)."""
    check_instance("profile", profile, DeviceProfile)
    check_instance("ref", ref, ParameterRef)
    entry = _entry(profile, ref)
    if entry is None:
        return 0.0 if ref.kind == "zz_khz" else None
    value = getattr(entry, ref.spec.field)
    return None if value is None else float(value)


def _as_changes(changes) -> list[tuple[ParameterRef, float, float | None]]:
    out = []
    if not isinstance(changes, Mapping):
        changes = check_sequence("changes", changes, what="(ParameterRef, value[, stderr])")
    items = changes.items() if isinstance(changes, Mapping) else changes
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], ParameterRef):
            ref, value = item
            stderr = None
            if isinstance(value, tuple):
                value, stderr = value
        elif isinstance(item, tuple) and len(item) == 3:
            ref, value, stderr = item
        elif hasattr(item, "ref") and hasattr(item, "value"):
            ref, value, stderr = item.ref, item.value, getattr(item, "stderr", None)
        else:
            raise ArgumentError(f"changes: cannot read {short_repr(item)} as (ParameterRef, value[, stderr])")
        if not isinstance(ref, ParameterRef):
            raise ArgumentError(f"changes: {short_repr(ref)} is not a ParameterRef")
        if isinstance(value, (bool, str, bytes)):
            raise ArgumentError(f"changes: {ref.label}: value {short_repr(value)} is not a number")
        value = finite_float(f"changes: {ref.label}: value", value)
        if stderr is not None and not math.isfinite(float(stderr)):
            stderr = None
        out.append((ref, value, None if stderr is None else float(stderr)))
    return out


def with_values(profile: DeviceProfile, changes, *, name: str | None = None, timestamp=None,
                provenance: dict[str, Any] | None = None, notes: Iterable[str] = (),
                keep_t2_physical: bool = False) -> DeviceProfile:
    """A new, validated profile with parameters changed.

    Parameters
    ----------
    changes : mapping ParameterRef -> value or (value, stderr), or an iterable of
        ``(ref, value, stderr)`` or of objects with ``ref``, ``value``, ``stderr``
        (e.g. :class:`qpu_twin.fit.FitParameter`).
        A finite ``stderr`` is stored in the entry's ``uncertainty``.
    name, timestamp : optional new name / timestamp (datetime or ISO string).
    provenance : dict, optional
        Replaces the provenance (``notes`` are appended to it).
    keep_t2_physical : bool
        If a new T1 falls below T2/2 and T2 is not itself changed, set T2 = 2 T1
        (and record it in the notes) instead of failing validation.

    Raises
    ------
    ProfileError
        If the result is not a valid profile (the message names the field).
    """
    check_instance("profile", profile, DeviceProfile)
    check_str("name", name, allow_none=True)
    if timestamp is not None and not isinstance(timestamp, (str, datetime)):
        raise ArgumentError(f"timestamp={short_repr(timestamp)}: must be a datetime or an ISO 8601 string")
    check_instance("provenance", provenance, dict, allow_none=True)
    notes = check_sequence("notes", notes, of=str, what="strings")
    check_bool("keep_t2_physical", keep_t2_physical)
    items = _as_changes(changes)
    d = profile.to_dict()
    gates = {(g["name"], tuple(g["qubits"])): g for g in d["gates"]}
    extra_notes = list(notes)
    changed_t2 = {ref.target for ref, _, _ in items if ref.kind == "t2_us"}
    for ref, value, stderr in items:
        spec = ref.spec
        if spec.entity == "qubit":
            q = ref.target[0]
            if not 0 <= q < len(d["qubits"]):
                raise ProfileError(f"device {profile.name!r}: {ref.label}: no qubit {q}")
            entry = d["qubits"][q]
            entry[spec.field] = value
            if ref.kind == "t1_us" and keep_t2_physical and ref.target not in changed_t2 \
                    and entry.get("t2_us") and entry["t2_us"] > 2 * value:
                extra_notes.append(f"qubit {q} t2_us: {entry['t2_us']:.6g} -> {2 * value:.6g} (T2 <= 2 T1 after "
                                   f"t1_us was set to {value:.6g})")
                entry["t2_us"] = 2 * value
        elif spec.entity == "gate":
            key = (ref.target[0], tuple(ref.target[1]))
            entry = gates.get(key)
            if entry is None:
                # a symmetric gate referenced in the other orientation is the profile's entry
                g = profile.gate(*ref.target)
                entry = gates[(g.name, tuple(g.qubits))]
            entry[spec.field] = value
        else:
            a, b = ref.target
            zz = d.setdefault("crosstalk", {}).setdefault("zz", [])
            entry = next((t for t in zz if sorted(t["qubits"]) == [a, b]), None)
            if entry is None:
                entry = {"qubits": [a, b]}
                zz.append(entry)
            entry[spec.field] = value
        if stderr is not None:
            entry.setdefault("uncertainty", {})[spec.field] = stderr
    if name:
        d["name"] = name
    if timestamp is not None:
        d["timestamp"] = timestamp if isinstance(timestamp, str) else timestamp.isoformat()
    if provenance is not None:
        d["provenance"] = dict(provenance)
    if extra_notes:
        d["provenance"]["notes"] = list(d["provenance"].get("notes", [])) + extra_notes
    return DeviceProfile.model_validate(d)
