"""Memristor models: subcircuits vs physics, vs the numpy model; programming; PCM."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurocircuit.circuits import memristors as mem
from neurocircuit.errors import ParameterError
from neurocircuit.evaluate import characterize_devices as cd
from neurocircuit.hardware import memristor as hm
from neurocircuit.hardware import pcm

ENTRIES = {e.name: e for e in mem.CATALOG}
DEVICES = sorted(ENTRIES)


def test_catalog_and_decks_are_deterministic():
    assert set(DEVICES) == {
        "memristor-hp-joglekar", "memristor-hp-biolek", "memristor-vteam", "memristor-yakopcic"
    }
    for e in mem.CATALOG:
        assert e.family == "device"
        a, b = e.generate().text(), e.generate().text()
        assert a == b and "stp(" not in a and ".subckt" in a
        assert all(e.preset_docs.get(p) for p in e.presets)


def test_static_subckt_has_no_state_equation():
    sub = mem.memristor_subckt(mem.YAKOPCIC_OBLEA, probe=False, static=True)
    assert sub.ports == ("p", "n") and not any(line.startswith("C") for line in sub.lines)


def test_params_validation():
    with pytest.raises(ParameterError, match="r_on"):
        mem.LinearDriftParams(r_on=-1)
    with pytest.raises(ParameterError, match="window"):
        mem.LinearDriftParams(window="prodromakis")
    with pytest.raises(ParameterError, match="w_off"):
        mem.VTEAMParams(w_on=4e-9)


def test_hp_without_window_matches_charge_formula():
    # M(q) = R_off(1 − µ_v R_on q / D²) when R_on ≪ R_off (x0 = 0): check the numpy model.
    p = mem.LinearDriftParams(window="none", x0=0.0, r_on=1.0, r_off=16e3)
    t = np.linspace(0, 1.0, 2001)
    x, i = hm.integrate(p, lambda s: 1.0 + 0 * s, t)
    q = np.concatenate([[0], np.cumsum(0.5 * (i[1:] + i[:-1]) * np.diff(t))])
    m_num = 1.0 / (i / 1.0)
    k = p.mu_v * p.r_on / p.d**2
    m_formula = p.r_off - (p.r_off - p.r_on) * k * q
    assert np.max(np.abs(m_num - m_formula) / m_formula) < 1e-6


@pytest.mark.ngspice
@pytest.mark.parametrize("name", DEVICES)
def test_pinched_loop_and_lobe_area_shrinks(name):
    p = ENTRIES[name].params()
    amp, f0 = cd.SINE_DEFAULTS[type(p)]
    areas = []
    for f in (f0, 2 * f0, 4 * f0):
        d = cd.simulate_sine(p, amp, f)
        assert cd.pinch_ratio(d["t"], d["i"], f) < 1e-6
        areas.append(cd.lobe_area(d["t"], d["v"], d["i"], f))
    assert areas[0] > areas[1] > areas[2] > 0


@pytest.mark.ngspice
@pytest.mark.parametrize("name", DEVICES)
def test_numpy_model_follows_ngspice_state(name):
    p = ENTRIES[name].params()
    amp, f = cd.SINE_DEFAULTS[type(p)]
    d = cd.simulate_sine(p, amp, f, periods=2)
    t = np.linspace(0, 2 / f, 2001)
    x_np, _ = hm.integrate(p, lambda s: amp * np.sin(2 * np.pi * f * s), t, substeps=2)
    x_sp = np.interp(t, d["t"], d["x"])
    assert np.ptp(x_np) > 0.05  # the state really moves
    assert np.max(np.abs(x_sp - x_np)) < 0.01 * np.max(np.abs(x_np))


@pytest.mark.ngspice
@pytest.mark.parametrize(
    ("name", "amp"), [("memristor-vteam", 0.019), ("memristor-yakopcic", 0.14)]
)
def test_threshold_models_do_not_move_below_threshold(name, amp):
    p = ENTRIES[name].params()
    d = cd.simulate_sine(p, amp, cd.SINE_DEFAULTS[type(p)][1])
    assert np.max(np.abs(d["x"] - p.x0)) < 1e-9
    t = np.linspace(0, 1e-3, 101)
    x, _ = hm.integrate(p, lambda s: amp * np.sin(2 * np.pi * 1e4 * s), t)
    assert np.all(x == p.x0)
    # and just above threshold they do move
    x2, _ = hm.integrate(p, lambda s: 3 * amp * np.sin(2 * np.pi * 1e4 * s), t)
    assert np.ptp(x2) > 0


def test_programming_curves_monotone_and_figures_of_merit():
    for p in (mem.HP_JOGLEKAR, mem.VTEAM_MEMTORCH, mem.YAKOPCIC_OBLEA):
        c = cd.programming_curves(p)
        assert np.all(np.diff(c["g_pot"]) >= 0) and c["g_pot"][-1] > c["g_pot"][0]
        assert np.all(np.diff(c["g_dep"]) <= 0) and c["g_dep"][-1] < c["g_dep"][0]
        assert 0 < hm.nonlinearity(c["g_pot"]) < 0.5
        assert hm.distinguishable_levels(c["g_pot"], 1e-12) == len(c["g_pot"])
    lin = np.linspace(0, 1, 11)
    assert hm.nonlinearity(lin) == pytest.approx(0.0, abs=1e-15)
    assert hm.asymmetry(lin, lin[::-1]) == 0.0
    assert hm.distinguishable_levels(lin, 0.0999, k_sigma=2.0) == 6


def test_d2d_and_c2c_are_seeded():
    p = dataclasses.replace(mem.YAKOPCIC_OBLEA, a1_d2d=0.1, v_p_d2d=0.05, dx_c2c=0.1)
    a = mem.sample_d2d(p, 3, n=50)
    b = mem.sample_d2d(p, 3, n=50)
    assert np.array_equal(a.a1, b.a1) and np.std(a.a1) / 0.17 == pytest.approx(0.1, rel=0.4)
    single = mem.sample_d2d(p, 3)
    assert isinstance(single.a1, float)
    with pytest.raises(ParameterError, match="rng"):
        hm.program_pulses(p, 0.45, 50e-6, 3)
    g1, _ = hm.program_pulses(a, 0.45, 50e-6, 5, x0=np.full(50, 0.11), rng=1)
    g2, _ = hm.program_pulses(a, 0.45, 50e-6, 5, x0=np.full(50, 0.11), rng=1)
    assert np.array_equal(g1, g2) and g1.shape == (6, 50) and np.std(g1[-1]) > 0


def test_pcm_statistics():
    p = pcm.PCM_AIHWKIT
    gt = np.full(20000, 12.5e-6)
    gp = pcm.program(p, gt, 0)
    x = 0.5
    sigma = (0.26348 + 1.9650 * x - 1.1731 * x**2) * 1e-6
    assert np.std(gp) == pytest.approx(sigma, rel=0.03)
    nu = pcm.drift_nu(p, gt, 1)
    assert np.mean(nu) == pytest.approx(np.clip(-0.0155 * np.log(x) + 0.0244, 0.049, 0.1), rel=0.02)
    g_day = pcm.drift(p, gp, nu, 86400.0)
    assert np.mean(g_day) < np.mean(gp)
    assert np.allclose(pcm.drift(p, gp, nu, p.t0), gp)
    r1 = pcm.read(p, g_day, gt, 86400.0, 5)
    assert np.array_equal(r1, pcm.read(p, g_day, gt, 86400.0, 5)) and np.std(r1 - g_day) > 0
    assert np.all(pcm.program_and_read(p, gt, 3600.0, 2) >= 0)


@pytest.mark.ngspice
@pytest.mark.slow
def test_characterize_device_writes_json_and_plots(tmp_path):
    res = cd.CHARACTERIZERS["memristor-hp-biolek"](mem.HP_BIOLEK, tmp_path, mc=4, seed=1)
    assert (tmp_path / "characterization.json").exists()
    assert (tmp_path / "iv_loops.png").exists() and (tmp_path / "programming.png").exists()
    assert res["lobe_area_monotone"] and res["pinch_ratio_max"] < 1e-6
    assert res["levels_pot"] >= 2 and res["mc"] == 4 and res["g_final_cv"] > 0


def test_biolek_reproduces_the_reference_run():
    # circuits.md §3.1 [S]: HP/Biolek p = 2, x0 = 0.1, 1.2 V 1 Hz sine -> |i|max ≈ 118 µA,
    # x from 0.10 to 0.54 (two periods).
    t = np.linspace(0, 2.0, 1001)
    x, i = hm.integrate(mem.HP_BIOLEK, lambda s: 1.2 * np.sin(2 * np.pi * s), t)
    assert np.max(np.abs(i)) == pytest.approx(118e-6, rel=0.02)
    assert x.min() == pytest.approx(0.10, abs=0.005) and x.max() == pytest.approx(0.54, abs=0.01)
