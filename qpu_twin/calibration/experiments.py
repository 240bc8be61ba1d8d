"""Characterization experiments: each builds circuits with metadata; analyses fit the data.

An experiment never fits and an analysis never runs anything. ``run`` executes
the circuits on a :class:`~qpu_twin.Twin`, a :class:`~qpu_twin.TwinBackend` or
any Qiskit ``BackendV2`` and returns :class:`ExperimentData`; ``analyse``
(a pure function of the data) returns :class:`CalibrationResult` records.

Quantities (``CalibrationResult.quantity``):

=====================  ==========================================================
``t1_us``              energy relaxation time (T1 experiment)
``t2_star_us``         Ramsey coherence time; ``detuning_mhz`` the fitted detuning
                       minus the programmed one
``t2_echo_us``         Hahn-echo coherence time
``prob_meas1_prep0``   readout p(1|0) (includes state-preparation error)
``prob_meas0_prep1``   readout p(0|1) (includes the X gate's error)
``alpha``              RB decay per Clifford
``epc``                error per Clifford r = (d-1)/d (1 - alpha)
``epg``                error per native gate: for 1 qubit, epc divided by the
                       mean number of physical (non-virtual) gates per Clifford;
                       for 2 qubits, (epc - 1.2 n1 * epg_1q) / n2 with n1, n2 the
                       mean numbers of 1- and 2-qubit gates per Clifford
                       (``epg_1q`` given, else 0: all error on the 2q gate).
                       1.2: a one-qubit gate with average infidelity r on a
                       two-qubit register adds 1.2 r to the two-qubit error per
                       Clifford (depolarising parameter (1 + 4 p1)/5, r = 3/4 (1 - p))
``zz_khz``             static ZZ, zeta = -(f(control in |1>) - f(control in |0>))
                       of a conditional Ramsey (H/h = zeta |11><11|)
=====================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np
from qiskit import QuantumCircuit, transpile

from ..errors import (ArgumentError, CalibrationError, check_instance, check_int, check_kwargs, check_qubits, check_real,
                      check_real_array, check_sequence, check_str, short_repr)
from ..seeding import check_seed, seed_sequence
from . import fitting as F


@dataclass(frozen=True)
class ExperimentData:
    """Binomial data of one experiment: k successes out of n shots at each x.

    ``series`` labels sub-experiments (e.g. the control state of a ZZ
    experiment, or the prepared state of a readout experiment); ``groups``
    groups points for the bootstrap (e.g. RB sequences of one length).
    """

    experiment: str
    qubits: tuple[int, ...]
    x: np.ndarray
    k: np.ndarray
    n: np.ndarray
    series: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    timestamp: datetime | None = None

    def __post_init__(self):
        check_str("experiment", self.experiment)
        object.__setattr__(self, "qubits", check_qubits("qubits", self.qubits))
        for name in ("x", "k", "n"):
            object.__setattr__(self, name, check_real_array(name, getattr(self, name)))
        if not (self.x.shape == self.k.shape == self.n.shape):
            raise CalibrationError(f"{self.experiment}: x, k and n must have the same shape (x {self.x.shape}, "
                                   f"k {self.k.shape}, n {self.n.shape})")
        for i, (k, n) in enumerate(zip(self.k, self.n)):
            if n < 0 or not 0 <= k <= n:
                raise CalibrationError(f"{self.experiment}: point {i}: k={k!r}, n={n!r}: need 0 <= k <= n "
                                       "(successes out of shots)")
        if self.series is not None:
            check_real_array("series", self.series)  # numeric labels (kept with their own dtype)
            object.__setattr__(self, "series", np.asarray(self.series))
            if self.series.shape != self.x.shape:
                raise CalibrationError(f"{self.experiment}: series has shape {self.series.shape} but x has "
                                       f"{self.x.shape}")
        check_instance("meta", self.meta, dict)
        check_str("source", self.source, allow_empty=True)
        check_instance("timestamp", self.timestamp, datetime, allow_none=True)


@dataclass(frozen=True)
class CalibrationResult:
    """One fitted quantity with its standard error and a quality verdict."""

    experiment: str
    qubits: tuple[int, ...]
    quantity: str
    value: float
    stderr: float
    unit: str = ""
    quality: str = "good"
    status: str = "success"
    fit: F.CurveFit | None = field(default=None, repr=False, compare=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"experiment": self.experiment, "qubits": list(self.qubits), "quantity": self.quantity,
                "value": self.value, "stderr": self.stderr, "unit": self.unit, "quality": self.quality,
                "status": self.status, **({"extra": self.extra} if self.extra else {})}


# ---------------------------------------------------------------------- running
def _backend_of(target):
    from ..interop.backend import TwinBackend
    from ..twin import Twin

    if isinstance(target, Twin):
        return TwinBackend(target.profile, noise=target.noise, engine=target.engine,
                           engine_options=target.engine_options)
    if hasattr(target, "run") and hasattr(target, "target"):
        return target
    raise CalibrationError(f"target={short_repr(target)}: cannot run experiments on {type(target).__name__}: use a "
                           "Twin or a Qiskit BackendV2")


def run_counts(target, circuits: list[QuantumCircuit], qubits: Sequence[int], *, shots: int, seed=None,
               optimization_level: int = 1, executor=None) -> tuple[list[dict[str, int]], list[QuantumCircuit]]:
    """Transpile ``circuits`` onto ``qubits`` of the backend (delays kept); return (counts, compiled circuits).

    ``executor`` (a ``concurrent.futures.Executor``) is passed to the backend's ``run`` (the
    twin's backend runs the circuits there; Aer takes the same option); ``None``: not passed.
    """
    backend = _backend_of(target)
    tq = transpile(circuits, backend, initial_layout=list(qubits), optimization_level=optimization_level,
                   seed_transpiler=0 if seed is None else int(seed_sequence(seed).generate_state(1)[0] % 2**31))
    kwargs = {"shots": shots}
    if seed is not None:
        kwargs["seed_simulator"] = int(seed_sequence(seed).generate_state(1)[0] % 2**31)
    if executor is not None:
        kwargs["executor"] = executor
    result = backend.run(tq, **kwargs).result()
    return [{k.replace(" ", ""): v for k, v in result.get_counts(i).items()} for i in range(len(tq))], tq


def _delay(qc: QuantumCircuit, seconds: float, qubit: int, dt_s: float | None = None) -> float:
    """Wait ``seconds`` on ``qubit``; returns the wait actually applied (s).

    On a device with a time step ``dt_s`` the wait is the nearest whole number
    of steps (as the hardware runs it), so the analysis fits the delays that
    ran, and the transpiler has nothing to round.
    """
    if dt_s:
        steps = int(round(float(seconds) / dt_s))
        qc.delay(steps, qubit, unit="dt")
        return steps * dt_s
    qc.delay(float(seconds) * 1e6, qubit, unit="us")
    return float(seconds)


def _dt_of(target) -> float | None:
    """The time step (s) of a Twin's profile or a backend's Target, if it has one."""
    profile = getattr(target, "profile", None)
    if profile is not None and hasattr(profile, "dt_ns"):
        return None if profile.dt_ns is None else profile.dt_ns * 1e-9
    return getattr(getattr(target, "target", None), "dt", None) or getattr(target, "dt", None)


class Experiment:
    """Base class: ``circuits()``, ``run(target, shots, seed)``, ``analyse(data)``."""

    name = "experiment"

    def __init__(self, qubits: Sequence[int]):
        self.qubits = check_qubits("qubits", qubits, allow_empty=False)

    def circuits(self, *, dt_s: float | None = None) -> list[QuantumCircuit]:  # pragma: no cover - interface
        """The experiment's circuits; waits are whole multiples of ``dt_s`` (s) when given."""
        raise NotImplementedError

    def run(self, target, *, shots: int = 1000, seed=None, executor=None) -> ExperimentData:
        """Run the circuits on ``target`` (a Twin, TwinBackend or Qiskit BackendV2) and collect the data.

        ``executor``: run the batch of circuits there (one task per circuit, see
        :meth:`qpu_twin.Twin.run`); the counts equal the serial run's.
        """
        from ..parallel import check_executor

        _backend_of(target)  # CalibrationError naming a target that cannot run circuits
        shots = check_int("shots", shots, minimum=1, maximum=10**15)  # qpu_twin.twin.MAX_SHOTS
        check_seed(seed)
        check_executor(executor)
        circs = self.circuits(dt_s=_dt_of(target))
        counts, compiled = run_counts(target, circs, self.qubits, shots=shots, seed=seed, executor=executor)
        x, k, n, series = [], [], [], []
        for c, cnt in zip(circs, counts):
            md = c.metadata
            x.append(md["x"])
            k.append(cnt.get(md["success"], 0))
            n.append(sum(cnt.values()))
            series.append(md.get("series", 0))
        meta = self._run_meta(compiled)
        name = getattr(target, "name", None) or getattr(getattr(target, "profile", None), "name", "")
        return ExperimentData(self.name, self.qubits, np.array(x), np.array(k), np.array(n), np.array(series),
                              meta, source=f"run on {name}", timestamp=datetime.now(timezone.utc))

    def _run_meta(self, compiled) -> dict[str, Any]:
        return {}

    @classmethod
    def analyse(cls, data: ExperimentData, **kwargs) -> list[CalibrationResult]:  # pragma: no cover
        raise NotImplementedError


#: Keyword arguments the analyses pass on to :func:`~qpu_twin.calibration.fitting.fit_binomial`.
FIT_KWARGS = ("bootstrap", "groups", "seed")


def _check_analyse(cls, data, kw, allowed=FIT_KWARGS) -> None:
    check_instance("data", data, ExperimentData)
    check_kwargs(f"{cls.__name__}.analyse", kw, allowed)


def _result(data, quantity, fit, pname, scale=1.0, unit="", extra=None) -> CalibrationResult:
    return CalibrationResult(data.experiment, data.qubits, quantity, fit.params[pname] * scale,
                             fit.stderr[pname] * scale, unit, fit.quality, fit.status, fit, extra or {})


# ---------------------------------------------------------------------- T1 / T2
class _DelayScan(Experiment):
    """One single-qubit circuit per delay t (us): ``_sequence`` builds it, then a measurement."""

    success = "1"  # the outcome counted as k

    def __init__(self, qubit: int, delays_us: Sequence[float]):
        super().__init__([check_int("qubit", qubit, minimum=0)])
        self.delays_us = check_real_array("delays_us", delays_us, minimum=0.0)

    def _metadata(self) -> dict[str, Any]:
        return {}

    def _sequence(self, qc: QuantumCircuit, t_us: float, dt_s: float | None) -> float:  # pragma: no cover
        """Build the sequence for delay ``t_us``; return the delay it applies (us)."""
        raise NotImplementedError

    def circuits(self, *, dt_s: float | None = None):
        dt_s = check_real("dt_s", dt_s, minimum=0.0, strict_minimum=True, allow_none=True)
        out = []
        for t in self.delays_us:
            qc = QuantumCircuit(1, 1, metadata={"success": self.success, **self._metadata()})
            qc.metadata["x"] = self._sequence(qc, float(t), dt_s)
            qc.measure(0, 0)
            out.append(qc)
        return out


class T1Experiment(_DelayScan):
    """X, wait t, measure: P(1) = a exp(-t/T1) + b."""

    name = "T1"

    def _sequence(self, qc, t_us, dt_s):
        qc.x(0)
        return _delay(qc, t_us * 1e-6, 0, dt_s) * 1e6

    @classmethod
    def analyse(cls, data, **kw):
        _check_analyse(cls, data, kw)
        x = data.x
        span = max(x.max() - x.min(), 1e-9)
        fit = F.fit_binomial(F.exp_decay, x, data.k, data.n, names=["a", "tau", "b"], model="a*exp(-t/T1)+b",
                             p0=[0.95, span / 2, 0.02], bounds=([0, span * 1e-3, -0.2], [1.2, span * 1e3, 0.5]), **kw)
        return [_result(data, "t1_us", fit, "tau", unit="us")]


def _ramsey(qc: QuantumCircuit, q: int, t_us: float, detuning_mhz: float, dt_s: float | None = None) -> float:
    """sx, wait t, virtual detuning rz(2 pi f_d t), sx on qubit ``q``; returns the wait applied (us)."""
    qc.sx(q)
    t_us = _delay(qc, t_us * 1e-6, q, dt_s) * 1e6
    qc.rz(2 * np.pi * detuning_mhz * t_us, q)
    qc.sx(q)
    return t_us


class RamseyExperiment(_DelayScan):
    """sx, wait t, rz(2 pi f_d t), sx: P(1) = a exp(-t/T2*) cos(2 pi f t + phi) + b."""

    name = "T2Ramsey"

    def __init__(self, qubit: int, delays_us: Sequence[float], *, detuning_mhz: float = 0.1):
        super().__init__(qubit, delays_us)
        self.detuning_mhz = check_real("detuning_mhz", detuning_mhz)

    def _metadata(self):
        return {"detuning_mhz": self.detuning_mhz}

    def _sequence(self, qc, t_us, dt_s):
        return _ramsey(qc, 0, t_us, self.detuning_mhz, dt_s)

    def _run_meta(self, compiled):
        return {"detuning_mhz": self.detuning_mhz}

    @classmethod
    def analyse(cls, data, **kw):
        _check_analyse(cls, data, kw)
        det = float(data.meta.get("detuning_mhz", 0.0))
        fit = _fit_ramsey(data.x, data.k, data.n, det, kw)
        return [
            _result(data, "t2_star_us", fit, "tau", unit="us"),
            CalibrationResult(data.experiment, data.qubits, "detuning_mhz", fit.params["f"] - det, fit.stderr["f"],
                              "MHz", fit.quality, fit.status, fit),
        ]


def _fit_ramsey(x, k, n, f_guess, kw) -> F.CurveFit:
    y = k / n
    span = max(x.max() - x.min(), 1e-9)
    fg = F.guess_frequency(x, y) or f_guess
    fits = []
    for phi in (0.0, np.pi / 2, np.pi, -np.pi / 2):
        fit = F.fit_binomial(F.damped_cosine, x, k, n, names=["a", "tau", "f", "phi", "b"],
                             model="a*exp(-t/T2)*cos(2 pi f t+phi)+b",
                             p0=[0.5, span, fg, phi, 0.5],
                             bounds=([0, span * 1e-3, 0, -2 * np.pi, 0], [1, span * 1e3, 10 * max(fg, f_guess, 1e-3),
                                                                         2 * np.pi, 1]), **kw)
        fits.append(fit)
    # successful fits first, then the lowest chi2 (NaN counts as worst)
    return min(fits, key=lambda f: (f.status != "success", np.nan_to_num(f.chi2_red, nan=np.inf)))


class HahnEchoExperiment(_DelayScan):
    """sx, t/2, x, t/2, sx: P(1) = a exp(-t/T2) + b (decays towards 1/2)."""

    name = "T2Hahn"
    success = "0"

    def _sequence(self, qc, t_us, dt_s):
        qc.sx(0)
        first = _delay(qc, t_us * 0.5e-6, 0, dt_s)
        qc.x(0)
        second = _delay(qc, t_us * 0.5e-6, 0, dt_s)
        qc.sx(0)
        return (first + second) * 1e6

    @classmethod
    def analyse(cls, data, **kw):
        _check_analyse(cls, data, kw)
        span = max(data.x.max() - data.x.min(), 1e-9)
        fit = F.fit_binomial(F.exp_decay, data.x, data.k, data.n, names=["a", "tau", "b"], model="a*exp(-t/T2)+b",
                             p0=[0.5, span / 2, 0.5], bounds=([0, span * 1e-3, 0.2], [1, span * 1e3, 0.8]), **kw)
        return [_result(data, "t2_echo_us", fit, "tau", unit="us")]


# ---------------------------------------------------------------------- readout
class ReadoutExperiment(Experiment):
    """Prepare |0> and |1> (X), measure: p(1|0) and p(0|1) with binomial errors."""

    name = "Readout"

    def __init__(self, qubit: int):
        super().__init__([check_int("qubit", qubit, minimum=0)])

    def circuits(self, *, dt_s: float | None = None):  # no waits: dt_s is not used
        dt_s = check_real("dt_s", dt_s, minimum=0.0, strict_minimum=True, allow_none=True)
        q0 = QuantumCircuit(1, 1, metadata={"x": 0.0, "success": "1", "series": 0})
        q0.measure(0, 0)
        q1 = QuantumCircuit(1, 1, metadata={"x": 1.0, "success": "0", "series": 1})
        q1.x(0)
        q1.measure(0, 0)
        return [q0, q1]

    @classmethod
    def analyse(cls, data, **kw):
        _check_analyse(cls, data, kw, allowed=())  # counting, no fit: nothing to pass on
        out = []
        for prep, quantity in ((0, "prob_meas1_prep0"), (1, "prob_meas0_prep1")):
            sel = data.x == prep
            k, n = float(data.k[sel].sum()), float(data.n[sel].sum())
            if n == 0:
                continue
            p = k / n
            out.append(CalibrationResult(data.experiment, data.qubits, quantity, p, float(np.sqrt(max(p * (1 - p), 1 / n) / n)),
                                         "", "good", "success", None, {"k": k, "n": n}))
        return out


# ---------------------------------------------------------------------- randomized benchmarking
class RBExperiment(Experiment):
    """Clifford randomized benchmarking on 1 or 2 qubits (sequences + inverse, barriers between Cliffords)."""

    name = "RB"

    def __init__(self, qubits: Sequence[int], lengths: Sequence[int], *, num_samples: int = 6, seed: int = 0):
        super().__init__(qubits)
        if len(self.qubits) not in (1, 2):
            raise CalibrationError(f"RB on {len(self.qubits)} qubits: 1 or 2 supported")
        lengths = check_sequence("lengths", lengths, allow_empty=False)
        self.lengths = [check_int(f"lengths[{i}]", m, minimum=0) for i, m in enumerate(lengths)]
        self.num_samples = check_int("num_samples", num_samples, minimum=1, maximum=10**6)
        self.seed = check_seed(seed)
        self.name = "RB1Q" if len(self.qubits) == 1 else "RB2Q"

    def circuits(self, *, dt_s: float | None = None):  # no waits: dt_s is not used
        dt_s = check_real("dt_s", dt_s, minimum=0.0, strict_minimum=True, allow_none=True)
        from qiskit.quantum_info import Clifford, random_clifford

        nq = len(self.qubits)
        rng = np.random.default_rng(self.seed)
        out = []
        for s in range(self.num_samples):
            for m in self.lengths:
                qc = QuantumCircuit(nq, nq, metadata={"x": float(m), "success": "0" * nq, "series": s})
                total = Clifford(QuantumCircuit(nq))
                for _ in range(m):
                    c = random_clifford(nq, seed=rng)
                    qc.compose(c.to_circuit(), inplace=True)
                    qc.barrier()
                    total = total.compose(c)
                qc.compose(total.adjoint().to_circuit(), inplace=True)
                qc.measure(range(nq), range(nq))
                out.append(qc)
        return out

    def _run_meta(self, compiled):
        n1 = n2 = 0
        cliffords = 0
        for c in compiled:
            ops = c.count_ops()
            n2 += sum(v for k, v in ops.items() if k in ("cx", "ecr", "cz", "rzz"))
            n1 += sum(v for k, v in ops.items() if k in ("sx", "x", "r", "u", "u2", "u3", "rx", "ry"))
            cliffords += int(c.metadata["x"]) + 1
        return {"gates_1q_per_clifford": n1 / cliffords / max(1, len(self.qubits)),
                "gates_2q_per_clifford": n2 / cliffords, "num_qubits": len(self.qubits)}

    @classmethod
    def analyse(cls, data, *, epg_1q: float = 0.0, bootstrap: int = 0, seed=None, **kw):
        _check_analyse(cls, data, kw, allowed=("epg_1q", "bootstrap", "seed"))  # all of them named above
        epg_1q = check_real("epg_1q", epg_1q, minimum=0.0, maximum=1.0)
        bootstrap = check_int("bootstrap", bootstrap, minimum=0, maximum=10**6)
        check_seed(seed)
        nq = int(data.meta.get("num_qubits", len(data.qubits)))
        d = 2**nq
        x = data.x
        groups = None
        if bootstrap:
            groups = x.astype(int)
        fit = F.fit_binomial(F.rb_decay, x, data.k, data.n, names=["a", "p", "b"], model="a*p^m+b",
                             p0=[1 - 1 / d, 0.99, 1 / d], bounds=([0, 0.5, 0], [1, 1, 1]), bootstrap=bootstrap,
                             groups=groups, seed=seed, **kw)
        p, sp = fit.params["p"], fit.stderr["p"]
        epc = (d - 1) / d * (1 - p)
        s_epc = (d - 1) / d * sp
        out = [
            _result(data, "alpha", fit, "p"),
            CalibrationResult(data.experiment, data.qubits, "epc", epc, s_epc, "", fit.quality, fit.status, fit),
        ]
        if nq == 1 and data.meta.get("gates_1q_per_clifford"):
            g = data.meta["gates_1q_per_clifford"]
            out.append(CalibrationResult(data.experiment, data.qubits, "epg", epc / g, s_epc / g, "", fit.quality,
                                         fit.status, fit, {"gates_per_clifford": g}))
        if nq == 2 and data.meta.get("gates_2q_per_clifford"):
            n2 = data.meta["gates_2q_per_clifford"]
            n1 = data.meta.get("gates_1q_per_clifford", 0.0) * 2
            out.append(CalibrationResult(data.experiment, data.qubits, "epg", (epc - 1.2 * n1 * epg_1q) / n2, s_epc / n2,
                                         "", fit.quality, fit.status, fit,
                                         {"gates_2q_per_clifford": n2, "gates_1q_per_clifford": n1, "epg_1q": epg_1q}))
        return out


# ---------------------------------------------------------------------- ZZ
class ZZExperiment(Experiment):
    """Conditional Ramsey on ``target`` with ``control`` in |0> or |1>: zeta = -(f1 - f0).

    f0, f1 are the fitted Ramsey frequencies (>= 0) with the control in |0>, |1>;
    |zeta| must stay below the detuning, or the sign is lost (quality "bad")."""

    name = "ZZ"

    def __init__(self, control: int, target: int, delays_us: Sequence[float], *, detuning_mhz: float = 0.2):
        control, target = check_int("control", control, minimum=0), check_int("target", target, minimum=0)
        if control == target:
            raise ArgumentError(f"target={target}: must differ from control={control}")
        super().__init__([control, target])
        self.delays_us = check_real_array("delays_us", delays_us, minimum=0.0)
        self.detuning_mhz = check_real("detuning_mhz", detuning_mhz)

    def circuits(self, *, dt_s: float | None = None):
        dt_s = check_real("dt_s", dt_s, minimum=0.0, strict_minimum=True, allow_none=True)
        out = []
        for ctrl in (0, 1):
            for t in self.delays_us:
                qc = QuantumCircuit(2, 1, metadata={"success": "1", "series": ctrl})
                if ctrl:
                    qc.x(0)
                qc.barrier()  # keep the control flip before the Ramsey (ALAP would move it to the end)
                qc.metadata["x"] = _ramsey(qc, 1, float(t), self.detuning_mhz, dt_s)
                qc.measure(1, 0)
                out.append(qc)
        return out

    def _run_meta(self, compiled):
        return {"detuning_mhz": self.detuning_mhz}

    @classmethod
    def analyse(cls, data, **kw):
        _check_analyse(cls, data, kw)
        det = float(data.meta.get("detuning_mhz", 0.2))
        fits = []
        for ctrl in (0, 1):
            sel = data.series == ctrl
            fits.append(_fit_ramsey(data.x[sel], data.k[sel], data.n[sel], det, kw))
        f0, f1 = fits[0].params["f"], fits[1].params["f"]
        s = float(np.hypot(fits[0].stderr["f"], fits[1].stderr["f"]))
        quality = "good" if all(f.quality == "good" for f in fits) else "bad"
        status = "success" if all(f.status == "success" for f in fits) else "; ".join(f.status for f in fits)
        # a |1> control shifts the target's |1> energy by +zeta: its Ramsey phase runs slower by zeta
        zeta_mhz = -(f1 - f0)
        if abs(f1 - f0) >= det:  # a frequency folded through zero: the sign of zeta is ambiguous
            quality = "bad"
            status = f"{status}; |f1 - f0| = {abs(f1 - f0):.3g} MHz >= detuning {det:.3g} MHz: raise detuning_mhz"
        return [CalibrationResult(data.experiment, data.qubits, "zz_khz", zeta_mhz * 1e3, s * 1e3, "kHz", quality,
                                  status, fits[1], {"f0_mhz": f0, "f1_mhz": f1})]
