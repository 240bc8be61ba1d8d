"""Twin predictions vs measured counts, side by side with baselines, with confidence intervals.

Models (``default_models``):

* ``ideal``: the noiseless distribution (twin, noise "ideal");
* ``aer_properties`` / ``aer_backend``: Qiskit Aer with ``NoiseModel.from_backend_properties``
  of the same archived snapshot, or ``NoiseModel.from_backend`` of the live
  backend; exact (density matrix) when all measurements are terminal, otherwise
  sampled with ``aer_shots``;
* ``twin_aer``: the twin at Aer's gate level (exact);
* ``twin_lindblad``: the full twin; and the ablations ``twin_no_idle``,
  ``twin_no_zz``, ``twin_no_readout`` (one component switched off each).

For every circuit and model: Hellinger distance and TVD to the measured
counts, with 95 % intervals from a multinomial bootstrap of the counts (shot
noise of the measurement, centred on the estimate) and the finite-shot floor
(the mean distance if the counts had been drawn from the prediction itself:
what a perfect model would score); for circuits with a known answer, the success
probability; for others with an ideal distribution, heavy-output probability
and linear XEB of the prediction and of the data. Aggregates: mean over
circuits with the bootstrap interval of the mean, and the run time.
"""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..engines.sampling import sample_counts
from ..errors import (BenchmarkError, check_bool, check_instance, check_int, check_kwargs, check_path, check_real,
                      check_sequence, did_you_mean)
from ..files import read_checkpoint, write_checkpoint, write_text_atomic
from ..metrics import MAX_RESAMPLES, bootstrap_metric, heavy_output_probability, hellinger, linear_xeb, success_probability, tvd
from ..twin import Twin
from ..data import HardwareDataset, MeasuredCircuit

ABLATIONS = {
    "twin_lindblad": "lindblad",
    "twin_aer": "aer",
    "twin_no_idle": {"level": "lindblad", "idle": False},
    "twin_no_zz": {"level": "lindblad", "zz": False},
    "twin_no_readout": {"level": "lindblad", "readout": False},
    "ideal": "ideal",
    # the physics of issue #14 (act only where the profile gives values, e.g. a fitted profile)
    "twin_no_preparation": {"level": "lindblad", "preparation": False},
    "twin_no_readout_window": {"level": "lindblad", "readout_window": False},
    "twin_no_backaction": {"level": "lindblad", "backaction": False},
    "twin_no_spectators": {"level": "lindblad", "spectators": False},
    "twin_no_correlated_readout": {"level": "lindblad", "correlated_readout": False},
    "twin_no_leakage": {"level": "lindblad", "leakage": False},
    "twin_no_quasi_static": {"level": "lindblad", "quasi_static": False},
}
#: the default model list of ``qpu-twin bench`` (the published tables); the new-physics ablations are opt-in
DEFAULT_MODELS = ("ideal", "aer", "twin_aer", "twin_lindblad", "twin_no_idle", "twin_no_zz", "twin_no_readout")
NEW_PHYSICS_ABLATIONS = ("twin_no_preparation", "twin_no_readout_window", "twin_no_backaction", "twin_no_spectators",
                         "twin_no_correlated_readout", "twin_no_leakage", "twin_no_quasi_static")


@dataclass
class Model:
    """A named predictor: ``predict(circuit, profile_key) -> distribution`` (timed by the harness)."""

    name: str
    predict: Callable[[MeasuredCircuit], dict[str, float]]
    exact: bool = True
    description: str = ""
    #: what makes its predictions (profile fingerprint, shots, ...): a checkpoint resumes only the same models
    identity: str = ""
    #: for executors: ``recipe(circuit)`` -> picklable data from which a worker process makes this model's
    #: prediction of the circuit (:func:`predict_from_recipe`); a model without one predicts in this process
    recipe: Callable[[MeasuredCircuit], Any] | None = field(default=None, repr=False)


@dataclass
class BenchmarkReport:
    dataset: str
    models: dict[str, dict[str, Any]]
    circuits: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"models": self.models, "circuits": self.circuits, "meta": self.meta}


def _memoized(predict: Callable[[MeasuredCircuit], dict[str, float]]) -> Callable[[MeasuredCircuit], dict[str, float]]:
    """Remember each circuit's prediction (deterministic models): reports and diagnostics reuse them."""
    cache: dict[int, dict[str, float]] = {}

    def wrapped(bc: MeasuredCircuit) -> dict[str, float]:
        key = id(bc)
        if key not in cache:
            cache[key] = predict(bc)
        return cache[key]

    wrapped.cache = cache  # type: ignore[attr-defined]
    return wrapped


def twin_model(name: str, noise, ds: HardwareDataset, profile) -> Model:
    """The twin as a model: each circuit's own snapshot (or ``profile``), exact distribution, memoized."""
    twins: dict[str, Twin] = {}
    specs: dict[str, Any] = {}

    def key_of(bc: MeasuredCircuit) -> str:
        return "__given__" if profile is not None else (bc.snapshot or "__none__")

    def twin_for(bc: MeasuredCircuit) -> Twin:
        key = key_of(bc)
        if key not in twins:
            prof = profile if profile is not None else ds.snapshots.get(bc.snapshot)
            if prof is None:
                raise BenchmarkError(f"{bc.name}: no calibration snapshot in the dataset and no profile given")
            twins[key] = Twin(prof, noise=noise)
        return twins[key]

    @_memoized
    def predict(bc: MeasuredCircuit) -> dict[str, float]:
        return _twin_predict(twin_for(bc), bc)

    def recipe(bc: MeasuredCircuit):
        key = key_of(bc)
        if key not in specs:
            specs[key] = twin_for(bc).task_spec()
        return ("twin", specs[key])

    ident = f"profile {profile.fingerprint}" if profile is not None else "dataset snapshots"
    return Model(name, predict, True, f"qpu_twin, noise={noise}", identity=f"{ident}, noise={noise}", recipe=recipe)


def _twin_predict(twin: Twin, bc: MeasuredCircuit) -> dict[str, float]:
    """The twin's exact distribution of a benchmark circuit (here and on a worker)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return twin.run(bc.circuit, transpile=not bc.physical, seed=0).probabilities


def _aer_predict(nm, bc: MeasuredCircuit, shots: int, seed: int) -> dict[str, float]:
    """Aer's distribution of a benchmark circuit under ``nm`` (here and on a worker)."""
    from qiskit_aer import AerSimulator

    from ..interop.aer import aer_exact_distribution, measures_only_at_end

    if measures_only_at_end(bc.circuit):
        return aer_exact_distribution(bc.circuit, nm)
    # mid-circuit measurements: sample
    from ..parallel import worker_threads

    sim = AerSimulator(noise_model=nm, seed_simulator=seed, max_parallel_threads=worker_threads() or 0)
    counts = sim.run(bc.circuit, shots=shots).result().get_counts()
    # sorted: the order of Aer's counts depends on its OpenMP threads (Dask workers run with one), and the
    # finite-shot floor samples from this dict in its order
    return {k.replace(" ", ""): v / shots for k, v in sorted(counts.items())}


def _aer_noise_model(raw):
    from qiskit_aer.noise import NoiseModel

    from ..interop.aer import aer_noise_model_from_ibm_properties

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NoiseModel.from_backend(raw) if hasattr(raw, "target") else aer_noise_model_from_ibm_properties(*raw)


#: Aer noise models a worker process keeps, by the digest of the snapshot they come from
_WORKER_NOISE_MODELS: dict[str, Any] = {}


def predict_from_recipe(recipe, bc: MeasuredCircuit) -> dict[str, float]:
    """A model's prediction of ``bc`` from its :attr:`Model.recipe` (what a worker runs).

    Twins come from the worker's cache (:func:`qpu_twin.twin.twin_from_spec`), Aer noise
    models from a cache keyed by the snapshot's digest: each is built once per worker.
    """
    from ..twin import twin_from_spec

    if recipe[0] == "twin":
        return _twin_predict(twin_from_spec(recipe[1]), bc)
    if recipe[0] == "aer":
        _, digest, raw, shots, seed = recipe
        if digest not in _WORKER_NOISE_MODELS:
            if len(_WORKER_NOISE_MODELS) >= 4:
                _WORKER_NOISE_MODELS.pop(next(iter(_WORKER_NOISE_MODELS)))
            _WORKER_NOISE_MODELS[digest] = _aer_noise_model(raw)
        return _aer_predict(_WORKER_NOISE_MODELS[digest], bc, shots, seed)
    raise BenchmarkError(f"model recipe {recipe[0]!r}: unknown (known: twin, aer)")


def aer_model(ds: HardwareDataset, shots: int, seed: int) -> Model | None:
    if not ds.raw_snapshots:
        return None
    models: dict[str, Any] = {}
    digests: dict[str, str] = {}
    kind = "aer_backend" if any(hasattr(v, "target") for v in ds.raw_snapshots.values()) else "aer_properties"

    def nm_for(key):
        if key not in models:
            models[key] = _aer_noise_model(ds.raw_snapshots[key])
        return models[key]

    @_memoized
    def predict(bc: MeasuredCircuit) -> dict[str, float]:
        return _aer_predict(nm_for(bc.snapshot), bc, shots, seed)

    def recipe(bc: MeasuredCircuit):
        # the archived properties / configuration dicts (plain JSON data); a live backend stays here
        if bc.snapshot not in digests:
            import hashlib
            import json

            text = json.dumps(ds.raw_snapshots[bc.snapshot], sort_keys=True, default=str)
            digests[bc.snapshot] = hashlib.sha256(text.encode()).hexdigest()[:16]
        return ("aer", digests[bc.snapshot], ds.raw_snapshots[bc.snapshot], shots, seed)

    desc = "Aer NoiseModel.from_backend" if kind == "aer_backend" else "Aer NoiseModel.from_backend_properties"
    return Model(kind, predict, False, f"{desc} of the same snapshot (exact if measurements are terminal, "
                                       f"else {shots} shots)", identity=f"shots={shots}, seed={seed}",
                 recipe=None if kind == "aer_backend" else recipe)


def default_models(ds: HardwareDataset, *, profile=None, aer_shots: int = 20_000, seed: int = 1,
                   include: list[str] | None = None) -> list[Model]:
    """The models of the module docstring (or those named in ``include``) for ``ds``.

    ``profile`` (a profile or its name) replaces the dataset's snapshots for the twin models.
    """
    from ..profiles.store import load_profile
    from ..seeding import derived_int_seed, seed_sequence

    check_instance("ds", ds, HardwareDataset)
    profile = None if profile is None else load_profile(profile)
    aer_shots = check_int("aer_shots", aer_shots, minimum=1, maximum=10**15)
    ss = seed_sequence(seed)  # validated; Aer takes an integer seed below 2**63
    if not isinstance(seed, numbers.Integral) or seed >= 2**63:
        seed = derived_int_seed(ss)
    if include is not None:
        include = check_sequence("include", include, of=str, what="model names")
    names = include or list(DEFAULT_MODELS)
    out = []
    for n in names:
        if n == "aer":
            m = aer_model(ds, aer_shots, seed)
            if m is not None:
                out.append(m)
        elif n in ABLATIONS:
            out.append(twin_model(n, ABLATIONS[n], ds, profile))
        else:
            known = ["aer", *ABLATIONS]
            raise BenchmarkError(f"include: unknown model {n!r}{did_you_mean(n, known)} (known: {', '.join(known)})")
    return out


def _evaluate_circuit(bc: MeasuredCircuit, models: list[Model], sub_seed: int, resamples: int) -> dict[str, Any]:
    """Every model on one circuit: the row, metric values, bootstrap replicates, floors and run times."""
    row: dict[str, Any] = {"circuit": bc.name, "shots": bc.shots}
    rec: dict[str, Any] = {"row": row, "vals": {}, "reps": {}, "floors": {}, "seconds": {}}
    ideal = None
    for m in models:
        t = time.perf_counter()
        pred = m.predict(bc)
        rec["seconds"][m.name] = time.perf_counter() - t
        if m.name == "ideal":
            ideal = pred
        # finite-shot floor: the distance if the data were drawn from this very prediction
        fake_counts = sample_counts(pred, bc.shots, np.random.default_rng(sub_seed + 1))
        vals, reps, floors = {}, {}, {}
        for metric in ("hellinger", "tvd"):
            v, r = bootstrap_metric(metric, pred, bc.counts, resamples=resamples, rng=np.random.default_rng(sub_seed))
            vals[metric] = float(v)
            reps[metric] = [float(x) for x in r]
            floors[metric] = hellinger(pred, fake_counts) if metric == "hellinger" else tvd(pred, fake_counts)
            row[f"{m.name}:{metric}"] = v
        rec["vals"][m.name], rec["reps"][m.name], rec["floors"][m.name] = vals, reps, floors
        if bc.answer is not None:
            row[f"{m.name}:success"] = success_probability(pred, bc.answer) if pred else None
    if bc.answer is not None:
        row["measured:success"] = success_probability(bc.counts, bc.answer)
    elif ideal is not None and len(next(iter(ideal))) <= 16:
        row["measured:hop"] = heavy_output_probability(ideal, bc.counts)
        row["measured:xeb"] = linear_xeb(ideal, bc.counts)
    return rec


#: A run writes its checkpoint at most this often (seconds), and always when interrupted.
CHECKPOINT_EVERY_S = 60.0
_CHECKPOINT_VERSION = 1


def run_benchmark(ds: HardwareDataset, models: list[Model] | None = None, *, profile=None, resamples: int = 200,
                  seed: int = 0, progress: bool | None = None, checkpoint=None, resume: bool = False,
                  checkpoint_every_s: float | None = None, keep_checkpoint: bool = False, executor=None,
                  retries: int = 2, **model_kw) -> BenchmarkReport:
    """Evaluate every model on every circuit of ``ds`` that has measured counts.

    Parameters
    ----------
    resamples : int
        Multinomial bootstrap resamples of the measured counts per circuit (95 % intervals).
    seed : int
        Seed of the bootstrap (the circuits' sub-seeds are drawn from it in order).
    checkpoint : path, optional
        Finished circuits are saved there (atomically, at most every
        ``checkpoint_every_s`` seconds and when interrupted). Ctrl-C then stops
        with :class:`~qpu_twin.errors.Interrupted` naming the file. A complete
        run deletes it (unless ``keep_checkpoint``).
    resume : bool
        Continue from ``checkpoint``: only the missing circuits run, and the
        report equals that of an uninterrupted run (run times aside).
    checkpoint_every_s : float, optional
        Seconds between checkpoint writes (default ``CHECKPOINT_EVERY_S``; 0:
        after every circuit). The file holds every bootstrap replicate, so
        writing it after each of hundreds of circuits costs time.
    keep_checkpoint : bool
        Leave the (complete) checkpoint in place, e.g. until the caller has
        written its outputs; resuming from it recomputes nothing.
    executor : concurrent.futures.Executor, optional
        Evaluate the circuits there (one task per circuit: the circuit as QPY,
        its counts, each model's :attr:`Model.recipe`, its bootstrap sub-seed);
        the report equals the serial one (``None``, the default) bit for bit,
        run times aside, and ``report.meta["workers"]`` holds each worker's
        tasks and peak RSS. Models without a recipe predict in this process.
    retries : int
        Resubmissions of a circuit whose worker died; a circuit that still
        fails stops the run with :class:`BenchmarkError` naming it (the
        finished circuits are in the checkpoint, if any; no report exists).
    """
    from ..parallel import check_executor
    from tqdm import tqdm

    from ..seeding import check_seed

    check_instance("ds", ds, HardwareDataset)
    if models is not None:
        models = check_sequence("models", models, of=Model, what="Model")
    resamples = check_int("resamples", resamples, minimum=1, maximum=MAX_RESAMPLES)
    check_seed(seed)
    check_bool("progress", progress, allow_none=True)
    check_path("checkpoint", checkpoint, allow_none=True)
    check_bool("resume", resume)
    check_bool("keep_checkpoint", keep_checkpoint)
    check_kwargs("run_benchmark", model_kw, ["aer_shots", "include"])
    check_executor(executor)
    retries = check_int("retries", retries, minimum=0)
    every = check_real("checkpoint_every_s", CHECKPOINT_EVERY_S if checkpoint_every_s is None else checkpoint_every_s,
                       minimum=0.0)
    models = models or default_models(ds, profile=profile, **model_kw)
    rng = np.random.default_rng(seed)
    circuits = [c for c in ds.circuits if c.counts]
    if not circuits:
        raise BenchmarkError(f"dataset {ds.name!r} has no measured counts")
    ident = {"dataset": ds.name, "circuits": [c.name for c in circuits],
             "models": [[m.name, m.identity] for m in models], "resamples": resamples, "seed": seed}
    records: list[dict[str, Any]] = []
    if resume:
        if checkpoint is None:
            raise BenchmarkError("run_benchmark(resume=True) needs checkpoint=PATH")
        records = _read_checkpoint(checkpoint, ident)
    show = progress if progress is not None else len(circuits) * len(models) > 50
    last_write = time.monotonic()
    workers: dict[str, Any] = {}
    if executor is not None:
        sub_seeds = [int(rng.integers(2**31)) for _ in circuits]  # the serial loop's draws, in the same order
        try:
            _run_parallel(circuits, models, sub_seeds, resamples, records, executor=executor, retries=retries,
                          show=show, desc=f"benchmark {ds.name}", checkpoint=checkpoint, ident=ident, every=every,
                          workers=workers)
        except KeyboardInterrupt:
            if checkpoint is None:
                raise
            raise _stopped(checkpoint, ident, records, len(circuits)) from None
        except BenchmarkError as exc:
            if checkpoint is None:
                raise
            _write_checkpoint(checkpoint, ident, records)
            raise BenchmarkError(f"{exc}; the {len(records)} circuit(s) finished before the first failed one are saved "
                                 f"in {checkpoint} (resume=True; CLI: --resume continues)") from None
    bar = tqdm(total=len(circuits), initial=len(records), desc=f"benchmark {ds.name}",
               disable=not show or executor is not None)
    try:
        for i, bc in enumerate(circuits):
            sub_seed = int(rng.integers(2**31))  # drawn for finished circuits too: the same seeds on resume
            if i < len(records):
                continue
            records.append(_evaluate_circuit(bc, models, sub_seed, resamples))
            bar.update(1)
            if checkpoint is not None and time.monotonic() - last_write >= every:
                _write_checkpoint(checkpoint, ident, records)
                last_write = time.monotonic()
    except KeyboardInterrupt:
        bar.close()
        if checkpoint is None:
            raise
        raise _stopped(checkpoint, ident, records, len(circuits)) from None
    bar.close()
    if checkpoint is not None:
        from pathlib import Path

        if keep_checkpoint:
            _write_checkpoint(checkpoint, ident, records)
        else:
            Path(checkpoint).unlink(missing_ok=True)  # the run is complete: nothing to resume
    report = _report(ds, models, circuits, records, resamples)
    if executor is not None:
        report.meta["workers"] = workers
    return report


def _bench_task(task) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """One circuit of :func:`run_benchmark` on a worker: its record and every model's prediction."""
    from ..twin import circuit_from_qpy

    meta, data, recipes, local, sub_seed, resamples = task
    bc = MeasuredCircuit(meta["name"], circuit_from_qpy(data), meta["counts"], meta["physical"], meta["answer"],
                         meta["snapshot"])
    preds: dict[str, dict[str, float]] = {}

    def predictor(name, recipe):
        def predict(c):
            preds[name] = local[name][0] if recipe is None else predict_from_recipe(recipe, c)
            return preds[name]
        return predict

    models = [Model(name, predictor(name, recipe)) for name, recipe in recipes]
    rec = _evaluate_circuit(bc, models, sub_seed, resamples)
    for name, (_, seconds) in local.items():
        rec["seconds"][name] = seconds  # predicted in the calling process
    return rec, preds


def _run_parallel(circuits, models, sub_seeds, resamples, records, *, executor, retries, show, desc, checkpoint,
                  ident, every, workers) -> None:
    """The missing circuits of ``records`` on ``executor``; ``records`` grows in circuit order as they finish."""
    from ..parallel import map_tasks
    from ..twin import circuit_to_qpy

    todo = list(range(len(records), len(circuits)))
    tasks = []
    for i in todo:
        bc = circuits[i]
        local = {}
        for m in models:
            if m.recipe is None:  # predicted here, sent with the task
                t = time.perf_counter()
                local[m.name] = (m.predict(bc), time.perf_counter() - t)
        meta = {"name": bc.name, "counts": bc.counts, "physical": bc.physical, "answer": bc.answer,
                "snapshot": bc.snapshot}
        recipes = [(m.name, None if m.recipe is None else m.recipe(bc)) for m in models]
        tasks.append((meta, circuit_to_qpy(bc.circuit), recipes, local, sub_seeds[i], resamples))
    finished: dict[int, dict] = {}
    last_write = [time.monotonic()]

    def on_result(j: int, value) -> None:
        rec, preds = value
        i = todo[j]
        bc = circuits[i]
        for m in models:  # the reports and diagnostics reuse the predictions (as after a serial run)
            cache = getattr(m.predict, "cache", None)
            if cache is not None and m.name in preds:
                cache[id(bc)] = preds[m.name]
        finished[i] = rec
        while len(records) in finished:  # the checkpoint holds a prefix of the circuits
            records.append(finished.pop(len(records)))
        if checkpoint is not None and time.monotonic() - last_write[0] >= every:
            _write_checkpoint(checkpoint, ident, records)
            last_write[0] = time.monotonic()

    map_tasks(_bench_task, tasks, executor=executor, progress=show, desc=desc, retries=retries,
              error=BenchmarkError, names=[circuits[i].name for i in todo], on_result=on_result, stats=workers)


def _report(ds, models, circuits, records, resamples) -> BenchmarkReport:
    summary = {}
    for m in models:
        secs = sum(r["seconds"][m.name] for r in records)
        entry = {"description": m.description, "exact": m.exact, "seconds": secs,
                 "seconds_per_circuit": secs / len(circuits)}
        for metric in ("hellinger", "tvd"):
            mean = float(np.mean([r["vals"][m.name][metric] for r in records]))
            rep_means = np.mean(np.array([r["reps"][m.name][metric] for r in records]), axis=0)
            entry[f"mean_{metric}"] = mean
            # the shot-noise spread of the replicates, centred on the estimate (distances computed from
            # resampled counts are biased upwards; that bias is the finite-shot floor reported below)
            p2, p50, p97 = np.percentile(rep_means, [2.5, 50, 97.5])
            entry[f"ci95_{metric}"] = [max(0.0, mean - float(p50 - p2)), mean + float(p97 - p50)]
            entry[f"floor_{metric}"] = float(np.mean([r["floors"][m.name][metric] for r in records]))
        entry["ci95"] = entry["ci95_hellinger"]
        summary[m.name] = entry
    return BenchmarkReport(ds.name, summary, [r["row"] for r in records],
                           {"circuits": len(circuits), "resamples": resamples, "device": ds.device,
                            "source": ds.source})


def _diagnostics_section(ds: HardwareDataset, models: list[Model], folder, plt) -> list[str]:
    """Where the model is wrong (:mod:`.diagnostics`): tables and plots of the twin (and Aer) per family."""
    from .diagnostics import diagnose

    main = next((m for m in models if m.name == "twin_lindblad"), None)
    if main is None:
        return []
    circuits = [c for c in ds.circuits if c.counts and c.circuit.num_clbits <= 12]
    if not circuits:
        return []
    d = diagnose(circuits, main.predict, model=main.name)
    others = [diagnose(circuits, m.predict, model=m.name) for m in models if m.name in ("aer_properties",
                                                                                          "aer_backend")]
    lines = ["## Where the twin is wrong", "",
             "Measured vs predicted statistics per circuit family (job, with / without dynamical decoupling), "
             "95 % intervals from a multinomial bootstrap of the counts; z = (measured - predicted) / bootstrap "
             "standard error (`qpu_twin.benchmark.diagnostics`).", ""]
    summary = d.summary()
    from tabulate import tabulate

    lines.append(tabulate([[k, f"{v['mean_abs_diff']:.4f}", f"{v['mean_diff']:+.4f}", f"{v['rms_z']:.1f}", v["n"]]
                           for k, v in summary.items()],
                          headers=["statistic", "mean |meas - pred|", "mean meas - pred", "RMS z", "n"],
                          tablefmt="github"))
    lines.append("")
    lines += _family_lines(circuits, models, main, folder, plt)
    for kind in ("detection", "marginal", "correlation"):
        if not d.select(kind):
            continue
        fig = d.plot(kind, others=others)
        fig.savefig(folder / f"diagnostics_{kind}.png", dpi=110)
        plt.close(fig)
        lines += [f"### {kind}", "", f"![{kind}](diagnostics_{kind}.png)", ""]
        if kind != "correlation":
            lines += [d.table(kind), ""]
    return lines


def _family_lines(circuits, models: list[Model], main: Model, folder, plt) -> list[str]:
    """P(not the ideal answer) per code family (:func:`.diagnostics.error_by_family`): table and plot."""
    from .diagnostics import error_by_family

    ideal = next((m for m in models if m.name == "ideal"), None)
    shown = [main] + [m for m in models if m.name in ("aer_properties", "aer_backend")]
    fe = error_by_family(circuits, {m.name: m.predict for m in shown}, ideal=ideal.predict if ideal else None)
    if not fe.rows:
        return []
    fig = fe.plot()
    fig.savefig(folder / "diagnostics_family.png", dpi=110)
    plt.close(fig)
    return ["### per circuit family", "",
            "P(outcome is not the ideal answer) per family (`code_family`: bit-flip codes on a basis state, "
            "phase-flip codes, with / without dynamical decoupling), measured with its 95 % bootstrap interval "
            "and predicted, with the mean Hellinger distance of each model.", "",
            fe.table(), "", "![family](diagnostics_family.png)", ""]


def _stopped(checkpoint, ident: dict, records: list, total: int):
    """Save the finished circuits (Ctrl-C) and the Interrupted error that says where they are."""
    from ..errors import Interrupted

    _write_checkpoint(checkpoint, ident, records)
    return Interrupted(f"benchmark stopped after {len(records)} of {total} circuits; the finished ones are saved "
                       f"in {checkpoint} (continue with resume=True; CLI: the same command with --resume)",
                       str(checkpoint))


def _write_checkpoint(path, ident: dict, records: list) -> None:
    write_checkpoint(path, kind="bench", version=_CHECKPOINT_VERSION, ident=ident, records=records)


def _read_checkpoint(path, ident: dict) -> list:
    data = read_checkpoint(path, kind="bench", version=_CHECKPOINT_VERSION, ident=ident, error=BenchmarkError,
                           what="benchmark", needed="the same dataset, models, resamples and seed", other="run")
    if not isinstance(data.get("records"), list):
        raise BenchmarkError(f"checkpoint {str(path)!r} is not a qpu_twin benchmark checkpoint (no records list)")
    return list(data["records"])


def write_report(report: BenchmarkReport, ds: HardwareDataset, folder, *, models: list[Model] | None = None,
                 examples: int = 2) -> str:
    """Markdown report with tables and matplotlib plots in ``folder``; returns the Markdown path."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tabulate import tabulate

    from ..viz import plot_distributions, save_figure

    check_instance("report", report, BenchmarkReport)
    check_instance("ds", ds, HardwareDataset)
    folder = check_path("folder", folder)
    if models is not None:
        models = check_sequence("models", models, of=Model, what="Model")
    examples = check_int("examples", examples, minimum=0)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(report.models)
    rows = [[n, f"{e['mean_hellinger']:.4f}", f"[{e['ci95_hellinger'][0]:.4f}, {e['ci95_hellinger'][1]:.4f}]",
             f"{e['mean_tvd']:.4f}", f"[{e['ci95_tvd'][0]:.4f}, {e['ci95_tvd'][1]:.4f}]",
             f"{e['floor_hellinger']:.4f}", f"{e['seconds_per_circuit']:.3g}", e["description"]]
            for n, e in report.models.items()]
    table = tabulate(rows, headers=["model", "mean Hellinger", "95% CI", "mean TVD", "95% CI", "shot floor H",
                                    "s / circuit", "what"], tablefmt="github")
    # ablation bars
    fig, ax = plt.subplots(figsize=(7, 3.2))
    means = [report.models[n]["mean_hellinger"] for n in names]
    lo = [m - report.models[n]["ci95_hellinger"][0] for m, n in zip(means, names)]
    hi = [report.models[n]["ci95_hellinger"][1] - m for m, n in zip(means, names)]
    ax.bar(names, means, yerr=[lo, hi], capsize=3, color="tab:blue")
    ax.set_ylabel("mean Hellinger to measured")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    save_figure(fig, folder / "models.png", dpi=110)
    plt.close(fig)
    # per-circuit metric
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for n in names:
        ax.plot([r[f"{n}:hellinger"] for r in report.circuits], ".", label=n, ms=3)
    ax.set_xlabel("circuit")
    ax.set_ylabel("Hellinger")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save_figure(fig, folder / "per_circuit.png", dpi=110)
    plt.close(fig)
    # predicted vs measured for the first circuits
    ex_lines = []
    models = models or []
    for i, bc in enumerate([c for c in ds.circuits if c.counts][:examples]):
        dists = {"measured": bc.counts}
        for m in models:
            if m.name in ("twin_lindblad", "aer_properties", "aer_backend", "ideal"):
                dists[m.name] = m.predict(bc)
        fig = plot_distributions(dists, top=12, title=bc.name, log=True)
        save_figure(fig, folder / f"example_{i}.png", dpi=110)
        plt.close(fig)
        ex_lines.append(f"![{bc.name}](example_{i}.png)")
    diag_lines = _diagnostics_section(ds, models, folder, plt)
    md = [f"# Benchmark: {report.dataset}", "",
          f"Device {report.meta['device']}, {report.meta['circuits']} circuits with measured counts; "
          f"95 % intervals from {report.meta['resamples']} multinomial resamples of the measured counts.", "",
          table, "", "![models](models.png)", "", "![per circuit](per_circuit.png)", "", *ex_lines, "",
          *diag_lines]
    # last: a report.md means every figure it shows is complete
    return str(write_text_atomic(folder / "report.md", "\n".join(md)))
