"""Recurrent SNN: BPTT against finite differences; e-prop equals BPTT without recurrence."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn import rsnn


def _fd_check(p, smooth_rng_seed=0):
    rng = np.random.default_rng(smooth_rng_seed)
    w = rsnn.init_weights(p, rng, recurrent=True, scale_in=2.0)
    x = (rng.random((8, 3, p.n_in)) < 0.5).astype(float)
    y = rng.integers(0, p.n_out, 3)
    _, g = rsnn.bptt_grad(w, x, y, p, smooth=True)
    eps = 1e-6
    for name, arr in w.items():
        flat = arr.reshape(-1)
        for i in rng.choice(flat.size, size=min(6, flat.size), replace=False):
            if name == "w_rec" and i // p.n_hidden == i % p.n_hidden:
                continue
            old = flat[i]
            flat[i] = old + eps
            lp, _ = rsnn.bptt_grad(w, x, y, p, smooth=True)
            flat[i] = old - eps
            lm, _ = rsnn.bptt_grad(w, x, y, p, smooth=True)
            flat[i] = old
            num = (lp - lm) / (2 * eps)
            ana = g[name].reshape(-1)[i]
            assert abs(num - ana) <= 1e-4 * max(1e-3, abs(num)) + 1e-9, (name, i, num, ana)


@pytest.mark.parametrize("surrogate", ["fast_sigmoid", "arctan", "sigmoid", "gaussian"])
@pytest.mark.parametrize("beta", [0.0, 0.7])
def test_bptt_matches_finite_differences(surrogate, beta):
    p = rsnn.RSNNParams(n_in=4, n_hidden=5, n_out=3, beta=beta, alpha=0.9, rho=0.9, kappa=0.7,
                        surrogate=surrogate)
    _fd_check(p)


def test_bptt_detached_reset_matches_finite_differences_of_detached_model():
    """With detach_reset the gradient differs from the full one (the reset path matters)."""
    p = rsnn.RSNNParams(n_in=4, n_hidden=5, n_out=3, alpha=0.9)
    rng = np.random.default_rng(1)
    w = rsnn.init_weights(p, rng, scale_in=3.0)
    x = (rng.random((10, 3, 4)) < 0.6).astype(float)
    y = rng.integers(0, 3, 3)
    _, g_full = rsnn.bptt_grad(w, x, y, p, smooth=True)
    from dataclasses import replace

    _, g_det = rsnn.bptt_grad(w, x, y, replace(p, detach_reset=True), smooth=True)
    assert not np.allclose(g_full["w_in"], g_det["w_in"])


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_eprop_equals_bptt_without_recurrence(beta):
    p = rsnn.RSNNParams(n_in=5, n_hidden=6, n_out=3, beta=beta, alpha=0.9, rho=0.95, kappa=0.8,
                        detach_reset=True)
    rng = np.random.default_rng(0)
    w = rsnn.init_weights(p, rng, recurrent=False, scale_in=3.0)
    x = (rng.random((12, 4, 5)) < 0.5).astype(float)
    y = rng.integers(0, 3, 4)
    l1, g1 = rsnn.bptt_grad(w, x, y, p)
    l2, g2 = rsnn.eprop_grad(w, x, y, p)
    assert l1 == l2
    for k in g1:
        assert np.allclose(g1[k], g2[k], rtol=1e-10, atol=1e-12), k
    assert np.abs(g1["w_in"]).max() > 1e-3  # the check is not vacuous


def test_eprop_differs_with_recurrence_and_random_feedback_runs():
    p = rsnn.RSNNParams(n_in=5, n_hidden=6, n_out=3, detach_reset=True)
    rng = np.random.default_rng(2)
    w = rsnn.init_weights(p, rng, recurrent=True, scale_in=3.0)
    x = (rng.random((12, 4, 5)) < 0.5).astype(float)
    y = rng.integers(0, 3, 4)
    _, g1 = rsnn.bptt_grad(w, x, y, p)
    _, g2 = rsnn.eprop_grad(w, x, y, p, feedback=rng.normal(size=(3, 6)))
    assert g2["w_in"].shape == g1["w_in"].shape and np.all(np.isfinite(g2["w_rec"]))


def test_bad_input_shape():
    p = rsnn.RSNNParams(n_in=4)
    w = rsnn.init_weights(p, np.random.default_rng(0))
    with pytest.raises(ParameterError, match=r"\(T, batch, 4\)"):
        rsnn.forward(w, np.zeros((3, 2, 5)), p)


@pytest.mark.slow
def test_sequential_digits_eprop_close_to_bptt():
    """Row-by-row digits (8 steps × 8 pixels, each row shown for 3 steps): both learn."""
    from neurocircuit.snn.sequences import sequential_digits

    xtr, ytr, xte, yte = sequential_digits(repeat=3, n_train=600, n_test=300)
    accs = {}
    for method in ("bptt", "eprop"):
        p = rsnn.RSNNParams(n_in=8, n_hidden=64, n_out=10, beta=0.2, alpha=0.9, kappa=0.9)
        rng = np.random.default_rng(0)
        w = rsnn.init_weights(p, rng, scale_in=2.0)
        rsnn.train(w, xtr, ytr, p, method=method, epochs=8, lr=5e-3, rng=rng)
        accs[method] = float((rsnn.predict(w, xte, p) == yte).mean())
    assert accs["bptt"] > 0.6 and accs["eprop"] > 0.5, accs
