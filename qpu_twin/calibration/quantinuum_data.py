"""Quantinuum benchmark data (github.com/CQCL/quantinuum-hardware-specifications).

File types (from the file name ``<machine>__<date>__<type>.json``, the type
in any case -- ``spam.json`` and ``SPAM.json`` -- or else from the content):
``SQ_RB``, ``TQ_RB``, ``Memory_RB``, ``SPAM``, ``Measurement_crosstalk``.
Schema: ``survival[qubit or "a, b"][length][seq]`` = shots with the expected
outcome, ``leakage_postselect`` (same shape) = shots whose leakage-detection
bits are all 0, ``sequence_info``, ``shots``; optionally ``qasm``,
``raw_data`` (or ``raw data``), ``expected_output``.

Validation (:func:`validate_quantinuum`, run by :func:`load_quantinuum` before
any analysis): one pydantic schema per file type, accepting every upstream
variant -- ``raw data`` / ``raw_data``; pair keys ``"0, 1"`` and ``"(0, 1)"``;
Memory_RB keyed by qubit or by ``"all"``; ``sequence_info`` as a map, a list
or per-qubit lists; files with only the summary fields (no ``qasm``,
``raw_data``, ``expected_output``). Then the cross-field checks: counts are
non-negative integers <= ``shots``; every qubit has the same lengths and
sequences, and they agree with ``sequence_info`` and ``leakage_postselect``;
raw bitstrings are 0/1 strings of one width with at most ``shots`` shots;
enough distinct lengths for the fit of the type (RB fit: >= 2; a decay fit
without a known asymptote or over measurement counts: >= 3). Every problem is
a :class:`~qpu_twin.errors.DataError` naming the file, the path inside it
(``survival["0, 1"]["128"]["3"]``) and the value.

Conventions (chosen to reproduce Quantinuum's own published numbers in
``Spec_sheet_parameters.csv`` from the same files; see docs/calibration.md):

* RB data of all qubits (pairs) are pooled: y(L) = mean over qubits and
  sequences of survival/shots, over *all* shots (no leakage post-selection).
  Fit y = A r^L + 1/d with d = 2^n fixed, unweighted (the pooled means average
  many sequences, so shot weights do not apply).
* ``epc`` = (d-1)/d (1 - r) per Clifford; ``epg`` is the average infidelity per
  native gate with Quantinuum's counting: 1 gate per 1Q Clifford, 1.5 ZZ gates
  per 2Q Clifford, i.e. epg = (d-1)/d (1 - r^(1/n_g)) (their "error (legacy)").
* Leakage: the post-selection fraction fitted with A r_L^L (no offset); leakage
  per gate = (1 - r_L)/n_g. ``gate_error`` = epg + leakage/2 (1Q) or + leakage/4
  (2Q): the spec sheet's "1Q error" / "2Q error".
* Uncertainties: semi-parametric bootstrap (1000 resamples by default): for
  each length, resample (qubit, sequence) points with replacement, redraw their
  counts binomially, refit; sigma = half the 15.87-84.13 % interval.
* SPAM: p0, p1 = mean over qubits of the correct-outcome fractions after
  preparing |0> and |1>; SPAM error = 1 - (p0 + p1)/2 with
  sigma = sqrt(p0(1-p0) + p1(1-p1)) / (2 sqrt(shots * n_qubits)).
* Memory_RB: the same pooled fit with offset 1/2; error per memory step = (1 - r)/2.
* Measurement_crosstalk: Quantinuum's model of the spectator's bright-state
  population after m rounds of neighbouring mid-circuit measurements
  (``qtm_spec/decay_analysis_functions.py`` upstream):
  y(m) = (1 + s + exp(-3 gamma m) (2 - 4 s)) / 3 fitted to the pooled
  survival (s: SPAM, gamma: scattering rate per round); the error per
  measurement is 5 gamma / 6. Uncertainty: parametric bootstrap of the pooled
  counts (binomial with shots x qubits), half the 15.87-84.13 % interval.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from scipy.optimize import OptimizeWarning, curve_fit

from ..data.schema import MAX_SHOTS  # noqa: F401 - the limit, re-exported
from ..data.schema import Count, Shots, fail, key_text, validation_error
from ..errors import CalibrationError, DataError, check_choice, check_int, check_path, short_repr
from ..safeparse import read_json
from .experiments import CalibrationResult

#: Largest number of bootstrap resamples of an analysis.
MAX_BOOTSTRAP = 10**6
TYPES = ("SQ_RB", "TQ_RB", "Memory_RB", "SPAM", "Measurement_crosstalk")
#: Distinct lengths a fit needs: an RB fit (asymptote 1/d known, 2 parameters) needs 2; a decay fit whose
#: points are sparse or whose asymptote is not known (leakage, measurement crosstalk) needs 3.
MIN_LENGTHS_RB = 2
MIN_LENGTHS_DECAY = 3

_NAME_RE = re.compile(r"^(?P<machine>[^_]+(?:-[^_]+)?)__(?P<date>\d{4}_\d{2}_\d{2})__(?P<type>[A-Za-z_]+)$")
_PAIR_RE = re.compile(r"^(?:\(\s*(\d{1,6})\s*,\s*(\d{1,6})\s*\)|(\d{1,6})\s*,\s*(\d{1,6}))$")
_INT_RE = re.compile(r"^\d+$")
_BITS_RE = re.compile(r"^[01]*$")


@dataclass(frozen=True)
class QuantinuumData:
    """One validated Quantinuum benchmark file.

    ``survival`` / ``leakage`` are normalised: pair keys ``"a, b"`` (also for
    files that write ``"(a, b)"``), counts ``int``.
    """

    kind: str
    machine: str | None
    date: str | None
    shots: int
    survival: dict
    leakage: dict | None
    path: str
    summary_only: bool = False


# ---------------------------------------------------------------------- schemas
NonNegInt = Annotated[StrictInt, Field(ge=0)]
Bits = list[StrictStr]
#: raw data: per circuit, a list of per-shot bitstrings or a map register -> list of bitstrings
RawData = dict[str, Bits | dict[str, Bits]]
#: expected output: nested maps whose leaves are bitstrings (or 0/1 integers in the 2022 files)
ExpectedLeaf = StrictStr | StrictInt
Expected = dict[str, ExpectedLeaf | dict[str, ExpectedLeaf | dict[str, ExpectedLeaf]]]
RBTree = dict[str, dict[str, dict[str, Count]]]
FlatTree = dict[str, dict[str, Count]]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    shots: Shots
    qasm: dict[str, StrictStr] | None = None
    raw_data: RawData | None = None
    expected_output: Expected | None = None


class SQRBFile(_File):
    """``SQ_RB``: single-qubit Clifford RB, qubits in parallel: ``survival[qubit][length][seq]``."""

    survival: RBTree
    sequence_info: dict[str, Annotated[StrictInt, Field(ge=1)]] | None = None
    leakage_postselect: RBTree | None = None


class TQRBFile(SQRBFile):
    """``TQ_RB``: two-qubit Clifford RB, pairs in parallel: ``survival["a, b" or "(a, b)"][length][seq]``."""


class MemoryRBFile(_File):
    """``Memory_RB``: survival against memory (idle/transport) steps: ``survival[qubit or "all"][steps][seq]``."""

    survival: RBTree
    sequence_info: dict[str, Annotated[StrictInt, Field(ge=1)]] | None = None


class SPAMFile(_File):
    """``SPAM``: correct outcomes after preparing |0> / |1>: ``survival[qubit]["0" | "1"]``."""

    survival: FlatTree
    sequence_info: list[StrictInt] | None = None


class MeasurementCrosstalkFile(_File):
    """``Measurement_crosstalk``: spectator survival against neighbouring measurements: ``survival[qubit][n]``."""

    survival: FlatTree
    sequence_info: list[NonNegInt] | dict[str, list[NonNegInt]] | None = None


SCHEMAS: dict[str, type[_File]] = {"SQ_RB": SQRBFile, "TQ_RB": TQRBFile, "Memory_RB": MemoryRBFile,
                                   "SPAM": SPAMFile, "Measurement_crosstalk": MeasurementCrosstalkFile}


def _known_fields() -> set[str]:
    out = {"raw data"}
    for cls in SCHEMAS.values():
        out |= set(cls.model_fields)
    return out


# ---------------------------------------------------------------------- detection
def _kind_from_name(stem: str, source: str) -> tuple[str | None, str | None, str | None]:
    m = _NAME_RE.match(stem)
    if not m:
        return None, None, None
    lower = {t.lower(): t for t in TYPES}
    kind = lower.get(m.group("type").lower())
    if kind is None:
        raise DataError(f"{source}: the file name names type {m.group('type')!r}, not a Quantinuum benchmark "
                        f"type ({', '.join(TYPES)})")
    try:
        day = _date(*(int(x) for x in m.group("date").split("_")))
    except ValueError:
        raise DataError(f"{source}: the file name's date {m.group('date')!r} is not a calendar date") from None
    return kind, m.group("machine"), day.isoformat()


def _kind_from_content(data: dict, source: str) -> str:
    surv = data.get("survival")
    if not isinstance(surv, dict) or not surv:
        raise DataError(f"{source}: survival={short_repr(surv)}: must be a non-empty mapping of qubits")
    key, first = next(iter(surv.items()))
    if not isinstance(first, dict) or not first:
        raise DataError(f"{source}: survival[{key_text(key)}]={short_repr(first)}: must be a non-empty mapping")
    inner = next(iter(first.values()))
    if not isinstance(inner, dict):
        return "SPAM" if set(first) <= {"0", "1"} else "Measurement_crosstalk"
    if _PAIR_RE.match(str(key)):
        return "TQ_RB"
    if "leakage_postselect" in data:
        return "SQ_RB"
    return "Memory_RB"


# ---------------------------------------------------------------------- validation
def validate_quantinuum(data: Any, *, source: str = "<data>", kind: str | None = None,
                        machine: str | None = None, date: str | None = None) -> QuantinuumData:
    """Validate parsed file ``data`` (a dict) against the schema of its type and the cross-field rules.

    Parameters
    ----------
    data : dict
        The parsed JSON of one file.
    source : str
        The file name used in error messages.
    kind : str, optional
        One of :data:`TYPES`; default: detected from the content.
    """
    if not isinstance(data, dict):
        raise DataError(f"{source}: expected a JSON object at the top level, got {type(data).__name__}")
    for key in ("shots", "survival"):
        if key not in data:
            raise DataError(f"{source}: missing field {key!r} (not a Quantinuum benchmark file?)")
    if kind is None:
        kind = _kind_from_content(data, source)
    elif kind not in SCHEMAS:
        raise DataError(f"{source}: kind={kind!r}: not one of {', '.join(TYPES)}")
    fields = dict(data)
    if "raw data" in fields:
        if "raw_data" in fields:
            raise DataError(f"{source}: both 'raw data' and 'raw_data' are given (one of them only)")
        fields["raw_data"] = fields.pop("raw data")
    try:
        model = SCHEMAS[kind].model_validate(fields)
    except ValidationError as exc:
        raise validation_error(exc, fields, source, known=_known_fields()) from None
    survival = _check_tree(model.survival, model.shots, "survival", source, kind)
    leakage = None
    if getattr(model, "leakage_postselect", None) is not None:
        leakage = _check_tree(model.leakage_postselect, model.shots, "leakage_postselect", source, kind)
        _same_shape(survival, leakage, source)
    _check_sequence_info(model, survival, source, kind)
    if model.raw_data is not None:
        _check_raw(model.raw_data, model.shots, source, "raw data" if "raw data" in data else "raw_data")
    if model.expected_output is not None:
        _check_expected(model.expected_output, source, kind)
    _check_lengths(survival, source, kind, leakage is not None)
    summary_only = model.qasm is None and model.raw_data is None
    return QuantinuumData(kind, machine, date, model.shots, survival, leakage, source, summary_only)


def _check_tree(tree: dict, shots: int, name: str, source: str, kind: str) -> dict:
    """Keys valid for the type, counts <= shots, every entry of the same shape; returns the normalised tree."""
    if not tree:
        raise fail(source, [name], tree, "must be a non-empty mapping of qubits")
    out: dict = {}
    rb = kind in ("SQ_RB", "TQ_RB", "Memory_RB")
    for key, per in tree.items():
        norm = _norm_unit(key, kind, source, name)
        if norm in out:
            raise fail(source, [name], key, f"names the same {'pair' if kind == 'TQ_RB' else 'qubit'} as "
                        "another key")
        if not per:
            raise fail(source, [name, key], per, "must be a non-empty mapping")
        for length, node in per.items():
            if kind == "SPAM":
                if length not in ("0", "1"):
                    raise fail(source, [name, key, length], node, "a SPAM entry is keyed by the prepared state "
                                "'0' or '1'")
            elif not _INT_RE.match(length) or len(length) > 12:
                raise fail(source, [name, key], length, "a sequence length must be a non-negative integer")
            elif rb and int(length) < 1:
                raise fail(source, [name, key], length, "an RB sequence length must be >= 1")
            if rb:
                if not node:
                    raise fail(source, [name, key, length], node, "no sequences at this length")
                for seq, c in node.items():
                    if c > shots:
                        raise fail(source, [name, key, length, seq], c, f"a count cannot exceed shots={shots}")
            elif node > shots:
                raise fail(source, [name, key, length], node, f"a count cannot exceed shots={shots}")
        out[norm] = per
    if kind == "SPAM":
        for key, per in tree.items():
            if set(per) != {"0", "1"}:
                raise fail(source, [name, key], per, "needs both prepared states '0' and '1'")
    # every qubit (pair) has the same lengths, and (RB) the same sequences at each length
    keys = list(tree)
    ref_key = keys[0]
    ref = tree[ref_key]
    for key in keys[1:]:
        per = tree[key]
        if set(per) != set(ref):
            missing = sorted(set(ref) - set(per), key=_num)
            extra = sorted(set(per) - set(ref), key=_num)
            raise fail(source, [name, key], per, f"has lengths {sorted(per, key=_num)} but {name}"
                        f"[{key_text(ref_key)}] has {sorted(ref, key=_num)}" + (f" (missing {missing})" if missing else "")
                        + (f" (extra {extra})" if extra else ""))
        if rb:
            for length in per:
                if set(per[length]) != set(ref[length]):
                    raise fail(source, [name, key, length], per[length],
                                f"has {len(per[length])} sequences {sorted(per[length], key=_num)[:6]} but "
                                f"{name}[{key_text(ref_key)}][{key_text(length)}] has {len(ref[length])}")
    return out


def _num(text: str):
    return (0, int(text)) if _INT_RE.match(str(text)) and len(str(text)) < 19 else (1, str(text))


def _norm_unit(key: str, kind: str, source: str, name: str) -> str:
    if kind == "TQ_RB":
        m = _PAIR_RE.match(key)
        if not m:
            raise fail(source, [name], key, "a two-qubit RB key must be a pair like '0, 1' or '(0, 1)'")
        a, b = (int(x) for x in (m.group(1, 2) if m.group(1) is not None else m.group(3, 4)))
        if a == b:
            raise fail(source, [name], key, "a pair needs two different qubits")
        return f"{a}, {b}"
    if kind == "Memory_RB" and key == "all":
        return key
    if not _INT_RE.match(key) or len(key) > 6:
        allowed = " or 'all'" if kind == "Memory_RB" else ""
        raise fail(source, [name], key, f"a qubit key must be a non-negative integer{allowed}")
    return str(int(key))


def _same_shape(survival: dict, leakage: dict, source: str) -> None:
    if set(survival) != set(leakage):
        raise fail(source, ["leakage_postselect"], sorted(leakage), f"has keys {sorted(leakage)} but survival has "
                    f"{sorted(survival)} (the two must have the same shape)")
    for key in survival:
        for length in survival[key]:
            if length not in leakage[key]:
                raise fail(source, ["leakage_postselect", key], sorted(leakage[key], key=_num),
                            f"has no length {length!r} (survival has it)")
            if set(survival[key][length]) != set(leakage[key][length]):
                raise fail(source, ["leakage_postselect", key, length], leakage[key][length],
                            f"has sequences {sorted(leakage[key][length], key=_num)[:6]}, survival "
                            f"{sorted(survival[key][length], key=_num)[:6]} (the two must have the same shape)")
        extra = set(leakage[key]) - set(survival[key])
        if extra:
            raise fail(source, ["leakage_postselect", key], sorted(extra, key=_num), "lengths not in survival")


def _check_sequence_info(model: _File, survival: dict, source: str, kind: str) -> None:
    info = getattr(model, "sequence_info", None)
    if info is None:
        return
    first = next(iter(survival.values()))
    if kind in ("SQ_RB", "TQ_RB", "Memory_RB"):
        if set(info) != set(first):
            raise fail(source, ["sequence_info"], info, f"names lengths {sorted(info, key=_num)} but survival has "
                        f"{sorted(first, key=_num)}")
        for length, n in info.items():
            have = len(first[length])
            if have != n:
                key = next(iter(survival))
                raise fail(source, ["sequence_info", length], n, f"but survival[{key_text(key)}][{key_text(length)}] has "
                            f"{have} sequences")
    elif kind == "Measurement_crosstalk":
        lengths = {int(k) for k in first}
        if isinstance(info, list):
            if set(info) != lengths:
                raise fail(source, ["sequence_info"], info, f"lists measurement counts {sorted(set(info))} but "
                            f"survival has {sorted(lengths)}")
        else:
            for q, values in info.items():
                if q not in model.survival:
                    raise fail(source, ["sequence_info"], q, "names a qubit that survival does not have")
                have = {int(k) for k in model.survival[q]}
                if set(values) != have:
                    raise fail(source, ["sequence_info", q], values, f"but survival[{key_text(q)}] has measurement "
                                f"counts {sorted(have)}")


def _check_raw(raw: dict, shots: int, source: str, name: str) -> None:
    for circuit, regs in raw.items():
        items = regs.items() if isinstance(regs, dict) else [(None, regs)]
        for reg, shots_list in items:
            parts = [name, circuit] + ([reg] if reg is not None else [])
            if len(shots_list) > shots:
                raise fail(source, parts, shots_list, f"{len(shots_list)} shots, more than shots={shots}")
            width = None
            for i, bits in enumerate(shots_list):
                if not _BITS_RE.match(bits):
                    raise fail(source, parts + [i], bits, "a shot must be a bitstring of 0 and 1")
                if width is None:
                    width = len(bits)
                elif len(bits) != width:
                    raise fail(source, parts + [i], bits, f"has {len(bits)} bits, the first shot has {width}")


def _check_expected(tree: dict, source: str, kind: str) -> None:
    top = 3 if kind == "TQ_RB" else 1
    stack = [(["expected_output"], tree)]
    while stack:
        parts, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((parts + [k], v) for k, v in node.items())
        elif isinstance(node, str):
            if not _BITS_RE.match(node) or not node:
                raise fail(source, parts, node, "an expected outcome must be a bitstring of 0 and 1")
        elif not 0 <= node <= top:
            raise fail(source, parts, node, f"an expected outcome must be an integer in [0, {top}] or a bitstring")


def _check_lengths(survival: dict, source: str, kind: str, has_leakage: bool) -> None:
    if kind == "SPAM":
        return
    lengths = sorted({int(L) for per in survival.values() for L in per})
    need = MIN_LENGTHS_DECAY if kind == "Measurement_crosstalk" else MIN_LENGTHS_RB
    what = {"SQ_RB": "an RB fit", "TQ_RB": "an RB fit", "Memory_RB": "a memory-error (RB-type) fit",
            "Measurement_crosstalk": "a decay fit against the number of measurements"}[kind]
    if has_leakage and kind in ("SQ_RB", "TQ_RB"):
        need, what = MIN_LENGTHS_DECAY, "the leakage decay fit (no known asymptote)"
    if len(lengths) < need:
        raise fail(source, ["survival"], lengths, f"{len(lengths)} distinct sequence length(s): {what} needs at "
                    f"least {need}")


def load_quantinuum(path, *, kind: str | None = None) -> QuantinuumData:
    """Load and validate one Quantinuum benchmark file (:class:`DataError` naming file, path and value)."""
    path = check_path("path", path)
    check_choice("kind", kind, TYPES, allow_none=True)
    source = str(path)
    data = read_json(path, error=DataError, what="Quantinuum data file")
    name_kind, machine, day = _kind_from_name(path.stem, source)
    return validate_quantinuum(data, source=source, kind=kind or name_kind, machine=machine, date=day)


# ---------------------------------------------------------------------- pooled RB
def _pooled_points(tree: dict, shots: int) -> dict[int, np.ndarray]:
    """length -> array of per-(qubit, sequence) success fractions."""
    pts: dict[int, list[float]] = {}
    for per_q in tree.values():
        for length, seqs in per_q.items():
            vals = seqs.values() if isinstance(seqs, dict) else [seqs]
            pts.setdefault(int(length), []).extend(v / shots for v in vals)
    return {L: np.asarray(v) for L, v in sorted(pts.items())}


def _fit_decay(points: dict[int, np.ndarray], offset: float | None, shots: int, p0=None, full: bool = False):
    """r of the unweighted least-squares fit of y(L) = A r^L (+ offset) to the pooled means, A and r in [0, 1]."""
    L = np.array(sorted(points), dtype=float)
    y = np.array([points[int(l)].mean() for l in L])
    c = 0.0 if offset is None else offset

    def f(x, a, r):
        return a * r**x + c

    def jac(x, a, r):
        return np.column_stack([r**x, a * x * r ** np.maximum(x - 1, 0)])

    if p0 is None:
        p0 = [1.0 - c, 0.99]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        popt, _ = curve_fit(f, L, y, p0=p0, jac=jac, bounds=([0, 0], [1, 1]), maxfev=20000)
    return (float(popt[0]), float(popt[1])) if full else float(popt[1])


def _fit_or_fail(points, offset, shots, d: QuantinuumData, what: str) -> float:
    try:
        return _fit_decay(points, offset, shots)
    except (RuntimeError, ValueError) as exc:
        raise CalibrationError(f"{d.path}: the {what} fit did not converge: {exc}") from None


def _bootstrap_r(points, offset, shots, n, rng) -> np.ndarray:
    out = []
    if n <= 0:
        return np.asarray(out)
    try:  # start every refit at the point estimate: same optimum, fewer iterations
        a0, r0 = _fit_decay(points, offset, shots, full=True)
        start = [min(max(a0, 1e-9), 1.0), min(max(r0, 1e-9), 1.0)]
    except (RuntimeError, ValueError):
        start = None
    for _ in range(n):
        res = {}
        for L, vals in points.items():
            pick = rng.choice(vals, size=vals.size, replace=True)
            res[L] = rng.binomial(shots, np.clip(pick, 0, 1)) / shots
        try:
            out.append(_fit_decay(res, offset, shots, p0=start))
        except (RuntimeError, ValueError):
            continue
    return np.asarray(out)


def _sigma(samples: np.ndarray) -> float:
    if samples.size < 2:
        return float("nan")
    lo, hi = np.percentile(samples, [15.865525393145708, 84.13447460685429])
    return float((hi - lo) / 2)


def _units(d: QuantinuumData) -> tuple[int, ...]:
    qubits: set[int] = set()
    for key in d.survival:
        if key != "all":
            qubits.update(int(q) for q in str(key).split(","))
    return tuple(sorted(qubits))


def analyse_rb(d: QuantinuumData, *, bootstrap: int = 1000, seed: int = 0) -> list[CalibrationResult]:
    """Pooled RB / memory / crosstalk fit of a validated file (see the module conventions)."""
    nq = 1 if d.kind in ("SQ_RB", "Memory_RB", "Measurement_crosstalk") else 2
    dim = 2**nq
    n_g = 1.0 if nq == 1 else 1.5
    qubits = _units(d)
    rng = np.random.default_rng(seed)
    surv = _pooled_points(d.survival, d.shots)
    r = _fit_or_fail(surv, 1 / dim, d.shots, d, "survival")
    rs = _bootstrap_r(surv, 1 / dim, d.shots, bootstrap, rng)

    def epc(x):
        return (dim - 1) / dim * (1 - x)

    def epg(x):
        return (dim - 1) / dim * (1 - np.power(x, 1 / n_g))

    exp = {"SQ_RB": "RB1Q", "TQ_RB": "RB2Q", "Memory_RB": "MemoryRB", "Measurement_crosstalk": "MeasCrosstalk"}[d.kind]
    extra = {"machine": d.machine, "date": d.date, "lengths": sorted(surv),
             "pooled_over": "all" if "all" in d.survival else len(d.survival), "bootstrap": bootstrap}
    out = [
        CalibrationResult(exp, qubits, "alpha", r, _sigma(rs), extra=extra),
        CalibrationResult(exp, qubits, "epc", epc(r), _sigma(epc(rs)), extra=extra),
    ]
    if d.kind == "Memory_RB":
        out.append(CalibrationResult(exp, qubits, "memory_error_per_step", epc(r), _sigma(epc(rs)), extra=extra))
        return out
    if d.kind == "Measurement_crosstalk":
        out.append(CalibrationResult(exp, qubits, "crosstalk_error_per_measurement", epc(r), _sigma(epc(rs)),
                                     extra=extra))
        return out
    out.append(CalibrationResult(exp, qubits, "epg", float(epg(r)), _sigma(epg(rs)),
                                 extra={**extra, "gates_per_clifford": n_g}))
    if d.leakage is not None:
        lk = _pooled_points(d.leakage, d.shots)
        rl = _fit_or_fail(lk, None, d.shots, d, "leakage")
        rls = _bootstrap_r(lk, None, d.shots, bootstrap, rng)
        leak = (1 - rl) / n_g
        leaks = (1 - rls) / n_g
        share = 0.5 if nq == 1 else 0.25
        out.append(CalibrationResult(exp, qubits, "leakage_per_gate", leak, _sigma(leaks), extra=extra))
        err = float(epg(r)) + share * leak
        s_err = float(np.hypot(_sigma(epg(rs)), share * _sigma(leaks)))
        out.append(CalibrationResult(exp, qubits, "gate_error", err, s_err,
                                     extra={**extra, "definition": f"epg + leakage_per_gate * {share}"}))
    return out


def analyse_spam(d: QuantinuumData) -> list[CalibrationResult]:
    """Per-qubit and mean readout errors and the SPAM error of a validated SPAM file."""
    out = []
    p0s, p1s = [], []
    for q, per in sorted(d.survival.items(), key=lambda kv: int(kv[0])):
        p0, p1 = per["0"] / d.shots, per["1"] / d.shots
        p0s.append(p0)
        p1s.append(p1)
        for quantity, p in (("prob_meas1_prep0", 1 - p0), ("prob_meas0_prep1", 1 - p1)):
            out.append(CalibrationResult("SPAM", (int(q),), quantity, p,
                                         float(np.sqrt(max(p * (1 - p), 1 / d.shots) / d.shots))))
    p0, p1 = float(np.mean(p0s)), float(np.mean(p1s))
    n = len(p0s)
    qubits = tuple(int(q) for q in sorted(d.survival, key=int))
    err = 1 - (p0 + p1) / 2
    sigma = float(np.sqrt(p0 * (1 - p0) + p1 * (1 - p1)) / (2 * np.sqrt(d.shots * n)))
    extra = {"machine": d.machine, "date": d.date, "p0": p0, "p1": p1}
    out += [
        CalibrationResult("SPAM", qubits, "prob_meas1_prep0_mean", 1 - p0,
                          float(np.sqrt(p0 * (1 - p0) / (d.shots * n))), extra=extra),
        CalibrationResult("SPAM", qubits, "prob_meas0_prep1_mean", 1 - p1,
                          float(np.sqrt(p1 * (1 - p1) / (d.shots * n))), extra=extra),
        CalibrationResult("SPAM", qubits, "spam_error", err, sigma, extra=extra),
    ]
    return out


def _crosstalk_model(m, spam, gamma):
    return (1 + spam + np.exp(-3 * gamma * m) * (2 - 4 * spam)) / 3


def _fit_crosstalk(m: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        popt, _ = curve_fit(_crosstalk_model, m, y, p0=[0.02, 1e-5], bounds=([0, 0], [1, 1]), maxfev=20000)
    return float(popt[0]), float(popt[1])


def analyse_crosstalk(d: QuantinuumData, *, bootstrap: int = 1000, seed: int = 0) -> list[CalibrationResult]:
    """Spectator error per neighbouring mid-circuit measurement (Quantinuum's bright-state decay model)."""
    rng = np.random.default_rng(seed)
    lengths = sorted(next(iter(d.survival.values())), key=int)
    m = np.array([int(L) for L in lengths], dtype=float)
    n_total = d.shots * len(d.survival)
    k = np.array([sum(per[L] for per in d.survival.values()) for L in lengths], dtype=float)
    y = k / n_total
    try:
        spam, gamma = _fit_crosstalk(m, y)
    except (RuntimeError, ValueError) as exc:
        raise CalibrationError(f"{d.path}: the crosstalk decay fit did not converge: {exc}") from None
    samples = []
    for _ in range(bootstrap):
        yb = rng.binomial(n_total, y) / n_total
        try:
            samples.append(_fit_crosstalk(m, yb))
        except (RuntimeError, ValueError):
            continue
    boot = np.asarray(samples).reshape(-1, 2)
    qubits = _units(d)
    extra = {"machine": d.machine, "date": d.date, "lengths": [int(L) for L in lengths],
             "pooled_over": len(d.survival), "bootstrap": bootstrap,
             "model": "y(m) = (1 + s + exp(-3 gamma m)(2 - 4 s))/3, error = 5 gamma/6 (Quantinuum)"}
    return [
        CalibrationResult("MeasCrosstalk", qubits, "crosstalk_spam", spam, _sigma(boot[:, 0]), extra=extra),
        CalibrationResult("MeasCrosstalk", qubits, "crosstalk_rate_per_measurement", gamma, _sigma(boot[:, 1]),
                          extra=extra),
        CalibrationResult("MeasCrosstalk", qubits, "crosstalk_error_per_measurement", 5 * gamma / 6,
                          _sigma(5 * boot[:, 1] / 6), extra=extra),
    ]


def analyse_data(d: QuantinuumData, *, bootstrap: int = 1000, seed: int = 0) -> list[CalibrationResult]:
    """The analysis of the file's type on validated data."""
    if d.kind == "SPAM":
        return analyse_spam(d)
    if d.kind == "Measurement_crosstalk":
        return analyse_crosstalk(d, bootstrap=bootstrap, seed=seed)
    return analyse_rb(d, bootstrap=bootstrap, seed=seed)


def analyse_file(path, *, bootstrap: int = 1000, seed: int = 0) -> list[CalibrationResult]:
    """Load (and validate) a Quantinuum file and run the analysis of its type."""
    from ..seeding import check_seed

    bootstrap = check_int("bootstrap", bootstrap, minimum=0, maximum=MAX_BOOTSTRAP)
    check_seed(seed)
    return analyse_data(load_quantinuum(path), bootstrap=bootstrap, seed=seed)


def quantinuum_files() -> list[Path]:
    """The shipped Quantinuum benchmark files (``calibration_data/quantinuum/*__*__*.json``)."""
    from ..paths import calibration_data_dir

    return sorted((calibration_data_dir() / "quantinuum").glob("*__*__*.json"))


def summary(results: list[CalibrationResult]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in results]
