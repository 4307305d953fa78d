"""Compound binary synapses in the Diehl & Cook network (issue 8): M stochastic 1-bit devices per
connection, each switched by the stochastic binary rule, the weight their on-fraction."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from _dc_images import w3_images

from neurocircuit.errors import ParameterError
from neurocircuit.snn import diehl_cook as dc
from neurocircuit.snn.learning import stochastic_binary as sb


def _bench():
    path = Path(__file__).resolve().parents[1] / "bench/stochastic_binary.py"
    spec = importlib.util.spec_from_file_location("sb_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_compound_init_draws_each_device_like_a_one_device_network():
    p = dc.DCParams(n_exc=6)
    one = dc.init_binary_network(p, np.random.default_rng(4), n_on=60)
    net = dc.init_binary_network(p, np.random.default_rng(4), n_on=60, n_devices=3)
    assert one.devices is None and net.devices.shape == (6, 784, 3)
    assert net.devices.dtype == bool
    assert np.all(net.devices.sum(axis=1) == 60)             # n_on in every device layer
    np.testing.assert_array_equal(net.devices[..., 0], one.w > 0)
    frac = net.devices.mean(axis=-1)
    np.testing.assert_allclose(net.w, frac * 78.0 / frac.sum(axis=1, keepdims=True), rtol=1e-12)
    assert max(len(np.unique(r)) for r in net.w) <= 4          # M + 1 levels
    free = dc.init_binary_network(p, np.random.default_rng(4), p_on=0.2, n_devices=2)
    np.testing.assert_array_equal(
        free.devices[..., 0], dc.init_binary_network(p, np.random.default_rng(4)).w > 0)


def test_compound_training_keeps_counts_and_weight_is_the_on_fraction():
    p = dc.DCParams(n_exc=10)
    rng = np.random.default_rng(2)
    net = dc.init_binary_network(p, rng, n_on=60, n_devices=3)
    d0 = net.devices.copy()
    bp = sb.StochasticBinaryParams(p_pot=0.5, p_dep=0.0, p_anti=0.0, n_on=60, tau_burst=0.04)
    out = dc.train(net, w3_images(3), rng, binary=bp)
    assert out.sum() > 0
    assert np.all(net.devices.sum(axis=1) == 60)
    changed = (net.devices != d0).sum(axis=(0, 1))
    assert np.all(changed > 0)                                 # every device layer learnt
    # independent draws: the devices of one connection do not move together
    assert not np.array_equal(net.devices[..., 0] ^ d0[..., 0], net.devices[..., 1] ^ d0[..., 1])
    np.testing.assert_allclose(net.w, dc.normalize(net.devices.mean(axis=-1), 78.0), rtol=1e-12)


def test_compound_deterministic_limits():
    """p_pot = 1, no depression, free count: devices only switch on, only where the input spiked,
    and at a neuron's spike every device of an in-window input is on; p_dep = 1 alone (the
    pre-spike rule): devices only switch off, only where the input spiked; all zero: nothing
    moves."""
    p = dc.DCParams(n_exc=20)
    spikes = dc.poisson_input(w3_images(2), p, np.random.default_rng(5))
    spiked = spikes.any(axis=0).any(axis=0)
    for bp, grows in ((sb.StochasticBinaryParams(p_pot=1.0, p_dep=0.0, p_anti=0.0), True),
                      (sb.StochasticBinaryParams(p_pot=0.0, p_dep=1.0, p_anti=0.0), False),
                      (sb.StochasticBinaryParams(p_pot=0.0, p_dep=0.0, p_anti=0.0), None)):
        rng = np.random.default_rng(1)
        net = dc.init_binary_network(p, rng, p_on=0.2, n_devices=2)
        d0 = net.devices.copy()
        total = sum(dc.present(net, spikes[:, s], learn=True, binary=bp, rng=rng).sum()
                    for s in range(2))
        assert total > 0
        if grows:
            assert np.all(net.devices >= d0) and net.devices.sum() > d0.sum()
            assert not np.any((net.devices & ~d0)[:, ~spiked])
            changed = (net.devices != d0).any(axis=(1, 2))   # per neuron
            new = net.devices & ~d0
            np.testing.assert_array_equal(new[..., 0].any(axis=1), changed)
            # both devices of a connection that was switched on in either are on now
            both = new.any(axis=-1)
            assert np.all(net.devices[both].all(axis=-1))
        elif grows is False:
            assert np.all(net.devices <= d0) and net.devices.sum() < d0.sum()
            assert not np.any((d0 & ~net.devices)[:, ~spiked])
            # the level g_i is set at the start of a sample: w ∝ on-fraction within each row
            np.testing.assert_allclose(dc.normalize(net.w, 78.0),
                                       dc.normalize(net.devices.mean(axis=-1), 78.0), rtol=1e-12)
        else:
            np.testing.assert_array_equal(net.devices, d0)


def test_device_mean_follows_the_counterpart():
    """The counterpart is the limit of many devices: the on-fraction of M devices after one post
    spike has the expectation expected_at_post(b) (five standard errors, M = 4000)."""
    rule = sb.StochasticBinaryParams(p_pot=0.3, p_anti=0.2, p_dep=0.0)
    rng = np.random.default_rng(11)
    b = rng.uniform(0, 1, 30)
    d_pre = np.where(np.arange(30) % 2 == 0, 0.01, 0.5)[:, None]
    m = 4000
    on = rng.random((30, m)) < b[:, None]
    after = sb.switch_at_post(on, d_pre, rule, rng).mean(axis=1)
    want = sb.expected_at_post(b[:, None], d_pre, rule)[:, 0]
    assert np.all(np.abs(after - want) < 5 * np.sqrt(0.25 / m))


def test_compound_errors_name_the_parameter():
    p = dc.DCParams(n_exc=3)
    for bad in (0, 1.5, -2):
        with pytest.raises(ParameterError, match="n_devices"):
            dc.init_binary_network(p, np.random.default_rng(0), n_devices=bad)
    net = dc.init_binary_network(p, np.random.default_rng(0), n_on=40, n_devices=2)
    bp = sb.StochasticBinaryParams(p_pot=0.1, p_dep=0.0, p_anti=0.0, n_on=40)
    with pytest.raises(ParameterError, match="devices per connection"):
        dc.present(net, np.zeros((p.n_present, 784), bool), binary=bp, expected=True)


def test_bench_compound_bernoulli_copy_and_row():
    mod = _bench()
    p = dc.DCParams(n_exc=3)
    b = np.random.default_rng(3).uniform(0.0, 1.0, (3, 784)) * (np.arange(784) < 200)
    net = dc.DCNetwork(p, b * (78.0 / b.sum(axis=1, keepdims=True)), np.zeros(3))
    net.history["b_sum"] = b.sum(axis=1)
    np.testing.assert_array_equal(mod.bernoulli_copy(net, 5, n_devices=1).w,
                                  mod.bernoulli_copy(net, 5).w)
    draws = [mod.bernoulli_copy(net, s, n_devices=4) for s in range(400)]
    fracs = []
    for d in draws:
        np.testing.assert_allclose(d.w.sum(axis=1), 78.0, rtol=1e-12)
        unit = np.array([r[r > 0].min() for r in d.w])[:, None]   # one device of four on
        k = d.w / unit
        np.testing.assert_allclose(k, np.rint(k), atol=1e-9)       # 0..4 devices on
        assert k.max() <= 4 and len(np.unique(np.rint(k))) <= 5
        fracs.append(np.rint(k) / 4)
    frac = np.mean(fracs, axis=0)                 # the on-fraction is an unbiased draw of b
    assert np.abs(frac - b).max() < 5 * np.sqrt(0.25 / (4 * 400))
    assert not frac[:, 200:].any()
    # run_arm: the binary arm with two devices reports them and three levels per neuron
    x = w3_images(4).reshape(4, 784)
    y = np.arange(4) % 2
    bp = sb.StochasticBinaryParams(p_pot=0.5, p_dep=0.0, p_anti=0.0, n_on=20)
    row = mod.run_arm("binary", x[:2], [2], (x[2:3], y[2:3]), (x[3:], y[3:]), None, 4, 0, bp,
                      0.2, n_devices=2)[-1]
    assert row["n_devices"] == 2 and row["distinct_levels_per_neuron"] == 3
