"""Crossbar nodal solver against exact results (no ngspice)."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.hardware import crossbar as cb


@pytest.fixture
def array():
    rng = np.random.default_rng(0)
    return rng.uniform(1e-6, 1e-4, (16, 12)), rng.uniform(-0.3, 0.3, (7, 16))


def test_ideal_wires_give_gt_v_exactly(array):
    g, v = array
    ref = v @ g
    for nodes in (False, True):
        sol = cb.solve(g, v, nodes=nodes)
        assert np.max(np.abs(sol.i_col - ref) / np.abs(ref)) < 1e-12
    assert np.max(np.abs(cb.solve(g, v[0]).i_col - g.T @ v[0]) / np.abs(g.T @ v[0])) < 1e-12


@pytest.mark.parametrize(
    "wires", [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 5, 0), (0, 0, 0, 5), (1, 2, 5, 5), (1, 0, 5, 0)]
)
def test_iterative_matches_direct_and_wires_reduce_current(array, wires):
    g, v = array
    v = np.abs(v)
    d = cb.solve(g, v, *wires)
    it = cb.solve(g, v, *wires, method="iterative", tol=1e-13)
    assert np.max(np.abs(d.i_col - it.i_col) / np.abs(d.i_col)) < 1e-9
    assert np.all(d.i_col <= (v @ g) * (1 + 1e-12)) and np.any(d.i_col < (v @ g) * (1 - 1e-6))


def test_kcl_and_node_voltages(array):
    g, v = array
    v = np.abs(v)
    sol = cb.solve(g, v, 1.0, 2.0, 10.0, 20.0, nodes=True)
    # sense current equals the last bit-line node voltage over r_sense
    assert np.allclose(sol.i_col, sol.v_bl[:, -1, :] / 20.0, rtol=1e-9)
    # driver current equals the sum of the row's cell currents
    i_row = (v - sol.v_wl[:, :, 0]) / 10.0
    assert np.allclose(i_row, (g * sol.v_cell).sum(axis=2), rtol=1e-9)


def test_single_line_reproduces_the_ladder():
    for n, r, g in ((16, 1.0, 1e-5), (64, 0.5, 2e-5), (128, 2.0, 1e-6)):
        sol = cb.solve(np.full((1, n), g), np.array([1.0]), r_row=r, nodes=True)
        drop = 1.0 - sol.v_cell[0]
        assert drop[-1] == pytest.approx(cb.ladder_far_end_drop(r, g, n), rel=1e-9)
        assert drop[-1] == pytest.approx(r * g * n * n / 2, rel=2.0 / n + r * g * n * n)
        assert np.all(np.diff(drop) > 0)  # error grows with distance from the driver


def test_error_grows_with_distance_in_2d():
    g = np.full((32, 32), 5e-5)
    sol = cb.solve(g, np.full(32, 0.2), 2.0, 2.0, nodes=True)
    err = 1.0 - sol.v_cell / 0.2
    assert np.all(np.diff(err, axis=1) > 0)  # along the word line, away from the driver
    assert np.all(np.diff(err, axis=0) < 0)  # toward the sense end of the bit line


def test_nonlinear_cells_linear_limit_and_function_cell(array):
    g, v = array
    v = np.abs(v)
    b = 1e-4  # sinh(b v) ~ b v: linear with G = a x b
    x = g / (1.0 * b)
    sinh = cb.SinhCell(1.0, 1.0, b, x)
    lin = cb.solve(g, v, 1, 2, 5, 5).i_col
    nl = cb.solve(sinh, v, 1, 2, 5, 5).i_col
    assert np.max(np.abs(nl - lin) / lin) < 1e-6
    fc = cb.FunctionCell(lambda u: 1e-4 * np.sinh(3 * u), lambda u: 3e-4 * np.cosh(3 * u))
    s = cb.CrossbarSolver((16, 12), 1, 2, 5, 5).solve_nonlinear(fc, v, nodes=True)
    # KCL at the sense: i_col = V_BL(last)/r_sense
    assert np.allclose(s.i_col, s.v_bl[:, -1, :] / 5, rtol=1e-9)


def test_column_bias_v_half_scheme():
    g = np.full((4, 4), 1e-4)
    v_rows = np.array([0.2, 0.1, 0.1, 0.1])
    v_cols = np.array([0.0, 0.1, 0.1, 0.1])
    sol = cb.CrossbarSolver((4, 4)).solve_linear(g, v_rows, v_col=v_cols, nodes=True)
    assert sol.i_col[0] == pytest.approx(1e-4 * 0.2 + 3 * 1e-4 * 0.1)
    assert sol.v_cell[1:, 1:] == pytest.approx(np.zeros((3, 3)))


def test_bad_inputs():
    with pytest.raises(ParameterError):
        cb.solve(np.ones((3, 3)), np.ones(4))
    with pytest.raises(ParameterError):
        cb.CrossbarSolver((3, 3), r_row=-1)
    with pytest.raises(ParameterError):
        cb.solve(np.ones((3, 3)), np.ones(3), method="magic", r_row=1)
