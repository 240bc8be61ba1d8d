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

Quantum parameters are fitted one at a time (block-coordinate ascent of the
log posterior with bounded Brent searches), re-simulating only the training
circuits that touch the parameter's qubits and reusing every unaffected noise
map; readout and quantum blocks alternate for ``sweeps`` rounds. Uncertainties
are 1/sqrt of the diagonal of the observed Fisher information (the curvature
of the negative log posterior at the optimum; correlations between blocks are
neglected, which the docs state).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from ..data import MeasuredCircuit
from ..errors import FitError, check_int
from ..files import read_checkpoint, write_checkpoint
from ..profiles.edit import ParameterRef, with_values
from ..profiles.model import DeviceProfile
from ..twin import Twin
from .likelihood import CircuitTerm, loglik_readout, make_terms


@dataclass(frozen=True)
class FitParameter:
    kind: str  # p10, p01, gate_error, t1_us, t2_us, zz_khz, overrotation
    target: tuple  # (qubit,) or (gate name, qubits) or (a, b)
    value: float
    stderr: float = float("nan")
    prior_value: float = float("nan")
    prior_sigma: float = float("nan")
    #: the optimum lies on a bound of the parameter's search interval (the data push beyond it)
    at_bound: bool = False

    def __post_init__(self):
        object.__setattr__(self, "target", self.ref.target)  # normalised (validated) target

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
    return 0.05  # overrotation


def _logprior(kind: str, x: float, mu: float, sigma: float) -> float:
    if kind in _LOG_KINDS:
        return -0.5 * ((math.log(x) - math.log(mu)) / sigma) ** 2
    return -0.5 * ((x - mu) / sigma) ** 2


_LOG_KINDS = ("gate_error", "t1_us", "t2_us")  # fitted (and sampled) in log space
#: Parameter kinds the fit knows (a subset of qpu_twin.profiles.edit.KINDS), with their search bounds.
_BOUNDS = {"p10": (1e-5, 0.5), "p01": (1e-5, 0.5), "gate_error": (1e-6, 0.5), "t1_us": (1.0, 5e4), "t2_us": (1.0, 1e5),
           "zz_khz": (-2000.0, 2000.0), "overrotation": (-0.3, 0.3)}
KINDS = tuple(_BOUNDS)


def default_parameters(profile: DeviceProfile, circuits: Sequence[MeasuredCircuit], *,
                       kinds: Sequence[str] = ("p10", "p01", "gate_error")) -> list[FitParameter]:
    """Parameters the circuits can constrain: readout of measured qubits, errors of the 2q gates they use, ..."""
    measured, used_gates, active = set(), set(), set()
    for bc in circuits:
        c = bc.circuit
        for inst in c.data:
            name = inst.operation.name
            qs = tuple(c.find_bit(q).index for q in inst.qubits)
            if name == "measure":
                measured.add(qs[0])
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
        else:
            raise FitError(f"unknown parameter kind {kind!r} (known: p10, p01, gate_error, t1_us, t2_us, zz_khz, "
                           "overrotation)")
    return out


@dataclass
class FitResult:
    profile: DeviceProfile
    parameters: list[FitParameter]
    log_posterior: float
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> list[dict[str, Any]]:
        return [{"parameter": p.label, "kind": p.kind, "target": list(p.target) if p.kind not in
                 ("gate_error", "overrotation") else [p.target[0], list(p.target[1])],
                 "datasheet": p.prior_value, "fitted": p.value, "stderr": p.stderr, "at_bound": p.at_bound}
                for p in self.parameters]


class _Model:
    """Keeps terms, their readout-free distributions and warm noise caches for the current parameters."""

    def __init__(self, base: DeviceProfile, terms: list[CircuitTerm], params: list[FitParameter], noise: dict):
        self.base, self.terms, self.params, self.noise = base, terms, list(params), dict(noise)
        self.noise["readout"] = False
        self.twin = Twin(self._profile(), noise=self.noise)
        for t in terms:
            self._simulate(t, self.twin)

    def _profile(self) -> DeviceProfile:
        return profile_with(self.base, [p for p in self.params if p.kind not in ("p10", "p01")])

    def _simulate(self, t: CircuitTerm, twin: Twin) -> np.ndarray:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probs = twin.run(t.circuit, transpile=False).probabilities
        arr = np.zeros(2**t.num_clbits)
        for k, v in probs.items():
            arr[int(k, 2)] = max(v, 0.0)
        t.p_act = arr.reshape([2] * t.num_clbits) if t.num_clbits else arr
        return t.p_act

    def readout(self) -> dict[int, tuple[float, float]]:
        prof = self.base
        ro = {q.index: (q.prob_meas1_prep0 or 0.0, q.prob_meas0_prep1 or 0.0) for q in prof.qubits}
        for p in self.params:
            if p.kind in ("p10", "p01"):
                q = p.target[0]
                a, b = ro[q]
                ro[q] = (p.value, b) if p.kind == "p10" else (a, p.value)
        return ro

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

        def f(x):
            for i, v in zip(idx, x):
                self.params[i] = replace(self.params[i], value=float(v))
            ll, g = loglik_readout(self.terms, self.readout(), gradient=True)
            grad = np.zeros(len(idx))
            lp = 0.0
            for j, i in enumerate(idx):
                p = self.params[i]
                grad[j] = g[p.target[0]][0 if p.kind == "p10" else 1] - (p.value - p.prior_value) / p.prior_sigma**2
                lp += _logprior(p.kind, p.value, p.prior_value, p.prior_sigma)
            return -(ll + lp), -grad

        res = minimize(f, x0, jac=True, method="L-BFGS-B", bounds=[_BOUNDS["p10"]] * len(idx))
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

    # -------------------------------------------------------------- quantum parameters
    def _affected_terms(self, p: FitParameter) -> list[CircuitTerm]:
        return [t for t in self.terms if p.qubits <= t.qubits]

    def _twin_with(self, i: int, value: float) -> Twin:
        trial = list(self.params)
        trial[i] = replace(trial[i], value=float(value))
        prof = profile_with(self.base, [p for p in trial if p.kind not in ("p10", "p01")])
        return self.twin.with_profile(prof)  # reuses every noise map the change cannot affect

    def _loglik_terms(self, terms, ro) -> float:
        return loglik_readout(terms, ro)

    def fit_one(self, i: int, *, evals: int = 12) -> None:
        p = self.params[i]
        terms = self._affected_terms(p)
        if not terms:
            return
        ro = self.readout()
        saved = [t.p_act for t in terms]
        log_space = p.kind in _LOG_KINDS

        def neg(u):
            v = math.exp(u) if log_space else u
            twin = self._twin_with(i, v)
            for t in terms:
                self._simulate(t, twin)
            val = -(self._loglik_terms(terms, ro) + _logprior(p.kind, v, p.prior_value, p.prior_sigma))
            return val

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
            width = {"zz_khz": 3 * p.prior_sigma, "overrotation": 0.15}[p.kind]
            a, b = max(lo, p.value - width), min(hi, p.value + width)
        res = minimize_scalar(neg, bounds=(a, b), method="bounded", options={"maxiter": evals, "xatol": 1e-3})
        u = float(res.x)
        # curvature of the negative log posterior at the optimum -> standard error
        step = 0.05 if log_space else (b - a) * 0.01
        # second difference on three points inside [a, b] (shifted at a bound: the parameter space ends there)
        c = min(max(u, a + step), b - step)
        curv = (neg(c + step) - 2 * neg(c) + neg(c - step)) / step**2
        v = math.exp(u) if log_space else u
        if curv > 0:
            su = 1 / math.sqrt(curv)
            err = v * su if log_space else su
        else:
            err = float("nan")
        # on a bound of the search interval (Brent's bounded search stops within xatol of it)
        stuck = min(u - a, b - u) < 2e-3 * (1.0 if log_space else max(b - a, 1e-12))
        self.params[i] = replace(p, value=v, stderr=err, at_bound=bool(stuck))
        self.twin = self._twin_with(i, v)
        for t in terms:
            self._simulate(t, self.twin)
        del saved


def fit_twin(profile: DeviceProfile, circuits: Sequence[MeasuredCircuit], *,
             parameters: list[FitParameter] | None = None, kinds: Sequence[str] = ("p10", "p01", "gate_error"),
             noise: dict | None = None, sweeps: int = 2, evals: int = 12, progress: bool = False, timestamp=None,
             checkpoint=None, resume: bool = False) -> FitResult:
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
        Ctrl-C the fit stops with :class:`~qpu_twin.errors.Interrupted` naming it;
        a fit that completes removes it.
    resume : bool
        Continue from ``checkpoint`` (same profile, circuits, parameters and
        settings; else :class:`FitError`): the result equals an uninterrupted fit.
    """
    from tqdm import tqdm

    from ..errors import Interrupted

    sweeps = check_int("sweeps", sweeps, minimum=0)
    evals = check_int("evals", evals, minimum=1)
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
    model = _Model(profile, terms, params, noise or {"level": "lindblad"})
    if history is None:
        history = [{"stage": "start", "log_posterior": model.log_posterior()}]
    bar = tqdm(total=len(steps), initial=done, desc="fit", disable=not progress)
    try:
        for k in range(done, len(steps)):
            step = steps[k]
            if step[0] == "quantum":
                model.fit_one(step[2], evals=evals)
                if k + 1 == len(steps) or steps[k + 1][0] != "quantum":
                    history.append({"stage": f"sweep {step[1] + 1} quantum", "log_posterior": model.log_posterior()})
            else:
                model.fit_readout()
                label = f"sweep {step[1] + 1} readout" if step[0] == "readout" else "final readout"
                history.append({"stage": label, "log_posterior": model.log_posterior()})
            done = k + 1
            bar.update(1)
            if checkpoint is not None:
                _write_checkpoint(checkpoint, ident, model.params, done, history,
                                  seconds_before + time.perf_counter() - t0)
    except KeyboardInterrupt:
        bar.close()
        if checkpoint is None:
            raise
        _write_checkpoint(checkpoint, ident, model.params, done, history, seconds_before + time.perf_counter() - t0)
        raise Interrupted(f"fit interrupted after {done} of {len(steps)} steps; state saved to {checkpoint} "
                          "(resume with resume=True / --resume)", str(checkpoint)) from None
    bar.close()
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


def _write_checkpoint(path, ident: dict, params, done: int, history, seconds: float) -> None:
    write_checkpoint(path, kind="fit", version=_CHECKPOINT_VERSION, ident=ident, done=done, history=history,
                     seconds=seconds, params=[[p.value, p.stderr, p.at_bound] for p in params])


def _read_checkpoint(path, ident: dict) -> dict:
    data = read_checkpoint(path, kind="fit", version=_CHECKPOINT_VERSION, ident=ident, error=FitError, what="fit",
                           needed="the same dataset, profile, kinds, split and settings")
    return {"done": int(data["done"]), "history": data["history"], "seconds": float(data["seconds"]),
            "params": [(float(v), float(e), bool(b)) for v, e, b in data["params"]]}
