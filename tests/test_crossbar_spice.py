"""Crossbar decks in ngspice against the nodal solver."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurocircuit.circuits import crossbar as cx
from neurocircuit.hardware import crossbar as cb

TIGHT = {"reltol": 1e-9, "abstol": 1e-18, "vntol": 1e-12, "gmin": 1e-18}


def _sense(r, m):
    return np.array([r[f"i(vout{j})"][0] for j in range(m)])


def _linear_case(n, seed):
    from neurocircuit.spice import Op, simulate

    p = cx.CrossbarParams(rows=n, cols=n, r_row=2.0, r_col=3.0, r_driver=20.0, r_sense=15.0,
                          seed=seed)
    g = cx.cell_conductances(p)
    v = np.random.default_rng(seed).uniform(0.05, 0.3, n)
    i_sp = _sense(simulate(cx.read_testbench(p, v_in=v), Op(), options=TIGHT), n)
    i_cb = cb.solve(g, v, p.r_row, p.r_col, p.r_driver, p.r_sense).i_col
    assert np.max(np.abs(v @ g - i_sp) / i_sp) > 1e-3  # the wires matter
    assert np.max(np.abs(i_cb - i_sp) / np.abs(i_sp)) < 1e-6


def test_decks_deterministic_and_zero_resistances_merge_nodes():
    p = dataclasses.replace(cx.CROSSBAR_4X4, r_row=0, r_driver=0, r_sense=0)
    text = cx.read_testbench(p).text()
    assert text == cx.read_testbench(p).text()
    assert "Rdrv" not in text and "Rr" not in text and "Rsen" not in text
    assert "Rk0_0 bl0_0 bl1_0" in text and "Rc0_0 in0 bl0_0" in text
    with_caps = cx.crossbar_array(dataclasses.replace(cx.CROSSBAR_4X4, c_row=1e-15, c_col=2e-15))
    assert sum(line.startswith(("Cr", "Ck")) for line in with_caps.lines) == 32
    assert ".lib" in cx.crossbar_netlist(cx.CROSSBAR_1T1R_4X4).text()


@pytest.mark.ngspice
def test_linear_16x16_matches_ngspice():
    _linear_case(16, 1)


@pytest.mark.ngspice
@pytest.mark.slow
def test_linear_64x64_matches_ngspice():
    _linear_case(64, 2)


@pytest.mark.ngspice
def test_yakopcic_cells_match_ngspice():
    from neurocircuit.spice import Op, simulate

    p = cx.CrossbarParams(rows=12, cols=12, device="yakopcic", r_row=2.0, r_col=3.0,
                          r_driver=5.0, r_sense=5.0)
    x = cx.cell_states(p)
    v = np.random.default_rng(5).uniform(0.1, 1.5, 12)
    i_sp = _sense(simulate(cx.read_testbench(p, v_in=v), Op(), options=TIGHT), 12)
    y = cx.DEVICES["yakopcic"]
    i_cb = cb.solve(cb.SinhCell(y.a1, y.a2, y.b, x), v, 2.0, 3.0, 5.0, 5.0).i_col
    assert np.max(np.abs(i_cb - i_sp) / np.abs(i_sp)) < 0.01


@pytest.mark.ngspice
def test_single_cell_read_v_half_blocks_sneak_paths():
    from neurocircuit.spice import Op, simulate

    p = dataclasses.replace(cx.CROSSBAR_4X4, r_row=0, r_col=0, r_driver=0, r_sense=0)
    g = cx.cell_conductances(p)
    r = simulate(cx.sneak_read_testbench(p, 1, 2, v=0.2), Op())
    i_sel = r["i(vout2)"][0]
    # the selected column collects the selected cell at V plus half-selected cells at V/2
    expect = g[1, 2] * 0.2 + (g[:, 2].sum() - g[1, 2]) * 0.1
    assert i_sel == pytest.approx(expect, rel=1e-6)
    sol = cb.CrossbarSolver((4, 4)).solve_linear(
        g, [0.1, 0.2, 0.1, 0.1], v_col=[0.1, 0.1, 0.0, 0.1]
    )
    assert sol.i_col[2] == pytest.approx(i_sel, rel=1e-6)


@pytest.mark.ngspice
def test_1t1r_access_device_adds_series_resistance():
    from neurocircuit.spice import Op, simulate

    p = cx.CROSSBAR_1T1R_4X4
    i = _sense(simulate(cx.read_testbench(p), Op()), 4)
    ideal = cx.cell_conductances(p).sum(axis=0) * p.v_read
    assert np.all(i < ideal) and np.all(i > 0.5 * ideal)
    off = _sense(simulate(cx.read_testbench(dataclasses.replace(p, v_gate=0.0)), Op()), 4)
    assert np.all(np.abs(off) < 1e-3 * ideal)


@pytest.mark.ngspice
def test_row_programming_v_half_moves_selected_cells_only():
    from neurocircuit.spice import simulate

    p = cx.CrossbarParams(rows=3, cols=3, device="yakopcic", r_row=1, r_col=1, r_driver=1,
                          r_sense=1, x_min=0.2, x_max=0.2)
    # V/2 scheme with V_p < v_prog < 2 V_p: half-selected cells (0.15 V) stay below threshold
    nl, tran = cx.program_row_testbench(p, row=1, columns=[0, 2], v_prog=0.3, width=200e-6)
    r = simulate(nl, tran)
    dx = {(i, j): r[f"v(xc{i}_{j}.x)"][-1] - 0.2 for i in range(3) for j in range(3)}
    assert dx[(1, 0)] > 0.05 and dx[(1, 2)] > 0.05
    for key, val in dx.items():
        if key not in ((1, 0), (1, 2)):
            assert abs(val) < 1e-9


@pytest.mark.ngspice
def test_characterize_crossbar_writes_json_and_heatmap(tmp_path):
    from neurocircuit.evaluate.characterize_crossbars import CHARACTERIZERS

    res = CHARACTERIZERS["crossbar-1r"](cx.CROSSBAR_4X4, tmp_path, mc=2, progress=False)
    assert (tmp_path / "characterization.json").exists() and (tmp_path / "ir_drop.png").exists()
    assert res["solver_vs_spice_max_rel"] < 1e-6
    assert abs(res["read_energy_rel_err"]) < 0.05
    assert 0 < res["ir_drop_max"] < 0.05
