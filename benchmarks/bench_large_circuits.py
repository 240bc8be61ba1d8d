"""Large circuits on ibm_sherbrooke with the tensor-network (MPDO) engine.

(1) GHZ-50, GHZ-100 (a CNOT tree on live qubits, transpiled) and a two-layer
    hardware-efficient circuit on all 122 connected live qubits, 1000 shots
    each, with full physics (idle noise + static ZZ, max_bond 64) and with ZZ
    off (max_bond 256): time, accumulated truncation error, largest bond, trace
    of the final MPDO, and P(all 0) + P(all 1) for the GHZ states.
(2) GHZ-50 with 1000 shots against Aer's ``matrix_product_state`` method with
    ``NoiseModel.from_backend(FakeSherbrooke())`` (one trajectory per shot),
    the twin with the same gate-level model (noise "aer") and with full physics,
    each on the numpy MPDO engine and on the same MPDO built with quimb
    (engine "quimb_mpdo": same values up to truncation, speed of quimb's gates).

Usage::

    python benchmarks/bench_large_circuits.py                # everything
    python benchmarks/bench_large_circuits.py --part 2       # only the Aer comparison
    python benchmarks/bench_large_circuits.py --max-bond 32  # faster, more truncation
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qpu_twin import Twin  # noqa: E402
from qpu_twin.circuit_library import ghz_on_device, hardware_efficient  # noqa: E402

DEVICE = "ibm_sherbrooke"


def _run(twin, compiled, n_ghz=None):
    t = time.perf_counter()
    res = twin.run(compiled, transpile=False, shots=1000, seed=1)
    seconds = time.perf_counter() - t
    st = res.metadata["engine_stats"]
    row = {
        "seconds": seconds,
        "active qubits": len(res.metadata["active_qubits"]),
        "truncation error": st.get("truncation_error"),
        "max bond": st.get("max_bond_dimension"),
        "trace": st.get("trace"),
    }
    if n_ghz:
        state = res.state
        row["P(0..0)+P(1..1) exact"] = state.probability("0" * n_ghz) + state.probability("1" * n_ghz)
        row["GHZ fraction of 1000 shots"] = (res.counts.get("0" * n_ghz, 0) + res.counts.get("1" * n_ghz, 0)) / 1000
    return row


def part1(max_bond: int, max_bond_nozz: int) -> list[dict]:
    """Each circuit with full physics (ZZ on) and with ZZ off: static ZZ on every coupled pair of busy
    qubits entangles the whole lattice, which an MPDO holds only at large bond dimension."""
    rows = []
    circuits = [
        ("GHZ-50", ghz_on_device(DEVICE, 50), 50),
        ("GHZ-100", ghz_on_device(DEVICE, 100), 100),
        ("HEA 2 layers, all live qubits (tree CNOTs)", hardware_efficient(DEVICE, 2, seed=1), None),
    ]
    settings = [("lindblad (idle + ZZ)", "lindblad", max_bond),
                ("lindblad, ZZ off", {"level": "lindblad", "zz": False}, max_bond_nozz)]
    for label, circ, n in circuits:
        compiled = None
        for noise_label, noise, mb in settings:
            twin = Twin(DEVICE, noise=noise, engine="tensor_network", engine_options={"max_bond": mb, "progress": True})
            if compiled is None:
                t = time.perf_counter()
                compiled = twin.compile(circ, seed=1)
                tc = time.perf_counter() - t
            row = {"circuit": label, "noise": noise_label, "max_bond": mb,
                   "native ops": sum(compiled.count_ops().values()), "ecr": compiled.count_ops().get("ecr", 0),
                   "transpile s": tc}
            row.update(_run(twin, compiled, n))
            rows.append(row)
            print(tabulate([row], headers="keys", floatfmt=".4g"), flush=True)
    return rows


def part2(max_bond: int) -> list[dict]:
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke

    n = 50
    compiled = Twin(DEVICE).compile(ghz_on_device(DEVICE, n), seed=1)
    rows = []
    for noise in ("aer", "lindblad"):
        for engine in ("tensor_network", "quimb_mpdo"):  # the same MPDO on quimb: cross-check of values and speed
            twin = Twin(DEVICE, noise=noise, engine=engine, engine_options={"max_bond": max_bond})
            r = _run(twin, compiled, n)
            rows.append({"simulator": f"twin {engine}, noise={noise}", **r})
    t = time.perf_counter()
    nm = NoiseModel.from_backend(FakeSherbrooke())
    build = time.perf_counter() - t
    sim = AerSimulator(method="matrix_product_state", noise_model=nm, seed_simulator=1)
    t = time.perf_counter()
    counts = sim.run(compiled, shots=1000).result().get_counts()
    seconds = time.perf_counter() - t
    frac = (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / 1000
    rows.append({"simulator": "Aer matrix_product_state, NoiseModel.from_backend(FakeSherbrooke())",
                 "seconds": seconds, "active qubits": n, "GHZ fraction of 1000 shots": frac,
                 "binomial sigma": float(np.sqrt(frac * (1 - frac) / 1000)), "noise model build s": build})
    for r in rows[:-1]:
        r["speed-up vs Aer"] = seconds / r["seconds"]
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", type=int, choices=[1, 2])
    ap.add_argument("--max-bond", type=int, default=64, help="bond cap with full physics (default 64)")
    ap.add_argument("--max-bond-nozz", type=int, default=256, help="bond cap with ZZ off (default 256)")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    out = {}
    if args.part in (None, 1):
        print(f"(1) large circuits on {DEVICE}, 1000 shots")
        out["1"] = part1(args.max_bond, args.max_bond_nozz)
        print(tabulate(out["1"], headers="keys", floatfmt=".4g"))
    if args.part in (None, 2):
        print("\n(2) GHZ-50, 1000 shots: twin tensor_network vs Aer matrix_product_state")
        out["2"] = part2(args.max_bond)
        print(tabulate(out["2"], headers="keys", floatfmt=".4g"))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
