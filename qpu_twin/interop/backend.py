"""The twin as a Qiskit ``BackendV2``: use it wherever Qiskit code expects a device.

    >>> from qiskit import QuantumCircuit, transpile
    >>> from qpu_twin import Twin, TwinBackend
    >>> backend = TwinBackend(Twin("line5"), seed=1)
    >>> qc = QuantumCircuit(2, 2); qc.h(0); qc.cx(0, 1); qc.measure([0, 1], [0, 1])
    >>> counts = backend.run(transpile(qc, backend), shots=1000).result().get_counts()
    >>> sum(counts.values())
    1000

``run`` keeps the physical qubits a circuit names, as a real backend does: a
circuit's qubit i is device qubit i (a transpiled circuit's ``layout`` already
made it so), whether it spans the whole device or not (qiskit-experiments
sends 1- and 2-qubit circuits for RB on chosen qubits). Native circuits run
exactly as given; other circuits are translated to native gates from that
initial layout (``transpile=True`` instead lets Qiskit choose the layout).
The job is synchronous; its ``result()`` is a standard Qiskit ``Result`` with
counts and, with ``memory=True``, per-shot memory. Counts are those of
``Twin.run`` with the same seed (one sampler). The exact twin results
(probabilities, metadata) of a job are in ``job.twin_results``.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import numpy as np
from qiskit.providers import BackendV2, JobStatus, JobV1, Options
from qiskit.result import Result

from ..compile.target import build_target
from ..engines.sampling import memory_from_counts
from ..errors import ArgumentError, CompileError, check_bool, check_choice, check_int, check_kwargs, short_repr
from ..seeding import seed_sequence
from ..twin import MAX_SHOTS

__all__ = ["TwinBackend", "TwinJob"]


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
    twin : Twin, DeviceProfile or str
        The twin to run on (used as it is: its noise, engine, scheduling,
        optimization level and memory limit), or a profile / shipped profile
        name to build one from the keyword arguments below.
    seed : int, optional
        Default ``seed_simulator`` (per-run override with ``run(..., seed_simulator=...)``).
    engine, noise, engine_options, scheduling, optimization_level, max_memory_bytes
        :class:`~qpu_twin.Twin` arguments, when ``twin`` is a profile.

    The ``target`` holds every operational native gate with its duration and
    error, ``measure`` (duration, mean and asymmetric readout errors),
    ``reset``, ``delay``, declared control flow, ``dt`` and T1/T2/frequency.
    """

    def __init__(self, twin, *, seed: int | None = None, **twin_kwargs: Any):
        from ..twin import Twin

        if isinstance(twin, Twin):
            if twin_kwargs:
                raise ArgumentError(f"TwinBackend(Twin, ...): {sorted(twin_kwargs)} are Twin arguments; set them on "
                                    "the Twin (or pass a profile instead of a Twin)")
        else:
            known = {"engine", "noise", "engine_options", "scheduling", "optimization_level", "max_memory_bytes"}
            check_kwargs("TwinBackend", twin_kwargs, known | {"seed"})
            twin = Twin(twin, **twin_kwargs)
        self.twin = twin
        self.profile = twin.profile
        super().__init__(
            name=f"twin_{self.profile.name}",
            description=f"qpu_twin digital twin of {self.profile.name} ({self.profile.timestamp.isoformat()})",
            backend_version="1",
        )
        self._target = build_target(self.profile)
        if seed is not None:
            seed_sequence(seed, name="seed")  # validate now, not at the first run
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
                       transpile=None, executor=None)

    def __repr__(self) -> str:
        return f"TwinBackend({self.profile.name!r}, noise={self.twin.noise.level!r}, engine={self.twin.engine!r})"

    def run(self, run_input, **options: Any) -> TwinJob:
        """Run one circuit or a list; options: ``shots``, ``memory``, ``seed_simulator``, ``transpile``, ``executor``.

        ``executor`` (a ``concurrent.futures.Executor``, as Aer's option of that name): the
        circuits run there, one task each (:meth:`qpu_twin.Twin.run`); same counts as serially.

        ``transpile=None`` (default): keep the circuit's physical qubits (see
        the module docstring); ``True``: let Qiskit lay it out; ``False``: the
        circuit must already be native and physical.
        """
        if options.get("parameter_binds"):
            raise CompileError("TwinBackend.run: parameter_binds is not supported; bind the parameters with "
                               "circuit.assign_parameters(...) before run() (the primitives do this)")
        opts = dict(self.options.__dict__)
        check_kwargs("TwinBackend.run", options, set(opts) | {"parameter_binds", "init_qubits", "rep_delay"})
        opts.update(options)
        circuits = list(run_input) if isinstance(run_input, (list, tuple)) else [run_input]
        from qiskit import QuantumCircuit

        for i, qc in enumerate(circuits):
            if not isinstance(qc, QuantumCircuit):
                where = f"run_input[{i}]" if isinstance(run_input, (list, tuple)) else "run_input"
                raise ArgumentError(f"{where}={short_repr(qc)}: must be a QuantumCircuit (got {type(qc).__name__})")
        shots = check_int("shots", opts["shots"], minimum=1, maximum=MAX_SHOTS)
        check_bool("memory", opts["memory"])
        check_choice("transpile", opts["transpile"], [None, True, False, "physical"])
        seed = opts["seed_simulator"] if opts["seed_simulator"] is not None else self._seed
        if opts["seed_simulator"] is not None:
            from ..seeding import seed_sequence

            seed_sequence(opts["seed_simulator"], name="seed_simulator")
        if opts.get("meas_level", 2) != 2:
            raise ArgumentError(f"meas_level={short_repr(opts['meas_level'])}: TwinBackend supports meas_level=2 only")
        transpile = "physical" if opts["transpile"] is None else opts["transpile"]
        twin_results = self.twin.run(circuits, shots=shots, seed=seed, transpile=transpile, progress=False,
                                     executor=opts["executor"])
        exp_results = []
        for qc, res in zip(circuits, twin_results):
            memory = None
            if opts["memory"]:
                # the circuit's second child seed (the first one drew the counts): deterministic order
                mem_ss = np.random.SeedSequence(res.metadata["seed_entropy"],
                                                spawn_key=tuple(res.metadata["seed_spawn_key"]) + (1,))
                memory = memory_from_counts(res.counts, np.random.default_rng(mem_ss))
            exp_results.append(_experiment_dict(qc, res, memory, shots))
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


def _experiment_dict(qc, res, memory: list[str] | None, shots: int) -> dict:
    counts = {hex(int(k, 2) if k else 0): c for k, c in res.counts.items()}
    creg_sizes = [[reg.name, reg.size] for reg in qc.cregs]
    clbit_labels = [[reg.name, i] for reg in qc.cregs for i in range(reg.size)]
    data: dict[str, Any] = {"counts": counts}
    if memory is not None:
        data["memory"] = [hex(int(k, 2) if k else 0) for k in memory]
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
        "seed_simulator": res.metadata["seed_entropy"],
        "metadata": {"engine": res.engine, "active_qubits": res.metadata["active_qubits"],
                     "profile_fingerprint": res.metadata["profile_fingerprint"]},
    }
