"""``qpu-twin profile list | show | validate | import | schema``."""

from __future__ import annotations

import json
import warnings

from tabulate import tabulate

from ..errors import ProfileError
from ._base import existing_path, fmt, print_json, profile_output_file


def add_parser(sub) -> None:
    prof = sub.add_parser("profile", help="device profiles: list, show, validate, import, schema",
                          description="Device profiles: validated, dated descriptions of real devices.")
    psub = prof.add_subparsers(dest="profile_command", required=True, metavar="{list,show,validate,import,schema}")
    p = psub.add_parser("list", help="list the shipped profiles (name, vendor, qubits, date, native gates)")
    p.set_defaults(func=cmd_list)
    p = psub.add_parser("show", help="summary of a profile: medians, worst qubits and gates")
    p.add_argument("name", help="shipped profile name (see `profile list`) or path to a .yaml/.json file")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_show)
    p = psub.add_parser("validate", help="validate a profile file (exit 1 with every problem if invalid)")
    p.add_argument("path", type=existing_path, help="a .yaml/.yml/.json profile file")
    p.set_defaults(func=cmd_validate)
    p = psub.add_parser("import", help="import a profile from a Qiskit fake backend, IBM JSON or a Quantinuum spec "
                        "sheet", description="Import a device profile from vendor data; every adjustment of a "
                        "source value is recorded in the profile's provenance.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--qiskit-fake", metavar="NAME", help="qiskit_ibm_runtime fake backend, e.g. sherbrooke")
    src.add_argument("--ibm-json", metavar="FILE", type=existing_path,
                     help="JSON with backend_properties and backend_configuration")
    src.add_argument("--quantinuum", metavar="MACHINE", help="Quantinuum machine, e.g. H1-1 (needs --date)")
    src.add_argument("--cirq-google", metavar="PROCESSOR", choices=["rainbow", "weber"],
                     help="Google Sycamore from cirq-google's shipped median calibration (needs qpu_twin[interop])")
    p.add_argument("--date", help="spec-sheet date for --quantinuum (YYYY-MM-DD)")
    p.add_argument("--name", help="profile name (default: from the source)")
    p.add_argument("-o", "--output", required=True, type=profile_output_file,
                   help="output file (.yaml, .yml or .json)")
    p.set_defaults(func=cmd_import)
    p = psub.add_parser("schema", help="print the JSON Schema of profile files")
    p.set_defaults(func=cmd_schema)


def cmd_list(args) -> int:
    from ..profiles import list_profiles, load_profile

    rows = []
    for name in list_profiles():
        p = load_profile(name)
        rows.append([name, p.vendor, p.technology.value, p.num_qubits, p.timestamp.date().isoformat(),
                     " ".join(p.native_gates)])
    print(tabulate(rows, headers=["name", "vendor", "technology", "qubits", "date", "native gates"]))
    return 0


def cmd_show(args) -> int:
    from ..profiles import load_profile

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

    def worst(field):
        return ", ".join(f"q{w['qubit']}: {fmt(w[field])}" for w in s["worst_qubits"][field])

    print(tabulate(
        [
            ["T1 (us)", fmt(s["median_t1_us"]), worst("t1_us")],
            ["T2 (us)", fmt(s["median_t2_us"]), worst("t2_us")],
            ["readout error", fmt(s["median_readout_error"]), worst("readout_error")],
            ["readout duration (ns)", fmt(s["median_readout_duration_ns"]), ""],
            ["|ZZ| (kHz)", fmt(s["median_abs_zz_khz"]), f"{s['zz_pairs']} pairs"],
        ],
        headers=["qubit property", "median", "worst"],
    ))
    print()
    rows = []
    for name, g in s["gates"].items():
        w = ", ".join(f"q{'-'.join(map(str, x['qubits']))}: {fmt(x['error'])}" for x in g["worst"])
        rows.append([name, g["count"], g["non_operational"], fmt(g["median_error"]), fmt(g["median_duration_ns"]), w])
    print(tabulate(rows, headers=["gate", "entries", "dead", "median error", "median ns", "worst"]))
    return 0


def cmd_validate(args) -> int:
    from ..profiles import read_profile_file

    p = read_profile_file(args.path)
    print(f"OK: {args.path}: {p.name} ({p.num_qubits} qubits, {p.timestamp.isoformat()}), identity {p.fingerprint}")
    return 0


def resolve_fake(name: str):
    """The qiskit_ibm_runtime fake backend called ``name`` (``sherbrooke``, ``FakeSherbrooke``, ``ibm_sherbrooke``)."""
    import difflib

    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    key = name.lower().removeprefix("fake").removeprefix("_").removeprefix("ibm_").removeprefix("ibmq_")
    key = key.removesuffix("v2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        backends = FakeProviderForBackendV2().backends()
    for b in backends:
        if b.name.removeprefix("fake_") == key:
            return b
    names = sorted(b.name.removeprefix("fake_") for b in backends)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ProfileError(f"--qiskit-fake {name!r}: no such fake backend{hint} (known: {', '.join(names)})")


def cmd_import(args) -> int:
    from ..profiles import DeviceProfile, save_profile

    if args.qiskit_fake:
        profile = DeviceProfile.from_qiskit_backend(resolve_fake(args.qiskit_fake), name=args.name)
    elif args.ibm_json:
        from ..files import read_json_object

        data = read_json_object(args.ibm_json, error=ProfileError, label=f"--ibm-json {str(args.ibm_json)!r}",
                                required=("backend_properties", "backend_configuration"))
        profile = DeviceProfile.from_ibm_properties(
            data["backend_properties"], data["backend_configuration"], name=args.name, source=str(args.ibm_json)
        )
    elif args.cirq_google:
        profile = DeviceProfile.from_cirq_google(args.cirq_google, name=args.name)
    else:
        if not args.date:
            raise ProfileError("--quantinuum needs --date YYYY-MM-DD")
        profile = DeviceProfile.from_quantinuum_spec(args.quantinuum, args.date, name=args.name)
    path = save_profile(profile, args.output)
    print(f"wrote {path}: {profile.name} ({profile.num_qubits} qubits), "
          f"{len(profile.provenance.adjustments)} adjustments recorded")
    return 0


def cmd_schema(args) -> int:
    from ..profiles import profile_json_schema

    print_json(profile_json_schema())
    return 0
