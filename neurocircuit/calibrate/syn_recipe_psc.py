"""First-order PSC recipes (DPI, log-domain and pulse synapses); see :mod:`.synapse_pipeline`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from .fit import Free, fit_trace
from .syn_common import (
    CMI_WIDTH,
    PSC_WIDTH,
    SynCal,
    _decimate,
    _distribution,
    _energy,
    _mc,
    _mc_fit_single,
    _mc_peak,
    _rel_std,
    _single_summary,
)
from .synapse_models import (
    ExpSynapseParams,
    exp_synapse_trace,
)
from .validate import nrmse


# ---------------------------------------------------------------------------------------------
# first-order kernels: DPI, log-domain, pulse
# ---------------------------------------------------------------------------------------------
def _tau_guess(name: str, p: Any) -> float:
    from ..circuits.synapses import dpi, log_domain

    return {"dpi-synapse": lambda: dpi.tau_estimate(p),
            "log-domain-synapse": lambda: log_domain.tau_estimate(p)}[name]()


def _exp_recipe(name: str, p: Any, mc: int, seed: int, kw: Mapping) -> SynCal:
    from .psc import calibrate_psc

    tau0 = _tau_guess(name, p)
    i_g = float(p.i_th) if name == "dpi-synapse" else None
    r = calibrate_psc(name, p, tau0, width=PSC_WIDTH, seed=seed, i_g=i_g)
    vals = r["params"]
    model = ExpSynapseParams(tau=vals["tau"], i_inf=vals["i_inf"], width=PSC_WIDTH,
                             i_rest=vals["i_rest"], i_g=vals.get("i_g", 0.0))
    stderr = dict(zip(vals, r["stderr"]))
    single, summ = _single_summary(name, p, PSC_WIDTH, model.tau)
    dist = table = None
    val: dict[str, Any] = {"psc_fit_nrmse": r["fit_nrmse"], "psc_heldout_nrmse": r["heldout_nrmse"],
                           "psc_n_spikes": r["n_spikes"], "tau_estimate_s": tau0,
                           "single_peak_a": summ["peak_a"], "single_charge_c": summ["charge_c"]}
    if mc > 0:
        names_ = ("tau", "i_inf", "i_rest")
        fn = partial(_mc_fit_single, name=name, p=p, width=PSC_WIDTH, tau=float(model.tau),
                     nominal=model, free_names=names_)
        rows, fails = _mc(fn, mc, seed, {**kw, "desc": f"{name} Monte Carlo"})
        table = np.array([x if x is not None else [np.nan] * 3 for x in rows], float)[:, :2]
        dist = _distribution(table, ("tau", "i_inf"))
        val.update({"mc_failures": fails, "mc_tau_rel_std": _rel_std(table[:, 0]),
                    "mc_i_inf_rel_std": _rel_std(table[:, 1])})
    trace = r["trace"]

    def plot(ax):
        ax.plot(trace["t"] * 1e3, trace["circuit"] * 1e12, label="ngspice (held-out train)")
        ax.plot(trace["t"] * 1e3, trace["model"] * 1e12, "--", label="fitted kernel")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("I_syn (pA)")
        ax.set_title(f"{name}: held-out NRMSE {r['heldout_nrmse']:.3f}")

    return SynCal("exp-synapse", model, stderr, val, _energy(summ), distribution=dist,
                  mc_table=table, extra={"heldout_trace": _decimate(trace)}, plot=plot)


def _pulse_recipe(name: str, p: Any, mc: int, seed: int, kw: Mapping) -> SynCal:
    from .psc import simulate_psc

    rate, t_stop = 100.0, 0.2
    t, y, times = simulate_psc(name, p, rate, t_stop, CMI_WIDTH, seed)
    grid = np.linspace(0.0, t_stop, 4000)
    yg = np.interp(grid, t, y)
    peak = max(float(np.ptp(yg)), 1e-15)
    base = ExpSynapseParams(tau=1e-6, i_inf=peak, width=CMI_WIDTH, i_rest=float(yg[0]))
    free = {"tau": Free(1e-6, 1e-8, 1e-3), "i_inf": Free(peak, peak / 10, peak * 10),
            "i_rest": Free(float(yg[0]), -peak, peak, log=False)}
    fit = fit_trace(base, grid, yg, lambda q, tt: exp_synapse_trace(q, tt, times), free,
                    n_starts=3, seed=seed, warn_rel=None)
    t2, y2, times2 = simulate_psc(name, p, rate, t_stop, CMI_WIDTH, seed + 1000)
    y2g = np.interp(grid, t2, y2)
    pred = exp_synapse_trace(fit.params, grid, times2)
    _, summ = _single_summary(name, p, CMI_WIDTH, 2e-3)
    val: dict[str, Any] = {"psc_fit_nrmse": nrmse(exp_synapse_trace(fit.params, grid, times), yg),
                           "psc_heldout_nrmse": nrmse(pred, y2g), "psc_n_spikes": int(times.size),
                           "single_peak_a": summ["peak_a"], "single_charge_c": summ["charge_c"]}
    dist = table = None
    if mc > 0:
        fn = partial(_mc_peak, name=name, p=p, width=CMI_WIDTH, tau=2e-3)
        rows, fails = _mc(fn, mc, seed, {**kw, "desc": f"{name} Monte Carlo"})
        peaks = np.array([x if x is not None else np.nan for x in rows], float)
        table = (float(fit.params.i_inf) * peaks / summ["peak_a"])[:, None]
        dist = _distribution(table, ("i_inf",))
        val.update({"mc_failures": fails, "mc_i_inf_rel_std": _rel_std(table[:, 0])})
    trace = {"t": grid, "circuit": y2g, "model": pred}

    def plot(ax):
        sel = grid < 0.05
        ax.plot(grid[sel] * 1e3, y2g[sel] * 1e12, label="ngspice (held-out train)")
        ax.plot(grid[sel] * 1e3, pred[sel] * 1e12, "--", label="fitted kernel")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("I_syn (pA)")
        ax.set_title(f"{name}: held-out NRMSE {val['psc_heldout_nrmse']:.3f}")

    return SynCal("exp-synapse", fit.params, dict(zip(fit.names, fit.stderr.tolist())), val,
                  _energy(summ), distribution=dist, mc_table=table,
                  extra={"heldout_trace": _decimate(trace)}, plot=plot)
