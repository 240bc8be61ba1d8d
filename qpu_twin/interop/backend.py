"""The twin as a Qiskit ``BackendV2``: use it wherever Qiskit code expects a device.

    >>> from qiskit import QuantumCircuit, transpile
    >>> from qpu_twin import TwinBackend
    >>> backend = TwinBackend("line5", seed=1)
    >>> qc = QuantumCircuit(2, 2); qc.h(0); qc.cx(0, 1); qc.measure([0, 1], [0, 1])
    >>> counts = backend.run(transpile(qc, backend), shots=1000).result().get_counts()
    >>> sum(counts.values())
    1000

``run`` accepts circuits that are already native and physical (as
``transpile(circuit, backend)`` produces: they run exactly as given) or any
other circuit (transpiled onto the profile first). The job is synchronous; its
``result()`` is a standard Qiskit ``Result`` with counts and, with
``memory=True``, per-shot memory. The exact twin results (probabilities,
metadata) of a job are in ``job.twin_results``.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import numpy as np
from qiskit.providers import BackendV2, JobStatus, JobV1, Options
from qiskit.result import Result

from ..compile.circuits import check_native
from ..compile.target import build_target
from ..errors import CompileError
from ..profiles.io import load_profile
from ..profiles.model import DeviceProfile


class TwinJob(JobV1):
    """A finished (synchronous) job holding a Qiskit ``Result``."""

    def __init__(self, backend, job_id: str, result: Result, twin_results: list):
        super().__init__(backend, job_id)
        self._result = result
        self.twin_results = twin_results  #: the :class:`qpu_twin.Result` of each circuit

    def submit(self):  # pragma: no cover - jobs are created finished
        return None

    def result(self, timeout: float | None = None) -> Result:
        return self._result

    def status(self) -> JobStatus:
        return JobStatus.DONE


class TwinBackend(BackendV2):
    """A Qiskit ``BackendV2`` backed by a :class:`~qpu_twin.Twin`.

    Parameters
    ----------
    profile : DeviceProfile or str
        Profile or shipped profile name/path.
    engine : str
        ``"auto"`` (default), ``"density_matrix"`` or ``"tensor_network"``.
    noise : str, dict or NoiseOptions
        ``"lindblad"`` (default), ``"aer"``, ``"ideal"`` or a dict of options.
    seed : int, optional
        Default ``seed_simulator`` (per-run override with ``run(..., seed_simulator=...)``).
    engine_options : dict, optional
        Passed to the tensor-network engine.

    The ``target`` holds every operational native gate with its duration and
    error, ``measure`` (duration, mean and asymmetric readout errors),
    ``reset``, ``delay``, declared control flow, ``dt`` and T1/T2/frequency.
    """

    def __init__(self, profile: DeviceProfile | str, *, engine: str = "auto", noise="lindblad", seed: int | None = None,
                 engine_options: dict | None = None):
        from ..twin import Twin

        self.profile = load_profile(profile)
        super().__init__(
            name=f"twin_{self.profile.name}",
            description=f"qpu_twin digital twin of {self.profile.name} ({self.profile.timestamp.isoformat()})",
            backend_version="1",
        )
        self._target = build_target(self.profile)
        self.twin = Twin(self.profile, noise=noise, engine=engine, engine_options=engine_options)
        self._seed = seed
        self._job_count = 0

    @property
    def target(self):
        return self._target

    @property
    def max_circuits(self):
        return None

    @property
    def dt(self):
        return self._target.dt

    @classmethod
    def _default_options(cls):
        return Options(shots=1024, memory=False, seed_simulator=None, meas_level=2, meas_return="single",
                       transpile=None)

    def __repr__(self) -> str:
        return f"TwinBackend({self.profile.name!r}, noise={self.twin.noise.level!r}, engine={self.twin.engine!r})"

    def _is_native(self, qc) -> bool:
        try:
            check_native(qc, self.profile)
            return qc.num_qubits == self.profile.num_qubits
        except CompileError:
            return False

    def run(self, run_input, **options: Any) -> TwinJob:
        """Run one circuit or a list; options: ``shots``, ``memory``, ``seed_simulator``, ``transpile``.

        ``transpile=None`` (default) transpiles only circuits that are not
        already native and physical for this device.
        """
        if options.get("parameter_binds"):
            raise CompileError("TwinBackend.run: parameter_binds is not supported; bind the parameters with "
                               "circuit.assign_parameters(...) before run() (the primitives do this)")
        opts = dict(self.options.__dict__)
        unknown = set(options) - set(opts) - {"parameter_binds", "init_qubits", "rep_delay"}
        if unknown:
            raise CompileError(f"TwinBackend.run: unknown option(s) {sorted(unknown)} (known: {sorted(opts)})")
        opts.update(options)
        circuits = run_input if isinstance(run_input, (list, tuple)) else [run_input]
        shots = int(opts["shots"])
        seed = opts["seed_simulator"] if opts["seed_simulator"] is not None else self._seed
        if opts.get("meas_level", 2) != 2:
            raise CompileError(f"TwinBackend supports meas_level=2 only, got {opts['meas_level']!r}")
        ss = np.random.SeedSequence(seed)
        children = ss.spawn(len(circuits))
        twin_results, exp_results = [], []
        for qc, child in zip(circuits, children):
            transpile = opts["transpile"] if opts["transpile"] is not None else not self._is_native(qc)
            res = self.twin.run(qc, shots=None, seed=child, transpile=transpile)
            rng = np.random.default_rng(child.spawn(1)[0])
            memory = _sample_memory(res, shots, rng)
            twin_results.append(res)
            exp_results.append(_experiment_dict(qc, res, memory, shots, bool(opts["memory"])))
        self._job_count += 1
        job_id = f"twin-{uuid.uuid4().hex[:12]}"
        result = Result.from_dict({
            "backend_name": self.name,
            "backend_version": self.backend_version,
            "qobj_id": job_id,
            "job_id": job_id,
            "success": True,
            "results": exp_results,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "status": "COMPLETED",
            "header": {"backend_name": self.name},
        })
        return TwinJob(self, job_id, result, twin_results)


def _sample_memory(res, shots: int, rng: np.random.Generator) -> list[int]:
    """Per-shot outcomes (integers over the classical register) drawn from the twin's result."""
    probs = res.probabilities
    if probs:
        keys = list(probs)
        p = np.maximum(np.array([probs[k] for k in keys]), 0.0)
        p /= p.sum()
        idx = rng.choice(len(keys), size=shots, p=p)
        return [int(keys[i], 2) if keys[i] else 0 for i in idx]
    # large circuits: sample via the engine state
    state = res.metadata["engine_stats"].get("state")
    counts, _ = state.sample(shots, rng)
    out = [int(k, 2) if k else 0 for k, c in counts.items() for _ in range(c)]
    rng.shuffle(out)
    return out


def _experiment_dict(qc, res, memory: list[int], shots: int, want_memory: bool) -> dict:
    counts: dict[str, int] = {}
    for m in memory:
        key = hex(m)
        counts[key] = counts.get(key, 0) + 1
    creg_sizes = [[reg.name, reg.size] for reg in qc.cregs]
    clbit_labels = [[reg.name, i] for reg in qc.cregs for i in range(reg.size)]
    data: dict[str, Any] = {"counts": counts}
    if want_memory:
        data["memory"] = [hex(m) for m in memory]
    return {
        "shots": shots,
        "success": True,
        "data": data,
        "meas_level": 2,
        "header": {
            "name": qc.name,
            "memory_slots": qc.num_clbits,
            "creg_sizes": creg_sizes,
            "clbit_labels": clbit_labels,
            "n_qubits": qc.num_qubits,
            "metadata": dict(qc.metadata or {}),
        },
        "status": "DONE",
        "seed_simulator": None,
        "metadata": {"engine": res.engine, "active_qubits": res.metadata["active_qubits"],
                     "profile_fingerprint": res.metadata["profile_fingerprint"]},
    }
