"""Diagnostics that localise model error: which bits, which pairs, which rounds the model gets wrong.

For a group ("family") of circuits, measured counts are compared with a
model's predicted distributions through statistics that point at physics:

* per-bit marginals P(bit = 1): readout and state errors of each measurement;
* two-bit connected correlations <b_i b_j> - <b_i><b_j>: correlated errors
  (crosstalk, spectator errors during readout, leakage);
* for repetition codes, the detection-event (syndrome-flip) rate per round and
  per stabilizer (:class:`~qpu_twin.data.classify.RepetitionCodeLayout`): errors
  localised in time (a round) and space (a link).

:func:`error_by_family` adds the coarsest localisation: per circuit family
(:func:`code_family`: bit-flip code on a basis state, phase-flip code, each with
and without dynamical decoupling) the probability of not getting the ideal
answer, measured (95 % bootstrap interval) vs predicted by each model, and the
mean Hellinger distance. Families that differ only in which errors they can see
(a basis state sees no dephasing; decoupling refocuses a frame offset) tell which
physics a model lacks.

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


#: gates that map basis states to basis states and how they act on the bits (diagonal ones do nothing)
_FLIP1 = frozenset({"x", "y"})
_DIAGONAL = frozenset({"z", "id", "rz", "p", "u1", "s", "sdg", "t", "tdg", "cz", "rzz", "cp", "crz"})


def classical_answer(circuit) -> str | None:
    """The noiseless outcome of a circuit that maps basis states to basis states, else None.

    Bits are tracked through X/Y, CX/CY, CCX, SWAP, diagonal gates (no effect),
    measure and reset from |0...0>; any other operation (a superposition, a
    conditional) gives None. The bitstring is Qiskit-ordered (clbit 0 rightmost);
    a clbit never written reads 0.
    """
    bits: dict[int, int] = {}
    clbits = [0] * circuit.num_clbits
    for inst in circuit.data:
        name = inst.operation.name
        qs = [circuit.find_bit(q).index for q in inst.qubits]
        if name in ("delay", "barrier") or name in _DIAGONAL:
            continue
        if name in _FLIP1:
            bits[qs[0]] = 1 - bits.get(qs[0], 0)
        elif name in ("cx", "cy"):
            if bits.get(qs[0], 0):
                bits[qs[1]] = 1 - bits.get(qs[1], 0)
        elif name == "ccx":
            if bits.get(qs[0], 0) and bits.get(qs[1], 0):
                bits[qs[2]] = 1 - bits.get(qs[2], 0)
        elif name == "swap":
            bits[qs[0]], bits[qs[1]] = bits.get(qs[1], 0), bits.get(qs[0], 0)
        elif name == "measure":
            clbits[circuit.find_bit(inst.clbits[0]).index] = bits.get(qs[0], 0)
        elif name == "reset":
            bits[qs[0]] = 0
        else:
            return None
    return "".join(str(b) for b in reversed(clbits))


def code_family(bc: MeasuredCircuit) -> str:
    """The repetition-code family of a circuit, with ``" DD"`` / ``" no DD"`` (dynamical decoupling).

    * ``"bit-flip code |0..0>"`` (the code qubits' ideal final bits) for a code
      that only maps basis states to basis states (:func:`classical_answer`);
    * ``"phase-flip code"`` when the links see gates other than basis-state maps
      (X-parity checks: a basis change around the CX gates);
    * ``"bit-flip code, superposition"`` when only code qubits leave the basis;
    * ``"other circuits"`` for anything that is not a repetition code
      (:func:`~qpu_twin.data.classify.repetition_code_layout`).
    """
    c = bc.circuit
    dd = "DD" if uses_dynamical_decoupling(c) else "no DD"
    try:
        lay = repetition_code_layout(c)
    except DataError:
        return f"other circuits {dd}"
    answer = classical_answer(c)
    if answer is not None:
        n = len(answer)
        return f"bit-flip code |{''.join(answer[n - 1 - b] for b in lay.code_clbits)}> {dd}"
    links = set(lay.links)
    for inst in c.data:
        name = inst.operation.name
        if name in ("delay", "barrier", "measure", "reset") or name in _DIAGONAL or name in _FLIP1 or \
                name in ("cx", "cy", "ccx", "swap"):
            continue
        if links.intersection(c.find_bit(q).index for q in inst.qubits):
            return f"phase-flip code {dd}"
    return f"bit-flip code, superposition {dd}"


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


@dataclass(frozen=True)
class FamilyError:
    """One model on one family: P(not the ideal answer) measured (95 % interval) and predicted, mean Hellinger."""

    family: str
    model: str
    circuits: int
    measured: float
    low: float
    high: float
    predicted: float
    hellinger: float

    @property
    def ratio(self) -> float:
        """measured / predicted error (above 1: error the model lacks)."""
        return self.measured / self.predicted if self.predicted > 0 else float("inf")


@dataclass(frozen=True)
class FamilyErrors:
    """:func:`error_by_family`: rows per (family, model), with a table and a plot."""

    rows: tuple[FamilyError, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def families(self) -> list[str]:
        return sorted({r.family for r in self.rows})

    def models(self) -> list[str]:
        return list(dict.fromkeys(r.model for r in self.rows))

    def get(self, family: str, model: str) -> FamilyError:
        for r in self.rows:
            if r.family == family and r.model == model:
                return r
        raise KeyError(f"no row for family {family!r} and model {model!r} (families: {self.families()}, "
                       f"models: {self.models()})")

    def table(self, fmt: str = "github") -> str:
        """Per family: measured error with interval, then each model's predicted error, ratio and Hellinger."""
        from tabulate import tabulate

        models = self.models()
        headers = ["family", "circuits", "P(not the answer) measured", "95% CI"]
        for m in models:
            headers += [f"{m}: predicted", "ratio", "mean Hellinger"]
        rows = []
        for fam in self.families():
            first = self.get(fam, models[0])
            row = [fam, first.circuits, f"{first.measured:.4f}", f"[{first.low:.4f}, {first.high:.4f}]"]
            for m in models:
                r = self.get(fam, m)
                row += [f"{r.predicted:.4f}", f"{r.ratio:.2f}", f"{r.hellinger:.4f}"]
            rows.append(row)
        out = tabulate(rows, headers=headers, tablefmt=fmt)
        skipped = self.meta.get("without_answer", ())
        if skipped:
            out += (f"\n({len(skipped)} circuits without a unique ideal answer are not in this table: "
                    f"{', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''})")
        return out

    def plot(self, ax=None):
        """Measured (95 % interval) vs each model's predicted P(not the answer) per family; returns the figure."""
        import matplotlib.pyplot as plt

        fams, models = self.families(), self.models()
        if ax is None:
            fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(fams)), 3.6))
        else:
            fig = ax.figure
        x = np.arange(len(fams))
        first = [self.get(f, models[0]) for f in fams]
        meas = np.array([r.measured for r in first])
        yerr = np.array([[r.measured - r.low for r in first], [r.high - r.measured for r in first]])
        ax.errorbar(x, meas, yerr=yerr, fmt="o", color="k", label="measured (95 % CI)")
        for k, m in enumerate(models):
            ax.plot(x + 0.1 * (k + 1), [self.get(f, m).predicted for f in fams], "s", mfc="none", label=m)
        ax.set_xticks(x)
        ax.set_xticklabels(fams, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("P(not the ideal answer)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


def error_by_family(circuits: Sequence[MeasuredCircuit], models: Mapping[str, Callable[[MeasuredCircuit],
                    Mapping[str, float]]], *, ideal: Callable[[MeasuredCircuit], Mapping[str, float]] | None = None,
                    family: Callable[[MeasuredCircuit], str] = code_family, resamples: int = 200,
                    seed: int = 0) -> FamilyErrors:
    """Per family and model: P(outcome != the ideal answer), measured vs predicted, and the mean Hellinger.

    Parameters
    ----------
    circuits : MeasuredCircuit with counts
    models : name -> callable circuit -> predicted distribution (e.g. ``Model.predict`` of the harness)
    ideal : callable, optional
        Circuit -> noiseless distribution, for circuits without a stated ``answer``
        whose answer :func:`classical_answer` cannot give (superpositions). A circuit whose ideal distribution has no
        outcome of probability 1 (to 1e-9) has no answer: it is left out and named
        in ``meta["without_answer"]`` (and under the table).
    family : callable
        Circuit -> family label (default :func:`code_family`).
    resamples : int
        Binomial bootstrap resamples of every circuit's count of the answer (the
        interval of the measured mean; the predictions are exact).
    """
    from ..metrics import hellinger

    resamples = check_int("resamples", resamples, minimum=2)
    if not models:
        raise BenchmarkError("error_by_family: no model given")
    circuits = [c for c in circuits if c.counts]
    if not circuits:
        raise BenchmarkError("error_by_family: no circuit with measured counts")
    rng = np.random.default_rng(seed)
    groups: dict[str, list[tuple[MeasuredCircuit, str]]] = {}
    without = []
    for c in circuits:
        answer = c.answer if c.answer else classical_answer(c.circuit)
        if answer is None and ideal is not None:
            dist = ideal(c)
            best = max(sorted(dist), key=lambda k: dist[k])
            answer = best if dist[best] >= 1 - 1e-9 else None
        if answer is None:
            without.append(c.name)
            continue
        groups.setdefault(family(c), []).append((c, answer))
    rows = []
    for fam in sorted(groups):
        members = groups[fam]
        shots = np.array([c.shots for c, _ in members])
        p_ans = np.array([c.counts.get(a, 0) / c.shots for c, a in members])
        meas = float(np.mean(1 - p_ans))
        boot = np.mean(1 - rng.binomial(shots[:, None], p_ans[:, None], size=(len(members), resamples))
                       / shots[:, None], axis=0)
        lo, hi = np.percentile(boot, [2.5, 97.5])
        centre = float(np.mean(boot))
        freq = [{k: n / c.shots for k, n in c.counts.items()} for c, _ in members]
        for name, predict in models.items():
            preds = [predict(c) for c, _ in members]
            pred_err = float(np.mean([1 - float(p.get(a, 0.0)) / sum(p.values()) for p, (_, a) in zip(preds, members)]))
            h = float(np.mean([hellinger(f, p) for f, p in zip(freq, preds)]))
            rows.append(FamilyError(fam, name, len(members), meas, meas - (centre - float(lo)),
                                    meas + (float(hi) - centre), pred_err, h))
    return FamilyErrors(tuple(rows), {"resamples": resamples, "seed": seed, "without_answer": tuple(without)})
