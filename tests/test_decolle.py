"""DECOLLE: local gradients exact for the local loss; learns digits."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn.learning import decolle


@pytest.mark.parametrize("surrogate", ["fast_sigmoid", "sigmoid", "arctan"])
def test_local_gradient_matches_finite_differences(surrogate):
    """With ρ = 0 the local rule is the exact gradient of each layer's own loss."""
    p = decolle.DecolleParams(rho=0.0, surrogate=surrogate, burn_in=1)
    rng = np.random.default_rng(0)
    net = decolle.init_net([6, 5, 4], 3, rng)
    x = (rng.random((7, 3, 6)) < 0.5).astype(float)
    y = rng.integers(0, 3, 3)
    losses, grads = decolle.local_grads(net, x, y, p, smooth=True)
    eps = 1e-6
    for l_ in range(2):
        for arr, g in ((net.weights[l_], grads[l_][0]), (net.biases[l_], grads[l_][1])):
            flat, gflat = arr.reshape(-1), g.reshape(-1)
            for i in rng.choice(flat.size, size=min(5, flat.size), replace=False):
                old = flat[i]
                flat[i] = old + eps
                lp = decolle.local_grads(net, x, y, p, smooth=True)[0][l_]
                flat[i] = old - eps
                lm = decolle.local_grads(net, x, y, p, smooth=True)[0][l_]
                flat[i] = old
                num = (lp - lm) / (2 * eps)
                assert abs(num - gflat[i]) <= 1e-4 * max(abs(num), 1e-3) + 1e-10


def test_dropout_gradient_matches_finite_differences():
    """With the same dropout masks (same rng seed) the local rule is still the exact gradient."""
    p = decolle.DecolleParams(rho=0.0, burn_in=1, dropout=0.5)
    rng = np.random.default_rng(1)
    net = decolle.init_net([6, 5, 4], 3, rng)
    x = (rng.random((6, 3, 6)) < 0.5).astype(float)
    y = rng.integers(0, 3, 3)

    def lg():
        return decolle.local_grads(net, x, y, p, smooth=True, rng=np.random.default_rng(7))

    losses, grads = lg()
    no_drop = decolle.local_grads(net, x, y, p, smooth=True)[0]
    assert not np.allclose(losses, no_drop)  # the masks act
    eps = 1e-6
    for l_ in range(2):
        flat, gflat = net.weights[l_].reshape(-1), grads[l_][0].reshape(-1)
        for i in rng.choice(flat.size, size=5, replace=False):
            old = flat[i]
            flat[i] = old + eps
            lp = lg()[0][l_]
            flat[i] = old - eps
            lm = lg()[0][l_]
            flat[i] = old
            num = (lp - lm) / (2 * eps)
            assert abs(num - gflat[i]) <= 1e-4 * max(abs(num), 1e-3) + 1e-10


def test_float32_network_computes_in_float32():
    rng = np.random.default_rng(0)
    net64 = decolle.init_net([6, 5], 3, np.random.default_rng(0))
    net32 = decolle.init_net([6, 5], 3, np.random.default_rng(0), dtype=np.float32)
    assert net32.weights[0].dtype == np.float32
    x = (rng.random((8, 4, 6)) < 0.5).astype(float)
    y = rng.integers(0, 3, 4)
    ys32, l32, g32 = decolle.run(net32, x, decolle.DecolleParams(), y, want_grads=True)
    ys64, l64, _ = decolle.run(net64, x, decolle.DecolleParams(), y, want_grads=True)
    assert ys32[0].dtype == np.float32 and g32[0][0].dtype == np.float32
    assert np.allclose(l32, l64, rtol=1e-4, atol=0)


def test_readouts_fixed_and_shapes():
    rng = np.random.default_rng(0)
    net = decolle.init_net([4, 8, 6], 3, rng)
    g0 = [g.copy() for g in net.readouts]
    x = (rng.random((5, 10, 4)) < 0.5).astype(float)
    decolle.train(net, x, rng.integers(0, 3, 10), decolle.DecolleParams(), epochs=1, rng=rng)
    assert all(np.array_equal(a, b) for a, b in zip(g0, net.readouts))
    with pytest.raises(ParameterError, match=r"\(T, batch, 4\)"):
        decolle.run(net, np.zeros((3, 2, 5)), decolle.DecolleParams())


@pytest.mark.slow
def test_learns_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float64)
    y = d.target
    T = 16

    def encode(xb, rng):
        return (rng.random((T, *xb.shape)) < xb).astype(np.float64)

    rng = np.random.default_rng(0)
    net = decolle.init_net([64, 128, 64], 10, rng, readout_gain=5.0)
    p = decolle.DecolleParams(alpha=0.7, beta=0.5)
    decolle.train(net, x[:1200], y[:1200], p, epochs=4, rng=rng, lr=1e-2, encode=encode,
                  batch=16)
    acc = (decolle.predict(net, encode(x[1200:], rng), p) == y[1200:]).mean()
    assert acc > 0.85, acc  # measured 0.905
