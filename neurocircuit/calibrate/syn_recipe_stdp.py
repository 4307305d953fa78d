"""STDP-window and bistable-weight recipes; see :mod:`.synapse_pipeline`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from ..errors import FitError
from .syn_common import (
    STDP_DTS,
    SynCal,
    _distribution,
    _mc,
    _rel_std,
)
from .synapse_models import (
    STDPWindowParams,
    stdp_window,
)


# ---------------------------------------------------------------------------------------------
# STDP and bistable weights
# ---------------------------------------------------------------------------------------------
def _drift_jobs(name: str, p: Any, w0s: tuple[float, ...], bp: Any):
    from ..circuits.synapses.bistable import drift_time_estimate
    from ..evaluate.characterize_synapses import SynJob

    jobs = [SynJob(name, p, "weight_drift", (("w0", w), ("t_stop", 0.5))) for w in w0s]
    v_from = bp.v_thw + 0.05
    t_drift = 3.0 * drift_time_estimate(bp)
    drift = SynJob(name, p, "weight_drift",
                   (("w0", v_from), ("t_stop", t_drift), ("max_step", t_drift / 500)))
    return jobs, drift, v_from


def _drift_rate(point, job, v_from: float) -> float:
    from ..evaluate.characterize_synapses import run_syn_job
    from ..measure import synapse as ms

    if point is not None:
        job = replace(job, seed=int(point[1]) % 2**63)
    r = run_syn_job(job)
    w = r["w"]
    v_to = v_from + 0.95 * (float(w[-1]) - v_from)
    return (v_to - v_from) / ms.drift_time(r["t"], w, v_from, v_to)


def _states(name: str, p: Any, bp: Any, w0s: tuple[float, ...], kw: Mapping) -> dict:
    from ..evaluate.characterize_synapses import run_syn_job
    from ..measure import synapse as ms
    from ..spice.sweep import sweep

    jobs, drift, v_from = _drift_jobs(name, p, w0s, bp)
    res = sweep(run_syn_job, jobs, **{**kw, "desc": f"{name} weight states"})
    finals = [float(r["w"][-1]) if r else np.nan for r in res.results]
    out = {"w0_v": list(w0s), "final_v": finals, "states_v": ms.long_term_states(finals),
           "drift": _drift_rate(None, drift, v_from), "v_from": v_from, "drift_job": drift}
    r0 = res.results[0]
    if r0 is not None:
        out["static_power_w"] = ms.energy_per_event(r0["t"], r0["supply"], r0["vdd"]) / float(
            r0["t"][-1])
    try:
        out["threshold_v"] = ms.switching_threshold(w0s, finals)
    except FitError:
        out["threshold_v"] = None
    return out


def _pair_dw(point, p: Any, dt: float) -> dict:
    from ..evaluate.characterize_synapses import STDP_WIDTH, SynJob
    from ..evaluate.characterize_synapses_extra import _jump

    seed = None if point is None else int(point[1]) % 2**63
    job = SynJob("stdp-synapse", p, "pre_post_pair",
                 (("dt", dt), ("width", STDP_WIDTH), ("w0", 0.9), ("max_step", 2.5e-4)),
                 seed=seed)
    return _jump(job)


def _mc_pair(point, p: Any, dt: float) -> list[float]:
    return [abs(_pair_dw(point, p, dt)["dw"]), abs(_pair_dw(point, p, -dt)["dw"])]


def _stdp_recipe(name: str, p: Any, mc: int, seed: int, kw: Mapping) -> SynCal:
    from .window import calibrate_stdp_window

    plain = replace(p, bistable=False)
    w = calibrate_stdp_window(name, plain, STDP_DTS, workers=kw.get("workers"), seed=seed)
    fit = w["params"]
    states = _states(name, p, p.bistable_params(), (0.6, 1.2), kw)
    st = states["states_v"]
    pairs = [_pair_dw(None, plain, 5e-3), _pair_dw(None, plain, -5e-3)]
    model = STDPWindowParams(a_plus=fit["a_plus"], a_minus=fit["a_minus"],
                             tau_plus=fit["tau_plus"], tau_minus=fit["tau_minus"],
                             w_min=float(min(st)), w_max=float(max(st)),
                             theta_w=float(p.v_thw), drift=float(states["drift"]))
    val: dict[str, Any] = {"window_fit_nrmse": w["fit_nrmse"],
                           "window_heldout_nrmse": w["heldout_nrmse"],
                           "window_nrmse": w["window_nrmse"], "long_term_states_v": st,
                           "drift_from_v": states["v_from"]}
    dist = table = None
    if mc > 0:
        fn = partial(_mc_pair, p=plain, dt=5e-3)
        rows, fails = _mc(fn, mc, seed, {**kw, "desc": f"{name} Monte Carlo"})
        t = np.array([x if x is not None else [np.nan, np.nan] for x in rows], float)
        table = np.column_stack([t[:, 0] * math.exp(5e-3 / model.tau_plus),
                                 t[:, 1] * math.exp(5e-3 / model.tau_minus)])
        dist = _distribution(table, ("a_plus", "a_minus"))
        val.update({"mc_failures": fails, "mc_a_plus_rel_std": _rel_std(table[:, 0]),
                    "mc_a_minus_rel_std": _rel_std(table[:, 1])})
    energy = {"per_event_j": float(np.mean([x["energy"] for x in pairs])),
              "per_event_note": "one pre/post pair at |Δt| = 5 ms, static power subtracted",
              "static_power_w": float(np.mean([x["static"] for x in pairs])),
              "per_spike_j": None}
    d, dw = np.asarray(w["dt_s"]), np.asarray(w["dw_v"])

    def plot(ax):
        ax.plot(d * 1e3, dw * 1e3, "o", label="ngspice")
        x = np.linspace(d.min(), d.max(), 400)
        x = x[x != 0]
        ax.plot(x * 1e3, stdp_window(model, x) * 1e3, "-", label="fitted window")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel("Δt = t_post − t_pre (ms)")
        ax.set_ylabel("ΔV_w (mV)")
        ax.set_title(f"{name}: held-out NRMSE {w['heldout_nrmse']:.3f}")

    return SynCal("stdp-window", model, dict(zip(fit, w["stderr"])), val, energy,
                  distribution=dist, mc_table=table,
                  extra={"window": {"dt_s": d, "dw_v": dw},
                         "weight_states": {"w0_v": states["w0_v"], "final_v": states["final_v"]}},
                  plot=plot)


def _bistable_recipe(name: str, p: Any, mc: int, seed: int, kw: Mapping) -> SynCal:
    from ..circuits.synapses.bistable import drift_time_estimate
    from ..evaluate.characterize_synapses import W0S

    states = _states(name, p, p, tuple(W0S), kw)
    st = states["states_v"]
    theta = states["threshold_v"] if states["threshold_v"] is not None else float(p.v_thw)
    model = STDPWindowParams(a_plus=0.0, a_minus=0.0, w_min=float(min(st)),
                             w_max=float(max(st)), theta_w=float(theta),
                             drift=float(states["drift"]))
    est = (max(st) - states["v_from"]) / drift_time_estimate(p, max(st))
    val: dict[str, Any] = {"long_term_states_v": st, "threshold_v": states["threshold_v"],
                           "threshold_preset_v": float(p.v_thw),
                           "drift_estimate_v_per_s": est,
                           "drift_rel_err": abs(states["drift"] - est) / est}
    dist = table = None
    if mc > 0:
        fn = partial(_drift_rate, job=states["drift_job"], v_from=states["v_from"])
        rows, fails = _mc(fn, mc, seed, {**kw, "desc": f"{name} Monte Carlo"})
        table = np.array([x if x is not None else np.nan for x in rows], float)[:, None]
        dist = _distribution(table, ("drift",))
        val.update({"mc_failures": fails, "mc_drift_rel_std": _rel_std(table[:, 0])})
    energy = {"per_event_j": None, "per_event_note": "no synaptic events: static power only",
              "static_power_w": states.get("static_power_w"), "per_spike_j": None}
    w0s, fin = states["w0_v"], states["final_v"]

    def plot(ax):
        ax.plot(w0s, fin, "o", label="ngspice: V_w after 0.5 s")
        ax.axvline(theta, color="k", ls="--", lw=0.7, label="θ_w (measured)")
        ax.set_xlabel("V_w(0) (V)")
        ax.set_ylabel("V_w(0.5 s) (V)")
        ax.set_title(f"{name}: drift {states['drift']:.3g} V/s")

    return SynCal("stdp-window", model, {}, val, energy, distribution=dist, mc_table=table,
                  extra={"weight_states": {"w0_v": w0s, "final_v": fin}}, plot=plot)
