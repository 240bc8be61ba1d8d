"""Every Quantinuum benchmark file in calibration_data/quantinuum analysed by qpu_twin, against the numbers
Quantinuum published from the same data (Spec_sheet_parameters.csv), where the sheet has the row.

Also analyses a summary-only variant (pair keys "(0, 1)", no qasm / raw_data / expected_output) made
from H1-1 2023-01-20 TQ_RB, which must give the same numbers as the full file.

    PYTHONPATH=. python benchmarks/quantinuum_spec_sheet.py [--bootstrap 1000] [--seed 0]

Writes benchmarks/results_quantinuum_spec_sheet.txt. "agrees": |ours - published| <= hypot(sigma_ours,
sigma_published) (one combined standard deviation).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from qpu_twin.calibration.history import spec_sheet_comparison  # noqa: E402
from qpu_twin.calibration.quantinuum_data import quantinuum_files  # noqa: E402


def summary_only_variant(src: Path, dest_dir: Path) -> Path:
    """The summary fields of ``src`` only, with pair keys written "(a, b)" (an upstream variant)."""
    data = json.loads(src.read_text())
    out = {"shots": data["shots"]}
    for key in ("survival", "leakage_postselect"):
        if key in data:
            out[key] = {f"({k})" if "," in k else k: v for k, v in data[key].items()}
    if "sequence_info" in data:
        out["sequence_info"] = data["sequence_info"]
    dest = dest_dir / src.name
    dest.write_text(json.dumps(out))
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    files = quantinuum_files()
    rows = spec_sheet_comparison(files, bootstrap=args.bootstrap, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        variant = summary_only_variant(ROOT / "calibration_data/quantinuum/H1-1__2023_01_20__TQ_RB.json", Path(tmp))
        vrows = spec_sheet_comparison([variant], bootstrap=args.bootstrap, seed=args.seed)
    for r in vrows:
        r["file"] = "summary-only '(0, 1)' variant of " + r["file"]
    rows += vrows
    table = []
    for r in rows:
        pub = "-" if r["published"] is None else f"{r['published']:.3g} ± {r['published_sigma']:.1g}"
        table.append([r["machine"], r["date"], r["kind"] + (" (summary-only variant)" if "variant" in r["file"] else ""),
                      r["column"], f"{r['value']:.3g} ± {r['stderr']:.1g}", pub,
                      "-" if r["pull"] is None else f"{r['pull']:.2f}",
                      "-" if r["agrees"] is None else ("yes" if r["agrees"] else "NO")])
    compared = [r for r in rows if r["agrees"] is not None]
    text = [f"qpu_twin analysis of {len(files)} Quantinuum files (+1 summary-only variant) vs "
            f"Spec_sheet_parameters.csv; bootstrap={args.bootstrap}, seed={args.seed}",
            "pull = |ours - published| / hypot(sigma_ours, sigma_published); agrees: pull <= 1", "",
            tabulate(table, headers=["machine", "date", "file type", "spec-sheet column", "qpu_twin", "published",
                                     "pull", "agrees"]),
            "", f"{sum(r['agrees'] for r in compared)} of {len(compared)} published numbers reproduced within one "
            f"combined sigma; {len(rows) - len(compared)} results have no published row (2025 dates); "
            f"{time.time() - t0:.0f} s"]
    out = "\n".join(text)
    print(out)
    (ROOT / "benchmarks" / "results_quantinuum_spec_sheet.txt").write_text(out + "\n")


if __name__ == "__main__":
    main()
