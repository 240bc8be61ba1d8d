"""A Qiskit ``EstimatorV2`` on the twin: noisy expectation values without shot noise.

    >>> from qiskit import QuantumCircuit
    >>> from qpu_twin.interop.estimator import TwinEstimator
    >>> qc = QuantumCircuit(2); qc.h(0); qc.cx(0, 1)
    >>> res = TwinEstimator("line5").run([(qc, ["ZZ", "XX"])]).result()
    >>> bool(0.8 < res[0].data.evs[0] < 1.0)
    True

``BackendEstimatorV2(backend=TwinBackend(...))`` estimates from sampled
counts (shot noise; large circuits run on the trajectory engine).
``TwinEstimator`` calls :meth:`qpu_twin.Twin.expectation` per circuit and
observable instead: exact on up to 12 active qubits, noisy Pauli propagation
above (trajectories with feed-forward). ``stds`` hold each value's stated
error (truncation bound or standard error). ``precision`` is accepted as the
Pauli-propagation target bound.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from qiskit.primitives import BaseEstimatorV2
from qiskit.primitives.containers import DataBin, EstimatorPubLike, PrimitiveResult, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.primitive_job import PrimitiveJob
from qiskit.quantum_info import SparsePauliOp


class TwinEstimator(BaseEstimatorV2):
    """EstimatorV2 whose values are :meth:`Twin.expectation` (readout as a hardware Estimator measures).

    Parameters
    ----------
    twin : Twin, DeviceProfile or str
    seed : int, optional
        Seeds the transpiler (and the trajectories, when they run).
    engine : str
        ``Twin.expectation`` engine (default ``"auto"``).
    transpile : True, False or "physical"
    options : dict, optional
        Further ``Twin.expectation`` keywords (``atol``, ``max_weight``, ``engine_options``, ``readout``).
    """

    def __init__(self, twin, *, seed: int | None = None, engine: str = "auto", transpile=True,
                 options: dict | None = None):
        from ..twin import Twin

        self.twin = twin if isinstance(twin, Twin) else Twin(twin)
        self.seed, self.engine, self.transpile = seed, engine, transpile
        self.options = dict(options or {})

    def run(self, pubs: Iterable[EstimatorPubLike], *, precision: float | None = None):
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[EstimatorPub]) -> PrimitiveResult[PubResult]:
        return PrimitiveResult([self._run_pub(p) for p in pubs], metadata={"version": 2})

    def _run_pub(self, pub: EstimatorPub) -> PubResult:
        bound = pub.parameter_values.bind_all(pub.circuit)
        bc_circuits, bc_obs = np.broadcast_arrays(bound, pub.observables)
        evs = np.zeros(bc_circuits.shape)
        stds = np.zeros(bc_circuits.shape)
        engines = set()
        opts = dict(self.options)
        if pub.precision:
            opts.setdefault("target_error", float(pub.precision))
        for index in np.ndindex(*bc_circuits.shape):
            paulis, coeffs = zip(*bc_obs[index].items())
            res = self.twin.expectation(bc_circuits[index], SparsePauliOp(paulis, coeffs), engine=self.engine,
                                        seed=self.seed, transpile=self.transpile, **opts)
            evs[index], stds[index] = res.values[0], res.errors[0]
            engines.add(res.engine)
        return PubResult(DataBin(evs=evs, stds=stds, shape=evs.shape),
                         metadata={"target_precision": pub.precision, "engines": sorted(engines),
                                   "circuit_metadata": pub.circuit.metadata})
