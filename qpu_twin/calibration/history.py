"""A device's calibration over time, from a folder of dated Quantinuum benchmark files.

:func:`quantinuum_history` analyses every ``<machine>__<date>__<type>.json``
file of one machine in a folder (each validated first, see
:mod:`.quantinuum_data`) and returns a :class:`CalibrationHistory`: each
metric per date with its standard error (table, plot with error bars), and
one dated :class:`~qpu_twin.DeviceProfile` per date, which
:meth:`CalibrationHistory.save_profiles` writes into a profile history
(:func:`qpu_twin.profiles.history.save_to_history`) for
:meth:`qpu_twin.Twin.as_of` / :func:`~qpu_twin.profiles.history.profile_as_of`.

Metrics (all average error probabilities, per gate / per step / per measurement):

=====================  ==============================================================
``1q_gate_error``      SQ_RB ``gate_error`` (epg + leakage/2); ``epg`` if no leakage data
``1q_leakage``         SQ_RB leakage per gate
``2q_gate_error``      TQ_RB ``gate_error`` (epg + leakage/4); ``epg`` if no leakage data
``2q_leakage``         TQ_RB leakage per gate
``spam_error``         SPAM error (mean of p(1|0) and p(0|1))
``prob_meas1_prep0``   mean p(1|0) of the SPAM file
``prob_meas0_prep1``   mean p(0|1) of the SPAM file
``memory_error``       Memory_RB error per memory (idle / transport) step
``mcm_error``          spectator error per neighbouring mid-circuit measurement
=====================  ==============================================================

A date's profile takes each value it needs from, in this order: the files of
that date; Quantinuum's published row for that date (``Spec_sheet_parameters.csv``
/ ``Emulator_parameters.csv``); the profile of the latest earlier date. Each
value's origin is written in the profile's ``provenance.notes``. A date for
which no 1Q or 2Q gate error is available at all gets no profile (a warning
says so).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, ProfileWarning, check_int
from .quantinuum_data import analyse_data, load_quantinuum

METRICS = ("1q_gate_error", "1q_leakage", "2q_gate_error", "2q_leakage", "spam_error", "prob_meas1_prep0",
           "prob_meas0_prep1", "memory_error", "mcm_error")
_FILE_RE = re.compile(r"^(?P<machine>[^_]+(?:-[^_]+)?)__(?P<date>\d{4}_\d{2}_\d{2})__(?P<type>[A-Za-z_]+)\.json$")
#: spec-sheet column of each metric (the "legacy" columns are the epg without leakage)
_SPEC_COLUMN = {"1q_gate_error": ("1Q error", "1Q error (legacy)"), "1q_leakage": ("1Q leakage",),
                "2q_gate_error": ("2Q error", "2Q error (legacy)"), "2q_leakage": ("2Q leakage",),
                "spam_error": ("SPAM error",), "memory_error": ("Transport 1Q error",), "mcm_error": ("MCM error",)}
_EMU_COLUMN = {"prob_meas1_prep0": "p_meas_0", "prob_meas0_prep1": "p_meas_1"}


@dataclass(frozen=True)
class HistoryPoint:
    """One metric on one date: value, standard error, the file it comes from and how."""

    date: str
    metric: str
    value: float
    stderr: float
    source: str
    note: str = ""


@dataclass(frozen=True)
class CalibrationHistory:
    """The measured metrics of one machine per date (see the module docstring)."""

    machine: str
    points: tuple[HistoryPoint, ...]
    files: tuple[str, ...] = field(repr=False, default=())

    @property
    def dates(self) -> list[str]:
        return sorted({p.date for p in self.points})

    @property
    def metrics(self) -> list[str]:
        have = {p.metric for p in self.points}
        return [m for m in METRICS if m in have]

    def point(self, date: str, metric: str) -> HistoryPoint | None:
        for p in self.points:
            if p.date == date and p.metric == metric:
                return p
        return None

    def series(self, metric: str) -> list[HistoryPoint]:
        """The points of ``metric``, oldest first."""
        return sorted((p for p in self.points if p.metric == metric), key=lambda p: p.date)

    def table(self) -> list[dict[str, Any]]:
        """One row per date: ``{"date": ..., metric: "value +- stderr", ...}`` (missing: ``"-"``)."""
        rows = []
        for d in self.dates:
            row: dict[str, Any] = {"date": d}
            for m in self.metrics:
                p = self.point(d, m)
                row[m] = "-" if p is None else f"{p.value:.3g} ± {p.stderr:.1g}" + ("*" if p.note else "")
            rows.append(row)
        return rows

    def as_json(self) -> dict[str, Any]:
        return {"machine": self.machine, "files": list(self.files),
                "points": [{"date": p.date, "metric": p.metric, "value": p.value, "stderr": p.stderr,
                            "source": p.source, **({"note": p.note} if p.note else {})} for p in self.points]}

    def plot(self, path=None, *, published: bool = True):
        """Each metric against the date, with 1-sigma error bars (and the published values, open markers).

        Returns the matplotlib figure; with ``path``, also writes it (PNG, atomically).
        """
        from datetime import date as _date

        import matplotlib

        if path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        metrics = self.metrics
        if not metrics:
            raise DataError(f"{self.machine}: no metrics to plot")
        ncol = 3 if len(metrics) > 4 else 2 if len(metrics) > 1 else 1
        nrow = -(-len(metrics) // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 2.9 * nrow), squeeze=False)
        for ax, m in zip(axes.flat, metrics):
            pts = self.series(m)
            x = [_date.fromisoformat(p.date) for p in pts]
            ax.errorbar(x, [p.value for p in pts], yerr=[p.stderr for p in pts], fmt="o-", capsize=3, ms=4,
                        label="measured (this package)")
            if published:
                pub = [(d, v) for d in self.dates if (v := _published(self.machine, d, m)) is not None]
                if pub:
                    ax.errorbar([_date.fromisoformat(d) for d, _ in pub], [v[0] for _, v in pub],
                                yerr=[v[1] or 0.0 for _, v in pub], fmt="s", mfc="none", capsize=3, ms=5,
                                color="tab:orange", label="Quantinuum spec sheet")
            ax.set_title(m, fontsize=9)
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
            ax.tick_params(axis="y", labelsize=7)
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        for ax in list(axes.flat)[len(metrics):]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"{self.machine}: calibration history ({len(self.dates)} dates)", fontsize=10)
        fig.tight_layout()
        if path is not None:
            from ..viz import save_figure

            save_figure(fig, path)
        return fig

    def profiles(self, *, name: str | None = None, **durations) -> list:
        """One dated :class:`~qpu_twin.DeviceProfile` per date (see the module docstring for the sources).

        ``durations``: ``gate_1q_duration_us``, ``gate_2q_duration_us``, ``readout_duration_us``,
        ``memory_step_duration_us`` (assumptions, see :mod:`qpu_twin.profiles.importers.quantinuum`).
        """
        from ..profiles.importers import profile_data_from_quantinuum_values
        from ..profiles.model import DeviceProfile

        out = []
        carried: dict[str, tuple[float, float | None, str]] = {}
        for d in self.dates:
            values: dict[str, tuple[float, float | None, str]] = {}
            for m in METRICS:
                p = self.point(d, m)
                if p is not None:
                    values[m] = (p.value, p.stderr, f"{p.source}" + (f" ({p.note})" if p.note else ""))
                    continue
                pub = _published(self.machine, d, m)
                if pub is not None:
                    values[m] = (pub[0], pub[1], f"Quantinuum's published value for {d} ({pub[2]})")
                elif m in carried:
                    v, s, origin = carried[m]
                    values[m] = (v, s, f"carried from an earlier date: {origin}")
            missing = [m for m in ("1q_gate_error", "2q_gate_error") if m not in values]
            if missing:
                warnings.warn(f"{self.machine} {d}: no profile written: no {' and no '.join(missing)} (no file of "
                              "this date, no published value, no earlier date)", ProfileWarning, stacklevel=2)
                continue
            if ("prob_meas1_prep0" not in values or "prob_meas0_prep1" not in values) and "spam_error" not in values:
                warnings.warn(f"{self.machine} {d}: no profile written: no readout / SPAM error", ProfileWarning,
                              stacklevel=2)
                continue
            carried.update(values)
            ro = "prob_meas1_prep0" in values and "prob_meas0_prep1" in values
            notes = [f"calibration history of {self.machine} from dated benchmark files: {d}"]
            notes += [f"{m} = {v:.4g} +- {s if s is not None else float('nan'):.2g} from {origin}"
                      for m, (v, s, origin) in values.items()]
            unc = {"gate_1q_error": values["1q_gate_error"][1], "gate_2q_error": values["2q_gate_error"][1]}
            if "mcm_error" in values:
                unc["mcm_error"] = values["mcm_error"][1]
            if ro:
                unc["prob_meas1_prep0"] = values["prob_meas1_prep0"][1]
                unc["prob_meas0_prep1"] = values["prob_meas0_prep1"][1]
            unc = {k: float(v) for k, v in unc.items() if v is not None and v == v}
            data, log = profile_data_from_quantinuum_values(
                self.machine, d,
                gate_1q_error=values["1q_gate_error"][0], gate_2q_error=values["2q_gate_error"][0],
                spam_error=values.get("spam_error", (None,))[0],
                prob_meas1_prep0=values["prob_meas1_prep0"][0] if ro else None,
                prob_meas0_prep1=values["prob_meas0_prep1"][0] if ro else None,
                memory_error=values.get("memory_error", (None,))[0], mcm_error=values.get("mcm_error", (None,))[0],
                uncertainties=unc, name=name,
                source=f"benchmark files of {self.machine} on {d} (github.com/CQCL/quantinuum-hardware-specifications)",
                method="qpu_twin.calibration.history.quantinuum_history (pooled RB / SPAM / decay fits of the "
                       "raw data; date only, taken as 00:00 UTC)",
                notes=notes, **durations)
            out.append(DeviceProfile._from_import((data, log)))
        return out

    def save_profiles(self, folder=None, **kwargs) -> list[Path]:
        """Write :meth:`profiles` into the profile history ``folder`` (default: the first history folder)."""
        from ..profiles.history import save_to_history

        return [save_to_history(p, folder) for p in self.profiles(**kwargs)]


def _published(machine: str, date: str, metric: str) -> tuple[float, float | None, str] | None:
    from ..profiles.importers import quantinuum_spec_rows

    spec, emu = quantinuum_spec_rows(machine, date)
    for col in _SPEC_COLUMN.get(metric, ()):
        if col in spec:
            return (*spec[col], f"Spec_sheet_parameters.csv {col!r}")
    col = _EMU_COLUMN.get(metric)
    if col and col in emu:
        return emu[col], None, f"Emulator_parameters.csv {col!r}"
    return None


def _points(results, kind: str, date: str, source: str) -> list[HistoryPoint]:
    by = {r.quantity: r for r in results}
    pts = []

    def add(metric, quantity, note=""):
        r = by.get(quantity)
        if r is not None:
            pts.append(HistoryPoint(date, metric, float(r.value), float(r.stderr), source, note))

    if kind in ("SQ_RB", "TQ_RB"):
        pre = "1q" if kind == "SQ_RB" else "2q"
        if "gate_error" in by:
            add(f"{pre}_gate_error", "gate_error")
            add(f"{pre}_leakage", "leakage_per_gate")
        else:
            add(f"{pre}_gate_error", "epg", "epg: no leakage data in the file")
    elif kind == "SPAM":
        add("spam_error", "spam_error")
        add("prob_meas1_prep0", "prob_meas1_prep0_mean")
        add("prob_meas0_prep1", "prob_meas0_prep1_mean")
    elif kind == "Memory_RB":
        add("memory_error", "memory_error_per_step")
    elif kind == "Measurement_crosstalk":
        add("mcm_error", "crosstalk_error_per_measurement")
    return pts


def quantinuum_history(folder, *, machine: str | None = None, bootstrap: int = 200,
                       seed: int = 0) -> CalibrationHistory:
    """Analyse every dated Quantinuum benchmark file of one machine in ``folder``.

    Parameters
    ----------
    folder : path
        A folder with ``<machine>__<date>__<type>.json`` files (other files are ignored).
    machine : str, optional
        The machine (``"H1-1"``); needed when the folder holds files of several machines.
    bootstrap, seed : int
        Bootstrap resamples of each fit's error bar, and their seed.
    """
    bootstrap = check_int("bootstrap", bootstrap, minimum=0, maximum=100_000)
    seed = check_int("seed", seed, minimum=0)
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{str(folder)!r} is not a folder (give a folder of <machine>__<date>__<type>.json files)")
    found: dict[str, list[tuple[str, Path]]] = {}
    for p in sorted(folder.iterdir()):
        m = _FILE_RE.match(p.name)
        if m and p.is_file():
            found.setdefault(m.group("machine"), []).append((m.group("date"), p))
    if not found:
        raise DataError(f"{folder}: no dated benchmark files (<machine>__<date>__<type>.json)")
    if machine is None:
        if len(found) > 1:
            raise DataError(f"{folder}: files of several machines ({', '.join(sorted(found))}): choose one "
                            "(machine=..., --machine)")
        machine = next(iter(found))
    elif machine not in found:
        import difflib

        close = difflib.get_close_matches(machine, sorted(found), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(f"{folder}: no files of machine {machine!r}{hint}; machines: {', '.join(sorted(found))}")
    points: list[HistoryPoint] = []
    files = []
    for _, path in found[machine]:
        d = load_quantinuum(path)
        results = analyse_data(d, bootstrap=bootstrap, seed=seed)
        points += _points(results, d.kind, d.date, path.name)
        files.append(path.name)
    return CalibrationHistory(machine, tuple(points), tuple(files))


#: file type -> (quantity of our analysis, spec-sheet column) pairs compared by :func:`spec_sheet_comparison`
SPEC_COMPARISONS = {
    "SQ_RB": (("gate_error", "1Q error"), ("epg", "1Q error (legacy)"), ("leakage_per_gate", "1Q leakage")),
    "TQ_RB": (("gate_error", "2Q error"), ("epg", "2Q error (legacy)"), ("leakage_per_gate", "2Q leakage")),
    "SPAM": (("spam_error", "SPAM error"),),
    "Memory_RB": (("memory_error_per_step", "Transport 1Q error"),),
    "Measurement_crosstalk": (("crosstalk_error_per_measurement", "MCM error"),),
}


def spec_sheet_comparison(paths, *, bootstrap: int = 1000, seed: int = 0) -> list[dict[str, Any]]:
    """Our analysis of each Quantinuum file against ``Spec_sheet_parameters.csv`` where it has the row.

    One row per (file, quantity) with a published value: ``value``, ``stderr``,
    ``published``, ``published_sigma``, ``combined`` = hypot of the two sigmas,
    ``pulls`` = |value - published| / combined and ``agrees`` (pull <= 1).
    Files without a spec-sheet row (e.g. the 2025 dates) give rows with
    ``published=None``.
    """
    import math

    from ..profiles.importers import quantinuum_spec_rows

    rows = []
    for path in paths:
        d = load_quantinuum(path)
        results = {r.quantity: r for r in analyse_data(d, bootstrap=bootstrap, seed=seed)}
        spec, _ = quantinuum_spec_rows(d.machine, d.date) if d.machine and d.date else ({}, {})
        for quantity, column in SPEC_COMPARISONS[d.kind]:
            r = results.get(quantity)
            if r is None:
                continue
            pub = spec.get(column)
            row = {"file": Path(path).name, "machine": d.machine, "date": d.date, "kind": d.kind,
                   "quantity": quantity, "column": column, "value": float(r.value), "stderr": float(r.stderr),
                   "published": None, "published_sigma": None, "combined": None, "pull": None, "agrees": None}
            if pub is not None:
                value, sigma = pub
                combined = math.hypot(sigma or 0.0, r.stderr)
                pull = abs(r.value - value) / combined if combined > 0 else math.inf
                row.update(published=value, published_sigma=sigma, combined=combined, pull=pull, agrees=pull <= 1.0)
            rows.append(row)
    return rows
