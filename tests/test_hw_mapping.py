"""Crossbar mapping: exact ideal read, quantisation, noise statistics, ADC, IR drop, chips."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.hardware import mapping as mp


def _w(seed=0, shape=(20, 150)):
    return np.random.default_rng(seed).normal(0, 1, shape)


@pytest.mark.parametrize("scheme", ["differential", "offset"])
def test_ideal_read_is_exact(scheme):
    spec = mp.CrossbarSpec(levels=0, scheme=scheme, tile_rows=64, tile_cols=8)
    w = _w()
    xbar = mp.program(w, spec, np.random.default_rng(0), n_chips=2)
    x = (np.random.default_rng(1).random((5, 150)) < 0.3).astype(float)
    y = mp.read(xbar, x)
    assert y.shape == (2, 5, 20)
    assert np.allclose(y, x @ w.T, rtol=1e-10, atol=1e-12)
    assert np.allclose(xbar.effective_weights()[0], w)
    assert xbar.g_pos.min() >= spec.g_min - 1e-18 and xbar.g_pos.max() <= spec.g_max + 1e-18


def test_quantization_levels():
    spec = mp.CrossbarSpec(levels=5)
    xbar = mp.program(_w(), spec, np.random.default_rng(0))
    step = (spec.g_max - spec.g_min) / 4
    k = (xbar.g_pos - spec.g_min) / step
    assert np.allclose(k, np.round(k)) and len(np.unique(np.round(k))) <= 5
    err = np.abs(xbar.effective_weights()[0] - _w())
    assert err.max() <= 0.5 * step * xbar.scale * 2 + 1e-12


def test_c2c_noise_statistics_and_chip_independence():
    spec = mp.CrossbarSpec(levels=0, g_c2c=0.02)
    w = np.zeros((100, 100))
    xbar = mp.program(w, spec, np.random.default_rng(0), n_chips=3)
    d = xbar.g_pos - spec.g_min
    assert d.std() == pytest.approx(0.02 * spec.g_max, rel=0.05)
    assert not np.allclose(xbar.g_pos[0], xbar.g_pos[1])


def test_faults_fractions():
    """All positive targets sit at g_max and all negative ones at g_min, so stuck devices show
    up as the opposite extreme."""
    spec = mp.CrossbarSpec(levels=0, p_stuck_on=0.1, p_stuck_off=0.2)
    xbar = mp.program(np.full((100, 100), 0.5), spec, np.random.default_rng(0))
    assert np.mean(xbar.g_pos == spec.g_min) == pytest.approx(0.2, abs=0.015)
    assert np.mean(xbar.g_neg == spec.g_max) == pytest.approx(0.1, abs=0.015)


def test_drift_power_law():
    spec = mp.CrossbarSpec(levels=0, drift_nu=0.05, drift_time=2000.0, drift_t0=20.0)
    xbar = mp.program(np.ones((3, 3)), spec, np.random.default_rng(0))
    assert xbar.g_pos[0, 0, 0] == pytest.approx(spec.g_max * 100 ** (-0.05))


def test_adc_quantization_error_bounded():
    spec = mp.CrossbarSpec(levels=0, adc_bits=6, tile_rows=50, tile_cols=20)
    w = _w()
    xbar = mp.program(w, spec, np.random.default_rng(0))
    x = (np.random.default_rng(1).random((200, 150)) < 0.3).astype(float)
    y = mp.read(xbar, x, calibrate=True)[0]
    ideal = x @ w.T
    rel = np.abs(y - ideal).mean() / np.abs(ideal).mean()
    assert 0 < rel < 0.05
    coarse = mp.read(mp.program(w, mp.CrossbarSpec(levels=0, adc_bits=3, tile_rows=50),
                                np.random.default_rng(0)), x, calibrate=True)[0]
    assert np.abs(coarse - ideal).mean() > np.abs(y - ideal).mean()


def test_ir_drop_reduces_currents_and_matches_small_r_limit():
    spec0 = mp.CrossbarSpec(levels=0, tile_rows=32, tile_cols=8)
    w = np.abs(_w(shape=(8, 32)))
    x = np.ones((2, 32))
    ideal = mp.read(mp.program(w, spec0, np.random.default_rng(0)), x)
    tiny = mp.read(mp.program(w, mp.CrossbarSpec(levels=0, tile_rows=32, tile_cols=8,
                                                 r_wire=1e-6), np.random.default_rng(0)), x)
    big = mp.read(mp.program(w, mp.CrossbarSpec(levels=0, tile_rows=32, tile_cols=8,
                                                r_wire=50.0), np.random.default_rng(0)), x)
    assert np.allclose(tiny, ideal, rtol=1e-6)
    assert np.all(np.abs(big) < np.abs(ideal) + 1e-12) and not np.allclose(big, ideal, rtol=1e-3)


def test_read_energy():
    spec = mp.CrossbarSpec(levels=0)
    w = _w(shape=(4, 6))
    xbar = mp.program(w, spec, np.random.default_rng(0))
    x = np.ones((1, 6))
    e = mp.read_energy(xbar, x)
    g_tot = (xbar.g_pos + xbar.g_neg).sum()
    assert e[0, 0] == pytest.approx(spec.v_read**2 * g_tot * spec.t_read)


def test_errors():
    with pytest.raises(ParameterError, match="'g_max'"):
        mp.CrossbarSpec(g_min=1e-5, g_max=1e-6)
    xbar = mp.program(_w(shape=(3, 4)), mp.CrossbarSpec(), np.random.default_rng(0))
    with pytest.raises(ParameterError, match="end in 4"):
        mp.read(xbar, np.zeros((2, 5)))
    with pytest.raises(ParameterError, match="rng"):
        mp.read(mp.program(_w(shape=(3, 4)), mp.CrossbarSpec(read_noise=0.1),
                           np.random.default_rng(0)), np.zeros((2, 4)))
