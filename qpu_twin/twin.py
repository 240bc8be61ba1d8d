"""The :class:`Twin`: run circuits on a device profile and get exact distributions.

    >>> from qiskit import QuantumCircuit
    >>> from qpu_twin import Twin
    >>> qc = QuantumCircuit(2, 2); qc.h(0); qc.cx(0, 1); qc.measure([0, 1], [0, 1])
    >>> res = Twin("line5").run(qc, shots=1000, seed=7)
    >>> round(sum(res.probabilities.values()), 12)
    1.0
"""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ._version import __version__
from .compile.circuits import compile_circuit, load_circuit
from .compile.schedule import Schedule, schedule_circuit
from .engines import engine_names, get_engine
from .engines.base import EngineOutput
from .engines.sampling import sample_output
from .errors import (ArgumentError, EngineError, check_bool, check_choice, check_int, check_kwargs, check_qubits,
                     check_instance, check_real, short_repr)
from .noise import channels as ch
from .noise.builder import NoiseBuilder
from .noise.leakage import leaky_qubits
from .noise.quasi_static import averaging_plan, mean_offsets_hz, phase_spans_ns, sensitive_qubits
from .noise.options import NoiseOptions
from .noise.program import NoisyProgram
from .profiles.history import profile_as_of
from .profiles.model import DeviceProfile
from .parallel import check_executor, map_tasks
from .profiles.store import load_profile
from .seeding import derived_int_seed, seed_sequence

#: ``engine="auto"`` uses the exact density-matrix engine up to this many active qubits.
AUTO_DM_MAX_QUBITS = 12
#: Largest number of shots accepted in one run (numpy's multinomial needs int64 counts).
MAX_SHOTS = 10**15


@dataclass(frozen=True)
class Result:
    """Outcome of one circuit on the twin (a frozen record).

    Attributes
    ----------
    probabilities : dict[str, float]
        Exact distribution over the classical bits (Qiskit order: clbit 0 is
        the rightmost character). Tiny negative round-off (> -1e-12) is kept
        as computed. Empty when the engine cannot enumerate it (too many
        classical bits for the tensor-network engine): use ``counts`` and ``state``.
    counts : dict[str, int] or None
        ``shots`` samples of the distribution (seeded), if shots were asked for.
    shots : int or None
    engine : str
        The engine that ran (``"auto"`` resolved).
    metadata : dict
        Profile name/timestamp/fingerprint, noise options, seeds,
        ``compiled_circuit`` (the physical circuit simulated), active qubits,
        timings, ``engine_stats``: enough to reproduce the numbers. Treat as read-only.
    state : object or None
        The engine's final state when it has one to offer: an ``MPDOState``
        (``probability(bitstring)``, ``expectation(pauli)``) for the MPDO engines.
    truncation_error : float
        The engine's approximation error (0 for exact engines; accumulated
        discarded weight of a truncated MPDO; ``nan`` if the engine cannot tell;
        for ``trajectories`` the mean over trajectories of sum sqrt(discarded
        weight), a bound on the error of any probability).
    stderr : dict[str, float] or None
        Standard error of each probability of a stochastic engine
        (``trajectories``); ``None`` for deterministic engines.
    """

    probabilities: dict[str, float]
    counts: dict[str, int] | None
    shots: int | None
    engine: str
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)
    state: Any = field(default=None, repr=False)
    truncation_error: float = 0.0
    #: largest standard error of a probability from Monte Carlo averaging (quasi-static noise over
    #: too many qubits for exact quadrature); 0 when the averages are exact
    averaging_error: float = 0.0
    stderr: dict[str, float] | None = field(default=None, repr=False)

    def error_estimate(self) -> float:
        """The total stated error of the probabilities beyond shot noise of ``counts``.

        For exact engines 0; for truncated tensor networks the accumulated
        truncation error (relative squared Frobenius error of the density
        operator, summed over splits); ``nan`` when the engine cannot tell;
        plus the Monte Carlo standard error of a quasi-static average, if any;
        plus, for a stochastic engine, the largest standard error of a probability.
        """
        worst = max(self.stderr.values(), default=0.0) if self.stderr else 0.0
        return float(self.truncation_error) + float(self.averaging_error) + float(worst)

    def _clbits(self, clbits) -> tuple[int, ...]:
        width = len(next(iter(self.probabilities))) if self.probabilities else None
        return check_qubits("clbits", clbits, num_qubits=width, what="clbit")

    def marginal(self, clbits: Sequence[int]) -> dict[str, float]:
        """Distribution of the listed classical bits; ``clbits[0]`` is the rightmost character
        (as in Qiskit's ``marginal_distribution``)."""
        clbits = self._clbits(clbits)
        out: dict[str, float] = {}
        for key, p in self.probabilities.items():
            k = "".join(key[len(key) - 1 - c] for c in reversed(clbits))
            out[k] = out.get(k, 0.0) + p
        return out

    def expectation_z(self, clbits: Sequence[int]) -> float:
        """<Z...Z> over the listed classical bits: sum of p * (-1)^(parity)."""
        clbits = self._clbits(clbits)
        total = 0.0
        for key, p in self.probabilities.items():
            parity = sum(key[len(key) - 1 - c] == "1" for c in clbits) % 2
            total += -p if parity else p
        return total

    def most_likely(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)


#: ``Twin.run(transpile=...)`` values.
TRANSPILE_MODES = (True, False, "physical")


class Twin:
    """A noise-aware digital twin of one device profile.

    Parameters
    ----------
    profile : DeviceProfile or str
        A profile or the name/path of one (:func:`qpu_twin.load_profile`).
    noise : str, dict or NoiseOptions
        ``"lindblad"`` (default), ``"aer"`` or ``"ideal"``, optionally with
        components switched off: ``{"level": "lindblad", "zz": False}``.
    engine : str
        ``"auto"`` (density matrix up to 12 active qubits), ``"density_matrix"``, ...
    scheduling : {"alap", "asap"}
    optimization_level : int, optional
        Passed to Qiskit's transpiler (0-3).
    max_memory_bytes : int, optional
        Memory limit of the density-matrix engine (default 75 % of RAM).
    engine_options : dict, optional
        Options of the tensor-network engines (``max_bond``, ``cutoff``,
        ``max_enumerate``, ``warn_threshold``, ``progress``); unknown names are refused.
    """

    def __init__(
        self,
        profile: DeviceProfile | str,
        *,
        noise: NoiseOptions | str | dict | None = "lindblad",
        engine: str = "auto",
        scheduling: str = "alap",
        optimization_level: int | None = None,
        max_memory_bytes: int | None = None,
        engine_options: dict | None = None,
    ):
        self.profile = load_profile(profile)
        self.noise = NoiseOptions.coerce(noise)
        self.engine = check_choice("engine", engine, ["auto", *engine_names()])
        self.scheduling = check_choice("scheduling", scheduling, ["alap", "asap"])
        self.optimization_level = check_int("optimization_level", optimization_level, minimum=0, maximum=3,
                                            allow_none=True)
        self.max_memory_bytes = check_int("max_memory_bytes", max_memory_bytes, minimum=1, allow_none=True)
        if engine_options is not None and not isinstance(engine_options, dict):
            raise ArgumentError(f"engine_options={short_repr(engine_options)}: must be a dict of option names")
        self.engine_options = dict(engine_options or {})
        self._check_engine_options(self.engine, self.engine_options)
        self._builders: dict[tuple, NoiseBuilder] = {}
        #: native circuits' schedules kept across runs (None: off; see _enable_schedule_cache)
        self._schedule_cache: "OrderedDict[tuple, tuple] | None" = None
        self._timing_key: str | None = None

    @staticmethod
    def _check_engine_options(engine: str, options: dict) -> None:
        if not options:
            return
        if engine == "auto":
            from .engines.tensor_network import MPDO_OPTIONS
            from .engines.trajectories import TRAJECTORY_OPTIONS

            known = set(MPDO_OPTIONS) | set(TRAJECTORY_OPTIONS)  # the engines auto may pick
        else:
            from .engines.base import _ENGINES

            known = set(getattr(_ENGINES[engine], "option_names", ()))
        bad = sorted(set(options) - known, key=str)
        if bad:
            import difflib

            hints = [f"{b!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(str(b), known, n=1))
                     else repr(b) for b in bad]
            raise ArgumentError(f"engine_options: unknown option(s) {', '.join(hints)} for engine={engine!r} "
                                f"(known: {', '.join(sorted(known)) or 'none'})")
        # the values too, now rather than at the first run (EngineError naming the option)
        if engine == "auto":
            if "tensor_network" in engine_names():
                get_engine("tensor_network", **options)
        else:
            get_engine(engine, **options)

    @classmethod
    def as_of(cls, device: str, date, **kwargs) -> "Twin":
        """A twin of ``device`` as calibrated on ``date`` (latest dated profile not after it)."""
        check_kwargs("Twin.as_of", kwargs, [k for k in _init_params() if k != "profile"])
        return cls(profile_as_of(device, date), **kwargs)

    def with_profile(self, profile: DeviceProfile) -> "Twin":
        """The same twin (noise, engine, scheduling, options) on a changed ``profile``.

        Noise maps the change cannot affect are reused (:meth:`NoiseBuilder.derive`).
        """
        new = Twin(profile, noise=self.noise, engine=self.engine, scheduling=self.scheduling,
                   optimization_level=self.optimization_level, max_memory_bytes=self.max_memory_bytes,
                   engine_options=self.engine_options)
        new._builders = {k: b.derive(new.profile) for k, b in self._builders.items()}
        new._schedule_cache = self._schedule_cache  # shared: its keys hold each profile's timing key
        return new

    #: schedules a cache keeps (least recently used dropped first)
    SCHEDULE_CACHE_SIZE = 4096

    def _enable_schedule_cache(self) -> None:
        """Keep the compiled circuit and schedule of every native circuit run with ``transpile=False``.

        For callers that run the same circuit objects many times and never mutate them (the fit
        re-simulates its training circuits under trial profiles): the cache is keyed by the
        circuit object and the profile's timing key (:func:`timing_key`), shared with the twins
        :meth:`with_profile` derives, so a trial profile that only changes noise values reuses the
        schedule (the same objects a fresh compile and schedule would give, so the same numbers).
        """
        if self._schedule_cache is None:
            self._schedule_cache = OrderedDict()

    def _compiled_and_scheduled(self, circuit, transpile, transpile_seed):
        """``(compiled circuit, schedule)`` of ``circuit``: from the schedule cache where it may be used."""
        cache = self._schedule_cache
        key = None
        if cache is not None and transpile is False:
            if self._timing_key is None:
                self._timing_key = timing_key(self.profile)
            key = (id(circuit), self._timing_key, self.scheduling)
            hit = cache.get(key)
            if hit is not None and hit[0] is circuit:  # the object itself (an id is reused only after it died)
                cache.move_to_end(key)
                return hit[1], hit[2]
        qc = load_circuit(circuit)
        compiled = compile_circuit(qc, self.profile, transpile=transpile, seed=transpile_seed,
                                   optimization_level=self.optimization_level)
        sched = schedule_circuit(compiled, self.profile, method=self.scheduling)
        if key is not None:
            cache[key] = (circuit, compiled, sched)  # holds the circuit: its id stays its own
            while len(cache) > self.SCHEDULE_CACHE_SIZE:
                cache.popitem(last=False)
        return compiled, sched

    def __repr__(self) -> str:
        return f"Twin({self.profile.name!r}, noise={self.noise.level!r}, engine={self.engine!r})"

    # ------------------------------------------------------------------ pieces
    def builder(self, noise=None) -> NoiseBuilder:
        """The (cached) :class:`NoiseBuilder` for a noise setting."""
        opts = self.noise if noise is None else NoiseOptions.coerce(noise)
        key = opts.key()
        if key not in self._builders:
            self._builders[key] = NoiseBuilder(self.profile, opts)
        return self._builders[key]

    def compile(self, circuit, *, transpile: bool | str = True, seed=None):
        """The physical, native ``QuantumCircuit`` that would be simulated."""
        transpile = _check_transpile(transpile)
        ss = seed_sequence(seed)
        return compile_circuit(circuit, self.profile, transpile=transpile, seed=derived_int_seed(ss),
                               optimization_level=self.optimization_level)

    def schedule(self, circuit, *, transpile: bool | str = True, seed=None) -> Schedule:
        """The timed schedule (ops, idle windows, active qubits) of ``circuit``."""
        return schedule_circuit(self.compile(circuit, transpile=transpile, seed=seed), self.profile,
                                method=self.scheduling)

    def program(self, circuit, *, transpile: bool | str = True, seed=None, noise=None) -> NoisyProgram:
        """The :class:`~qpu_twin.noise.program.NoisyProgram` an engine would run for ``circuit``."""
        return self.builder(noise).program(self.schedule(circuit, transpile=transpile, seed=seed))

    def noise_map(self, op: str, qubits, *, params=(), duration_ns: float | None = None, form: str = "superop",
                  noise=None):
        """The CPTP map the twin uses for ``op`` on physical ``qubits``.

        Parameters
        ----------
        op : str
            A native gate name, ``"idle"`` / ``"delay"`` (needs ``duration_ns``),
            ``"reset"``, or ``"zz"`` (a coupled pair, needs ``duration_ns``).
        duration_ns : float, optional
            Finite and >= 0 (ns).
        form : {"superop", "kraus", "choi", "matrix"}
            Qiskit ``SuperOp`` / ``Kraus`` / ``Choi`` objects, or the raw
            row-major superoperator (the engine's convention).
        """
        check_choice("form", form, ("superop", "kraus", "choi", "matrix"))
        check_choice("op", op, [*self.profile.native_gates, "idle", "delay", "reset", "zz"])
        duration_ns = check_real("duration_ns", duration_ns, minimum=0.0, allow_none=True)
        b = self.builder(noise)
        qubits = check_qubits("qubits", qubits, num_qubits=self.profile.num_qubits, allow_int=True,
                              allow_empty=False, device=self.profile.name)
        params = _check_params(op, params)
        if op in ("idle", "delay", "reset") and len(qubits) != 1:
            raise ArgumentError(f"noise_map({op!r}): qubits={qubits} must be one qubit")
        if op in ("idle", "delay"):
            if duration_ns is None:
                raise ArgumentError(f"noise_map({op!r}) needs duration_ns")
            s = b.idle_map(qubits[0], duration_ns)
        elif op == "reset":
            s = b.reset_map(qubits[0])
        elif op == "zz":
            if duration_ns is None or len(qubits) != 2:
                raise ArgumentError("noise_map('zz') needs a pair of qubits and duration_ns")
            s = b.zz_map(qubits[0], qubits[1], duration_ns)
        else:
            s = b.gate_map(op, qubits, params=params, duration_ns=duration_ns)
        if form == "matrix":
            return s
        from qiskit.quantum_info import Choi, Kraus, SuperOp

        sup = SuperOp(ch.swap_vec_order(s))
        if form == "superop":
            return sup
        if form == "kraus":
            return Kraus(sup)
        return Choi(sup)

    def density_matrix(self, circuit, *, transpile: bool | str = True, seed=None, noise=None):
        """The exact noisy state of the active qubits before the terminal measurements.

        Returns ``(state, active_qubits)``: a Qiskit ``DensityMatrix`` whose qubit
        i is physical qubit ``active_qubits[i]``. Readout errors are not in it
        (they act on the recorded bits); mid-circuit measurement branches are summed.
        """
        from qiskit.quantum_info import DensityMatrix

        sched = self.schedule(circuit, transpile=transpile, seed=seed)
        eng = get_engine("density_matrix", max_memory_bytes=self.max_memory_bytes, save_state=True)
        eng.check_size(sched.num_active, mid_circuit_measurements=_has_mid_circuit_measurement(sched))
        out = eng.run(self.builder(noise).program(sched))
        return DensityMatrix(out.state), list(sched.active_qubits)

    def _make_engine(self, name: str, *, auto: bool = False):
        if name == "density_matrix":
            return get_engine(name, max_memory_bytes=self.max_memory_bytes)
        options = self.engine_options
        if auto:  # engine_options may name options of any engine auto can pick: pass the chosen one's
            from .engines.base import _ENGINES

            known = set(getattr(_ENGINES[name], "option_names", ()))
            options = {k: v for k, v in options.items() if k in known}
        return get_engine(name, **options)

    def _engine_for(self, n_active: int, engine: str | None, *, sched: Schedule | None = None,
                    noise=None) -> tuple[str, str]:
        """(engine name, why): ``auto`` picks by size, feed-forward and static ZZ (see ``docs/engines.md``)."""
        name = engine or self.engine
        if name == "auto":
            if n_active <= AUTO_DM_MAX_QUBITS or "tensor_network" not in engine_names():
                return "density_matrix", f"auto: {n_active} active qubits <= {AUTO_DM_MAX_QUBITS}: exact"
            if sched is not None and any(op.kind == "if_else" for op in sched.ops):
                return "trajectories", (f"auto: {n_active} active qubits > {AUTO_DM_MAX_QUBITS} with feed-forward "
                                        "(the MPDO cannot branch)")
            opts = self.noise if noise is None else NoiseOptions.coerce(noise)
            if sched is not None and opts.zz_active and _has_zz(self.profile, sched):
                return "trajectories", (f"auto: {n_active} active qubits > {AUTO_DM_MAX_QUBITS} with static ZZ on "
                                        "(the MPDO's bond grows with lattice ZZ; pure-state trajectories do not)")
            return "tensor_network", (f"auto: {n_active} active qubits > {AUTO_DM_MAX_QUBITS}, no feed-forward, no "
                                      "static ZZ: MPDO (exact distribution up to truncation)")
        if name not in engine_names():
            get_engine(name)  # EngineError naming the registered engines
        return name, "requested"

    @staticmethod
    def _engine_run(eng, program: NoisyProgram, ss: np.random.SeedSequence, shots, index: int = 0) -> EngineOutput:
        """Run ``program``; a stochastic engine gets the circuit's child seed ``spawn_key + (3, index)``."""
        if not getattr(eng, "stochastic", False):
            return eng.run(program)
        engine_ss = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (3, index),
                                           pool_size=ss.pool_size)
        return eng.run(program, seed=engine_ss, shots=shots)

    # ------------------------------------------------------------------ expectation values
    def expectation(self, circuit, observables, *, engine: str = "auto", seed=None, transpile: bool | str = True,
                    noise=None, readout: bool = True, atol: float = 1e-6, target_error: float | None = None,
                    max_weight: int | None = None, engine_options: dict | None = None):
        """Noisy expectation values of ``observables`` (an Estimator without shot noise; :mod:`qpu_twin.expectation`).

        ``observables``: a Pauli label / ``Pauli`` / ``SparsePauliOp`` on the circuit's qubits, or a list.
        ``engine``: ``"auto"`` (density matrix up to 12 active qubits, else Pauli propagation, or trajectories
        with feed-forward), ``"density_matrix"``, ``"pauli_propagation"`` or ``"trajectories"``.
        ``readout``: apply the assignment errors as a hardware Estimator measures (default).
        ``atol`` / ``target_error`` / ``max_weight``: Pauli-propagation truncation (``target_error``: lower
        ``atol`` until the bound meets it). ``engine_options``: trajectory options (``trajectories``, ...).
        Final measurements in ``circuit`` are removed. Returns an :class:`~qpu_twin.expectation.ExpectationResult`.
        """
        from . import expectation as ex
        from .engines import pauli_propagation as pp

        check_choice("engine", engine, ex.EXPECTATION_ENGINES)
        check_bool("readout", readout)
        atol = check_real("atol", atol, minimum=0.0)
        target_error = check_real("target_error", target_error, minimum=0.0, strict_minimum=True, allow_none=True)
        if max_weight is not None:
            max_weight = check_int("max_weight", max_weight, minimum=1)
        check_instance("engine_options", engine_options, dict, allow_none=True)
        qc = load_circuit(circuit).remove_final_measurements(inplace=False)
        ops = ex.as_pauli_ops(observables, qc.num_qubits)
        ss = seed_sequence(seed)
        transpile = _check_transpile(transpile)
        compiled = compile_circuit(qc, self.profile, transpile=transpile, seed=derived_int_seed(ss),
                                   optimization_level=self.optimization_level)
        # transpile=False: the circuit is physical, qubit i is device qubit i (map observables of a circuit you
        # transpiled yourself with SparsePauliOp.apply_layout); otherwise through the layout made here
        layout = (compiled.layout.final_index_layout() if transpile is not False and compiled.layout is not None
                  else list(range(qc.num_qubits)))
        sched = schedule_circuit(compiled, self.profile, method=self.scheduling)
        builder = self.builder(noise)
        n = sched.num_active
        terms = ex.local_terms(ops, list(layout), sched.active_qubits, builder.readout if readout else None)
        ff = any(op.kind == "if_else" for op in sched.ops)
        reason = "requested"
        if engine == "auto":
            engine, reason = (("density_matrix", f"auto: {n} active qubits <= {AUTO_DM_MAX_QUBITS}: exact")
                              if n <= AUTO_DM_MAX_QUBITS else
                              ("trajectories", f"auto: {n} active qubits with feed-forward") if ff else
                              ("pauli_propagation", f"auto: {n} active qubits > {AUTO_DM_MAX_QUBITS}, no feed-forward"))
        meta = {"engine_reason": reason, "compiled_circuit": compiled, "active_qubits": list(sched.active_qubits),
                "layout": list(layout), "readout": bool(readout), "seed_entropy": ss.entropy}
        zeros = np.zeros(len(ops))
        if engine == "density_matrix":
            eng = get_engine("density_matrix", max_memory_bytes=self.max_memory_bytes, save_state=True)
            eng.check_size(n, mid_circuit_measurements=_has_mid_circuit_measurement(sched))
            out = eng.run(builder.program(sched))
            vals = ex.density_matrix_values(out.state, terms, n)
            return ex.ExpectationResult(vals, zeros, zeros, zeros, engine, meta)
        program = builder.program(sched)
        if engine == "pauli_propagation":
            res = [pp.expectation_values(program, [t], atol=atol, target_bound=target_error,
                                         max_weight=max_weight)[0] for t in terms]
            vals, bound = np.array([r.value for r in res]), np.array([r.bound for r in res])
            meta["engine_stats"] = {"max_terms": [r.max_terms_seen for r in res],
                                    "seconds": [r.seconds for r in res], "atol": atol}
            return ex.ExpectationResult(vals, bound, zeros, bound, engine, meta)
        index: dict[tuple, int] = {}
        for t in terms:
            for _, d in t:
                if d:
                    index.setdefault(tuple(sorted(d.items())), len(index))
        opts = dict(engine_options or {}, observables=[ex.product_operator(dict(k)) for k in index])
        eng = get_engine("trajectories", **opts)
        out = self._engine_run(eng, program, ss, None)
        vals, se = ex.trajectory_values(out.state, terms, index)
        bound = np.full(len(ops), 2.0 * out.truncation_error) * np.array([sum(abs(c) for c, d in t if d) for t in terms])
        meta["engine_stats"] = out.metadata
        return ex.ExpectationResult(vals, se + bound, se, bound, engine, meta)

    # ------------------------------------------------------------------ run
    def run(
        self,
        circuits,
        *,
        shots: int | None = None,
        seed=None,
        transpile: bool | str = True,
        engine: str | None = None,
        noise=None,
        progress: bool | None = None,
        executor=None,
    ):
        """Run one circuit or a list of circuits; returns a :class:`Result` or a list.

        Parameters
        ----------
        circuits : QuantumCircuit, OpenQASM path/text, or a list of them
        shots : int, optional
            If given (1 to 10**15), ``res.counts`` holds that many samples of the distribution.
        seed : int >= 0, numpy SeedSequence/Generator or None
            Seeds the transpiler and the sampling (recorded in ``res.metadata``).
            A list of circuits gets one spawned child seed per circuit.
        transpile : True, False or "physical"
            ``True``: Qiskit's transpiler lays the circuit out on the device
            (error-aware layout, routing, native gates). ``False``: the circuit
            is already native and physical (qubit i is device qubit i).
            ``"physical"``: keep the qubits the circuit names (its ``layout``,
            else qubit i = device qubit i); a native circuit runs as given,
            others are translated to native gates on those qubits.
        engine, noise : optional per-call overrides.
        progress : bool, optional
            Show a tqdm bar over the circuits (default: for lists of 3+ circuits on a terminal).
        executor : concurrent.futures.Executor, optional
            Run the circuits there (a process pool, ``dask.distributed.Client.get_executor()``, ...):
            one task per circuit (the profile as canonical JSON, the circuit as QPY, its spawned
            seed), each worker keeping its twins and noise maps (:func:`twin_from_spec`). The
            results equal the serial ones (``None``, the default) bit for bit.
        """
        single = not isinstance(circuits, (list, tuple))
        items = [circuits] if single else list(circuits)
        for i, circ in enumerate(items):
            _check_circuit_type("circuits" if single else f"circuits[{i}]", circ)
        shots = check_int("shots", shots, minimum=1, maximum=MAX_SHOTS, allow_none=True)
        transpile = _check_transpile(transpile)
        check_choice("engine", engine, ["auto", *engine_names()], allow_none=True)
        if noise is not None:
            NoiseOptions.coerce(noise)  # validate before any work
        check_bool("progress", progress, allow_none=True)
        check_executor(executor)
        ss = seed_sequence(seed)
        children = ss.spawn(len(items))
        if progress is None:
            progress = len(items) >= 3 and sys.stderr.isatty()
        if executor is not None:
            spec = self.task_spec()
            tasks = [(spec, circuit_to_qpy(load_circuit(c)), shots, child, transpile, engine, noise)
                     for c, child in zip(items, children)]
            results = map_tasks(_run_task, tasks, executor=executor, progress=progress,
                                desc=f"twin {self.profile.name}", error=EngineError,
                                names=[_circuit_label(c, i) for i, c in enumerate(items)])
            return results[0] if single else results
        pairs = list(zip(items, children))
        if progress:
            from tqdm import tqdm

            pairs = tqdm(pairs, desc=f"twin {self.profile.name}")
        results = []
        for circ, child in pairs:
            results.append(self._run_one(circ, shots, child, transpile, engine, noise))
        return results[0] if single else results

    def _run_one(self, circuit, shots, ss: np.random.SeedSequence, transpile, engine, noise) -> Result:
        timings = {}
        t0 = time.perf_counter()
        transpile_seed = derived_int_seed(ss)
        compiled, sched = self._compiled_and_scheduled(circuit, transpile, transpile_seed)
        timings["compile_s"] = time.perf_counter() - t0  # with the schedule
        t1 = time.perf_counter()
        ename, reason = self._engine_for(sched.num_active, engine, sched=sched, noise=noise)
        eng = self._make_engine(ename, auto=(engine or self.engine) == "auto")
        mid = _has_mid_circuit_measurement(sched)
        builder = self.builder(noise)
        n_flags = len(leaky_qubits(self.profile, sched, builder.options))  # a leakage flag per qubit that can leak
        eng.check_size(sched.num_active + n_flags, mid_circuit_measurements=mid)  # before building any map
        program = builder.program(sched)
        timings["noise_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        sigmas = sensitive_qubits(self.profile, sched, builder.options)
        averaging = None
        if sigmas and not any(sigmas.values()) and not getattr(eng, "stochastic", False):
            # frame offsets without spread: the "average" is one exact run, the nominal one is not needed
            out, averaging = self._quasi_static_average(None, sched, builder, eng, sigmas, ss)
        else:
            out: EngineOutput = self._engine_run(eng, program, ss, shots)
            if sigmas:
                out, averaging = self._quasi_static_average(out, sched, builder, eng, sigmas, ss)
        timings["engine_s"] = time.perf_counter() - t2
        counts = None
        sample_seed = None
        clipped = 0
        if shots is not None:
            sample_ss = ss.spawn(1)[0]
            sample_seed = sample_ss.entropy
            counts, clipped = sample_output(out, shots, np.random.default_rng(sample_ss))
        timings["total_s"] = time.perf_counter() - t0
        stats = dict(out.metadata)
        if out.sampler is not None and shots is not None:
            # the engine sampled itself (e.g. truncated MPDO: clips and counts negative weights)
            stats["sampling_clipped_negative_weights"] = clipped
        meta = {
            "profile": self.profile.name,
            "profile_timestamp": self.profile.timestamp.isoformat(),
            "profile_fingerprint": self.profile.fingerprint,
            "noise": builder.options.as_dict(),
            "engine_options": dict(eng.options, **({"max_memory_bytes": getattr(eng, "max_memory_bytes", None)})),
            "seed_entropy": ss.entropy,
            "seed_spawn_key": ss.spawn_key,
            "transpile": transpile,
            "transpile_seed": transpile_seed if transpile else None,
            "sample_seed_entropy": sample_seed,
            "scheduling": self.scheduling,
            "compiled_circuit": compiled,
            "active_qubits": list(sched.active_qubits),
            "duration_ns": sched.duration_ns,
            "num_channels": program.num_channels,
            "program": program.metadata,
            "engine_stats": stats,
            "engine_reason": reason,
            "noise_cache": builder.cache_info(),
            "timings": timings,
            "qpu_twin_version": __version__,
        }
        if averaging is not None:
            meta["quasi_static"] = averaging
        return Result(dict(out.probabilities), counts, shots, ename, meta, out.state, out.truncation_error,
                      averaging["stderr"] if averaging else 0.0, out.stderr)

    #: most programs a quasi-static average runs exactly before it switches to Monte Carlo
    QUASI_STATIC_MAX_RUNS = 256

    def _quasi_static_average(self, nominal: EngineOutput | None, sched, builder, eng, sigmas, ss):
        """Average the outcome distribution over the quasi-static detunings (:mod:`qpu_twin.noise.quasi_static`).

        ``nominal``: the run without detuning (its metadata and truncation error are reported); None when
        it was not run (offsets without spread), then the first detuned run's are.
        """
        def check(out: EngineOutput) -> None:
            if out.sampler is not None and not out.probabilities:
                raise EngineError("quasi-static noise is averaged over exact distributions: the engine could not "
                                  "enumerate this one (too many classical bits); use noise={'quasi_static': False}")

        if nominal is not None:
            check(nominal)
        rng = np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (2,)))
        means = mean_offsets_hz(self.profile, sigmas)
        points, weights, method, detail = averaging_plan(sigmas, phase_spans_ns(sched),
                                                         max_runs=self.QUASI_STATIC_MAX_RUNS, rng=rng, means=means)
        keys: dict[str, int] = {}
        rows = []
        for i, point in enumerate(points):
            run = self._engine_run(eng, builder.program(sched, detuning=point), ss, None, i + 1)
            if nominal is None:
                check(run)
                nominal = run
            probs = run.probabilities
            for k in probs:
                keys.setdefault(k, len(keys))
            rows.append(probs)
        mat = np.zeros((len(rows), len(keys)))
        for i, probs in enumerate(rows):
            for k, v in probs.items():
                mat[i, keys[k]] = v
        mean = weights @ mat
        stderr = 0.0
        if method == "monte_carlo":
            stderr = float(np.max(mat.std(axis=0, ddof=1)) / np.sqrt(len(rows))) if len(rows) > 1 else float("nan")
        probs = {k: float(mean[i]) for k, i in sorted(keys.items())}
        info = {"method": method, "runs": len(points), "sigma_hz": {int(q): s for q, s in sigmas.items()},
                "mean_hz": {int(q): m for q, m in means.items()}, "stderr": stderr, **detail}
        return EngineOutput(probs, dict(nominal.metadata), None, None, nominal.truncation_error), info

    # ------------------------------------------------------------------ tasks for executors
    def task_spec(self, *, parent: "Twin | None" = None) -> "TwinSpec":
        """This twin as plain, picklable data (see :func:`twin_from_spec`).

        ``parent``: a twin whose noise maps a worker may reuse (:meth:`with_profile`)
        when it holds that twin already, e.g. the current twin of a fit for its trial profiles.
        """
        from .errors import check_instance

        check_instance("parent", parent, Twin, allow_none=True)
        fingerprint, text = profile_payload(self.profile)
        return TwinSpec(fingerprint, text, self.noise.as_dict(), self.engine, self.scheduling,
                        self.optimization_level, self.max_memory_bytes, dict(self.engine_options),
                        None if parent is None else parent.task_spec().key)

    # ------------------------------------------------------------------ layer noise
    def layer_noise(self, circuit, *, model: str = "sparse", transpile: bool = True, seed=None, noise=None):
        """Pauli-Lindblad model of each twirled two-qubit-gate layer of ``circuit``.

        A local stand-in for runtime's ``NoiseLearner``: per unique layer a
        ``qiskit.quantum_info.PauliLindbladMap`` of the Pauli-twirled exact layer
        channel, with its approximation error (see :mod:`qpu_twin.noise.pauli_lindblad`).
        Exporters: :mod:`qpu_twin.interop.layer_noise`.
        """
        from .noise.pauli_lindblad import compute_layer_noise

        compiled = self.compile(circuit, transpile=transpile, seed=seed)
        return compute_layer_noise(self.builder(noise), compiled, model=model)


@dataclass(frozen=True)
class TwinSpec:
    """A :class:`Twin` as plain data: the profile's canonical JSON and fingerprint, and the twin's settings."""

    fingerprint: str
    profile_json: str = field(repr=False)
    noise: dict
    engine: str
    scheduling: str
    optimization_level: int | None
    max_memory_bytes: int | None
    engine_options: dict
    #: key of a twin whose unaffected noise maps this one may reuse (:meth:`Twin.with_profile`)
    parent: tuple | None = None

    @property
    def key(self) -> tuple:
        """What identifies the twin in a worker's cache: profile fingerprint, noise options, settings."""
        import json

        return (self.fingerprint, json.dumps(self.noise, sort_keys=True, default=str), self.engine, self.scheduling,
                self.optimization_level, self.max_memory_bytes, json.dumps(self.engine_options, sort_keys=True,
                                                                           default=str))


def timing_key(profile: DeviceProfile) -> str:
    """Fingerprint of the profile without the values that neither compiling nor scheduling reads.

    Dropped: every field a fit parameter kind can change (:data:`qpu_twin.profiles.edit.KINDS`:
    readout errors, T1, T2, gate errors, over-rotations, leakage, preparation, detunings, ...),
    their uncertainties and the crosstalk tables (ZZ, spectators, correlated readout). Kept:
    everything else (native gates, couplings, durations, dt, operational flags, control flow,
    names, provenance): two profiles with the same key compile and schedule a native circuit
    identically (``tests/test_twin.py::test_schedule_cache_...``).
    """
    import hashlib
    import json

    from .profiles.edit import KINDS

    drop = {e: {s.field for s in KINDS.values() if s.entity == e} | {"uncertainty"} for e in ("qubit", "gate")}
    d = profile.to_dict()
    d.pop("crosstalk", None)
    d["qubits"] = [{k: v for k, v in q.items() if k not in drop["qubit"]} for q in d.get("qubits", [])]
    d["gates"] = [{k: v for k, v in g.items() if k not in drop["gate"]} for g in d.get("gates", [])]
    text = json.dumps(d, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def profile_payload(profile: DeviceProfile) -> tuple[str, str]:
    """``(fingerprint, canonical JSON)`` of ``profile``: what a task sends instead of the profile object."""
    import json

    fingerprint = profile.fingerprint
    text = _PAYLOADS.get(fingerprint)
    if text is None:
        text = json.dumps(profile.to_dict(), sort_keys=True, separators=(",", ":"))
        _PAYLOADS[fingerprint] = text
        while len(_PAYLOADS) > 64:
            _PAYLOADS.popitem(last=False)
    else:
        _PAYLOADS.move_to_end(fingerprint)
    return fingerprint, text  # one string per profile: the tasks of a run share it (pickle sends it once)


#: canonical JSON of recently sent profiles, by fingerprint
_PAYLOADS: "OrderedDict[str, str]" = OrderedDict()


def profile_from_payload(fingerprint: str, text: str) -> DeviceProfile:
    """The profile of :func:`profile_payload`, checked to have the fingerprint it was sent with."""
    import json

    prof = DeviceProfile.model_validate(json.loads(text))
    if prof.fingerprint != fingerprint:
        raise EngineError(f"profile {prof.name!r}: fingerprint {prof.fingerprint} after the round trip to a worker, "
                          f"{fingerprint} before: the profile does not survive canonical JSON")
    return prof


#: twins a worker process keeps (least recently used dropped first): each holds its noise maps
WORKER_CACHE_SIZE = 8
_WORKER_TWINS: "OrderedDict[tuple, Twin]" = OrderedDict()


def twin_from_spec(spec: TwinSpec) -> Twin:
    """The twin of ``spec``, from this process's cache (keyed by profile fingerprint, noise and settings).

    A worker thus parses a profile and integrates a noise map once, not once per task. A new
    profile derives from the spec's ``parent`` if the cache holds it, else from the most recent
    cached twin of the same device and settings (:meth:`Twin.with_profile`: the maps the change
    cannot affect are reused; a map is a function of its inputs alone, so the results equal a
    fresh twin's). The cache keeps :data:`WORKER_CACHE_SIZE` twins.
    """
    cache = _WORKER_TWINS
    key = spec.key
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    prof = profile_from_payload(spec.fingerprint, spec.profile_json)
    parent = cache.get(spec.parent) if spec.parent is not None and spec.parent[1:] == key[1:] else None
    if parent is not None:
        cache.move_to_end(spec.parent)
    else:  # the most recent twin of the same device and settings: derive keeps exactly the maps still valid
        parent = next((t for k, t in reversed(cache.items()) if k[1:] == key[1:]
                       and t.profile.name == prof.name and t.profile.num_qubits == prof.num_qubits), None)
    if parent is not None:
        twin = parent.with_profile(prof)
    else:
        twin = Twin(prof, noise=spec.noise, engine=spec.engine, scheduling=spec.scheduling,
                    optimization_level=spec.optimization_level, max_memory_bytes=spec.max_memory_bytes,
                    engine_options=spec.engine_options)
    cache[key] = twin
    while len(cache) > WORKER_CACHE_SIZE:
        cache.popitem(last=False)
    return twin


def circuit_to_qpy(circuit) -> bytes:
    """A ``QuantumCircuit`` as bytes for a task: QPY, or a pickle when QPY would change it.

    QPY (Qiskit <= 2.6) stores no unit of a ``Delay``: a ``delay(2.0, unit="us")`` loads as
    2 dt (Qiskit/qiskit#8293, fixed by QPY 18, Qiskit/qiskit#16806). Circuits with such
    delays are pickled instead (exact; the workers run the same Qiskit anyway).
    """
    import io
    import pickle

    from qiskit import qpy

    if _has_wall_clock_delay(circuit):
        return b"P" + pickle.dumps(circuit, protocol=pickle.HIGHEST_PROTOCOL)
    buf = io.BytesIO()
    qpy.dump(circuit, buf)
    return b"Q" + buf.getvalue()


def circuit_from_qpy(data: bytes):
    """The circuit of :func:`circuit_to_qpy`."""
    import io
    import pickle

    from qiskit import qpy

    if data[:1] == b"P":
        return pickle.loads(data[1:])
    return qpy.load(io.BytesIO(data[1:]))[0]


def _has_wall_clock_delay(circuit) -> bool:
    for inst in circuit.data:
        op = inst.operation
        if op.name == "delay" and getattr(op, "unit", "dt") != "dt":
            return True
        if any(_has_wall_clock_delay(b) for b in getattr(op, "blocks", ())):
            return True
    return False


def _circuit_label(circuit, i: int) -> str:
    name = getattr(circuit, "name", None)
    return f"circuits[{i}] ({name})" if name else f"circuits[{i}]"


def _run_task(task) -> Result:
    """One circuit of :meth:`Twin.run` on a worker."""
    spec, data, shots, ss, transpile, engine, noise = task
    return twin_from_spec(spec)._run_one(circuit_from_qpy(data), shots, ss, transpile, engine, noise)


def _init_params() -> list[str]:
    import inspect

    return [p for p in inspect.signature(Twin.__init__).parameters if p != "self"]


def _check_circuit_type(name: str, circuit) -> None:
    """A circuit argument must be a QuantumCircuit, a path or OpenQASM text (parsed later)."""
    from pathlib import Path

    from qiskit import QuantumCircuit

    if not isinstance(circuit, (QuantumCircuit, str, Path)):
        raise ArgumentError(f"{name}={short_repr(circuit)}: must be a QuantumCircuit, an OpenQASM file path or "
                            f"OpenQASM text (got {type(circuit).__name__})")


def _check_params(op: str, params) -> tuple[float, ...]:
    """Gate parameters of ``noise_map``: finite numbers, as many as the gate takes."""
    import math
    import numbers

    from .profiles.gates import GATE_SPECS

    if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise ArgumentError(f"params={short_repr(params)}: must be a sequence of numbers (the gate's angles)")
    values = list(params)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
            raise ArgumentError(f"params={short_repr(params)}: {short_repr(v)} is not a finite number")
    spec = GATE_SPECS.get(op)
    if spec is not None and len(values) != spec.num_params:
        raise ArgumentError(f"params={short_repr(params)}: gate op={op!r} takes {spec.num_params} parameter(s), "
                            f"got {len(values)}")
    return tuple(float(v) for v in values)


def _check_transpile(transpile) -> bool | str:
    if isinstance(transpile, (bool, np.bool_)):
        return bool(transpile)
    if transpile == "physical":
        return "physical"
    raise ArgumentError(f"transpile={short_repr(transpile)}: use True, False or 'physical'")


def _has_zz(profile: DeviceProfile, sched: Schedule) -> bool:
    """True if the profile has a non-zero static ZZ term between two active qubits."""
    active = set(sched.active_qubits)
    return any(t.zz_khz and set(t.qubits) <= active for t in profile.crosstalk.zz)


def _has_mid_circuit_measurement(sched: Schedule) -> bool:
    """True if some measurement is followed by another op on its qubit (or there is feed-forward)."""
    measured: set[int] = set()
    for op in sched.ops:
        if op.kind == "if_else":
            return True
        if op.kind in ("idle", "delay"):
            continue
        if measured.intersection(op.qubits):
            return True
        if op.kind == "measure":
            measured.update(op.qubits)
    return False
