r"""Calibrate synapse circuits and memristor devices: SPICE → compact model → JSON.

``neurocircuit calibrate NAME`` for the synapse catalogue and the memristor devices. Every
recipe simulates the default preset, fits a compact model of :mod:`.synapse_models`, validates
it on held-out stimuli, carries the energy per synaptic event, draws a Monte-Carlo mismatch
distribution of the fitted parameters where each run is cheap, and writes a calibrated file
(:mod:`.calibrated`) plus ``<stem>_fit.png`` (and ``<stem>_params.png`` with Monte Carlo).

Recipes (model type in brackets):

* ``dpi-synapse`` [``exp-synapse`` with ``I_g``], ``log-domain-synapse`` [``exp-synapse``]:
  :func:`.psc.calibrate_psc` — a seeded Poisson train (pulses ``Δt`` = 0.1 ms, rate
  ``1/(2τ)``), fit of ``τ (1 + I_g/I) dI/dt + I = I_∞ s(t) − I_g`` (``I_g = 0``: first-order
  kernel), NRMSE on a second train (target ≤ 5 %). Monte Carlo: one single-pulse run per
  instance, ``τ``, ``I_∞`` (and the floor ``I_rest``) refitted with ``I_g`` at its nominal fit
  → distribution of ``(τ, I_∞)``.
* ``pulse-synapse`` [``exp-synapse``]: the same kernel with ``τ`` free down to 10 ns (the
  circuit has no dynamics: ``τ`` ends at the edge time, ``I_∞ = I_w``), 1 ms pulses. Monte
  Carlo of ``I_∞`` from the single-pulse plateau.
* ``cmi-stp-synapse`` [``cmi-synapse`` + component ``depression``]: a Poisson train (1 ms
  pulses, 30 Hz, 1 s); the efficacy ``w_k`` of pulse ``k`` is the charge of the weight current
  (``i(v.xs.veff)``) relative to the first, fitted with
  ``w_k = w_0 + (w_{k−1}(1−δ) − w_0) e^{−Δt_k/τ_rec}``; the CMI kernel
  ``dI/dt = −I²/(I_c τ)``, ``I ← I + w_k ΔI (1 − I/I_max)`` (jump at the pulse onset) is then
  fitted to the output current with ``I_c`` fixed to the first peak (``I_c τ`` is the only
  identifiable combination). The circuit's own decay after a 1 ms pulse is far faster
  (``τ_0 = C_syn U_T/(κ I_pk)`` ≈ 40 µs) than the pulse: an instantaneous-jump kernel matches
  the charge per pulse, not the shape within the pulse (held-out NRMSE ≈ 9 %). Validation:
  NRMSE of the output current and of the efficacies on a held-out train. Monte Carlo: ``ΔI``
  scaled by each instance's single-pulse peak.
* ``stdp-synapse`` [``stdp-window``]: :func:`.window.calibrate_stdp_window` (refresh off,
  12 pairings, fit on half, NRMSE on the others, target ≤ 10 %); bounds ``w_min``/``w_max``
  from the long-term states with the refresh on, ``θ_w`` the preset's, drift
  ``r = 0.95 (V_high − V_from)/t_drift`` from ``V_from = θ_w + 50 mV``; energy per
  pre/post pair. Monte Carlo: ``A± = |Δw(±5 ms)| e^{5 ms/τ±}`` per instance.
* ``bistable-synapse`` [``stdp-window`` with ``A± = 0``]: long-term states (bounds),
  switching threshold ``θ_w`` (from six starts), drift rate as above; Monte Carlo of the drift
  rate.
* memristors (``memristor-*``) [``memristor-update``]: identical-pulse programming curves of
  the numpy device model (:func:`neurocircuit.evaluate.characterize_devices.programming_curves`,
  the model the ngspice subcircuit implements), fit of ``G_min, G_max, ν_P, ν_D`` over
  ``N`` pulses per direction (``ν < 0``: accelerating curve, as for the linear-drift HP
  devices whose ``G = 1/R`` rises ever faster); cycle-to-cycle ``σ_c2c`` = std of the
  per-pulse ΔG deviations over ``(G_max − G_min)/N``; device-to-device distribution of the
  four parameters from one fit per sampled device (``*_d2d``; the characteriser's 5 % default
  spread on every d2d/c2c field when the preset has none, recorded in
  ``extra.variation_used``); energy per programming pulse ``E = V_p I(V_p, x) t_p`` averaged
  over both curves.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FitError, FitWarning, ParameterError
from .fit import Free, fit_model, fit_trace
from .synapse_models import (
    CMISynapseParams,
    DepressionParams,
    ExpSynapseParams,
    MemristorUpdateParams,
    STDPWindowParams,
    depression_efficacy,
    exp_synapse_trace,
    memristor_curve,
    stdp_window,
)
from .validate import nrmse

__all__ = ["RECIPES", "MEMRISTORS", "SynCal", "calibrate_synapse", "cmi_stp_trace",
           "fit_depression", "fit_memristor_update", "names"]

PSC_WIDTH = 1e-4
"""Pulse width of the PSC calibration trains (s)."""
CMI_WIDTH = 1e-3
"""Pulse width of the CMI / pulse-synapse trains (s): δ ≈ 0.3 per 1 ms pulse."""
STDP_DTS = (-20e-3, -12e-3, -8e-3, -5e-3, -3e-3, -1.5e-3, 1.5e-3, 3e-3, 5e-3, 8e-3, 12e-3, 20e-3)
"""Pairings ``Δt = t_post − t_pre`` of the STDP window (fit on even, validate on odd ones)."""
MEMRISTORS = ("memristor-hp-joglekar", "memristor-hp-biolek", "memristor-vteam",
              "memristor-yakopcic")


@dataclass(frozen=True)
class SynCal:
    """What a recipe returns (the calibrated file is assembled from it)."""

    model_type: str
    model: Any
    stderr: Mapping[str, float]
    validation: Mapping[str, Any]
    energy: Mapping[str, Any]
    components: Mapping[str, tuple[str, Any]] = field(default_factory=dict)
    distribution: Any = None
    mc_table: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    plot: Callable[[Any], None] | None = None


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------
def _grid_trace(r: Mapping, probe: str, t_stop: float, n: int = 4000):
    grid = np.linspace(0.0, t_stop, n)
    return grid, np.interp(grid, r["t"], r[probe])


def _single(name: str, p: Any, width: float, tau: float, seed: int | None = None):
    """Single-pulse SynJob (pulse at 5 ms, 8 τ of tail) and its onset time."""
    from ..evaluate.characterize_synapses import SynJob

    kw = {"width": width, "t_on": 5e-3, "t_stop": 5e-3 + width + 8 * tau,
          "max_step": min(width / 20, tau / 40)}
    return SynJob(name, p, "single_pulse", tuple(kw.items()), seed=seed), 5e-3


def _single_summary(name: str, p: Any, width: float, tau: float) -> tuple[dict, dict]:
    from ..evaluate.characterize_synapses import _plateau, _psc_summary, run_syn_job

    job, t_on = _single(name, p, width, tau)
    r = run_syn_job(job)
    plateau = width if _plateau(name) is not None else None
    return r, _psc_summary(r, t_on, plateau)


def _mc_fit_single(point, name: str, p: Any, width: float, tau: float, nominal: Any,
                   free_names: tuple[str, ...]) -> list[float] | None:
    """One Monte-Carlo instance: single pulse with mismatch, refit of ``free_names``."""
    from ..evaluate.characterize_synapses import run_syn_job

    _, seed = point
    job, t_on = _single(name, p, width, tau, seed=int(seed) % 2**63)
    r = run_syn_job(job)
    t_stop = float(r["t"][-1])
    grid, y = _grid_trace(r, "out", t_stop, 2000)
    times = [t_on]
    peak = max(float(np.ptp(y)), 1e-15)
    free = {}
    for n in free_names:
        v = float(getattr(nominal, n))
        free[n] = Free(v, v / 10, v * 10) if n != "i_rest" else Free(float(y[0]), -peak, peak,
                                                                      log=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        try:
            f = fit_trace(nominal, grid, y, lambda q, tt: exp_synapse_trace(q, tt, times), free,
                          n_starts=1, warn_rel=None)
        except FitError:
            return None
    return [float(v) for v in f.values]


def _mc_peak(point, name: str, p: Any, width: float, tau: float) -> float:
    from ..evaluate.characterize_synapses import _plateau, _psc_summary, run_syn_job

    _, seed = point
    job, t_on = _single(name, p, width, tau, seed=int(seed) % 2**63)
    plateau = width if _plateau(name) is not None else None
    return float(_psc_summary(run_syn_job(job), t_on, plateau)["peak_a"])


def _mc(fn, mc: int, seed: int, kw: Mapping) -> tuple[list, int]:
    from ..spice.sweep import monte_carlo

    res = monte_carlo(fn, int(mc), seed, **kw)
    return list(res.results), len(res.failures)


def _distribution(table: np.ndarray, names: tuple[str, ...]):
    from .mismatch import fit_distribution

    try:
        return fit_distribution(table, names)
    except FitError:
        return None


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


# ---------------------------------------------------------------------------------------------
# memristor devices
# ---------------------------------------------------------------------------------------------
def fit_memristor_update(g_pot: Any, g_dep: Any, seed: int = 0) -> Any:
    """Fit ``G_min, G_max, ν_P, ν_D`` of :class:`MemristorUpdateParams` to the two curves
    (``n+1`` reads each; ``N = n``). Residuals relative to ``G_max − G_min``.

    The non-linearities are fitted as curvatures ``c = 1/ν`` (linear, either sign: ``c > 0``
    saturating, ``c < 0`` accelerating; ``|c| < 1e-4`` is the linear limit ``|ν| = 1e4``),
    from the four sign combinations of ``c = ±1/N``; the best fit is kept.
    """
    gp, gd = np.asarray(g_pot, float), np.asarray(g_dep, float)
    n = gp.size - 1
    k = np.arange(n + 1)
    lo = float(min(gp.min(), gd.min()))
    hi = float(max(gp.max(), gd.max()))
    span = hi - lo
    y = np.concatenate([gp, gd])

    def nu(c: float) -> float:
        return 1.0 / c if abs(c) >= 1e-4 else math.copysign(1e4, c if c != 0 else 1.0)

    def build(v):
        return MemristorUpdateParams(n_pulses=n, g_min=v["g_min"], g_max=v["g_max"],
                                     nu_p=nu(v["c_p"]), nu_d=nu(v["c_d"]))

    def pred(q):
        return np.concatenate([memristor_curve(q, k, "set"), memristor_curve(q, k, "reset")])

    best = None
    for sp in (1.0, -1.0):
        for sd in (1.0, -1.0):
            free = {"g_min": Free(lo, max(lo - 0.5 * span, lo / 10), lo + 0.5 * span),
                    "g_max": Free(hi, hi - 0.5 * span, hi + 0.5 * span),
                    "c_p": Free(sp / n, -20.0, 20.0, log=False),
                    "c_d": Free(sd / n, -20.0, 20.0, log=False)}
            f = fit_model(build, pred, y, free, weights=np.full(y.size, 1.0 / span),
                          n_starts=1, seed=seed, warn_rel=None,
                          what="memristor programming curves")
            if best is None or f.metrics["cost"] < best.metrics["cost"]:
                best = f
    return best


def _memristor_recipe(name: str, p: Any, mc: int, seed: int, kw: Mapping) -> SynCal:
    from ..circuits.memristors import sample_d2d
    from ..evaluate.characterize_devices import (
        PULSE_DEFAULTS,
        _with_default_spread,
        programming_curves,
    )
    from ..hardware import memristor as hm

    v_pot, v_dep, t_p, n, v_read = PULSE_DEFAULTS[type(p)]
    sign = hm.potentiation_sign(p)
    g_pot, x_pot = hm.program_pulses(p, sign * v_pot, t_p, n, v_read=v_read, steps=50)
    g_dep, x_dep = hm.program_pulses(p, -sign * v_dep, t_p, n, x0=x_pot[-1], v_read=v_read,
                                     steps=50)
    cur = {"g_pot": g_pot, "g_dep": g_dep}  # = programming_curves(p)
    fit = fit_memristor_update(g_pot, g_dep, seed)
    model = fit.params
    varied = _with_default_spread(p)
    var_used = {f.name: getattr(varied, f.name) for f in fields(varied)
                if f.name.endswith(("_d2d", "_c2c"))}
    # cycle-to-cycle: the nominal device with c2c only, m cycles; deviations of each ΔG from
    # the noiseless step (the nominal curves: d2d fields do not enter the pulse response)
    c2c_only = replace(varied, **{k: 0.0 for k in var_used if k.endswith("_d2d")})
    m = max(int(mc), 20)
    noisy = programming_curves(c2c_only, x0=np.full(m, float(p.x0)),
                               rng=np.random.default_rng(seed))
    dgn = np.concatenate([np.diff(noisy["g_pot"], axis=0), np.diff(noisy["g_dep"], axis=0)])
    dgc = np.concatenate([np.diff(g_pot), np.diff(g_dep)])[:, None]
    step_lin = (float(model.g_max) - float(model.g_min)) / n
    sigma_c2c = float(np.std(dgn - dgc) / step_lin)
    model = replace(model, sigma_c2c=sigma_c2c)
    k = np.arange(n + 1)
    pred = np.concatenate([memristor_curve(model, k, "set"), memristor_curve(model, k, "reset")])
    meas = np.concatenate([cur["g_pot"], cur["g_dep"]])
    val: dict[str, Any] = {"curve_nrmse": nrmse(pred, meas),
                           "nonlinearity_pot": hm.nonlinearity(cur["g_pot"]),
                           "nonlinearity_dep": hm.nonlinearity(cur["g_dep"]),
                           "asymmetry": hm.asymmetry(cur["g_pot"], cur["g_dep"]),
                           "pulse_v": [v_pot, v_dep], "pulse_width_s": t_p}
    dist = table = None
    if mc > 0:
        inst = sample_d2d(replace(varied, dx_c2c=0.0), np.random.default_rng(seed + 1),
                          n=int(mc))
        mcc = programming_curves(inst, x0=np.full(int(mc), float(p.x0)))
        rows = []
        for j in range(int(mc)):
            try:
                f = fit_memristor_update(mcc["g_pot"][:, j], mcc["g_dep"][:, j], seed)
                rows.append([float(getattr(f.params, q)) for q in
                             ("g_min", "g_max", "nu_p", "nu_d")])
            except (FitError, ParameterError):
                rows.append([np.nan] * 4)
        table = np.asarray(rows, float)
        dist = _distribution(table, ("g_min", "g_max", "nu_p", "nu_d"))
        val.update({"mc_g_max_rel_std": _rel_std(table[:, 1]),
                    "mc_nu_p_rel_std": _rel_std(table[:, 2])})
    # energy of one programming pulse at the state before it
    e_pot = np.abs(v_pot * hm.current(p, sign * v_pot, x_pot[:-1]) * t_p)
    e_dep = np.abs(v_dep * hm.current(p, -sign * v_dep, x_dep[:-1]) * t_p)
    energy = {"per_event_j": float(np.mean(np.concatenate([e_pot, e_dep]))),
              "per_event_pot_j": float(np.mean(e_pot)), "per_event_dep_j": float(np.mean(e_dep)),
              "per_event_note": "one programming pulse V_p·I(V_p, x)·t_p at the state before it",
              "static_power_w": 0.0, "per_spike_j": None}

    def plot(ax):
        ax.plot(k, cur["g_pot"] * 1e6, "o", ms=3, label="device model (set)")
        ax.plot(k + n, cur["g_dep"] * 1e6, "s", ms=3, label="device model (reset)")
        ax.plot(k, pred[: n + 1] * 1e6, "-", color="C2", label="fitted pulse model")
        ax.plot(k + n, pred[n + 1:] * 1e6, "-", color="C2")
        ax.set_xlabel("pulse number")
        ax.set_ylabel("G (µS)")
        ax.set_title(f"{name}: NRMSE {val['curve_nrmse']:.3f}")

    stderr = dict(zip(fit.names, fit.stderr.tolist()))
    for c, nu_name in (("c_p", "nu_p"), ("c_d", "nu_d")):  # σ_ν = σ_c ν²
        stderr[nu_name] = stderr.pop(c) * float(getattr(model, nu_name)) ** 2
    return SynCal("memristor-update", model, stderr, val,
                  energy, distribution=dist, mc_table=table,
                  extra={"curves": {"g_pot_s": cur["g_pot"], "g_dep_s": cur["g_dep"]},
                         "variation_used": var_used, "sigma_c2c_from_cycles": m},
                  plot=plot)


# ---------------------------------------------------------------------------------------------
# registry, file assembly
# ---------------------------------------------------------------------------------------------
RECIPES: Mapping[str, Callable[..., SynCal]] = {
    "dpi-synapse": partial(_exp_recipe, "dpi-synapse"),
    "log-domain-synapse": partial(_exp_recipe, "log-domain-synapse"),
    "pulse-synapse": partial(_pulse_recipe, "pulse-synapse"),
    "cmi-stp-synapse": partial(_cmi_recipe, "cmi-stp-synapse"),
    "stdp-synapse": partial(_stdp_recipe, "stdp-synapse"),
    "bistable-synapse": partial(_bistable_recipe, "bistable-synapse"),
    **{n: partial(_memristor_recipe, n) for n in MEMRISTORS},
}
"""Calibration recipe of every synapse / device name: ``fn(params, mc, seed, kw) -> SynCal``."""


def names() -> tuple[str, ...]:
    """Circuit names with a synapse/device recipe."""
    return tuple(RECIPES)


def _rel_std(x: np.ndarray) -> float | None:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size < 2 or x.mean() == 0:
        return None
    return float(x.std(ddof=1) / abs(x.mean()))


def _energy(summ: Mapping) -> dict[str, Any]:
    return {"per_event_j": summ.get("energy_per_event_j"),
            "per_event_note": "one presynaptic pulse, static power subtracted",
            "static_power_w": summ.get("static_power_w"), "per_spike_j": None}


def _decimate(tr: Mapping, n: int = 1000) -> dict[str, Any]:
    t = np.asarray(tr["t"])
    idx = np.unique(np.linspace(0, t.size - 1, min(n, t.size)).astype(int))
    return {k: np.asarray(v)[idx] for k, v in tr.items()}


def _entry(params: Any, name: str, stderr: Mapping[str, float]) -> dict[str, Any]:
    from ..units import field_unit

    v = getattr(params, name)
    if isinstance(v, (bool, np.bool_)):
        v = bool(v)
    elif isinstance(v, (int, np.integer)):
        v = int(v)
    elif not isinstance(v, str):
        v = float(v)
    out = {"value": v, "unit": field_unit(params, name)}
    if name in stderr and np.isfinite(stderr[name]):
        out["stderr"] = float(stderr[name])
    return out


def _entries(params: Any, stderr: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    return {f.name: _entry(params, f.name, stderr) for f in fields(params)}


def calibrate_synapse(name: str, params: Any = None, preset: str | None = None,
                      out: str | Path = "", mc: int = 100, seed: int = 0,
                      workers: int | None = None, scheduler=None, plots: bool = True,
                      progress: bool = False) -> dict[str, Any]:
    """Calibrate synapse/device ``name`` (see the module docstring); write the JSON to ``out``.

    Returns a summary dict (model type, validation metrics, energy, wall time, paths).
    """
    from ..circuits.process import GENERIC_180
    from ..circuits.registry import get
    from ..spice.locate import binary_version
    from .calibrated import Calibrated, save

    if name not in RECIPES:
        raise ParameterError(f"No synapse/device calibration recipe for {name!r}; known: "
                             f"{', '.join(RECIPES)}.")
    if isinstance(mc, bool) or int(mc) < 0:
        raise ParameterError(f"The 'mc' parameter must be an integer >= 0. Got {mc!r} instead.")
    t0 = time.perf_counter()
    entry = get(name)
    preset = preset or entry.default_preset
    p = params if params is not None else entry.params(preset)
    kw = {"workers": workers, "scheduler": scheduler, "progress": progress}
    res = RECIPES[name](p, int(mc), int(seed), kw)
    netlist = entry.generator(p)
    wall = time.perf_counter() - t0
    device = name in MEMRISTORS
    cal = Calibrated(
        circuit={"name": name, "preset": preset, "params": _jsonable(asdict(p))},
        process={"name": "behavioural" if device else GENERIC_180.name,
                 "corner": None if device else GENERIC_180.corner},
        model_type=res.model_type,
        params=_entries(res.model, res.stderr),
        distribution=res.distribution,
        validation=dict(res.validation),
        energy=dict(res.energy),
        provenance={"deck_sha256": hashlib.sha256(netlist.text().encode()).hexdigest(),
                    "model_card_sha256": None if device else _sha256_file(
                        GENERIC_180.resolved_lib_path()),
                    "ngspice_version": "none (numpy device model)" if device else str(
                        binary_version() or "unknown"),
                    "n_mc": int(mc), "seed": int(seed),
                    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                        timespec="seconds"),
                    "wall_time_s": wall, "workers": workers,
                    "command": f"neurocircuit calibrate {name} --preset {preset} --mc {mc} "
                               f"--seed {seed}"},
        extra={**res.extra, "mc": {"names": list(res.distribution.names),
                                   "params": res.mc_table}
               if res.distribution is not None else None},
        components={role: {"type": t, "params": _entries(q, {})}
                    for role, (t, q) in res.components.items()},
    )
    summary = {"name": name, "preset": preset, "model_type": res.model_type,
               "validation": dict(cal.validation), "energy": dict(cal.energy),
               "n_mc": int(mc), "wall_time_s": wall}
    if out:
        path = save(cal, out)
        summary["path"] = str(path)
        if plots:
            summary["plots"] = _plots(path, name, res)
    return summary


def _sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, (str, bool, int, float)) or v is None else str(v))
            for k, v in d.items()}


def _plots(path: Path, name: str, res: SynCal) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    written = []
    if res.plot is not None:
        fig, ax = plt.subplots(figsize=(8, 4))
        res.plot(ax)
        ax.legend(fontsize=8)
        fig.tight_layout()
        f1 = path.with_name(path.stem + "_fit.png")
        fig.savefig(f1, dpi=90)
        plt.close(fig)
        written.append(str(f1))
    if res.distribution is not None and res.mc_table is not None:
        k = len(res.distribution.names)
        fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 3), squeeze=False)
        for j, ax in enumerate(axes[0]):
            col = np.asarray(res.mc_table, float)[:, j]
            ax.hist(col[np.isfinite(col)], bins=20)
            ax.set_title(res.distribution.names[j])
        fig.suptitle(f"{name}: fitted parameters over {res.distribution.n} Monte-Carlo "
                     "instances")
        fig.tight_layout()
        f2 = path.with_name(path.stem + "_params.png")
        fig.savefig(f2, dpi=90)
        plt.close(fig)
        written.append(str(f2))
    return written
