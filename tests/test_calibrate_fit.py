"""Fitting recovers known parameters (1 %) from data the compact models generate themselves."""

import warnings

import numpy as np
import pytest

from neurocircuit.calibrate.fit import Free, fit_fi, fit_model, fit_trace, fit_window
from neurocircuit.calibrate.neuron_models import (
    CurrentModeParams,
    LinearIFParams,
    current_mode_rate,
    linear_if_rate,
)
from neurocircuit.calibrate.synapse_models import (
    ExpSynapseParams,
    MemristorUpdateParams,
    STDPWindowParams,
    exp_synapse_trace,
    memristor_curve,
    stdp_window,
)
from neurocircuit.errors import FitWarning


def _close(fit, truth, rel=0.01):
    for n, v in fit.as_dict().items():
        assert v == pytest.approx(truth[n], rel=rel), n


def test_recover_axon_hillock_fi():
    truth = {"q_th": 1.8e-13, "i_reset": 1e-9}
    i = np.linspace(2e-11, 9.5e-10, 15)
    f = linear_if_rate(LinearIFParams(**truth), i)
    fit = fit_fi(LinearIFParams(), i, f, {"q_th": Free(1e-13, 1e-15, 1e-11),
                                          "i_reset": Free(3e-9, 1e-11, 1e-7)})
    _close(fit, truth)
    assert fit.metrics["rel_rms"] < 1e-6
    assert fit.cov.shape == (2, 2) and np.all(fit.stderr >= 0)


def test_recover_if_refractory_fi():
    truth = {"q_th": 9e-13, "i_leak": 1e-10, "t_ref": 2.7e-4}
    i = np.linspace(1.2e-10, 5e-8, 18)
    f = linear_if_rate(LinearIFParams(**truth), i)
    fit = fit_fi(LinearIFParams(), i, f, {"q_th": Free(3e-13, 1e-15, 1e-10),
                                          "i_leak": Free(5e-11, 1e-13, 1e-8),
                                          "t_ref": Free(1e-3, 1e-7, 1e-2)})
    _close(fit, truth)


def test_recover_current_mode_fi_with_adaptation():
    truth = {"tau": 7e-3, "i_gain": 1e-10, "x_p": 2.0, "b_ahp": 0.05}
    base = CurrentModeParams(i_offset=1e-11, x_reset=0.1, t_ref=1e-3, tau_ahp=0.04)
    i = np.geomspace(1e-10, 2e-9, 14)
    f = current_mode_rate(CurrentModeParams(**{**base.__dict__, **truth}), i)
    fit = fit_fi(base, i, f, {"tau": Free(3e-3, 1e-4, 1.0), "i_gain": Free(2e-10, 1e-12, 1e-8),
                              "x_p": Free(5.0, 0.1, 100.0), "b_ahp": Free(0.02, 1e-4, 1.0)},
                 n_starts=1)
    _close(fit, truth)


def test_recover_exp_synapse_trace():
    truth = {"tau": 5.3e-3, "i_inf": 2e-10}
    t = np.arange(0, 0.04, 5e-5)
    spikes = [0.002, 0.006, 0.015]
    y = exp_synapse_trace(ExpSynapseParams(width=2e-4, **truth), t, spikes)
    fit = fit_trace(ExpSynapseParams(width=2e-4), t, y,
                    lambda p, tt: exp_synapse_trace(p, tt, spikes),
                    {"tau": Free(2e-3, 1e-4, 1e-1), "i_inf": Free(1e-10, 1e-13, 1e-7)},
                    n_starts=2)
    _close(fit, truth)


def test_recover_dpi_kernel_nonlinearity():
    truth = {"tau": 5e-3, "i_inf": 3e-9, "i_g": 2e-11}
    t = np.arange(0, 0.03, 5e-5)
    spikes = [0.002, 0.004, 0.012]
    y = exp_synapse_trace(ExpSynapseParams(width=1e-4, **truth), t, spikes)
    fit = fit_trace(ExpSynapseParams(width=1e-4, i_g=1e-11), t, y,
                    lambda p, tt: exp_synapse_trace(p, tt, spikes),
                    {"tau": Free(4e-3, 1e-4, 1e-1), "i_inf": Free(2e-9, 1e-12, 1e-6),
                     "i_g": Free(1e-11, 1e-13, 1e-9)}, n_starts=1)
    _close(fit, truth)


def test_recover_power_law_kernel():
    # a Poisson-like train whose rate steps up (the rate dependence identifies p)
    truth = {"tau": 5.5e-3, "i_inf": 5e-10, "power": 0.89}
    t = np.arange(0, 0.3, 5e-5)
    rng = np.random.default_rng(4)
    spikes = np.sort(np.concatenate([rng.uniform(0, 0.15, 6), rng.uniform(0.15, 0.3, 25)]))
    y = exp_synapse_trace(ExpSynapseParams(width=5e-4, **truth), t, spikes)
    fit = fit_trace(ExpSynapseParams(width=5e-4), t, y,
                    lambda p, tt: exp_synapse_trace(p, tt, spikes),
                    {"tau": Free(4e-3, 1e-4, 1e-1), "i_inf": Free(2e-10, 1e-12, 1e-6),
                     "power": Free(1.0, 0.5, 1.5, log=False)}, n_starts=1)
    _close(fit, truth)


def test_recover_stdp_window():
    truth = {"a_plus": 0.02, "a_minus": 0.012, "tau_plus": 15e-3, "tau_minus": 25e-3}
    d = np.concatenate([-np.geomspace(1e-3, 0.1, 12), np.geomspace(1e-3, 0.1, 12)])
    dw = stdp_window(STDPWindowParams(**truth), d)
    fit = fit_window(STDPWindowParams(), d, dw, {k: Free(v * 2, v / 20, v * 20)
                                                for k, v in truth.items()})
    _close(fit, truth)


def test_recover_memristor_nonlinearity():
    truth = {"nu_p": 12.0, "nu_d": 40.0}
    base = MemristorUpdateParams(g_min=1e-6, g_max=1e-4, n_pulses=64)
    n = np.arange(65)
    y = np.concatenate([memristor_curve(MemristorUpdateParams(**{**base.__dict__, **truth}), n),
                        memristor_curve(MemristorUpdateParams(**{**base.__dict__, **truth}), n,
                                        "reset")])
    from dataclasses import replace

    fit = fit_model(lambda v: replace(base, **v),
                    lambda p: np.concatenate([memristor_curve(p, n),
                                              memristor_curve(p, n, "reset")]),
                    y, {"nu_p": Free(30.0, 1.0, 1e3), "nu_d": Free(30.0, 1.0, 1e3)},
                    weights=np.full(y.size, 1e4))
    _close(fit, truth)


def test_poor_fit_warns():
    i = np.linspace(1e-10, 1e-9, 10)
    f = 1e3 * np.sin(np.linspace(0, 6, 10)) ** 2 + 10  # not an IF curve
    with pytest.warns(FitWarning, match="Poor fit"):
        fit_fi(LinearIFParams(), i, f, {"q_th": Free(1e-13, 1e-15, 1e-11)}, n_starts=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_fi(LinearIFParams(), i, linear_if_rate(LinearIFParams(q_th=2e-13), i),
               {"q_th": Free(1e-13, 1e-15, 1e-11)}, n_starts=1)


# --- spike-train (ISI) fits under a fluctuating input ---------------------------------------


def _ou_train(model, t_stop=0.2, seed=5, dt=1e-5, mean=2e-10, sigma=6e-11):
    """An OU current and the spike train the model itself produces from a spike at 1 ms,
    generated with the interval predictor (so that data and fit use the same integrator)."""
    from neurocircuit.calibrate.isi_fit import predict_isi
    from neurocircuit.circuits.testbenches import ou_samples

    t, i = ou_samples(mean, sigma, 5e-3, t_stop, 2e-4, seed)
    sp = [1e-3]
    while True:
        n = int((t_stop - 0.01 - sp[-1]) / dt)
        if n < 10:
            break
        win = np.interp(sp[-1] + dt * np.arange(n), t, i)[:, None]
        nxt = predict_isi(model, win, dt)[0]
        if not np.isfinite(nxt):
            break
        sp.append(sp[-1] + nxt)
    return t, i, np.array(sp)


def test_isi_windows_and_prediction_of_the_true_model():
    from neurocircuit.calibrate.isi_fit import isi_windows, predict_isi

    truth = LinearIFParams(q_th=9e-13, i_leak=9.5e-11, tau=0.05, t_ref=2.8e-4)
    t, i, sp = _ou_train(truth)
    assert sp.size > 10
    cur, isi = isi_windows(t, i, sp, 1e-5)
    assert cur.shape[1] == isi.size == sp.size - 1
    np.testing.assert_allclose(cur[0], np.interp(sp[:-1], t, i))
    pred = predict_isi(truth, cur, 1e-5)
    # restarted at each spike, the generating model predicts every interval (to a step)
    np.testing.assert_allclose(pred, isi, rtol=1e-9, atol=0)
    # a 5 % larger threshold charge lengthens every interval
    wrong = predict_isi(LinearIFParams(q_th=9.45e-13, i_leak=9.5e-11, tau=0.05, t_ref=2.8e-4),
                        cur, 1e-5)
    assert np.all(wrong > isi)


def test_recover_leaky_if_from_spike_train_and_fi():
    from neurocircuit.calibrate.isi_fit import fit_isi

    truth = {"q_th": 9e-13, "i_leak": 9.5e-11, "tau": 0.05, "t_ref": 2.8e-4}
    model = LinearIFParams(**truth)
    t, i, sp = _ou_train(model, t_stop=0.12)
    cur = np.geomspace(1.5e-10, 3e-8, 6)
    rates = linear_if_rate(model, cur)
    free = {"q_th": Free(8e-13, 1e-14, 1e-10), "i_leak": Free(8e-11, 1e-12, 1e-8),
            "tau": Free(0.04, 1e-4, 10.0), "t_ref": Free(2.5e-4, 1e-6, 1e-2)}
    fit = fit_isi(LinearIFParams(), t, i, sp, free, 1e-5, fi=(cur, rates), n_starts=1)
    _close(fit, truth)


def test_isi_fit_rejects_too_few_spikes():
    from neurocircuit.calibrate.isi_fit import fit_isi
    from neurocircuit.errors import FitError

    with pytest.raises(FitError, match=">= 3 circuit spikes"):
        fit_isi(LinearIFParams(), [0.0, 1.0], [0.0, 0.0], [0.1, 0.2],
                {"q_th": Free(1e-13, 1e-14, 1e-12)}, 1e-5)


# --- Izhikevich F–I by simulation --------------------------------------------------------


def test_izhikevich_rate_matches_step_simulation():
    from neurocircuit.calibrate.izhikevich_fi import izhikevich_rate
    from neurocircuit.calibrate.neuron_models import IzhikevichParams, simulate_neuron

    p = IzhikevichParams()
    cur = np.array([2e-9, 6e-9, 1.2e-8])
    dt = 2e-5
    r = izhikevich_rate(p, cur, 0.5, dt)
    spikes = simulate_neuron(p, np.tile(cur, (25000, 1)), dt)
    for j in range(cur.size):
        t = np.nonzero(spikes[:, j])[0] * dt
        if t.size < 3:
            assert r[j] == 0.0
        else:  # sub-step times differ from the step indices by < dt
            assert r[j] == pytest.approx((t.size - 2) / (t[-1] - t[1]), rel=2 * dt / (t[-1] - t[1]))
    assert r[0] == 0.0 and 0 < r[1] < r[2]
