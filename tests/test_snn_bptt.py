"""Surrogate-gradient BPTT: every backward pass against finite differences (float64)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from _snn_fd import fd_grad, rel_err

from neurocircuit.errors import ParameterError
from neurocircuit.snn.bptt import NonFiniteError, evaluate, fit, loss_and_grad
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.optim import SGD, Adam, params_of
from neurocircuit.snn.spiking import LIF, Readout, RecurrentLIF
from neurocircuit.snn.surrogate import PRIMITIVES, SURROGATES

F64 = np.float64


def _check_net(net, x, T=None, loss_fn=None, tol=1e-4, eps=1e-6):
    rng = np.random.default_rng(5)
    res = net.forward(x, T=T, train=True)
    R = rng.normal(size=res.output.shape)
    if loss_fn is None:
        def loss_fn(out):
            return float(np.sum(out * R)), R
    _, g = loss_fn(res.output)
    grads = net.backward(g)

    def f():
        return loss_fn(net.forward(x, T=T, train=True).output)[0]

    checked = 0
    for i, node in enumerate(net.nodes):
        for k, p in node.params.items():
            idx, num = fd_grad(f, p, eps=eps)
            ana = np.asarray(grads[i][k], F64).reshape(-1)[idx]
            assert rel_err(ana, num) < tol, (i, k, ana[:5], num[:5])
            checked += 1
    return checked


@pytest.mark.parametrize("surrogate", sorted(SURROGATES))
@pytest.mark.parametrize("reset", ["soft", "hard"])
def test_lif_bptt_matches_finite_differences(surrogate, reset):
    rng = np.random.default_rng(1)
    slope = 4.0 if surrogate == "sigmoid" else 1.0
    net = Sequential([
        Dense(6, 5, rng=rng, dtype=F64, gain=2.0),
        LIF(0.8, 0.7, reset=reset, v_reset=0.1 if reset == "hard" else 0.0,
            surrogate=surrogate, slope=slope, train_beta=True,
            train_th=True, smooth=True, dtype=F64),
        Dense(5, 3, rng=rng, dtype=F64, gain=2.0),
        LIF(0.9, 0.5, reset=reset, surrogate=surrogate, slope=slope, smooth=True),
    ], (6,))
    for n in net.nodes:
        if "b" in n.params:
            n.params["b"][:] = rng.normal(scale=0.3, size=n.params["b"].shape)
    x = rng.random((7, 4, 6))
    assert _check_net(net, x) == 6


def test_smooth_primitive_derivative_is_surrogate():
    x = np.linspace(-2.5, 2.5, 101) + 1e-3
    for name, g in SURROGATES.items():
        k = 4.0 if name == "sigmoid" else 1.0
        num = (PRIMITIVES[name](x + 1e-6, k) - PRIMITIVES[name](x - 1e-6, k)) / 2e-6
        assert rel_err(num, g(x.copy(), k)) < 1e-6, name


def test_surrogate_values():
    x = np.array([0.0, 1.0, -1.0])
    np.testing.assert_allclose(SURROGATES["fast_sigmoid"](x.copy()), [1, 0.25, 0.25])
    np.testing.assert_allclose(SURROGATES["arctan"](x.copy())[0], 1.0)
    np.testing.assert_allclose(SURROGATES["triangle"](x.copy()), [1, 0, 0])
    np.testing.assert_allclose(SURROGATES["gaussian"](x.copy())[1], np.exp(-0.5))


def test_static_direct_input_and_membrane_losses():
    rng = np.random.default_rng(2)
    net = Sequential([Dense(5, 4, rng=rng, dtype=F64, gain=2.0), LIF(0.9, 0.6, smooth=True),
                      Dense(4, 3, rng=rng, dtype=F64, gain=2.0),
                      Readout(0.8, train_beta=True, dtype=F64)],
                     (5,))
    x = rng.random((3, 5))
    y = np.array([0, 2, 1])
    for kind in ("membrane_mean", "membrane_max", "count"):
        def lf(out, kind=kind):
            L, _, g = loss_and_grad(out, y, kind)
            return L, np.array(g)
        assert _check_net(net, x, T=6, loss_fn=lf) == 5


def test_recurrent_bptt_matches_finite_differences():
    rng = np.random.default_rng(3)
    net = Sequential([RecurrentLIF(4, 5, beta=0.85, v_th=0.6, rng=rng, dtype=F64,
                                   rec_gain=1.5, smooth=True)], (4,))
    net.nodes[0].params["W"] *= 2
    x = rng.random((6, 3, 4))
    assert _check_net(net, x) == 3


def test_loss_grad_shapes_and_errors():
    out = np.random.default_rng(0).random((4, 2, 3)).astype(np.float32)
    L, z, g = loss_and_grad(out, [0, 1], "count")
    assert z.shape == (2, 3) and g.shape == out.shape and L > 0
    with pytest.raises(ParameterError, match="valid losses"):
        loss_and_grad(out, [0, 1], "bogus")


def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    return x[:1400], d.target[:1400], x[1400:], d.target[1400:]


def test_bptt_digits_sanity():
    xtr, ytr, xte, yte = _digits()
    net = Sequential([Dense(64, 128, rng=0), LIF(0.9, 1.0), Dense(128, 10, rng=1),
                      LIF(0.9, 1.0)], (64,))
    opt = Adam(params_of(net), lr=2e-3)
    t0 = time.perf_counter()
    hist = fit(net, opt, xtr, ytr, T=8, epochs=8, batch_size=32, rng=0)
    acc = evaluate(net, xte, yte, T=8)["accuracy"]
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert acc > 0.85, acc
    assert time.perf_counter() - t0 < 60


def test_nonfinite_stops_and_keeps_last_good():
    xtr, ytr, _, _ = _digits()
    net = Sequential([Dense(64, 10, rng=0), LIF(0.9, 1.0)], (64,))
    opt = SGD(params_of(net), lr=1e-2)
    w_before = net.nodes[0].params["W"].copy()
    xbad = xtr[:64].copy()
    xbad[3, 5] = np.nan
    with pytest.raises(NonFiniteError):
        fit(net, opt, xbad, ytr[:64], T=4, epochs=1, batch_size=64)
    np.testing.assert_array_equal(net.nodes[0].params["W"], w_before)


@pytest.mark.parametrize("reset", ["soft", "hard"])
def test_lif_initial_membrane_gradients(reset):
    """v_init ≠ 0 and an IF node (β = 1, θ = 1 fast paths): backward vs finite differences."""
    rng = np.random.default_rng(11)
    net = Sequential([
        Dense(5, 4, rng=rng, dtype=F64, gain=2.0),
        LIF(0.85, 0.6, reset=reset, train_beta=True, train_th=True, smooth=True, v_init=0.3,
            dtype=F64),
        Dense(4, 3, rng=rng, dtype=F64, gain=2.0),
        LIF(1.0, 1.0, reset=reset, smooth=True, v_init=0.5, dtype=F64),
    ], (5,))
    x = rng.random((6, 3, 5))
    assert _check_net(net, x) == 6


def test_lif_train_forward_equals_inference_and_reference():
    rng = np.random.default_rng(12)
    x = rng.normal(0.4, 0.8, (9, 4, 6)).astype(np.float32)
    for kw in ({"beta": 0.9, "v_th": 1.0}, {"beta": 1.0, "v_th": 0.7, "v_init": 0.35},
               {"beta": 0.8, "v_th": 0.5, "reset": "hard", "v_reset": 0.1}):
        lif = LIF(**kw)
        s_inf, v_inf = lif.forward(x, record_v=True)
        s_tr, (U, S) = lif.forward(x, train=True)
        np.testing.assert_array_equal(s_inf, s_tr)
        assert s_inf.dtype == np.float32 and U.dtype == np.float32 and v_inf.dtype == np.float32
        # plain loop of the module equations
        v = np.full(x.shape[1:], kw.get("v_init", 0.0), np.float64)
        for t in range(len(x)):
            u = kw["beta"] * v + x[t]
            s = (u >= kw["v_th"]).astype(np.float64)
            v = u - kw["v_th"] * s if kw.get("reset", "soft") == "soft" else (
                u * (1 - s) + kw.get("v_reset", 0.0) * s)
            np.testing.assert_array_equal(s_inf[t], s)
            np.testing.assert_allclose(v_inf[t], v, rtol=1e-5, atol=1e-5)
    with pytest.raises(ParameterError, match="v_init"):
        LIF(0.9, 1.0, v_init=float("nan"))


def test_surrogates_write_into_out():
    x = np.linspace(-2, 2, 17)
    for g in SURROGATES.values():
        ref = g(x.copy(), 2.0)
        buf = x.copy()
        assert g(buf, 2.0, out=buf) is buf
        np.testing.assert_allclose(buf, ref, rtol=1e-12)


def test_train_step_keeps_float32():
    from neurocircuit.snn.bptt import train_step
    from neurocircuit.snn.optim import grads_of

    rng = np.random.default_rng(13)
    net = Sequential([Dense(20, 16, rng=0), LIF(0.9, 1.0, train_th=True, train_beta=True),
                      Dense(16, 4, rng=1), LIF(0.9, 1.0)], (20,))
    x = (rng.random((5, 8, 20)) < 0.3).astype(np.float32)
    res = net.forward(x, train=True)
    _, _, g = loss_and_grad(res.output, rng.integers(0, 4, 8), "count")
    grads = grads_of(net, net.backward(g))
    assert all(np.asarray(v).dtype == np.float32 for v in grads)
    opt = Adam(params_of(net), lr=1e-3)
    train_step(net, opt, x, rng.integers(0, 4, 8), None, "count")
    assert all(p.dtype == np.float32 for _, p in params_of(net))


def test_fit_lr_schedule_sets_rate_per_step():
    from neurocircuit.snn.bptt import cosine_schedule

    sched = cosine_schedule(1e-2, 10)
    assert sched(0) == pytest.approx(1e-2, abs=0) and sched(5) == pytest.approx(5e-3, rel=1e-9)
    assert sched(10) == pytest.approx(1e-5, rel=1e-9) and sched(99) == sched(10)
    rng = np.random.default_rng(14)
    net = Sequential([Dense(6, 3, rng=0), Readout(0.0)], (6,))
    opt = SGD(params_of(net), lr=1.0)
    seen = []
    x, y = rng.random((20, 6)).astype(np.float32), rng.integers(0, 3, 20)
    fit(net, opt, x, y, T=2, epochs=2, batch_size=8, loss="membrane_mean",
        lr_schedule=lambda k: seen.append(k) or 0.1 / (k + 1))
    assert seen == list(range(6)) and opt.lr == pytest.approx(0.1 / 6, rel=1e-12)
