"""Stochastic binary STDP options (issue 8): burst gate, silent-input depression, fixed on-count
exchange, and their use in the Diehl & Cook network."""

from __future__ import annotations

import numpy as np
import pytest
from _dc_images import w3_images

from neurocircuit.errors import ParameterError
from neurocircuit.snn import diehl_cook as dc
from neurocircuit.snn.learning import stochastic_binary as sb


def _sem(p, n):
    return 4 * np.sqrt(p * (1 - p) / n)


def test_burst_gate_scales_both_probabilities():
    tau = 40e-3
    p = sb.StochasticBinaryParams(p_pot=1.0, p_dep=0.0, p_anti=1.0, tau_burst=tau)
    rng = np.random.default_rng(0)
    n = 20000
    d_post = 30e-3
    expect = np.exp(-d_post / tau)
    on = sb.switch_at_post(np.zeros(n, bool), np.zeros(n), p, rng, d_post=d_post)
    assert abs(on.mean() - expect) < _sem(expect, n)
    off = ~sb.switch_at_post(np.ones(n, bool), np.full(n, 1.0), p, rng, d_post=d_post)
    assert abs(off.mean() - expect) < _sem(expect, n)
    # a neuron's first spike (no previous one) switches nothing
    assert not sb.switch_at_post(np.zeros(n, bool), np.zeros(n), p, rng, d_post=np.inf).any()
    assert sb.switch_at_post(np.ones(n, bool), np.ones(n), p, rng).all()  # d_post default: inf
    # no gate: the ungated probabilities whatever d_post
    q = sb.StochasticBinaryParams(p_pot=1.0, p_anti=0.0)
    assert sb.switch_at_post(np.zeros(8, bool), np.zeros(8), q, rng, d_post=np.inf).all()


def test_anti_silent_depresses_never_spiked_inputs():
    p = sb.StochasticBinaryParams(p_pot=1.0, p_dep=0.0, p_anti=1.0, anti_silent=True)
    d = np.array([0.0, 2 * p.t_pot, np.inf])
    assert list(sb.switch_at_post(np.ones(3, bool), d, p, np.random.default_rng(0))) == [
        True, False, False]


def test_exchange_keeps_the_on_count():
    rng = np.random.default_rng(1)
    p = sb.StochasticBinaryParams(p_pot=0.5, p_dep=0.0, p_anti=0.0, n_on=30)
    n_pre, k = 200, 6
    on = np.zeros((n_pre, k), bool)
    for c in range(k):
        on[rng.choice(n_pre, 30, replace=False), c] = True
    d_pre = np.where(rng.random((n_pre, 1)) < 0.3, 5e-3, 1.0)  # 30 % of inputs recent
    new = sb.switch_at_post(on, d_pre, p, rng)
    assert np.array_equal(new.sum(axis=0), on.sum(axis=0))
    recent = d_pre[:, 0] <= p.t_pot
    assert not np.any((new & ~on)[~recent])  # switched on: recent inputs only
    assert not np.any((on & ~new)[recent])  # switched off: older inputs only
    assert np.any(new != on)
    # fewer older on-synapses than potentiations: only that many are exchanged
    on1 = np.zeros((n_pre, 1), bool)
    on1[np.flatnonzero(recent)[:28], 0] = True
    on1[np.flatnonzero(~recent)[:2], 0] = True
    q = sb.StochasticBinaryParams(p_pot=1.0, p_dep=0.0, p_anti=0.0, n_on=30)
    new1 = sb.switch_at_post(on1, d_pre, q, rng)
    assert new1.sum() == 30 and not np.any(new1[~recent, 0])


def test_exchange_needs_no_other_depression():
    with pytest.raises(ParameterError, match="n_on"):
        sb.StochasticBinaryParams(n_on=10, p_dep=0.01, p_anti=0.0)
    with pytest.raises(ParameterError, match="n_on"):
        sb.StochasticBinaryParams(n_on=-1)


def test_update_burst_gate_first_spike_learns_nothing():
    """In the clocked form, a post neuron's first spike has no previous spike: gate 0."""
    p = sb.StochasticBinaryParams(p_pot=1.0, p_dep=0.0, p_anti=0.0, tau_burst=40e-3)
    dt = 1e-3
    rng = np.random.default_rng(0)
    w, clock = np.zeros((1, 50)), sb.init_traces(1, 50, 1)
    w, clock = sb.update(w, clock, np.ones((1, 50)), np.zeros((1, 1)), p, dt, rng)
    w, clock = sb.update(w, clock, np.zeros((1, 50)), np.ones((1, 1)), p, dt, rng)
    assert not w.any()
    w, clock = sb.update(w, clock, np.ones((1, 50)), np.ones((1, 1)), p, dt, rng)
    # second spike 1 ms after the first: gate exp(-1/40) ≈ 0.975
    assert w.mean() > 0.8


def test_diehl_cook_fixed_count_network():
    """init with n_on: exactly n_on synapses per neuron; training with the exchange rule keeps
    that count and one on-level 78 / n_on, while the pattern changes."""
    p = dc.DCParams(n_exc=10)
    rng = np.random.default_rng(2)
    net = dc.init_binary_network(p, rng, n_on=60)
    on0 = net.w > 0
    assert np.all(on0.sum(axis=1) == 60)
    np.testing.assert_allclose(net.w[on0], p.norm_total / 60, rtol=1e-12, atol=0)
    bp = sb.StochasticBinaryParams(p_pot=0.5, p_dep=0.0, p_anti=0.0, n_on=60, tau_burst=0.04)
    out = dc.train(net, w3_images(3), rng, binary=bp)
    assert out.sum() > 0
    on = net.w > 0
    assert np.all(on.sum(axis=1) == 60) and not np.array_equal(on, on0)
    np.testing.assert_allclose(net.w[on], p.norm_total / 60, rtol=1e-12, atol=0)


def test_diehl_cook_binary_run_is_seeded():
    p = dc.DCParams(n_exc=8)
    bp = sb.StochasticBinaryParams(p_pot=0.3, p_dep=0.01, p_anti=0.05, tau_burst=0.04,
                                   anti_silent=True)
    ws = []
    for _ in range(2):
        rng = np.random.default_rng(9)
        net = dc.init_binary_network(p, rng)
        dc.train(net, w3_images(2), rng, binary=bp)
        ws.append(net.w)
    assert np.array_equal(ws[0], ws[1])


def test_match_gate_scales_switches_by_the_in_window_fraction_of_on_synapses():
    """match = on-synapses (or b) in the window / on-synapses; gate clip((m-lo)/(hi-lo), 0, 1)
    on both probabilities, per neuron (column); the counterparts use the b-weighted match."""
    n = 40
    on = np.zeros((n, 3), bool)
    on[:10] = True                                    # 10 on-synapses per neuron
    recent = np.zeros((n, 3), bool)
    recent[:3, 0] = True                              # m = 0.3: at lo, no learning
    recent[:6, 1] = True                              # m = 0.6: half rate
    recent[:10, 2] = True                             # m = 1.0: full rate
    recent[10:20] = True                              # off-synapses in the window
    p = sb.StochasticBinaryParams(p_pot=1.0, p_anti=0.0, p_dep=0.0, match_lo=0.3,
                                  match_hi=0.9)
    np.testing.assert_allclose(sb.match_gate(on, recent, p), [0.0, 0.5, 1.0])
    assert sb.match_gate(on, recent, sb.StochasticBinaryParams()) == 1.0
    d_pre = np.where(recent, 0.0, 1.0)
    runs = np.mean([sb.switch_at_post(on, d_pre, p, np.random.default_rng(s))
                    for s in range(2000)], axis=0)
    pot = runs[10:20].mean(axis=0)                    # 0→1 rate of in-window off-synapses
    assert pot[0] == 0.0 and pot[2] == 1.0 and abs(pot[1] - 0.5) < _sem(0.5, 20000)
    np.testing.assert_array_equal(runs[:10], 1.0)     # p_anti = 0: no depression
    # the counterparts: b-weighted match; a zero gate leaves b unchanged
    b = on.astype(float) * 0.5
    np.testing.assert_allclose(sb.match_gate(b, recent, p), [0.0, 0.5, 1.0])
    q = sb.StochasticBinaryParams(p_pot=0.5, p_anti=0.2, p_dep=0.0, match_lo=0.3, match_hi=0.9)
    e = sb.expected_at_post(b, d_pre, q)
    np.testing.assert_array_equal(e[:, 0], b[:, 0])
    ungated = sb.expected_at_post(b, d_pre, sb.StochasticBinaryParams(p_pot=0.5, p_anti=0.2,
                                                                      p_dep=0.0))
    np.testing.assert_allclose(e[:, 2], ungated[:, 2])
    np.testing.assert_allclose(e[:, 1] - b[:, 1], 0.5 * (ungated[:, 1] - b[:, 1]))
    x = sb.StochasticBinaryParams(p_pot=0.5, p_dep=0.0, p_anti=0.0, n_on=10, match_lo=0.3,
                                  match_hi=0.9)
    np.testing.assert_array_equal(sb.expected_exchange_at_post(b * 2, d_pre, x)[:, 0], b[:, 0] * 2)


def test_match_gate_bounds_are_checked():
    with pytest.raises(ParameterError, match="match_lo < match_hi"):
        sb.StochasticBinaryParams(match_lo=0.8, match_hi=0.5)
    with pytest.raises(ParameterError, match="'match_hi'.*<= 1"):
        sb.StochasticBinaryParams(match_hi=1.5)


def test_binary_synapse_is_on_with_the_counterparts_fixed_point_in_steady_state():
    """The 1-bit synapse is a two-state chain: with its input in the window at a fraction r of
    post spikes, it is on a fraction p r / (p r + q (1 - r)) of the time, the fixed point of
    the counterpart's expected update; a trained binary network is therefore a draw of its
    counterpart's masks (bench/stochastic_binary.py --bernoulli)."""
    p = sb.StochasticBinaryParams(p_pot=0.2, p_anti=0.1, p_dep=0.0)
    rng = np.random.default_rng(7)
    n, r = 4000, 0.3
    on = np.zeros((n, 1), bool)
    b = np.zeros((n, 1))
    frac = []
    for step in range(600):
        d_pre = np.where(rng.random((n, 1)) < r, 0.01, 0.5)
        on = sb.switch_at_post(on, d_pre, p, rng)
        if step >= 200:
            frac.append(on.mean())
    for _ in range(600):   # the counterpart driven by the mean event: b += p r (1-b) - q (1-r) b
        b = r * sb.expected_at_post(b, 0.01, p) + (1 - r) * sb.expected_at_post(b, 0.5, p)
    fixed = 0.2 * r / (0.2 * r + 0.1 * (1 - r))
    np.testing.assert_allclose(b, fixed, rtol=1e-9)
    assert abs(np.mean(frac) - fixed) < 0.01    # 400 steps × 4000 synapses, correlated draws
