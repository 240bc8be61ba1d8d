"""Static ZZ: the twin's schemes against the whole-circuit physics reference, and what the
change does to the ibm_hanoi repetition-code predictions.

Part 1 (``--part reference``): circuits of <= 5 qubits on ibm_hanoi (cx) and ibm_sherbrooke
(ecr) qubits (GHZ-3/4/5, a distance-3 repetition-code round with mid-circuit measurement and
reset, random two-qubit-gate layers), every noise component on. For each: total variation
between the twin and :func:`qpu_twin.noise.reference.whole_circuit_reference` (one Lindblad
equation for the whole schedule) for the ``first_order`` scheme (ZZ as a phase before the next
non-diagonal op, the scheme before this change) and the ``dressed`` default, then the residual
of the default split by cause (coherent part only, decoherence only), channel counts and the
time to build + run each program.

Part 2 (``--part hanoi``): the mean Hellinger distance between the twin's exact distributions
and the measured counts of the first ``--jobs`` ibm_hanoi repetition-code jobs
(``calibration_data/ibm_repetition_codes_2022``), with each scheme (each job's own snapshot).

Usage::

    python benchmarks/bench_zz_scheme.py                     # both parts (~15 min on 2 cores)
    python benchmarks/bench_zz_scheme.py --part reference
    python benchmarks/bench_zz_scheme.py --part hanoi --jobs 1 --circuits 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

from qiskit import QuantumCircuit, transpile
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qpu_twin import Twin  # noqa: E402
from qpu_twin.circuit_library import brickwork, ghz  # noqa: E402
from qpu_twin.compile.target import build_target  # noqa: E402
from qpu_twin.engines import get_engine  # noqa: E402
from qpu_twin.metrics import hellinger  # noqa: E402
from qpu_twin.noise.reference import whole_circuit_reference  # noqa: E402

LINES = {"ibm_hanoi": [7, 4, 1, 2, 3], "ibm_sherbrooke": [122, 123, 124, 125, 126]}
COHERENT = {"level": "lindblad", "decoherence": False, "idle": False, "delays": False, "gate_error": False,
            "readout": False}
DECOHERENCE = {"level": "lindblad", "gate_error": False, "readout": False}


def rep_code_round() -> QuantumCircuit:
    qc = QuantumCircuit(5, 5)
    qc.x(0)
    for a in (1, 3):
        qc.cx(a - 1, a)
        qc.cx(a + 1, a)
    for j, a in enumerate((1, 3)):
        qc.measure(a, j)
        qc.reset(a)
    qc.barrier()
    for j, d in enumerate((0, 2, 4)):
        qc.measure(d, 2 + j)
    return qc




def schedules(twin: Twin):
    out = [(f"ghz{n}", twin.schedule(ghz(n), seed=1)) for n in (3, 4, 5)]
    for label, qc in [("rep3", rep_code_round()), ("rand4x4", brickwork(4, 4, 11)),
                      ("rand5x3", brickwork(5, 3, 12))]:
        phys = transpile(qc, target=build_target(twin.profile), initial_layout=LINES[twin.profile.name][: qc.num_qubits],
                         seed_transpiler=1, optimization_level=1)
        out.append((label, twin.schedule(phys, transpile=False)))
    return out


def tv(p: dict, q: dict) -> float:
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


def run_program(twin: Twin, sched, noise=None, scheme="dressed"):
    t = time.perf_counter()
    prog = twin.builder(noise).program(sched, zz_scheme=scheme)
    probs = get_engine("density_matrix").run(prog).probabilities
    return probs, prog.num_channels, time.perf_counter() - t


def part_reference() -> None:
    rows = []
    for device in ("ibm_hanoi", "ibm_sherbrooke"):
        twin = Twin(device)
        for label, sched in schedules(twin):
            t = time.perf_counter()
            ref = whole_circuit_reference(twin.profile, sched).probabilities
            t_ref = time.perf_counter() - t
            old, n_old, t_old = run_program(twin, sched, scheme="first_order")
            new, n_new, t_new = run_program(twin, sched)
            parts = []
            for noise in (COHERENT, DECOHERENCE):
                r = whole_circuit_reference(twin.profile, sched, noise=noise).probabilities
                parts.append(tv(run_program(twin, sched, noise)[0], r))
            rows.append([device, label, sched.num_active, f"{sched.duration_ns / 1e3:.2f}", f"{tv(old, ref):.1e}",
                         f"{tv(new, ref):.1e}", f"{parts[0]:.1e}", f"{parts[1]:.1e}", f"{n_old} / {n_new}",
                         f"{t_old:.2f} / {t_new:.2f}", f"{t_ref:.1f}"])
            print(rows[-1], flush=True)
    print()
    print(tabulate(rows, headers=["device", "circuit", "qubits", "T (us)", "TV first-order", "TV dressed",
                                  "dressed: coherent only", "dressed: decoherence only", "channels old / new",
                                  "build+run s old / new", "reference s"], disable_numparse=True))


def part_hanoi(n_jobs: int, n_circuits: int | None) -> None:
    from qpu_twin.benchmark import load_dataset

    ds = load_dataset(Path(__file__).resolve().parents[1] / "calibration_data" / "ibm_repetition_codes_2022")
    jobs: dict[str, list] = {}
    for c in ds.circuits:
        jobs.setdefault(c.meta["job_id"], []).append(c)
    rows = []
    for job_id in list(jobs)[:n_jobs]:
        circuits = jobs[job_id][:n_circuits]
        twin = Twin(ds.snapshots[circuits[0].snapshot])
        h = {"first_order": [], "dressed": []}
        secs = {"first_order": 0.0, "dressed": 0.0}
        shifts = []
        for c in circuits:
            sched = twin.schedule(c.circuit, transpile=False)
            probs = {}
            for scheme in h:
                probs[scheme], _, dt = run_program(twin, sched, scheme=scheme)
                h[scheme].append(hellinger(probs[scheme], c.counts))
                secs[scheme] += dt
            shifts.append(tv(probs["first_order"], probs["dressed"]))
        rows.append([job_id, len(circuits), f"{statistics.mean(h['first_order']):.4f}",
                     f"{statistics.mean(h['dressed']):.4f}",
                     f"{statistics.mean(b - a for a, b in zip(h['first_order'], h['dressed'])):+.4f}",
                     f"{statistics.mean(shifts):.1e} / {max(shifts):.1e}",
                     f"{secs['first_order'] / len(circuits):.2f} / {secs['dressed'] / len(circuits):.2f}"])
        print(rows[-1], flush=True)
    print()
    print(tabulate(rows, headers=["job", "circuits", "Hellinger first-order", "Hellinger dressed", "mean change",
                                  "TV(old, new) mean / max", "s per circuit old / new"], disable_numparse=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=["reference", "hanoi", "both"], default="both")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--circuits", type=int, default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.part in ("reference", "both"):
        part_reference()
    if args.part in ("hanoi", "both"):
        part_hanoi(args.jobs, args.circuits)


if __name__ == "__main__":
    main()
