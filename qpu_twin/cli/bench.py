"""``qpu-twin bench DATASET``: the twin and baselines against measured hardware counts."""

from __future__ import annotations

import json
from pathlib import Path

from tabulate import tabulate

from ..errors import ArgumentError
from ._base import long_run_parser, nonneg_int, positive_int

DEFAULT_CHECKPOINT = "qpu-twin-bench.checkpoint.json"


def add_parser(sub) -> None:
    p = long_run_parser(sub, "bench", help="compare the twin and baselines with measured hardware counts",
                        description="Benchmark the twin (and Aer, ablations) against measured counts, with "
                        "bootstrap confidence intervals.", what="run", kept="the finished circuits",
                        default_checkpoint=DEFAULT_CHECKPOINT)
    p.add_argument("--profile", help="profile for the twin (default: the dataset's own calibration snapshots)")
    p.add_argument("--models", help="comma-separated subset of: ideal,aer,twin_aer,twin_lindblad,twin_no_idle,"
                   "twin_no_zz,twin_no_readout (default: all)")
    p.add_argument("--resamples", type=positive_int, default=200, help="bootstrap resamples for the intervals")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the bootstrap")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--report", metavar="DIR", help="write a Markdown report with plots to DIR")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    from ..benchmark import default_models, load_dataset, run_benchmark, write_report
    from ..profiles.store import load_profile

    ds = load_dataset(args.dataset).subset(args.max_circuits)
    profile = load_profile(args.profile) if args.profile else None
    if profile is None and not ds.snapshots:
        raise ArgumentError(f"dataset {str(args.dataset)!r} carries no calibration snapshot: pass --profile NAME")
    include = [m.strip() for m in args.models.split(",")] if args.models else None
    models = default_models(ds, profile=profile, aer_shots=args.aer_shots, include=include)
    checkpoint = args.checkpoint or Path(DEFAULT_CHECKPOINT)
    report = run_benchmark(ds, models, resamples=args.resamples, seed=args.seed, progress=not args.json,
                           checkpoint=checkpoint, resume=args.resume)
    if args.json:
        print(json.dumps(report.as_json(), indent=1))
    else:
        rows = [[n, f"{e['mean_hellinger']:.4f}", f"[{e['ci95_hellinger'][0]:.4f}, {e['ci95_hellinger'][1]:.4f}]",
                 f"{e['mean_tvd']:.4f}", f"[{e['ci95_tvd'][0]:.4f}, {e['ci95_tvd'][1]:.4f}]",
                 f"{e['floor_hellinger']:.4f}", f"{e['seconds']:.3g}"]
                for n, e in report.models.items()]
        print(f"{ds.name}: {report.meta['circuits']} circuits on {ds.device}; twin from "
              + (f"profile {profile.name}" if profile else "each circuit's archived calibration snapshot"))
        print(tabulate(rows, headers=["model", "mean Hellinger", "95% CI", "mean TVD", "95% CI",
                                      "shot floor H", "seconds"]))
    if args.report:
        path = write_report(report, ds, args.report, models=models)
        if not args.json:
            print(f"report written to {path}")
    return 0
