"""``qpu-twin calibrate history DIR``: a machine's metrics over time, and one dated profile per date.

Registered by :mod:`.calibrate` (``calibrate_history.add_parser(csub)``). Building the parser
imports no simulation code; the work is :func:`qpu_twin.calibration.history.quantinuum_history`.
"""

from __future__ import annotations

from ._base import existing_path, int_in, nonneg_int, output_file, print_json


def add_parser(csub) -> None:
    p = csub.add_parser(
        "history", help="a machine's calibration over time from a folder of dated Quantinuum files; writes one "
        "dated profile per date",
        description="Analyse every <machine>__<date>__<type>.json file of one machine in FOLDER (e.g. "
        "calibration_data/quantinuum with --machine H1-1), print each metric per date with its standard error, "
        "optionally plot them (--plot), and write one dated profile per date into a profile history that "
        "Twin.as_of(device, date) and `calibrate drift` use. A value missing on a date comes from Quantinuum's "
        "published row for that date, else from the previous date (recorded in the profile's provenance).")
    p.add_argument("folder", type=existing_path, help="folder of <machine>__<date>__<type>.json files")
    p.add_argument("--machine", help="the machine (e.g. H1-1); needed when the folder holds several")
    p.add_argument("--plot", metavar="PNG", type=output_file, help="write a plot of every metric over time")
    p.add_argument("--history", metavar="DIR",
                   help="profile history folder to write into (default: the first folder of QPU_TWIN_HISTORY, "
                   "else calibration_data/history); Twin.as_of reads QPU_TWIN_HISTORY and calibration_data/history")
    p.add_argument("--no-profiles", action="store_true", help="only print (and plot); write no profiles")
    p.add_argument("--bootstrap", type=int_in(0, 100_000), default=200,
                   help="bootstrap resamples per fit for the error bars (0 to 100000; 0: none)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the bootstrap")
    p.add_argument("--json", action="store_true", help="print every point (and the written files) as JSON")
    p.set_defaults(func=cmd_history)


def cmd_history(args) -> int:
    import warnings
    from pathlib import Path

    from tabulate import tabulate

    from ..calibration.history import quantinuum_history

    if args.history is not None:
        hist_dir = Path(args.history)
        if hist_dir.exists() and not hist_dir.is_dir():
            from ..errors import ArgumentError

            raise ArgumentError(f"--history {args.history!r}: not a folder")
    h = quantinuum_history(args.folder, machine=args.machine, bootstrap=args.bootstrap, seed=args.seed)
    written: list[str] = []
    skipped: list[str] = []
    if not args.no_profiles:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = [str(p) for p in h.save_profiles(args.history)]
        skipped = [str(w.message) for w in caught]
    if args.plot:
        h.plot(args.plot)
    if args.json:
        print_json({**h.as_json(), "profiles_written": written, "skipped": skipped,
                    **({"plot": str(args.plot)} if args.plot else {})})
        return 0
    print(f"{h.machine}: {len(h.files)} files, {len(h.dates)} dates (value ± 1 sigma; * = epg only, the file has no "
          "leakage data)")
    print(tabulate(h.table(), headers="keys"))
    for line in skipped:
        print(f"warning: {line}")
    if written:
        print(f"{len(written)} dated profiles written to {Path(written[0]).parent}")
        if args.history:
            print(f"  (Twin.as_of reads this folder when it is in QPU_TWIN_HISTORY: "
                  f"export QPU_TWIN_HISTORY={Path(args.history).resolve()})")
    if args.plot:
        print(f"plot written to {args.plot}")
    return 0
