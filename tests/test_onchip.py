"""On-chip learning: rule updates become device pulses (counted, bounded, along the device's
non-linear curve), the bistable weight drifts to its two states, and a short seeded learning
run beats chance with ideal, memristive and bistable synapses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocircuit.calibrate.synapse_models import (
    MemristorUpdateParams,
    STDPWindowParams,
    memristor_curve,
)
from neurocircuit.circuits.synapses.bistable import BistableParams, drift_time_estimate
from neurocircuit.errors import DataError, ParameterError
from neurocircuit.hardware import memristor as mm
from neurocircuit.hardware import onchip as oc
from neurocircuit.snn import datasets
from neurocircuit.snn.learning import stdp, weight_dependent

DEV = MemristorUpdateParams(g_min=1e-6, g_max=1e-4, n_pulses=50, nu_p=12.0, nu_d=6.0)


def test_pulse_counts_nearest_and_stochastic():
    n = oc.pulse_counts(np.array([0.034, -0.021, 0.004, -0.5]), 0.01, max_pulses=20)
    assert n.tolist() == [3, -2, 0, -20]
    rng = np.random.default_rng(0)
    r = oc.pulse_counts(np.full(20000, 0.0237), 0.01, rng)
    assert set(np.unique(r)) == {2, 3}
    assert r.mean() == pytest.approx(2.37, abs=0.02)  # unbiased rounding
    with pytest.raises(ParameterError, match="step"):
        oc.pulse_counts(np.zeros(2), 0.0)


def test_rule_update_gives_the_pulse_numbers():
    """One post spike of the weight-dependent rule: pulses = round(Δw_rule / δw) per synapse."""
    p = weight_dependent.WeightDependentParams(eta_post=0.05, eta_pre=0.0, x_tar=0.3)
    syn = oc.MemristiveSynapses(DEV, stochastic=False)
    w0 = np.full((2, 4), 0.5)
    tr = weight_dependent.Traces(np.array([[1.0, 0.8, 0.1, 0.0]]), np.zeros((1, 2)))
    pre, post = np.zeros((1, 4)), np.array([[1.0, 0.0]])
    dw, _ = oc.rule_delta(weight_dependent, p, w0, tr, pre, post, 1e-3, np.random.default_rng(0))
    assert np.all(dw[1] == 0) and dw[0, 0] > 0 and dw[0, 3] < 0
    expected = np.rint(dw / syn.step).astype(int)
    assert np.abs(expected).sum() > 0
    g, count = syn.apply(syn.init(w0), dw, np.random.default_rng(0))
    assert count.potentiation == expected[expected > 0].sum()
    assert count.depression == -expected[expected < 0].sum()
    assert count.total == np.abs(expected).sum()
    # the synapses that got no pulse kept their conductance exactly
    np.testing.assert_array_equal(g[expected == 0], syn.init(w0)[expected == 0])
    moved = syn.weights(g) - w0
    assert np.all(np.sign(moved[expected != 0]) == np.sign(expected[expected != 0]))


@pytest.mark.parametrize("c2c", [0.0, 2.0])
def test_bounds_respected(c2c):
    rng = np.random.default_rng(1)
    syn = oc.MemristiveSynapses(MemristorUpdateParams(n_pulses=20, sigma_c2c=c2c), max_pulses=50)
    g = syn.init(rng.uniform(0, 1, (8, 8)))
    for k in range(6):
        g, _ = syn.apply(g, rng.normal(0, 2.0, g.shape) * (-1) ** k, rng)
        assert g.min() >= syn.device.g_min and g.max() <= syn.device.g_max
        w = syn.weights(g)
        assert w.min() >= 0.0 and w.max() <= syn.w_max * (1 + 1e-12)
    bis = oc.BistableSynapses()
    v = bis.init(rng.uniform(0, 1, (8, 8)))
    for _ in range(4):
        v, pc = bis.apply(v, rng.normal(0, 3.0, v.shape), rng)
        v = bis.relax(v, 0.01)
        assert pc.total == 0
        assert v.min() >= bis.window.w_min and v.max() <= bis.window.w_max
    ideal = oc.IdealSynapses(w_max=0.7)
    w, _ = ideal.apply(ideal.init(np.full(3, 0.5)), np.array([1.0, -1.0, 0.1]), rng)
    np.testing.assert_allclose(w, [0.7, 0.0, 0.6])


def test_pulses_follow_the_nonlinear_asymmetric_device_curve():
    syn = oc.MemristiveSynapses(DEV, stochastic=False, max_pulses=DEV.n_pulses)
    n = np.arange(DEV.n_pulses + 1)
    w_set = syn.curve(DEV.n_pulses, "set")
    w_reset = syn.curve(DEV.n_pulses, "reset")
    np.testing.assert_allclose(w_set, syn.weights(memristor_curve(DEV, n, "set")), rtol=1e-9,
                               atol=1e-9)
    np.testing.assert_allclose(w_reset, syn.weights(memristor_curve(DEV, n, "reset")),
                               rtol=1e-9, atol=1e-9)
    assert w_set[-1] == pytest.approx(1.0) and w_reset[-1] == pytest.approx(0.0, abs=1e-9)
    # non-linear: the first set pulse moves far more than the nominal step δw, the last less
    assert w_set[1] - w_set[0] > 2 * syn.step > 2 * (w_set[-1] - w_set[-2])
    assert mm.nonlinearity(w_set) > 0.2
    # asymmetric: ν_D ≠ ν_P, so depression does not retrace potentiation
    assert mm.asymmetry(w_set, w_reset) > 0.05
    # k pulses applied in one update land on the curve at k (from G_min)
    for k in (1, 7, 23):
        g, c = syn.apply(syn.init(np.zeros(1)), np.array([k * syn.step]), np.random.default_rng(0))
        assert c.potentiation == k
        assert syn.weights(g)[0] == pytest.approx(w_set[k], rel=1e-9)
    # a linear device (ν → ∞) realises the intended change
    lin = oc.MemristiveSynapses(MemristorUpdateParams(n_pulses=50, nu_p=1e6, nu_d=1e6),
                                stochastic=False)
    g, _ = lin.apply(lin.init(np.full(3, 0.4)), np.array([0.1, -0.2, 0.04]),
                     np.random.default_rng(0))
    np.testing.assert_allclose(lin.weights(g), [0.5, 0.2, 0.44], atol=1e-4)


def test_bistable_drift_converges_to_the_two_states():
    circ = BistableParams()  # Indiveri 2006: 1 pF, 5 pA, θ_w 0.9 V
    win = oc.bistable_window(circ)
    assert win.drift == pytest.approx(circ.i_bist / circ.c_w, rel=1e-12)
    bis = oc.BistableSynapses(win)
    v0 = np.random.default_rng(3).uniform(win.w_min, win.w_max, 200)
    v0 = v0[np.abs(v0 - win.theta_w) > 1e-3]
    t_rail = (win.w_max - win.w_min) / win.drift
    v = bis.relax(v0, 1.01 * t_rail)
    assert set(np.unique(v)) <= {win.w_min, win.w_max}
    np.testing.assert_array_equal(v == win.w_max, v0 > win.theta_w)
    w = bis.weights(v)
    assert set(np.unique(w)) == {0.0, 1.0}
    # the time to the upper rail from just above θ_w is the circuit's drift-time estimate
    t_up = drift_time_estimate(circ)
    just_above = np.array([win.theta_w + 1e-6])
    assert bis.relax(just_above, 0.98 * t_up)[0] < win.w_max
    assert bis.relax(just_above, 1.0 * t_up)[0] == pytest.approx(win.w_max, abs=1e-5)


def test_load_device_params(tmp_path):
    f = tmp_path / "dev.json"
    f.write_text(json.dumps({"model": {"type": "memristor-update", "params": {
        "g_min": {"value": 2e-6, "unit": "S"}, "g_max": {"value": 5e-5, "unit": "S"},
        "n_pulses": {"value": 64.0}, "nu_p": {"value": 20.0}, "nu_d": {"value": 8.0},
        "sigma_c2c": {"value": 0.1}}}}))
    p = oc.load_device_params(f)
    assert p == MemristorUpdateParams(g_min=2e-6, g_max=5e-5, n_pulses=64, nu_p=20.0,
                                      nu_d=8.0, sigma_c2c=0.1)
    w = tmp_path / "win.json"
    w.write_text(json.dumps({"model": {"type": "stdp-window", "params": {
        "a_plus": {"value": 0.02}, "w_min": {"value": 0.1}, "w_max": {"value": 1.7},
        "theta_w": {"value": 0.9}, "drift": {"value": 5.0}}}}))
    assert oc.load_device_params(w, STDPWindowParams).drift == 5.0
    with pytest.raises(DataError, match="do not build"):
        oc.load_device_params(w, MemristorUpdateParams)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataError, match="not a calibrated"):
        oc.load_device_params(tmp_path / "bad.json")


def test_config_validation():
    with pytest.raises(ParameterError, match="T"):
        oc.LearnerConfig(T=0)
    with pytest.raises(ParameterError, match="max_pulses"):
        oc.MemristiveSynapses(max_pulses=0)


@pytest.fixture(scope="module")
def digits():
    x, y = datasets.load("digits", split="train", limit=500, flatten=True)
    xt, yt = datasets.load("digits", split="test", limit=300, flatten=True)
    return x, y, xt, yt


@pytest.mark.parametrize("syn", [
    oc.IdealSynapses(),
    oc.MemristiveSynapses(MemristorUpdateParams(nu_p=30.0, nu_d=10.0, sigma_c2c=0.3)),
    oc.BistableSynapses(oc.bistable_window(BistableParams(i_bist=0.1e-12))),
], ids=["ideal", "memristive", "bistable"])
def test_short_learning_run_beats_chance(digits, syn):
    x, y, xt, yt = digits
    cfg = oc.LearnerConfig(T=25)
    w_init = syn.weights(syn.init(np.full((10, 64), cfg.w_init)))
    before = oc.evaluate(w_init, xt, yt, cfg, rng=5)
    state, info = oc.train_supervised(x, y, syn, cfg, rng=0)
    acc = oc.evaluate(syn.weights(state), xt, yt, cfg, rng=5)
    assert before < 0.2  # untrained: chance level
    assert acc > 0.5, acc
    assert info["updates"] == -(-len(y) // cfg.batch)
    if isinstance(syn, oc.MemristiveSynapses):
        assert info["pulses"].potentiation > 0 and info["pulses"].depression > 0
    else:
        assert info["pulses"].total == 0
    # same seed, same result
    state2, _ = oc.train_supervised(x, y, syn, cfg, rng=0)
    np.testing.assert_array_equal(state, state2)


def test_pair_stdp_rule_runs_through_the_learner(digits):
    """Any rule module with update(w, traces, pre, post, params, dt) plugs in."""
    x, y, _, _ = digits
    syn = oc.MemristiveSynapses(stochastic=False)
    p = stdp.STDPParams(a_plus=0.01, a_minus=0.012)
    state, info = oc.train_supervised(x[:40], y[:40], syn, oc.LearnerConfig(T=10), rule=stdp,
                                      rule_params=p, rng=0)
    assert info["intended_abs"] > 0
    assert np.all((state >= syn.device.g_min) & (state <= syn.device.g_max))
