"""The ``qpu-twin`` command line.

Subcommands::

    qpu-twin profile list
    qpu-twin profile show NAME_OR_PATH [--json]
    qpu-twin profile validate PATH
    qpu-twin profile import (--qiskit-fake NAME | --ibm-json FILE | --quantinuum MACHINE --date D) -o PATH
    qpu-twin profile schema
    qpu-twin run FILE.qasm --profile NAME [--shots N] [--seed S] [--exact] [--json] [--plot out.png]
    qpu-twin calibrate FILE [--json]                       (Quantinuum SQ_RB, TQ_RB, SPAM, Memory_RB, ...)
    qpu-twin calibrate run EXPERIMENT --profile NAME [--qubits Q[,Q]] [--shots N] [--apply OUT.yaml]
    qpu-twin calibrate drift DEVICE
    qpu-twin bench DATASET [--profile NAME] [--json] [--report DIR]
    qpu-twin fit DATASET [--profile NAME] --train-fraction 0.5 --seed S [--json] [-o fitted.yaml]

Exit status: 0 on success, 1 when a profile is invalid or an input is bad
(the message names the field and value), 2 on wrong usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Sequence

from tabulate import tabulate

from .errors import QpuTwinError


def _fmt(x, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


# ---------------------------------------------------------------------- profile
def _cmd_profile_list(args) -> int:
    from .profiles import list_profiles, load_profile

    rows = []
    for name in list_profiles():
        p = load_profile(name)
        rows.append([name, p.vendor, p.technology.value, p.num_qubits, p.timestamp.date().isoformat(), " ".join(p.native_gates)])
    print(tabulate(rows, headers=["name", "vendor", "technology", "qubits", "date", "native gates"]))
    return 0


def _cmd_profile_show(args) -> int:
    from .profiles import load_profile

    p = load_profile(args.name)
    s = p.summary()
    if args.json:
        print(json.dumps(s, indent=1))
        return 0
    print(f"{s['name']}  ({s['vendor']}, {s['technology']}, {s['num_qubits']} qubits, "
          f"{s['operational_qubits']} operational)")
    print(f"snapshot   {s['timestamp']}")
    print(f"source     {s['source']}")
    print(f"identity   {s['fingerprint']}   adjustments recorded: {s['adjustments']}")
    print()
    print(tabulate(
        [
            ["T1 (us)", _fmt(s["median_t1_us"]), ", ".join(f"q{w['qubit']}: {_fmt(w['t1_us'])}" for w in s["worst_qubits"]["t1_us"])],
            ["T2 (us)", _fmt(s["median_t2_us"]), ", ".join(f"q{w['qubit']}: {_fmt(w['t2_us'])}" for w in s["worst_qubits"]["t2_us"])],
            ["readout error", _fmt(s["median_readout_error"]),
             ", ".join(f"q{w['qubit']}: {_fmt(w['readout_error'])}" for w in s["worst_qubits"]["readout_error"])],
            ["readout duration (ns)", _fmt(s["median_readout_duration_ns"]), ""],
            ["|ZZ| (kHz)", _fmt(s["median_abs_zz_khz"]), f"{s['zz_pairs']} pairs"],
        ],
        headers=["qubit property", "median", "worst"],
    ))
    print()
    rows = []
    for name, g in s["gates"].items():
        worst = ", ".join(f"q{'-'.join(map(str, w['qubits']))}: {_fmt(w['error'])}" for w in g["worst"])
        rows.append([name, g["count"], g["non_operational"], _fmt(g["median_error"]), _fmt(g["median_duration_ns"]), worst])
    print(tabulate(rows, headers=["gate", "entries", "dead", "median error", "median ns", "worst"]))
    return 0


def _cmd_profile_validate(args) -> int:
    from .profiles import read_profile_file

    p = read_profile_file(args.path)
    print(f"OK: {args.path}: {p.name} ({p.num_qubits} qubits, {p.timestamp.isoformat()}), identity {p.fingerprint}")
    return 0


def _resolve_fake(name: str):
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    key = name.lower().removeprefix("fake").removeprefix("_").removeprefix("ibm_").removeprefix("ibmq_")
    key = key.removesuffix("v2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        backends = FakeProviderForBackendV2().backends()
    for b in backends:
        if b.name.removeprefix("fake_") == key:
            return b
    names = ", ".join(sorted(b.name.removeprefix("fake_") for b in backends))
    raise QpuTwinError(f"--qiskit-fake {name!r}: no such fake backend (known: {names})")


def _cmd_profile_import(args) -> int:
    from .profiles import DeviceProfile, save_profile
    from .errors import ProfileError

    if args.qiskit_fake:
        profile = DeviceProfile.from_qiskit_backend(_resolve_fake(args.qiskit_fake), name=args.name)
    elif args.ibm_json:
        try:
            with open(args.ibm_json, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise ProfileError(f"--ibm-json {args.ibm_json!r}: cannot read JSON: {exc}") from None
        for key in ("backend_properties", "backend_configuration"):
            if key not in data:
                raise ProfileError(f"--ibm-json {args.ibm_json!r}: missing top-level key {key!r}")
        profile = DeviceProfile.from_ibm_properties(
            data["backend_properties"], data["backend_configuration"], name=args.name, source=str(args.ibm_json)
        )
    else:
        if not args.date:
            raise ProfileError("--quantinuum needs --date YYYY-MM-DD")
        profile = DeviceProfile.from_quantinuum_spec(args.quantinuum, args.date, name=args.name)
    path = save_profile(profile, args.output)
    print(f"wrote {path}: {profile.name} ({profile.num_qubits} qubits), "
          f"{len(profile.provenance.adjustments)} adjustments recorded")
    return 0


def _cmd_profile_schema(args) -> int:
    from .profiles import profile_json_schema

    print(json.dumps(profile_json_schema(), indent=1))
    return 0


# ---------------------------------------------------------------------- run
def _cmd_run(args) -> int:
    from .twin import Twin

    if args.shots is not None and args.shots < 1:
        raise QpuTwinError(f"--shots {args.shots}: must be a positive integer")
    shots = None if args.exact else (args.shots or 4000)
    twin = Twin(args.profile, noise=args.noise, engine=args.engine)
    res = twin.run(args.file, shots=shots, seed=args.seed, transpile=not args.no_transpile)
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
            "timings_s": res.metadata["timings"],
        }
        print(json.dumps(out, indent=1))
    else:
        print(f"{args.file} on {twin.profile.name} ({twin.profile.timestamp.date()}), noise={twin.noise.level}, "
              f"engine={res.engine}, active qubits {res.metadata['active_qubits']}, "
              f"{res.metadata['timings']['total_s']:.3g} s")
        top = sorted(probs.items(), key=lambda kv: -kv[1])[: args.top]
        rows = [[k, f"{v:.6f}"] + ([res.counts.get(k, 0)] if res.counts else []) for k, v in top]
        headers = ["outcome", "exact probability"] + ([f"counts ({shots} shots, seed {args.seed})"] if res.counts else [])
        print(tabulate(rows, headers=headers))
        if len(probs) > args.top:
            print(f"... {len(probs) - args.top} more outcomes (total probability "
                  f"{sum(v for k, v in probs.items() if k not in dict(top)):.3g})")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from .viz import plot_distributions

        dists = {"twin (exact)": probs}
        if res.counts:
            dists["twin (sampled)"] = res.counts
        fig = plot_distributions(dists, title=f"{args.file} on {twin.profile.name}")
        fig.savefig(args.plot, dpi=120)
        if not args.json:
            print(f"plot written to {args.plot}")
    return 0


# ---------------------------------------------------------------------- calibrate
def _print_results(results, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps({"results": [r.as_dict() for r in results]}, indent=1, default=str))
        return
    print(title)
    rows = [[r.experiment, ",".join(map(str, r.qubits)) if len(r.qubits) <= 4 else f"{len(r.qubits)} qubits",
             r.quantity, f"{r.value:.5g}", f"{r.stderr:.2g}", r.unit, r.quality] for r in results]
    print(tabulate(rows, headers=["experiment", "qubits", "quantity", "value", "stderr", "unit", "quality"]))


def _cmd_calibrate(args) -> int:
    if args.what == "run":
        return _calibrate_run(args.rest)
    if args.what == "drift":
        p = argparse.ArgumentParser(prog="qpu-twin calibrate drift")
        p.add_argument("device")
        p.add_argument("--json", action="store_true")
        a = p.parse_args(args.rest)
        from .calibration import drift_summary

        rows = drift_summary(a.device)
        print(json.dumps(rows, indent=1) if a.json else tabulate(rows, headers="keys", floatfmt=".4g"))
        return 0
    p = argparse.ArgumentParser(prog="qpu-twin calibrate FILE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for RB (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(args.rest)
    from .calibration.quantinuum import analyse_file, load_quantinuum

    kind = load_quantinuum(args.what).kind
    results = analyse_file(args.what, bootstrap=a.bootstrap, seed=a.seed)
    if not a.json:
        results = [r for r in results if len(r.qubits) != 1 or r.experiment != "SPAM"]  # per-qubit SPAM only in JSON
    _print_results(results, a.json, f"{args.what}: {kind}")
    return 0


def _calibrate_run(argv) -> int:
    import numpy as np

    from .calibration import EXPERIMENTS, apply_results
    from .twin import Twin

    p = argparse.ArgumentParser(prog="qpu-twin calibrate run",
                                description="run a characterization experiment on the twin and fit it")
    p.add_argument("experiment", choices=sorted(EXPERIMENTS))
    p.add_argument("--profile", required=True)
    p.add_argument("--qubits", default="0", help="qubit, or control,target / pair (default 0)")
    p.add_argument("--shots", type=int, default=1000)
    p.add_argument("--seed", type=int)
    p.add_argument("--noise", default="lindblad", choices=["lindblad", "aer", "ideal"])
    p.add_argument("--json", action="store_true")
    p.add_argument("--apply", metavar="PATH", help="write the updated, dated profile to PATH")
    a = p.parse_args(argv)
    try:
        qubits = [int(q) for q in a.qubits.split(",")]
    except ValueError:
        raise QpuTwinError(f"--qubits {a.qubits!r}: give integers separated by commas") from None
    twin = Twin(a.profile, noise=a.noise)
    prof = twin.profile
    for q in qubits:
        prof.qubit(q)
    q0 = prof.qubit(qubits[0])
    t1 = q0.t1_us or 100.0
    t2 = q0.t2_us or 100.0
    name = a.experiment
    if name == "t1":
        exp = EXPERIMENTS[name](qubits[0], np.linspace(0.5, 4 * t1, 21))
    elif name == "ramsey":
        det = 3.0 / (2 * t2)
        exp = EXPERIMENTS[name](qubits[0], np.linspace(0, 2 * t2, 61), detuning_mhz=det)
    elif name == "hahn":
        exp = EXPERIMENTS[name](qubits[0], np.linspace(0.5, 3 * t2, 21))
    elif name == "readout":
        exp = EXPERIMENTS[name](qubits[0])
    elif name == "rb":
        lengths = [1, 100, 300, 600, 1000, 1500] if len(qubits) == 1 else [1, 5, 15, 30, 50, 80]
        exp = EXPERIMENTS[name](qubits, lengths, num_samples=6, seed=a.seed or 0)
    else:
        if len(qubits) != 2:
            raise QpuTwinError("zz needs --qubits control,target")
        zz = abs(prof.zz_khz(*qubits) or 50.0)
        span = min(2 * t2, 2.0 / (zz * 1e-3))
        exp = EXPERIMENTS[name](qubits[0], qubits[1], np.linspace(0, span, 41),
                                detuning_mhz=max(4 / span, 2 * zz * 1e-3))
    data = exp.run(twin, shots=a.shots, seed=a.seed)
    results = type(exp).analyse(data)
    _print_results(results, a.json, f"{exp.name} on {prof.name} qubits {qubits} ({a.shots} shots)")
    if a.apply:
        from .profiles.io import save_profile

        path = save_profile(apply_results(prof, results), a.apply)
        if not a.json:
            print(f"updated profile written to {path}")
    return 0


# ---------------------------------------------------------------------- bench
def _cmd_bench(args) -> int:
    from .benchmark import default_models, load_dataset, run_benchmark, write_report
    from .profiles.io import load_profile

    ds = load_dataset(args.dataset).subset(args.max_circuits)
    profile = load_profile(args.profile) if args.profile else None
    if profile is None and not ds.snapshots:
        raise QpuTwinError(f"dataset {args.dataset!r} carries no calibration snapshot: pass --profile NAME")
    include = args.models.split(",") if args.models else None
    models = default_models(ds, profile=profile, aer_shots=args.aer_shots, include=include)
    report = run_benchmark(ds, models, resamples=args.resamples, progress=not args.json)
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


# ---------------------------------------------------------------------- fit
def _cmd_fit(args) -> int:
    import numpy as np

    from .benchmark import load_dataset
    from .benchmark.harness import _aer_model, _twin_model
    from .fit import fit_twin
    from .metrics import hellinger, tvd
    from .profiles.io import load_profile, save_profile

    ds = load_dataset(args.dataset).subset(args.max_circuits)
    circuits = [c for c in ds.circuits if c.counts]
    if len(circuits) < 2:
        raise QpuTwinError(f"dataset {args.dataset!r} has {len(circuits)} circuit(s) with measured counts: "
                           "need at least 2 (one to fit, one held out)")
    logical = [c.name for c in circuits if not c.physical]
    if logical:
        raise QpuTwinError(f"dataset {args.dataset!r}: the fit runs circuits as physical (transpile=False), but "
                           f"{len(logical)} are not marked physical (e.g. {logical[0]!r})")
    if args.profile:
        base = load_profile(args.profile)
    elif ds.snapshots:
        base = min(ds.snapshots.values(), key=lambda p: p.timestamp)  # the earliest snapshot
    else:
        raise QpuTwinError(f"dataset {args.dataset!r} carries no calibration snapshot: pass --profile NAME")
    if not 0 < args.train_fraction < 1:
        raise QpuTwinError(f"--train-fraction {args.train_fraction}: must be in (0, 1)")
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(circuits))
    n_train = min(max(1, int(round(args.train_fraction * len(circuits)))), len(circuits) - 1)
    train = [circuits[i] for i in sorted(order[:n_train])]
    test = [circuits[i] for i in sorted(order[n_train:])]
    kinds = args.kinds.split(",")
    from .profiles.importers._common import parse_timestamp

    dates = [parse_timestamp(c.meta["date"], where=f"circuit {c.name}") for c in train if c.meta.get("date")]
    stamp = max(dates) if dates and len(dates) == len(train) else None  # the fitted profile is dated by its data
    result = fit_twin(base, train, kinds=kinds, sweeps=args.sweeps, progress=not args.json, timestamp=stamp)
    fitted_model = _twin_model("fitted_twin", "lindblad", ds, result.profile)
    # the datasheet baseline: --profile if given, else each circuit's own snapshot
    models = [_twin_model("datasheet_twin", "lindblad", ds, base if args.profile else None), fitted_model]
    aer = _aer_model(ds, args.aer_shots, args.seed)
    if aer is not None:
        models.append(aer)
    heldout = {}
    for m in models:
        hs, ts = [], []
        for bc in test:
            pred = m.predict(bc)
            hs.append(hellinger(pred, bc.counts))
            ts.append(tvd(pred, bc.counts))
        heldout[m.name] = {"mean_hellinger": float(np.mean(hs)) if hs else None,
                           "mean_tvd": float(np.mean(ts)) if ts else None, "circuits": len(hs)}
    if args.output:
        save_profile(result.profile, args.output)
    if args.json:
        print(json.dumps({"heldout": heldout, "parameters": result.table(), "split_seed": args.seed,
                          "train_circuits": len(train), "test_circuits": len(test),
                          "base_profile": base.name, "seconds": result.seconds}, indent=1))
        return 0
    print(f"fit of {base.name} ({base.timestamp.date()}) to {len(train)} training circuits "
          f"(split seed {args.seed}), {result.seconds:.0f} s")
    print(tabulate([[r["parameter"], f"{r['datasheet']:.4g}", f"{r['fitted']:.4g}", f"{r['stderr']:.2g}"]
                    for r in result.table()], headers=["parameter", "datasheet", "fitted", "stderr"]))
    print(f"\nheld-out circuits: {len(test)}")
    print(tabulate([[n, f"{e['mean_hellinger']:.4f}", f"{e['mean_tvd']:.4f}"] for n, e in heldout.items()],
                   headers=["model", "mean Hellinger", "mean TVD"]))
    if args.output:
        print(f"fitted profile written to {args.output}")
    return 0


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="qpu-twin", description="A noise-aware digital twin of a quantum processor.")
    parser.add_argument("--version", action="version", version=f"qpu_twin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    prof = sub.add_parser("profile", help="device profiles: list, show, validate, import, schema")
    psub = prof.add_subparsers(dest="profile_command", required=True)
    p = psub.add_parser("list", help="list the shipped profiles")
    p.set_defaults(func=_cmd_profile_list)
    p = psub.add_parser("show", help="summary of a profile: medians, worst qubits and gates")
    p.add_argument("name", help="shipped profile name or path to a .yaml/.json file")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_cmd_profile_show)
    p = psub.add_parser("validate", help="validate a profile file (exit 1 with the problems if invalid)")
    p.add_argument("path")
    p.set_defaults(func=_cmd_profile_validate)
    p = psub.add_parser("import", help="import a profile from a Qiskit fake backend, IBM JSON or a Quantinuum spec sheet")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--qiskit-fake", metavar="NAME", help="qiskit_ibm_runtime fake backend, e.g. sherbrooke")
    src.add_argument("--ibm-json", metavar="FILE", help="JSON with backend_properties and backend_configuration")
    src.add_argument("--quantinuum", metavar="MACHINE", help="Quantinuum machine, e.g. H1-1 (with --date)")
    p.add_argument("--date", help="spec-sheet date for --quantinuum (YYYY-MM-DD)")
    p.add_argument("--name", help="profile name (default: from the source)")
    p.add_argument("-o", "--output", required=True, help="output file (.yaml or .json)")
    p.set_defaults(func=_cmd_profile_import)
    p = psub.add_parser("schema", help="print the JSON Schema of profile files")
    p.set_defaults(func=_cmd_profile_schema)

    p = sub.add_parser("run", help="run an OpenQASM 2/3 circuit on a device profile")
    p.add_argument("file", help="OpenQASM 2 or 3 file")
    p.add_argument("--profile", required=True, help="shipped profile name or profile file")
    p.add_argument("--shots", type=int, help="number of sampled shots (default 4000)")
    p.add_argument("--seed", type=int, help="seed for transpiler and sampling (reproducible runs)")
    p.add_argument("--exact", action="store_true", help="print only the exact distribution (no sampling)")
    p.add_argument("--noise", default="lindblad", choices=["lindblad", "aer", "ideal"], help="noise level")
    p.add_argument("--engine", default="auto", help="simulation engine (default: auto)")
    p.add_argument("--no-transpile", action="store_true", help="the circuit is already native and physical")
    p.add_argument("--top", type=int, default=16, help="outcomes to print (default 16)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--plot", metavar="PNG", help="save a bar chart of the distribution")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "calibrate",
        help="analyse a stored data file (qpu-twin calibrate FILE [--json]), run an experiment on the twin "
        "(qpu-twin calibrate run EXPERIMENT --profile NAME ...) or show drift (qpu-twin calibrate drift DEVICE)",
    )
    p.add_argument("what", help="a data file, 'run' or 'drift'")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser("bench", help="compare the twin and baselines with measured hardware counts")
    p.add_argument("dataset", help="dataset directory (dataset.json) or IBM job archive folder/file")
    p.add_argument("--profile", help="profile for the twin (default: the dataset's own calibration snapshots)")
    p.add_argument("--models", help="comma-separated subset of: ideal,aer,twin_aer,twin_lindblad,twin_no_idle,"
                   "twin_no_zz,twin_no_readout")
    p.add_argument("--aer-shots", type=int, default=20_000, help="shots for Aer when it cannot be exact")
    p.add_argument("--resamples", type=int, default=200, help="bootstrap resamples for the intervals")
    p.add_argument("--max-circuits", type=int, help="only the first N circuits")
    p.add_argument("--json", action="store_true")
    p.add_argument("--report", metavar="DIR", help="write a Markdown report with plots to DIR")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("fit", help="fit the twin to measured counts; report held-out metrics")
    p.add_argument("dataset", help="dataset directory or IBM job archive")
    p.add_argument("--profile", help="starting (datasheet) profile (default: the dataset's earliest snapshot)")
    p.add_argument("--train-fraction", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    p.add_argument("--kinds", default="p10,p01,gate_error",
                   help="parameter kinds: p10,p01,gate_error,t1_us,t2_us,zz_khz,overrotation")
    p.add_argument("--sweeps", type=int, default=2)
    p.add_argument("--aer-shots", type=int, default=20_000)
    p.add_argument("--max-circuits", type=int, help="only the first N circuits")
    p.add_argument("--json", action="store_true")
    p.add_argument("-o", "--output", help="write the fitted profile (.yaml/.json)")
    p.set_defaults(func=_cmd_fit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except QpuTwinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `qpu-twin profile list | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
