"""Transfer splits (issue #14 must-show 3): does a fit carry over to circuits, days and qubits it was not trained on?

    python benchmarks/bench_transfer.py --workers 2                 # by-job, by-dd, by-placement, full fits
    python benchmarks/bench_transfer.py --splits by-job --workers 2
    python benchmarks/bench_transfer.py --quick                     # 24 circuits, one sweep (a smoke run)

For each split of the shipped ibm_hanoi repetition-code dataset
(:func:`qpu_twin.fit.heldout.split_circuits`, seed 0, train fraction 0.5 where
it applies) the script fits the twin twice on the training side, exactly as
``qpu-twin fit`` does (the dataset's earliest snapshot as the datasheet
profile, 2 sweeps, the fitted profile dated by its training data):

* ``fit_today``: the kinds of the published fit, ``p10,p01,gate_error``;
* ``fit_new``: the same plus the physics beyond the datasheet that improved the
  random split (``prep_excited_prob``: residual excited population at the start),
  chosen on the random split before any transfer split was run, not per split.
* ``fit_physics``: ``fit_new`` plus a mean frame detuning per qubit
  (``detuning_khz``, added after the transfer splits of ``fit_new`` had run;
  the set that is best on the random split, 0.1281). ``--kind-sets`` picks
  which of the three to fit (the others print n/a unless saved by an earlier run).

Then it scores on the held-out side, in one evaluation: Aer
``NoiseModel.from_backend_properties`` of each circuit's own snapshot, the
datasheet twin (each circuit's own snapshot), and both fitted twins (the one
fitted profile for every held-out circuit). Printed per split: the mean
Hellinger distance and TVD of each model, the fitted twins' gain over Aer and
over the datasheet twin, and the CX errors' fitted/datasheet ratio (median and
range: an inflated CX error absorbs what the model lacks).

Each finished fit is saved (``--out``, atomically) and reused when the script
runs again, so a Ctrl-C loses at most the fit in progress.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from tabulate import tabulate  # noqa: E402

DATASET = "calibration_data/ibm_repetition_codes_2022"
KINDS = {"fit_today": ["p10", "p01", "gate_error"],
         "fit_new": ["p10", "p01", "gate_error", "prep_excited_prob"],
         "fit_physics": ["p10", "p01", "gate_error", "prep_excited_prob", "detuning_khz"]}


def _cx_ratios(result) -> tuple[float, float, float]:
    r = [p.value / p.prior_value for p in result.parameters if p.kind == "gate_error" and p.prior_value > 0]
    return (float(np.median(r)), float(min(r)), float(max(r))) if r else (float("nan"),) * 3


def _fit(ds, base, sp, kinds, sweeps, executor, out: Path, name: str, *, run: bool = True):
    """A fit of ``sp.train`` (or the saved one of an earlier run of the same split and kinds).

    ``run=False``: only a saved fit, else None.
    """
    from qpu_twin.fit.fit import FitResult, fit_twin
    from qpu_twin.fit.heldout import _training_timestamp
    from qpu_twin.files import write_text_atomic
    from qpu_twin.profiles.model import DeviceProfile

    path = out / f"{name}.json"
    ident = {"split": sp.method, "train": [c.name for c in sp.train], "kinds": kinds, "sweeps": sweeps,
             "base": base.fingerprint}
    if path.exists():
        saved = json.loads(path.read_text())
        if saved["ident"] == ident:
            prof = DeviceProfile.from_dict(saved["profile"])
            return saved, prof
    if not run:
        return None
    checkpoint = out / f"{name}.checkpoint.json"
    t0 = time.perf_counter()
    res: FitResult = fit_twin(base, list(sp.train), kinds=kinds, sweeps=sweeps, progress=True,
                              timestamp=_training_timestamp(sp.train), executor=executor, checkpoint=checkpoint,
                              resume=checkpoint.exists())
    saved = {"ident": ident, "seconds": time.perf_counter() - t0, "parameters": res.table(),
             "at_bound": [p.label for p in res.parameters if p.at_bound], "cx_ratio": _cx_ratios(res),
             "profile": res.profile.to_dict()}
    write_text_atomic(path, json.dumps(saved, indent=1, default=str))
    return saved, res.profile


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--splits", default="by-job,by-dd,by-placement", help="comma-separated split methods")
    ap.add_argument("--workers", type=int, default=0, help="local worker processes (0: serial)")
    ap.add_argument("--sweeps", type=int, default=2)
    ap.add_argument("--max-circuits", type=int, default=None, help="only the first N circuits of the dataset")
    ap.add_argument("--quick", action="store_true", help="24 circuits, one sweep")
    ap.add_argument("--out", default="transfer_fits", help="folder for the fitted profiles (reused on a re-run)")
    ap.add_argument("--kind-sets", default=",".join(KINDS),
                    help=f"comma-separated kind sets to fit ({', '.join(KINDS)}; default: all)")
    args = ap.parse_args()
    kind_sets = [k.strip() for k in args.kind_sets.split(",") if k.strip()]
    unknown = [k for k in kind_sets if k not in KINDS]
    if unknown or not kind_sets:
        ap.error(f"--kind-sets: unknown {', '.join(unknown) or '(none given)'} (known: {', '.join(KINDS)})")
    if args.quick:
        args.max_circuits, args.sweeps = 24, 1
    from qpu_twin.benchmark.harness import aer_model, twin_model
    from qpu_twin.data import load_dataset
    from qpu_twin.fit.heldout import base_profile_of, evaluate, split_circuits

    root = Path(__file__).resolve().parents[1]
    ds = load_dataset(root / DATASET).subset(args.max_circuits)
    base = base_profile_of(ds)
    circuits = [c for c in ds.circuits if c.counts]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    executor = (ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
                if args.workers else None)
    print(f"# python benchmarks/bench_transfer.py {' '.join(sys.argv[1:])}; dataset {ds.name}, "
          f"{len(circuits)} circuits; datasheet profile {base.name} ({base.timestamp}); {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    summary = []
    try:
        for method in [s.strip() for s in args.splits.split(",") if s.strip()]:
            sp = split_circuits(circuits, method=method, seed=0)
            print(f"\n## {sp.description}: {len(sp.train)} train, {len(sp.test)} held out", flush=True)
            fits = {}
            for name, kinds in KINDS.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = _fit(ds, base, sp, kinds, args.sweeps, executor, out, f"{method}-{name}",
                               run=name in kind_sets)
                if fit is None:
                    continue
                fits[name] = fit
                saved = fit[0]
                print(f"{name} ({','.join(kinds)}): {len(saved['parameters'])} parameters, "
                      f"{saved['seconds']:.0f} s, {len(saved['at_bound'])} at a bound; CX fitted/datasheet "
                      f"median {saved['cx_ratio'][0]:.2f}x (range {saved['cx_ratio'][1]:.2f}-"
                      f"{saved['cx_ratio'][2]:.2f}x)", flush=True)
            models = [m for m in [aer_model(ds, 20_000, 0), twin_model("datasheet_twin", "lindblad", ds, None)]
                      if m is not None]
            models += [twin_model(name, "lindblad", ds, prof) for name, (_, prof) in fits.items()]
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = evaluate(models, sp.test, executor=executor)
            aer_h = res["aer_properties"]["mean_hellinger"] if "aer_properties" in res else None
            sheet_h = res["datasheet_twin"]["mean_hellinger"]
            rows = []
            for name, e in res.items():
                h = e["mean_hellinger"]
                rows.append([name, f"{h:.4f}", f"{e['mean_tvd']:.4f}",
                             "" if aer_h is None else f"{100 * (1 - h / aer_h):+.1f} %",
                             f"{100 * (1 - h / sheet_h):+.1f} %"])
            print(tabulate(rows, headers=["model (held out)", "mean Hellinger", "mean TVD", "better than Aer",
                                          "better than datasheet"], tablefmt="simple"))
            print(f"(held-out evaluation {time.perf_counter() - t0:.0f} s)", flush=True)
            summary.append([method, len(sp.train), len(sp.test),
                            *(f"{res[n]['mean_hellinger']:.4f}" if n in res else "n/a"
                              for n in ("aer_properties", "datasheet_twin", *KINDS))])
    except KeyboardInterrupt:
        print("\nstopped (Ctrl-C): finished fits are saved in", out, "and reused by the next run", file=sys.stderr)
        return 130
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    print("\n## summary: held-out mean Hellinger")
    print(tabulate(summary, headers=["split", "train", "test", "Aer", "datasheet twin", "fit today's kinds",
                                     "fit + prep", "fit + prep + detuning"], tablefmt="simple"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
