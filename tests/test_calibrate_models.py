"""Compact models: closed forms against their own step functions, exact digital IF."""

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
