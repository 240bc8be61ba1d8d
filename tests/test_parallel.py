"""Issue #16: one executor for runs, benchmarks, fits (qpu_twin.parallel and its users).

Fast (default run): the task machinery on thread pools and fake executors (order,
resubmission of tasks whose worker died, the error naming the failed ones, no report
after a failed benchmark, also through the CLI), bit-identical results of a 2-process
spawn pool on tiny line5 cases, and the local Dask cluster example of docs/scale-out.md.

Slow (``-m slow``): must-show 1 on the shipped ibm_hanoi dataset (serial, a 2-process
pool and a real Dask cluster started here: ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1 over TCP), and must-show 2 (a Dask worker killed mid-benchmark).
"""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

from qpu_twin.errors import ArgumentError, BenchmarkError
from qpu_twin.parallel import map_tasks, worker_lost

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cli"))  # the synthetic line5 datasets


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ------------------------------------------------------------------ the machinery (fast, no processes)
class KilledWorker(Exception):
    """Named like Dask's: map_tasks reads it as a lost worker."""


def _square_slow(x):
    time.sleep(0.02 * (5 - x % 5))  # later tasks finish first
    return x * x


def test_results_come_back_in_submission_order():
    seen = []
    with cf.ThreadPoolExecutor(4) as ex:
        out = map_tasks(_square_slow, range(10), executor=ex, on_result=lambda i, v: seen.append(i))
    assert out == [x * x for x in range(10)]
    assert sorted(seen) == list(range(10)) and seen != list(range(10))  # completion order is not submission order
    assert map_tasks(_square_slow, range(3)) == [0, 1, 4]  # serial


class FlakyExecutor(cf.Executor):
    """Runs tasks inline; the first ``fail[i]`` attempts of task i die as if their worker was killed."""

    def __init__(self, fail):
        self.fail = dict(fail)
        self.calls: dict = {}

    def submit(self, fn, *args):
        fut = cf.Future()
        task = args[1]
        n = self.calls[task] = self.calls.get(task, 0) + 1
        if n <= self.fail.get(task, 0):
            fut.set_exception(KilledWorker(f"worker tcp://127.0.0.1:1 died running task {task}"))
        else:
            fut.set_result(fn(*args))
        return fut


def _ident(x):
    return x


def test_a_task_whose_worker_died_is_resubmitted_and_counted_once():
    ex = FlakyExecutor({1: 1, 3: 2})
    stats: dict = {}
    assert map_tasks(_ident, [0, 1, 2, 3], executor=ex, retries=2, stats=stats) == [0, 1, 2, 3]
    assert ex.calls == {0: 1, 1: 2, 2: 1, 3: 3}
    assert sum(w["tasks"] for w in stats.values()) == 4 and all(w["peak_rss_mib"] > 0 for w in stats.values())


def test_tasks_that_keep_failing_are_named_in_the_error():
    ex = FlakyExecutor({1: 5, 2: 5})
    with pytest.raises(BenchmarkError, match=r"bench: 2 of 4 tasks failed.*KilledWorker.*: b, c$"):
        map_tasks(_ident, [0, 1, 2, 3], executor=ex, retries=1, error=BenchmarkError, desc="bench",
                  names=["a", "b", "c", "d"])
    assert ex.calls[1] == 2  # one retry


def _boom(x):
    if x == 2:
        raise ValueError("task 2 is wrong")
    return x


def test_an_error_of_the_task_itself_is_not_retried():
    with cf.ThreadPoolExecutor(2) as ex, pytest.raises(ValueError, match="task 2 is wrong"):
        map_tasks(_boom, range(4), executor=ex)
    assert worker_lost(BrokenProcessPool()) and worker_lost(KilledWorker())
    assert not worker_lost(ValueError())


def test_executor_argument_is_checked():
    from qpu_twin import Twin

    with pytest.raises(ArgumentError, match=r"executor=4: must be None \(serial\) or a concurrent.futures.Executor"):
        Twin("line5").run([], executor=4)
    with pytest.raises(ArgumentError, match="executor"):
        map_tasks(_ident, [1], executor="dask")


# ------------------------------------------------------------------ a failed benchmark writes nothing (fast)
def _line5_dataset(n=3):
    from _synthetic import circuits, measured

    from qpu_twin import load_profile
    from qpu_twin.data import HardwareDataset

    data = measured(load_profile("line5"), circuits(n), shots=2000, seed=3)
    return HardwareDataset("synthetic_line5", "line5", "2024-01-01", tuple(data), {"line5": load_profile("line5")})


class DeadPool(cf.Executor):
    """Every task of circuit ``c1`` dies with its worker; the others run inline."""

    def submit(self, fn, *args):
        fut = cf.Future()
        if args[1][0]["name"] == "c1":
            fut.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        else:
            fut.set_result(fn(*args))
        return fut


def test_failed_benchmark_names_the_missing_circuit_and_keeps_the_finished_ones(tmp_path):
    from qpu_twin.benchmark import default_models, run_benchmark

    ds = _line5_dataset(3)
    ckpt = tmp_path / "bench.ckpt.json"
    with pytest.raises(BenchmarkError, match=r"1 of 3 tasks failed.*BrokenProcessPool.*: c1; the 1 circuit\(s\) "
                                             r"finished before"):
        run_benchmark(ds, default_models(ds, include=["ideal"]), resamples=5, executor=DeadPool(),
                      checkpoint=ckpt)
    saved = json.loads(ckpt.read_text())
    assert [r["row"]["circuit"] for r in saved["records"]] == ["c0"]  # a prefix: c2 finished but waits for c1


def test_cli_bench_whose_worker_died_writes_no_report(tmp_path, monkeypatch, capsys):
    import contextlib

    from _synthetic import dataset

    from qpu_twin.cli import bench, main

    folder = dataset(tmp_path / "ds", list(_line5_dataset(3).circuits))
    monkeypatch.chdir(tmp_path)

    @contextlib.contextmanager
    def fake(workers, dask_scheduler):
        assert workers == 2
        yield DeadPool()

    monkeypatch.setattr(bench, "executor_from_cli", fake)
    rc = main(["bench", str(folder), "--models", "ideal", "--resamples", "5", "--workers", "2", "--report",
               str(tmp_path / "report")])
    err = capsys.readouterr().err
    assert rc == 1 and re.search(r"^error: .*1 of 3 tasks failed.*: c1;", err, re.M), err
    assert not (tmp_path / "report").exists()


# ------------------------------------------------------------------ a 2-process pool (fast: tiny line5 cases)
@pytest.fixture(scope="module")
def pool():
    from qpu_twin.parallel import local_process_pool

    with local_process_pool(2) as ex:  # what --workers 2 makes
        yield ex


def test_local_pool_workers_share_out_the_cores(pool):
    import os

    from qpu_twin.parallel import worker_threads

    want = max(1, (os.cpu_count() or 1) // 2)
    assert worker_threads() is None  # this process is no worker: libraries keep their defaults
    assert pool.submit(worker_threads).result() == want
    # numpy's BLAS, loaded in the worker after it started (eval: a builtin, so it pickles)
    info = pool.submit(eval, "__import__('numpy') and __import__('threadpoolctl').threadpool_info()").result()
    blas = [lib["num_threads"] for lib in info if lib["user_api"] == "blas"]
    assert blas and all(n == want for n in blas)


def test_thread_limit_limits_this_process_for_one_block_and_restores_it():
    import os

    import numpy  # noqa: F401 - its BLAS is loaded, so threadpoolctl sees it
    from threadpoolctl import threadpool_info

    from qpu_twin.errors import ArgumentError
    from qpu_twin.parallel import thread_limit, worker_threads

    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before, env = blas_threads(), os.environ.get("OMP_NUM_THREADS")
    with thread_limit(1):
        assert worker_threads() == 1  # what Aer's max_parallel_threads is given
        assert blas_threads() and all(n == 1 for n in blas_threads())
        assert os.environ["OMP_NUM_THREADS"] == "1"
    assert worker_threads() is None
    assert blas_threads() == before
    assert os.environ.get("OMP_NUM_THREADS") == env
    with pytest.raises(ArgumentError, match="threads"):
        with thread_limit(0):
            pass


def _circuits_with_delays():
    from qiskit import QuantumCircuit

    out = []
    for n, t in ((2, 1.5), (3, 4.0), (4, 0.0)):
        qc = QuantumCircuit(n, n)
        qc.h(0)
        for i in range(n - 1):
            qc.cx(i, i + 1)
        if t:
            qc.delay(t, 0, unit="us")  # QPY would load it as dt: these are pickled
        qc.measure(range(n), range(n))
        out.append(qc)
    return out


def test_twin_run_and_backend_on_a_pool_equal_serial(pool):
    from qpu_twin import Twin, TwinBackend

    circs = _circuits_with_delays()
    twin = Twin("line5")
    serial = twin.run(circs, shots=1000, seed=7)
    par = twin.run(circs, shots=1000, seed=7, executor=pool)
    assert [r.probabilities for r in par] == [r.probabilities for r in serial]
    assert [r.counts for r in par] == [r.counts for r in serial]
    assert [r.metadata["seed_spawn_key"] for r in par] == [r.metadata["seed_spawn_key"] for r in serial]
    backend = TwinBackend(twin, seed=3)
    a = backend.run(circs, shots=500, memory=True).result()
    b = backend.run(circs, shots=500, memory=True, executor=pool).result()
    assert [a.get_counts(i) for i in range(3)] == [b.get_counts(i) for i in range(3)]
    assert [a.get_memory(i) for i in range(3)] == [b.get_memory(i) for i in range(3)]


def test_benchmark_and_fit_on_a_pool_equal_serial(pool):
    from qpu_twin.benchmark import default_models, run_benchmark
    from qpu_twin.fit import fit_twin

    ds = _line5_dataset(2)

    def bench(executor):
        rep = run_benchmark(ds, default_models(ds, include=["ideal", "twin_lindblad"]), resamples=20,
                            executor=executor)
        return rep.circuits, {m: {k: v for k, v in e.items() if "seconds" not in k} for m, e in rep.models.items()}

    assert bench(pool) == bench(None)
    kw = dict(kinds=["p10", "gate_error"], sweeps=1, evals=3)
    a = fit_twin("line5", list(ds.circuits), **kw)
    b = fit_twin("line5", list(ds.circuits), executor=pool, **kw)
    assert [(p.label, p.value, p.stderr, p.at_bound) for p in a.parameters] == \
        [(p.label, p.value, p.stderr, p.at_bound) for p in b.parameters]
    assert a.history == b.history and a.profile.fingerprint == b.profile.fingerprint


def test_prediction_intervals_and_calibration_on_a_pool_equal_serial(pool):
    import numpy as np

    from qpu_twin import Twin, load_profile
    from qpu_twin.calibration import design_experiment
    from qpu_twin.fit import FitParameter, predict_with_uncertainty

    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 2)  # native and physical (predict_with_uncertainty runs it untranspiled)
    qc.sx(0)
    qc.cx(0, 1)
    qc.delay(1.0, 1, unit="us")
    qc.measure([0, 1], [0, 1])
    post = [FitParameter("t1_us", (0,), 100.0, 20.0), FitParameter("gate_error", ("cx", (0, 1)), 0.01, 0.004)]
    a = predict_with_uncertainty("line5", qc, post, shots=1000, samples=6, seed=5)
    b = predict_with_uncertainty("line5", qc, post, shots=1000, samples=6, seed=5, executor=pool)
    assert a.mean == b.mean and np.array_equal(a.samples, b.samples)
    twin = Twin("line5")
    exp = design_experiment("t1", load_profile("line5"), [0], seed=2)
    da, db = exp.run(twin, shots=300, seed=2), exp.run(twin, shots=300, seed=2, executor=pool)
    assert np.array_equal(da.k, db.k) and np.array_equal(da.x, db.x)


# ------------------------------------------------------------------ the docs' local-cluster example (fast)
def test_docs_local_cluster_example_runs():
    pytest.importorskip("distributed")
    text = (ROOT / "docs" / "scale-out.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    example = next(b for b in blocks if "LocalCluster" in b)
    ns: dict = {}
    exec(compile(example, "docs/scale-out.md", "exec"), ns)  # noqa: S102 - our own docs
    assert len(ns["distributed"]) == 3 and all(sum(r.counts.values()) == 1000 for r in ns["distributed"])
    assert [r.counts for r in ns["distributed"]] == [r.counts for r in ns["serial"]]


# ------------------------------------------------------------------ a real Dask cluster of processes (slow)
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskCluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (TCP), each in its own process group."""

    def __init__(self, n_workers: int = 2):
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        script = Path(sys.executable).with_name("dask")  # the `dask` command of this environment
        cli = ([str(script)], [str(script)]) if script.exists() else \
            ([sys.executable, "-m", "distributed.cli.dask_scheduler"], [sys.executable, "-m", "distributed.cli.dask_worker"])
        scheduler = [*cli[0], "scheduler"] if script.exists() else cli[0]
        worker = [*cli[1], "worker"] if script.exists() else cli[1]
        self.scheduler = self._start([*scheduler, "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                                      "--no-dashboard"])
        # no nanny: a killed worker stays dead (a lost machine), its tasks must go to the other one
        self.workers = [self._start([*worker, self.address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                     "--no-nanny", "--name", f"w{i}"]) for i in range(n_workers)]
        from distributed import Client

        self.client = Client(self.address, timeout=60)
        self.client.wait_for_workers(n_workers, timeout=120)

    def _start(self, cmd):
        return subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def kill(self, proc) -> None:
        os.killpg(proc.pid, signal.SIGKILL)

    def close(self) -> None:
        self.client.close()
        for p in [*self.workers, self.scheduler]:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in [*self.workers, self.scheduler]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture
def dask_cluster():
    pytest.importorskip("distributed")
    cluster = DaskCluster(2)
    try:
        yield cluster
    finally:
        cluster.close()


def _hanoi(n):
    from qpu_twin.data import load_dataset

    return load_dataset("calibration_data/ibm_repetition_codes_2022").subset(n)


def _bench_numbers(rep):
    return rep.circuits, {m: {k: v for k, v in e.items() if "seconds" not in k} for m, e in rep.models.items()}


@pytest.mark.slow
def test_ibm_hanoi_bench_fit_and_counts_equal_on_serial_pool_and_dask_cluster(dask_cluster, pool):
    """Must-show 1: the same benchmark, fit and counts serially, on 2 processes and on a Dask cluster."""
    from qpu_twin import Twin
    from qpu_twin.benchmark import run_benchmark
    from qpu_twin.fit import default_parameters, fit_twin
    from qpu_twin.fit.heldout import base_profile_of

    ds = _hanoi(4)
    dask_ex = dask_cluster.client.get_executor()
    runs = {name: run_benchmark(ds, resamples=50, executor=ex) for name, ex in
            (("serial", None), ("pool", pool), ("dask", dask_ex))}
    assert _bench_numbers(runs["pool"]) == _bench_numbers(runs["serial"])
    assert _bench_numbers(runs["dask"]) == _bench_numbers(runs["serial"])
    assert len(runs["dask"].meta["workers"]) == 2  # both Dask workers took circuits
    assert sum(w["tasks"] for w in runs["dask"].meta["workers"].values()) == 4

    base = base_profile_of(ds)
    train = list(ds.circuits[:2])
    allp = default_parameters(base, train, kinds=["p10", "gate_error"])
    params = [next(p for p in allp if p.kind == "p10"), next(p for p in allp if p.kind == "gate_error")]
    fits = {name: fit_twin(base, train, parameters=params, sweeps=1, evals=5, executor=ex) for name, ex in
            (("serial", None), ("pool", pool), ("dask", dask_ex))}
    rows = {n: [(p.label, p.value, p.stderr, p.at_bound) for p in f.parameters] for n, f in fits.items()}
    assert rows["pool"] == rows["serial"] and rows["dask"] == rows["serial"]
    assert fits["dask"].history == fits["serial"].history

    circs = [c.circuit for c in ds.circuits]
    twin = Twin(base)
    counts = {name: [r.counts for r in twin.run(circs, shots=2000, seed=11, transpile=False, executor=ex)]
              for name, ex in (("serial", None), ("pool", pool), ("dask", dask_ex))}
    assert counts["pool"] == counts["serial"] and counts["dask"] == counts["serial"]


@pytest.mark.slow
def test_killing_a_dask_worker_mid_benchmark_loses_and_duplicates_nothing(dask_cluster, tmp_path):
    """Must-show 2: the run completes with every circuit once (equal to serial), or fails naming the missing
    circuits and writes no report."""
    from qpu_twin.benchmark import default_models, run_benchmark

    ds = _hanoi(6)
    include = ["ideal", "twin_lindblad"]
    serial = run_benchmark(ds, default_models(ds, include=include), resamples=20)
    client = dask_cluster.client
    victim_addr = None
    out: dict = {}

    def run():
        try:
            out["report"] = run_benchmark(ds, default_models(ds, include=include), resamples=20,
                                          executor=client.get_executor())
        except BenchmarkError as exc:
            out["error"] = exc

    th = threading.Thread(target=run)
    th.start()
    deadline = time.monotonic() + 300
    while victim_addr is None and time.monotonic() < deadline:  # a worker busy with a circuit
        busy = {w: ts for w, ts in client.processing().items() if ts}
        if len(busy) == 2:
            victim_addr = sorted(busy)[0]
        time.sleep(0.2)
    assert victim_addr is not None, "the workers never took tasks"
    info = client.scheduler_info()["workers"][victim_addr]
    victim = dask_cluster.workers[int(info["name"][1:])]
    dask_cluster.kill(victim)
    th.join(timeout=900)
    assert not th.is_alive()
    assert victim.wait(timeout=30) != 0  # it really died
    print(f"killed {victim_addr} while busy; outcome: {'completed' if 'report' in out else out['error']}; "
          f"tasks per worker: {out['report'].meta['workers'] if 'report' in out else '-'}")
    if "report" in out:
        assert _bench_numbers(out["report"]) == _bench_numbers(serial)  # every circuit once, in order
        names = [r["circuit"] for r in out["report"].circuits]
        assert names == [c.name for c in ds.circuits] and len(set(names)) == len(names)
        assert sum(w["tasks"] for w in out["report"].meta["workers"].values()) == len(ds.circuits)
    else:
        assert re.search(r"tasks failed", str(out["error"])), out["error"]


@pytest.mark.slow
def test_cli_bench_on_the_dask_cluster_equals_serial(dask_cluster, tmp_path):
    """The CLI: ``qpu-twin bench --dask-scheduler`` and ``--workers 2`` print the serial JSON report."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    base = [sys.executable, "-m", "qpu_twin", "bench", "calibration_data/ibm_repetition_codes_2022",
            "--max-circuits", "2", "--models", "ideal,twin_lindblad", "--resamples", "20", "--json"]
    outs = {}
    for name, extra in (("serial", []), ("workers", ["--workers", "2"]),
                        ("dask", ["--dask-scheduler", dask_cluster.address])):
        p = subprocess.run([*base, *extra], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, p.stderr
        rep = json.loads(p.stdout)
        outs[name] = (rep["circuits"], {m: {k: v for k, v in e.items() if "seconds" not in k}
                                        for m, e in rep["models"].items()})
    assert outs["workers"] == outs["serial"] and outs["dask"] == outs["serial"]


def test_chunks_are_contiguous_cover_every_item_once_and_follow_the_worker_count():
    from concurrent.futures import ThreadPoolExecutor

    from qpu_twin.parallel import chunked, executor_workers

    class Opaque(cf.Executor):  # says nothing about its size
        def submit(self, fn, *args):
            f = cf.Future()
            f.set_result(fn(*args))
            return f

    with ThreadPoolExecutor(3) as ex:
        assert executor_workers(ex) == 3
        for n in (1, 5, 6, 7, 13, 40):
            chunks = chunked(range(n), ex)
            assert [x for c in chunks for x in c] == list(range(n))  # contiguous, in order, each once
            assert len(chunks) == min(n, 6) and max(map(len, chunks)) - min(map(len, chunks)) <= 1
    assert executor_workers(Opaque()) is None
    assert chunked(range(4), Opaque()) == [[0], [1], [2], [3]]  # unknown size: one item per task
    assert executor_workers(None) == 1 and chunked([], Opaque()) == []


def _two_pair_dataset():
    """CX chains on the disjoint pairs (0, 1) and (2, 3) of line5: their parameters' searches can run at once."""
    from qiskit import QuantumCircuit

    from _synthetic import measured

    from qpu_twin import load_profile
    from qpu_twin.fit import FitParameter, profile_with

    qcs = []
    for a, b in ((0, 1), (2, 3)):
        for k in (1, 3, 5):
            qc = QuantumCircuit(5, 2)
            qc.x(a)
            for _ in range(k):
                qc.cx(a, b)
            qc.measure([a, b], [0, 1])
            qcs.append(qc)
    truth = profile_with(load_profile("line5"), [FitParameter("gate_error", ("cx", (0, 1)), 0.03),
                                                FitParameter("prep_excited_prob", (2,), 0.02)])
    return measured(truth, qcs, shots=3000, seed=9)


def test_fit_searches_run_concurrently_on_a_pool_and_equal_serial(pool, monkeypatch):
    import threading

    from qpu_twin.fit import fit as fitmod
    from qpu_twin.fit import fit_twin

    data = _two_pair_dataset()
    kw = dict(kinds=["p10", "gate_error", "prep_excited_prob"], sweeps=2, evals=4)
    a = fit_twin("line5", data, **kw)
    active, peak, lock = [0], [0], threading.Lock()
    original = fitmod._Model.fit_one

    def counting(self, i, **k):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return original(self, i, **k)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(fitmod._Model, "fit_one", counting)
    b = fit_twin("line5", data, executor=pool, **kw)
    assert peak[0] >= 2  # the searches of (0, 1) and (2, 3) overlapped
    assert [(p.label, p.value, p.stderr, p.at_bound) for p in a.parameters] == \
        [(p.label, p.value, p.stderr, p.at_bound) for p in b.parameters]
    assert a.history == b.history and a.profile.fingerprint == b.profile.fingerprint


def test_interrupted_concurrent_fit_resumes_to_the_serial_result(pool, monkeypatch, tmp_path):
    from qpu_twin.errors import Interrupted
    from qpu_twin.fit import fit as fitmod
    from qpu_twin.fit import fit_twin

    data = _two_pair_dataset()
    kw = dict(kinds=["p10", "gate_error", "prep_excited_prob"], sweeps=2, evals=4)
    ref = fit_twin("line5", data, **kw)
    calls, original = [0], fitmod._Model.fit_one

    def ctrl_c_on_the_fourth(self, i, **k):
        calls[0] += 1
        if calls[0] == 4:  # in a search thread: reaches the fit's loop through the search's future
            raise KeyboardInterrupt
        return original(self, i, **k)

    ck = tmp_path / "fit.ck.json"
    monkeypatch.setattr(fitmod._Model, "fit_one", ctrl_c_on_the_fourth)
    with pytest.raises(Interrupted, match="fit stopped after"):
        fit_twin("line5", data, executor=pool, checkpoint=ck, **kw)
    monkeypatch.setattr(fitmod._Model, "fit_one", original)
    import json

    assert 0 < json.loads(ck.read_text())["done"] < 15  # of 2 x (readout + 6 quantum) + final
    res = fit_twin("line5", data, executor=pool, checkpoint=ck, resume=True, **kw)
    assert [(p.label, p.value, p.stderr) for p in res.parameters] == [(p.label, p.value, p.stderr)
                                                                       for p in ref.parameters]
    assert res.history == ref.history
