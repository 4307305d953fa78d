"""Synaptic layers: forward against direct formulas, backward against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from _snn_fd import fd_grad, rel_err

from neurocircuit.errors import ParameterError
from neurocircuit.snn.layers import AvgPool2d, Conv2d, Dense, Flatten, MaxPool2d
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.spiking import LIF

F64 = np.float64


def _check_layer(layer, x, tol=1e-4):
    rng = np.random.default_rng(9)
    y, cache = layer.forward(x, train=True)
    R = rng.normal(size=y.shape)
    gx, grads = layer.backward(R, cache)

    def f():
        return float(np.sum(layer.forward(x, train=True)[0] * R))

    idx, num = fd_grad(f, x)
    assert rel_err(gx.reshape(-1)[idx], num) < tol
    for k, p in layer.params.items():
        idx, num = fd_grad(f, p)
        assert rel_err(np.asarray(grads[k]).reshape(-1)[idx], num) < tol, k


def test_dense_forward_and_gradients():
    rng = np.random.default_rng(0)
    d = Dense(5, 4, rng=rng, dtype=F64)
    d.params["b"][:] = rng.normal(size=4)
    x = rng.normal(size=(3, 2, 5))
    np.testing.assert_allclose(d.forward(x)[0], x @ d.params["W"].T + d.params["b"])
    _check_layer(d, x)


def test_dense_instance_axis_equals_loop():
    rng = np.random.default_rng(1)
    N = 3
    W = rng.normal(size=(N, 4, 5))
    b = rng.normal(size=(N, 4))
    d = Dense(5, 4, weight=W, dtype=F64)
    d.params["b"][:] = b
    x = rng.normal(size=(6, 1, 2, 5))      # (T, instance-broadcast, batch, in)
    y, cache = d.forward(x, train=True)
    assert y.shape == (6, N, 2, 4)
    g = rng.normal(size=y.shape)
    gx, grads = d.backward(g, cache)
    gx_loop = np.zeros_like(x)
    for n in range(N):
        dn = Dense(5, 4, weight=W[n], dtype=F64)
        dn.params["b"][:] = b[n]
        yn, cn = dn.forward(x[:, 0], train=True)
        np.testing.assert_allclose(y[:, n], yn, rtol=1e-12)
        gxn, gn = dn.backward(g[:, n], cn)
        np.testing.assert_allclose(grads["W"][n], gn["W"], rtol=1e-10)
        np.testing.assert_allclose(grads["b"][n], gn["b"], rtol=1e-10)
        gx_loop[:, 0] += gxn
    np.testing.assert_allclose(gx, gx_loop, rtol=1e-10)
    _check_layer(d, x)


def test_network_instance_axis_equals_loop():
    rng = np.random.default_rng(2)
    N = 4
    W = rng.normal(scale=0.6, size=(N, 8, 6)).astype(np.float32)
    beta = rng.uniform(0.7, 0.95, (N, 1, 8)).astype(np.float32)
    net = Sequential([Dense(6, 8, weight=W), LIF(beta, 1.0)], (6,))
    x = (rng.random((10, 1, 5, 6)) < 0.5).astype(np.float32)
    out = net.forward(x).output
    for n in range(N):
        ref = Sequential([Dense(6, 8, weight=W[n]), LIF(beta[n], 1.0)], (6,))
        np.testing.assert_array_equal(out[:, n], ref.forward(x[:, 0]).output)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (1, 2)])
def test_conv2d_against_direct_and_fd(stride, padding):
    rng = np.random.default_rng(3)
    c = Conv2d(2, 3, 3, stride=stride, padding=padding, rng=rng, dtype=F64)
    c.params["b"][:] = rng.normal(size=3)
    x = rng.normal(size=(2, 2, 6, 5))
    y = c.forward(x)[0]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = y.shape[-2:]
    ref = np.zeros_like(y)
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride: i * stride + 3, j * stride: j * stride + 3]
            ref[:, :, i, j] = np.einsum("mcpq,ocpq->mo", patch, c.params["W"]) + c.params["b"]
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    assert c.out_shape((2, 6, 5)) == y.shape[1:]
    _check_layer(c, x)


def test_conv_fanout_counts_targets():
    c = Conv2d(1, 2, 3, padding=1, dtype=F64)
    fan = c.fanout((1, 4, 4))
    assert fan[0, 0, 0] == 2 * 4 and fan[0, 1, 1] == 2 * 9


@pytest.mark.parametrize("cls", [AvgPool2d, MaxPool2d])
@pytest.mark.parametrize("k,s", [(2, None), (3, 2)])
def test_pooling(cls, k, s):
    rng = np.random.default_rng(4)
    p = cls(k, s)
    x = rng.normal(size=(2, 3, 7, 7))
    y = p.forward(x)[0]
    st = s or k
    i, j = 1, 2
    win = x[:, :, i * st: i * st + k, j * st: j * st + k]
    red = win.mean(axis=(-1, -2)) if cls is AvgPool2d else win.max(axis=(-1, -2))
    np.testing.assert_allclose(y[:, :, i, j], red)
    _check_layer(p, x)


def test_flatten_roundtrip_and_shape_errors():
    f = Flatten()
    x = np.arange(2 * 3 * 4 * 5, dtype=F64).reshape(2, 3, 4, 5)
    y, c = f.forward(x, train=True)
    assert y.shape == (2, 60)
    assert f.backward(y, c)[0].shape == x.shape
    with pytest.raises(ParameterError, match=r"\(\.\.\., 5\)"):
        Dense(5, 2).forward(np.zeros((3, 4), np.float32))
    with pytest.raises(ParameterError, match="shape"):
        Dense(5, 2, weight=np.zeros((5, 2)))
    with pytest.raises(ParameterError, match="Conv2d expects"):
        Conv2d(3, 2, 3).forward(np.zeros((1, 2, 5, 5), np.float32))


def test_conv_network_event_counts():
    net = Sequential([Conv2d(1, 2, 3, padding=1, rng=0), LIF(0.9, 0.5), AvgPool2d(2), Flatten(),
                      Dense(8, 3, rng=1), LIF(0.9, 0.5)], (1, 4, 4))
    x = (np.random.default_rng(0).random((5, 2, 1, 4, 4)) < 0.3).astype(np.float32)
    r = net.forward(x, count=True, record=("spikes",))
    conv_fan = net.nodes[0].fanout((1, 4, 4))
    ac0 = float((x.sum(axis=(0, 1)) * conv_fan).sum()) / 2
    # second synaptic layer sees the pooled (analog) values: counted as MACs, not events
    assert r.counts["ac"] == pytest.approx(ac0)
    assert r.counts["mac_ann"] == 2 * 16 * 9 + 8 * 3
    assert r.counts["spikes"] == pytest.approx(
        (r.spikes[1].sum() + r.spikes[5].sum()) / 2)
