"""Neuron models: analytic behaviour, protocol, instance axis, backend seam."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn import get_xp
from neurocircuit.snn.neurons import (
    AdaptiveLIFParams,
    IFParams,
    LIFParams,
    StochasticParams,
    beta_from_tau,
    lif_init,
    lif_step,
    model_for,
    register_model,
    run,
    stochastic_rate,
)


@pytest.mark.parametrize("theta,current", [(1.0, 0.3), (1.0, 0.25), (2.0, 0.7)])
def test_if_constant_input_period(theta, current):
    """IF with hard reset and constant input fires every ceil(θ/I) steps."""
    p = IFParams(v_th=theta, reset="hard")
    T = 60
    s, _, _ = run(p, np.full((T, 1), current, np.float32))
    times = np.flatnonzero(s[:, 0])
    period = math.ceil(theta / current - 1e-6)
    assert times[0] == period - 1
    assert np.all(np.diff(times) == period)


def test_if_soft_reset_mean_rate():
    s, _, _ = run(IFParams(v_th=1.0), np.full((1000, 1), 0.3, np.float32))
    assert abs(s.sum() - 300) <= 1


def test_lif_decays_by_beta():
    p = LIFParams(beta=0.8, v_th=100.0)
    cur = np.zeros((5, 1), np.float32)
    cur[0] = 1.0
    _, v, _ = run(p, cur, record_v=True)
    np.testing.assert_allclose(v[:, 0], 0.8 ** np.arange(5), rtol=1e-6)
    assert beta_from_tau(10e-3, 1e-3) == pytest.approx(math.exp(-0.1))


def test_soft_vs_hard_reset():
    cur = np.array([[1.5], [0.0]], np.float32)
    _, vs, _ = run(LIFParams(beta=1.0, reset="soft"), cur, record_v=True)
    _, vh, _ = run(LIFParams(beta=1.0, reset="hard", v_reset=0.1), cur, record_v=True)
    assert vs[0, 0] == pytest.approx(0.5) and vh[0, 0] == pytest.approx(0.1)


def test_fast_path_equals_protocol_step():
    rng = np.random.default_rng(0)
    cur = rng.normal(0.4, 0.5, (30, 3, 7)).astype(np.float32)
    for reset in ("soft", "hard"):
        p = LIFParams(beta=0.9, v_th=1.0, reset=reset)
        s_fast, v_fast, _ = run(p, cur, record_v=True)
        st = lif_init(p, cur.shape[1:])
        for t in range(30):
            s, st = lif_step(st, cur[t], p)
            np.testing.assert_array_equal(s, s_fast[t])
            np.testing.assert_allclose(st.v, v_fast[t], rtol=1e-6, atol=1e-6)


def test_refractory_blocks_spikes():
    p = LIFParams(beta=1.0, v_th=1.0, reset="hard", refractory=3)
    s, _, _ = run(p, np.full((20, 1), 2.0, np.float32))
    times = np.flatnonzero(s[:, 0])
    assert np.all(np.diff(times) == 4)


def test_adaptive_lif_rate_adapts():
    p = AdaptiveLIFParams(beta=0.95, v_th=1.0, beta_a=0.98, b=0.3)
    s, _, _ = run(p, np.full((200, 1), 0.5, np.float32))
    isi = np.diff(np.flatnonzero(s[:, 0]))
    assert isi[-1] > isi[0]


def test_stochastic_neuron_probability():
    r = stochastic_rate(np.zeros((2000,)), StochasticParams(), n_iter=20, rng=1)
    assert abs(r.mean() - 0.5) < 0.02
    r2 = stochastic_rate(np.full((2000,), 2.0), StochasticParams(), n_iter=20, rng=1)
    assert abs(r2.mean() - 1 / (1 + math.exp(-2))) < 0.02
    np.testing.assert_array_equal(
        r, stochastic_rate(np.zeros((2000,)), StochasticParams(), n_iter=20, rng=1))


def test_per_instance_params_equal_loop():
    rng = np.random.default_rng(3)
    N, B, n = 3, 4, 5
    beta = rng.uniform(0.7, 0.99, (N, 1, n)).astype(np.float32)
    th = rng.uniform(0.5, 1.5, (N, 1, n)).astype(np.float32)
    cur = rng.normal(0.3, 0.4, (25, N, B, n)).astype(np.float32)
    s, _, _ = run(LIFParams(beta=beta, v_th=th), cur)
    for k in range(N):
        sk, _, _ = run(LIFParams(beta=beta[k], v_th=th[k]), cur[:, k])
        np.testing.assert_array_equal(s[:, k], sk)


def test_protocol_registration_and_errors():
    class MyParams:
        pass

    with pytest.raises(ParameterError, match="No neuron model"):
        model_for(MyParams())
    register_model(MyParams, lambda p, shape, xp=np: np.zeros(shape, np.float32),
                   lambda st, cur, p, dt=1.0: ((cur > 0).astype(np.float32), st))
    s, _, _ = run(MyParams(), np.array([[1.0], [-1.0]], np.float32))
    np.testing.assert_array_equal(s[:, 0], [1, 0])
    with pytest.raises(ParameterError, match="v_th"):
        LIFParams(v_th=-1.0)
    with pytest.raises(ParameterError, match="reset"):
        LIFParams(reset="bogus")


def test_backend_seam():
    assert get_xp("numpy") is np
    with pytest.raises(ParameterError, match="valid backends"):
        get_xp("jax")
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(ParameterError, match="CuPy"):
            get_xp("cupy")
