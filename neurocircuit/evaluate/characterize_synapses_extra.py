"""Characterisation protocols of the learning synapses (STDP window, bistable weight).

STDP: for each ``Δt = t_post − t_pre`` of :data:`~.characterize_synapses.DTS` one pre/post pair
(pulses of 0.1 ms) on the synapse with its bistable refresh off; ``Δw`` is the jump of ``V_w``
made by the second pulse; ``±A± e^{∓Δt/τ±}`` fitted per side. The output PSC is one pre pulse
with ``V_w`` high; the energy per event is that of one pre/post pair (static power subtracted).

Bistable: final weights from :data:`~.characterize_synapses.W0S` after 0.5 s (long-term states,
switching threshold) and the drift time from ``θ_w + 50 mV`` to 95 % of the way to ``V_high``,
compared with ``C_w (V_high − θ_w)/I_bist``; Monte Carlo of the drift time.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .characterize_synapses import DTS, STDP_WIDTH, W0S, SynJob, _mc_drift, _psc_summary

__all__ = ["characterize_stdp", "characterize_bistable"]


def _jump(job: SynJob) -> dict[str, Any]:
    from ..measure import synapse as ms
    from .characterize_synapses import run_syn_job

    r = run_syn_job(job)
    m = r["meta"]
    t2 = max(m["t_pre"], m["t_post"])
    t1 = min(m["t_pre"], m["t_post"])
    p_static = ms.energy_per_event(r["t"], r["supply"], r["vdd"], 0.5 * t1, 0.95 * t1) / (
        0.45 * t1)
    e = ms.energy_per_event(r["t"], r["supply"], r["vdd"], 0.95 * t1, float(r["t"][-1]),
                            static=p_static)
    return {"dw": ms.weight_jump(r["t"], r["w"], t2, m["width"]), "energy": e,
            "static": p_static}


def characterize_stdp(p, out_dir: Path, kw: dict) -> dict[str, Any]:
    """STDP window, output PSC and energy per pair (see the module docstring)."""
    from ..measure import synapse as ms
    from ..spice.sweep import sweep
    from .characterize_synapses import _single_job, run_syn_job

    plain = replace(p, bistable=False)
    jobs = [SynJob("stdp-synapse", plain, "pre_post_pair",
                   (("dt", d), ("width", STDP_WIDTH), ("w0", 0.9), ("max_step", 2.5e-4)))
            for d in DTS]
    res = sweep(_jump, jobs, desc="stdp window", **kw)
    dw = [r["dw"] if r else np.nan for r in res.results]
    out: dict[str, Any] = {"stdp_window.dt_s": list(DTS), "stdp_window.dw": dw,
                           "failures": [str(f.error) for f in res.failures]}
    try:
        fit = ms.stdp_window_fit(DTS, dw)
        out.update({"stdp_window.a_plus_v": fit.a_plus, "stdp_window.tau_plus_s": fit.tau_plus,
                    "stdp_window.r2_plus": fit.r2_plus, "stdp_window.a_minus_v": fit.a_minus,
                    "stdp_window.tau_minus_s": fit.tau_minus,
                    "stdp_window.r2_minus": fit.r2_minus,
                    "tau_s": 0.5 * (fit.tau_plus + fit.tau_minus)})
    except Exception as exc:
        out["stdp_window.fit_error"] = str(exc)
    energies = [r["energy"] for r in res.results if r]
    out["energy_per_event_j"] = float(np.median(energies)) if energies else None
    out["energy_per_event_note"] = "one pre/post pair (median over the window's Δt)"
    single, t_on = _single_job("stdp-synapse", p)
    r = run_syn_job(single)
    s = _psc_summary(r, t_on, STDP_WIDTH)
    out.update({"peak_a": s["peak_a"], "charge_c": s["charge_c"],
                "static_power_w": s["static_power_w"], "gain_c_per_spike": s["charge_c"]})
    out["plots"] = _window_plot(out_dir, out, r)
    return out


def _window_plot(out_dir: Path, out: dict, single) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    dt = np.asarray(out["stdp_window.dt_s"])
    dw = np.asarray(out["stdp_window.dw"], float)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(dt * 1e3, dw * 1e3, "o", label="circuit")
    if "stdp_window.tau_plus_s" in out:
        x = np.linspace(0.5e-3, dt.max(), 100)
        a1.plot(x * 1e3, 1e3 * out["stdp_window.a_plus_v"] * np.exp(-x / out[
            "stdp_window.tau_plus_s"]), "-", color="C1", label="fit")
        a1.plot(-x * 1e3, -1e3 * out["stdp_window.a_minus_v"] * np.exp(-x / out[
            "stdp_window.tau_minus_s"]), "-", color="C1")
    a1.axhline(0, color="k", lw=0.5)
    a1.set_xlabel("Δt = t_post − t_pre (ms)")
    a1.set_ylabel("ΔV_w (mV)")
    a1.set_title("stdp-synapse: STDP window")
    a1.legend(fontsize=8)
    a2.plot(single["t"] * 1e3, single["out"] * 1e12, lw=0.9)
    if out.get("peak_a"):  # zoom on the pulse; its sub-µs onset spike is charge sharing
        a2.set_xlim(4.9, 5.0 + 3 * STDP_WIDTH * 1e3)
        a2.set_ylim(-0.2 * out["peak_a"] * 1e12, 2.0 * out["peak_a"] * 1e12)
    a2.set_xlabel("time (ms)")
    a2.set_ylabel("PSC (pA)")
    a2.set_title("output PSC, weight high")
    fig.tight_layout()
    fig.savefig(out_dir / "stdp_window.png", dpi=100)
    plt.close(fig)
    return ["stdp_window.png"]


def characterize_bistable(p, out_dir: Path, mc: int, seed: int, kw: dict) -> dict[str, Any]:
    """Long-term states, switching threshold, drift time (+ Monte Carlo of the drift time)."""
    from ..circuits.synapses.bistable import drift_time_estimate
    from ..measure import synapse as ms
    from ..spice.sweep import monte_carlo, sweep
    from .characterize_synapses import run_syn_job

    jobs = [SynJob("bistable-synapse", p, "weight_drift", (("w0", w), ("t_stop", 0.5)))
            for w in W0S]
    v_from = p.v_thw + 0.05
    t_drift = 3.0 * drift_time_estimate(p)
    drift_job = SynJob("bistable-synapse", p, "weight_drift",
                       (("w0", v_from), ("t_stop", t_drift), ("max_step", t_drift / 500)))
    jobs.append(drift_job)
    res = sweep(run_syn_job, jobs, desc="bistable", **kw)
    rs = list(res.results)
    finals = [float(r["w"][-1]) if r else np.nan for r in rs[:-1]]
    out: dict[str, Any] = {"bistable.w0_v": list(W0S), "bistable.final_v": finals,
                           "bistable.states_v": ms.long_term_states(finals),
                           "failures": [str(f.error) for f in res.failures]}
    try:
        out["bistable.threshold_v"] = ms.switching_threshold(W0S, finals)
    except Exception as exc:
        out["bistable.threshold_error"] = str(exc)
    r = rs[-1]
    if r is not None:
        v_high = float(r["w"][-1])
        out["bistable.v_high_v"] = v_high
        out["drift_time_s"] = ms.drift_time(r["t"], r["w"], v_from,
                                            v_from + 0.95 * (v_high - v_from))
        out["drift_time_estimate_s"] = drift_time_estimate(p, v_high)
        out["static_power_w"] = ms.energy_per_event(r["t"], r["supply"], r["vdd"]) / float(
            r["t"][-1])
    out.update({"tau_s": out.get("drift_time_s"), "peak_a": None, "energy_per_event_j": None,
                "energy_note": "no synaptic events: static power only"})
    if mc and mc > 0:
        m = monte_carlo(partial(_mc_drift, job=drift_job, v_from=v_from), int(mc), seed,
                        desc="bistable Monte Carlo", **kw)
        d = np.array([x if x is not None else np.nan for x in m.results], float)
        ok = np.isfinite(d)
        out.update({"mc.n": int(mc), "mc.seed": int(seed), "mc.drift_time_s": d.tolist(),
                    "mc.drift_time_s_mean": float(d[ok].mean()) if ok.any() else None,
                    "mc.drift_time_s_std": float(d[ok].std(ddof=1)) if ok.sum() > 1 else None,
                    "mc.peak_a_std": None, "mc.failures": len(m.failures)})
    out["plots"] = _drift_plot(out_dir, rs, p)
    return out


def _drift_plot(out_dir: Path, rs, p) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for w0, r in zip(W0S, rs[:-1]):
        if r is not None:
            ax.plot(r["t"] * 1e3, r["w"], lw=0.9, label=f"V_w(0) = {w0:g} V")
    ax.axhline(p.v_thw, color="k", ls="--", lw=0.7, label="θ_w")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V_w (V)")
    ax.set_title("bistable-synapse: weight drift")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "bistable_drift.png", dpi=100)
    plt.close(fig)
    return ["bistable_drift.png"]
