"""Measurements against analytic waveforms: spike times, ISI, rates, bursts, τ, energy."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import FitError, ParameterError
from neurocircuit.measure import (
    adaptation_ratio,
    cumulative_trapezoid,
    detect_bursts,
    energy,
    energy_per_spike,
    fi_curve,
    firing_rate,
    fit_exponential,
    isi_stats,
    pulse_widths,
    refractory_period,
    rheobase,
    settling_time,
    spike_times,
    static_power,
    time_to_fraction,
    trapezoid,
)


def pulse_train(times, width=1e-4, t_stop=0.1, n=200_001, high=1.8):
    t = np.linspace(0.0, t_stop, n)
    v = np.zeros_like(t)
    for t0 in times:
        v[(t >= t0) & (t < t0 + width)] = high
    return t, v


def test_spike_times_of_a_pulse_train():
    times = [0.010, 0.0253, 0.04, 0.071]
    t, v = pulse_train(times)
    st = spike_times(t, v, threshold=0.9)
    assert st.size == 4
    np.testing.assert_allclose(st, times, atol=1e-6)


def test_spike_times_interpolates_a_ramp_crossing():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    v = np.array([0.0, 0.0, 1.0, 0.0])
    assert spike_times(t, v, threshold=0.25, hysteresis=0.1)[0] == pytest.approx(1.25)


def test_hysteresis_rejects_noise_at_threshold():
    t = np.linspace(0, 1, 10_001)
    rng = np.random.default_rng(0)
    v = 0.9 + 0.01 * rng.standard_normal(t.size)  # chatter around threshold
    v[:100] = 0.0
    v[5000:5100] = 0.0
    assert spike_times(t, v, threshold=0.9, hysteresis=0.1).size == 2
    assert spike_times(t, v, threshold=0.9, hysteresis=0.0).size > 100


def test_flat_waveform_has_no_spikes_and_default_threshold_works():
    t = np.linspace(0, 1, 100)
    assert spike_times(t, np.full(100, 0.3)).size == 0
    tt, v = pulse_train([0.02, 0.05])
    assert spike_times(tt, v).size == 2


def test_isi_rate_and_cv_of_a_regular_train():
    times = 0.001 + np.arange(11) * 0.002
    s = isi_stats(times)
    assert s.n == 10
    assert s.mean == pytest.approx(0.002)
    assert s.cv == pytest.approx(0.0, abs=1e-9)
    assert firing_rate(times) == pytest.approx(500.0)
    assert firing_rate(times, t_start=0.0, t_stop=0.022, method="count") == pytest.approx(500.0)
    with pytest.raises(ParameterError):
        firing_rate(times, method="count")
    assert firing_rate([0.1]) == 0.0


def test_isi_cv_of_a_known_irregular_train():
    isi = np.array([1.0, 3.0])
    s = isi_stats(np.concatenate([[0.0], np.cumsum(isi)]))
    assert s.mean == 2.0 and s.std == 1.0 and s.cv == 0.5


def test_fi_curve_and_rheobase():
    currents = [3e-9, 1e-9, 2e-9, 0.5e-9]
    trains = [np.arange(0, 1, 1 / r) if r else np.empty(0) for r in (300.0, 100.0, 200.0, 0.0)]
    fi = fi_curve(currents, trains, skip=0)
    np.testing.assert_allclose(fi.i_in, [0.5e-9, 1e-9, 2e-9, 3e-9])
    np.testing.assert_allclose(fi.rate, [0, 100, 200, 300], rtol=1e-9)
    assert rheobase(fi.i_in, fi.rate) == pytest.approx(0.75e-9)
    assert rheobase(fi.i_in, fi.rate, method="extrapolate") == pytest.approx(0.0, abs=1e-18)
    assert np.isnan(rheobase([1, 2], [0, 0]))
    assert set(fi.as_dict()) == {"fi_curve.i_in_a", "fi_curve.rate_hz"}


def test_refractory_period_from_isi_and_pulse():
    times = [0.0, 0.004, 0.0065, 0.0095]
    assert refractory_period(times) == pytest.approx(0.0025)
    t, v = pulse_train([0.01, 0.03], width=2e-3)
    assert refractory_period(t=t, v=v, threshold=0.9) == pytest.approx(2e-3, rel=1e-3)
    np.testing.assert_allclose(pulse_widths(t, v, threshold=0.9), [2e-3, 2e-3], rtol=1e-3)


def test_adaptation_ratio():
    isi = 0.001 * np.array([1, 1.5, 2, 2.5, 3])
    times = np.concatenate([[0], np.cumsum(isi)])
    assert adaptation_ratio(times) == pytest.approx(3.0)
    assert adaptation_ratio(np.arange(5.0)) == pytest.approx(1.0)
    assert np.isnan(adaptation_ratio([0.0, 1.0]))


def test_detect_bursts():
    bursts = [0.0, 0.05, 0.10]
    times = np.concatenate([b + 0.002 * np.arange(4) for b in bursts])
    res = detect_bursts(times)
    assert res.n_bursts == 3
    assert res.spikes_per_burst == 4
    assert res.intra_isi == pytest.approx(0.002)
    assert res.inter_isi == pytest.approx(0.05 - 0.006)
    assert res.ratio == pytest.approx(0.044 / 0.002)
    regular = detect_bursts(np.arange(10) * 0.01)
    assert regular.n_bursts == 1 and np.isnan(regular.ratio)


def test_exponential_fit_recovers_tau():
    tau = 2.5e-3
    t = np.linspace(0, 20e-3, 2001)
    v = 0.2 + 0.7 * np.exp(-t / tau)
    fit = fit_exponential(t, v)
    assert fit.tau == pytest.approx(tau, rel=1e-3)
    assert fit.v_inf == pytest.approx(0.2, abs=1e-4)
    assert fit.r2 > 0.999
    fixed = fit_exponential(t, v, v_inf=0.2)
    assert fixed.tau == pytest.approx(tau, rel=1e-6)
    assert time_to_fraction(t, v) == pytest.approx(tau, rel=2e-3)
    assert settling_time(t, v, tol=0.02) == pytest.approx(tau * np.log(50), rel=5e-3)


def test_exponential_fit_of_a_rising_step_with_offset_start():
    tau = 1e-3
    t = np.linspace(0, 10e-3, 5001)
    v = np.where(t < 2e-3, 0.0, 1.0 - np.exp(-(t - 2e-3) / tau))
    fit = fit_exponential(t, v, t0=2e-3)
    assert fit.tau == pytest.approx(tau, rel=2e-3)


def test_exponential_fit_of_a_geometric_staircase():
    # switched-capacitor leak: V[n+1] = a V[n], held between clock ticks
    a, T = 0.95, 1e-5
    n = np.arange(0, 200)
    t = np.repeat(n * T, 2)[1:]
    v = np.repeat(a**n, 2)[:-1]
    fit = fit_exponential(t, v, v_inf=0.0)
    assert fit.tau == pytest.approx(-T / np.log(a), rel=0.03)


def test_exponential_fit_rejects_flat_or_growing():
    t = np.linspace(0, 1, 100)
    with pytest.raises(FitError):
        fit_exponential(t, np.ones(100))
    with pytest.raises(FitError):
        fit_exponential(t, np.exp(t), v_inf=0.0)


def test_trapezoid_on_nonuniform_grid():
    x = np.array([0.0, 0.1, 0.5, 0.6, 2.0])
    assert trapezoid(2 * x, x) == pytest.approx(4.0)  # ∫ 2x dx over [0, 2]
    np.testing.assert_allclose(cumulative_trapezoid(2 * x, x), x**2)


def test_energy_of_known_supply_currents():
    # VDD = 1.8 V delivering 1 µA (i(vdd) = -1 µA) for 1 ms -> 1.8 nJ
    t = np.array([0.0, 0.3e-3, 1e-3])
    i = np.full(3, -1e-6)
    assert energy(t, i, vdd=1.8) == pytest.approx(1.8e-9)
    assert static_power(t, i, vdd=1.8) == pytest.approx(1.8e-6)
    assert energy(t, i, vdd=1.8, t_start=0.5e-3, t_stop=0.75e-3) == pytest.approx(0.45e-9)


def test_energy_per_spike_of_current_pulses():
    # static 10 nA plus a charge of 1 pC drawn at each spike (pulse of 1 µA x 1 µs)
    period, q = 1e-3, 1e-12
    spikes = 0.5e-3 + period * np.arange(6)
    t = np.unique(np.concatenate([np.linspace(0, 6.5e-3, 6501), spikes, spikes + 1e-6]))
    i = np.full(t.size, -10e-9)
    for s in spikes:
        i[(t >= s) & (t < s + 1e-6)] -= q / 1e-6
    vdd = 1.8
    static = vdd * 10e-9
    e_dyn = energy_per_spike(t, i, vdd, spikes, static=static)
    assert e_dyn == pytest.approx(q * vdd, rel=0.01)
    e_tot = energy_per_spike(t, i, vdd, spikes)
    assert e_tot == pytest.approx(q * vdd + static * period, rel=0.01)
    assert np.isnan(energy_per_spike(t, i, vdd, spikes[:1]))


def test_bad_inputs_raise_parameter_error():
    with pytest.raises(ParameterError):
        spike_times(np.arange(3.0), np.arange(4.0))
    with pytest.raises(ParameterError):
        spike_times(np.arange(3.0))
    with pytest.raises(ParameterError):
        energy(np.arange(3.0), np.ones(3), t_start=2.0, t_stop=1.0)


def test_measurements_accept_a_simresult():
    from neurocircuit.spice.result import SimResult

    t, v = pulse_train([0.01, 0.03])
    res = SimResult(
        analysis="tran",
        axis_name="time",
        axis=t,
        signals={"v(out)": v, "i(vdd)": np.full(t.size, -1e-6)},
    )
    np.testing.assert_allclose(spike_times(res, "out", threshold=0.9), [0.01, 0.03], atol=1e-6)
    assert static_power(res, "i(vdd)", vdd=1.0) == pytest.approx(1e-6)


def test_merge_close_drops_crossings_within_min_isi():
    from neurocircuit.errors import ParameterError
    from neurocircuit.measure import merge_close

    glitchy = [1e-3 - 3e-6, 1e-3, 2e-3 - 3e-6, 2e-3, 3.5e-3]
    np.testing.assert_array_equal(merge_close(glitchy, 1e-4), [1e-3 - 3e-6, 2e-3 - 3e-6, 3.5e-3])
    np.testing.assert_array_equal(merge_close(glitchy, 0.0), np.sort(glitchy))
    with pytest.raises(ParameterError, match="min_isi"):
        merge_close(glitchy, -1.0)
