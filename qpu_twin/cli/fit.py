"""``qpu-twin fit DATASET``: fit the twin to measured counts and report held-out metrics."""

from __future__ import annotations

import json
from pathlib import Path

from tabulate import tabulate

from ._base import (add_executor_arguments, check_fresh_checkpoint, executor_from_cli, existing_path, finishing, fraction, int_in, nonneg_int,
                    output_file, positive_int, profile_output_file)

DEFAULT_CHECKPOINT = "qpu-twin-fit.checkpoint.json"


#: qpu_twin.fit.heldout.SPLITS, named here so that building the parser loads no simulation code
SPLITS = ("random", "by-job", "by-dd", "by-placement")


def add_parser(sub) -> None:
    p = sub.add_parser("fit", help="fit the twin to measured counts; report held-out metrics",
                       description="Fit the twin's parameters to the measured counts of the training circuits "
                       "and score the datasheet twin, the fitted twin and Aer on the held-out ones. Ctrl-C stops "
                       "cleanly and keeps the fit's state in the checkpoint; --resume continues from it.")
    p.add_argument("dataset", type=existing_path, help="dataset folder or IBM job archive (calibration_data/... "
                   "are shipped)")
    p.add_argument("--profile", help="starting (datasheet) profile (default: the dataset's earliest snapshot)")
    p.add_argument("--split", default="random", choices=list(SPLITS),
                   help="how circuits are split: random (--train-fraction, --seed), by-job (train on the earlier "
                   "jobs, predict later ones), by-dd (train without dynamical decoupling, predict with it), "
                   "by-placement (train on some qubit lines, predict others)")
    p.add_argument("--train-fraction", type=fraction, default=0.5, help="fraction of circuits that train (random)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the train/test split")
    p.add_argument("--kinds", default="p10,p01,gate_error",
                   help="comma-separated parameter kinds: p10, p01, gate_error, t1_us, t2_us, zz_khz, overrotation "
                   "and the physics beyond the datasheet: prep_excited_prob, meas_excitation_prob, "
                   "meas_relaxation_prob, readout_t1_window_ns, leakage_prob, detuning_sigma_khz, detuning_khz, "
                   "reset_error, ix_error_rad, zx_error_rad "
                   "(docs/architecture.md)")
    p.add_argument("--sweeps", type=int_in(1, 100), default=2,
                   help="rounds of (readout block, each quantum parameter), 1 to 100")
    p.add_argument("--aer-shots", type=positive_int, default=20_000, help="shots for Aer when it cannot be exact")
    p.add_argument("--max-circuits", type=positive_int, help="only the first N circuits (default: all)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("-o", "--output", type=profile_output_file,
                   help="write the fitted profile (.yaml, .yml or .json)")
    p.add_argument("--checkpoint", metavar="FILE", type=output_file, default=None,
                   help=f"checkpoint file, written after every fit step (default: {DEFAULT_CHECKPOINT} in the "
                   "current folder); deleted when the command completes")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted fit from its checkpoint (same dataset and options)")
    add_executor_arguments(p)
    p.set_defaults(func=cmd_fit)


def cmd_fit(args) -> int:
    import warnings

    from ..data import load_dataset
    from ..fit.fit import KINDS
    from ..fit.heldout import FitWarning, fit_and_evaluate
    from ..profiles.store import load_profile, save_profile
    from ..errors import ArgumentError

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        import difflib

        hints = [f"{b!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(b, KINDS, n=1)) else "")
                 for b in bad]
        raise ArgumentError(f"--kinds: unknown kind(s) {', '.join(hints) or '(none given)'} (known: "
                            f"{', '.join(KINDS)})")
    checkpoint = args.checkpoint or Path(DEFAULT_CHECKPOINT)
    check_fresh_checkpoint(checkpoint, args.resume, "fit")
    ds = load_dataset(args.dataset).subset(args.max_circuits)
    base = load_profile(args.profile) if args.profile else None
    with warnings.catch_warnings(record=True) as caught, \
            executor_from_cli(args.workers, args.dask_scheduler) as executor:
        warnings.simplefilter("always", FitWarning)
        rep = fit_and_evaluate(ds, profile=base, kinds=kinds, split=args.split, train_fraction=args.train_fraction,
                               seed=args.seed, sweeps=args.sweeps, aer_shots=args.aer_shots,
                               progress=not args.json, checkpoint=checkpoint, resume=args.resume,
                               keep_checkpoint=True, executor=executor)
    for w in caught:  # the report carries the fit's notes (printed below); anything else is shown as usual
        if not issubclass(w.category, FitWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    with finishing(checkpoint, "the fit"):
        _output(rep, args, save_profile)
    return 0


def _output(rep, args, save_profile) -> None:
    import sys

    if args.output:
        save_profile(rep.fit.profile, args.output)
    for note in rep.warnings:  # held-out metric worse than the datasheet's, parameters at a bound
        print(f"warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(rep.as_json(), indent=1))
        return
    result = rep.fit
    print(f"fit of {rep.base_profile.name} ({rep.base_profile.timestamp.date()}) to {len(rep.split.train)} training "
          f"circuits (split: {rep.split.description}), {result.seconds:.0f} s")
    print(tabulate([[r["parameter"], f"{r['datasheet']:.4g}", f"{r['fitted']:.4g}", f"{r['stderr']:.2g}",
                     "at bound" if r["at_bound"] else ""]
                    for r in result.table()], headers=["parameter", "datasheet", "fitted", "stderr", ""]))
    print(f"\nheld-out circuits: {len(rep.split.test)}")
    print(tabulate([[n, f"{e['mean_hellinger']:.4f}", f"{e['mean_tvd']:.4f}"] for n, e in rep.heldout.items()],
                   headers=["model", "mean Hellinger", "mean TVD"]))
    if args.output:
        print(f"fitted profile written to {args.output}")
