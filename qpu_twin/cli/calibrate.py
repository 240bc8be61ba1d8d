"""``qpu-twin calibrate [analyse] FILE | run EXPERIMENT | drift DEVICE | history FOLDER``."""

from __future__ import annotations

import json

from tabulate import tabulate

from ..errors import ArgumentError
from ._base import (add_executor_arguments, executor_from_cli, existing_path, int_in, nonneg_int, positive_int,
                    print_json, profile_output_file)

SUBCOMMANDS = ("analyse", "run", "drift", "history")
#: qpu_twin.calibration.EXPERIMENTS, named here so that building the parser loads no simulation code
#: (tests/cli/test_commands.py checks they agree)
EXPERIMENTS = ("hahn", "ramsey", "rb", "readout", "t1", "zz")


def add_parser(sub) -> None:
    cal = sub.add_parser(
        "calibrate", help="characterization: analyse stored data, run an experiment on the twin, show drift, "
        "build a calibration history",
        description="Characterization. `calibrate FILE` is short for `calibrate analyse FILE`.",
    )
    csub = cal.add_subparsers(dest="calibrate_command", required=True, metavar="{analyse,run,drift,history}")
    p = csub.add_parser("analyse", help="analyse a stored Quantinuum data file (SQ_RB, TQ_RB, SPAM, Memory_RB, "
                        "Measurement_crosstalk)")
    p.add_argument("file", type=existing_path, help="the data file (calibration_data/quantinuum/... are shipped)")
    p.add_argument("--json", action="store_true", help="print every result (also per-qubit SPAM) as JSON")
    p.add_argument("--bootstrap", type=int_in(0, 100_000), default=1000,
                   help="bootstrap resamples for RB error bars (0 to 100000; 0: none)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the bootstrap")
    p.set_defaults(func=cmd_analyse)

    p = csub.add_parser("run", help="run a characterization experiment on the twin and fit it",
                        description="Run a characterization experiment on the twin of a device with a default "
                        "design from the profile's values (qpu_twin.calibration.design_experiment) and fit it.")
    p.add_argument("experiment", choices=EXPERIMENTS, help="the experiment")
    p.add_argument("--profile", required=True, help="shipped profile name or profile file")
    p.add_argument("--qubits", default="0", help="qubit, or a pair control,target (rb: 1 or 2 qubits; zz: a pair)")
    p.add_argument("--shots", type=positive_int, default=1000, help="shots per circuit")
    p.add_argument("--seed", type=nonneg_int, default=None, help="seed of circuits and sampling (default: fresh)")
    p.add_argument("--noise", default="lindblad", choices=["lindblad", "aer", "ideal"], help="noise level")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--apply", metavar="PATH", type=profile_output_file,
                   help="write the profile updated with the fitted values (dated now) to PATH")
    add_executor_arguments(p)
    p.set_defaults(func=cmd_run)

    p = csub.add_parser("drift", help="medians of T1, T2, readout and gate errors over a device's dated profiles")
    p.add_argument("device", help="device name, e.g. ibm_hanoi")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=cmd_drift)

    from . import calibrate_history

    calibrate_history.add_parser(csub)


def rewrite_argv(argv: list[str]) -> list[str]:
    """``calibrate FILE ...`` -> ``calibrate analyse FILE ...`` (the documented short form)."""
    if len(argv) >= 2 and argv[0] == "calibrate" and argv[1] not in SUBCOMMANDS and not argv[1].startswith("-"):
        from ..paths import resolve_shipped

        if resolve_shipped(argv[1]).exists() or argv[1].lower().endswith(".json"):
            return [argv[0], "analyse", *argv[1:]]
    return argv


def print_results(results, as_json: bool, title: str) -> None:
    if as_json:
        print_json({"results": [r.as_dict() for r in results]})
        return
    print(title)
    rows = [[r.experiment, ",".join(map(str, r.qubits)) if len(r.qubits) <= 4 else f"{len(r.qubits)} qubits",
             r.quantity, f"{r.value:.5g}", f"{r.stderr:.2g}", r.unit, r.quality] for r in results]
    print(tabulate(rows, headers=["experiment", "qubits", "quantity", "value", "stderr", "unit", "quality"]))


def cmd_analyse(args) -> int:
    from ..calibration.quantinuum_data import analyse_file, load_quantinuum

    kind = load_quantinuum(args.file).kind
    results = analyse_file(args.file, bootstrap=args.bootstrap, seed=args.seed)
    if not args.json:
        results = [r for r in results if len(r.qubits) != 1 or r.experiment != "SPAM"]  # per-qubit SPAM only in JSON
    print_results(results, args.json, f"{args.file}: {kind}")
    return 0


def cmd_drift(args) -> int:
    from ..calibration import drift_summary

    rows = drift_summary(args.device)
    print(json.dumps(rows, indent=1) if args.json else tabulate(rows, headers="keys", floatfmt=".4g"))
    return 0


def cmd_run(args) -> int:
    from ..calibration import apply_results, design_experiment
    from ..twin import Twin

    try:
        qubits = [int(q) for q in args.qubits.split(",")]
    except ValueError:
        raise ArgumentError(f"--qubits {args.qubits!r}: give integers separated by commas, e.g. 0 or 0,1") from None
    twin = Twin(args.profile, noise=args.noise)
    exp = design_experiment(args.experiment, twin.profile, qubits, seed=args.seed)
    with executor_from_cli(args.workers, args.dask_scheduler) as executor:
        data = exp.run(twin, shots=args.shots, seed=args.seed, executor=executor)
    results = type(exp).analyse(data)
    print_results(results, args.json, f"{exp.name} on {twin.profile.name} qubits {qubits} ({args.shots} shots)")
    if args.apply:
        from ..profiles.store import save_profile

        path = save_profile(apply_results(twin.profile, results), args.apply)
        if not args.json:
            print(f"updated profile written to {path}")
    return 0
