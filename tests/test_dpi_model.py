"""Full DPI form of the current-mode neuron model (x_th > 0) and its timing-fit helpers."""

import numpy as np
import pytest

from neurocircuit.calibrate.neuron_models import (
    CurrentModeParams,
    current_mode_init,
    current_mode_latency,
    current_mode_rate,
    current_mode_step,
    simulate_neuron,
    simulated_rate,
)
from neurocircuit.errors import ParameterError

DPI = CurrentModeParams(tau=8e-3, i_gain=1e-9, i_offset=0.0, x_th=0.01, x_reset=3e-4,
                        x_p=0.01, t_ref=1e-3)


def test_dpi_form_closed_form_rate_matches_simulation():
    i = np.array([40e-12, 200e-12, 1e-9])
    r_sim = simulated_rate(DPI, i, t_stop=0.2, dt=2e-5, skip=1)
    np.testing.assert_allclose(r_sim, current_mode_rate(DPI, i), rtol=1e-2)
    assert np.all(np.diff(r_sim) > 0)


def test_dpi_form_subthreshold_growth_is_exponential():
    # x ≪ x_th, no feedback: τ dx/dt = x (s/x_th − 1)  →  x = x_r exp((s/x_th − 1) t/τ)
    p = CurrentModeParams(tau=8e-3, i_gain=1e-9, x_th=0.01, x_reset=1e-5, t_ref=0.0)
    i, dt, n = 30e-12, 1e-5, 200
    st = current_mode_init(p, ())
    assert float(st.x) == pytest.approx(1e-5, rel=0, abs=0)
    for _ in range(n):
        _, st = current_mode_step(st, i, p, dt)
    s = i / p.i_gain
    expect = 1e-5 * np.exp((s / 0.01 - 1.0) * n * dt / 8e-3)
    # exact for x ≪ x_th up to the x/x_th correction of the input branch
    assert float(st.x) == pytest.approx(expect, rel=0.02)
    assert current_mode_latency(p, i) == np.inf  # x∞ = s − x_th < 1: never fires
    assert 0 < current_mode_latency(DPI, i) < np.inf  # the feedback makes it fire


def test_dpi_form_clips_negative_input_and_floors_at_reset():
    st = current_mode_init(DPI, (2,))
    for _ in range(500):
        s, st = current_mode_step(st, np.array([-1e-9, 0.0]), DPI, 1e-5)
        assert not s.any()
    np.testing.assert_allclose(st.x, DPI.x_reset, rtol=0, atol=0)
    assert current_mode_rate(DPI, -1e-9) == 0.0


def test_dpi_form_shunting_adaptation_lowers_rate():
    p = CurrentModeParams(**{**DPI.__dict__, "tau_ahp": 0.04, "b_ahp": 1.0})
    i = np.array([100e-12, 400e-12])
    r_ad = simulated_rate(p, i, t_stop=0.3, dt=4e-5, skip=6)
    assert np.all(r_ad < 0.9 * current_mode_rate(DPI, i))
    # the mean-field rate is an estimate of the adapted rate (a fluctuates by b per spike)
    np.testing.assert_allclose(current_mode_rate(p, i), r_ad, rtol=0.3)


def test_dpi_form_validation():
    with pytest.raises(ParameterError, match="x_th"):
        CurrentModeParams(x_th=-0.1)
    with pytest.raises(ParameterError, match="x_reset > 0"):
        CurrentModeParams(x_th=0.01, x_reset=0.0)


def test_old_form_unchanged_by_default():
    p = CurrentModeParams(tau=5e-3, i_gain=1e-10, i_offset=1e-11, x_reset=0.1, t_ref=1e-3)
    assert not p.dpi and p.x_th == 0.0
    st = current_mode_init(p, ())
    assert float(st.x) == 0.0


def test_isi_predictions_reproduce_the_models_own_spikes():
    from neurocircuit.calibrate.pipeline import isi_predictions

    p = CurrentModeParams(**{**DPI.__dict__, "tau_ahp": 0.04, "b_ahp": 0.5})
    dt = 2e-5
    rng = np.random.default_rng(0)
    t_stim = np.arange(0, 0.2, 2e-4)
    i_stim = 120e-12 + 40e-12 * rng.standard_normal(t_stim.size)
    grid = np.arange(0.0, t_stim[-1], dt)
    spk = simulate_neuron(p, np.interp(grid, t_stim, i_stim), dt)
    st_ = current_mode_init(p, ())
    times = []
    for k, c in enumerate(np.interp(grid, t_stim, i_stim)):
        s, st_ = current_mode_step(st_, c, p, dt)
        if s > 0:
            times.append((k + float(st_.frac)) * dt)
    times = np.asarray(times)
    assert times.size == int(spk.sum()) > 5
    pred = isi_predictions(p, t_stim, i_stim, times[:-1], dt)
    # restarting from the model's own reset state reproduces its own next spikes (to a step)
    np.testing.assert_allclose(pred, times, rtol=0, atol=1.5 * dt)
