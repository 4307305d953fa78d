"""CMI synapse with short-term depression: kernel, depression fit and recipe; see
:mod:`.synapse_pipeline`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from ..errors import FitError
from .fit import Free, fit_model, fit_trace
from .syn_common import (
    CMI_WIDTH,
    SynCal,
    _decimate,
    _distribution,
    _energy,
    _grid_trace,
    _mc,
    _mc_peak,
    _rel_std,
    _single_summary,
)
from .synapse_models import (
    CMISynapseParams,
    DepressionParams,
    depression_efficacy,
)
from .validate import nrmse


# ---------------------------------------------------------------------------------------------
# CMI with short-term depression
# ---------------------------------------------------------------------------------------------
def cmi_stp_trace(cmi: CMISynapseParams, dep: DepressionParams, t: Any,
                  spike_times: Any) -> np.ndarray:
    """CMI current with depressing jumps: pulse ``k`` adds ``w_k ΔI (1 − I/I_max)`` where
    ``w_k`` is :func:`depression_efficacy` relative to ``w_0``; hyperbolic decay between."""
    st = np.sort(np.asarray(spike_times, float).ravel())
    w = depression_efficacy(dep, st) / float(dep.w0)
    t = np.asarray(t, float)
    out = np.zeros(t.size)
    i0, t0, k = 0.0, -np.inf, 0
    ct = float(cmi.i_c) * float(cmi.tau)
    for j, tj in enumerate(t):
        while k < st.size and st[k] <= tj:
            i_now = i0 / (1.0 + i0 * (st[k] - t0) / ct) if i0 > 0 else 0.0
            i0 = i_now + w[k] * float(cmi.delta_i) * (1.0 - i_now / float(cmi.i_max))
            t0 = st[k]
            k += 1
        out[j] = i0 / (1.0 + i0 * (tj - t0) / ct) if i0 > 0 else 0.0
    return out


def fit_depression(times: Any, efficacy: Any, tau_rec0: float, delta0: float) -> Any:
    """Fit ``(τ_rec, δ)`` of :class:`DepressionParams` (``w_0 = 1``) to per-pulse efficacies."""
    st = np.asarray(times, float)
    y = np.asarray(efficacy, float)
    free = {"tau_rec": Free(tau_rec0, tau_rec0 / 20, tau_rec0 * 20),
            "delta": Free(min(max(delta0, 0.02), 0.9), 1e-3, 0.99)}
    return fit_model(lambda v: DepressionParams(w0=1.0, **v),
                     lambda q: depression_efficacy(q, st), y, free, n_starts=3, warn_rel=None,
                     what="depression efficacy")


def _train_job(name: str, p: Any, rate: float, t_stop: float, seed: int):
    from ..evaluate.characterize_synapses import SynJob

    kw = {"rate": rate, "t_stop": t_stop, "seed": seed, "width": CMI_WIDTH,
          "max_step": CMI_WIDTH / 4}
    return SynJob(name, p, "poisson_train", tuple(kw.items()), extra=("i(v.xs.veff)",))


def _efficacies(r: Mapping) -> tuple[np.ndarray, np.ndarray]:
    from ..measure import synapse as ms

    times = np.asarray(r["meta"]["times"], float)
    q = ms.charges_per_pulse(r["t"], r["i(v.xs.veff)"], times, 2 * CMI_WIDTH)
    return times, q / q[0]


def _cmi_recipe(name: str, p: Any, mc: int, seed: int, kw: Mapping) -> SynCal:
    from ..circuits.synapses.cmi_stp import delta_estimate, tau_estimate, tau_rec_estimate
    from ..spice.sweep import sweep

    rate, t_stop = 30.0, 1.0
    jobs = [_train_job(name, p, rate, t_stop, seed), _train_job(name, p, rate, t_stop,
                                                                seed + 1000)]
    from ..evaluate.characterize_synapses import run_syn_job

    res = sweep(run_syn_job, jobs, **{**kw, "desc": f"{name} trains"})
    if res.failures:
        raise FitError(f"{name}: a calibration train failed: {res.failures[0].error}")
    fit_r, held_r = res.results
    times, eff = _efficacies(fit_r)
    dfit = fit_depression(times, eff, tau_rec_estimate(p), delta_estimate(p, CMI_WIDTH))
    dep = dfit.params
    grid, y = _grid_trace(fit_r, "out", t_stop, 6000)
    base_i = float(np.interp(0.5 * times[0], grid, y))
    y = y - base_i
    i_pk = float(np.max(y[(grid >= times[0]) & (grid <= times[0] + 3 * CMI_WIDTH)]))
    tau0 = tau_estimate(p, i_pk)
    base = CMISynapseParams(tau=tau0, i_c=i_pk, delta_i=i_pk, i_max=10 * i_pk)
    free = {"tau": Free(tau0, tau0 / 50, tau0 * 50),
            "delta_i": Free(i_pk, i_pk / 10, i_pk * 10),
            "i_max": Free(10 * i_pk, i_pk, i_pk * 1e4)}
    kfit = fit_trace(base, grid, y, lambda q, tt: cmi_stp_trace(q, dep, tt, times), free,
                     n_starts=3, seed=seed, warn_rel=None)
    cmi = kfit.params
    times2, eff2 = _efficacies(held_r)
    g2, y2 = _grid_trace(held_r, "out", t_stop, 6000)
    y2 = y2 - float(np.interp(0.5 * times2[0], g2, y2))
    pred = cmi_stp_trace(cmi, dep, g2, times2)
    _, summ = _single_summary(name, p, CMI_WIDTH, 10e-3)
    val: dict[str, Any] = {
        "psc_fit_nrmse": nrmse(cmi_stp_trace(cmi, dep, grid, times), y),
        "psc_heldout_nrmse": nrmse(pred, y2),
        "efficacy_fit_nrmse": nrmse(depression_efficacy(dep, times), eff),
        "efficacy_heldout_nrmse": nrmse(depression_efficacy(dep, times2), eff2),
        "n_pulses": int(times.size), "rate_hz": rate,
        "tau_rec_estimate_s": tau_rec_estimate(p), "delta_estimate": delta_estimate(p, CMI_WIDTH),
        "single_peak_a": summ["peak_a"], "resting_current_a": base_i}
    dist = table = None
    if mc > 0:
        fn = partial(_mc_peak, name=name, p=p, width=CMI_WIDTH, tau=10e-3)
        rows, fails = _mc(fn, mc, seed, {**kw, "desc": f"{name} Monte Carlo"})
        peaks = np.array([x if x is not None else np.nan for x in rows], float)
        table = (float(cmi.delta_i) * peaks / summ["peak_a"])[:, None]
        dist = _distribution(table, ("delta_i",))
        val.update({"mc_failures": fails, "mc_delta_i_rel_std": _rel_std(table[:, 0])})

    def plot(ax):
        sel = g2 < 0.3
        ax.plot(g2[sel] * 1e3, y2[sel] * 1e9, label="ngspice (held-out train)")
        ax.plot(g2[sel] * 1e3, pred[sel] * 1e9, "--", label="CMI + depression model")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("I_syn − I_rest (nA)")
        ax.set_title(f"{name}: held-out NRMSE {val['psc_heldout_nrmse']:.3f}")

    stderr = {**dict(zip(kfit.names, kfit.stderr.tolist()))}
    return SynCal("cmi-synapse", cmi, stderr, val, _energy(summ),
                  components={"depression": ("depression", dep)}, distribution=dist,
                  mc_table=table,
                  extra={"efficacy": {"times_s": times, "measured": eff,
                                      "depression_stderr": dict(zip(dfit.names,
                                                                    dfit.stderr.tolist()))},
                         "heldout_trace": _decimate({"t": g2, "circuit": y2, "model": pred})},
                  plot=plot)
