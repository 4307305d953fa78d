"""ReLU ANN training (gradients vs finite differences), batch-norm folding, ANN→SNN conversion."""

from __future__ import annotations

import numpy as np
import pytest
from _snn_fd import fd_grad, rel_err

from neurocircuit.errors import ParameterError
from neurocircuit.snn.ann import ANN, BatchNorm, Dropout, ReLU, fit_ann, fold_batchnorm
from neurocircuit.snn.bptt import _softmax_ce, evaluate
from neurocircuit.snn.convert import activation_scales, convert
from neurocircuit.snn.hybrid import hybrid
from neurocircuit.snn.layers import AvgPool2d, Conv2d, Dense, Flatten, MaxPool2d
from neurocircuit.snn.optim import SGD, Adam, params_of

F64 = np.float64


def _ann_grad_check(ann, x, y):
    out, caches = ann.forward(x, train=True)
    _, g = _softmax_ce(out, y)
    grads = ann.backward(g, caches)

    def f():
        return _softmax_ce(ann.forward(x, train=True)[0], y)[0]

    n = 0
    for i, node in enumerate(ann.nodes):
        for k, p in node.params.items():
            idx, num = fd_grad(f, p)
            assert rel_err(np.asarray(grads[i][k]).reshape(-1)[idx], num) < 1e-4, (i, k)
            n += 1
    return n


def test_ann_dense_batchnorm_gradients():
    rng = np.random.default_rng(0)
    ann = ANN([Dense(6, 8, bias=False, rng=rng, dtype=F64), BatchNorm(8, dtype=F64), ReLU(),
               Dense(8, 3, rng=rng, dtype=F64)], (6,))
    ann.nodes[1].params["gamma"][:] = rng.uniform(0.5, 1.5, 8)
    assert _ann_grad_check(ann, rng.normal(size=(10, 6)), rng.integers(0, 3, 10)) == 5


def test_ann_conv_gradients():
    rng = np.random.default_rng(1)
    ann = ANN([Conv2d(1, 3, 3, padding=1, bias=False, rng=rng, dtype=F64),
               BatchNorm(3, dtype=F64), ReLU(),
               AvgPool2d(2), Flatten(), Dense(12, 4, rng=rng, dtype=F64)], (1, 4, 4))
    assert _ann_grad_check(ann, rng.normal(size=(5, 1, 4, 4)), rng.integers(0, 4, 5)) == 5


def test_fold_batchnorm_is_exact():
    rng = np.random.default_rng(2)
    ann = ANN([Dense(5, 6, rng=rng, dtype=F64), BatchNorm(6, dtype=F64), ReLU(),
               Dense(6, 2, rng=rng, dtype=F64)], (5,))
    bn = ann.nodes[1]
    bn.running_mean = rng.normal(size=6)
    bn.running_var = rng.uniform(0.5, 2, 6)
    bn.params["gamma"][:] = rng.uniform(0.5, 2, 6)
    bn.params["beta"][:] = rng.normal(size=6)
    x = rng.normal(size=(7, 5))
    folded = fold_batchnorm(ann)
    assert not any(isinstance(n, BatchNorm) for n in folded.nodes)
    np.testing.assert_allclose(folded.forward(x)[0], ann.forward(x)[0], rtol=1e-10)


def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    p = np.random.default_rng(0).permutation(len(x))
    return x[p][:1400], d.target[p][:1400], x[p][1400:], d.target[p][1400:]


@pytest.fixture(scope="module")
def digits_ann():
    xtr, ytr, xte, yte = _digits()
    ann = ANN([Dense(64, 128, rng=0), ReLU(), Dense(128, 10, rng=1)], (64,))
    fit_ann(ann, Adam(params_of(ann), lr=2e-3), xtr, ytr, epochs=12, batch_size=32)
    return ann, (xtr, ytr, xte, yte)


def test_conversion_close_to_ann_on_digits(digits_ann):
    ann, (xtr, ytr, xte, yte) = digits_ann
    acc_ann = ann.accuracy(xte, yte)
    assert acc_ann > 0.93
    for method in ("max", "percentile"):
        snn = convert(ann, xtr[:500], method=method)
        acc = evaluate(snn, xte, yte, T=32)["accuracy"]
        assert acc > acc_ann - 0.03, (method, acc, acc_ann)


def test_conversion_rates_match_relu_activations(digits_ann):
    """Hidden IF rates over many steps approach ReLU activation / λ (clipped to 1)."""
    ann, (xtr, *_rest) = digits_ann
    lam = activation_scales(ann, xtr[:500], "max")[0]
    snn = convert(ann, xtr[:500], method="max")
    r = snn.forward(xtr[:20], T=400, record=("spikes",))
    rate = r.spikes[1].mean(axis=0)
    act = ann.activations(xtr[:20])[1] / lam
    assert np.abs(rate - np.minimum(act, 1)).max() < 0.02


def test_hybrid_improves_low_T(digits_ann):
    ann, (xtr, ytr, xte, yte) = digits_ann
    acc_conv = evaluate(convert(ann, xtr[:500]), xte, yte, T=4)["accuracy"]
    snn, hist = hybrid(ann, xtr, ytr, T=4, epochs=2, lr=5e-4, batch_size=32)
    acc_h = evaluate(snn, xte, yte, T=4)["accuracy"]
    assert acc_h >= acc_conv - 0.01 and acc_h > 0.85
    assert len(hist) == 2


def test_ann_sgd_trains():
    xtr, ytr, xte, yte = _digits()
    ann = ANN([Dense(64, 10, rng=0)], (64,))
    fit_ann(ann, SGD(params_of(ann), lr=0.05), xtr, ytr, epochs=3, batch_size=32)
    assert ann.accuracy(xte, yte) > 0.8


def test_conversion_errors():
    ann = ANN([Conv2d(1, 2, 3), ReLU(), Flatten(), Dense(8, 2)], (1, 4, 4))
    with pytest.raises(ParameterError, match="ANN nodes"):
        ANN([MaxPool2d(2)], (1, 4, 4))
    with pytest.raises(ParameterError, match="balancing"):
        convert(ann, np.zeros((2, 1, 4, 4), np.float32), method="median")
    with pytest.raises(ParameterError, match="end with"):
        convert(ANN([Dense(4, 2), ReLU()], (4,)), np.zeros((2, 4), np.float32))


def test_half_threshold_initial_membrane_rounds_rates():
    """IF with v_init = θ/2: count over T of a constant input a is round(T·a), not floor."""
    from neurocircuit.snn.spiking import LIF

    a = np.linspace(0.0, 0.99, 34).astype(np.float32)
    T = 16
    x = np.broadcast_to(a, (T, 1, a.size))
    c0 = LIF(1.0, 1.0).forward(x)[0].sum(axis=0)[0]
    c5 = LIF(1.0, 1.0, v_init=0.5).forward(x)[0].sum(axis=0)[0]
    np.testing.assert_array_equal(c0, np.floor(T * a.astype(np.float64) + 1e-6))
    np.testing.assert_array_equal(c5, np.floor(T * a.astype(np.float64) + 0.5 + 1e-6))
    assert np.abs(c5 / T - a).max() <= 0.5 / T + 1e-6 < np.abs(c0 / T - a).max()


def test_conversion_v_init_and_dropout(digits_ann):
    ann, (xtr, ytr, xte, yte) = digits_ann
    # the same weights with dropout nodes: conversion drops them, inference is unchanged
    dn = ANN([Dropout(0.3, rng=0), ann.nodes[0], ReLU(), Dropout(0.5, rng=1), ann.nodes[2]],
             (64,))
    np.testing.assert_array_equal(dn.predict(xte), ann.predict(xte))
    snn = convert(dn, xtr[:500], v_init=0.5)
    assert [n.kind for n in snn.nodes] == ["dense", "lif", "dense", "readout"]
    assert snn.nodes[1].v_init == 0.5
    r0 = convert(ann, xtr[:500]).forward(xte, T=8, record=("spikes",)).spikes[1].mean(0)
    r5 = snn.forward(xte, T=8, record=("spikes",)).spikes[1].mean(0)
    lam = activation_scales(ann, xtr[:500])[0]
    act = np.minimum(ann.activations(xte)[1] / lam, 1)
    assert np.abs(r5 - act).mean() < 0.8 * np.abs(r0 - act).mean()


def test_dropout_node():
    rng = np.random.default_rng(3)
    x = rng.random((400, 50)).astype(np.float32)
    d = Dropout(0.25, rng=7)
    y, mask = d.forward(x, train=True)
    assert y.dtype == np.float32 and set(np.unique(mask)) == {0.0, np.float32(1 / 0.75)}
    assert abs((mask == 0).mean() - 0.25) < 0.02 and abs(y.mean() / x.mean() - 1) < 0.03
    gy = rng.random(x.shape).astype(np.float32)
    np.testing.assert_array_equal(d.backward(gy, mask)[0], gy * mask)
    assert d.forward(x)[0] is x
    with pytest.raises(ParameterError, match="'p'"):
        Dropout(1.0)
