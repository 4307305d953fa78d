"""Bit-line AC → skrf Network → vector fitting → settling; read energy per MVM."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurocircuit.circuits import crossbar as cx
from neurocircuit.evaluate import ac_crossbar as ac


def test_settling_time_helper():
    t = np.linspace(0, 10, 100001)
    y = 1 - np.exp(-t)
    assert ac.settling_time(t, y, 0.01, final=1.0) == pytest.approx(np.log(100), rel=1e-6)


@pytest.mark.ngspice
def test_vector_fit_and_dominant_pole_settling(tmp_path):
    skrf = pytest.importorskip("skrf")
    nw = ac.bitline_network(touchstone=str(tmp_path / "bitline"))
    assert (tmp_path / "bitline.s2p").exists()
    back = skrf.Network(str(tmp_path / "bitline.s2p"))
    assert np.allclose(back.y, nw.y, rtol=1e-5, atol=1e-12)
    # passive, reciprocal two-port
    assert np.allclose(nw.y[:, 0, 1], nw.y[:, 1, 0], rtol=1e-6, atol=1e-15)
    fit = ac.fit_network(nw)
    assert fit["rms_rel_max"] < 0.01
    assert np.all(fit["poles"].real < 0)
    st = ac.settling_from_poles(fit["vf"], 1, 0)
    tr = ac.transient_settling()
    assert st["t_settle_dominant"] == pytest.approx(tr["t_settle"], rel=0.10)
    # the DC transfer is the series conductance of the driven cell path
    assert abs(st["dc"]) == pytest.approx(abs(tr["i"][-1]), rel=0.01)


@pytest.mark.ngspice
def test_read_energy_matches_sum_v2_g_t():
    p = dataclasses.replace(cx.CROSSBAR_4X4, c_row=1e-15, c_col=1e-15)
    v = np.array([0.2, 0.1, 0.15, 0.05])
    res = ac.read_energy_latency(p, v_in=v, t_read=10e-9)
    assert abs(res["energy_rel_err"]) < 0.05
    assert 0 < res["latency_s"] < 1e-9
