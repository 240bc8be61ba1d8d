"""``qpu-twin run FILE --profile NAME``: run an OpenQASM circuit on a device profile."""

from __future__ import annotations

import json

from tabulate import tabulate

from ..errors import ArgumentError, CompileError
from ._base import (add_executor_arguments, executor_from_cli, existing_path, nonneg_int, output_file, parse_params,
                    positive_int)

DEFAULT_SHOTS = 4000


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run an OpenQASM 2/3 circuit on a device profile",
                       description="Run an OpenQASM 2/3 circuit on the twin of a device: the exact outcome "
                       "distribution and seeded sampled counts.")
    p.add_argument("file", type=existing_path,
                   help="OpenQASM 2 or 3 file (examples/... are found with qpu_twin's shipped copies too)")
    p.add_argument("--profile", required=True, help="shipped profile name (see `profile list`) or profile file")
    p.add_argument("--shots", type=positive_int, default=None,
                   help=f"number of sampled shots (default {DEFAULT_SHOTS}; 1 to 10**15)")
    p.add_argument("--seed", type=nonneg_int, default=None,
                   help="seed (>= 0) of transpiler and sampling, for reproducible runs (default: fresh entropy)")
    p.add_argument("--exact", action="store_true", help="print only the exact distribution (no sampling)")
    p.add_argument("--noise", default="lindblad", choices=["lindblad", "aer", "ideal"],
                   help="noise level: full physics, Aer's gate-level model, or none")
    p.add_argument("--engine", default="auto",
                   help="simulation engine: auto, density_matrix, tensor_network, quimb_mpdo")
    p.add_argument("--no-transpile", action="store_true",
                   help="the circuit is already native and physical (qubit i is device qubit i)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="bind a circuit parameter (OpenQASM 3 `input float NAME;`); repeat for several")
    p.add_argument("--top", type=positive_int, default=16, help="outcomes to print")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--plot", metavar="PNG", type=output_file, help="save a bar chart of the distribution")
    add_executor_arguments(p)
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from ..compile.circuits import check_finite_values, load_circuit
    from ..twin import Twin

    if args.exact and args.shots is not None:
        raise ArgumentError("--exact and --shots exclude each other (--exact samples nothing)")
    shots = None if args.exact else (args.shots or DEFAULT_SHOTS)
    twin = Twin(args.profile, noise=args.noise, engine=args.engine)
    circuit = load_circuit(args.file, parameters=parse_params(args.param))
    if circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters))
        raise ArgumentError(f"{args.file}: free parameter(s) {names}: bind them with --param NAME=VALUE")
    try:
        check_finite_values(circuit)
    except CompileError as exc:
        raise CompileError(f"{args.file}: {exc}") from None
    with executor_from_cli(args.workers, args.dask_scheduler) as executor:
        res = twin.run(circuit, shots=shots, seed=args.seed, transpile=not args.no_transpile, executor=executor)
    probs = res.probabilities
    if args.json:
        out = {
            "profile": twin.profile.name,
            "profile_timestamp": twin.profile.timestamp.isoformat(),
            "noise": res.metadata["noise"],
            "engine": res.engine,
            "shots": shots,
            "seed": args.seed,
            "active_qubits": res.metadata["active_qubits"],
            "probabilities": probs,
            "counts": res.counts,
            "truncation_error": res.truncation_error,
            "timings_s": res.metadata["timings"],
        }
        print(json.dumps(out, indent=1))
    else:
        print(f"{args.file} on {twin.profile.name} ({twin.profile.timestamp.date()}), noise={twin.noise.level}, "
              f"engine={res.engine}, active qubits {res.metadata['active_qubits']}, "
              f"{res.metadata['timings']['total_s']:.3g} s")
        _print_table(res, probs, shots, args)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from ..viz import plot_distributions, save_figure

        dists = {}
        if probs:
            dists["twin (exact)"] = probs
        if res.counts:
            dists["twin (sampled)"] = res.counts
        fig = plot_distributions(dists, title=f"{args.file} on {twin.profile.name}")
        save_figure(fig, args.plot)
        if not args.json:
            print(f"plot written to {args.plot}")
    return 0


def _print_table(res, probs, shots, args) -> None:
    if probs:
        top = sorted(probs.items(), key=lambda kv: -kv[1])[: args.top]
        rows = [[k, f"{v:.6f}"] + ([res.counts.get(k, 0)] if res.counts else []) for k, v in top]
        headers = ["outcome", "exact probability"] + ([f"counts ({shots} shots, seed {args.seed})"] if res.counts
                                                      else [])
        print(tabulate(rows, headers=headers))
        if len(probs) > args.top:
            rest = sum(v for k, v in probs.items() if k not in dict(top))
            print(f"... {len(probs) - args.top} more outcomes (total probability {rest:.3g})")
        return
    # too many classical bits to enumerate the distribution: the sampled outcomes
    reason = res.metadata["engine_stats"].get("probabilities", "the engine did not enumerate the distribution")
    if not res.counts:
        print(f"exact distribution not available: {reason}; run with --shots N to sample")
        return
    top = sorted(res.counts.items(), key=lambda kv: -kv[1])[: args.top]
    print(f"exact distribution {reason.split(';')[0]}; the {min(args.top, len(res.counts))} most frequent of "
          f"{len(res.counts)} sampled outcomes:")
    print(tabulate([[k, c, f"{c / shots:.6f}"] for k, c in top],
                   headers=["outcome", f"counts ({shots} shots, seed {args.seed})", "frequency"]))
    if len(res.counts) > args.top:
        rest = sum(c for k, c in res.counts.items() if k not in dict(top))
        print(f"... {len(res.counts) - args.top} more sampled outcomes ({rest} shots)")
