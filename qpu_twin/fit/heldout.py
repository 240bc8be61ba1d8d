"""Train/test splits of a hardware dataset and the held-out evaluation of a fit.

``fit_and_evaluate(dataset, ...)`` is what ``qpu-twin fit`` runs: split the
circuits with measured counts, fit the twin on the training side, and score on
the held-out side the datasheet twin, the fitted twin and (when the dataset
carries its calibration snapshots) Aer's model of the same snapshots. It warns
when the fitted twin predicts the held-out circuits *worse* than the datasheet
twin, and flags fitted parameters that ended on a bound of their search.

Splits (``method``), each a test of whether a fit *transfers*:

* ``"random"``: a seeded random permutation; ``train_fraction`` of the circuits train.
* ``"by-job"``: train on the earliest jobs (by the job date, then id; ``train_fraction``
  of the jobs), predict the later ones: does the fit carry over to other days?
* ``"by-dd"``: train on the circuits without dynamical decoupling, predict those with
  it (:func:`~qpu_twin.data.classify.uses_dynamical_decoupling`): does the model of
  idle noise predict what echo pulses change?
* ``"by-placement"``: train on some qubit lines (the circuits' sets of active
  physical qubits, seeded choice of ``train_fraction`` of them), predict the others:
  does the fit carry over to other qubits and pairs?
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..benchmark.harness import Model, aer_model, twin_model
from ..data import HardwareDataset, MeasuredCircuit
from ..data.classify import placement, uses_dynamical_decoupling
from ..errors import FitError, check_real
from ..metrics import hellinger, tvd
from ..profiles.importers._common import parse_timestamp
from ..profiles.model import DeviceProfile
from .fit import FitResult, fit_twin

SPLITS = ("random", "by-job", "by-dd", "by-placement")


class FitWarning(UserWarning):
    """A fit result that needs a look (held-out metric worse than the datasheet, a parameter at a bound)."""


@dataclass(frozen=True)
class Split:
    """Training and held-out circuits, and how they were chosen."""

    method: str
    train: tuple[MeasuredCircuit, ...]
    test: tuple[MeasuredCircuit, ...]
    description: str = ""


def split_circuits(circuits: Sequence[MeasuredCircuit], *, method: str = "random", train_fraction: float = 0.5,
                   seed: int = 0) -> Split:
    """Split ``circuits`` into training and held-out sets (see the module docstring for the methods)."""
    circuits = list(circuits)
    if method not in SPLITS:
        raise FitError(f"split={method!r}: unknown (known: {', '.join(SPLITS)})")
    train_fraction = check_real("train_fraction", train_fraction)
    if not 0 < train_fraction < 1:
        raise FitError(f"train_fraction={train_fraction}: must be in (0, 1)")
    if len(circuits) < 2:
        raise FitError(f"{len(circuits)} circuit(s) with measured counts: need at least 2 (one to fit, one held out)")
    if method == "random":
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(circuits))
        n_train = min(max(1, int(round(train_fraction * len(circuits)))), len(circuits) - 1)
        train = tuple(circuits[i] for i in sorted(order[:n_train]))
        test = tuple(circuits[i] for i in sorted(order[n_train:]))
        return Split(method, train, test, f"random, train fraction {train_fraction:g}, seed {seed}")
    if method == "by-dd":
        train = tuple(c for c in circuits if not uses_dynamical_decoupling(c.circuit))
        test = tuple(c for c in circuits if uses_dynamical_decoupling(c.circuit))
        _check_sides(method, train, test, "circuits without / with dynamical decoupling")
        return Split(method, train, test, f"by-dd: {len(train)} circuits without DD train, {len(test)} with DD test")
    if method == "by-job":
        jobs: dict[str, str] = {}
        for c in circuits:
            job = str(c.meta.get("job_id", ""))
            if not job:
                raise FitError(f"split='by-job': circuit {c.name!r} has no job_id in its metadata")
            jobs.setdefault(job, str(c.meta.get("date", "")))
        order = sorted(jobs, key=lambda j: (jobs[j], j))
        n_train = min(max(1, int(round(train_fraction * len(order)))), len(order) - 1) if len(order) > 1 else 0
        first = set(order[:n_train])
        train = tuple(c for c in circuits if c.meta["job_id"] in first)
        test = tuple(c for c in circuits if c.meta["job_id"] not in first)
        _check_sides(method, train, test, f"jobs ({len(order)} in the dataset)")
        return Split(method, train, test, f"by-job: earliest {n_train} of {len(order)} jobs train "
                                          f"({', '.join(j[:8] for j in order[:n_train])}), the later ones test")
    # by-placement
    lines = sorted({placement(c.circuit) for c in circuits})
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lines))
    n_train = min(max(1, int(round(train_fraction * len(lines)))), len(lines) - 1) if len(lines) > 1 else 0
    chosen = {lines[i] for i in order[:n_train]}
    train = tuple(c for c in circuits if placement(c.circuit) in chosen)
    test = tuple(c for c in circuits if placement(c.circuit) not in chosen)
    _check_sides(method, train, test, f"qubit lines ({len(lines)} in the dataset)")
    return Split(method, train, test, f"by-placement: {n_train} of {len(lines)} qubit lines train (seed {seed}), "
                                      "the others test")


def _check_sides(method: str, train, test, what: str) -> None:
    if not train or not test:
        raise FitError(f"split={method!r}: the dataset cannot be split by {what}: {len(train)} training and "
                       f"{len(test)} held-out circuits")


def evaluate(models: Sequence[Model], circuits: Sequence[MeasuredCircuit], *, executor=None,
             retries: int = 2) -> dict[str, dict[str, Any]]:
    """Mean Hellinger distance and TVD of each model's predictions to the measured counts.

    ``executor``: predict there, one task per circuit (the models with a
    :attr:`~qpu_twin.benchmark.harness.Model.recipe`; the others here); same numbers as serially.
    """
    from ..parallel import check_executor

    check_executor(executor)
    remote: dict[str, list] = {}
    if executor is not None:
        from ..parallel import map_tasks
        from ..twin import circuit_to_qpy

        with_recipe = [m for m in models if m.recipe is not None]
        if with_recipe and circuits:
            tasks = [(bc.name, circuit_to_qpy(bc.circuit), bc.physical, bc.snapshot,
                      [(m.name, m.recipe(bc)) for m in with_recipe]) for bc in circuits]
            preds = map_tasks(_heldout_task, tasks, executor=executor, retries=retries, error=FitError,
                              desc="held-out predictions", names=[bc.name for bc in circuits])
            remote = {m.name: [p[m.name] for p in preds] for m in with_recipe}
    out = {}
    for m in models:
        hs, ts = [], []
        for j, bc in enumerate(circuits):
            pred = remote[m.name][j] if m.name in remote else m.predict(bc)
            hs.append(hellinger(pred, bc.counts))
            ts.append(tvd(pred, bc.counts))
        out[m.name] = {"mean_hellinger": float(np.mean(hs)) if hs else None,
                       "mean_tvd": float(np.mean(ts)) if ts else None, "circuits": len(hs)}
    return out


def _heldout_task(task) -> dict[str, dict[str, float]]:
    """The predictions of one held-out circuit on a worker."""
    from ..benchmark.harness import predict_from_recipe
    from ..twin import circuit_from_qpy

    name, data, physical, snapshot, recipes = task
    bc = MeasuredCircuit(name, circuit_from_qpy(data), None, physical, None, snapshot)
    return {m: predict_from_recipe(r, bc) for m, r in recipes}


@dataclass(frozen=True)
class HeldoutReport:
    """A fit and its held-out evaluation."""

    fit: FitResult
    split: Split
    base_profile: DeviceProfile
    heldout: dict[str, dict[str, Any]]
    warnings: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"heldout": self.heldout, "parameters": self.fit.table(), "split": self.split.method,
                "split_seed": self.meta.get("seed"), "train_circuits": len(self.split.train),
                "test_circuits": len(self.split.test), "base_profile": self.base_profile.name,
                "seconds": self.fit.seconds, "warnings": list(self.warnings),
                "parameters_at_bound": [p.label for p in self.fit.parameters if p.at_bound]}


def base_profile_of(ds: HardwareDataset, profile: DeviceProfile | None = None) -> DeviceProfile:
    """The starting (datasheet) profile: ``profile`` if given, else the dataset's earliest snapshot."""
    if profile is not None:
        return profile
    if ds.snapshots:
        return min(ds.snapshots.values(), key=lambda p: p.timestamp)
    raise FitError(f"dataset {ds.name!r} carries no calibration snapshot: pass a profile")


def _training_timestamp(train: Sequence[MeasuredCircuit]):
    """The date of the newest training circuit (a fitted profile is dated by its data), or None if any lacks one."""
    dates = [parse_timestamp(c.meta["date"], where=f"circuit {c.name}") for c in train if c.meta.get("date")]
    return max(dates) if dates and len(dates) == len(train) else None


def fit_and_evaluate(ds: HardwareDataset, *, profile: DeviceProfile | None = None, kinds=("p10", "p01", "gate_error"),
                     split: str = "random", train_fraction: float = 0.5, seed: int = 0, sweeps: int = 2,
                     aer_shots: int = 20_000, progress: bool = False, checkpoint=None,
                     resume: bool = False, keep_checkpoint: bool = False, executor=None,
                     retries: int = 2) -> HeldoutReport:
    """Fit on one side of a split of ``ds`` and evaluate on the other (see the module docstring).

    ``checkpoint`` / ``resume`` are passed to :func:`~qpu_twin.fit.fit_twin`; the checkpoint of the
    finished fit stays until the held-out evaluation is done (a Ctrl-C during it raises
    :class:`~qpu_twin.errors.Interrupted`, and resuming skips the fit), then it is deleted unless
    ``keep_checkpoint``.

    ``executor`` / ``retries``: the fit's likelihood terms and the held-out predictions run
    there (:func:`~qpu_twin.fit.fit_twin`, :func:`evaluate`); the numbers equal the serial run's.
    """
    from pathlib import Path

    from ..errors import Interrupted

    circuits = [c for c in ds.circuits if c.counts]
    logical = [c.name for c in circuits if not c.physical]
    if logical:
        raise FitError(f"dataset {ds.name!r}: the fit runs circuits as physical (transpile=False), but "
                       f"{len(logical)} are not marked physical (e.g. {logical[0]!r})")
    base = base_profile_of(ds, profile)
    sp = split_circuits(circuits, method=split, train_fraction=train_fraction, seed=seed)
    result = fit_twin(base, list(sp.train), kinds=list(kinds), sweeps=sweeps, progress=progress,
                      timestamp=_training_timestamp(sp.train),
                      checkpoint=checkpoint, resume=resume, keep_checkpoint=True, executor=executor,
                      retries=retries)
    try:
        heldout = _evaluate_fit(ds, result, profile, aer_shots, seed, sp, executor=executor, retries=retries)
    except KeyboardInterrupt:
        if checkpoint is None:
            raise
        raise Interrupted(f"the fit finished (saved in {checkpoint}) but Ctrl-C stopped its held-out evaluation "
                          "(continue with resume=True; CLI: the same command with --resume)", str(checkpoint)) from None
    if checkpoint is not None and not keep_checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
    notes = []
    fitted_h, sheet_h = heldout["fitted_twin"]["mean_hellinger"], heldout["datasheet_twin"]["mean_hellinger"]
    if fitted_h is not None and sheet_h is not None and fitted_h > sheet_h:
        notes.append(f"the fitted twin predicts the {len(sp.test)} held-out circuits worse than the datasheet twin "
                     f"(mean Hellinger {fitted_h:.4f} > {sheet_h:.4f}): too few or unrepresentative training "
                     f"circuits ({len(sp.train)}) for {len(result.parameters)} parameters?")
    stuck = [p.label for p in result.parameters if p.at_bound]
    if stuck:
        notes.append(f"{len(stuck)} fitted parameter(s) ended on a bound of their search, so the data push them "
                     f"beyond it (not identifiable, or a missing model component): {', '.join(stuck[:8])}"
                     + (f", ... ({len(stuck) - 8} more)" if len(stuck) > 8 else ""))
    for n in notes:
        warnings.warn(n, FitWarning, stacklevel=2)
    return HeldoutReport(result, sp, base, heldout, tuple(notes), {"seed": seed, "kinds": list(kinds)})


def _evaluate_fit(ds, result, profile, aer_shots, seed, sp, *, executor=None, retries=2):
    models = [twin_model("datasheet_twin", "lindblad", ds, profile), twin_model("fitted_twin", "lindblad", ds,
                                                                                result.profile)]
    aer = aer_model(ds, aer_shots, seed)
    if aer is not None:
        models.append(aer)
    return evaluate(models, sp.test, executor=executor, retries=retries)
