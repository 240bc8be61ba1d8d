"""Run independent tasks on any ``concurrent.futures.Executor``: results in order, retried when a worker dies.

A low-level module (it imports only :mod:`qpu_twin.errors`): the twin, the
benchmark harness, the fit and the calibration runs all hand their
independent pieces of work (circuits, likelihood terms, posterior draws) to
:func:`map_tasks`. ``executor=None`` runs them one after the other in this
process (the default, and what every function did before executors existed);
any ``concurrent.futures.Executor`` runs them there instead: a
``ProcessPoolExecutor``, ``dask.distributed.Client(...).get_executor()``,
``mpi4py.futures.MPIPoolExecutor``. The task function and its arguments must
then be picklable (module-level functions, plain data: profiles as canonical
JSON, circuits as QPY bytes).

Results come back in submission order whatever the order of completion, so a
run is bit-identical for every executor and worker count as long as each task
carries its own seed (spawned from the run's ``SeedSequence`` in the caller,
exactly as the serial code spawns it).

Faults: a task whose worker process died (``BrokenProcessPool``, Dask's
``KilledWorker``, a closed connection) is submitted again, at most
``retries`` times; if it still fails, :func:`map_tasks` raises the caller's
package error naming every failed task. An exception raised by the task
itself (a bad circuit, a bug) is not retried: it propagates unchanged, as in
a serial run.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import sys
import time
from typing import Any, Callable, Sequence

from .errors import ArgumentError, QpuTwinError, check_bool, check_int, short_repr

#: default number of resubmissions of a task whose worker died
DEFAULT_RETRIES = 2

#: exception class names that mean "the worker went away", not "the task failed"
_WORKER_LOST = ("BrokenProcessPool", "BrokenExecutor", "KilledWorker", "CommClosedError", "FutureCancelledError",
                "CancelledError", "StreamClosedError", "WorkerLostError")


def check_executor(executor, *, name: str = "executor"):
    """``executor`` if it is ``None`` or has ``submit`` (a ``concurrent.futures.Executor``), else ArgumentError."""
    if executor is None or isinstance(executor, cf.Executor) or callable(getattr(executor, "submit", None)):
        return executor
    hint = " (a dask Client: pass client.get_executor())" if type(executor).__name__ == "Client" else ""
    raise ArgumentError(f"{name}={short_repr(executor)}: must be None (serial) or a concurrent.futures.Executor"
                        f"{hint}")


#: threads each task may use in this process when it is a worker of :func:`local_process_pool` (None elsewhere)
_WORKER_THREADS: int | None = None
#: the thread-count variables of OpenMP and the BLAS libraries (Dask's nanny sets the same ones to 1)
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def worker_threads() -> int | None:
    """Threads a task may use here: set in the workers of :func:`local_process_pool`, else None (library defaults).

    Multi-threaded libraries called by tasks (Aer's OpenMP shots and state updates, BLAS) take
    it as their thread count, so that N workers on N cores do not start N x cores threads that
    wait for each other (Aer's OpenMP threads spin while they wait).
    """
    return _WORKER_THREADS


def init_worker(threads: int) -> None:
    """Initializer of a local worker process: ``threads`` threads per task (OpenMP and BLAS, this process)."""
    global _WORKER_THREADS
    _WORKER_THREADS = check_int("threads", threads, minimum=1)
    for var in _THREAD_ENV:
        os.environ[var] = str(_WORKER_THREADS)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(_WORKER_THREADS)  # libraries already loaded (numpy's BLAS)
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass


@contextlib.contextmanager
def thread_limit(threads: int):
    """Run the ``with`` block in this process with ``threads`` OpenMP/BLAS/Aer threads, as a pool worker runs.

    What :func:`init_worker` sets for a worker's life, for one block here: :func:`worker_threads`
    returns ``threads`` (Aer's ``max_parallel_threads``), the loaded BLAS libraries are limited
    (``threadpoolctl``), and the thread-count environment variables are set; all three are
    restored at the end. Results do not depend on it (tasks carry their seeds): it serves to
    measure a single-threaded baseline (``benchmarks/bench_scaleout.py``) or to keep a run off
    the other cores.
    """
    global _WORKER_THREADS
    threads = check_int("threads", threads, minimum=1)
    old_threads, old_env = _WORKER_THREADS, {var: os.environ.get(var) for var in _THREAD_ENV}
    _WORKER_THREADS = threads
    for var in _THREAD_ENV:
        os.environ[var] = str(threads)
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(threads)
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        limits = contextlib.nullcontext()
    try:
        with limits:
            yield
    finally:
        _WORKER_THREADS = old_threads
        for var, value in old_env.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def local_process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """``workers`` local processes (``spawn``: safe with numba and threaded BLAS), cores shared out among them.

    Each worker runs its tasks with ``max(1, cores // workers)`` OpenMP/BLAS threads
    (:func:`init_worker`), as Dask's worker processes do with one thread each; results
    do not depend on the thread count (each task carries its own seed).
    """
    import multiprocessing

    workers = check_int("workers", workers, minimum=1)
    threads = max(1, (os.cpu_count() or 1) // workers)
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=init_worker, initargs=(threads,))


def executor_workers(executor) -> int | None:
    """How many tasks ``executor`` runs at once, when it says so (process/thread pools, Dask, mpi4py); else None."""
    if executor is None:
        return 1
    n = getattr(executor, "_max_workers", None)  # ProcessPoolExecutor, ThreadPoolExecutor
    if n is None:
        n = getattr(executor, "num_workers", None)  # mpi4py.futures.MPIPoolExecutor
    client = getattr(executor, "_client", None)  # dask.distributed's ClientExecutor
    if n is None and client is not None and callable(getattr(client, "nthreads", None)):
        try:
            n = sum(client.nthreads().values())
        except Exception:  # noqa: BLE001 - a cluster that cannot answer: unknown
            n = None
    return int(n) if isinstance(n, int) and n > 0 else None


def chunked(items: Sequence, executor, *, per_worker: int = 2) -> list[list]:
    """``items`` in contiguous chunks, ``per_worker`` chunks per worker of ``executor`` (one item each if unknown).

    Small tasks (a few ms each) lose much of their time to the round trip to a worker; a chunk
    per worker and a spare keeps the workers busy with ``per_worker`` round trips each.
    """
    items = list(items)
    n = executor_workers(executor)
    if n is None or not items:
        return [[x] for x in items]
    k = min(len(items), n * per_worker)
    size, extra = divmod(len(items), k)
    out, start = [], 0
    for j in range(k):
        stop = start + size + (1 if j < extra else 0)
        out.append(items[start:stop])
        start = stop
    return out


def worker_lost(exc: BaseException) -> bool:
    """True if ``exc`` says the worker running a task died or was lost (the task may succeed elsewhere)."""
    return any(c.__name__ in _WORKER_LOST for c in type(exc).__mro__)


def worker_stats() -> dict[str, Any]:
    """This process's identity and peak resident memory (MiB), for a task to return with its result.

    On Linux the peak is ``VmHWM`` of ``/proc/self/status``: ``getrusage``'s ``ru_maxrss``
    survives ``execve``, so a worker started with the ``spawn`` method would report its
    parent's peak; elsewhere ``resource.getrusage(RUSAGE_SELF).ru_maxrss``.
    """
    peak_mib = float("nan")
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    peak_mib = int(line.split()[1]) / 1024  # kB
                    break
    except OSError:
        pass
    if peak_mib != peak_mib:  # not Linux
        try:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            peak_mib = peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB elsewhere
        except (ImportError, OSError):  # pragma: no cover - no resource module (Windows)
            pass
    import socket

    return {"worker": f"{socket.gethostname()}:{os.getpid()}", "peak_rss_mib": peak_mib}


def _call_with_stats(fn: Callable, task) -> tuple[Any, dict[str, Any]]:
    """What a worker runs: ``fn(task)`` and the worker's stats (module level, so it pickles)."""
    t0 = time.perf_counter()
    value = fn(task)
    stats = worker_stats()
    stats["seconds"] = time.perf_counter() - t0
    return value, stats


def map_tasks(fn: Callable, tasks: Sequence, *, executor=None, progress: bool = False, desc: str = "",
              retries: int = DEFAULT_RETRIES, error: type[QpuTwinError] = QpuTwinError,
              names: Sequence[str] | None = None, on_result: Callable[[int, Any], None] | None = None,
              stats: dict | None = None) -> list:
    """``[fn(t) for t in tasks]``, run on ``executor``; the list is in the order of ``tasks``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the workers).
    executor : concurrent.futures.Executor, optional
        ``None``: run here, one task after the other (exceptions propagate).
    progress : bool
        A tqdm bar over completed tasks.
    retries : int
        Resubmissions of a task whose worker died (>= 0).
    error : QpuTwinError subclass
        Raised naming the tasks that still failed (``names``, default ``task i``).
    on_result : callable, optional
        Called here as ``on_result(i, value)`` when task ``i`` finishes (in
        completion order), e.g. to checkpoint finished work.
    stats : dict, optional
        Filled with ``{worker: {"tasks": n, "peak_rss_mib": MiB, "seconds": s}}``
        (workers of an executor only).
    """
    from tqdm import tqdm

    check_executor(executor)
    check_bool("progress", progress)
    retries = check_int("retries", retries, minimum=0)
    tasks = list(tasks)
    label = (lambda i: str(names[i])) if names is not None else (lambda i: f"task {i}")
    bar = tqdm(total=len(tasks), desc=desc or None, disable=not progress)
    try:
        if executor is None:
            out = []
            for i, t in enumerate(tasks):
                out.append(fn(t))
                if on_result is not None:
                    on_result(i, out[-1])
                bar.update(1)
            return out
        return _map_executor(fn, tasks, executor, bar, retries, error, label, on_result, stats, desc)
    finally:
        bar.close()


def _map_executor(fn, tasks, executor, bar, retries, error, label, on_result, stats, desc) -> list:
    results: dict[int, Any] = {}
    attempts = [0] * len(tasks)
    failed: dict[int, BaseException] = {}
    pending: dict[cf.Future, int] = {}

    def submit(i: int) -> None:
        attempts[i] += 1
        try:
            pending[executor.submit(_call_with_stats, fn, tasks[i])] = i
        except Exception as exc:  # noqa: BLE001 - a broken pool refuses new work: the task failed
            if not worker_lost(exc) and not isinstance(exc, RuntimeError):
                raise
            failed[i] = exc

    for i in range(len(tasks)):
        submit(i)
    try:
        while pending:
            done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                try:
                    value, st = fut.result()
                except BaseException as exc:  # noqa: BLE001 - sorted below
                    if not worker_lost(exc):
                        raise
                    if attempts[i] <= retries:
                        submit(i)
                    else:
                        failed[i] = exc
                    continue
                if i in results:  # pragma: no cover - a task is in flight at most once
                    continue
                results[i] = value
                if stats is not None:
                    w = stats.setdefault(st["worker"], {"tasks": 0, "peak_rss_mib": 0.0, "seconds": 0.0})
                    w["tasks"] += 1
                    w["peak_rss_mib"] = max(w["peak_rss_mib"], st["peak_rss_mib"])
                    w["seconds"] += st["seconds"]
                if on_result is not None:
                    on_result(i, value)
                bar.update(1)
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    if failed:
        idx = sorted(failed)
        shown = ", ".join(label(i) for i in idx[:10]) + (f", ... ({len(idx) - 10} more)" if len(idx) > 10 else "")
        first = failed[idx[0]]
        raise error(f"{desc + ': ' if desc else ''}{len(idx)} of {len(tasks)} tasks failed, their worker died "
                    f"(tried {retries + 1} time(s); {type(first).__name__}: "
                    f"{str(first).strip()[:200] or 'no message'}): {shown}")
    return [results[i] for i in range(len(tasks))]
