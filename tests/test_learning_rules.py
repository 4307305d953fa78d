"""Learning rules against their closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn.learning import (
    homeostasis,
    stdp,
    stochastic_binary,
    stop_learning,
    stp,
    triplet,
    weight_decay,
    weight_dependent,
)

DT = 1e-4


def _pair(update, params, traces, w0, t_pre, t_post, t_end=0.2, **kw):
    w = np.full((1, 1), w0)
    n = int(round(t_end / DT))
    for k in range(n):
        pre = np.array([[1.0 if k == int(round(t_pre / DT)) else 0.0]])
        post = np.array([[1.0 if k == int(round(t_post / DT)) else 0.0]])
        w, traces = update(w, traces, pre, post, params, DT, **kw)
    return float(w[0, 0])


@pytest.mark.parametrize("dt_pair", [2e-3, 10e-3, 35e-3, -3e-3, -15e-3, -40e-3])
@pytest.mark.parametrize("interaction", ["all-to-all", "nearest"])
def test_pair_stdp_matches_window(dt_pair, interaction):
    p = stdp.STDPParams(a_plus=0.01, a_minus=0.012, tau_plus=17e-3, tau_minus=34e-3,
                        w_min=-1, w_max=1, interaction=interaction)
    t_pre = 0.05
    w = _pair(stdp.update, p, stdp.init_traces(1, 1, 1), 0.0, t_pre, t_pre + dt_pair)
    assert w == pytest.approx(float(stdp.window(dt_pair, p)), rel=1e-9)


def test_pair_stdp_simultaneous_is_zero_and_bounds_clip():
    p = stdp.STDPParams(a_plus=0.5, w_max=1.0)
    assert _pair(stdp.update, p, stdp.init_traces(1, 1, 1), 0.2, 0.05, 0.05) == 0.2
    w = _pair(stdp.update, p, stdp.init_traces(1, 1, 1), 0.9, 0.05, 0.051)
    assert w == 1.0


def test_all_to_all_vs_nearest_differ_for_bursts():
    """Two pre spikes then a post spike: all-to-all sums both pairings, nearest only the last."""
    p_all = stdp.STDPParams(a_plus=0.01, a_minus=0.0, w_max=10)
    p_near = stdp.STDPParams(a_plus=0.01, a_minus=0.0, w_max=10, interaction="nearest")
    res = {}
    for name, p in (("all", p_all), ("near", p_near)):
        w, tr = np.zeros((1, 1)), stdp.init_traces(1, 1, 1)
        for k in range(300):
            pre = np.array([[1.0 if k in (0, 100) else 0.0]])
            post = np.array([[1.0 if k == 200 else 0.0]])
            w, tr = stdp.update(w, tr, pre, post, p, DT)
        res[name] = w[0, 0]
    e = lambda d: 0.01 * np.exp(-d / 20e-3)  # noqa: E731
    assert res["all"] == pytest.approx(e(0.02) + e(0.01), rel=1e-9)
    assert res["near"] == pytest.approx(e(0.01), rel=1e-9)


def test_weight_dependent_offset_and_soft_bound():
    p = weight_dependent.WeightDependentParams(eta_post=0.1, eta_pre=0.0, x_tar=0.4, mu=1.0,
                                               tau_pre=20e-3)
    tr = weight_dependent.init_traces(1, 1, 1)
    close = _pair(weight_dependent.update, p, tr, 0.5, 0.05, 0.052)
    far = _pair(weight_dependent.update, p, tr, 0.5, 0.05, 0.10)
    expect_close = 0.5 + 0.1 * (np.exp(-2e-3 / 20e-3) - 0.4) * (1 - 0.5)
    expect_far = 0.5 + 0.1 * (np.exp(-50e-3 / 20e-3) - 0.4) * (1 - 0.5)
    assert close == pytest.approx(expect_close, rel=1e-9) and close > 0.5
    assert far == pytest.approx(expect_far, rel=1e-9) and far < 0.5


def test_triplet_reduces_to_pair_and_triplet_term():
    p = triplet.TripletParams(a2_plus=0.01, a3_plus=0.0, a2_minus=0.0, a3_minus=0.0)
    w = _pair(triplet.update, p, triplet.init_traces(1, 1, 1), 0.0, 0.05, 0.06)
    assert w == pytest.approx(0.01 * np.exp(-0.01 / p.tau_plus), rel=1e-9)
    # post-pre-post triplet: second post sees o2 from the first post
    p3 = triplet.TripletParams(a2_plus=0.0, a3_plus=0.01, a2_minus=0.0, a3_minus=0.0)
    w, tr = np.zeros((1, 1)), triplet.init_traces(1, 1, 1)
    for k in range(1000):
        pre = np.array([[1.0 if k == 100 else 0.0]])
        post = np.array([[1.0 if k in (0, 200) else 0.0]])
        w, tr = triplet.update(w, tr, pre, post, p3, DT)
    expect = 0.01 * np.exp(-0.01 / p3.tau_plus) * np.exp(-0.02 / p3.tau_y)
    assert w[0, 0] == pytest.approx(expect, rel=1e-9)


def test_stochastic_binary_probabilities():
    rng = np.random.default_rng(0)
    p = stochastic_binary.StochasticBinaryParams(p_pot=0.3, p_dep=0.2, p_anti=0.0)
    n = 4000
    # pre then post within the window: fraction switched 0->1 ~ p_pot
    w = np.zeros((1, n))
    clock = stochastic_binary.init_traces(1, n, 1)
    pre, none_pre = np.ones((1, n)), np.zeros((1, n))
    w, clock = stochastic_binary.update(w, clock, pre, np.zeros((1, 1)), p, DT, rng)
    w, clock = stochastic_binary.update(w, clock, none_pre, np.ones((1, 1)), p, DT, rng)
    assert abs(w.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    # post then pre within the window: fraction switched 1->0 ~ p_dep
    w = np.ones((1, n))
    clock = stochastic_binary.init_traces(1, n, 1)
    w, clock = stochastic_binary.update(w, clock, none_pre, np.ones((1, 1)), p, DT, rng)
    w, clock = stochastic_binary.update(w, clock, pre, np.zeros((1, 1)), p, DT, rng)
    assert abs((1 - w.mean()) - 0.2) < 4 * np.sqrt(0.2 * 0.8 / n)
    assert set(np.unique(w)) <= {0.0, 1.0}


def test_stochastic_binary_event_form_windows():
    """Event helpers (used by the Diehl & Cook binary option): windows and probabilities."""
    p = stochastic_binary.StochasticBinaryParams(p_pot=1.0, p_dep=1.0, p_anti=1.0)
    rng = np.random.default_rng(0)
    d = np.array([0.0, p.t_pot, 1.5 * p.t_pot, np.inf])
    on = stochastic_binary.switch_at_post(np.zeros(4, bool), d, p, rng)
    assert list(on) == [True, True, False, False]  # potentiation only inside the window
    off = stochastic_binary.switch_at_post(np.ones(4, bool), d, p, rng)
    assert list(off) == [True, True, False, True]  # anti-Hebbian: older but finite only
    dd = np.array([0.5 * p.t_dep, p.t_dep, 2 * p.t_dep, np.inf])
    dep = stochastic_binary.switch_at_pre(np.ones(4, bool), dd, p, rng)
    assert list(dep) == [False, False, True, True]
    q = stochastic_binary.StochasticBinaryParams(p_anti=0.25)
    n = 8000
    kept = stochastic_binary.switch_at_post(np.ones(n, bool), np.full(n, 1.0), q, rng)
    assert abs((1 - kept.mean()) - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)


def test_stochastic_binary_seeded():
    p = stochastic_binary.StochasticBinaryParams()
    outs = []
    for _ in range(2):
        rng = np.random.default_rng(7)
        w, c = np.zeros((3, 50)), stochastic_binary.init_traces(1, 50, 3)
        for _k in range(20):
            w, c = stochastic_binary.update(w, c, (rng.random((1, 50)) < 0.3) * 1.0,
                                            (rng.random((1, 3)) < 0.3) * 1.0, p, DT, rng)
        outs.append(w)
    assert np.array_equal(outs[0], outs[1])


def test_stop_learning_bistable_drift():
    p = stop_learning.StopLearningParams(alpha=2.0, beta=2.0)
    st = stop_learning.init_state(2, 1)
    st = stop_learning.StopLearningState(np.array([[0.6, 0.4]]), st.calcium)
    z1, z2 = np.zeros((1, 2)), np.zeros((1, 1))
    for _ in range(int(0.3 / DT)):
        st = stop_learning.update(st, z1, z2, z2, p, DT)
    assert st.x[0, 0] == 1.0 and st.x[0, 1] == 0.0
    assert list(stop_learning.efficacy(st, p)[0]) == [1.0, 0.0]


def test_stop_learning_calcium_gating():
    p = stop_learning.StopLearningParams(a=0.1, b=0.1, alpha=0.0, beta=0.0)
    st = stop_learning.StopLearningState(np.full((1, 1), 0.5), np.array([[5.0]]))
    pre = np.ones((1, 1))
    up = stop_learning.update(st, pre, np.zeros((1, 1)), np.array([[1.0]]), p, 1e-9)
    assert up.x[0, 0] == pytest.approx(0.6)
    st_hi = stop_learning.StopLearningState(np.full((1, 1), 0.5), np.array([[20.0]]))
    stopped = stop_learning.update(st_hi, pre, np.zeros((1, 1)), np.array([[1.0]]), p, 1e-9)
    assert stopped.x[0, 0] == pytest.approx(0.5)  # calcium above the window: learning stops


def test_stp_depression_closed_form():
    p = stp.STPParams(u_base=0.4, tau_d=0.1)
    st = stp.init_state((1,), p)
    rate, effs = 50.0, []
    period = int(round(1 / rate / DT))
    for k in range(period * 40):
        e, st = stp.update(st, np.array([1.0 if k % period == 0 else 0.0]), p, DT)
        if k % period == 0:
            effs.append(e[0])
    x_inf = stp.steady_depression(rate, p)
    assert effs[-1] == pytest.approx(0.4 * x_inf, rel=1e-6)
    assert effs[1] / effs[0] < 1  # paired-pulse depression


def test_stp_facilitation():
    p = stp.STPParams(u_base=0.1, tau_d=1e-3, tau_f=0.5)
    st = stp.init_state((1,), p)
    effs = []
    for k in range(2000):
        e, st = stp.update(st, np.array([1.0 if k % 200 == 0 else 0.0]), p, DT)
        if k % 200 == 0:
            effs.append(e[0])
    assert effs[1] > effs[0] and effs[2] > effs[1]


def test_weight_decay_protects_significant():
    p = weight_decay.DecayParams(lambda0=1.0, s0=0.01, tau_s=10.0)
    w = np.array([0.5, 0.5])
    s = np.zeros(2)
    for _ in range(1000):
        w, s = weight_decay.update(w, s, np.array([0.0, 0.001]), p, 1e-3)
    assert w[0] == pytest.approx(0.5 * (1 - 1e-3) ** 1000, rel=1e-9)
    assert w[1] > 0.45


def test_homeostasis():
    th = homeostasis.update_threshold(np.zeros(3), np.array([[1.0, 0, 1], [1, 0, 0]]),
                                      homeostasis.ThresholdParams(theta_plus=0.1), DT)
    assert np.allclose(th, [0.2, 0.0, 0.1])
    w = homeostasis.normalize(np.random.default_rng(0).random((5, 784)), 78.0)
    assert np.allclose(w.sum(axis=1), 78.0)


def test_params_validated():
    with pytest.raises(ParameterError, match="'tau_plus'.*> 0 s"):
        stdp.STDPParams(tau_plus=-1)
    with pytest.raises(ParameterError, match="'p_pot'.*<= 1"):
        stochastic_binary.StochasticBinaryParams(p_pot=2)


def test_expected_exchange_is_the_mean_of_the_stochastic_exchange():
    p = stochastic_binary.StochasticBinaryParams(p_pot=0.2, p_dep=0.0, p_anti=0.0, n_on=30,
                                                 tau_burst=0.04)
    rng = np.random.default_rng(0)
    n = 200
    on = np.zeros((n, 1), bool)
    on[rng.choice(n, 30, replace=False)] = True
    d_pre = np.where(rng.random((n, 1)) < 0.25, 0.01, 0.5)   # a quarter in the window
    d_post = np.array([[0.02]])
    exp = stochastic_binary.expected_exchange_at_post(on.astype(float), d_pre, p, d_post)
    assert exp.sum() == pytest.approx(30.0)                    # the count is kept
    runs = np.mean([stochastic_binary.switch_at_post(on, d_pre, p, np.random.default_rng(s),
                                                     d_post) for s in range(1500)], axis=0)
    assert np.abs(runs - exp).max() < 0.04
    with pytest.raises(ParameterError):
        stochastic_binary.expected_exchange_at_post(
            on.astype(float), d_pre, stochastic_binary.StochasticBinaryParams(), d_post)


@pytest.mark.parametrize("anti_silent", [False, True])
def test_expected_free_count_is_the_mean_of_the_stochastic_switches(anti_silent):
    p = stochastic_binary.StochasticBinaryParams(p_pot=0.2, p_dep=0.0, p_anti=0.1,
                                                 tau_burst=0.04, anti_silent=anti_silent)
    rng = np.random.default_rng(1)
    n = 300
    on = rng.random((n, 2)) < 0.3
    d_pre = rng.choice([0.01, 0.5, np.inf], size=(n, 1), p=[0.3, 0.5, 0.2])
    d_post = np.array([[0.02, 0.06]])
    exp = stochastic_binary.expected_at_post(on.astype(float), d_pre, p, d_post)
    runs = np.mean([stochastic_binary.switch_at_post(on, d_pre, p, np.random.default_rng(s),
                                                     d_post) for s in range(2000)], axis=0)
    assert np.abs(runs - exp).max() < 0.04
    # closed form: in window b + p g (1 - b); older b (1 - a g); silent inputs per anti_silent
    g = np.exp(-d_post / 0.04)
    b = on.astype(float)
    rec, old = d_pre <= p.t_pot, np.isfinite(d_pre) & (d_pre > p.t_pot)
    sil = np.isinf(d_pre)
    want = np.where(rec, b + 0.2 * g * (1 - b), np.where(old | (sil & anti_silent),
                                                        b * (1 - 0.1 * g), b))
    np.testing.assert_allclose(exp, want, rtol=0, atol=1e-15)
    # with n_on it is the exchange counterpart
    q = stochastic_binary.StochasticBinaryParams(p_pot=0.2, p_dep=0.0, p_anti=0.0, n_on=30)
    b1 = np.zeros((n, 1))
    b1[:30] = 1.0
    np.testing.assert_array_equal(stochastic_binary.expected_at_post(b1, d_pre, q),
                                  stochastic_binary.expected_exchange_at_post(b1, d_pre, q))
