"""Binomially weighted curve fits with honest uncertainties and a quality verdict.

Every calibration fit goes through :func:`fit_binomial`: the data are success
counts ``k`` out of ``n`` shots at each x; the residuals are weighted by the
binomial standard deviation sqrt(p(1-p)/n) of each point (with p estimated as
(k + 1/2)/(n + 1), so points at 0 or n keep a finite weight). The parameters
come from :func:`scipy.optimize.least_squares` with bounds; their standard
errors from the covariance (J^T J)^-1 of the weighted problem (absolute
sigma: shot noise only), or from a bootstrap that resamples the shots (and,
for randomized benchmarking, the random sequences). Non-convergence is a
status, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from scipy.optimize import least_squares

from ..errors import ArgumentError, CalibrationError, check_int, check_real_array, check_sequence, check_str, short_repr


@dataclass(frozen=True)
class CurveFit:
    """Outcome of one fit.

    Attributes
    ----------
    params, stderr : dict[str, float]
        Best-fit values and standard errors (NaN when unavailable).
    chi2_red : float
        Reduced chi-squared with binomial weights (about 1 for a good model and pure shot noise).
    status : str
        ``"success"`` or ``"failed: <reason>"``.
    quality : str
        ``"good"`` (converged, chi2_red < 3, finite errors) or ``"bad"``.
    """

    model: str
    params: dict[str, float]
    stderr: dict[str, float]
    chi2_red: float
    dof: int
    status: str
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    yerr: np.ndarray = field(repr=False)
    covariance: np.ndarray | None = field(default=None, repr=False)
    error_method: str = "covariance"

    @property
    def quality(self) -> str:
        finite = all(np.isfinite(v) for v in self.stderr.values())
        return "good" if self.status == "success" and finite and self.chi2_red < 3.0 else "bad"

    def curve(self, fn: Callable, x: np.ndarray) -> np.ndarray:
        return fn(np.asarray(x, dtype=float), *self.params.values())


def _check_bounds(bounds, names) -> None:
    """``bounds`` = (lower, upper), one entry per parameter each, lower < upper (infinite bounds allowed)."""
    if isinstance(bounds, (str, bytes, dict)) or not hasattr(bounds, "__len__") or len(bounds) != 2:
        raise ArgumentError(f"bounds={short_repr(bounds)}: must be (lower, upper), one value per parameter each")
    lo, hi = [], []
    for side, values, out in (("lower", bounds[0], lo), ("upper", bounds[1], hi)):
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__len__") or len(values) != len(names):
            raise ArgumentError(f"bounds={short_repr(bounds)}: the {side} bounds must have {len(names)} entries "
                                f"(one per parameter {list(names)}), got {short_repr(values)}")
        for v in values:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)) or v != v:
                raise ArgumentError(f"bounds={short_repr(bounds)}: {side} bound {short_repr(v)} is not a number")
            out.append(float(v))
    for name, a, b in zip(names, lo, hi):
        if not a < b:
            raise ArgumentError(f"bounds={short_repr(bounds)}: lower bound {a!r} >= upper bound {b!r} of {name!r}")


def _sigma(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    p = (k + 0.5) / (n + 1.0)
    return np.sqrt(p * (1 - p) / n)


def fit_binomial(
    fn: Callable,
    x: Sequence[float],
    k: Sequence[float],
    n: Sequence[float],
    *,
    names: Sequence[str],
    p0: Sequence[float],
    bounds: tuple[Sequence[float], Sequence[float]],
    model: str = "",
    bootstrap: int = 0,
    groups: Sequence[int] | None = None,
    seed: int | np.random.Generator | None = None,
) -> CurveFit:
    """Fit ``fn(x, *params)`` to the success fractions k/n.

    Parameters
    ----------
    fn : callable
        Model of the success probability.
    x, k, n : array-like
        One entry per data point (several points may share an x, e.g. RB sequences).
    names, p0, bounds
        Parameter names, initial guesses and (lower, upper) bounds.
    bootstrap : int
        If > 0, standard errors from this many bootstrap refits: each point's
        count is redrawn Binomial(n, k/n); if ``groups`` is given (e.g. the RB
        length of each sequence), points are also resampled with replacement
        within each group (sequence-to-sequence variation).
    seed : int or Generator
        Bootstrap randomness.
    """
    from ..seeding import check_seed

    if not callable(fn):
        raise ArgumentError(f"fn={short_repr(fn)}: must be callable, fn(x, *params) -> success probability")
    x, k, n = (check_real_array(name, v, allow_empty=True) for name, v in (("x", x), ("k", k), ("n", n)))
    names = check_sequence("names", names, of=str, what="parameter names", allow_empty=False)
    p0 = check_real_array("p0", p0)
    if len(p0) != len(names):
        raise ArgumentError(f"p0={short_repr(p0.tolist())}: {len(p0)} initial values but names={names!r} has "
                            f"{len(names)} parameters")
    _check_bounds(bounds, names)
    check_str("model", model, allow_empty=True)
    bootstrap = check_int("bootstrap", bootstrap, minimum=0, maximum=10**6)
    if groups is not None:
        groups = check_real_array("groups", groups, allow_empty=True)
        if groups.shape != x.shape:
            raise ArgumentError(f"groups={short_repr(groups.tolist())}: {groups.size} labels for {x.size} points")
    check_seed(seed)
    if not (x.shape == k.shape == n.shape) or x.ndim != 1 or x.size == 0:
        raise CalibrationError(f"fit_binomial: x, k, n must be 1-d arrays of the same non-zero length (got shapes "
                               f"{np.shape(x)}, {np.shape(k)}, {np.shape(n)})")
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise CalibrationError("fit_binomial: need 0 <= k <= n and n > 0 for every point")
    y = k / n
    sig = _sigma(k, n)
    lo, hi = np.asarray(bounds[0], float), np.asarray(bounds[1], float)
    p0 = np.clip(np.asarray(p0, float), lo + 1e-12 * (hi - lo), hi - 1e-12 * (hi - lo))

    def solve(yy, ss, start):
        def res(p):
            return (fn(x, *p) - yy) / ss

        return least_squares(res, start, bounds=(lo, hi), method="trf", x_scale="jac", max_nfev=2000)

    try:
        sol = solve(y, sig, p0)
    except Exception as exc:  # numerical failure inside the model
        nan = {nm: float("nan") for nm in names}
        return CurveFit(model, dict(zip(names, p0.tolist())), nan, float("nan"), 0, f"failed: {exc}", x, y, sig)
    dof = max(1, x.size - len(names))
    chi2 = float(np.sum(sol.fun**2)) / dof
    status = "success" if sol.success else f"failed: {sol.message}"
    params = dict(zip(names, sol.x.tolist()))
    cov = None
    try:
        jtj = sol.jac.T @ sol.jac
        cov = np.linalg.pinv(jtj)
        err = np.sqrt(np.clip(np.diag(cov), 0, None))
        # a direction the data do not determine (flat data, degenerate model): pinv would report
        # zero variance there; mark the parameters involved as undetermined instead
        w, v = np.linalg.eigh(jtj)
        flat = w <= max(w.max(), 0.0) * 1e-12
        if flat.any():
            undetermined = np.any(np.abs(v[:, flat]) > 1e-6, axis=1)
            err = np.where(undetermined, np.nan, err)
    except np.linalg.LinAlgError:
        err = np.full(len(names), np.nan)
    method = "covariance"
    if bootstrap > 0:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        samples = []
        idx_all = np.arange(x.size)
        grp = np.asarray(groups) if groups is not None else None
        for _ in range(bootstrap):
            if grp is not None:
                idx = np.concatenate([rng.choice(idx_all[grp == g], size=np.sum(grp == g)) for g in np.unique(grp)])
            else:
                idx = idx_all
            kk = rng.binomial(n[idx].astype(int), np.clip(k[idx] / n[idx], 0, 1)).astype(float)
            xb, nb = x[idx], n[idx]

            def resb(p, xb=xb, kk=kk, nb=nb):
                return (fn(xb, *p) - kk / nb) / _sigma(kk, nb)

            try:
                sb = least_squares(resb, sol.x, bounds=(lo, hi), method="trf", x_scale="jac", max_nfev=500)
                if sb.success:
                    samples.append(sb.x)
            except Exception:  # noqa: BLE001 - a failed resample is skipped
                continue
        if len(samples) >= max(10, bootstrap // 2):
            err = np.std(np.array(samples), axis=0, ddof=1)
            method = f"bootstrap ({len(samples)} resamples)"
        else:
            status = f"failed: only {len(samples)}/{bootstrap} bootstrap refits converged"
    stderr = dict(zip(names, err.tolist()))
    return CurveFit(model, params, stderr, chi2, dof, status, x, y, sig, cov, method)


# ---------------------------------------------------------------------- models
def exp_decay(x, a, tau, b):
    """a exp(-x/tau) + b."""
    return a * np.exp(-x / tau) + b


def damped_cosine(x, a, tau, f, phi, b):
    """a exp(-x/tau) cos(2 pi f x + phi) + b."""
    return a * np.exp(-x / tau) * np.cos(2 * np.pi * f * x + phi) + b


def rb_decay(x, a, p, b):
    """a p^x + b (randomized benchmarking)."""
    return a * p**x + b


def guess_frequency(x: np.ndarray, y: np.ndarray) -> float:
    """Dominant frequency of y(x) from a zero-padded FFT (x roughly uniform)."""
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    if xs.size < 4:
        return 0.0
    grid = np.linspace(xs[0], xs[-1], max(64, 4 * xs.size))
    yi = np.interp(grid, xs, ys) - np.mean(ys)
    spec = np.abs(np.fft.rfft(yi, n=8 * grid.size))
    freqs = np.fft.rfftfreq(8 * grid.size, d=grid[1] - grid[0])
    spec[0] = 0
    return float(freqs[int(np.argmax(spec))])
