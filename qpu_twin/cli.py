"""The ``qpu-twin`` command line.

Subcommands::

    qpu-twin profile list
    qpu-twin profile show NAME_OR_PATH [--json]
    qpu-twin profile validate PATH
    qpu-twin profile import (--qiskit-fake NAME | --ibm-json FILE | --quantinuum MACHINE --date D) -o PATH
    qpu-twin profile schema

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except QpuTwinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
