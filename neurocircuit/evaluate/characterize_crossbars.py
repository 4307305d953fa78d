"""Crossbar characterisation: solver vs SPICE, IR drop, read energy and latency.

For a :class:`~neurocircuit.circuits.crossbar.CrossbarParams`:

- ngspice ``.op`` read with every row at ``v_read`` vs the nodal solver
  (:mod:`neurocircuit.hardware.crossbar`): max relative column-current error;
- IR drop: relative cell-voltage error 1 − V_cell/V_in over the array (heat map PNG) and the
  column-current error vs the ideal Gᵀ·V;
- read energy per MVM from a SPICE pulse vs Σ V²·G·t_read and the read latency
  (:func:`neurocircuit.evaluate.ac_crossbar.read_energy_latency`);
- Monte Carlo (``mc > 0``): the same solver read over ``mc`` seeds of the conductance draw
  (vectorised; ``workers``/``scheduler`` are accepted for the CLI's uniform signature).

Non-resistor device cells are solved with their static I–V (Yakopcic: sinh cell; linear-law
models: G = 1/R(x)). 1T1R arrays are characterised in SPICE only (no solver comparison).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..circuits import crossbar as cx
from ..circuits.memristors import YakopcicParams
from ..hardware import crossbar as cb
from ..hardware import memristor as hm
from .ac_crossbar import read_energy_latency

__all__ = ["solver_cell", "characterize_crossbar", "CHARACTERIZERS"]


def solver_cell(p: cx.CrossbarParams, g=None, x=None):
    """The solver's cell object for the array's device (same draw as the deck)."""
    if p.device == "resistor":
        return cb.LinearCell(cx.cell_conductances(p) if g is None else np.asarray(g))
    dev = cx.DEVICES[p.device]
    xx = cx.cell_states(p) if x is None else np.asarray(x)
    if isinstance(dev, YakopcicParams):
        return cb.SinhCell(dev.a1, dev.a2, dev.b, xx)
    return cb.LinearCell(hm.conductance(dev, xx, 1.0))


def _heatmap(out: Path, err: np.ndarray) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    im = ax.imshow(err * 100, cmap="inferno", origin="upper")
    fig.colorbar(im, ax=ax, label="cell-voltage drop (%)")
    ax.set_xlabel("column j (driver at j = 0)")
    ax.set_ylabel("row i (sense at the last row)")
    ax.set_title("IR drop")
    fig.tight_layout()
    fig.savefig(out / "ir_drop.png", dpi=100)
    plt.close(fig)
    return "ir_drop.png"


def characterize_crossbar(
    params: cx.CrossbarParams,
    out_dir,
    mc: int = 0,
    workers=None,
    scheduler=None,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Run the crossbar characterisation; write JSON + plots; return the results dict."""
    from ..spice import Op, simulate

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = params
    v = np.full(p.rows, p.v_read)
    r = simulate(cx.read_testbench(p), Op(), options={"reltol": 1e-9, "abstol": 1e-18},
                 timeout=600.0)
    i_spice = np.array([r[f"i(vout{j})"][0] for j in range(p.cols)])
    result: dict = {"rows": p.rows, "cols": p.cols, "device": p.device, "access": p.access,
                    "i_col_spice_A": i_spice.tolist()}
    wires = (p.r_row, p.r_col, p.r_driver, p.r_sense)
    if p.access == "none":
        cell = solver_cell(p)
        sol = cb.solve(cell, v, *wires, nodes=True)
        ideal = cell.current(np.broadcast_to(v[:, None], (p.rows, p.cols))).sum(axis=0)
        drop = 1.0 - sol.v_cell / v[:, None]
        result.update(
            i_col_solver_A=sol.i_col.tolist(),
            solver_vs_spice_max_rel=float(np.max(np.abs(sol.i_col - i_spice) / np.abs(i_spice))),
            ir_drop_max=float(drop.max()),
            ir_drop_mean=float(drop.mean()),
            column_error_vs_ideal_max=float(np.max(np.abs(sol.i_col - ideal) / np.abs(ideal))),
            plots=[_heatmap(out, drop)],
        )
        if mc > 0 and p.device == "resistor":
            errs = []
            for k in range(mc):
                pk = dataclasses.replace(p, seed=seed + k)
                g = cx.cell_conductances(pk)
                s = cb.solve(g, v, *wires)
                errs.append(float(np.max(np.abs(s.i_col - v @ g) / (v @ g))))
            result.update(mc=mc, column_error_mc_mean=float(np.mean(errs)),
                          column_error_mc_std=float(np.std(errs)))
    if p.device == "resistor":
        pe = p if (p.c_row or p.c_col) else dataclasses.replace(p, c_row=1e-15, c_col=1e-15)
        e = read_energy_latency(pe, v_in=v)
        result.update({f"read_{k}": val for k, val in e.items()})
        result["read_caps_F"] = [pe.c_row, pe.c_col]
    (out / "characterization.json").write_text(json.dumps(result, indent=1))
    return result


CHARACTERIZERS = {
    "crossbar-1r": characterize_crossbar,
    "crossbar-1t1r": characterize_crossbar,
}
