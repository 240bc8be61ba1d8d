"""Must-show #1: experiments run on the twin recover a profile's known values within 3 standard errors,
and the standard errors shrink about as 1/sqrt(shots)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from qpu_twin import Twin, load_profile
from qpu_twin.calibration import (
    HahnEchoExperiment,
    RamseyExperiment,
    RBExperiment,
    ReadoutExperiment,
    T1Experiment,
    ZZExperiment,
)

PROFILE = load_profile("line5")  # T1 100 us, T2 80 us, p(1|0)=0.01, p(0|1)=0.03, sx/x 5e-4, cx 1e-2, ZZ -50 kHz


@pytest.fixture(scope="module")
def twin():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield Twin(PROFILE)


def _one(results, quantity):
    [r] = [r for r in results if r.quantity == quantity]
    assert r.quality == "good", r
    return r


def _within(r, truth, k=3.0):
    assert abs(r.value - truth) <= k * r.stderr, (r.quantity, r.value, r.stderr, truth)


def test_t1(twin):
    data = T1Experiment(0, np.linspace(1, 300, 15)).run(twin, shots=2000, seed=1)
    _within(_one(T1Experiment.analyse(data), "t1_us"), 100.0)


def test_t2_ramsey(twin):
    data = RamseyExperiment(1, np.linspace(0, 100, 61), detuning_mhz=0.05).run(twin, shots=2000, seed=2)
    res = RamseyExperiment.analyse(data)
    _within(_one(res, "t2_star_us"), 80.0)
    _within(_one(res, "detuning_mhz"), 0.0)


def test_t2_echo(twin):
    data = HahnEchoExperiment(1, np.linspace(1, 200, 15)).run(twin, shots=2000, seed=3)
    _within(_one(HahnEchoExperiment.analyse(data), "t2_echo_us"), 80.0)


def test_readout(twin):
    data = ReadoutExperiment(2).run(twin, shots=20000, seed=4)
    res = ReadoutExperiment.analyse(data)
    _within(_one(res, "prob_meas1_prep0"), 0.01)
    # p(0|1) also contains the X gate's error (~2/3 * 5e-4, below one standard error)
    _within(_one(res, "prob_meas0_prep1"), 0.03)


def test_rb_1q_epg(twin):
    data = RBExperiment([2], [1, 100, 300, 600, 1000, 1500], num_samples=6, seed=3).run(twin, shots=500, seed=5)
    _within(_one(RBExperiment.analyse(data), "epg"), PROFILE.gate("sx", (2,)).error)


def test_rb_2q_epg(twin):
    data = RBExperiment([1, 2], [1, 5, 15, 30, 50], num_samples=6, seed=4).run(twin, shots=500, seed=6)
    res = RBExperiment.analyse(data, epg_1q=PROFILE.gate("sx", (1,)).error)
    _within(_one(res, "epg"), PROFILE.gate("cx", (1, 2)).error)
    assert 0 < _one(res, "epc").value < 0.05


def test_zz(twin):
    data = ZZExperiment(2, 3, np.linspace(0, 40, 41), detuning_mhz=0.2).run(twin, shots=2000, seed=7)
    _within(_one(ZZExperiment.analyse(data), "zz_khz"), PROFILE.zz_khz(2, 3))


@pytest.mark.parametrize("make,quantity", [
    (lambda: T1Experiment(0, np.linspace(1, 300, 15)), "t1_us"),
    (lambda: ReadoutExperiment(1), "prob_meas0_prep1"),
    (lambda: ZZExperiment(2, 3, np.linspace(0, 40, 41), detuning_mhz=0.2), "zz_khz"),
])
def test_stderr_shrinks_as_one_over_sqrt_shots(twin, make, quantity):
    exp = make()
    se = [_one(type(exp).analyse(exp.run(twin, shots=s, seed=11)), quantity).stderr for s in (1000, 16000)]
    ratio = se[0] / se[1]
    assert 3.0 < ratio < 5.3, ratio  # sqrt(16) = 4


def test_fit_failure_is_a_status_not_an_exception():
    from qpu_twin.calibration.fitting import exp_decay, fit_binomial

    x = np.linspace(0, 10, 8)
    fit = fit_binomial(exp_decay, x, np.full(8, 50.0), np.full(8, 100.0), names=["a", "tau", "b"],
                       p0=[1, 1, 0], bounds=([0, 1e-3, -1], [2, 1e3, 1]))
    # flat data leave the decay undetermined: no finite error bar for it, and not "good"
    assert not np.isfinite(fit.stderr["tau"]) or not np.isfinite(fit.stderr["a"])
    assert fit.quality == "bad"
    with pytest.raises(ValueError, match="0 <= k <= n"):
        fit_binomial(exp_decay, x, np.full(8, 150.0), np.full(8, 100.0), names=["a", "tau", "b"],
                     p0=[1, 1, 0], bounds=([0, 1e-3, -1], [2, 1e3, 1]))
