"""Prediction intervals: parameter uncertainty (from a fit or a profile's stated uncertainties) and shot noise.

``predict_with_uncertainty(profile, circuit, posterior, shots=N)`` samples
parameter vectors from independent posteriors (log-normal for gate errors,
T1 and T2, normal otherwise; draws past a physical bound are put on it),
computes the twin's exact distribution for each, and draws
N-shot frequencies from it: the 2.5-97.5 % quantiles of those frequencies are
95 % prediction intervals for what an N-shot measurement will show.
``consistency_test`` compares measured counts with that predictive
distribution through the G statistic (a parametric-bootstrap p-value).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..errors import ArgumentError, check_finite_mapping, check_instance, check_int, check_real, check_sequence
from ..profiles.model import DeviceProfile
from ..twin import Twin
from .fit import _BOUNDS, _LOG_KINDS, FitParameter, FitResult, profile_with


def posterior_from_fit(fit: FitResult) -> list[FitParameter]:
    """The fitted parameters with a finite standard error (the posterior of :func:`predict_with_uncertainty`)."""
    check_instance("fit", fit, FitResult)
    return [p for p in fit.parameters if np.isfinite(p.stderr)]


def posterior_from_profile(profile: DeviceProfile) -> list[FitParameter]:
    """Parameters with the standard errors a profile states (``uncertainty`` fields)."""
    from ..profiles.store import load_profile

    profile = load_profile(profile)
    out = []
    for q in profile.qubits:
        for field, kind in (("prob_meas1_prep0", "p10"), ("prob_meas0_prep1", "p01"), ("t1_us", "t1_us"),
                           ("t2_us", "t2_us")):
            if field in q.uncertainty and getattr(q, field) is not None:
                out.append(FitParameter(kind, (q.index,), float(getattr(q, field)), float(q.uncertainty[field])))
    for g in profile.gates:
        if "error" in g.uncertainty and g.error is not None:
            out.append(FitParameter("gate_error", (g.name, g.qubits), float(g.error), float(g.uncertainty["error"])))
    for t in profile.crosstalk.zz:
        if "zz_khz" in t.uncertainty:
            out.append(FitParameter("zz_khz", tuple(t.qubits), float(t.zz_khz), float(t.uncertainty["zz_khz"])))
    return out


#: Largest number of parameter draws of :func:`predict_with_uncertainty`.
MAX_SAMPLES = 100_000


@dataclass(frozen=True)
class Prediction:
    mean: dict[str, float]
    lower: dict[str, float]
    upper: dict[str, float]
    samples: np.ndarray  # (n_samples, n_outcomes) predicted frequencies
    keys: list[str]
    shots: int
    level: float


def _sample_params(post: Sequence[FitParameter], rng, profile: DeviceProfile) -> list[FitParameter]:
    """One draw of every parameter: log-normal for the kinds fitted in log space (gate_error, t1_us,
    t2_us: relative error stderr/value), Gaussian otherwise; a draw beyond a bound of the parameter
    space (``_BOUNDS``, and T2 <= 2 T1 for the drawn or stated T1) is put on the bound."""
    out = []
    for p in post:
        lo, hi = _BOUNDS[p.kind]
        z = rng.standard_normal()
        if p.kind in _LOG_KINDS and p.value > 0:
            v = p.value * np.exp(p.stderr / p.value * z)
        else:
            v = p.value + p.stderr * z
        out.append(replace(p, value=float(np.clip(v, lo, hi))))
    t1 = {p.target: p.value for p in out if p.kind == "t1_us"}
    for i, p in enumerate(out):
        if p.kind == "t2_us":
            cap = 2 * t1.get(p.target, profile.qubit(p.target[0]).t1_us)
            if p.value > cap:
                out[i] = replace(p, value=cap)
    return out


def predict_with_uncertainty(profile: DeviceProfile, circuit, posterior: Sequence[FitParameter], *, shots: int,
                             samples: int = 60, level: float = 0.95, seed=None, transpile: bool = False,
                             noise="lindblad", executor=None, retries: int = 2) -> Prediction:
    """Prediction intervals for the outcome frequencies of an ``shots``-shot run of ``circuit``.

    ``executor``: the posterior draws' distributions are computed there (one task per draw;
    the draws themselves and the shot noise are drawn here, in the serial order), so the
    prediction equals the serial one (``None``, the default).
    """
    from ..parallel import check_executor, map_tasks
    from ..compile.circuits import load_circuit
    from ..noise.options import NoiseOptions
    from ..profiles.store import load_profile
    from ..seeding import check_seed
    from ..twin import MAX_SHOTS, _check_circuit_type, _check_transpile

    profile = load_profile(profile)
    _check_circuit_type("circuit", circuit)
    circuit = load_circuit(circuit)
    posterior = check_sequence("posterior", posterior, of=FitParameter, what="FitParameter")
    shots = check_int("shots", shots, minimum=1, maximum=MAX_SHOTS)
    samples = check_int("samples", samples, minimum=1, maximum=MAX_SAMPLES)
    level = check_real("level", level, minimum=0.0, maximum=1.0, strict_minimum=True)
    if level == 1.0:
        raise ArgumentError("level=1.0: must be < 1 (a 100 % interval is unbounded)")
    check_seed(seed)
    transpile = _check_transpile(transpile)
    NoiseOptions.coerce(noise)
    check_executor(executor)
    retries = check_int("retries", retries, minimum=0)
    rng = np.random.default_rng(seed)
    dists = []
    if executor is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(samples):
                prof = profile_with(profile, _sample_params(posterior, rng, profile)) if posterior else profile
                dists.append(Twin(prof, noise=noise).run(circuit, transpile=transpile).probabilities)
    else:
        from ..errors import FitError
        from ..twin import circuit_to_qpy

        data = circuit_to_qpy(circuit)
        # the draws consume the generator exactly as the serial loop does (the twin runs draw nothing from it)
        profs = [profile_with(profile, _sample_params(posterior, rng, profile)) if posterior else profile
                 for _ in range(samples)]
        tasks = [(Twin(p, noise=noise).task_spec(), data, transpile) for p in profs]
        dists = map_tasks(_draw_task, tasks, executor=executor, retries=retries, error=FitError,
                          desc="posterior draws", names=[f"draw {i}" for i in range(samples)])
    keys = sorted(set().union(*dists))
    P = np.array([[max(d.get(k, 0.0), 0.0) for k in keys] for d in dists])
    P /= P.sum(axis=1, keepdims=True)
    freqs = np.array([rng.multinomial(shots, p) / shots for p in P])
    a = (1 - level) / 2
    lo, hi = np.quantile(freqs, [a, 1 - a], axis=0)
    mean = P.mean(axis=0)
    return Prediction(dict(zip(keys, mean)), dict(zip(keys, lo)), dict(zip(keys, hi)), freqs, keys, shots, level)


def _draw_task(task) -> dict[str, float]:
    """One posterior draw's distribution on a worker."""
    from ..twin import circuit_from_qpy, twin_from_spec

    spec, data, transpile = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return twin_from_spec(spec).run(circuit_from_qpy(data), transpile=transpile).probabilities


def consistency_test(pred: Prediction, counts: dict[str, int]) -> float:
    """p-value of the measured counts under the predictive distribution (small = incompatible).

    Statistic: the G statistic sum f log(f / mean) of the measured frequencies
    against the mean prediction (large = far from it, in any direction, also
    when the data are more peaked than predicted); its null distribution comes
    from the prediction's own samples, which include shot noise for
    ``pred.shots`` shots, so ``counts`` must have that many shots.
    """
    check_instance("pred", pred, Prediction)
    counts = check_finite_mapping("counts", counts, integer=True)
    shots = int(sum(counts.values()))
    if shots != pred.shots:
        raise ArgumentError(f"consistency_test: counts have {shots} shots but the prediction was made for "
                           f"shots={pred.shots}; predict with the measured number of shots")
    keys = sorted(set(pred.keys) | set(counts))
    mean = np.array([max(pred.mean.get(k, 0.0), 1e-12) for k in keys])
    mean /= mean.sum()
    obs = np.array([counts.get(k, 0) for k in keys]) / shots

    def stat(f):
        nz = f > 0
        return float(np.sum(f[nz] * np.log(f[nz] / mean[nz])))

    idx = {k: i for i, k in enumerate(keys)}
    null = []
    for row in pred.samples:
        f = np.zeros(len(keys))
        for k, v in zip(pred.keys, row):
            f[idx[k]] = v
        null.append(stat(f))
    null = np.array(null)
    return float((np.sum(null >= stat(obs)) + 1) / (null.size + 1))
