"""One BLAS thread for the twin's small dense linear algebra.

The twin's own matrices are small (4x4 to 256x256: gate logarithms, Liouvillian
exponentials, MPDO splits). OpenBLAS, which numpy and scipy ship, runs them
on all its threads; when the cores are busy every such call can wait for its
worker threads to be scheduled. Measured on 2 busy cores
(``benchmarks/bench_latency.py``): ``scipy.linalg.expm`` of a 16x16 matrix
24 ms with the default 2 threads, 0.011 ms with one; ``logm`` of a CNOT
21-170 ms vs 1 ms. Single-threaded results are bit-identical for these sizes
(tested on every gate map of ibm_hanoi).

:class:`BlasThreads` switches the loaded BLAS libraries to one thread and back
(``threadpoolctl``; a few microseconds per switch). The setting is
process-wide while switched, like any BLAS thread setting; it is restored
when the section ends. Without ``threadpoolctl`` nothing is switched.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

_CONTROLLER = None
_LOCK = threading.Lock()


def _blas_libs() -> list:
    global _CONTROLLER
    if _CONTROLLER is None:
        with _LOCK:
            if _CONTROLLER is None:
                try:
                    from threadpoolctl import ThreadpoolController

                    _CONTROLLER = ThreadpoolController()
                except Exception:  # pragma: no cover - threadpoolctl is a dependency
                    _CONTROLLER = False
    if not _CONTROLLER:
        return []
    return [lc for lc in _CONTROLLER.lib_controllers if lc.user_api == "blas"]


class BlasThreads:
    """Switch the BLAS libraries to one thread (``set_serial(True)``) and back to their own setting."""

    def __init__(self):
        self._libs = [(lc, lc.num_threads) for lc in _blas_libs()]
        self._libs = [(lc, n) for lc, n in self._libs if n > 1]
        self.serial = False

    def set_serial(self, flag: bool) -> None:
        if flag == self.serial or not self._libs:
            return
        for lc, n in self._libs:
            lc.set_num_threads(1 if flag else n)
        self.serial = flag

    def restore(self) -> None:
        self.set_serial(False)


@contextmanager
def single_blas_thread():
    """A section of small dense linear algebra on one BLAS thread (restored afterwards)."""
    sw = BlasThreads()
    sw.set_serial(True)
    try:
        yield
    finally:
        sw.restore()
