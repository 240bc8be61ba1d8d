"""Curve fits of binomial data: bootstrap and covariance errors agree, the estimate covers the truth."""

from __future__ import annotations

import numpy as np
import pytest

from qpu_twin.calibration.fitting import exp_decay, fit_binomial


def test_bootstrap_errors_agree_with_covariance():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 300, 15)
    n = np.full(15, 2000)
    k = rng.binomial(n, exp_decay(x, 0.95, 100.0, 0.02))
    kw = dict(names=["a", "tau", "b"], p0=[0.9, 80, 0.0], bounds=([0, 1, -0.2], [1.2, 1e4, 0.5]))
    cov = fit_binomial(exp_decay, x, k, n, **kw)
    boot = fit_binomial(exp_decay, x, k, n, bootstrap=200, seed=1, **kw)
    assert boot.error_method.startswith("bootstrap")
    assert boot.stderr["tau"] == pytest.approx(cov.stderr["tau"], rel=0.3)
    assert abs(cov.params["tau"] - 100.0) <= 3 * cov.stderr["tau"]
