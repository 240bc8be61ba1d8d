"""Quantinuum benchmark data (github.com/CQCL/quantinuum-hardware-specifications).

File types (detected from the file name ``<machine>__<date>__<type>.json`` or
from the content): ``SQ_RB``, ``TQ_RB``, ``Memory_RB``, ``SPAM``,
``Measurement_crosstalk``. Schema: ``survival[qubit or "a, b"][length][seq]``
= shots with the expected outcome, ``leakage_postselect`` (same shape) = shots
whose leakage-detection bits are all 0, ``sequence_info``, ``shots``.

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
* Memory_RB and Measurement_crosstalk: the same pooled fit with offset 1/2;
  error per memory step / per neighbouring measurement = (1 - r)/2.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import curve_fit

from ..errors import CalibrationError, check_int, check_path
from .experiments import CalibrationResult

#: Largest number of bootstrap resamples of an analysis.
MAX_BOOTSTRAP = 10**6
TYPES = ("SQ_RB", "TQ_RB", "Memory_RB", "SPAM", "Measurement_crosstalk")
_NAME_RE = re.compile(r"^(?P<machine>[^_]+(?:-[^_]+)?)__(?P<date>\d{4}_\d{2}_\d{2})__(?P<type>[A-Za-z_]+)$")


@dataclass(frozen=True)
class QuantinuumData:
    kind: str
    machine: str | None
    date: str | None
    shots: int
    survival: dict
    leakage: dict | None
    path: str


def _detect(data: dict, stem: str) -> tuple[str, str | None, str | None]:
    m = _NAME_RE.match(stem)
    if m and m.group("type") in TYPES:
        return m.group("type"), m.group("machine"), m.group("date").replace("_", "-")
    surv = data.get("survival", {})
    first = next(iter(surv.values()), None)
    if not isinstance(first, dict) or not first:
        raise CalibrationError(f"{stem}: 'survival' has no per-qubit data")
    inner = next(iter(first.values()))
    if isinstance(inner, (int, float)):
        return ("SPAM" if set(first) <= {"0", "1"} else "Measurement_crosstalk"), None, None
    if "leakage_postselect" in data:
        return ("TQ_RB" if "," in next(iter(surv)) else "SQ_RB"), None, None
    return "Memory_RB", None, None


def load_quantinuum(path) -> QuantinuumData:
    """Load and validate one Quantinuum benchmark file (clear error on malformed data)."""
    path = check_path("path", path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"{path}: not valid JSON (truncated file?): {exc}") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: expected a JSON object, got {type(data).__name__}")
    for key in ("shots", "survival"):
        if key not in data:
            raise CalibrationError(f"{path}: missing field {key!r} (not a Quantinuum benchmark file?)")
    shots = data["shots"]
    if not isinstance(shots, int) or shots <= 0:
        raise CalibrationError(f"{path}: shots={shots!r} must be a positive integer")
    kind, machine, date = _detect(data, path.stem)
    surv = data["survival"]
    if not isinstance(surv, dict) or not surv:
        raise CalibrationError(f"{path}: survival={str(surv)[:40]!r} must be a non-empty mapping")
    _check_counts(surv, shots, f"{path}: survival")
    leak = data.get("leakage_postselect")
    if leak is not None:
        _check_counts(leak, shots, f"{path}: leakage_postselect")
    return QuantinuumData(kind, machine, date, shots, surv, leak, str(path))


def _check_counts(tree, shots: int, where: str) -> None:
    def walk(node, loc):
        if isinstance(node, dict):
            if not node:
                raise CalibrationError(f"{where}{loc}: empty mapping")
            for k, v in node.items():
                walk(v, f"{loc}[{k!r}]")
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            if not 0 <= node <= shots:
                raise CalibrationError(f"{where}{loc}={node!r} is not a count in [0, shots={shots}]")
        else:
            raise CalibrationError(f"{where}{loc}={str(node)[:40]!r} is not a count")

    walk(tree, "")


# ---------------------------------------------------------------------- pooled RB
def _pooled_points(tree: dict, shots: int) -> dict[int, np.ndarray]:
    """length -> array of per-(qubit, sequence) success fractions."""
    pts: dict[int, list[float]] = {}
    for per_q in tree.values():
        for length, seqs in per_q.items():
            vals = seqs.values() if isinstance(seqs, dict) else [seqs]
            pts.setdefault(int(length), []).extend(v / shots for v in vals)
    return {L: np.asarray(v) for L, v in sorted(pts.items())}


def _fit_decay(points: dict[int, np.ndarray], offset: float | None, shots: int) -> float:
    L = np.array(sorted(points), dtype=float)
    y = np.array([points[int(l)].mean() for l in L])
    if offset is None:
        f = lambda x, a, r: a * r**x  # noqa: E731
        p0 = [1.0, 0.99]
    else:
        f = lambda x, a, r: a * r**x + offset  # noqa: E731
        p0 = [1 - offset, 0.99]
    popt, _ = curve_fit(f, L, y, p0=p0, bounds=([0, 0], [1, 1]), maxfev=20000)
    return float(popt[1])


def _bootstrap_r(points, offset, shots, n, rng) -> np.ndarray:
    out = []
    for _ in range(n):
        res = {}
        for L, vals in points.items():
            pick = rng.choice(vals, size=vals.size, replace=True)
            res[L] = rng.binomial(shots, np.clip(pick, 0, 1)) / shots
        try:
            out.append(_fit_decay(res, offset, shots))
        except RuntimeError:
            continue
    return np.asarray(out)


def _sigma(samples: np.ndarray) -> float:
    lo, hi = np.percentile(samples, [15.865525393145708, 84.13447460685429])
    return float((hi - lo) / 2)


def analyse_rb(d: QuantinuumData, *, bootstrap: int = 1000, seed: int = 0) -> list[CalibrationResult]:
    nq = 1 if d.kind in ("SQ_RB", "Memory_RB", "Measurement_crosstalk") else 2
    dim = 2**nq
    n_g = 1.0 if nq == 1 else 1.5
    qubits = tuple(sorted({int(q) for key in d.survival for q in str(key).split(",")}))
    rng = np.random.default_rng(seed)
    surv = _pooled_points(d.survival, d.shots)
    r = _fit_decay(surv, 1 / dim, d.shots)
    rs = _bootstrap_r(surv, 1 / dim, d.shots, bootstrap, rng)

    def epc(x):
        return (dim - 1) / dim * (1 - x)

    def epg(x):
        return (dim - 1) / dim * (1 - np.power(x, 1 / n_g))

    exp = {"SQ_RB": "RB1Q", "TQ_RB": "RB2Q", "Memory_RB": "MemoryRB", "Measurement_crosstalk": "MeasCrosstalk"}[d.kind]
    extra = {"machine": d.machine, "date": d.date, "lengths": sorted(surv), "pooled_over": len(d.survival),
             "bootstrap": bootstrap}
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
        rl = _fit_decay(lk, None, d.shots)
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
    out = []
    p0s, p1s = [], []
    for q, per in sorted(d.survival.items(), key=lambda kv: int(kv[0])):
        if "0" not in per or "1" not in per:
            raise CalibrationError(f"{d.path}: survival[{q!r}] needs keys '0' and '1' (prepared states)")
        p0, p1 = per["0"] / d.shots, per["1"] / d.shots
        p0s.append(p0)
        p1s.append(p1)
        for quantity, p in (("prob_meas1_prep0", 1 - p0), ("prob_meas0_prep1", 1 - p1)):
            out.append(CalibrationResult("SPAM", (int(q),), quantity, p, float(np.sqrt(max(p * (1 - p), 1 / d.shots) / d.shots))))
    p0, p1 = float(np.mean(p0s)), float(np.mean(p1s))
    n = len(p0s)
    qubits = tuple(int(q) for q in sorted(d.survival, key=int))
    err = 1 - (p0 + p1) / 2
    sigma = float(np.sqrt(p0 * (1 - p0) + p1 * (1 - p1)) / (2 * np.sqrt(d.shots * n)))
    extra = {"machine": d.machine, "date": d.date, "p0": p0, "p1": p1}
    out += [
        CalibrationResult("SPAM", qubits, "prob_meas1_prep0_mean", 1 - p0, float(np.sqrt(p0 * (1 - p0) / (d.shots * n))), extra=extra),
        CalibrationResult("SPAM", qubits, "prob_meas0_prep1_mean", 1 - p1, float(np.sqrt(p1 * (1 - p1) / (d.shots * n))), extra=extra),
        CalibrationResult("SPAM", qubits, "spam_error", err, sigma, extra=extra),
    ]
    return out


def analyse_file(path, *, bootstrap: int = 1000, seed: int = 0) -> list[CalibrationResult]:
    """Load a Quantinuum file and run the analysis of its type."""
    from ..seeding import check_seed

    bootstrap = check_int("bootstrap", bootstrap, minimum=0, maximum=MAX_BOOTSTRAP)
    check_seed(seed)
    d = load_quantinuum(path)
    if d.kind == "SPAM":
        return analyse_spam(d)
    if d.kind in ("SQ_RB", "TQ_RB", "Memory_RB"):
        return analyse_rb(d, bootstrap=bootstrap, seed=seed)
    return analyse_crosstalk(d, bootstrap=bootstrap, seed=seed)


def analyse_crosstalk(d: QuantinuumData, *, bootstrap: int = 1000, seed: int = 0) -> list[CalibrationResult]:
    """Spectator survival against the number of neighbouring mid-circuit measurements."""
    tree = {q: {n: {"0": c} for n, c in per.items()} for q, per in d.survival.items()}
    wrapped = QuantinuumData(d.kind, d.machine, d.date, d.shots, tree, None, d.path)
    return analyse_rb(wrapped, bootstrap=bootstrap, seed=seed)


def quantinuum_files() -> list[Path]:
    from ..paths import calibration_data_dir

    return sorted((calibration_data_dir() / "quantinuum").glob("*__*__*.json"))


def summary(results: list[CalibrationResult]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in results]
