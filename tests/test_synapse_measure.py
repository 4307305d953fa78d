"""Synapse measurements on analytic waveforms (no simulator)."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import FitError, ParameterError
from neurocircuit.measure import synapse as ms


def _psc(tau=5e-3, peak=1e-10, t0=1e-3, t_stop=40e-3, n=4001):
    t = np.linspace(0, t_stop, n)
    i = np.where(t >= t0, peak * np.exp(-(t - t0) / tau), 0.0)
    return t, i


def test_peak_decay_and_charge_of_an_exponential_psc():
    t, i = _psc()
    pk, t_pk = ms.psc_peak(t, i)
    assert pk == pytest.approx(1e-10, rel=1e-9, abs=0) and t_pk == pytest.approx(1e-3, abs=1e-5)
    fit = ms.psc_decay(t, i)
    assert fit.tau == pytest.approx(5e-3, rel=1e-3) and fit.r2 > 0.9999
    assert ms.charge(t, i) == pytest.approx(1e-10 * 5e-3 * (1 - np.exp(-39 / 5)), rel=2e-3, abs=0)


def test_decay_of_a_hyperbolic_psc_is_not_exponential():
    t = np.linspace(0, 0.1, 4001)
    i = 1e-10 / (1 + t / 2e-3)
    assert ms.psc_decay(t, i, floor=0.05).r2 < 0.99


def test_charges_per_pulse_and_mean_current():
    t = np.linspace(0, 1.0, 100001)
    times = np.arange(0.1, 0.9, 0.1)
    i = np.zeros_like(t)
    for k, a in enumerate(times):
        i[(t >= a) & (t < a + 0.01)] = 1e-9 * (0.9**k)
    q = ms.charges_per_pulse(t, i, times, 0.02)
    assert q / q[0] == pytest.approx(0.9 ** np.arange(times.size), rel=2e-3)
    assert ms.mean_current(t, np.full_like(t, 2e-12)) == pytest.approx(2e-12, rel=1e-9, abs=0)


def test_linear_and_rate_transfer_fits():
    r = np.array([10, 20, 40, 80.0])
    fit = ms.rate_transfer(r, 3e-12 * r + 1e-13)
    assert fit.slope == pytest.approx(3e-12, rel=1e-6, abs=0)
    assert fit.intercept == pytest.approx(1e-13, rel=1e-4, abs=0)
    assert fit.r2 == pytest.approx(1.0)
    assert ms.linear_fit(r, r**2).r2 < 0.99
    with pytest.raises(FitError):
        ms.linear_fit([1.0], [2.0])


def test_recovery_and_steady_depression_fits():
    d = np.array([5, 10, 20, 40, 80]) * 1e-3
    ppr = 1 - 0.3 * np.exp(-d / 30e-3)
    amp, tau, r2 = ms.fit_recovery(d, ppr)
    assert amp == pytest.approx(0.3, rel=1e-6) and tau == pytest.approx(30e-3, rel=1e-6)
    rates = np.array([5, 10, 20, 50, 100.0])
    c, err = ms.fit_steady_efficacy(rates, ms.depression_model(rates, 0.01))
    assert c == pytest.approx(0.01, rel=1e-4) and err < 1e-4
    with pytest.raises(FitError):
        ms.fit_recovery(d, np.ones_like(d))


def test_stdp_window_fit_recovers_amplitudes_and_time_constants():
    dt = np.array([-20, -10, -5, -2, 2, 5, 10, 20]) * 1e-3
    dw = np.where(dt > 0, 0.1 * np.exp(-dt / 12e-3), -0.08 * np.exp(dt / 9e-3))
    fit = ms.stdp_window_fit(dt, dw)
    assert fit.a_plus == pytest.approx(0.1) and fit.tau_plus == pytest.approx(12e-3)
    assert fit.a_minus == pytest.approx(0.08) and fit.tau_minus == pytest.approx(9e-3)
    assert fit.r2_plus == pytest.approx(1.0) and fit.r2_minus == pytest.approx(1.0)
    with pytest.raises(FitError):
        ms.stdp_window_fit(dt, -dw)  # wrong signs on both sides


def test_weight_jump_states_threshold_and_drift_time():
    t = np.linspace(0, 1e-2, 10001)
    w = np.where(t < 5e-3, 0.9, 0.95)
    assert ms.weight_jump(t, w, 5e-3, 1e-4) == pytest.approx(0.05)
    assert ms.long_term_states([0.0, 0.01, 1.79, 1.8, 0.02]) == pytest.approx([0.01, 1.795])
    assert ms.switching_threshold([0.2, 0.8, 1.0, 1.5], [0, 0, 1.8, 1.8]) == pytest.approx(0.9)
    with pytest.raises(FitError):
        ms.switching_threshold([0.2, 0.8], [0, 0])
    tt = np.linspace(0, 1, 1001)
    v = np.clip(0.9 + 2.0 * tt, None, 1.8)  # 2 V/s ramp to the rail
    assert ms.drift_time(tt, v, 1.0, 1.7) == pytest.approx(0.35, abs=2e-3)


def test_energy_per_event_subtracts_static_power():
    t = np.linspace(0, 1.0, 1001)
    i = np.full_like(t, -1e-9)  # 1 nA from a 1 V supply = 1 nW
    e = ms.energy_per_event(t, i, vdd=1.0, n_events=10, static=0.5e-9)
    assert e == pytest.approx(0.05e-9, rel=1e-6, abs=0)
    with pytest.raises(ParameterError):
        ms.energy_per_event(t, i, n_events=0)
