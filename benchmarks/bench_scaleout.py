"""Scale-out (issue #16): the ibm_hanoi benchmark and fit serially, on 2 local processes and on 2 Dask workers.

    python benchmarks/bench_scaleout.py            # the full benchmark (432 circuits) and the full fit (as `qpu-twin fit`)
    python benchmarks/bench_scaleout.py --quick    # 8 benchmark circuits, a 6-circuit fit with one sweep
    python benchmarks/bench_scaleout.py --max-circuits 40 --fit-max-circuits 20 --sweeps 1

Prints, per workload and executor: wall time (workers started and warmed up
beforehand; their start-up time is printed separately), speed-up over serial
and over serial with one thread (``qpu_twin.parallel.thread_limit(1)``: the
serial run itself uses several cores through Aer's OpenMP and BLAS threads,
which bounds what one-thread workers can gain; the bound is printed), the
cores the serial runs used (CPU seconds / wall seconds),
whether the numbers equal the serial run's bit for bit, and the peak RSS of
every worker process (``VmHWM``, :func:`qpu_twin.parallel.worker_stats`). Then the overhead
of a one-circuit task on the Dask cluster (``Twin.run([qc], executor=...)``
minus the serial run of the same circuit, warm caches, median of repeats).
Each workload gets fresh workers, so a worker's peak RSS is that workload's.
The machine load (``os.getloadavg``) is printed with the figures: on a shared
machine the speed-up says little about an idle one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tabulate import tabulate  # noqa: E402

from qpu_twin.parallel import local_process_pool, thread_limit, worker_stats  # noqa: E402

DATASET = "calibration_data/ibm_repetition_codes_2022"


def _probe(_):
    time.sleep(0.3)  # long enough that every worker gets one
    import qpu_twin.twin  # noqa: F401 - warms the worker: imports (and numba's cache) paid before timing

    return worker_stats()


def _worker_rss(executor, n: int) -> dict[str, float]:
    """Peak RSS (MiB) of each worker process (probe tasks, several per worker)."""
    out: dict[str, float] = {}
    for fut in [executor.submit(_probe, i) for i in range(4 * n)]:
        st = fut.result()
        out[st["worker"]] = max(out.get(st["worker"], 0.0), st["peak_rss_mib"])
    return out


class Executors:
    """Fresh executors per workload: serial, a 2-process spawn pool, a 2-worker Dask LocalCluster."""

    def __init__(self, workers: int):
        self.n = workers

    def make(self, kind: str):
        t0 = time.perf_counter()
        if kind in ("serial", "serial1"):
            return None, None, 0.0
        if kind == "pool":
            ex = local_process_pool(self.n)
            _worker_rss(ex, self.n)
            return ex, ex.shutdown, time.perf_counter() - t0
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=self.n, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        ex = client.get_executor()
        _worker_rss(ex, self.n)

        def close():
            client.close()
            cluster.close()

        return ex, close, time.perf_counter() - t0


def _bench(ds, resamples, executor):
    from qpu_twin.benchmark import run_benchmark

    rep = run_benchmark(ds, resamples=resamples, executor=executor, progress=False)
    numbers = json.dumps([rep.circuits, {m: {k: v for k, v in e.items() if "seconds" not in k}
                                         for m, e in rep.models.items()}], sort_keys=True, default=str)
    return numbers, rep.models["twin_lindblad"]["mean_hellinger"]


def _fit(ds, sweeps, kinds, executor):
    from qpu_twin.fit.heldout import fit_and_evaluate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = fit_and_evaluate(ds, kinds=kinds, sweeps=sweeps, executor=executor)
    numbers = json.dumps([rep.fit.table(), rep.fit.history, rep.heldout], sort_keys=True, default=str)
    return numbers, rep.heldout["fitted_twin"]["mean_hellinger"]


def _overhead(executors: Executors, repeats: int) -> tuple[float, float, float]:
    """(serial s, Dask s, Dask - serial s) of a warm one-circuit Twin.run, medians of ``repeats``."""
    from qiskit import QuantumCircuit

    from qpu_twin import Twin

    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    twin = Twin("ibm_hanoi")
    ex, close, _ = executors.make("dask")
    try:
        twin.run([qc], shots=100, seed=1)
        for _ in range(2 * executors.n):  # every worker has the twin and its maps
            twin.run([qc], shots=100, seed=1, executor=ex)
        ser, dsk = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            a = twin.run([qc], shots=100, seed=1)
            ser.append(time.perf_counter() - t)
            t = time.perf_counter()
            b = twin.run([qc], shots=100, seed=1, executor=ex)
            dsk.append(time.perf_counter() - t)
            assert a[0].counts == b[0].counts
    finally:
        close()
    s, d = statistics.median(ser), statistics.median(dsk)
    return s, d, d - s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="8 benchmark circuits, a 6-circuit fit with one sweep")
    ap.add_argument("--max-circuits", type=int, help="benchmark only the first N circuits (default: all 432)")
    ap.add_argument("--fit-max-circuits", type=int, help="fit on a split of the first N circuits (default: all)")
    ap.add_argument("--sweeps", type=int, default=2, help="fit sweeps (default 2, as qpu-twin fit)")
    ap.add_argument("--kinds", default="p10,p01,gate_error", help="fit parameter kinds (as qpu-twin fit)")
    ap.add_argument("--resamples", type=int, default=200, help="bootstrap resamples (default 200, as qpu-twin bench)")
    ap.add_argument("--workers", type=int, default=2, help="local processes / Dask workers (default 2)")
    ap.add_argument("--skip", default="", help="comma-separated workloads to skip: bench,fit,overhead")
    args = ap.parse_args(argv)
    if args.quick:
        args.max_circuits = args.max_circuits or 8
        args.fit_max_circuits = args.fit_max_circuits or 6
        args.sweeps = 1
        args.resamples = min(args.resamples, 50)
    from qpu_twin.data import load_dataset

    ds_all = load_dataset(DATASET)
    skip = set(filter(None, args.skip.split(",")))
    executors = Executors(args.workers)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    workloads = []
    if "bench" not in skip:
        ds = ds_all.subset(args.max_circuits)
        workloads.append((f"bench ({len(ds.circuits)} circuits, {args.resamples} resamples)",
                          lambda ex, ds=ds: _bench(ds, args.resamples, ex)))
    if "fit" not in skip:
        ds = ds_all.subset(args.fit_max_circuits)
        workloads.append((f"fit ({len(ds.circuits)} circuits, {','.join(kinds)}, {args.sweeps} sweep(s))",
                          lambda ex, ds=ds: _fit(ds, args.sweeps, kinds, ex)))
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}", flush=True)
    rows, rss_rows, bounds = [], [], []
    for label, work in workloads:
        base = one = None
        for kind, name in (("serial", "serial"), ("serial1", "serial, 1 thread"),
                           ("pool", f"{args.workers} local processes"), ("dask", f"{args.workers} Dask workers")):
            ex, close, startup = executors.make(kind)
            load0 = os.getloadavg()[0]
            cpu0 = os.times()
            t = time.perf_counter()
            try:
                with thread_limit(1) if kind == "serial1" else contextlib.nullcontext():
                    numbers, metric = work(ex)
                seconds = time.perf_counter() - t
                cpu1 = os.times()
                rss = _worker_rss(ex, args.workers) if ex is not None else {"main": worker_stats()["peak_rss_mib"]}
            finally:
                if close is not None:
                    close()
            cores = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / seconds if ex is None else float("nan")
            if base is None:
                base = (numbers, seconds)
            if kind == "serial1":
                one = seconds
            rows.append([label, name, f"{seconds:.1f}", f"{base[1] / seconds:.2f}x",
                         f"{one / seconds:.2f}x" if one else "", f"{cores:.2f}" if ex is None else "",
                         f"{startup:.1f}", "yes" if numbers == base[0] else "NO", f"{metric:.5f}",
                         f"{load0:.1f} / {os.getloadavg()[0]:.1f}"])
            for w, mib in sorted(rss.items()):
                rss_rows.append([label, name, w, f"{mib:.0f}"])
            print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
        bounds.append([label, f"{base[1]:.1f}", f"{one:.1f}", f"{one / base[1]:.2f}x",
                       f"{args.workers * base[1] / one:.2f}x"])
    print()
    print(tabulate(rows, headers=["workload", "executor", "wall s", "speed-up", "over 1 thread", "cores used",
                                  "start-up s", "= serial", "twin Hellinger", "load avg (start / end)"],
                   tablefmt="github"))
    print()
    print("The serial run is itself multi-threaded (Aer's OpenMP shots, BLAS): N one-thread workers can be at most")
    print("N x (serial wall / one-thread serial wall) faster than it, whatever the executor.")
    print(tabulate(bounds, headers=["workload", "serial s", "serial 1 thread s", "threads gain serially",
                                    f"bound for {args.workers} one-thread workers"], tablefmt="github"))
    print()
    print(tabulate(rss_rows, headers=["workload", "executor", "process", "peak RSS MiB"], tablefmt="github"))
    if "overhead" not in skip:
        s, d, o = _overhead(executors, repeats=9)
        print()
        print(tabulate([[f"{s * 1e3:.1f}", f"{d * 1e3:.1f}", f"{o * 1e3:.1f}"]],
                       headers=["1-circuit Twin.run serial ms", f"on {args.workers} Dask workers ms",
                                "per-task overhead ms"], tablefmt="github"))
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
