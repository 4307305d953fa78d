"""Spiking LSTM: BPTT against finite differences, readout, shape errors, learning."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn import slstm


def _setup(n_layers=1, readout="mean", surrogate="fast_sigmoid", seed=0, T=5, B=2):
    p = slstm.SLSTMParams(n_in=3, n_hidden=4, n_out=3, n_layers=n_layers, theta=0.05,
                          slope=2.0, readout=readout, kappa=0.8, surrogate=surrogate)
    rng = np.random.default_rng(seed)
    w = slstm.init_weights(p, rng)
    for lay in w.layers:  # larger weights: saturating gates, a harder check
        for k in lay:
            lay[k] *= 3.0
    w.w_out *= 3.0
    x = rng.random((T, B, 3))
    y = rng.integers(0, 3, B)
    return p, w, x, y


def _numeric(w, x, y, p, arr, eps=1e-6):
    flat = arr.reshape(-1)
    num = np.empty(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        lp = slstm.loss_and_grad(w, x, y, p, smooth=True)[0]
        flat[i] = old - eps
        lm = slstm.loss_and_grad(w, x, y, p, smooth=True)[0]
        flat[i] = old
        num[i] = (lp - lm) / (2 * eps)
    return num.reshape(arr.shape)


@pytest.mark.parametrize(("n_layers", "readout", "surrogate"), [
    (1, "mean", "fast_sigmoid"), (1, "last", "arctan"), (2, "mean", "sigmoid"),
    (2, "last", "gaussian"),
])
def test_bptt_matches_finite_differences_every_gate(n_layers, readout, surrogate):
    p, w, x, y = _setup(n_layers, readout, surrogate)
    _, g, _ = slstm.loss_and_grad(w, x, y, p, smooth=True)
    H = p.n_hidden
    for name, arr in w.items():
        num = _numeric(w, x, y, p, arr)
        ana = g[name]
        assert ana.shape == arr.shape
        if name.endswith(("w_in", "w_rec", ".b")):
            for gate, lo in zip("ifgo", range(0, 4 * H, H)):  # each gate's block separately
                n_blk, a_blk = num[lo:lo + H], ana[lo:lo + H]
                assert np.linalg.norm(n_blk) > 1e-5, (name, gate)  # not vacuous
                rel = np.linalg.norm(a_blk - n_blk) / np.linalg.norm(n_blk)
                assert rel < 1e-4, (name, gate, rel)
        else:
            rel = np.linalg.norm(ana - num) / np.linalg.norm(num)
            assert rel < 1e-4, (name, rel)


def test_gradient_check_can_fail():
    """A perturbed analytic gradient (one gate's sign flipped) must not pass the criterion."""
    p, w, x, y = _setup()
    _, g, _ = slstm.loss_and_grad(w, x, y, p, smooth=True)
    num = _numeric(w, x, y, p, w.layers[0]["w_rec"])
    bad = g["l0.w_rec"].copy()
    bad[2 * p.n_hidden:3 * p.n_hidden] *= -1.0
    assert np.linalg.norm(bad - num) / np.linalg.norm(num) > 1e-2


@pytest.mark.parametrize("readout", ["mean", "last"])
def test_readout_is_leaky_integrator_of_spikes(readout):
    p, w, x, _ = _setup(readout=readout, T=7)
    c = slstm.forward(w, x, p)
    S = c["layers"][-1]["S"]
    assert set(np.unique(S)) <= {0.0, 1.0}
    r, rs = np.zeros_like(S[0]), []
    for t in range(S.shape[0]):
        r = p.kappa * r + S[t]
        rs.append(r)
    want = rs[-1] if readout == "last" else np.mean(rs, axis=0)
    np.testing.assert_allclose(c["r"], want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c["logits"], want @ w.w_out.T + w.b_out, rtol=1e-12)
    np.testing.assert_array_equal(c["spikes"], S.sum(axis=(0, 2)))


def test_float32_stays_float32():
    p = slstm.SLSTMParams(n_in=3, n_hidden=4, n_out=3)
    w = slstm.init_weights(p, np.random.default_rng(0), dtype=np.float32)
    x = np.random.default_rng(1).random((5, 2, 3))
    loss, g, c = slstm.loss_and_grad(w, x, np.array([0, 2]), p)
    assert np.isfinite(loss) and c["logits"].dtype == np.float32
    assert all(v.dtype == np.float32 for v in g.values())


def test_shape_errors():
    p = slstm.SLSTMParams(n_in=3, n_hidden=4, n_out=3)
    w = slstm.init_weights(p, np.random.default_rng(0))
    with pytest.raises(ParameterError, match=r"\(T, batch, 3\)"):
        slstm.forward(w, np.zeros((5, 2, 4)), p)
    with pytest.raises(ParameterError, match=r"\(T, batch, 3\)"):
        slstm.forward(w, np.zeros((5, 3)), p)
    with pytest.raises(ParameterError, match="empty"):
        slstm.forward(w, np.zeros((0, 2, 3)), p)
    with pytest.raises(ParameterError, match="Targets"):
        slstm.loss_and_grad(w, np.zeros((5, 2, 3)), np.array([0, 1, 2]), p)
    with pytest.raises(ParameterError, match=r"\[0, 3\)"):
        slstm.loss_and_grad(w, np.zeros((5, 2, 3)), np.array([0, 3]), p)
    with pytest.raises(ParameterError, match="n_layers=2"):
        slstm.forward(w, np.zeros((5, 2, 3)), slstm.SLSTMParams(n_in=3, n_hidden=4, n_out=3,
                                                                 n_layers=2))
    with pytest.raises(ParameterError, match=r"l0\.w_in.*\(20, 3\)"):
        slstm.forward(w, np.zeros((5, 2, 3)), slstm.SLSTMParams(n_in=3, n_hidden=5, n_out=3))
    with pytest.raises(ParameterError, match="readout"):
        slstm.SLSTMParams(readout="max")


@pytest.mark.slow
def test_sequential_digits_learns():
    """Row-by-row sklearn digits (8 steps × 8 pixels), 64 spiking LSTM units: > 80 %."""
    from neurocircuit.snn.sequences import sequential_digits

    xtr, ytr, xte, yte = sequential_digits()
    p = slstm.SLSTMParams(n_in=8, n_hidden=64, n_out=10)
    rng = np.random.default_rng(0)
    w = slstm.init_weights(p, rng, dtype=np.float32)
    losses = slstm.train(w, xtr.astype(np.float32), ytr, p, epochs=15, batch=32, lr=5e-3,
                         rng=rng, threads=1)
    assert losses[-1] < 0.5 * losses[0]
    res = slstm.evaluate(w, xte.astype(np.float32), yte, p)
    assert res["accuracy"] > 0.8, res
    assert 0 < res["spike_rate"] < 1
