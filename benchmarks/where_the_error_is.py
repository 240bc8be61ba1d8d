"""Where the ibm_hanoi twin misses error (issue #14): per classical bit, the measured vs predicted flip rate.

    python benchmarks/where_the_error_is.py

For every repetition-code circuit of the shipped dataset (432 circuits, 100k
shots) and every classical bit: the fraction of shots whose bit differs from the
ideal answer, measured and predicted by the datasheet twin (noise="lindblad",
each circuit's own calibration snapshot, exact distribution), averaged over the
circuits of a group: by bit (first-round syndromes 0-1, second-round syndromes
2-3, final data 4-6), by the bit's ideal value and by whether the circuit uses
dynamical decoupling. Then the same per job. Ratios above 1 are error the model
lacks; a fit that only has CX errors to turn absorbs it there.

Then per circuit family: every qubit line runs a bit-flip code on |000> and on
|111> (basis states only) and a phase-flip code (data qubits in |+>, X-parity
syndromes: the only circuits a detuning or dephasing can touch), each with and
without decoupling; the per-bit table above pools the two codes' "ideal 0" bits.
"""

from __future__ import annotations

import sys
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from tabulate import tabulate  # noqa: E402

DATASET = "calibration_data/ibm_repetition_codes_2022"


def main() -> int:
    from qpu_twin import Twin
    from qpu_twin.data import load_dataset
    from qpu_twin.data.classify import uses_dynamical_decoupling
    from qpu_twin.benchmark.diagnostics import error_by_family

    warnings.simplefilter("ignore")
    ds = load_dataset(Path(__file__).resolve().parents[1] / DATASET)
    circuits = [c for c in ds.circuits if c.counts]
    twins: dict = {}
    bits = defaultdict(list)  # (dd, clbit, ideal value) -> [(measured, predicted)]
    jobs = defaultdict(list)  # (job, dd) -> [(measured error, predicted error)] of the whole answer
    preds, ideals = {}, {}
    for c in circuits:
        twin = twins.setdefault(c.snapshot, Twin(ds.snapshots[c.snapshot], noise="lindblad"))
        ideal = twins.setdefault("ideal", Twin(ds.snapshots[c.snapshot], noise="ideal"))
        pred = twin.run(c.circuit, transpile=False, seed=0).probabilities
        p_ideal = ideal.run(c.circuit, transpile=False, seed=0).probabilities
        preds[c.name], ideals[c.name] = pred, p_ideal
        answer = max(p_ideal, key=p_ideal.get)
        if p_ideal[answer] < 1 - 1e-9:
            raise SystemExit(f"{c.name}: the ideal circuit has no unique answer (P = {p_ideal[answer]})")
        shots, w = sum(c.counts.values()), len(answer)
        dd = uses_dynamical_decoupling(c.circuit)
        for b in range(w):  # clbit b is character w-1-b of the bitstring
            v = answer[w - 1 - b]
            meas = sum(n for k, n in c.counts.items() if k[w - 1 - b] != v) / shots
            bits[(dd, b, v)].append((meas, sum(p for k, p in pred.items() if k[w - 1 - b] != v)))
        jobs[(c.meta.get("job_id", "?"), dd)].append((1 - c.counts.get(answer, 0) / shots, 1 - pred.get(answer, 0.0)))
    rows = []
    for (dd, b, v), pairs in sorted(bits.items()):
        m, p = np.mean(pairs, axis=0)
        rows.append([b, v, "yes" if dd else "no", f"{m:.4f}", f"{p:.4f}", f"{m / p:.2f}", len(pairs)])
    print(f"# python benchmarks/where_the_error_is.py: {ds.name}, {len(circuits)} circuits, datasheet twin "
          "(each circuit's snapshot, noise='lindblad')")
    print("clbits 0-1: first-round syndromes, 2-3: second-round syndromes (no reset between rounds), 4-6: data\n")
    print(tabulate(rows, headers=["clbit", "ideal", "DD", "flip rate measured", "predicted", "ratio", "circuits"],
                   tablefmt="simple"))
    print()
    rows = []
    for (job, dd), pairs in sorted(jobs.items()):
        m, p = np.mean(pairs, axis=0)
        rows.append([job, "yes" if dd else "no", f"{m:.3f}", f"{p:.3f}", f"{m / p:.2f}", f"{m - p:+.3f}", len(pairs)])
    print(tabulate(rows, headers=["job", "DD", "P(not the answer) measured", "predicted", "ratio", "excess",
                                  "circuits"], tablefmt="simple"))
    print()
    fe = error_by_family(circuits, {"datasheet twin": lambda c: preds[c.name]}, ideal=lambda c: ideals[c.name])
    print(fe.table(fmt="simple"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
