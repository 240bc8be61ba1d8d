"""Diagnostics that localise model error: which bits, which pairs, which rounds the model gets wrong.

For a group ("family") of circuits, measured counts are compared with a
model's predicted distributions through statistics that point at physics:

* per-bit marginals P(bit = 1): readout and state errors of each measurement;
* two-bit connected correlations <b_i b_j> - <b_i><b_j>: correlated errors
  (crosstalk, spectator errors during readout, leakage);
* for repetition codes, the detection-event (syndrome-flip) rate per round and
  per stabilizer (:class:`~qpu_twin.data.classify.RepetitionCodeLayout`): errors
  localised in time (a round) and space (a link).

Each statistic is averaged over the circuits of a family; the measured value
carries a 95 % interval from a multinomial bootstrap of every circuit's counts
(the shot noise of the data; the prediction is exact). ``z`` is
(measured - predicted) / (bootstrap standard error): |z| >> 1 marks where the
model is wrong. Families default to (job, with/without dynamical decoupling).

    >>> from qpu_twin.benchmark.diagnostics import diagnose   # doctest: +SKIP
    >>> d = diagnose(circuits, predict)                        # doctest: +SKIP
    >>> d.table("detection")                                   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..data import MeasuredCircuit
from ..data.classify import repetition_code_layout, uses_dynamical_decoupling
from ..errors import BenchmarkError, DataError, check_int


def default_family(bc: MeasuredCircuit) -> str:
    """``"<job id[:8]> DD"`` / ``"<job id[:8]> no DD"`` (or the circuit name's prefix without a job id)."""
    job = str(bc.meta.get("job_id", "")) or bc.name.split("/")[0]
    return f"{job[:8]} {'DD' if uses_dynamical_decoupling(bc.circuit) else 'no DD'}"


def _dist_array(dist: Mapping[str, float], nbits: int) -> np.ndarray:
    """Probabilities as an array over outcomes (index = integer of the bitstring)."""
    arr = np.zeros(2**nbits)
    for k, v in dist.items():
        arr[int(k, 2) if k else 0] += max(float(v), 0.0)
    total = arr.sum()
    if total <= 0:
        raise BenchmarkError("diagnostics: a distribution has zero total weight")
    return arr / total


def _bit_table(nbits: int) -> np.ndarray:
    """bits[i, c] = value of clbit c in outcome i."""
    idx = np.arange(2**nbits)
    return ((idx[:, None] >> np.arange(nbits)[None, :]) & 1).astype(float)


def _stats(p: np.ndarray, bits: np.ndarray, det: np.ndarray | None) -> dict[str, np.ndarray]:
    """Marginals, connected correlations and detection-event rates of one distribution (arrays)."""
    m = p @ bits  # P(b_c = 1)
    second = bits.T @ (p[:, None] * bits)  # <b_i b_j>
    corr = second - np.outer(m, m)
    out = {"marginal": m, "correlation": corr[np.triu_indices(bits.shape[1], 1)]}
    if det is not None:
        out["detection"] = p @ det
    return out


@dataclass(frozen=True)
class Diagnostic:
    """One statistic of one family: measured (with 95 % interval), predicted, z-score."""

    family: str
    kind: str  # "marginal", "correlation", "detection"
    label: str  # "c3", "c1,c4", "round 2 link 0"
    measured: float
    low: float
    high: float
    predicted: float
    stderr: float
    circuits: int

    @property
    def z(self) -> float:
        return (self.measured - self.predicted) / self.stderr if self.stderr > 0 else float("nan")


@dataclass(frozen=True)
class Diagnostics:
    """All statistics of all families for one model, with tables and plots."""

    model: str
    items: tuple[Diagnostic, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def families(self) -> list[str]:
        return sorted({d.family for d in self.items})

    def select(self, kind: str, family: str | None = None) -> list[Diagnostic]:
        return [d for d in self.items if d.kind == kind and (family is None or d.family == family)]

    def table(self, kind: str, *, family: str | None = None, fmt: str = "github") -> str:
        """A text table of one kind of statistic (tabulate format ``fmt``)."""
        from tabulate import tabulate

        rows = [[d.family, d.label, f"{d.measured:.4f}", f"[{d.low:.4f}, {d.high:.4f}]", f"{d.predicted:.4f}",
                 f"{d.measured - d.predicted:+.4f}", f"{d.z:+.1f}"] for d in self.select(kind, family)]
        return tabulate(rows, headers=["family", kind, "measured", "95% CI", f"predicted ({self.model})",
                                       "measured - predicted", "z"], tablefmt=fmt)

    def summary(self) -> dict[str, dict[str, float]]:
        """Per kind: mean |measured - predicted|, mean measured - predicted, and the RMS z-score."""
        out = {}
        for kind in ("marginal", "correlation", "detection"):
            ds = self.select(kind)
            if not ds:
                continue
            diff = np.array([d.measured - d.predicted for d in ds])
            z = np.array([d.z for d in ds])
            out[kind] = {"mean_abs_diff": float(np.mean(np.abs(diff))), "mean_diff": float(np.mean(diff)),
                         "rms_z": float(np.sqrt(np.nanmean(z**2))), "n": len(ds)}
        return out

    def plot(self, kind: str = "detection", *, ax=None, others: "Sequence[Diagnostics]" = ()):
        """Measured (with 95 % intervals) vs predicted per statistic, one panel; returns the figure."""
        import matplotlib.pyplot as plt

        ds = self.select(kind)
        if ax is None:
            fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(ds)), 3.4))
        else:
            fig = ax.figure
        x = np.arange(len(ds))
        meas = np.array([d.measured for d in ds])
        yerr = np.array([[d.measured - d.low for d in ds], [d.high - d.measured for d in ds]])
        ax.errorbar(x, meas, yerr=yerr, fmt="o", ms=3, color="k", label="measured (95 % CI)")
        ax.plot(x, [d.predicted for d in ds], "s", ms=3, mfc="none", label=self.model)
        for o in others:
            od = {(d.family, d.label): d.predicted for d in o.select(kind)}
            ax.plot(x, [od.get((d.family, d.label), np.nan) for d in ds], "^", ms=3, mfc="none", label=o.model)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{d.family}: {d.label}" for d in ds], rotation=90, fontsize=6)
        ax.set_ylabel({"detection": "detection-event rate", "marginal": "P(bit = 1)",
                       "correlation": "connected correlation"}[kind])
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


def diagnose(circuits: Sequence[MeasuredCircuit], predict: Callable[[MeasuredCircuit], Mapping[str, float]], *,
             model: str = "model", family: Callable[[MeasuredCircuit], str] = default_family,
             resamples: int = 200, seed: int = 0, kinds: Sequence[str] = ("marginal", "correlation", "detection"),
             max_bits: int = 12) -> Diagnostics:
    """Compare measured counts with ``predict(circuit)`` per family (see the module docstring).

    Parameters
    ----------
    circuits : MeasuredCircuit with counts
    predict : callable
        The model: circuit -> predicted distribution (e.g. ``Model.predict`` of the harness).
    family : callable
        Circuit -> family label; statistics are averaged within a family.
        Circuits of one family must have the same number of classical bits.
    resamples : int
        Multinomial bootstrap resamples of each circuit's counts.
    kinds : which statistics; "detection" is computed for circuits that are repetition codes.
    max_bits : int
        Circuits with more classical bits are refused (the statistics use dense arrays over outcomes).
    """
    resamples = check_int("resamples", resamples, minimum=2)
    circuits = [c for c in circuits if c.counts]
    if not circuits:
        raise BenchmarkError("diagnose: no circuit with measured counts")
    rng = np.random.default_rng(seed)
    groups: dict[str, list[MeasuredCircuit]] = {}
    for c in circuits:
        groups.setdefault(family(c), []).append(c)
    items: list[Diagnostic] = []
    for fam in sorted(groups):
        members = groups[fam]
        nbits = {c.circuit.num_clbits for c in members}
        if len(nbits) != 1:
            raise BenchmarkError(f"diagnose: family {fam!r} mixes circuits with {sorted(nbits)} classical bits")
        nb = nbits.pop()
        if nb > max_bits:
            raise BenchmarkError(f"diagnose: {nb} classical bits > max_bits={max_bits}")
        bits = _bit_table(nb)
        layouts = []
        for c in members:
            try:
                layouts.append(repetition_code_layout(c.circuit) if "detection" in kinds else None)
            except DataError:
                layouts.append(None)
        use_det = "detection" in kinds and all(lay is not None for lay in layouts) and \
            len({(lay.rounds, len(lay.links)) for lay in layouts}) == 1
        meas_stats, pred_stats, boot_stats = [], [], []
        for c, lay in zip(members, layouts):
            det = None
            if use_det:
                det = np.array([np.array(lay.detection_events(format(i, f"0{nb}b"))).reshape(-1)
                                for i in range(2**nb)], dtype=float)
            pm = _dist_array(c.counts, nb)
            pp = _dist_array(predict(c), nb)
            meas_stats.append(_stats(pm, bits, det))
            pred_stats.append(_stats(pp, bits, det))
            shots = c.shots
            draws = rng.multinomial(shots, pm, size=resamples) / shots
            boot_stats.append(_stats_batch(draws, bits, det))
        lay0 = layouts[0] if use_det else None
        for kind in kinds:
            if kind == "detection" and not use_det:
                continue
            meas = np.mean([s[kind] for s in meas_stats], axis=0)
            pred = np.mean([s[kind] for s in pred_stats], axis=0)
            boot = np.mean([s[kind] for s in boot_stats], axis=0)  # (resamples, n_stat)
            lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
            se = boot.std(axis=0, ddof=1)
            labels = _labels(kind, nb, lay0)
            for j, lab in enumerate(labels):
                # centre the bootstrap interval on the estimate (percentile-shift)
                centre = float(np.mean(boot[:, j]))
                items.append(Diagnostic(fam, kind, lab, float(meas[j]), float(meas[j] - (centre - lo[j])),
                                        float(meas[j] + (hi[j] - centre)), float(pred[j]), float(se[j]),
                                        len(members)))
    return Diagnostics(model, tuple(items), {"resamples": resamples, "seed": seed, "families": len(groups)})


def _stats_batch(p: np.ndarray, bits: np.ndarray, det: np.ndarray | None) -> dict[str, np.ndarray]:
    """:func:`_stats` for a batch of distributions ``p`` (rows)."""
    m = p @ bits
    second = np.einsum("ri,ia,ib->rab", p, bits, bits)
    corr = second - m[:, :, None] * m[:, None, :]
    iu = np.triu_indices(bits.shape[1], 1)
    out = {"marginal": m, "correlation": corr[:, iu[0], iu[1]]}
    if det is not None:
        out["detection"] = p @ det
    return out


def _labels(kind: str, nbits: int, layout) -> list[str]:
    if kind == "marginal":
        return [f"c{c}" for c in range(nbits)]
    if kind == "correlation":
        i, j = np.triu_indices(nbits, 1)
        return [f"c{a},c{b}" for a, b in zip(i, j)]
    rounds = layout.rounds + 1
    return [f"round {r + 1}{' (final)' if r == rounds - 1 else ''} link {j}" for r in range(rounds)
            for j in range(len(layout.links))]
