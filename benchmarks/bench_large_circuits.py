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

(3) The new engines with full physics (idle + ZZ + readout): trajectories on MPS for
    P(0...0) + P(1...1) of GHZ-50 / GHZ-100 (exact per-trajectory values, standard
    error, truncation bound; ``--converge`` reruns with twice the bond and the
    trajectories), noisy Pauli propagation for all <Z_i> and <Z_i Z_{i+1}> (readout as
    an Estimator measures) of the 122-qubit HEA (bound; rerun at atol/10), and the
    MPDO next to the trajectories where the MPDO converges (ZZ off).
(4) Side by side at equal statistical error on P_ghz (GHZ-50, GHZ-100): Aer
    ``matrix_product_state`` with ``NoiseModel.from_backend(FakeSherbrooke())`` (one
    trajectory per shot, binomial error) against the trajectory engine at the same
    noise level (noise="aer") and with full physics; the time each needs for Aer's error.
(5) A 127-qubit, 5-layer kicked-Ising circuit (RX(theta) on all live qubits, RZZ(-pi/2)
    on every heavy-hex edge in 3 colour rounds) with full physics: the noisy <Z> averaged
    over qubits for 6 theta in [0, pi/2] by Pauli propagation, with its bound; checked
    against trajectories on a 50-qubit connected cut.

Every part prints ``uptime`` (the machine is shared: timings scale with its load).

Usage::

    python benchmarks/bench_large_circuits.py                # everything
    python benchmarks/bench_large_circuits.py --part 2       # only the Aer comparison
    python benchmarks/bench_large_circuits.py --max-bond 32  # faster, more truncation
    python benchmarks/bench_large_circuits.py --part 3 --trajectories 64 --traj-bond 64 --converge
    python benchmarks/bench_large_circuits.py --part 4 --aer-shots 200 --trajectories 64
    python benchmarks/bench_large_circuits.py --part 5 --atol 1e-4
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


def _uptime() -> str:
    try:
        import subprocess

        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception:  # noqa: BLE001 - informational only
        return "uptime unavailable"


def _ghz_traj(twin, compiled, n, *, trajectories, max_bond, batch_size, seed=1):
    """P(0..0)+P(1..1) from exact per-trajectory values: (estimate, stderr, truncation bound, seconds, stats)."""
    t = time.perf_counter()
    res = twin.run(compiled, transpile=False, seed=seed, engine="trajectories")
    seconds = time.perf_counter() - t
    st = res.state
    est, se = st.combine({"0" * n: 1.0, "1" * n: 1.0})
    es = res.metadata["engine_stats"]
    return est, se, res.truncation_error, seconds, es


def _traj_twin(noise, n, trajectories, max_bond, batch_size):
    return Twin(DEVICE, noise=noise, engine="trajectories",
                engine_options={"trajectories": trajectories, "max_bond": max_bond, "batch_size": batch_size,
                                "bitstrings": ["0" * n, "1" * n], "cutoff": 1e-10, "progress": False,
                                "max_enumerate": 0})


def part3(trajectories: int, max_bond: int, batch_size: int, converge: bool, atol: float,
          ghz=(50, 100), hea_max_obs: int | None = None) -> list[dict]:
    """New engines with full physics: GHZ by trajectories, HEA observables by Pauli propagation."""
    rows = []
    for label, n in ((f"GHZ-{k}", k) for k in ghz):
        compiled = Twin(DEVICE).compile(ghz_on_device(DEVICE, n), seed=1)
        settings = [("lindblad (idle + ZZ)", "lindblad"), ("lindblad, ZZ off", {"level": "lindblad", "zz": False})]
        for noise_label, noise in settings:
            runs = [(trajectories, max_bond)] + ([(2 * trajectories, 2 * max_bond)] if converge else [])
            prev = None
            for nt, mb in runs:
                twin = _traj_twin(noise, n, nt, mb, batch_size)
                t = time.perf_counter()
                est, se, trunc, sec, es = _ghz_traj(twin, compiled, n, trajectories=nt, max_bond=mb,
                                                    batch_size=batch_size)
                row = {"circuit": label, "noise": noise_label, "engine": "trajectories", "trajectories": nt,
                       "max_bond": mb, "seconds (incl. noise maps)": time.perf_counter() - t,
                       "P_ghz": est, "stderr": se, "truncation bound": trunc, "stated error (se + bound)": se + trunc,
                       "max bond seen": es["max_bond_dimension"], "jumps/trajectory": es["jumps_mean"],
                       "uptime": _uptime()}
                if prev is not None:
                    row["moved vs previous"] = abs(est - prev)
                prev = est
                rows.append(row)
                print(tabulate([row], headers="keys", floatfmt=".4g"), flush=True)
    # HEA: all <Z_i>, <Z_i Z_i+1> by Pauli propagation (full physics, readout as an Estimator measures)
    twin = Twin(DEVICE)
    hea = hardware_efficient(DEVICE, 2, seed=1, measure=False)
    compiled = twin.compile(hea, seed=1)
    nq = len(compiled.layout.final_index_layout()) if compiled.layout is not None else hea.num_qubits
    live = sorted({q for inst in hea.data for q in (hea.find_bit(b).index for b in inst.qubits)})
    obs = []
    for i, q in enumerate(live):
        obs.append(_label(hea.num_qubits, {q: "Z"}))
        if i + 1 < len(live):
            obs.append(_label(hea.num_qubits, {q: "Z", live[i + 1]: "Z"}))
    del nq
    if hea_max_obs is not None:
        obs = obs[:hea_max_obs]
    from qiskit.quantum_info import SparsePauliOp

    obs = [SparsePauliOp(o).apply_layout(compiled.layout) for o in obs]  # onto the compiled physical qubits
    for a in (atol, atol / 10) if converge else (atol,):
        t = time.perf_counter()
        r = twin.expectation(compiled, obs, transpile=False, engine="pauli_propagation", atol=a)
        sec = time.perf_counter() - t
        row = {"circuit": "HEA 2 layers, 122 qubits", "noise": "lindblad (idle + ZZ + readout)",
               "engine": "pauli_propagation", "atol": a, "observables": len(obs), "seconds (incl. noise maps)": sec,
               "mean <Z_i>": float(np.mean(r.values[0::2])), "mean <Z_i Z_i+1>": float(np.mean(r.values[1::2])),
               "max bound": float(r.bound.max()), "mean bound": float(r.bound.mean()),
               "max terms": max(r.metadata["engine_stats"]["max_terms"]), "uptime": _uptime()}
        if a != atol:
            row["max |moved| vs atol*10"] = float(np.max(np.abs(r.values - first)))
        else:
            first = r.values
        rows.append(row)
        print(tabulate([row], headers="keys", floatfmt=".4g"), flush=True)
    return rows


def _label(num_qubits: int, paulis: dict[int, str]) -> str:
    s = ["I"] * num_qubits
    for q, p in paulis.items():
        s[num_qubits - 1 - q] = p
    return "".join(s)


def part4(trajectories: int, max_bond: int, batch_size: int, aer_shots: int) -> list[dict]:
    """Equal statistical error on P_ghz: Aer MPS (a trajectory per shot) vs the trajectory engine."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke

    nm = NoiseModel.from_backend(FakeSherbrooke())
    rows = []
    for n in (50, 100):
        compiled = Twin(DEVICE).compile(ghz_on_device(DEVICE, n), seed=1)
        sim = AerSimulator(method="matrix_product_state", noise_model=nm, seed_simulator=1)
        t = time.perf_counter()
        counts = sim.run(compiled, shots=aer_shots).result().get_counts()
        t_aer = time.perf_counter() - t
        f = (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / aer_shots
        sig = float(np.sqrt(max(f * (1 - f), 1.0 / aer_shots) / aer_shots))
        rows.append({"circuit": f"GHZ-{n}", "simulator": "Aer matrix_product_state, from_backend(FakeSherbrooke())",
                     "noise": "gate depolarizing + thermal relaxation on gates, readout (no idle, no ZZ)",
                     "samples": aer_shots, "seconds": t_aer, "P_ghz": f, "stderr": sig,
                     "seconds for Aer's stderr": t_aer, "uptime": _uptime()})
        print(tabulate([rows[-1]], headers="keys", floatfmt=".4g"), flush=True)
        for noise, noise_label in (("aer", "twin noise='aer' (the same model as Aer)"),):
            # full physics (idle + ZZ) is in part 3: at bond 64 it costs ~100x more per trajectory
            nt = trajectories
            twin = _traj_twin(noise, n, nt, max_bond, batch_size)
            twin.program(compiled, transpile=False)  # noise maps built outside the timing (Aer's model too)
            est, se, trunc, sec, es = _ghz_traj(twin, compiled, n, trajectories=nt, max_bond=max_bond,
                                                batch_size=batch_size)
            need = sec * (se / sig) ** 2 if sig > 0 else float("nan")  # cost is linear in trajectories
            rows.append({"circuit": f"GHZ-{n}", "simulator": "twin trajectories", "noise": noise_label,
                         "samples": nt, "seconds": sec, "P_ghz": est, "stderr": se, "truncation bound": trunc,
                         "seconds for Aer's stderr": need, "speed-up vs Aer at equal stderr": t_aer / need,
                         "max bond seen": es["max_bond_dimension"], "uptime": _uptime()})
            print(tabulate([rows[-1]], headers="keys", floatfmt=".4g"), flush=True)
    return rows


def kicked_ising(layers: int, theta: float, qubits=None):
    """RX(theta) on all (given) live qubits, then RZZ(-pi/2) on every live edge among them, in colour rounds."""
    from qiskit import QuantumCircuit

    from qpu_twin import load_profile
    from qpu_twin.circuit_library import edge_rounds, live_graph

    adj = live_graph(load_profile(DEVICE))
    qs = sorted(adj) if qubits is None else sorted(qubits)
    sel = set(qs)
    edges = sorted({tuple(sorted((a, b))) for a in qs for b in adj[a] if b in sel})
    rounds = edge_rounds(edges)
    qc = QuantumCircuit(load_profile(DEVICE).num_qubits)
    for _ in range(layers):
        for q in qs:
            qc.rx(theta, q)
        for r in rounds:
            for a, b in r:
                qc.rzz(-np.pi / 2, a, b)
    return qc, qs


def part5(atol: float, trajectories: int, max_bond: int, batch_size: int, check_points: int) -> list[dict]:
    """127-qubit kicked Ising, 5 layers: mean <Z> by Pauli propagation, checked by trajectories on 50 qubits.

    The mean over qubits is one observable, (1/n) sum_q Z_q, propagated once. Its stated error is the
    change when atol is divided by 10 (convergence); the rigorous bound (sum of dropped |c|) is printed too.
    """
    from qiskit.quantum_info import SparsePauliOp

    from qpu_twin import load_profile
    from qpu_twin.circuit_library import _bfs, live_graph

    rows = []
    twin = Twin(DEVICE)
    thetas = np.linspace(0, np.pi / 2, 6)
    adj = live_graph(load_profile(DEVICE))
    root = sorted(adj)[len(adj) // 2]
    dist = _bfs(adj, root)
    cut = sorted(sorted(dist, key=lambda q: (dist[q], q))[:50])
    checks = 0
    for theta in thetas:
        for label, qubits in (("127 qubits (all live)", None), ("50-qubit cut", cut)):
            if qubits is not None and checks >= check_points:
                continue
            qc, qs = kicked_ising(5, float(theta), qubits)
            t = time.perf_counter()
            compiled = twin.compile(qc, transpile="physical", seed=1)
            mean_z = SparsePauliOp([_label(qc.num_qubits, {q: "Z"}) for q in qs], np.full(len(qs), 1.0 / len(qs)))
            r = twin.expectation(compiled, mean_z, transpile=False, engine="pauli_propagation", atol=atol)
            sec = time.perf_counter() - t
            t = time.perf_counter()
            r10 = twin.expectation(compiled, mean_z, transpile=False, engine="pauli_propagation", atol=atol / 10)
            sec10 = time.perf_counter() - t
            moved = abs(float(r10.values[0] - r.values[0]))
            row = {"circuit": f"kicked Ising 5 layers, {label}", "theta": float(theta), "engine": "pauli_propagation",
                   "atol": atol / 10, "mean <Z>": float(r10.values[0]), "stated error (moved vs atol*10)": moved,
                   "rigorous bound": float(r10.bound[0]), "max terms": r10.metadata["engine_stats"]["max_terms"][0],
                   "seconds (atol, incl. noise maps)": sec, "seconds (atol/10)": sec10, "uptime": _uptime()}
            rows.append(row)
            print(tabulate([row], headers="keys", floatfmt=".4g"), flush=True)
            if qubits is not None:
                checks += 1
                t = time.perf_counter()
                obs = [_label(qc.num_qubits, {q: "Z"}) for q in qs]
                rt = twin.expectation(compiled, [mean_z], transpile=False, engine="trajectories", seed=1,
                                      engine_options={"trajectories": trajectories, "max_bond": max_bond,
                                                      "batch_size": batch_size, "cutoff": 1e-10, "progress": False})
                del obs
                sec = time.perf_counter() - t
                row = {"circuit": f"kicked Ising 5 layers, {label}", "theta": float(theta), "engine": "trajectories",
                       "trajectories": trajectories, "max_bond": max_bond, "mean <Z>": float(rt.values[0]),
                       "stderr": float(rt.stderr[0]), "truncation bound (x2)": float(rt.bound[0]),
                       "|traj - pauli_prop|": abs(float(rt.values[0]) - float(r10.values[0])),
                       "seconds (incl. noise maps)": sec, "uptime": _uptime()}
                rows.append(row)
                print(tabulate([row], headers="keys", floatfmt=".4g"), flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", type=int, choices=[1, 2, 3, 4, 5])
    ap.add_argument("--trajectories", type=int, default=64, help="trajectories (parts 3-5, default 64)")
    ap.add_argument("--traj-bond", type=int, default=64, help="trajectory bond cap (parts 3-5, default 64)")
    ap.add_argument("--batch-size", type=int, default=16, help="trajectories per batch (default 16)")
    ap.add_argument("--converge", action="store_true", help="part 3: rerun at 2x bond and trajectories, atol/10")
    ap.add_argument("--atol", type=float, default=1e-4, help="Pauli-propagation coefficient cut (default 1e-4)")
    ap.add_argument("--aer-shots", type=int, default=200, help="part 4: Aer shots (default 200)")
    ap.add_argument("--ghz", type=int, nargs="*", default=[50, 100], help="part 3: GHZ sizes (default 50 100)")
    ap.add_argument("--hea-max-obs", type=int, default=None, help="part 3: only the first N HEA observables")
    ap.add_argument("--check-points", type=int, default=2, help="part 5: theta points checked on the 50-qubit cut")
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
    if args.part in (None, 3):
        print(f"\n(3) new engines, full physics, {_uptime()}")
        out["3"] = part3(args.trajectories, args.traj_bond, args.batch_size, args.converge, args.atol,
                         ghz=tuple(args.ghz), hea_max_obs=args.hea_max_obs)
        print(tabulate(out["3"], headers="keys", floatfmt=".4g"))
    if args.part in (None, 4):
        print(f"\n(4) equal statistical error on P_ghz: Aer MPS vs trajectories, {_uptime()}")
        out["4"] = part4(args.trajectories, args.traj_bond, args.batch_size, args.aer_shots)
        print(tabulate(out["4"], headers="keys", floatfmt=".4g"))
    if args.part in (None, 5):
        print(f"\n(5) 127-qubit kicked Ising, 5 layers, full physics, {_uptime()}")
        out["5"] = part5(args.atol, args.trajectories, args.traj_bond, args.batch_size, args.check_points)
        print(tabulate(out["5"], headers="keys", floatfmt=".4g"))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
