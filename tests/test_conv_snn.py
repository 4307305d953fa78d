"""Convolutional SNN pipeline (issue 7): channel-major Conv2d, anytime evaluation, conversion."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from _snn_fd import fd_grad, rel_err

from neurocircuit.errors import ParameterError
from neurocircuit.snn.ann import fit_ann
from neurocircuit.snn.anytime import evaluate_prefixes
from neurocircuit.snn.convert import convert
from neurocircuit.snn.layers import AvgPool2d, Conv2d, Dense, Flatten, MaxPool2d
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.optim import Adam, params_of
from neurocircuit.snn.spiking import LIF, Readout

F64 = np.float64


def _bench():
    path = Path(__file__).resolve().parents[1] / "bench" / "conv_snn.py"
    spec = importlib.util.spec_from_file_location("conv_snn_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_strided_conv_with_lead_axes_matches_direct_sum_and_fd():
    """The bench's layer shape (5×5, stride 2, padding 2) on a (T, B, C, H, W) input."""
    rng = np.random.default_rng(0)
    c = Conv2d(2, 3, 5, stride=2, padding=2, rng=rng, dtype=F64)
    c.params["b"][:] = rng.normal(size=3)
    x = rng.normal(size=(2, 3, 2, 7, 6))
    y, cache = c.forward(x, train=True)
    assert y.shape == (2, 3, 3, 4, 3)
    xp = np.pad(x, ((0, 0),) * 3 + ((2, 2), (2, 2)))
    ref = np.empty_like(y)
    for i in range(4):
        for j in range(3):
            patch = xp[..., 2 * i: 2 * i + 5, 2 * j: 2 * j + 5]
            ref[..., i, j] = np.einsum("tmcpq,ocpq->tmo", patch, c.params["W"]) + c.params["b"]
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    R = rng.normal(size=y.shape)
    gx, grads = c.backward(R, cache)

    def f():
        return float(np.sum(c.forward(x)[0] * R))

    for arr, g in ((x, gx), (c.params["W"], grads["W"]), (c.params["b"], grads["b"])):
        idx, num = fd_grad(f, arr)
        assert rel_err(np.asarray(g).reshape(-1)[idx], num) < 1e-6
    # fanout: every input pixel's synaptic targets (out_ch × output positions it reaches)
    fan = c.fanout((2, 7, 6))
    ones = np.ones((1, 2, 7, 6))
    brute = np.array([(c.forward(np.where(np.arange(ones.size).reshape(ones.shape) == k, 1.0,
                                          0.0))[0] - c.params["b"][:, None, None] != 0).sum()
                      for k in range(ones.size)], dtype=float).reshape(2, 7, 6)
    np.testing.assert_array_equal(fan, brute)


def _tiny_snn(rng, pool):
    mid = [MaxPool2d(2)] if pool == "max" else [AvgPool2d(2)] if pool == "avg" else []
    return Sequential([Conv2d(1, 4, 3, padding=1, rng=rng), LIF(1.0, 0.5), *mid,
                       Conv2d(4, 3, 3, stride=2 if not mid else 1, padding=1, rng=rng),
                       LIF(0.9, 0.4), Flatten(),
                       Dense(27, 5, rng=rng), Readout(0.0)], (1, 6, 6))


@pytest.mark.parametrize("pool", ["none", "max", "avg"])
def test_prefix_evaluation_equals_separate_runs(pool):
    rng = np.random.default_rng(1)
    net = _tiny_snn(rng, pool)
    x = rng.random((7, 1, 6, 6)).astype(np.float32) * 2
    y = rng.integers(0, 5, 7)
    seq = (rng.random((12, 7, 1, 6, 6)) < 0.3).astype(np.float32)
    rows = evaluate_prefixes(net, x, y, [3, 8, 12], batch_size=4)
    rows_seq = evaluate_prefixes(net, seq, y, [5, 12], sequence=True, batch_size=3)
    for r in rows:
        ref = net.forward(x, T=r["T"], count=True)
        acc = np.mean(ref.output.sum(0).argmax(-1) == y)
        assert r["accuracy"] == acc
        for k in ("spikes", "ac", "mac_snn", "mac_ann"):
            assert r[k] == pytest.approx(ref.counts[k], rel=1e-9, abs=0), k
    assert rows[-1]["spikes"] > rows[0]["spikes"] > 0
    for r in rows_seq:
        ref = net.forward(seq[: r["T"]], count=True)
        assert r["accuracy"] == np.mean(ref.output.sum(0).argmax(-1) == y)
        for k in ("spikes", "ac", "mac_snn", "mac_ann"):
            assert r[k] == pytest.approx(ref.counts[k], rel=1e-9, abs=0), k
    assert rows_seq[0]["ac"] > 0
    assert (rows_seq[0]["mac_snn"] == 0) == (pool != "avg")   # avg pooling makes values analog


def test_prefix_evaluation_counts_integer_events_as_accumulates():
    rng = np.random.default_rng(2)
    net = _tiny_snn(rng, "none")
    counts = rng.integers(0, 3, (6, 4, 1, 6, 6)).astype(np.uint8)
    r = evaluate_prefixes(net, counts, np.zeros(4, int), [6], sequence=True)[0]
    fan = net.nodes[0].fanout((1, 6, 6))
    ac_in = float((counts.sum(axis=(0, 1), dtype=float) * fan).sum()) / 4
    assert r["ac"] > ac_in > 0        # input events plus the hidden layers' spikes
    assert r["mac_snn"] == 0
    with pytest.raises(ParameterError, match="max\\(Ts\\)"):
        evaluate_prefixes(net, counts, np.zeros(4, int), [7], sequence=True)
    with pytest.raises(ParameterError, match="positive"):
        evaluate_prefixes(net, counts, np.zeros(4, int), [0], sequence=True)


def _bars(n, rng, side=12):
    """Four classes: a horizontal/vertical bar in the upper/left or lower/right half."""
    y = rng.integers(0, 4, n)
    x = rng.random((n, 1, side, side)).astype(np.float32) * 0.2
    pos = rng.integers(1, side // 2 - 1, n) + (y % 2) * (side // 2)
    for k in range(n):
        if y[k] < 2:
            x[k, 0, pos[k], 2: side - 2] = 1.0
        else:
            x[k, 0, 2: side - 2, pos[k]] = 1.0
    return x, y


def test_tiny_conv_ann_converts_with_snn_ann_agreement():
    bench = _bench()
    rng = np.random.default_rng(3)
    xtr, ytr = _bars(600, rng)
    xte, yte = _bars(200, rng)
    ann = bench.build_ann((1, 12, 12), width=4, hidden=16, seed=0)
    assert isinstance(ann.nodes[0], Conv2d) and ann.nodes[0].stride == 2
    assert all(not getattr(n, "has_bias", False) for n in ann.nodes)
    opt = Adam(params_of(ann), lr=1e-2)
    fit_ann(ann, opt, xtr, ytr, epochs=6, batch_size=32, rng=0, transform=bench.augment(1))
    acc_ann = ann.accuracy(xte, yte)
    assert acc_ann > 0.9
    snn = convert(ann, xtr[:200], method="percentile", percentile=99.9, v_init=0.5)
    rows = evaluate_prefixes(snn, xte, yte, [4, 64])
    pred_ann = ann.predict(xte)
    pred_snn = snn.predict(xte, T=64)
    assert np.mean(pred_snn == pred_ann) >= 0.95
    assert rows[1]["accuracy"] >= acc_ann - 0.03
    assert rows[1]["accuracy"] >= rows[0]["accuracy"]
    # the hidden conv/dense layers are fed spikes: accumulates, and MACs only for the input
    conv1_macs = ann.nodes[0].macs((1, 12, 12))
    assert rows[1]["mac_snn"] == 64 * conv1_macs
    assert rows[1]["ac"] > 0 and rows[1]["spikes"] > 0


def test_augment_shifts_keep_content_and_shape():
    bench = _bench()
    rng = np.random.default_rng(4)
    x = np.zeros((50, 2, 9, 9), np.float32)
    x[:, :, 4, 4] = 1.0
    out = bench.augment(2, flip=True)(x, rng)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out.sum(axis=(2, 3)), 1.0)   # a centre pixel never leaves
    moved = np.argwhere(out[:, 0] == 1)[:, 1:] - 4
    assert np.abs(moved).max() == 2 and len({tuple(m) for m in moved}) > 5
    np.testing.assert_array_equal(out[:, 0], out[:, 1])        # channels move together
