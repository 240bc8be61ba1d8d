"""The twin against real hardware: 8 ibm_hanoi repetition-code jobs (432 circuits, 100k shots each).

For every job the twin is built from the calibration snapshot archived with
that job (``DeviceProfile.from_ibm_properties``), and so is the baseline, Qiskit
Aer's ``NoiseModel.from_backend_properties``. Each circuit runs exactly as it
ran on the device (``transpile=False``: the scheduled physical instructions,
dynamical-decoupling pulses, mid-circuit measurements).

Printed per job: mean Hellinger distance to the measured counts and time per
circuit for
  * twin (lindblad): the exact distribution;
  * twin (aer level): exact distribution of Aer's gate-level model;
  * Aer from_backend_properties: sampled with --aer-shots shots (Aer cannot give
    exact distributions with mid-circuit measurements);
  * twin sampled with the same number of shots, and the shot-noise floor
    H(twin exact, twin sampled), so the sampled rows compare like with like.

Usage::

    python benchmarks/bench_repetition_codes.py                 # all 8 jobs (~10 min)
    python benchmarks/bench_repetition_codes.py --jobs 1 --circuits 6 --aer-shots 4000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qpu_twin import DeviceProfile, Twin  # noqa: E402
from qpu_twin.data import ibm_repetition_code_jobs  # noqa: E402
from qpu_twin.interop.aer import aer_noise_model_from_ibm_properties  # noqa: E402
from qpu_twin.metrics import hellinger, tvd  # noqa: E402


def run(jobs_limit: int | None, circuits_limit: int | None, aer_shots: int, seed: int) -> dict:
    from qiskit_aer import AerSimulator

    jobs = ibm_repetition_code_jobs()[:jobs_limit]
    rows, per_circuit = [], []
    for job in jobs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prof = DeviceProfile.from_ibm_properties(job.properties, job.configuration)
            twins = {"twin lindblad": Twin(prof), "twin aer-level": Twin(prof, noise="aer")}
            nm = aer_noise_model_from_ibm_properties(job.properties, job.configuration)
        sim = AerSimulator(noise_model=nm, seed_simulator=seed)
        acc: dict[str, dict[str, list]] = {}
        circuits = job.circuits[:circuits_limit]
        for hc in circuits:
            for label, twin in twins.items():
                t = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = twin.run(hc.circuit, transpile=False)
                dt = time.perf_counter() - t
                a = acc.setdefault(label, {"h": [], "tvd": [], "s": []})
                a["h"].append(hellinger(res.probabilities, hc.counts))
                a["tvd"].append(tvd(res.probabilities, hc.counts))
                a["s"].append(dt)
                if label == "twin lindblad":
                    sampled = twin.run(hc.circuit, transpile=False, shots=aer_shots, seed=seed).counts
                    b = acc.setdefault(f"twin lindblad sampled {aer_shots}", {"h": [], "tvd": [], "s": []})
                    b["h"].append(hellinger(sampled, hc.counts))
                    b["tvd"].append(tvd(sampled, hc.counts))
                    f = acc.setdefault(f"floor H(twin exact, twin {aer_shots} shots)", {"h": [], "tvd": [], "s": []})
                    f["h"].append(hellinger(res.probabilities, sampled))
                    f["tvd"].append(tvd(res.probabilities, sampled))
                    exact_twin = res.probabilities
            t = time.perf_counter()
            counts = sim.run(hc.circuit, shots=aer_shots).result().get_counts()
            dt = time.perf_counter() - t
            counts = {k.replace(" ", ""): v for k, v in counts.items()}
            a = acc.setdefault(f"Aer from_backend_properties {aer_shots} shots", {"h": [], "tvd": [], "s": []})
            a["h"].append(hellinger(counts, hc.counts))
            a["tvd"].append(tvd(counts, hc.counts))
            a["s"].append(dt)
            per_circuit.append({"circuit": hc.name, "twin_hellinger": hellinger(exact_twin, hc.counts),
                                "aer_hellinger": a["h"][-1]})
        for label, a in acc.items():
            rows.append({
                "job": job.job_id, "snapshot": job.properties.get("last_update_date"), "circuits": len(circuits),
                "model": label, "mean Hellinger": statistics.fmean(a["h"]), "mean TVD": statistics.fmean(a["tvd"]),
                "s / circuit": statistics.fmean(a["s"]) if a["s"] else None,
            })
        print(f"job {job.job_id}: done ({len(circuits)} circuits)", file=sys.stderr)
    summary = {}
    for r in rows:
        s = summary.setdefault(r["model"], {"h": [], "tvd": [], "s": [], "n": 0})
        s["h"].append(r["mean Hellinger"] * r["circuits"])
        s["tvd"].append(r["mean TVD"] * r["circuits"])
        s["n"] += r["circuits"]
        if r["s / circuit"] is not None:
            s["s"].append(r["s / circuit"] * r["circuits"])
    overall = [
        {"model": m, "circuits": s["n"], "mean Hellinger": sum(s["h"]) / s["n"], "mean TVD": sum(s["tvd"]) / s["n"],
         "s / circuit": (sum(s["s"]) / s["n"]) if s["s"] else None}
        for m, s in summary.items()
    ]
    return {"per_job": rows, "overall": overall, "per_circuit": per_circuit}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, help="only the first N jobs")
    ap.add_argument("--circuits", type=int, help="only the first N circuits of each job")
    ap.add_argument("--aer-shots", type=int, default=20_000, help="shots for Aer (default 20000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    out = run(args.jobs, args.circuits, args.aer_shots, args.seed)
    print(tabulate(out["per_job"], headers="keys", floatfmt=".4g"))
    print()
    print(tabulate(out["overall"], headers="keys", floatfmt=".4g"))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
