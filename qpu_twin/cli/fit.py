"""``qpu-twin fit DATASET``: fit the twin to measured counts and report held-out metrics."""

from __future__ import annotations

import json
from pathlib import Path

from tabulate import tabulate

from ._base import long_run_parser, fraction, nonneg_int, output_file, positive_int

DEFAULT_CHECKPOINT = "qpu-twin-fit.checkpoint.json"


def add_parser(sub) -> None:
    from ..fit.heldout import SPLITS

    p = long_run_parser(sub, "fit", help="fit the twin to measured counts; report held-out metrics",
                        description="Fit the twin's parameters to the measured counts of the training circuits "
                        "and score the datasheet twin, the fitted twin and Aer on the held-out ones.", what="fit",
                        kept="the fit's state", default_checkpoint=DEFAULT_CHECKPOINT)
    p.add_argument("--profile", help="starting (datasheet) profile (default: the dataset's earliest snapshot)")
    p.add_argument("--split", default="random", choices=list(SPLITS), help="how circuits are split")
    p.add_argument("--train-fraction", type=fraction, default=0.5, help="fraction of circuits that train (random)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the train/test split")
    p.add_argument("--kinds", default="p10,p01,gate_error",
                   help="parameter kinds: p10,p01,gate_error,t1_us,t2_us,zz_khz,overrotation")
    p.add_argument("--sweeps", type=positive_int, default=2, help="rounds of (readout block, each quantum parameter)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("-o", "--output", type=output_file, help="write the fitted profile (.yaml/.json)")
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
    ds = load_dataset(args.dataset).subset(args.max_circuits)
    base = load_profile(args.profile) if args.profile else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        rep = fit_and_evaluate(ds, profile=base, kinds=kinds, split=args.split, train_fraction=args.train_fraction,
                               seed=args.seed, sweeps=args.sweeps, aer_shots=args.aer_shots,
                               progress=not args.json, checkpoint=args.checkpoint or Path(DEFAULT_CHECKPOINT),
                               resume=args.resume)
    del caught  # the report carries the same notes
    if args.output:
        save_profile(rep.fit.profile, args.output)
    if args.json:
        print(json.dumps(rep.as_json(), indent=1))
        return 0
    result = rep.fit
    print(f"fit of {rep.base_profile.name} ({rep.base_profile.timestamp.date()}) to {len(rep.split.train)} training "
          f"circuits (split: {rep.split.description}), {result.seconds:.0f} s")
    print(tabulate([[r["parameter"], f"{r['datasheet']:.4g}", f"{r['fitted']:.4g}", f"{r['stderr']:.2g}",
                     "at bound" if r["at_bound"] else ""]
                    for r in result.table()], headers=["parameter", "datasheet", "fitted", "stderr", ""]))
    print(f"\nheld-out circuits: {len(rep.split.test)}")
    print(tabulate([[n, f"{e['mean_hellinger']:.4f}", f"{e['mean_tvd']:.4f}"] for n, e in rep.heldout.items()],
                   headers=["model", "mean Hellinger", "mean TVD"]))
    for note in rep.warnings:
        print(f"warning: {note}")
    if args.output:
        print(f"fitted profile written to {args.output}")
    return 0
