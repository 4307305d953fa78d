"""The generic 180 nm cards, simulated: swing, κ, corners, temperature, Pelgrom mismatch.

Also the pure extraction functions of :mod:`neurocircuit.measure.mos` against analytic curves.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocircuit.circuits.process import GENERIC_180
from neurocircuit.circuits.testbench_mos import idvd_bench, idvg_bench, mismatch_array_bench
from neurocircuit.errors import FitError, ParameterError
from neurocircuit.measure.mos import (
    mos_dc_metrics,
    on_current,
    slope_factor,
    subthreshold_swing,
    thermal_voltage,
    threshold_constant_current,
    threshold_max_gm,
    vgs_at_current,
)

UT27 = thermal_voltage(27.0)


# -- pure extraction --------------------------------------------------------------------------
def _ekv_like(v, kappa=0.7, vt=0.45, i0=1e-7, ut=UT27, floor=1e-16):
    """Smooth weak-to-strong inversion curve: I = i0 ln²(1 + exp(κ(V − V_T)/(2U_T))) + floor."""
    return i0 * np.log1p(np.exp(kappa * (v - vt) / (2 * ut))) ** 2 + floor


def test_swing_and_kappa_of_analytic_exponential():
    v = np.arange(0.0, 1.8001, 0.005)
    for kappa in (0.6, 0.7, 0.8):
        i = _ekv_like(v, kappa=kappa)
        s = subthreshold_swing(v, i)
        assert s == pytest.approx(UT27 * math.log(10) / kappa, rel=0.01)
        assert slope_factor(s) == pytest.approx(kappa, rel=0.01)
    assert UT27 == pytest.approx(0.025864, rel=1e-4)
    assert thermal_voltage(85.0) / UT27 == pytest.approx(358.15 / 300.15)


def test_thresholds_and_currents_of_analytic_curves():
    v = np.arange(0.0, 1.8001, 0.001)
    lin = np.where(v > 0.5, 2e-4 * (v - 0.5) * 0.05, 0.0) + 1e-15  # linear region, V_DS=50 mV
    assert threshold_max_gm(v, lin, vds=0.05) == pytest.approx(0.5 - 0.025, abs=2e-3)
    i = 1e-9 * 10 ** ((v - 0.3) / 0.08)
    assert vgs_at_current(v, i, 1e-9) == pytest.approx(0.3, abs=1e-6)
    assert threshold_constant_current(v, i, 2e-6, 1e-6, 50e-9) == pytest.approx(
        0.3 + 0.08 * 2, abs=1e-6
    )
    assert on_current(v, i, 0.3) == pytest.approx(1e-9, rel=1e-3)
    assert on_current(v, -i) == pytest.approx(i.max())  # negative (pFET) currents accepted
    m = mos_dc_metrics(v, _ekv_like(v), 1e-6, 1e-6)
    assert m.kappa == pytest.approx(0.7, rel=0.01)
    assert m.as_dict()["swing_mV_per_dec"] == pytest.approx(m.swing * 1e3)


def test_extraction_errors():
    v = np.linspace(0, 1, 50)
    with pytest.raises(FitError, match="weak-inversion"):
        subthreshold_swing(v, np.full_like(v, 1e-6))
    with pytest.raises(FitError, match="outside the swept range"):
        vgs_at_current(v, 1e-9 * np.exp(v), 1.0)
    with pytest.raises(ParameterError, match="same length"):
        subthreshold_swing(v, v[:-1])
    with pytest.raises(ParameterError, match="'swing' must be > 0"):
        slope_factor(0.0)
    with pytest.raises(ParameterError, match="'v_on'"):
        on_current(v, np.exp(v), 2.0)


def test_benches_sweep_upward_with_positive_drive():
    n = idvg_bench(GENERIC_180, "n")
    p = idvg_bench(GENERIC_180, "p", vds=0.05)
    assert (n.start, n.stop, n.step, n.polarity) == (0.0, 1.8, 5e-3, 1)
    assert (p.start, p.stop, p.step, p.polarity) == (-1.8, 0.0, 5e-3, -1)
    assert "VD d 0 DC -50m" in p.netlist.text()
    fam = idvd_bench(GENERIC_180, "p", vgs=(0.6, 1.8, 0.6))
    assert fam.outer_values() == pytest.approx([-1.8, -1.2, -0.6])
    with pytest.raises(ParameterError, match="'vds' parameter of a MOSFET bench"):
        idvg_bench(GENERIC_180, "n", vds=-1.0)
    arr = mismatch_array_bench(GENERIC_180, GENERIC_180.mismatch(1), n=3)
    assert arr.currents == ("i(vd0)", "i(vd1)", "i(vd2)")
    assert arr.netlist.text().count(" delvto=") == 3


# -- simulated cards --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def characterised():
    """Metrics of both polarities at every corner (27 °C) and at tt over temperature."""
    from neurocircuit.evaluate.mos_report import MosReportConfig, characterize_device

    cfg = MosReportConfig(cache=False)
    out = {}
    for kind in ("n", "p"):
        for corner in GENERIC_180.corners:
            proc = GENERIC_180.with_corner(corner)
            out[kind, corner, 27.0] = characterize_device(proc, kind, 27.0, cfg)
        for temp in (0.0, 85.0):
            out[kind, "tt", temp] = characterize_device(GENERIC_180, kind, temp, cfg)
    return out


@pytest.mark.ngspice
@pytest.mark.parametrize("kind", ["n", "p"])
@pytest.mark.parametrize("corner", ["tt", "ff", "ss", "fs", "sf"])
def test_swing_and_kappa_in_spec(characterised, kind, corner):
    m = characterised[kind, corner, 27.0]["metrics"]
    assert 65.0 <= m["swing_mV_per_dec"] <= 110.0
    assert 0.55 <= m["kappa"] <= 0.85
    assert 0.35 <= m["vth_cc_V"] <= 0.62
    assert 0.35 <= m["vth_gm_V"] <= 0.65
    # the swing is a weak-inversion property: I_off well below I_on
    assert m["i_on_A"] / m["i_off_A"] > 1e6


@pytest.mark.ngspice
@pytest.mark.parametrize("kind", ["n", "p"])
def test_corner_ordering_of_on_current_and_threshold(characterised, kind):
    ion = {c: characterised[kind, c, 27.0]["metrics"]["i_on_short_A"] for c in ("ff", "tt", "ss")}
    assert ion["ff"] > ion["tt"] > ion["ss"]
    assert ion["ff"] / ion["ss"] > 1.1  # a real spread, not noise
    vt = {c: characterised[kind, c, 27.0]["metrics"]["vth_cc_V"] for c in ("ff", "tt", "ss")}
    assert vt["ff"] < vt["tt"] < vt["ss"]
    # fs = fast n / slow p, sf = slow n / fast p
    fast, slow = ("fs", "sf") if kind == "n" else ("sf", "fs")
    ion_fs = characterised[kind, fast, 27.0]["metrics"]["i_on_short_A"]
    ion_sf = characterised[kind, slow, 27.0]["metrics"]["i_on_short_A"]
    assert ion_fs > ion["tt"] > ion_sf


@pytest.mark.ngspice
def test_nmos_is_stronger_than_pmos(characterised):
    n = characterised["n", "tt", 27.0]["metrics"]["i_on_short_A_per_um"]
    p = characterised["p", "tt", 27.0]["metrics"]["i_on_short_A_per_um"]
    assert 300e-6 < n < 800e-6 and 100e-6 < p < 400e-6 and 1.3 < n / p < 3.0


@pytest.mark.ngspice
@pytest.mark.parametrize("kind", ["n", "p"])
def test_temperature_dependence_of_subthreshold_current(characterised, kind):
    """At a fixed weak-inversion V_GS the current rises steeply with T; S grows with T."""
    i_at, swing = {}, {}
    for t in (0.0, 27.0, 85.0):
        e = characterised[kind, "tt", t]
        i_at[t] = float(np.interp(0.2, e["curve"]["vgs"], e["curve"]["id"]))
        swing[t] = e["metrics"]["swing_mV_per_dec"]
    assert i_at[0.0] < i_at[27.0] < i_at[85.0]
    assert i_at[85.0] / i_at[27.0] > 3.0  # exponential in T (about a decade here)
    assert swing[0.0] < swing[27.0] < swing[85.0]
    # S ∝ T at roughly constant κ: within 10 % of the absolute-temperature ratio
    assert swing[85.0] / swing[27.0] == pytest.approx(358.15 / 300.15, rel=0.1)


@pytest.mark.ngspice
@pytest.mark.parametrize("kind", ["n", "p"])
def test_simulated_mismatch_follows_pelgrom(kind):
    """σ(ΔV_T) of 1000 sampled instances, one ngspice deck, within 10 % of A_VT/√(WL)."""
    from neurocircuit.evaluate.mos_report import MosReportConfig, mismatch_check

    cfg = MosReportConfig(mismatch_n=1000, seed=11, cache=False)
    r = mismatch_check(GENERIC_180, kind, cfg)
    assert r["sigma_expected_V"] == pytest.approx(5e-3)
    assert abs(r["ratio"] - 1.0) <= 0.10
    # per instance, the simulated shift follows the drawn one (sign and scale of delvto)
    sampler = GENERIC_180.mismatch(11)
    drawn = np.array([sampler(f"M{i}", kind, cfg.w, cfg.l).dvth for i in range(1000)])
    sim = np.asarray(r["dvt_V"])
    assert np.corrcoef(drawn, sim)[0, 1] > 0.98
    slope = np.polyfit(drawn, sim, 1)[0]
    assert slope == pytest.approx(1.0, abs=0.05)


@pytest.mark.ngspice
def test_mismatch_scale_zero_gives_identical_devices():
    from neurocircuit.evaluate.mos_report import simulate_bench

    bench = mismatch_array_bench(GENERIC_180, GENERIC_180.mismatch(5, scale=0.0), n=20)
    x, cur, _, _ = simulate_bench(bench, cache=False)
    assert np.ptp(cur[:, x.size // 2]) <= 1e-9 * cur[:, x.size // 2].max()
