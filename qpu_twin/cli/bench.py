"""``qpu-twin bench DATASET``: the twin and baselines against measured hardware counts."""

from __future__ import annotations

import json
from pathlib import Path

from tabulate import tabulate

from ..errors import ArgumentError
from ._base import (add_executor_arguments, check_fresh_checkpoint, executor_from_cli, existing_path, finishing, int_in, nonneg_int, output_dir,
                    output_file, positive_int, seconds)

DEFAULT_CHECKPOINT = "qpu-twin-bench.checkpoint.json"


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="compare the twin and baselines with measured hardware counts",
                       description="Benchmark the twin (and Aer, ablations) against measured counts, with "
                       "bootstrap confidence intervals. Ctrl-C stops cleanly and keeps the finished circuits in "
                       "the checkpoint; --resume continues from it.")
    p.add_argument("dataset", type=existing_path,
                   help="dataset folder (dataset.json) or IBM job archive folder/file "
                   "(calibration_data/... are shipped)")
    p.add_argument("--profile", help="profile for the twin (default: the dataset's own calibration snapshots)")
    p.add_argument("--models", help="comma-separated models: ideal,aer,twin_aer,twin_lindblad,twin_no_idle,"
                   "twin_no_zz,twin_no_readout (the default set), the new-physics ablations twin_no_preparation,"
                   "twin_no_readout_window,twin_no_backaction,twin_no_spectators,twin_no_correlated_readout,"
                   "twin_no_leakage,twin_no_quasi_static, or 'all'")
    p.add_argument("--aer-shots", type=positive_int, default=20_000, help="shots for Aer when it cannot be exact")
    p.add_argument("--resamples", type=int_in(1, 100_000), default=200,
                   help="bootstrap resamples for the intervals (1 to 100000)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the bootstrap")
    p.add_argument("--max-circuits", type=positive_int, help="only the first N circuits (default: all)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--report", metavar="DIR", type=output_dir,
                   help="write a Markdown report with plots to DIR (created if missing; its parent must exist)")
    p.add_argument("--checkpoint", metavar="FILE", type=output_file, default=None,
                   help=f"checkpoint file (default: {DEFAULT_CHECKPOINT} in the current folder); deleted when the "
                   "command completes")
    p.add_argument("--checkpoint-every", metavar="SECONDS", type=seconds, default=60.0,
                   help="seconds between checkpoint writes (0: after every circuit; the file holds every bootstrap "
                   "replicate, so frequent writes of a large run cost time); a Ctrl-C always writes it")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from its checkpoint (same dataset and options)")
    add_executor_arguments(p)
    p.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    from ..benchmark import default_models, load_dataset, run_benchmark
    from ..profiles.store import load_profile

    checkpoint = args.checkpoint or Path(DEFAULT_CHECKPOINT)
    check_fresh_checkpoint(checkpoint, args.resume, "bench")
    ds = load_dataset(args.dataset).subset(args.max_circuits)
    profile = load_profile(args.profile) if args.profile else None
    if profile is None and not ds.snapshots:
        raise ArgumentError(f"dataset {str(args.dataset)!r} carries no calibration snapshot: pass --profile NAME")
    include = [m.strip() for m in args.models.split(",")] if args.models else None
    if include == ["all"]:
        from ..benchmark.harness import DEFAULT_MODELS, NEW_PHYSICS_ABLATIONS

        include = [*DEFAULT_MODELS, *NEW_PHYSICS_ABLATIONS]
    models = default_models(ds, profile=profile, aer_shots=args.aer_shots, include=include)
    with executor_from_cli(args.workers, args.dask_scheduler) as executor:
        report = run_benchmark(ds, models, resamples=args.resamples, seed=args.seed, progress=not args.json,
                               checkpoint=checkpoint, resume=args.resume, checkpoint_every_s=args.checkpoint_every,
                               keep_checkpoint=True, executor=executor)
    with finishing(checkpoint, "benchmark"):
        _output(report, ds, models, profile, args)
    return 0


def _output(report, ds, models, profile, args) -> None:
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
        from ..benchmark import write_report

        path = write_report(report, ds, args.report, models=models)
        if not args.json:
            print(f"report written to {path}")
