"""Hardware-aware training: with no noise it is plain BPTT exactly; the perturbation is the chip
model, reproducible from its seed, with a straight-through gradient; on digits under strong
variation it beats plain training on sampled chips."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.evaluate import hwaware as hw
from neurocircuit.hardware.chip import NeuronVariation
from neurocircuit.hardware.mapping import CrossbarSpec, quantize_uniform
from neurocircuit.snn import datasets
from neurocircuit.snn.bptt import fit, loss_and_grad
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.optim import Adam, params_of
from neurocircuit.snn.spiking import LIF, Readout

NOISY = hw.HardwareNoise(CrossbarSpec(levels=16, g_c2c=0.05, g_d2d=0.1),
                         NeuronVariation(gain_sigma=0.3, beta_sigma=0.05))


def _net(h=24, out="lif"):
    last = LIF(0.9, 1.0) if out == "lif" else Readout(1.0)
    return Sequential([Dense(64, h, rng=0), LIF(0.9, 1.0), Dense(h, 10, rng=1), last], (64,))


@pytest.fixture(scope="module")
def batch():
    x, y = datasets.load("digits", split="train", limit=32, flatten=True)
    return x, y


def _plain_grads(net, x, y, T, loss="count"):
    out = net.forward(x, T=T, train=True).output
    lval, _, g = loss_and_grad(out, y, loss)
    return lval, net.backward(g)


@pytest.mark.parametrize("noise", [hw.HardwareNoise(),
                                   hw.HardwareNoise(CrossbarSpec(levels=0),
                                                    NeuronVariation(gain_sigma=0.0))])
@pytest.mark.parametrize("out", ["lif", "readout"])
def test_zero_noise_equals_plain_bptt_exactly(batch, noise, out):
    x, y = batch
    loss = "count" if out == "lif" else "membrane_mean"
    net = _net(out=out)
    lp, gp = _plain_grads(net, x, y, 6, loss)
    lh, _, gh = hw.hw_loss_and_grad(net, x, y, 6, noise, np.random.default_rng(0), loss)
    assert lh == lp
    for a, b in zip(gp, gh, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            assert np.array_equal(a[k], b[k]), k


def test_zero_noise_on_instance_axis_sums_to_plain_gradient(batch):
    x, y = batch
    net = _net()
    lp, gp = _plain_grads(net, x, y, 6)
    lh, _, gh = hw.hw_loss_and_grad(net, x, y, 6, hw.HardwareNoise(chips_per_batch=4),
                                    np.random.default_rng(0))
    assert np.isclose(lh, lp, rtol=1e-6)
    for a, b in zip(gp, gh, strict=True):
        for k in a:
            assert b[k].shape == a[k].shape
            np.testing.assert_allclose(b[k], a[k], rtol=1e-4, atol=1e-6)


def test_ideal_training_equals_plain_fit():
    x, y = datasets.load("digits", split="train", limit=200, flatten=True)
    a, b = _net(), _net()
    fit(a, Adam(params_of(a), lr=2e-3), x, y, T=5, epochs=2, batch_size=32, rng=3)
    hw.train_hardware_aware(b, Adam(params_of(b), lr=2e-3), x, y, T=5, epochs=2,
                            batch_size=32, rng=3, noise=hw.HardwareNoise())
    for k, v in a.state_dict().items():
        assert np.array_equal(v, b.state_dict()[k]), k


def test_perturbation_reproducible_and_fresh(batch):
    net = _net()
    s1 = hw.sample_network(net, NOISY, np.random.default_rng(5))
    s2 = hw.sample_network(net, NOISY, np.random.default_rng(5))
    s3 = hw.sample_network(net, NOISY, np.random.default_rng(6))
    for i in (0, 2):
        w1, w2, w3 = (s.nodes[i].params["W"] for s in (s1, s2, s3))
        assert np.array_equal(w1, w2) and not np.array_equal(w1, w3)
        assert not np.array_equal(w1, net.nodes[i].params["W"])
    for i in (1, 3):
        v1, v2, v3 = (s.nodes[i].value("v_th") for s in (s1, s2, s3))
        assert v1.shape == (net.shapes[i][0],)
        assert np.array_equal(v1, v2) and not np.array_equal(v1, v3)
    x, y = batch
    r1 = hw.hw_loss_and_grad(net, x, y, 6, NOISY, np.random.default_rng(9))
    r2 = hw.hw_loss_and_grad(net, x, y, 6, NOISY, np.random.default_rng(9))
    assert r1[0] == r2[0]
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(r1[2], r2[2]) for k in a)
    # the nominal weights were not touched by sampling
    assert np.array_equal(net.nodes[0].params["W"], _net().nodes[0].params["W"])


def test_neuron_thresholds_follow_gain_draw():
    net = _net(h=7)
    noise = hw.HardwareNoise(neuron=NeuronVariation(gain_sigma=0.4), chips_per_batch=3)
    sh = hw.sample_network(net, noise, np.random.default_rng(1))
    rng = np.random.default_rng(1)
    g1 = np.exp(0.4 * rng.standard_normal((3, 1, 7)))
    g3 = np.exp(0.4 * rng.standard_normal((3, 1, 10)))
    np.testing.assert_allclose(sh.nodes[1].value("v_th"), 1.0 / g1, rtol=1e-6)
    np.testing.assert_allclose(sh.nodes[3].value("v_th"), 1.0 / g3, rtol=1e-6)
    assert sh.nodes[0] is net.nodes[0] or sh.nodes[0].params["W"].shape == (3, 7, 64)


def test_weight_noise_statistics_match_implied_sigma():
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (20, 30)).astype(np.float32)
    spec = CrossbarSpec(levels=0, g_c2c=0.01, g_d2d=0.1)  # c2c σ = g_min/4: no clipping
    we = hw.perturb_weight(w, spec, np.random.default_rng(1), n=2000).astype(np.float64)
    sm, sa = hw.implied_sigma(spec, float(np.abs(w).max()))
    expect = np.sqrt(sa**2 + (sm * w.astype(np.float64)) ** 2)
    np.testing.assert_allclose(we.mean(axis=0), w, atol=5 * expect.max() / np.sqrt(2000))
    np.testing.assert_allclose(we.std(axis=0), expect, rtol=0.1)


def test_quantisation_is_straight_through(batch):
    """Levels only (deterministic): forward on Q(W), gradient = plain gradient at Q(W)."""
    x, y = batch
    spec = CrossbarSpec(levels=5, g_min=0.0)
    net = _net()
    lh, _, gh = hw.hw_loss_and_grad(net, x, y, 6, hw.HardwareNoise(spec),
                                    np.random.default_rng(0))
    q = _net()
    for i in (0, 2):
        w = net.nodes[i].params["W"].astype(np.float64)
        m = np.abs(w).max()
        wq = np.sign(w) * quantize_uniform(np.abs(w), 0.0, m, 5)
        assert len(np.unique(np.abs(wq))) <= 5
        q.nodes[i].params["W"][...] = wq
    lq, gq = _plain_grads(q, x, y, 6)
    assert np.isclose(lh, lq, rtol=1e-6)
    for a, b in zip(gq, gh, strict=True):
        for k in a:
            np.testing.assert_allclose(b[k], a[k], rtol=1e-4, atol=1e-5)


def test_errors(batch):
    x, y = batch
    with pytest.raises(ParameterError, match="multiple of chips_per_batch"):
        hw.hw_loss_and_grad(_net(), x[:30], y[:30], 4, hw.HardwareNoise(chips_per_batch=4),
                            np.random.default_rng(0))
    net = Sequential([Dense(64, 10, rng=0), LIF(0.9, 1.0, train_th=True)], (64,))
    with pytest.raises(ParameterError, match="fixed LIF"):
        hw.sample_network(net, NOISY, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="chips_per_batch"):
        hw.HardwareNoise(chips_per_batch=0)


@pytest.mark.slow
def test_hardware_aware_beats_plain_on_digits(tmp_path):
    t0 = time.perf_counter()
    xtr, ytr = datasets.load("digits", split="train", flatten=True)
    xte, yte = datasets.load("digits", split="test", flatten=True)
    res = hw.compare(lambda: _net(h=64), (xtr, ytr, xte, yte), T=8, epochs=15,
                     spec=CrossbarSpec(levels=8, g_c2c=0.15),
                     neuron=NeuronVariation(gain_sigma=0.45), n_chips=16, seed=0)
    row = res["selected"]
    assert row["plain_loss_points"] >= 2.0, row
    assert row["hwaware"]["mean"] > row["plain"]["mean"] + 0.01, row
    assert len(row["plain"]["acc"]) == 16
    png = hw.plot_histograms(res, tmp_path / "hist.png")
    assert png.stat().st_size > 1000
    assert time.perf_counter() - t0 < 60


def test_scale_noise_scales_every_sigma():
    sp, nv = hw.scale_noise(CrossbarSpec(levels=8, g_c2c=0.1, g_d2d=0.2, adc_bits=6),
                            NeuronVariation(gain_sigma=0.3, beta_sigma=0.1), 2.0)
    assert (sp.g_c2c, sp.g_d2d, sp.levels, sp.adc_bits) == (0.2, 0.4, 8, 6)
    assert (nv.gain_sigma, nv.beta_sigma) == (0.6, 0.2)
    assert hw.scale_noise(None, None, 3.0) == (None, None)
    with pytest.raises(ParameterError):
        hw.scale_noise(None, None, -1.0)


CALIBRATED = str(Path(__file__).resolve().parents[1] / "models" / "calibrated" / "dpi-neuron.json")


def test_calibrated_variation_scales_and_counts_as_noise():
    from neurocircuit.hardware.chip import CalibratedVariation

    cv = CalibratedVariation(CALIBRATED)
    sp, nv = hw.scale_noise(None, cv, 2.5)
    assert sp is None and nv == CalibratedVariation(CALIBRATED, scale=2.5)
    assert not hw.HardwareNoise(neuron=cv).neurons_ideal
    with pytest.raises(ParameterError, match="neither"):
        hw.scale_noise(None, lambda shape, rng: {"gain": np.ones(shape)}, 2.0)


def test_pooled_sampler_resamples_its_pool():
    calls = []

    def sampler(shape, rng):
        calls.append(shape)
        return {"gain": rng.lognormal(0.0, 0.3, shape)}

    ps = hw.PooledSampler(sampler, pool=500, seed=3)
    assert calls == [(500,)]
    pool = sampler((500,), np.random.default_rng(3))["gain"]
    d1 = ps((4, 1, 7), np.random.default_rng(0))["gain"]
    d2 = ps((4, 1, 7), np.random.default_rng(0))["gain"]
    assert d1.shape == (4, 1, 7) and np.array_equal(d1, d2)
    assert np.isin(d1, pool).all()
    assert len(calls) == 2  # the pool is drawn once; calls do not re-run the sampler
    big = ps((20000,), np.random.default_rng(1))["gain"]
    assert np.log(big).std() == pytest.approx(np.log(pool).std(), rel=0.05)
    with pytest.raises(ParameterError, match="pool"):
        hw.PooledSampler(sampler, pool=0)


def test_generic_sampler_in_training_and_silent_neurons(batch):
    """A sampler without σ fields is used as is; a gain of 0 gives a finite threshold."""
    x, y = batch
    net = _net(h=7)

    def sampler(shape, rng):
        g = np.ones(shape)
        g[..., 0] = 0.0  # the first neuron of each layer is silent
        return {"gain": g}

    sh = hw.sample_network(net, hw.HardwareNoise(neuron=sampler), np.random.default_rng(0))
    v = sh.nodes[1].value("v_th")
    assert np.isfinite(v).all() and v[0] == pytest.approx(1e3) and v[1] == 1.0
    lval, _, grads = hw.hw_loss_and_grad(net, x, y, 4, hw.HardwareNoise(neuron=sampler),
                                         np.random.default_rng(0))
    assert np.isfinite(lval) and all(np.isfinite(g[k]).all() for g in grads for k in g)


def test_compare_streams_levels_with_calibrated_neurons():
    from neurocircuit.hardware.chip import CalibratedVariation

    xtr, ytr = datasets.load("digits", split="train", limit=256, flatten=True)
    xte, yte = datasets.load("digits", split="test", limit=64, flatten=True)
    cv = CalibratedVariation(CALIBRATED)
    seen = []
    res = hw.compare(lambda: _net(h=16), (xtr, ytr, xte, yte), T=4, epochs=1,
                     spec=CrossbarSpec(levels=8, g_c2c=0.05), neuron=cv, n_chips=3,
                     scales=(1.0, 2.0),
                     train_noise=hw.HardwareNoise(CrossbarSpec(levels=8, g_c2c=0.05),
                                                  hw.PooledSampler(cv, 1000)),
                     on_level=lambda row, part: seen.append((row["scale"], len(part["levels"]))))
    assert seen == [(1.0, 1), (2.0, 2)]
    assert [r["scale"] for r in res["levels"]] == [1.0, 2.0]
    assert all(len(r["plain"]["acc"]) == 3 for r in res["levels"])
