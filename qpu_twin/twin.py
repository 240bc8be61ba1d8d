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
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import __version__
from .compile.circuits import compile_circuit, load_circuit
from .compile.schedule import Schedule, schedule_circuit
from .engines import get_engine
from .errors import EngineError, QpuTwinError
from .noise import channels as ch
from .noise.builder import NoiseBuilder
from .noise.options import NoiseOptions
from .noise.program import NoisyProgram
from .profiles.io import load_profile
from .profiles.model import DeviceProfile

#: ``engine="auto"`` uses the exact density-matrix engine up to this many active qubits.
AUTO_DM_MAX_QUBITS = 12


@dataclass(frozen=True)
class Result:
    """Outcome of one circuit on the twin.

    Attributes
    ----------
    probabilities : dict[str, float]
        Exact distribution over the classical bits (Qiskit order: clbit 0 is
        the rightmost character). Tiny negative round-off (> -1e-12) is kept
        as computed.
    counts : dict[str, int] or None
        ``shots`` samples from ``probabilities`` (seeded), if shots were asked for.
    engine : str
    metadata : dict
        Profile name/timestamp/fingerprint, noise options, seeds,
        ``compiled_circuit`` (the physical circuit simulated), active qubits,
        timings, engine statistics: enough to reproduce the numbers.
    """

    probabilities: dict[str, float]
    counts: dict[str, int] | None
    shots: int | None
    engine: str
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)

    def marginal(self, clbits: Sequence[int]) -> dict[str, float]:
        """Distribution of the listed classical bits; ``clbits[0]`` is the rightmost character
        (as in Qiskit's ``marginal_distribution``)."""
        out: dict[str, float] = {}
        for key, p in self.probabilities.items():
            k = "".join(key[len(key) - 1 - c] for c in reversed(clbits))
            out[k] = out.get(k, 0.0) + p
        return out

    def expectation_z(self, clbits: Sequence[int]) -> float:
        """<Z...Z> over the listed classical bits: sum of p * (-1)^(parity)."""
        total = 0.0
        for key, p in self.probabilities.items():
            parity = sum(key[len(key) - 1 - c] == "1" for c in clbits) % 2
            total += -p if parity else p
        return total

    def most_likely(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)


def _seed_sequence(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(2**63)))
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(seed)


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
        Passed to Qiskit's transpiler.
    max_memory_bytes : int, optional
        Memory limit of the density-matrix engine (default 75 % of RAM).
    engine_options : dict, optional
        Options of the tensor-network engine (``max_bond``, ``cutoff``,
        ``max_enumerate``, ``warn_threshold``, ``progress``).
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
        self.engine_options = dict(engine_options or {})
        self.noise = NoiseOptions.coerce(noise)
        self.engine = engine
        self.scheduling = scheduling
        self.optimization_level = optimization_level
        self.max_memory_bytes = max_memory_bytes
        self._builders: dict[tuple, NoiseBuilder] = {}

    @classmethod
    def as_of(cls, device: str, date, **kwargs) -> "Twin":
        """A twin of ``device`` as calibrated on ``date`` (latest dated profile not after it)."""
        from .calibration.update import profile_as_of

        return cls(profile_as_of(device, date), **kwargs)

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

    def compile(self, circuit, *, transpile: bool = True, seed: int | None = None):
        """The physical, native ``QuantumCircuit`` that would be simulated."""
        return compile_circuit(circuit, self.profile, transpile=transpile, seed=seed,
                               optimization_level=self.optimization_level)

    def schedule(self, circuit, *, transpile: bool = True, seed: int | None = None) -> Schedule:
        """The timed schedule (ops, idle windows, active qubits) of ``circuit``."""
        return schedule_circuit(self.compile(circuit, transpile=transpile, seed=seed), self.profile,
                                method=self.scheduling)

    def program(self, circuit, *, transpile: bool = True, seed: int | None = None, noise=None) -> NoisyProgram:
        return self.builder(noise).program(self.schedule(circuit, transpile=transpile, seed=seed))

    def noise_map(self, op: str, qubits, *, params=(), duration_ns: float | None = None, form: str = "superop",
                  noise=None):
        """The CPTP map the twin uses for ``op`` on physical ``qubits``.

        Parameters
        ----------
        op : str
            A native gate name, ``"idle"`` / ``"delay"`` (needs ``duration_ns``),
            ``"reset"``, or ``"zz"`` (a coupled pair, needs ``duration_ns``).
        form : {"superop", "kraus", "choi", "matrix"}
            Qiskit ``SuperOp`` / ``Kraus`` / ``Choi`` objects, or the raw
            row-major superoperator (the engine's convention).
        """
        b = self.builder(noise)
        qubits = tuple(qubits)
        if op in ("idle", "delay"):
            if duration_ns is None:
                raise QpuTwinError(f"noise_map({op!r}) needs duration_ns")
            s = b.idle_map(qubits[0], duration_ns)
        elif op == "reset":
            s = b.reset_map(qubits[0])
        elif op == "zz":
            if duration_ns is None or len(qubits) != 2:
                raise QpuTwinError("noise_map('zz') needs a pair of qubits and duration_ns")
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
        if form == "choi":
            return Choi(sup)
        raise QpuTwinError(f"form={form!r}: use 'superop', 'kraus', 'choi' or 'matrix'")

    def density_matrix(self, circuit, *, transpile: bool = True, seed=None, noise=None):
        """The exact noisy state of the active qubits before the terminal measurements.

        Returns ``(state, active_qubits)``: a Qiskit ``DensityMatrix`` whose qubit
        i is physical qubit ``active_qubits[i]``. Readout errors are not in it
        (they act on the recorded bits); mid-circuit measurement branches are summed.
        """
        from qiskit.quantum_info import DensityMatrix

        ss = _seed_sequence(seed)
        transpile_seed = int(ss.generate_state(1)[0] % (2**31))
        sched = schedule_circuit(self.compile(circuit, transpile=transpile, seed=transpile_seed), self.profile,
                                 method=self.scheduling)
        eng = get_engine("density_matrix", max_memory_bytes=self.max_memory_bytes, save_state=True)
        eng.check_size(sched.num_active, mid_circuit_measurements=_has_mid_circuit_measurement(sched))
        out = eng.run(self.builder(noise).program(sched))
        return DensityMatrix(out.metadata["final_state"]), list(sched.active_qubits)

    def _make_engine(self, name: str):
        if name == "density_matrix":
            return get_engine(name, max_memory_bytes=self.max_memory_bytes)
        return get_engine(name, **self.engine_options)

    def _engine_for(self, n_active: int, engine: str | None) -> str:
        name = engine or self.engine
        if name == "auto":
            from .engines import engine_names

            if n_active <= AUTO_DM_MAX_QUBITS or "tensor_network" not in engine_names():
                return "density_matrix"
            return "tensor_network"
        return name

    # ------------------------------------------------------------------ run
    def run(
        self,
        circuits,
        shots: int | None = None,
        seed=None,
        transpile: bool = True,
        engine: str | None = None,
        noise=None,
        progress: bool | None = None,
    ):
        """Run one circuit or a list of circuits; returns a :class:`Result` or a list.

        Parameters
        ----------
        circuits : QuantumCircuit, OpenQASM path/text, or a list of them
        shots : int, optional
            If given, ``res.counts`` holds that many samples of the exact distribution.
        seed : int, numpy Generator or None
            Seeds the transpiler and the sampling (recorded in ``res.metadata``).
        transpile : bool
            ``False``: the circuit is already native and physical (qubit i is device qubit i).
        engine, noise : optional per-call overrides.
        progress : bool, optional
            Show a tqdm bar over the circuits (default: for lists of 3+ circuits on a terminal).
        """
        single = not isinstance(circuits, (list, tuple))
        items = [circuits] if single else list(circuits)
        if shots is not None and (not isinstance(shots, (int, np.integer)) or shots < 1):
            raise QpuTwinError(f"shots={shots!r} must be a positive integer or None")
        ss = _seed_sequence(seed)
        children = ss.spawn(len(items))
        if progress is None:
            progress = len(items) >= 3 and sys.stderr.isatty()
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
        qc = load_circuit(circuit)
        transpile_seed = int(ss.generate_state(1)[0] % (2**31))
        compiled = compile_circuit(qc, self.profile, transpile=transpile, seed=transpile_seed,
                                   optimization_level=self.optimization_level)
        timings["compile_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        sched = schedule_circuit(compiled, self.profile, method=self.scheduling)
        ename = self._engine_for(sched.num_active, engine)
        eng = self._make_engine(ename)
        mid = _has_mid_circuit_measurement(sched)
        eng.check_size(sched.num_active, mid_circuit_measurements=mid)  # before building any map
        builder = self.builder(noise)
        program = builder.program(sched)
        timings["noise_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        out = eng.run(program)
        timings["engine_s"] = time.perf_counter() - t2
        probs = out.probabilities
        counts = None
        sample_seed = None
        if shots is not None:
            sample_ss = ss.spawn(1)[0]
            sample_seed = sample_ss.entropy
            rng = np.random.default_rng(sample_ss)
            if out.sampler is None:
                counts = _sample(probs, int(shots), rng)
            else:  # the engine samples itself (e.g. truncated MPDO: clips and counts negative weights)
                counts, clipped = out.sampler(int(shots), rng)
                out.metadata["sampling_clipped_negative_weights"] = clipped
        timings["total_s"] = time.perf_counter() - t0
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
            "engine_stats": out.metadata,
            "noise_cache": builder.cache_info(),
            "timings": timings,
            "qpu_twin_version": __version__,
        }
        return Result(probs, counts, shots, ename, meta)


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


def _sample(probs: dict[str, float], shots: int, rng: np.random.Generator) -> dict[str, int]:
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    if p.size == 0:
        raise EngineError("cannot sample: empty distribution")
    if p.min() < -1e-12:
        raise EngineError(f"cannot sample: probability {p.min():.3g} < 0 (numerical failure)")
    p = np.maximum(p, 0.0)  # round-off below 1e-12 only (checked above)
    p /= p.sum()
    draws = rng.multinomial(shots, p)
    return {k: int(c) for k, c in zip(keys, draws) if c}
