"""Fit the whole twin to measured counts (MAP with datasheet priors), with uncertainties.

Parameters (``FitParameter.kind``):

* ``p10`` / ``p01``: readout p(1|0), p(0|1) of a qubit. Fitted jointly by
  L-BFGS-B with analytic gradients on cached readout-free distributions
  (:mod:`.likelihood`); Gaussian prior at the datasheet value, sigma =
  max(profile stderr, 50 % of the value, 0.005).
* ``gate_error``: total error (average infidelity) of a native gate;
  log-normal prior around the datasheet value (sigma_log = 1).
* ``t1_us``: log-normal prior (sigma_log = 0.5).
* ``t2_us``: log-normal prior (sigma_log = 0.5), searched below 2 T1 (the
  physical limit; the profile validator enforces it).
* ``zz_khz``: Gaussian prior at the datasheet value, sigma = max(50 %, 20 kHz).
* ``overrotation``: coherent over-rotation fraction of a gate, Gaussian prior
  at 0, sigma = 0.05.
* ``ix_error_rad`` / ``zx_error_rad``: coherent IX / ZX error of a two-qubit
  gate (rad; for cx(a, b) the target over-rotates by ix + zx when the control
  is |0>, by ix - zx when it is |1>); Gaussian prior at 0 (or the profile's
  value), sigma = 0.1 rad, searched over +-3 sigma. A single gate's flip
  probability is even in the angle, so the fit reports one of the mirror
  values; the relative signs of gates acting on the same qubit are what the
  data fix.
* ``detuning_khz``: mean offset of a qubit's frequency from its drive frame
  (drift since calibration), for the qubits some circuit puts in superposition;
  Gaussian prior at 0 (or the profile's value), sigma = 25 kHz. Its likelihood
  oscillates (a Ramsey fringe), so the search first scans a grid of
  ``DETUNING_GRID`` points over +-3 sigma and then runs Brent between the best
  point's neighbours. Circuits that only show it through idle superpositions
  (Ramsey-like) cannot tell its sign: the fit reports one of the two mirror
  values.

Quantum parameters are fitted one at a time (block-coordinate ascent of the
log posterior with bounded Brent searches), re-simulating only the training
circuits that touch the parameter's qubits and reusing every unaffected noise
map; readout and quantum blocks alternate for ``sweeps`` rounds. Uncertainties
are 1/sqrt of the diagonal of the observed Fisher information (the curvature
of the negative log posterior at the optimum; correlations between blocks are
neglected, which the docs state).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from ..data import MeasuredCircuit
from ..errors import (ArgumentError, FitError, check_bool, check_instance, check_int, check_path, check_real,
                      check_sequence, check_str, did_you_mean, short_repr)
from ..files import read_checkpoint, write_checkpoint
from ..profiles.edit import ParameterRef, with_values
from ..profiles.model import DeviceProfile
from ..twin import Twin, TwinSpec
from ..noise.readout import separation_errors
from .likelihood import CircuitTerm, loglik_readout, make_terms


@dataclass(frozen=True)
class FitParameter:
    kind: str  # a key of KINDS: p10, p01, gate_error, ..., detuning_khz
    target: tuple  # (qubit,) or (gate name, qubits) or (a, b)
    value: float
    stderr: float = float("nan")
    prior_value: float = float("nan")
    prior_sigma: float = float("nan")
    #: the optimum lies on a bound of the parameter's search interval (the data push beyond it)
    at_bound: bool = False

    def __post_init__(self):
        object.__setattr__(self, "target", self.ref.target)  # normalised (validated) target
        check_real("value", self.value)
        for name in ("stderr", "prior_value", "prior_sigma"):  # NaN: unknown
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise ArgumentError(f"{name}={short_repr(v)}: must be a real number (NaN if unknown)")
            if name != "prior_value" and v < 0:
                raise ArgumentError(f"{name}={v!r}: must be >= 0 (NaN if unknown)")
        check_bool("at_bound", self.at_bound)

    @property
    def ref(self) -> ParameterRef:
        """The profile parameter this fit parameter sets."""
        return ParameterRef(self.kind, self.target)

    @property
    def label(self) -> str:
        return self.ref.label

    @property
    def qubits(self) -> frozenset:
        return self.ref.qubits


def _get(profile: DeviceProfile, kind: str, target) -> float:
    value = ParameterRef(kind, target).get(profile)
    if value is None:
        raise FitError(f"{ParameterRef(kind, target).label}: the profile {profile.name!r} gives no value to start from")
    return value


def profile_with(profile: DeviceProfile, params: Sequence[FitParameter], *, name: str | None = None) -> DeviceProfile:
    """A copy of ``profile`` with the parameter values (and finite standard errors) applied, validated.

    A T1 moved below T2/2 (with T2 not fitted) takes T2 down to 2 T1, recorded in the notes.
    """
    check_instance("profile", profile, DeviceProfile)
    params = check_sequence("params", params, of=FitParameter, what="FitParameter")
    check_str("name", name, allow_none=True)
    return with_values(profile, [(p.ref, p.value, p.stderr) for p in params], name=name, keep_t2_physical=True)


def _prior(kind: str, value: float, profile_sigma: float | None) -> float:
    if kind in ("p10", "p01"):
        return max(profile_sigma or 0.0, 0.5 * value, 0.005)
    if kind == "gate_error":
        return 1.0  # in log space
    if kind in ("t1_us", "t2_us"):
        return 0.5  # in log space
    if kind == "zz_khz":
        return max(0.5 * abs(value), 20.0)
    if kind in _NEW_PHYSICS_SIGMA:
        return _NEW_PHYSICS_SIGMA[kind]
    return 0.05  # overrotation


def _logprior(kind: str, x: float, mu: float, sigma: float) -> float:
    if kind in _LOG_KINDS:
        return -0.5 * ((math.log(x) - math.log(mu)) / sigma) ** 2
    return -0.5 * ((x - mu) / sigma) ** 2


_LOG_KINDS = ("gate_error", "t1_us", "t2_us")  # fitted (and sampled) in log space
#: Parameter kinds the fit knows (a subset of qpu_twin.profiles.edit.KINDS), with their search bounds.
_BOUNDS = {"p10": (1e-5, 0.5), "p01": (1e-5, 0.5), "gate_error": (1e-6, 0.5), "t1_us": (1.0, 5e4), "t2_us": (1.0, 1e5),
           "zz_khz": (-2000.0, 2000.0), "overrotation": (-0.3, 0.3),
           # the new physics (issue #14): Gaussian priors at the profile's value (0 when it gives none)
           "prep_excited_prob": (0.0, 0.3), "meas_excitation_prob": (0.0, 0.3), "meas_relaxation_prob": (0.0, 0.3),
           "readout_t1_window_ns": (0.0, 1e5), "leakage_prob": (0.0, 0.1), "detuning_sigma_khz": (0.0, 500.0),
           "reset_error": (0.0, 0.5), "detuning_khz": (-500.0, 500.0), "ix_error_rad": (-1.0, 1.0),
           "zx_error_rad": (-1.0, 1.0)}
#: prior standard deviations of the new-physics kinds (absolute, in the kind's unit)
_NEW_PHYSICS_SIGMA = {"prep_excited_prob": 0.05, "meas_excitation_prob": 0.05, "meas_relaxation_prob": 0.05,
                      "leakage_prob": 0.01, "detuning_sigma_khz": 50.0, "reset_error": 0.05, "detuning_khz": 25.0,
                      "ix_error_rad": 0.1, "zx_error_rad": 0.1}
_DETUNING_KINDS = ("detuning_khz", "detuning_sigma_khz")
#: grid points of the first scan of a ``detuning_khz`` search (its likelihood is a fringe, not one valley)
DETUNING_GRID = 13
KINDS = tuple(_BOUNDS)
#: Parameter searches run at once per worker of an executor (:meth:`_Model.fit_concurrently`).
SEARCHES_PER_WORKER = 2
#: Largest number of fit sweeps (rounds of readout + quantum blocks).
MAX_SWEEPS = 1000


def default_parameters(profile: DeviceProfile, circuits: Sequence[MeasuredCircuit], *,
                       kinds: Sequence[str] = ("p10", "p01", "gate_error")) -> list[FitParameter]:
    """Parameters the circuits can constrain: readout of measured qubits, errors of the 2q gates they use, ..."""
    from ..profiles.store import load_profile

    profile = load_profile(profile)
    circuits = check_sequence("circuits", circuits, of=MeasuredCircuit, what="MeasuredCircuit")
    kinds = _check_kinds(kinds)
    from ..noise.quasi_static import circuit_is_classical

    measured, used_gates, active, remeasured, reset = set(), set(), set(), set(), set()
    superposed: set[int] = set()  # active qubits of circuits that leave the computational basis
    for bc in circuits:
        c = bc.circuit
        seen_meas: set[int] = set()
        if not circuit_is_classical(c):
            superposed.update(c.find_bit(q).index for inst in c.data if inst.operation.name not in ("delay", "barrier")
                              for q in inst.qubits)
        for inst in c.data:
            name = inst.operation.name
            qs = tuple(c.find_bit(q).index for q in inst.qubits)
            if name not in ("delay", "barrier", "measure") and seen_meas.intersection(qs):
                remeasured.update(seen_meas.intersection(qs))
            if name == "measure":
                if qs[0] in seen_meas:
                    remeasured.add(qs[0])
                seen_meas.add(qs[0])
                measured.add(qs[0])
            elif name == "reset":
                reset.add(qs[0])
            elif len(qs) == 2 and name not in ("barrier",):
                # the profile's orientation: a symmetric gate used as (b, a) is the profile's (a, b) entry
                used_gates.add((name, profile.gate(name, qs).qubits if profile.has_gate(name, qs) else qs))
            if name not in ("delay", "barrier"):
                active.update(qs)
    out = []
    for kind in kinds:
        if kind in ("p10", "p01"):
            for q in sorted(measured):
                v = _get(profile, kind, (q,))
                sig = profile.qubit(q).uncertainty.get("prob_meas1_prep0" if kind == "p10" else "prob_meas0_prep1")
                out.append(FitParameter(kind, (q,), v, prior_value=v, prior_sigma=_prior(kind, v, sig)))
        elif kind in ("gate_error", "overrotation"):
            for name, qs in sorted(used_gates):
                if profile.has_gate(name, qs) and profile.gate(name, qs).error is not None:
                    v = _get(profile, kind, (name, qs))
                    mu = v if kind == "gate_error" else 0.0
                    out.append(FitParameter(kind, (name, qs), v, prior_value=mu, prior_sigma=_prior(kind, mu, None)))
        elif kind in ("t1_us", "t2_us"):
            for q in sorted(active):
                v = _get(profile, kind, (q,))
                out.append(FitParameter(kind, (q,), v, prior_value=v, prior_sigma=_prior(kind, v, None)))
        elif kind == "zz_khz":
            pairs = {tuple(sorted(t.qubits)) for t in profile.crosstalk.zz}
            for a, b in sorted(pairs):
                if a in active and b in active:
                    v = _get(profile, kind, (a, b))
                    out.append(FitParameter(kind, (a, b), v, prior_value=v, prior_sigma=_prior(kind, v, None)))
        elif kind in ("prep_excited_prob", "detuning_sigma_khz"):
            for q in sorted(active):
                out.append(_new_physics_param(profile, kind, (q,)))
        elif kind == "detuning_khz":
            for q in sorted(superposed):  # a frame offset is seen only by a qubit in superposition
                out.append(_new_physics_param(profile, kind, (q,)))
        elif kind in ("meas_excitation_prob", "meas_relaxation_prob"):
            for q in sorted(remeasured):  # backaction is seen only when the measured qubit is used again
                out.append(_new_physics_param(profile, kind, (q,)))
        elif kind == "readout_t1_window_ns":
            for q in sorted(measured):
                out.append(_new_physics_param(profile, kind, (q,), sigma=0.5 * (profile.qubit(q).readout_duration_ns
                                                                                 or 1000.0)))
        elif kind == "reset_error":
            for q in sorted(reset):
                out.append(_new_physics_param(profile, kind, (q,)))
        elif kind == "leakage_prob":
            for name, qs in sorted(used_gates):
                if profile.has_gate(name, qs):
                    out.append(_new_physics_param(profile, kind, (name, qs)))
        elif kind in ("ix_error_rad", "zx_error_rad"):
            for name, qs in sorted(used_gates):  # two-qubit gates only
                if profile.has_gate(name, qs):
                    out.append(_new_physics_param(profile, kind, (name, qs)))
        else:  # pragma: no cover - _check_kinds refused it
            raise FitError(f"kinds: unknown parameter kind {kind!r}")
    return out


def _new_physics_param(profile: DeviceProfile, kind: str, target, sigma: float | None = None) -> FitParameter:
    """A new-physics parameter: starts at (and has its Gaussian prior at) the profile's value, 0 if none."""
    v = ParameterRef(kind, target).get(profile)
    v = 0.0 if v is None else float(v)
    return FitParameter(kind, target, v, prior_value=v, prior_sigma=sigma if sigma is not None else _prior(kind, v, None))


def _check_kinds(kinds) -> list[str]:
    kinds = check_sequence("kinds", kinds, of=str, what="parameter kinds")
    for kind in kinds:
        if kind not in KINDS:
            raise FitError(f"kinds: unknown parameter kind {kind!r}{did_you_mean(kind, KINDS)} "
                           f"(known: {', '.join(KINDS)})")
    return kinds


@dataclass
class FitResult:
    profile: DeviceProfile
    parameters: list[FitParameter]
    log_posterior: float
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> list[dict[str, Any]]:
        from ..profiles.edit import KINDS as EDIT_KINDS

        return [{"parameter": p.label, "kind": p.kind, "target": list(p.target) if EDIT_KINDS[p.kind].entity != "gate"
                 else [p.target[0], list(p.target[1])],
                 "datasheet": p.prior_value, "fitted": p.value, "stderr": p.stderr, "at_bound": p.at_bound}
                for p in self.parameters]


class _Model:
    """Keeps terms, their readout-free distributions and warm noise caches for the current parameters."""

    def __init__(self, base: DeviceProfile, terms: list[CircuitTerm], params: list[FitParameter], noise: dict,
                 executor=None, retries: int = 2):
        self.base, self.terms, self.params, self.noise = base, terms, list(params), dict(noise)
        self.noise["readout"] = False
        self.executor, self.retries = executor, retries
        self._qpy: dict[int, bytes] = {}
        self._cancel: threading.Event | None = None  # set: a concurrent search stops at its next evaluation
        self.twin = Twin(self._profile(), noise=self.noise)
        self.twin._enable_schedule_cache()  # the terms' circuits are never mutated: schedule each once
        self._simulate_all(terms, self.twin)

    def _profile(self) -> DeviceProfile:
        # readout parameters are included for the profile's consistency checks (a readout window's T1 part
        # below p(0|1)); the simulations run with readout off, so they do not depend on them
        return profile_with(self.base, self.params)

    def _simulate(self, t: CircuitTerm, twin: Twin) -> np.ndarray:
        t.p_act = _actual(twin, t.circuit, t.num_clbits)
        return t.p_act

    def _simulate_all(self, terms: list[CircuitTerm], twin: Twin, *, parent: Twin | None = None) -> None:
        """Fill ``p_act`` of ``terms`` under ``twin``: here, or one task per term on the executor.

        ``parent``: the twin ``twin`` was derived from; a worker holding it reuses its maps.
        """
        if self.executor is None:
            for t in terms:
                self._simulate(t, twin)
            return
        dists = self._on_executor([(twin.task_spec(parent=parent), t) for t in terms])
        for t, arr in zip(terms, dists):
            t.p_act = arr

    def _on_executor(self, pairs: list[tuple]) -> list[np.ndarray]:
        """The distributions of (twin spec, term) pairs on the executor, in chunks (a few per worker)."""
        from ..parallel import chunked, map_tasks
        from ..twin import circuit_to_qpy

        for _, t in pairs:
            if id(t) not in self._qpy:
                self._qpy[id(t)] = circuit_to_qpy(t.circuit)
        chunks = chunked(pairs, self.executor)
        tasks = [[(spec, self._qpy[id(t)]) for spec, t in c] for c in chunks]
        names = [", ".join(t.name for _, t in c) for c in chunks]
        out = map_tasks(_fit_task, tasks, executor=self.executor, retries=self.retries, error=FitError,
                        desc="fit: likelihood terms", names=names)
        return [_as_array(probs, t.num_clbits) for c, res in zip(chunks, out) for (_, t), probs in zip(c, res)]

    def _simulate_trials(self, terms: list[CircuitTerm], i: int, values: list[float]) -> list[list[np.ndarray]]:
        """The distributions of ``terms`` with parameter ``i`` at each of ``values`` (the others as they are).

        On an executor all (trial, term) pairs are one batch of tasks, so the workers stay busy
        across the trials (e.g. the three points of a curvature), and only the trial profiles are
        built here (each worker derives its trial twins from the current one); the numbers equal
        the serial ones.
        """
        if self.executor is None:
            out = []
            for v in values:
                twin = self._twin_with(i, v)
                out.append([_actual(twin, t.circuit, t.num_clbits) for t in terms])
            return out
        flat = self._on_executor([(spec, t) for spec in (self._trial_spec(i, v) for v in values) for t in terms])
        return [flat[k * len(terms):(k + 1) * len(terms)] for k in range(len(values))]

    def _trial_spec(self, i: int, value: float) -> TwinSpec:
        """``self._twin_with(i, value).task_spec(parent=self.twin)`` without building the twin here."""
        from dataclasses import replace as replace_spec

        from ..twin import profile_payload

        trial = list(self.params)
        trial[i] = replace(trial[i], value=float(value))
        fingerprint, text = profile_payload(profile_with(self.base, trial))
        current = self.twin.task_spec()
        return replace_spec(current, fingerprint=fingerprint, profile_json=text, parent=current.key)

    def readout(self, *, stated: bool = False) -> dict[int, tuple[float, float]]:
        """Per qubit (p(1|0), p(0|1)) of the recorded bit given the actual outcome.

        With a readout window (``readout_t1_window_ns``) the simulated p_act already holds the
        T1-in-window decay, so the confusion applied to it is the separation part (see
        :mod:`qpu_twin.noise.readout`); ``stated=True`` returns the stated values instead.
        """
        prof = self.base
        ro = {q.index: (q.prob_meas1_prep0 or 0.0, q.prob_meas0_prep1 or 0.0) for q in prof.qubits}
        for p in self.params:
            if p.kind in ("p10", "p01"):
                q = p.target[0]
                a, b = ro[q]
                ro[q] = (p.value, b) if p.kind == "p10" else (a, p.value)
        if stated or self.noise.get("readout_window") is False:
            return ro
        cur = self.twin.profile
        for q, (p10, p01) in ro.items():
            w = cur.qubit(q).readout_t1_window_ns
            if w:
                ro[q] = separation_errors(p10, p01, cur.qubit(q).t1_us, w)
        return ro

    def _p01_scale(self) -> dict[int, float]:
        """d s01 / d p01 = 1/a per qubit with a readout window (1 without)."""
        cur = self.twin.profile
        out = {}
        for q in cur.qubits:
            w = q.readout_t1_window_ns
            out[q.index] = math.exp(w / (q.t1_us * 1e3)) if w and q.t1_us else 1.0
        return out

    def logprior(self) -> float:
        return sum(_logprior(p.kind, p.value, p.prior_value, p.prior_sigma) for p in self.params)

    def log_posterior(self) -> float:
        return loglik_readout(self.terms, self.readout()) + self.logprior()

    # -------------------------------------------------------------- readout block
    def fit_readout(self) -> None:
        idx = [i for i, p in enumerate(self.params) if p.kind in ("p10", "p01")]
        if not idx:
            return
        x0 = np.array([self.params[i].value for i in idx])
        scale = self._p01_scale()
        bounds = [self._readout_bounds(self.params[i]) for i in idx]
        x0 = np.clip(x0, [b[0] for b in bounds], [b[1] for b in bounds])

        def f(x):
            for i, v in zip(idx, x):
                self.params[i] = replace(self.params[i], value=float(v))
            ll, g = loglik_readout(self.terms, self.readout(), gradient=True)
            grad = np.zeros(len(idx))
            lp = 0.0
            for j, i in enumerate(idx):
                p = self.params[i]
                dll = g[p.target[0]][0 if p.kind == "p10" else 1] * (scale[p.target[0]] if p.kind == "p01" else 1.0)
                grad[j] = dll - (p.value - p.prior_value) / p.prior_sigma**2
                lp += _logprior(p.kind, p.value, p.prior_value, p.prior_sigma)
            return -(ll + lp), -grad

        res = minimize(f, x0, jac=True, method="L-BFGS-B", bounds=bounds)
        f(res.x)
        # observed Fisher information: finite differences of the analytic gradient
        h = 1e-6
        hess = np.zeros((len(idx), len(idx)))
        for j in range(len(idx)):
            xp, xm = res.x.copy(), res.x.copy()
            xp[j] += h
            xm[j] -= h
            hess[:, j] = (f(xp)[1] - f(xm)[1]) / (2 * h)
        f(res.x)
        hess = 0.5 * (hess + hess.T)
        try:
            cov = np.linalg.inv(hess)
            err = np.sqrt(np.clip(np.diag(cov), 0, None))
        except np.linalg.LinAlgError:
            err = np.full(len(idx), np.nan)
        lo, hi = _BOUNDS["p10"]
        for j, i in enumerate(idx):
            x = float(res.x[j])
            stuck = x <= lo * (1 + 1e-6) or x >= hi - 1e-9
            self.params[i] = replace(self.params[i], stderr=float(err[j]), at_bound=bool(stuck))

    def _max_window(self, qubit: int) -> float:
        """The longest readout window whose T1 part stays below the current p(0|1) (and the readout duration)."""
        q = self.twin.profile.qubit(qubit)
        p10, p01 = self.readout(stated=True)[qubit]
        dur = q.readout_duration_ns or 0.0
        if not q.t1_us:
            return dur
        frac = min(p01 / max(1.0 - p10, 1e-12), 1.0 - 1e-12)
        return min(dur, -q.t1_us * 1e3 * math.log1p(-frac) * (1 - 1e-9))

    def _readout_bounds(self, p: FitParameter) -> tuple[float, float]:
        """p(0|1) cannot be below the T1 part of a readout window: (1 - a)(1 - p(1|0))."""
        lo, hi = _BOUNDS["p10"]
        if p.kind == "p01":
            q = self.twin.profile.qubit(p.target[0])
            w = q.readout_t1_window_ns
            if w and q.t1_us:
                a = math.exp(-w / (q.t1_us * 1e3))
                lo = max(lo, (1 - a) * (1 - (q.prob_meas1_prep0 or 0.0)) + 1e-6)
        return lo, hi

    # -------------------------------------------------------------- quantum parameters
    def _affected_terms(self, p: FitParameter) -> list[CircuitTerm]:
        terms = [t for t in self.terms if p.qubits <= t.qubits]
        if p.kind in _DETUNING_KINDS:  # a circuit of basis states never sees a detuning (exactly)
            from ..noise.quasi_static import circuit_is_classical

            terms = [t for t in terms if not circuit_is_classical(t.circuit)]
        return terms

    def _twin_with(self, i: int, value: float) -> Twin:
        trial = list(self.params)
        trial[i] = replace(trial[i], value=float(value))
        prof = profile_with(self.base, trial)
        return self.twin.with_profile(prof)  # reuses every noise map the change cannot affect

    def _loglik_terms(self, terms, ro) -> float:
        return loglik_readout(terms, ro)

    def fit_one(self, i: int, *, evals: int = 12) -> None:
        p = self.params[i]
        terms = self._affected_terms(p)
        if not terms:
            return
        ro = self.readout()
        log_space = p.kind in _LOG_KINDS
        # the negative log posterior and the terms' distributions at every search point evaluated: a point
        # is simulated once (Brent's optimum is one of its points, and so is the centre of the curvature)
        memo: dict[float, tuple[float, list[np.ndarray]]] = {}

        def value(u: float) -> float:
            return math.exp(u) if log_space else u

        def evaluate(us: Sequence[float]) -> list[float]:
            new = [u for u in dict.fromkeys(us) if u not in memo]
            if new and self._cancel is not None and self._cancel.is_set():
                raise _Cancelled
            if new:  # simulated together: one batch of tasks on an executor
                dists = self._simulate_trials(terms, i, [value(u) for u in new])
                for u, d in zip(new, dists):
                    for t, arr in zip(terms, d):
                        t.p_act = arr
                    v = value(u)
                    memo[u] = (-(self._loglik_terms(terms, ro) + _logprior(p.kind, v, p.prior_value, p.prior_sigma)),
                               d)
            return [memo[u][0] for u in us]

        def neg(u: float) -> float:
            return evaluate([u])[0]

        lo, hi = _BOUNDS[p.kind]
        if log_space:
            center = math.log(p.value)
            a, b = max(math.log(lo), center - 2.5), min(math.log(hi), center + 2.5)
            q = self._profile().qubit(p.target[0]) if p.kind in ("t1_us", "t2_us") else None
            if p.kind == "t2_us":  # T2 <= 2 T1 (with the current T1 of the model)
                b = min(b, math.log(2 * q.t1_us))
            elif p.kind == "t1_us" and q.t2_us and any(
                    o.kind == "t2_us" and o.target == p.target for o in self.params):
                a = max(a, math.log(q.t2_us / 2))  # T2 is fitted too: keep T1 >= T2/2 (never clip T2)
        else:
            width = {"zz_khz": 3 * p.prior_sigma, "overrotation": 0.15, "detuning_khz": 3 * p.prior_sigma,
                     "ix_error_rad": 3 * p.prior_sigma, "zx_error_rad": 3 * p.prior_sigma}.get(p.kind, hi - lo)
            a, b = max(lo, p.value - width), min(hi, p.value + width)
            if p.kind == "readout_t1_window_ns":
                b = min(b, self._max_window(p.target[0]))
        lo_s, hi_s = a, b  # Brent's bracket: the whole interval, or a grid point's neighbours
        if p.kind == "detuning_khz":  # a fringe: scan a grid (one batch of simulations), then refine the best valley
            grid = [float(x) for x in np.linspace(a, b, DETUNING_GRID)]
            j = int(np.argmin(evaluate(grid)))
            lo_s, hi_s = grid[max(j - 1, 0)], grid[min(j + 1, len(grid) - 1)]
        res = minimize_scalar(neg, bounds=(lo_s, hi_s), method="bounded", options={"maxiter": evals, "xatol": 1e-3})
        u, fu = float(res.x), float(res.fun)
        # Brent's bounded search never evaluates the ends of the interval and stops after `evals` steps, so an
        # optimum on a bound is approached but not reached: when the search ends near an end, try the end itself
        for edge in (lo_s, hi_s):
            if abs(u - edge) < 0.05 * (hi_s - lo_s):
                f_edge = float(neg(edge))
                if f_edge <= fu:
                    u, fu = edge, f_edge
        # curvature of the negative log posterior at the optimum -> standard error
        step = 0.05 if log_space else (b - a) * 0.01
        # second difference on three points inside [a, b] (shifted at a bound: the parameter space ends there)
        c = min(max(u, a + step), b - step)
        f_plus, f_c, f_minus = evaluate([c + step, c, c - step])
        curv = (f_plus - 2 * f_c + f_minus) / step**2
        v = value(u)
        if curv > 0:
            su = 1 / math.sqrt(curv)
            err = v * su if log_space else su
        else:
            err = float("nan")
        # on a bound of the search interval (Brent's bounded search stops within xatol of it)
        stuck = min(u - a, b - u) < 2e-3 * (1.0 if log_space else max(b - a, 1e-12))
        self.params[i] = replace(p, value=v, stderr=err, at_bound=bool(stuck))
        before, self.twin = self.twin, self._twin_with(i, v)
        if u in memo:  # simulated at this value during the search
            for t, arr in zip(terms, memo[u][1]):
                t.p_act = arr
        else:
            self._simulate_all(terms, self.twin, parent=before)

    def fit_concurrently(self, indices: Sequence[int], *, evals: int, searches: int, on_commit) -> None:
        """:meth:`fit_one` for each of ``indices`` in this order, up to ``searches`` of them at once.

        A search starts when its affected circuits are disjoint from those of every earlier
        unfinished search of the list: every parameter value it does not see yet (an earlier
        search still running) cannot change its circuits' distributions, so it evaluates exactly
        what the serial order evaluates. Searches run in threads here and send their circuits to
        the executor, which then has work from several searches at once instead of the few
        circuits of one trial. A finished search's value is applied at once;
        ``on_commit(position, params)`` is called in list order with the parameters as the
        serial fit has them after that step (for checkpoints), so the fit equals the serial
        one bit for bit.
        """
        indices = list(indices)
        blocks = [frozenset(id(t) for t in self._affected_terms(self.params[i])) for i in indices]
        committed = list(self.params)
        running: dict[int, tuple[_Model, cf.Future]] = {}
        finished: dict[int, FitParameter] = {}
        nxt = 0
        cancel = threading.Event()
        pool = cf.ThreadPoolExecutor(max(1, searches), thread_name_prefix="qpu_twin-fit-search")
        try:
            while nxt < len(indices):
                for j in range(nxt, len(indices)):
                    if len(running) >= searches:
                        break
                    if j in running or j in finished:
                        continue
                    if all(blocks[m].isdisjoint(blocks[j]) for m in range(nxt, j) if m not in finished):
                        view = copy.copy(self)  # shares terms and caches; its own parameters and twin
                        view.params, view._cancel = list(self.params), cancel
                        running[j] = (view, pool.submit(view.fit_one, indices[j], evals=evals))
                done, _ = cf.wait([f for _, f in running.values()], return_when=cf.FIRST_COMPLETED)
                for j in sorted(j for j, (_, f) in running.items() if f in done):
                    view, fut = running.pop(j)
                    fut.result()  # a search's error propagates here
                    i = indices[j]
                    finished[j] = view.params[i]
                    self.params[i] = view.params[i]
                    self.twin = self.twin.with_profile(profile_with(self.base, self.params))
                while nxt in finished:
                    committed[indices[nxt]] = finished[nxt]
                    nxt += 1
                    on_commit(nxt - 1, list(committed))
        finally:
            cancel.set()  # on an error or Ctrl-C: the running searches stop at their next evaluation
            pool.shutdown(wait=True, cancel_futures=True)


class _Cancelled(Exception):
    """A concurrent search was stopped (another one failed, or Ctrl-C)."""


def _actual(twin: Twin, circuit, num_clbits: int) -> np.ndarray:
    """The readout-free distribution of a term's circuit as an array of shape (2,)*num_clbits."""
    return _as_array(_actual_probs(twin, circuit), num_clbits)


def _actual_probs(twin: Twin, circuit) -> dict[str, float]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return twin.run(circuit, transpile=False).probabilities


def _as_array(probs: dict[str, float], num_clbits: int) -> np.ndarray:
    # built in the calling process also for an executor's results: an array unpickled from a worker has
    # another memory alignment, and numpy's SIMD reductions then round differently in the last bit
    arr = np.zeros(2**num_clbits)
    for k, v in probs.items():
        arr[int(k, 2)] = max(v, 0.0)
    return arr.reshape([2] * num_clbits) if num_clbits else arr


def _fit_task(chunk) -> list[dict[str, float]]:
    """Likelihood terms of the fit on a worker, (twin spec, circuit QPY) each (twins from the worker's cache)."""
    from ..twin import twin_from_spec

    out = []
    for spec, data in chunk:
        twin = twin_from_spec(spec)
        twin._enable_schedule_cache()  # the worker's decoded circuits (_worker_circuit) are never mutated
        out.append(_actual_probs(twin, _worker_circuit(data)))
    return out


#: circuits a worker decoded, by their QPY bytes: the fit sends the same terms for every trial, and a
#: circuit loaded once builds its Python gate objects once (a fresh QPY load builds them on every access)
_WORKER_CIRCUITS: "OrderedDict[bytes, Any]" = OrderedDict()
WORKER_CIRCUITS = 1024


def _worker_circuit(data: bytes):
    from ..twin import circuit_from_qpy

    qc = _WORKER_CIRCUITS.get(data)
    if qc is None:
        qc = _WORKER_CIRCUITS[data] = circuit_from_qpy(data)
        while len(_WORKER_CIRCUITS) > WORKER_CIRCUITS:
            _WORKER_CIRCUITS.popitem(last=False)
    else:
        _WORKER_CIRCUITS.move_to_end(data)
    return qc  # only simulated (Twin.run does not change its circuit)


def fit_twin(profile: DeviceProfile, circuits: Sequence[MeasuredCircuit], *,
             parameters: list[FitParameter] | None = None, kinds: Sequence[str] = ("p10", "p01", "gate_error"),
             noise: dict | None = None, sweeps: int = 2, evals: int = 12, progress: bool = False, timestamp=None,
             checkpoint=None, resume: bool = False, keep_checkpoint: bool = False, executor=None,
             retries: int = 2) -> FitResult:
    """Maximum a posteriori fit of ``profile`` to the measured counts of ``circuits``.

    Parameters
    ----------
    circuits : MeasuredCircuit with counts
        Physical circuits (run with ``transpile=False``) whose measurements write distinct bits.
    parameters : list of FitParameter, optional
        Default: :func:`default_parameters` with ``kinds``.
    sweeps : int
        Rounds of (readout block, then each quantum parameter).
    timestamp : datetime, optional
        Date of the fitted profile: when the data were taken (e.g. the latest
        training job). Default: the starting profile's snapshot date.
    checkpoint : path, optional
        After every step the fit's state is written there (atomically). On
        Ctrl-C the fit stops with :class:`~qpu_twin.errors.Interrupted` naming it.
        A finished fit deletes it (unless ``keep_checkpoint``).
    resume : bool
        Continue from ``checkpoint`` (same profile, circuits, parameters and
        settings; else :class:`FitError`): the result equals an uninterrupted fit.
    keep_checkpoint : bool
        Leave the checkpoint of the finished fit in place (resuming from it
        does not fit again), e.g. until the caller has used the result.
    executor : concurrent.futures.Executor, optional
        Simulate the likelihood terms there: every evaluation of the
        likelihood sends the affected circuits in chunks (two per worker when
        the executor says how many it has), each worker keeping the current
        twin and deriving the trial twins from it (only the changed maps are
        integrated); the three points of a curvature go out as one batch.
        Up to ``SEARCHES_PER_WORKER`` parameter searches per worker run at
        once (threads here) where their circuits are disjoint
        (:meth:`_Model.fit_concurrently`); each sees exactly the values the
        serial order gives it, so the result equals the serial fit
        (``None``) bit for bit.
    retries : int
        Resubmissions of a term whose worker died; then :class:`FitError` names the terms.
    """
    from ..parallel import check_executor
    from tqdm import tqdm

    from ..errors import Interrupted

    from ..noise.options import NoiseOptions
    from ..profiles.store import load_profile

    profile = load_profile(profile)
    circuits = check_sequence("circuits", circuits, of=MeasuredCircuit, what="MeasuredCircuit")
    if parameters is not None:
        parameters = check_sequence("parameters", parameters, of=FitParameter, what="FitParameter")
    kinds = _check_kinds(kinds)
    if noise is not None:
        NoiseOptions.coerce(noise)  # validated; the fit keeps the dict form (checkpoint identity)
        noise = {"level": noise} if isinstance(noise, str) else \
            noise.as_dict() if isinstance(noise, NoiseOptions) else noise
    sweeps = check_int("sweeps", sweeps, minimum=0, maximum=MAX_SWEEPS)
    evals = check_int("evals", evals, minimum=1)
    check_bool("progress", progress)
    timestamp = _check_timestamp(timestamp)
    check_path("checkpoint", checkpoint, allow_none=True)
    check_bool("resume", resume)
    check_bool("keep_checkpoint", keep_checkpoint)
    check_executor(executor)
    retries = check_int("retries", retries, minimum=0)
    t0 = time.perf_counter()
    circuits = [c for c in circuits if c.counts]
    if not circuits:
        raise FitError("fit_twin: no circuit with measured counts")
    params = parameters if parameters is not None else default_parameters(profile, circuits, kinds=kinds)
    terms = make_terms(circuits)
    steps: list[tuple] = []
    quantum = [i for i, p in enumerate(params) if p.kind not in ("p10", "p01")]
    for s_ in range(sweeps):
        steps.append(("readout", s_))
        steps += [("quantum", s_, i) for i in quantum]
    steps.append(("final", sweeps))
    ident = {"profile": profile.fingerprint, "circuits": [c.name for c in circuits],
             "parameters": [p.label for p in params], "sweeps": sweeps, "evals": evals,
             "noise": dict(noise or {"level": "lindblad"})}
    done, history, seconds_before = 0, None, 0.0
    if resume:
        if checkpoint is None:
            raise FitError("fit_twin(resume=True) needs checkpoint=PATH")
        state = _read_checkpoint(checkpoint, ident)
        params = [replace(p, value=v, stderr=e, at_bound=b) for p, (v, e, b) in zip(params, state["params"])]
        done, history, seconds_before = state["done"], state["history"], state["seconds"]
    model = _Model(profile, terms, params, noise or {"level": "lindblad"}, executor=executor, retries=retries)
    if history is None:
        history = [{"stage": "start", "log_posterior": model.log_posterior()}]
    bar = tqdm(total=len(steps), initial=done, desc="fit", disable=not progress)
    # (parameters, history, steps done) after the last finished step, replaced in one assignment (a step in
    # progress moves the parameters; a Ctrl-C saves this, and resuming redoes the interrupted step)
    saved = (list(model.params), list(history), done)
    from ..parallel import executor_workers

    searches = 1 if executor is None else SEARCHES_PER_WORKER * (executor_workers(executor) or 2)

    def commit(k: int, params: list[FitParameter]) -> None:
        nonlocal saved
        saved = (params, list(history), k + 1)
        bar.update(1)
        if checkpoint is not None:
            _write_checkpoint(checkpoint, ident, *saved, seconds_before + time.perf_counter() - t0)

    try:
        k = done
        while k < len(steps):
            step = steps[k]
            if step[0] == "quantum" and searches > 1:  # a quantum block as concurrent searches (same numbers)
                e = k
                while e < len(steps) and steps[e][0] == "quantum":
                    e += 1

                def on_commit(pos: int, params: list[FitParameter], k0: int = k, e0: int = e) -> None:
                    if k0 + pos + 1 == e0:  # the block's last step: every search of it has finished
                        history.append({"stage": f"sweep {steps[k0][1] + 1} quantum",
                                        "log_posterior": model.log_posterior()})
                    commit(k0 + pos, params)

                model.fit_concurrently([steps[x][2] for x in range(k, e)], evals=evals, searches=searches,
                                       on_commit=on_commit)
                k = e
                continue
            if step[0] == "quantum":
                model.fit_one(step[2], evals=evals)
                if k + 1 == len(steps) or steps[k + 1][0] != "quantum":
                    history.append({"stage": f"sweep {step[1] + 1} quantum", "log_posterior": model.log_posterior()})
            else:
                model.fit_readout()
                label = f"sweep {step[1] + 1} readout" if step[0] == "readout" else "final readout"
                history.append({"stage": label, "log_posterior": model.log_posterior()})
            commit(k, list(model.params))
            k += 1
    except KeyboardInterrupt:
        bar.close()
        if checkpoint is None:
            raise
        _write_checkpoint(checkpoint, ident, *saved, seconds_before + time.perf_counter() - t0)
        done = saved[2]
        raise Interrupted(f"fit stopped after {done} of {len(steps)} steps; its state is saved in {checkpoint} "
                          "(continue with resume=True; CLI: the same command with --resume)", str(checkpoint)) from None
    bar.close()
    if checkpoint is not None and not keep_checkpoint:
        from pathlib import Path

        Path(checkpoint).unlink(missing_ok=True)  # the fit is complete: nothing to resume
    fitted = profile_with(profile, model.params, name=profile.name)
    fitted = fitted.replace(provenance={
        "source": f"fit of {profile.name} ({profile.fingerprint}) to {len(circuits)} circuits' measured counts",
        "method": "qpu_twin.fit.fit_twin (MAP, multinomial likelihood, datasheet priors)",
        "notes": [f"{p.label}: {p.prior_value:.4g} -> {p.value:.4g} +- {p.stderr:.2g}" for p in model.params],
    })
    if timestamp is not None:
        fitted = fitted.replace(timestamp=timestamp.isoformat())
        fitted = fitted.replace(provenance={**fitted.provenance.model_dump(mode="json"), "notes": [
            f"timestamp {fitted.timestamp.isoformat()}: when the fitted data were taken (starting snapshot "
            f"{profile.timestamp.isoformat()})", *fitted.provenance.notes]})
    if checkpoint is not None:
        from pathlib import Path

        Path(checkpoint).unlink(missing_ok=True)  # the fit is complete: nothing to resume (as run_benchmark)
    return FitResult(fitted, model.params, model.log_posterior(), history,
                     seconds_before + time.perf_counter() - t0)


_CHECKPOINT_VERSION = 1


def _check_timestamp(timestamp):
    """None, a datetime, or an ISO 8601 string (read as a datetime); else ArgumentError."""
    from datetime import datetime

    if timestamp is None or isinstance(timestamp, datetime):
        return timestamp
    if isinstance(timestamp, str):
        try:
            return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ArgumentError(f"timestamp={short_repr(timestamp)}: must be a datetime or an ISO 8601 string")


def _write_checkpoint(path, ident: dict, params, history, done: int, seconds: float) -> None:
    write_checkpoint(path, kind="fit", version=_CHECKPOINT_VERSION, ident=ident, done=done, history=history,
                     seconds=seconds, params=[[p.value, p.stderr, p.at_bound] for p in params])


def _read_checkpoint(path, ident: dict) -> dict:
    data = read_checkpoint(path, kind="fit", version=_CHECKPOINT_VERSION, ident=ident, error=FitError, what="fit",
                           needed="the same dataset, profile, kinds, split and settings")
    return {"done": int(data["done"]), "history": data["history"], "seconds": float(data["seconds"]),
            "params": [(float(v), float(e), bool(b)) for v, e, b in data["params"]]}
