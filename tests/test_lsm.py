"""Liquid state machine: Dale's law, heterogeneity, ridge readout, ensembles and stacks."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn import lsm


def test_dale_law_and_heterogeneity():
    p = lsm.LSMParams(n_neurons=200)
    liq = lsm.make_liquid(p, 16, np.random.default_rng(0))
    exc_cols = liq.w_rec[:, liq.exc]
    inh_cols = liq.w_rec[:, ~liq.exc]
    assert exc_cols.min() >= 0 and inh_cols.max() <= 0
    assert (exc_cols > 0).any() and (inh_cols < 0).any()
    assert liq.exc.sum() == 160
    assert np.all(np.diag(liq.w_rec) == 0)
    taus = -p.dt / np.log(liq.lam_m)
    assert taus.min() >= p.tau_min - 1e-12 and taus.max() <= p.tau_max + 1e-12
    assert taus.std() > 0.1 * taus.mean() and liq.theta.std() > 0


def test_liquid_reproducible_and_responds():
    p = lsm.LSMParams(n_neurons=100)
    x = (np.random.default_rng(1).random((30, 4, 16)) < 0.3).astype(np.float32)
    a = lsm.run_liquid(lsm.make_liquid(p, 16, np.random.default_rng(2)), x)
    b = lsm.run_liquid(lsm.make_liquid(p, 16, np.random.default_rng(2)), x)
    assert np.array_equal(a, b) and 0 < a.mean() < 0.5
    silent = lsm.run_liquid(lsm.make_liquid(p, 16, np.random.default_rng(2)), np.zeros_like(x))
    assert silent.sum() == 0


def test_refractory_limits_rate():
    p = lsm.LSMParams(n_neurons=50, t_ref=30e-3, dt=10e-3, w_in=50.0, p_in=1.0)
    s = lsm.run_liquid(lsm.make_liquid(p, 4, np.random.default_rng(0)), np.ones((40, 1, 4)))
    # a spike then at least 3 silent steps: rate <= 1/4
    assert s.mean(axis=0).max() <= 0.25 + 1e-9


def test_ridge_recovers_linear_map():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(500, 20))
    y = np.argmax(f[:, :3], axis=1)
    m = lsm.ridge_fit(f, y, 3, lam=1e-3)
    assert (lsm.ridge_predict(m, f) == y).mean() > 0.9


def test_features_bins():
    s = np.zeros((10, 2, 3), np.float32)
    s[0, 0, 1] = 1
    s[9, 1, 2] = 1
    f = lsm.liquid_features(s, 2)
    assert f.shape == (2, 6) and f[0, 1] == 1 and f[1, 5] == 1 and f.sum() == 2


@pytest.mark.parametrize("stacked", [False, True])
def test_classifier_learns_sequential_digits(stacked):
    from neurocircuit.snn.sequences import sequential_digits

    xtr, ytr, xte, yte = sequential_digits(repeat=2, n_train=600, n_test=300)
    p = lsm.LSMParams(n_neurons=200, n_bins=8, w_in=2.0)
    clf = lsm.LSMClassifier(p, 8, 10, np.random.default_rng(0), n_liquids=2, stacked=stacked,
                            lam=30.0)
    acc = (clf.fit(xtr, ytr).predict(xte) == yte).mean()
    assert acc > 0.6, acc


def test_errors():
    with pytest.raises(ParameterError, match="tau_max"):
        lsm.LSMParams(tau_min=0.1, tau_max=0.01)
    liq = lsm.make_liquid(lsm.LSMParams(n_neurons=10), 4, np.random.default_rng(0))
    with pytest.raises(ParameterError, match=r"\(T, batch, 4\)"):
        lsm.run_liquid(liq, np.zeros((5, 1, 3)))
