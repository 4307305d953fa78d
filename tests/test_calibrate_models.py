"""Compact models: closed forms against their own step functions, exact digital IF."""

from dataclasses import replace

import numpy as np
import pytest

from neurocircuit.calibrate.neuron_models import (
    CurrentModeParams,
    DigitalIFModelParams,
    IzhikevichParams,
    LinearIFParams,
    current_mode_rate,
    digital_if_init,
    digital_if_step,
    linear_if_rate,
    simulate_neuron,
    simulated_rate,
)
from neurocircuit.calibrate.synapse_models import (
    DepressionParams,
    ExpSynapseParams,
    MemristorUpdateParams,
    STDPWindowParams,
    bistable_drift,
    depression_efficacy,
    exp_synapse_trace,
    memristor_curve,
    memristor_step,
    stdp_window,
)
from neurocircuit.errors import ParameterError


def _rates(spikes, dt):
    out = []
    for j in range(spikes.shape[1]):
        t = np.nonzero(spikes[:, j])[0] * dt
        out.append((t.size - 2) / (t[-1] - t[1]) if t.size > 2 else 0.0)
    return np.array(out)


@pytest.mark.parametrize("p", [
    LinearIFParams(q_th=1.8e-13, i_reset=1e-9),                        # axon-hillock
    LinearIFParams(q_th=1e-13, i_leak=1e-10, tau=2e-3, t_ref=1e-4),    # leaky IF + refractory
])
def test_linear_if_closed_form_matches_step(p):
    i = np.array([2e-10, 4e-10, 8e-10])
    dt = 2.5e-6
    s = simulate_neuron(p, np.tile(i, (6000, 1)), dt)
    np.testing.assert_allclose(_rates(s, dt), linear_if_rate(p, i), rtol=1e-2)


def test_linear_if_rheobase_and_latch():
    p = LinearIFParams(q_th=1e-13, i_leak=1e-10, i_reset=1e-9)
    assert linear_if_rate(p, 0.9e-10) == 0.0
    assert linear_if_rate(p, 1.2e-9) == 0.0  # input beyond I_r latches the axon hillock


@pytest.mark.parametrize("x_p", [np.inf, 2.0, 0.5])
def test_current_mode_closed_form_matches_step(x_p):
    p = CurrentModeParams(tau=5e-3, i_gain=1e-10, i_offset=1e-11, x_reset=0.1, x_p=x_p,
                          t_ref=1e-3)
    i = np.array([1.5e-10, 3e-10, 1e-9])
    r = simulated_rate(p, i, 0.03, 5e-6, skip=1)
    np.testing.assert_allclose(r, current_mode_rate(p, i), rtol=1e-2)


def test_current_mode_per_instance_arrays():
    p = CurrentModeParams(tau=np.array([5e-3, 10e-3]), i_gain=1e-10, t_ref=1e-3)
    r = current_mode_rate(p, 3e-10)
    assert r.shape == (2,) and r[0] > r[1] > 0


def test_izhikevich_regular_spiking_fires():
    p = IzhikevichParams()
    s = simulate_neuron(p, np.full((5000, 1), 10e-9), 4e-5)
    assert 3 < s.sum() < 100


def test_izhikevich_exponential_recovery():
    from neurocircuit.calibrate.neuron_models import izhikevich_recovery

    u = np.array([-5.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(izhikevich_recovery(u, float("inf")), u)
    np.testing.assert_allclose(izhikevich_recovery(u, 2.0), 2.0 * (np.exp(u / 2.0) - 1.0),
                               rtol=1e-12)
    np.testing.assert_allclose(izhikevich_recovery(u, 1e4), u, rtol=2e-3)  # u_e → ∞: w → u
    with pytest.raises(ParameterError, match="u_exp"):
        IzhikevichParams(u_exp=0.0)
    # the same jump d adapts more when w grows e-fold per u_e: a later, longer interval
    cur = np.full((4000, 1), 3e-8)
    t_lin = np.nonzero(simulate_neuron(IzhikevichParams(b=0.0, d=2.0), cur, 2e-5)[:, 0])[0]
    t_exp = np.nonzero(simulate_neuron(IzhikevichParams(b=0.0, d=2.0, u_exp=4.0), cur,
                                       2e-5)[:, 0])[0]
    assert t_exp.size >= 4 and t_exp.size < t_lin.size
    assert np.diff(t_exp)[-1] > 1.5 * np.diff(t_lin)[-1]
    assert np.diff(t_exp)[0] == pytest.approx(np.diff(t_lin)[0], rel=0.05)  # ~ first interval


def test_izhikevich_spikes_and_first_isi():
    from neurocircuit.calibrate.izhikevich_fi import izhikevich_rate, izhikevich_spikes
    from neurocircuit.calibrate.recipe_qif import first_isi

    kw = {"a": 0.01, "b": 0.0, "c": -60.0, "t_scale": 2e-5, "i_scale": 5e-10}
    p = IzhikevichParams(d=0.2, u_exp=2.0, **kw)
    cur = np.array([1.1e-8, 1.5e-8, 2e-8])  # J = 22, 30, 40 (rheobase 16.25 for b = 0)
    dt = 2e-7
    sp = izhikevich_spikes(p, cur, 2e-3, dt, 200)
    r = izhikevich_rate(p, cur, 2e-3, dt, skip=1)
    for j in range(cur.size):
        t = sp[j][np.isfinite(sp[j])]
        assert 4 < t.size < 200 and np.all(np.diff(t) > 0)
        assert np.diff(t)[-1] > 1.2 * np.diff(t)[0]  # adapts
        assert r[j] == pytest.approx((t.size - 2) / (t[-1] - t[1]), rel=1e-9)
    # no recovery (d = 0, b = 0 → w = 0): every interval is the closed form from v = c
    p0 = IzhikevichParams(d=0.0, **kw)
    sp0 = izhikevich_spikes(p0, cur, 4e-4, 2e-8, 3)
    t0 = first_isi(2e-5, 5e-10, -60.0, 30.0, cur)
    np.testing.assert_allclose(sp0, t0[:, None] * np.arange(1, 4), rtol=0.01)
    assert first_isi(2e-5, 5e-10, -60.0, 30.0, np.array([8e-9]))[0] == np.inf  # J = 16


def test_digital_if_bit_exact_with_circuit_rule():
    from neurocircuit.circuits.neurons.digital_if import DigitalIFParams, reference

    rng = np.random.default_rng(0)
    for mode, refr in (("reset", 0), ("subtract", 2)):
        cp = DigitalIFParams(mode=mode, refractory=refr)
        bits = rng.integers(0, 2, size=(400, 2))
        _, ref_spikes = reference(cp, bits)
        mp = DigitalIFModelParams.from_circuit(cp)
        st = digital_if_init(mp, ())
        out = []
        for s0, s1 in bits:
            s, st = digital_if_step(st, cp.w0 * s0 + cp.w1 * s1, mp)
            out.append(int(s))
        np.testing.assert_array_equal(out, ref_spikes)


def test_exp_synapse_per_pulse_update():
    p = ExpSynapseParams(tau=5e-3, i_inf=1e-10, width=1e-4)
    t = np.arange(0, 0.02, 1e-5)
    tr = exp_synapse_trace(p, t, [0.001])
    k = np.searchsorted(t, 0.001 + 1e-4)
    peak = 1e-10 * (1 - np.exp(-1e-4 / 5e-3))
    assert tr[k] == pytest.approx(peak, rel=1e-6)
    j = np.searchsorted(t, 0.011 + 1e-4)
    assert tr[j] == pytest.approx(peak * np.exp(-(t[j] - t[k]) / 5e-3), rel=1e-6)


def _power_ode(tau, i_inf, a, t, spikes, width, sub=200):
    """``τ dI/dt = I_∞^a I^{1−a} s(t) − I`` by RK4 on a fine grid (I starts at 1e-9 I_∞)."""
    def f(i, s):
        return (i_inf ** a * i ** (1 - a) * s - i) / tau
    out, i = [], 1e-9 * i_inf
    for k in range(t.size - 1):
        h = (t[k + 1] - t[k]) / sub
        for m in range(sub):
            tm = t[k] + m * h
            s = float(any(t0 <= tm + h / 2 < t0 + width for t0 in spikes))
            k1 = f(i, s)
            k2 = f(i + h / 2 * k1, s)
            k3 = f(i + h / 2 * k2, s)
            k4 = f(i + h * k3, s)
            i += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(i)
    return np.array([0.0] + out)


def test_power_law_kernel_solves_the_dpi_pair_ode():
    # the DPI pair with κ_n ≠ κ_p: τ dI/dt = I_∞^a I^{1−a} s − I, and I = I_∞ u^p, p = 1/a
    tau, i_inf, a, width = 5e-3, 4e-10, 1.12, 5e-4
    t = np.arange(0, 0.02, 1e-4)
    spikes = [0.001, 0.0035, 0.004 + width, 0.012]
    p = ExpSynapseParams(tau=tau, i_inf=i_inf, width=width, power=1 / a)
    model = exp_synapse_trace(p, t, spikes)
    ode = _power_ode(tau, i_inf, a, t, spikes, width)
    assert np.max(np.abs(model - ode)) < 2e-3 * np.max(ode)
    # the decay keeps the time constant τ
    k0, k1 = np.searchsorted(t, [0.014, 0.019])
    assert np.log(model[k0] / model[k1]) / (t[k1] - t[k0]) == pytest.approx(1 / tau, rel=1e-9)
    # p = 1 is the linear kernel; p < 1 adds less per pulse when the current is already high
    lin = exp_synapse_trace(replace(p, power=1.0), t, spikes)
    np.testing.assert_allclose(exp_synapse_trace(replace(p, power=1 + 1e-12), t, spikes), lin,
                               rtol=1e-9, atol=1e-24)
    k_first, k_burst = np.searchsorted(t, [0.0015, 0.0045 + width])
    assert model[k_first] > lin[k_first] and model[k_burst] / lin[k_burst] < model[k_first] / \
        lin[k_first]
    with pytest.raises(ParameterError, match="power"):
        ExpSynapseParams(power=0.1)
    with pytest.raises(ParameterError, match="not both"):
        ExpSynapseParams(i_g=1e-12, power=0.9)


def test_depression_steady_state():
    p = DepressionParams(tau_rec=0.1, delta=0.3, w0=1.0)
    r = 50.0
    w = depression_efficacy(p, np.arange(200) / r)
    # exact periodic steady state of the discrete update
    e = np.exp(-1 / (r * p.tau_rec))
    w_ss = p.w0 * (1 - e) / (1 - (1 - p.delta) * e)
    assert w[-1] == pytest.approx(w_ss, rel=1e-6)
    assert w[1] < w[0]


def test_stdp_window_and_drift():
    p = STDPWindowParams(a_plus=0.02, a_minus=0.01, tau_plus=10e-3, tau_minus=20e-3, drift=1.0)
    assert stdp_window(p, 10e-3) == pytest.approx(0.02 / np.e)
    assert stdp_window(p, -20e-3) == pytest.approx(-0.01 / np.e)
    np.testing.assert_allclose(bistable_drift(p, [0.4, 0.6], 0.05), [0.35, 0.65])
    np.testing.assert_allclose(bistable_drift(p, [0.4, 0.6], 5.0), [0.0, 1.0])


def test_memristor_curve_bounds_and_steps():
    p = MemristorUpdateParams(g_min=1e-6, g_max=1e-4, n_pulses=50, nu_p=10.0, nu_d=30.0)
    assert memristor_curve(p, 0) == pytest.approx(1e-6)
    assert memristor_curve(p, 50) == pytest.approx(1e-4)
    assert memristor_curve(p, 50, "reset") == pytest.approx(1e-6)
    g = np.full(3, 1e-6)
    rng = np.random.default_rng(1)
    for _ in range(10):
        g = memristor_step(p, g, np.ones(3), rng)
    assert g == pytest.approx(memristor_curve(p, 10), rel=1e-9)
    noisy = MemristorUpdateParams(sigma_c2c=0.5)
    a = memristor_step(noisy, np.full(4, 5e-5), np.ones(4), np.random.default_rng(2))
    assert np.ptp(a) > 0 and np.all((a >= noisy.g_min) & (a <= noisy.g_max))


def test_params_validation_messages():
    with pytest.raises(ParameterError, match="q_th"):
        LinearIFParams(q_th=-1.0)
    with pytest.raises(ParameterError, match="x_reset"):
        CurrentModeParams(x_reset=1.5)
