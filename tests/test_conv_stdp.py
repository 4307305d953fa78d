"""Convolutional STDP layer: latency code, bounded weights, closed-form pair update, WTA."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn import conv_stdp as cs


def _images(n, seed=0, size=10):
    rng = np.random.default_rng(seed)
    return rng.random((n, size, size)) * (rng.random((n, size, size)) < 0.4)


def test_latency_code_orders_by_intensity():
    p = cs.ConvSTDPParams(n_steps=10, min_input=0.1)
    x = np.array([1.0, 0.75, 0.5, 0.11, 0.05, 0.0])
    t = cs.latency_encode(x, p)
    assert list(t[:4]) == [0, 2, 5, 8]
    assert t[4] == cs.NEVER and t[5] == cs.NEVER


def test_on_off_channels_are_normalised_and_disjoint():
    p = cs.ConvSTDPParams()
    c = cs.on_off(_images(3, size=12), p)
    assert c.shape == (3, 2, 12, 12)
    assert c.min() >= 0 and np.allclose(c.reshape(3, -1).max(axis=1), 1.0)
    assert not np.any((c[:, 0] > 0) & (c[:, 1] > 0))


def test_single_pair_closed_form():
    """One input spike before (or at) the post spike: Δw = a+ w(1−w); after / none: −a− w(1−w)."""
    w = np.array([0.3, 0.6, 0.9, 0.5])
    t_pre = np.array([2, 5, 6, cs.NEVER])
    new = cs.stdp_update(w, t_pre, 5, a_plus=0.1, a_minus=0.05)
    expect = w + np.array([0.1, 0.1, -0.05, -0.05]) * w * (1 - w)
    assert np.allclose(new, expect, rtol=1e-14, atol=0)


def test_fire_time_is_first_threshold_crossing():
    p = cs.ConvSTDPParams(n_maps=1, kernel=2, n_steps=6, threshold=1.5)
    layer = cs.ConvSTDPLayer(p, np.full((1, 1, 2, 2), 0.5), np.array([1.5]))
    t_in = np.array([[[[0, 3], [4, cs.NEVER]]]], dtype=np.int32)
    t_post, v_post = cs.fire_times(layer, t_in)
    # potentials 0.5 (t<3), 1.0 (t=3), 1.5 (t=4): fires at step 4 with V = 1.5
    assert t_post[0, 0, 0, 0] == 4 and v_post[0, 0, 0, 0] == pytest.approx(1.5, abs=1e-12)


def test_weights_stay_bounded_and_learning_changes_them():
    p = cs.ConvSTDPParams(n_maps=4, kernel=3, threshold=3.0, a_plus=0.5, a_minus=0.5,
                          dog_sigmas=(0.5, 1.0), theta_plus=0.5)
    rng = np.random.default_rng(1)
    layer = cs.init_layer(p, 2, rng)
    w0 = layer.w.copy()
    t_in = cs.latency_encode(cs.on_off(_images(40, seed=2), p), p)
    stats = cs.train(layer, t_in)
    assert layer.w.min() >= 0.0 and layer.w.max() <= 1.0
    assert stats["wins"].sum() > 0
    assert not np.allclose(layer.w, w0)
    # large rates drive the soft-bounded weights towards 0 or 1
    assert np.mean((layer.w < 0.1) | (layer.w > 0.9)) > np.mean((w0 < 0.1) | (w0 > 0.9))


def test_winner_take_all_one_per_map_and_lateral_inhibition():
    rng = np.random.default_rng(3)
    n_maps, h, w, r = 5, 9, 9, 2
    t_post = rng.integers(0, 4, (n_maps, h, w)).astype(np.int32)
    t_post[rng.random(t_post.shape) < 0.3] = cs.NEVER
    v_post = rng.random((n_maps, h, w))
    win = cs.select_winners(t_post, v_post, r, d=4)
    maps = [f for f, _, _ in win]
    assert len(maps) == len(set(maps))  # one winner per feature map
    for i, (_, r1, c1) in enumerate(win):
        for _, r2, c2 in win[i + 1 :]:
            assert max(abs(r1 - r2), abs(c1 - c2)) > r  # no two winners close together
    # the first winner is the earliest spike (ties: the larger potential)
    f, rr, cc = win[0]
    fired = t_post != cs.NEVER
    assert t_post[f, rr, cc] == t_post[fired].min()
    same = fired & (t_post == t_post[f, rr, cc])
    assert v_post[f, rr, cc] == v_post[same].max()


def test_features_pointwise_inhibition_and_counts():
    p = cs.ConvSTDPParams(n_maps=6, kernel=3, threshold=2.0, dog_sigmas=(0.5, 1.0))
    layer = cs.init_layer(p, 2, np.random.default_rng(0))
    t_in = cs.latency_encode(cs.on_off(_images(7, seed=4), p), p)
    f = cs.features(layer, t_in, pool=2, batch=3)
    assert f.shape == (7, 6 * 4)
    t_post, _ = cs.fire_times(layer, t_in)
    positions_firing = (t_post != cs.NEVER).any(axis=1).sum(axis=(1, 2))
    assert np.array_equal(f.sum(axis=1), positions_firing)  # exactly one spike per active site


def test_ridge_readout_separates_linear_classes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    model = cs.fit_ridge(x, y, alpha=1e-3)
    assert (cs.predict_ridge(model, x) == y).mean() > 0.95


def test_params_validated():
    with pytest.raises(ParameterError, match="a_plus"):
        cs.ConvSTDPParams(a_plus=2.0)
    with pytest.raises(ParameterError, match="dog_sigmas"):
        cs.ConvSTDPParams(dog_sigmas=(2.0, 1.0))


@pytest.mark.slow
def test_stdp_features_beat_random_kernels_on_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x, y = d.images / 16.0, d.target
    p = cs.ConvSTDPParams(n_maps=16, kernel=3, threshold=4.0, dog_sigmas=(0.5, 1.0),
                          inhibition_radius=1, a_plus=0.02, a_minus=0.015, theta_plus=0.5)
    rng = np.random.default_rng(0)
    t_all = cs.latency_encode(cs.on_off(x, p), p)
    layer = cs.init_layer(p, 2, rng)
    rand = cs.ConvSTDPLayer(p, layer.w.copy(), layer.theta.copy())
    cs.train(layer, t_all[:600])
    layer.theta[:] = p.threshold
    accs = []
    for lay in (layer, rand):
        model = cs.fit_ridge(cs.features(lay, t_all[:1000], 2), y[:1000], 10.0)
        accs.append((cs.predict_ridge(model, cs.features(lay, t_all[1000:], 2)) == y[1000:]).mean())
    assert accs[0] > 0.8 and accs[0] > accs[1] + 0.05, accs
