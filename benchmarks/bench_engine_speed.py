"""Speed of the Lindblad/density-matrix twin against the usual alternatives, in one run.

(a) GHZ-3 / GHZ-4 with T1 = 100 us, T2 = 80 us: the twin (``line5``) against
    qutip-qip's pulse-level processors (``LinearSpinChain``, ``SCQubits`` with
    2 and 3 transmon levels), with the GHZ state fidelities side by side.
(b) 10- and 12-qubit random circuits of depth 20 transpiled onto a line of
    operational qubits of ``ibm_sherbrooke``: the twin with ``noise="aer"``
    against Aer's ``density_matrix`` method with the exported noise model, on
    the same physical circuit.
(c) One real ibm_hanoi repetition-code circuit (mid-circuit measurements):
    the twin's exact distribution against Aer's 4000-shot sampling with
    ``NoiseModel.from_backend_properties`` of the same snapshot.

Usage::

    python benchmarks/bench_engine_speed.py            # everything (~5 min on 2 cores)
    python benchmarks/bench_engine_speed.py --quick    # small sizes, no 3-level SCQubits
    python benchmarks/bench_engine_speed.py --json out.json

Times are wall-clock seconds on this machine. "cold" = first run in a fresh
Twin (noise maps integrated), "warm" = median of repeated runs with the maps
cached.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qpu_twin import Twin, load_profile, to_aer_noise_model  # noqa: E402
from qpu_twin.circuit_library import ghz  # noqa: E402


def ghz_fidelity(rho: np.ndarray) -> float:
    d = rho.shape[0]
    v = np.zeros(d)
    v[0] = v[-1] = 2**-0.5
    return float(np.real(v @ rho @ v))


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# ---------------------------------------------------------------------- (a)
def part_a(quick: bool) -> list[dict]:
    from _qutip_qip_reference import qutip_qip_ghz

    rows = []
    for n in (3, 4):
        models = [("LinearSpinChain", 2), ("SCQubits", 2)] + ([] if quick else [("SCQubits", 3)])
        for model, levels in models:
            r = qutip_qip_ghz(n, model, t1_us=100.0, t2_us=80.0, **({"sc_levels": levels} if model == "SCQubits" else {}))
            rows.append({"n": n, "simulator": f"qutip-qip {model} ({levels}-level)", "seconds": r["seconds"],
                         "ghz_fidelity": r["fidelity"]})
        qc = ghz(n, measure=False)
        t = time.perf_counter()
        twin = Twin("line5")
        rho, _ = twin.density_matrix(qc, seed=1)
        cold = time.perf_counter() - t
        warm_tr = median_time(lambda: twin.density_matrix(qc, seed=1), 20)
        phys = twin.compile(qc, seed=1)
        warm_native = median_time(lambda: twin.density_matrix(phys, transpile=False), 50)
        fid = ghz_fidelity(rho.data)
        rows.append({"n": n, "simulator": "twin lindblad: cold (incl. Qiskit transpile, QuTiP maps)", "seconds": cold,
                     "ghz_fidelity": fid})
        rows.append({"n": n, "simulator": "twin lindblad: warm, incl. Qiskit transpile", "seconds": warm_tr,
                     "ghz_fidelity": fid})
        rows.append({"n": n, "simulator": "twin lindblad: warm, native circuit (schedule+noise+engine)",
                     "seconds": warm_native, "ghz_fidelity": fid})
    return rows


# ---------------------------------------------------------------------- (b)
def live_path(profile, n: int) -> list[int]:
    """A simple path of n operational qubits joined by operational two-qubit gates."""
    adj: dict[int, set[int]] = {}
    for g in profile.gates:
        if len(g.qubits) == 2 and g.operational:
            a, b = g.qubits
            if profile.qubit(a).operational and profile.qubit(b).operational:
                adj.setdefault(a, set()).add(b)
                adj.setdefault(b, set()).add(a)

    def dfs(path):
        if len(path) == n:
            return path
        for nb in sorted(adj.get(path[-1], ())):
            if nb not in path:
                found = dfs(path + [nb])
                if found:
                    return found
        return None

    for start in sorted(adj):
        p = dfs([start])
        if p:
            return p
    raise RuntimeError(f"no path of {n} live qubits")


def part_b(quick: bool) -> list[dict]:
    from qiskit.circuit.random import random_circuit
    from qiskit_aer import AerSimulator

    sherbrooke = load_profile("ibm_sherbrooke")
    rows = []
    sizes = [(6, 2), (8, 3)] if quick else [(10, 2), (12, 2), (10, 3), (12, 3)]
    for n, max_operands in sizes:  # max_operands: largest gate of the random circuit before transpilation
        path = live_path(sherbrooke, n)
        region = sherbrooke.restrict(path, name=f"ibm_sherbrooke_line{n}")
        qc = random_circuit(n, 20, max_operands=max_operands, measure=True, seed=1234)
        twin = Twin(region, noise="aer")
        phys = twin.compile(qc, seed=7)
        n_ops = sum(v for k, v in phys.count_ops().items() if k not in ("barrier",))
        t = time.perf_counter()
        res = twin.run(phys, transpile=False)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        res = twin.run(phys, transpile=False)
        warm = time.perf_counter() - t
        t = time.perf_counter()
        nm = to_aer_noise_model(region)
        aer_model_s = time.perf_counter() - t
        sim = AerSimulator(method="density_matrix", noise_model=nm, seed_simulator=1)
        t = time.perf_counter()
        counts = sim.run(phys, shots=1000).result().get_counts()
        aer_s = time.perf_counter() - t
        def tvd(c):
            return 0.5 * sum(abs(res.probabilities.get(k, 0.0) - c.get(k, 0) / 1000) for k in set(res.probabilities) | set(c))

        # shot-noise reference: the same statistic for 1000 samples of the twin's own distribution
        own = twin.run(phys, transpile=False, shots=1000, seed=3).counts
        rows.append({
            "n": n, "max_operands": max_operands, "physical qubits": str(path), "native ops": n_ops,
            "ecr": phys.count_ops().get("ecr", 0), "fused channels": res.metadata["num_channels"],
            "aer density_matrix s": aer_s, "aer NoiseModel build s": aer_model_s,
            "twin cold s": cold, "twin warm s": warm,
            "twin/aer (cold)": cold / aer_s, "TVD(twin exact, Aer 1000 shots)": tvd(counts),
            "TVD(twin exact, twin 1000 shots)": tvd(own),
        })
    return rows


# ---------------------------------------------------------------------- (c)
def part_c() -> list[dict]:
    from qiskit_aer import AerSimulator

    from qpu_twin import DeviceProfile
    from qpu_twin.data import ibm_repetition_code_jobs
    from qpu_twin.interop.aer import aer_noise_model_from_ibm_properties

    job = ibm_repetition_code_jobs()[0]
    hc = job.circuits[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prof = DeviceProfile.from_ibm_properties(job.properties, job.configuration)
    rows = []
    for level in ("lindblad", "aer"):
        t = time.perf_counter()
        twin = Twin(prof, noise=level)
        twin.run(hc.circuit, transpile=False)
        cold = time.perf_counter() - t
        warm = median_time(lambda: twin.run(hc.circuit, transpile=False), 10)
        rows.append({"model": f"twin {level}: exact distribution", "cold s": cold, "warm s": warm})
    nm = aer_noise_model_from_ibm_properties(job.properties, job.configuration)
    sim = AerSimulator(method="density_matrix", noise_model=nm, seed_simulator=1)
    t = time.perf_counter()
    sim.run(hc.circuit, shots=4000).result()
    aer = time.perf_counter() - t
    rows.append({"model": "Aer density_matrix, from_backend_properties, 4000 shots", "cold s": aer, "warm s": None})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, skip the 3-level SCQubits run")
    ap.add_argument("--json", metavar="PATH", help="also write the tables as JSON")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    out = {}
    print("(a) GHZ fidelity and time vs qutip-qip processors (T1=100 us, T2=80 us)")
    out["a"] = part_a(args.quick)
    print(tabulate(out["a"], headers="keys", floatfmt=".4g"))
    print("\n(b) random circuits, depth 20, on a line of ibm_sherbrooke, noise='aer' vs Aer density_matrix")
    out["b"] = part_b(args.quick)
    print(tabulate(out["b"], headers="keys", floatfmt=".4g"))
    print("\n(c) one ibm_hanoi repetition-code circuit (mid-circuit measurements)")
    out["c"] = part_c()
    print(tabulate(out["c"], headers="keys", floatfmt=".4g"))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
