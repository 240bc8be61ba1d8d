"""Regenerate the shipped profiles in ``device_profiles/`` from their sources.

Run from the repository root::

    python scripts/generate_profiles.py            # write all
    python scripts/generate_profiles.py --check    # fail if a file would change

Sources: the archived IBM properties in ``calibration_data/``, the
``qiskit_ibm_runtime`` fake backends (real calibration snapshots), the
Quantinuum spec sheets in ``calibration_data/quantinuum``, cirq-google's shipped
Sycamore calibrations (needs ``pip install ".[interop]"``) and the hand-written
didactic ``line5`` below.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qpu_twin import DeviceProfile  # noqa: E402
from qpu_twin.errors import ProfileWarning  # noqa: E402

OUT = ROOT / "device_profiles"
HANOI = ROOT / "calibration_data" / "ibm_repetition_codes_2022"


def line5() -> DeviceProfile:
    """A didactic 5-qubit line with round numbers (documented in docs/profiles.md)."""
    n = 5
    qubits = [
        {
            "index": i,
            "t1_us": 100.0,
            "t2_us": 80.0,
            "frequency_ghz": round(5.0 + 0.1 * i, 3),
            "anharmonicity_ghz": -0.3,
            "prob_meas1_prep0": 0.01,
            "prob_meas0_prep1": 0.03,
            "readout_duration_ns": 1000.0,
            "reset_error": 0.005,
            "reset_duration_ns": 1000.0,
        }
        for i in range(n)
    ]
    gates = []
    for i in range(n):
        gates.append({"name": "rz", "qubits": [i], "error": 0.0, "duration_ns": 0.0})
        for g in ("id", "sx", "x"):
            gates.append({"name": g, "qubits": [i], "error": 5e-4, "duration_ns": 40.0})
    edges = [(i, i + 1) for i in range(n - 1)] + [(i + 1, i) for i in range(n - 1)]
    edges.sort()
    for a, b in edges:
        gates.append({"name": "cx", "qubits": [a, b], "error": 1e-2, "duration_ns": 300.0})
    zz = [{"qubits": [i, i + 1], "zz_khz": -50.0} for i in range(n - 1)]
    return DeviceProfile.model_validate(
        {
            "name": "line5",
            "vendor": "qpu_twin (didactic)",
            "technology": "superconducting",
            "timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc),
            "num_qubits": n,
            "dt_ns": 0.5,
            "description": "Didactic 5-qubit line with round numbers: T1=100 us, T2=80 us, 1q error 5e-4 "
            "(40 ns), CX error 1e-2 (300 ns, both directions), readout p(1|0)=0.01, p(0|1)=0.03, ZZ=-50 kHz.",
            "qubits": qubits,
            "gates": gates,
            "coupling_map": edges,
            "crosstalk": {"zz": zz},
            "control_flow": ["if_else"],
            "provenance": {"source": "scripts/generate_profiles.py", "method": "hand-written (didactic)"},
        }
    )


def hanoi(job_file: str, name: str = "ibm_hanoi") -> DeviceProfile:
    path = HANOI / job_file
    data = json.loads(path.read_text())
    return DeviceProfile.from_ibm_properties(
        data["backend_properties"],
        data["backend_configuration"],
        name=name,
        source=f"calibration_data/ibm_repetition_codes_2022/{job_file} (archived with real ibm_hanoi jobs)",
    )


def fake(cls_name: str) -> DeviceProfile:
    import qiskit_ibm_runtime.fake_provider as fp

    return DeviceProfile.from_qiskit_backend(getattr(fp, cls_name)())


def build_all() -> dict[str, DeviceProfile]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfileWarning)  # adjustments are recorded in the profiles
        return {
            "line5": line5(),
            "ibm_hanoi": hanoi("625558bd3bfc767795eac3ce__ibm_hanoi.json"),
            "ibm_hanoi_2022-05-20": hanoi("626945e28525d19be58f8243__ibm_hanoi.json"),
            "ibm_sherbrooke": fake("FakeSherbrooke"),
            "ibm_torino": fake("FakeTorino"),
            "quantinuum_h1-1": DeviceProfile.from_quantinuum_spec("H1-1", "2023-01-20"),
            "quantinuum_h2-1": DeviceProfile.from_quantinuum_spec("H2-1", "2024-05-20"),
            "google_rainbow": DeviceProfile.from_cirq_google("rainbow"),
            "google_weber": DeviceProfile.from_cirq_google("weber"),
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = ap.parse_args()
    stale = []
    for stem, profile in build_all().items():
        path = OUT / f"{stem}.yaml"
        text = profile.to_yaml()
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(stem)
            continue
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}: {profile.num_qubits} qubits, "
              f"{len(profile.provenance.adjustments)} adjustments")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
