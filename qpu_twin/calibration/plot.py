"""Plots of calibration data, fits and their uncertainty bands."""

from __future__ import annotations

import numpy as np

from . import fitting as F

_MODELS = {
    "a*exp(-t/T1)+b": F.exp_decay,
    "a*exp(-t/T2)+b": F.exp_decay,
    "a*exp(-t/T2)*cos(2 pi f t+phi)+b": F.damped_cosine,
    "a*p^m+b": F.rb_decay,
}


def plot_fit(fit: F.CurveFit, *, ax=None, label: str = "", xlabel: str = "", band_samples: int = 300, seed: int = 0):
    """Data with binomial error bars, the fitted curve and a 1-sigma band from the parameter covariance."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    fn = _MODELS[fit.model]
    ax.errorbar(fit.x, fit.y, yerr=fit.yerr, fmt="o", ms=3, capsize=2, label=f"data {label}".strip())
    xs = np.linspace(fit.x.min(), fit.x.max(), 300)
    p = np.array(list(fit.params.values()))
    ax.plot(xs, fn(xs, *p), "-", label="fit")
    if fit.covariance is not None and np.all(np.isfinite(fit.covariance)):
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(p, fit.covariance, size=band_samples, check_valid="ignore")
        curves = np.array([fn(xs, *d) for d in draws])
        lo, hi = np.percentile(curves, [15.87, 84.13], axis=0)
        ax.fill_between(xs, lo, hi, alpha=0.3, label="1-sigma band")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("success probability")
    ax.legend(fontsize=8)
    return ax.figure
