r"""Calibrate a neuron circuit: SPICE F–I → compact model → validation → mismatch → JSON.

For circuit ``name`` at ``params`` (spec :data:`SPECS[name]`):

1. nominal F–I curve (``n_points`` DC steps), a reference step (energy per spike) and a quiet
   run (static power ``P_0``), in parallel (:func:`neurocircuit.spice.sweep.sweep`);
2. least-squares fit of the compact model's free parameters to the F–I curve (several starts,
   covariance), F–I relative RMS error ``ε_FI``; a spec may replace it (``refine``: the DPI
   neuron fits spike timing on a *training* OU run jointly with its F–I curve) and bring its own
   F–I predictor (``predict``: the DPI's simulated, adaptation-aware measurement);
   if-refractory, switched-cap-lif, tau-cell and log-domain refine by a joint fit of the F–I
   curve and the spike-triggered interval predictions under a *training* OU current (seed
   ``seed + 777``; :func:`.recipe_common.isi_refine`, :mod:`.isi_fit`); quadratic-if fits
   the Izhikevich model to its F–I spike sequences (:mod:`.recipe_qif`); ``digital-if`` has
   its own exact route (:mod:`.digital_cal`: bit-exact validation, no fit);
3. held-out validation: a fresh OU current into the circuit and the model, Γ (±2 ms);
4. Monte Carlo (``mc`` instances, Pelgrom mismatch, :func:`~neurocircuit.spice.sweep.monte_carlo`):
   rates at ``i_ref`` and at ``k`` currents per instance → one fit per instance of the spec's
   ``mc_free`` parameters (the others at their nominal fit; ``mc_fit``: all instances in one
   batch) → :class:`ParamDistribution`;
5. distribution check: rates at ``i_ref`` of ``n_check`` models sampled from the distribution
   against the Monte-Carlo rates (two-sample KS ``p``, ``σ_model/σ_MC``);
6. the calibrated JSON (:mod:`.calibrated`) plus ``<stem>_fit.png`` (F–I overlay, OU rasters)
   and ``<stem>_params.png`` (parameter histograms) next to it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FitError, FitWarning, ParameterError
from ..units import field_unit
from .fit import Free, fit_fi
from .provenance import jsonable, param_histograms, provenance
from .recipe_common import isi_refine as _isi_refine
from .recipe_current_mode import LD_MC_FREE as _LD_MC_FREE
from .recipe_current_mode import TC_FI_WEIGHT as _TC_FI_WEIGHT
from .recipe_current_mode import ld_base as _ld_base
from .recipe_current_mode import ld_free as _ld_free
from .recipe_current_mode import ou_ld as _ou_ld
from .recipe_current_mode import ou_tc as _ou_tc
from .recipe_current_mode import tc_base as _tc_base
from .recipe_current_mode import tc_free as _tc_free
from .recipe_dpi import dpi_base as _dpi_base
from .recipe_dpi import dpi_free as _dpi_free
from .recipe_dpi import dpi_max_step as _dpi_max_step
from .recipe_dpi import dpi_mc_fit as _dpi_mc_fit
from .recipe_dpi import dpi_predict as _dpi_predict
from .recipe_dpi import dpi_refine as _dpi_refine
from .recipe_dpi import ou_dpi as _ou_dpi
from .recipe_qif import ou_qif as _ou_qif
from .recipe_qif import qif_base as _qif_base
from .recipe_qif import qif_free as _qif_free
from .recipe_qif import qif_mc_fit as _qif_mc_fit
from .recipe_qif import qif_predict as _qif_predict
from .recipe_qif import qif_refine as _qif_refine
from .validate import HELD_OUT_OFFSET

__all__ = ["CalSpec", "SPECS", "HELD_OUT_OFFSET", "calibrate", "mc_fit_instance", "validate_ou"]


@dataclass(frozen=True)
class CalSpec:
    """How to calibrate one circuit: model type, initial guess, free parameters, OU stimulus."""

    model_type: str
    base: Callable[[Any], Any]
    free: Callable[[Any], dict[str, Free]]
    mc_free: tuple[str, ...]
    mc_index: tuple[int, ...]
    ou: Callable[[Any], dict[str, float]]
    extra: Callable[[Any], list[float]] = lambda p: []
    spec: Mapping[str, Any] | None = None  # overrides of the characterisation spec
    # p -> F–I predictor (model, currents) -> rates; default the model's closed form
    predict: Callable[[Any], Callable[[Any, np.ndarray], np.ndarray]] | None = None
    # (p, base, currents, rates, predict, seed) -> Fit: replaces the F–I-only fit (step 2)
    refine: Callable[..., Any] | None = None
    # (mc_currents, rate_table, nominal, mc_free, predict) -> (n, k) fits of all instances
    mc_fit: Callable[..., np.ndarray] | None = None
    # merge circuit spikes closer than this (s): output glitches counted as extra spikes
    min_isi: float | None = None


def _ah_base(p):
    from .neuron_models import LinearIFParams

    return LinearIFParams(q_th=p.c_fb * p.vdd, i_reset=p.i_r, t_ref=1e-7)


def _ah_free(p):
    q = p.c_fb * p.vdd
    return {"q_th": Free(q, q / 20, q * 20), "i_reset": Free(p.i_r, p.i_r / 20, p.i_r * 20),
            "t_ref": Free(1e-7, 1e-10, 1e-2), "i_leak": Free(1e-13, 1e-16, 1e-11)}


def _ifr_base(p):
    from ..circuits.neurons.if_refractory import t_pw_estimate, t_ref_estimate
    from .neuron_models import LinearIFParams

    return LinearIFParams(q_th=p.c_mem * p.v_thr, i_leak=p.i_leak,
                          t_ref=t_pw_estimate(p) + t_ref_estimate(p))


def _ifr_free(p):
    b = _ifr_base(p)
    return {"q_th": Free(b.q_th, b.q_th / 20, b.q_th * 20),
            "i_leak": Free(b.i_leak, b.i_leak / 100, b.i_leak * 100),
            "t_ref": Free(b.t_ref, b.t_ref / 50, b.t_ref * 50), "tau": Free(1e-2, 1e-5, 10.0)}


def _ou_ah(p):
    mean = 110.0 * p.c_fb * p.vdd  # ≈ 110 Hz: the ±2 ms window of Γ needs 2νΔ ≪ 1
    return {"mean": mean, "sigma": 0.4 * mean, "tau": 5e-3, "t_stop": 1.0,
            "dt_stim": 2e-4, "dt_model": 5e-6}


def _ou_ifr(p):
    return {"mean": 2.0 * p.i_leak, "sigma": 0.5 * p.i_leak, "tau": 5e-3, "t_stop": 1.0,
            "dt_stim": 2e-4, "dt_model": 5e-6}


def _ifr_train(p):
    """Training OU stimulus of the if-refractory timing fit: the statistics of the held-out
    :func:`_ou_ifr` (mean 2·I_leak, σ = I_leak/2, τ = 5 ms, 1 s) with seed ``seed + 777``."""
    return _ou_ifr(p)


def _sc_base(p):
    from ..circuits.neurons.switched_cap_lif import tau_sc
    from .neuron_models import LinearIFParams

    return LinearIFParams(q_th=p.c_mem * (p.v_thr - p.v_rest), i_leak=1e-12, tau=tau_sc(p),
                          t_ref=p.c_k * 0.5 * p.vdd * (1 / p.i_pw + 1 / p.i_rfr))


def _sc_free(p):
    b = _sc_base(p)
    return {"q_th": Free(b.q_th, b.q_th / 20, b.q_th * 20),
            "i_leak": Free(1e-12, 1e-15, 1e-8),
            "tau": Free(b.tau, b.tau / 20, b.tau * 20),
            "t_ref": Free(b.t_ref, b.t_ref / 50, b.t_ref * 50)}


def _ou_sc(p):
    """Held-out OU of the switched-capacitor LIF, scaled to its time scale (τ ≈ 0.1 ms, ISIs
    ≈ 0.1–0.3 ms): mean 1.5·I_rh, σ = 0.5·I_rh, τ_OU = 0.5 ms, 20 ms. The ±2 ms window of Γ
    is longer than an ISI here (2νΔ > 1, Γ undefined), so Γ uses Δ = 2 clock periods."""
    from ..circuits.neurons.switched_cap_lif import _i_rh

    i = _i_rh(p)
    return {"mean": 1.5 * i, "sigma": 0.5 * i, "tau": 5e-4, "t_stop": 0.02,
            "dt_stim": 1e-5, "dt_model": 2e-7, "dt_fit": 1e-6, "window": 2.0 / p.f_clk}


SPECS: Mapping[str, CalSpec] = {
    "axon-hillock": CalSpec("linear-if", _ah_base, _ah_free, ("q_th", "i_reset"),
                            (2, 8, 13), _ou_ah, lambda p: [0.01 * p.i_r, 0.03 * p.i_r]),
    "if-refractory": CalSpec("linear-if", _ifr_base, _ifr_free, ("q_th", "i_leak", "t_ref"),
                             (6, 9, 12), _ou_ifr,
                             lambda p: [p.i_leak * k for k in (1.1, 1.3, 1.7, 2.5, 4.0)],
                             refine=partial(_isi_refine, "if-refractory", _ifr_train,
                                            _ifr_free)),
    "dpi-neuron": CalSpec("current-mode", _dpi_base, _dpi_free,
                          ("tau", "i_gain", "t_ref"), (6, 11, 16), _ou_dpi,
                          lambda p: [3.0 * p.i_tau, 5.0 * p.i_tau, 10.0 * p.i_tau],
                          {"t_stop": lambda p, i: 0.2, "skip": 3, "max_step": _dpi_max_step},
                          predict=_dpi_predict, refine=_dpi_refine, mc_fit=_dpi_mc_fit),
    "switched-cap-lif": CalSpec("linear-if", _sc_base, _sc_free, ("q_th", "tau", "t_ref"),
                                (4, 8, 13), _ou_sc,
                                refine=partial(_isi_refine, "switched-cap-lif", _ou_sc,
                                               _sc_free)),
    "quadratic-if": CalSpec("izhikevich", _qif_base, _qif_free, ("t_scale", "i_scale"),
                            (4, 8, 13), _ou_qif, predict=_qif_predict, refine=_qif_refine,
                            mc_fit=_qif_mc_fit),
    # tau-cell: 'out' carries a ~50 ns glitch ~3 µs before every spike pulse (counted as a
    # second spike by the characterisation: rates ×2); merged within 0.1 ms (≪ t_ref ≈ 1 ms)
    "tau-cell-neuron": CalSpec("current-mode", _tc_base, _tc_free, ("tau", "i_gain", "t_ref"),
                               (2, 8, 15), _ou_tc,
                               refine=partial(_isi_refine, "tau-cell-neuron", _ou_tc, _tc_free,
                                              min_isi=1e-4, fi_weight=_TC_FI_WEIGHT),
                               min_isi=1e-4),
    "log-domain-neuron": CalSpec("current-mode", _ld_base, _ld_free,
                                 _LD_MC_FREE, (2, 8, 15), _ou_ld,
                                 refine=partial(_isi_refine, "log-domain-neuron", _ou_ld,
                                                _ld_free, min_isi=1e-4), min_isi=1e-4),
}
"""Calibration recipes of the circuits that have one."""


def mc_fit_instance(currents: np.ndarray, rates: np.ndarray, nominal: Any,
                    free_names: tuple[str, ...]) -> list[float]:
    """Fit ``free_names`` of one Monte-Carlo instance, starting from the nominal fit."""
    free = {n: Free(float(getattr(nominal, n)), float(getattr(nominal, n)) / 10,
                    float(getattr(nominal, n)) * 10) for n in free_names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        try:
            f = fit_fi(nominal, currents, rates, free, n_starts=1, warn_rel=None)
        except FitError:
            return [float("nan")] * len(free_names)
    return [float(v) for v in f.values]


def _fit_v_init(model: Any, i_ref: float, spikes: Any) -> Any:
    """Set a linear IF's ``v_init`` so that its first spike from rest at ``i_ref`` comes when
    the circuit's does (``v_init = 1 − (I − I_leak)·t_1/Q_th`` without exponential leak)."""
    from .neuron_models import LinearIFParams

    sp = np.asarray(spikes if spikes is not None else [], float)
    if not isinstance(model, LinearIFParams) or sp.size == 0 or np.isfinite(model.tau):
        return model
    v0 = 1.0 - (i_ref - float(model.i_leak)) * float(sp[0]) / float(model.q_th)
    return replace(model, v_init=float(np.clip(v0, -10.0, 0.0)))


def _dedupe_result(r: Any, min_isi: float, skip: int) -> Any:
    from ..measure import firing_rate
    from .validate import dedupe_spikes

    if not r or "spikes" not in r:
        return r
    sp = dedupe_spikes(r["spikes"], min_isi)
    return {**r, "spikes": sp, "rate": firing_rate(sp, skip=skip if sp.size > skip + 1 else 0)}


def _mc_instance_dedupe(point: tuple[int, int], name: str, spec_jobs: tuple, min_isi: float,
                        skip: int) -> list[float]:
    """:func:`~neurocircuit.evaluate.characterize_neurons._mc_instance` with merged spikes."""
    from ..evaluate.characterize_neurons import run_fi_job

    _, sd = point
    return [_dedupe_result(run_fi_job(replace(j, seed=int(sd))), min_isi, skip)["rate"]
            for j in spec_jobs]


def _param_entry(params: Any, name: str, stderr: Mapping[str, float]) -> dict[str, Any]:
    v = getattr(params, name)
    out = {"value": v if isinstance(v, str) else float(v), "unit": field_unit(params, name)}
    if name in stderr:
        out["stderr"] = float(stderr[name])
    return out


def _init_model(name: str, cs: CalSpec, init: str | Path | None) -> tuple[Any, dict]:
    """The start model of ``init`` (a calibrated file of circuit ``name``) and its provenance
    entry; ``(None, {})`` without one. Checked before any simulation."""
    import inspect

    from .calibrated import load, model_params
    from .provenance import sha256_file

    if init is None:
        return None, {}
    if cs.refine is None or "init" not in inspect.signature(cs.refine).parameters:
        raise ParameterError(f"The 'init' start is not supported by the {name!r} recipe "
                             "(recipes that take one: dpi-neuron).")
    cal = load(init)
    if cal.circuit.get("name") != name:
        raise ParameterError(f"The 'init' file {str(init)!r} calibrates "
                             f"{cal.circuit.get('name')!r}, not {name!r}.")
    return model_params(cal), {"init": {"path": str(init), "sha256": sha256_file(init)}}


def validate_ou(name: str, p: Any, model: Any, seed: int,
                ou: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Γ of ``model`` against circuit ``name`` (params ``p``) on the OU current of ``seed``,
    simulated as the calibration does (its threshold, step, options and spike merging);
    ``ou`` overrides the recipe's stimulus (:func:`~.validate.held_out_ou` keys ``mean``,
    ``sigma``, ``tau``, ``t_stop``, ``dt_stim``, ``dt_model``, optional ``window``)."""
    from ..evaluate.characterize_neurons import _value, characterization_spec
    from .validate import held_out_ou

    if name not in SPECS:
        raise ParameterError(f"No OU validation for {name!r}; known: {', '.join(SPECS)}.")
    cs = SPECS[name]
    spec = {**characterization_spec(name), **(cs.spec or {})}
    ou = dict(cs.ou(p) if ou is None else ou)
    return held_out_ou(name, p, model, ou["mean"], ou["sigma"], ou["tau"], ou["t_stop"],
                       int(seed), ou["dt_stim"], ou["dt_model"],
                       float(_value(spec["threshold"], p)),
                       max_step=float(_value(spec["max_step"], p)),
                       window=float(ou.get("window", 2e-3)), options=spec["options"],
                       min_isi=cs.min_isi)


def calibrate(name: str, params: Any = None, preset: str | None = None, out: str | Path = "",
              mc: int = 100, seed: int = 0, workers: int | None = None, scheduler=None,
              n_points: int = 16, n_check: int = 2000, progress: bool = False,
              plots: bool = True, ou_t_stop: float | None = None,
              init: str | Path | None = None) -> dict[str, Any]:
    """Calibrate circuit ``name`` (see module steps); write the JSON to ``out``.

    ``init``: a calibrated file of the same circuit whose model is a second start of the
    timing refinement (recipes that take one: dpi-neuron); recorded in the provenance.
    Returns a summary dict (metrics, wall time, paths).
    """
    from scipy.stats import ks_2samp

    from ..circuits.process import GENERIC_180
    from ..circuits.registry import get
    from ..evaluate.characterize_neurons import (
        FiJob,
        _currents,
        _job,
        _mc_instance,
        _value,
        characterization_spec,
        run_fi_job,
    )
    from ..spice.sweep import monte_carlo, sweep
    from .calibrated import Calibrated, save
    from .fit import fi_predictor
    from .mismatch import fit_distribution, sample_params
    from .validate import fi_rel_rms

    if name == "digital-if":  # exact model, bit-exact validation (no F–I fit, no mismatch)
        from .digital_cal import calibrate_digital

        return calibrate_digital(name, params, preset, out, mc, seed, workers, scheduler,
                                 progress=progress)
    if name not in SPECS:
        raise ParameterError(f"No calibration recipe for {name!r}; known: {', '.join(SPECS)}.")
    t0 = time.perf_counter()
    cs = SPECS[name]
    init_model, init_prov = _init_model(name, cs, init)
    entry = get(name)
    preset = preset or entry.default_preset
    p = params if params is not None else entry.params(preset)
    spec = {**characterization_spec(name), **(cs.spec or {})}
    currents = np.sort(np.concatenate([_currents(spec, p, n_points), cs.extra(p)]))
    n_points = currents.size
    i_ref = float(_value(spec["i_ref"], p))
    quiet = float(_value(spec["t_quiet"], p))
    jobs = [_job(name, spec, p, i) for i in currents]
    jobs.append(_job(name, spec, p, i_ref))
    jobs.append(FiJob(name, p, 0.0, quiet, quiet / 200.0, float(_value(spec["threshold"], p)),
                      spec["probe"], 0, None, False, float(spec["timeout"]), True))
    nom = sweep(run_fi_job, jobs, workers=workers, scheduler=scheduler, progress=progress,
                desc=f"{name} F–I")
    res = list(nom.results)
    if cs.min_isi:
        res = [_dedupe_result(r, cs.min_isi, int(spec["skip"])) for r in res]
    rates = np.array([r["rate"] if r else np.nan for r in res[:n_points]])
    ref = res[n_points] or {}
    static = float(res[n_points + 1]["mean_power"]) if res[n_points + 1] else float("nan")

    latency = np.array([r["spikes"][0] if r and len(r["spikes"]) else np.nan
                        for r in res[:n_points]])
    base = cs.base(p)
    pred = cs.predict(p) if cs.predict is not None else fi_predictor(type(base))
    if cs.refine is not None:
        fit = cs.refine(p, base, currents, rates, pred, seed,
                        **({"init": init_model} if init_model is not None else {}))
    else:
        fit = fit_fi(base, currents, rates, cs.free(p), n_starts=6, seed=seed)
    model = fit.params
    model = _fit_v_init(model, i_ref, ref.get("spikes"))
    eps_fi = fi_rel_rms(pred(model, currents), rates)

    ou = cs.ou(p)
    if ou_t_stop is not None:
        ou["t_stop"] = float(ou_t_stop)
    val = validate_ou(name, p, model, seed + HELD_OUT_OFFSET, ou)

    dist, ks = None, {}
    mc_table = mc_rates = None
    if mc and mc > 0:
        idx = [j for j in cs.mc_index if j < n_points]
        mc_currents = [i_ref] + [float(currents[j]) for j in idx]
        fn = partial(_mc_instance if not cs.min_isi else
                     partial(_mc_instance_dedupe, min_isi=cs.min_isi, skip=int(spec["skip"])),
                     name=name, spec_jobs=tuple(_job(name, spec, p, i) for i in mc_currents))
        mres = monte_carlo(fn, int(mc), seed, workers=workers, scheduler=scheduler,
                           progress=progress, desc=f"{name} Monte Carlo")
        table = np.array([r if r is not None else [np.nan] * len(mc_currents)
                          for r in mres.results], float)
        mc_rates = table[:, 0]
        if cs.mc_fit is not None:
            fits = cs.mc_fit(np.asarray(mc_currents), table, model, cs.mc_free, pred)
        else:
            fits = [mc_fit_instance(np.asarray(mc_currents), row, model, cs.mc_free)
                    if np.all(np.isfinite(row)) else [np.nan] * len(cs.mc_free)
                    for row in table]
        mc_table = np.asarray(fits, float)
        dist = fit_distribution(mc_table, cs.mc_free)
        sampled = sample_params(dist, model, n_check, np.random.default_rng(seed + 1))
        r_model = pred(sampled, np.full(n_check, i_ref))
        ok = np.isfinite(mc_rates)
        stat = ks_2samp(r_model, mc_rates[ok])
        ks = {"ks_p": float(stat.pvalue), "ks_stat": float(stat.statistic),
              "rate_ref_mc_mean_hz": float(mc_rates[ok].mean()),
              "rate_ref_mc_std_hz": float(mc_rates[ok].std(ddof=1)),
              "rate_ref_model_mean_hz": float(r_model.mean()),
              "rate_ref_model_std_hz": float(r_model.std(ddof=1)),
              "sigma_ratio": float(r_model.std(ddof=1) / mc_rates[ok].std(ddof=1)),
              "mc_failures": len(mres.failures),
              "mc_fit_failures": int(np.sum(~np.all(np.isfinite(mc_table), axis=1)))}

    netlist = entry.generator(p)
    stderr = dict(zip(fit.names, fit.stderr.tolist()))
    e_spike = float(ref.get("energy_per_spike", np.nan))
    isi_mean = 1.0 / ref["rate"] if ref.get("rate") else float("nan")
    wall = time.perf_counter() - t0
    cal = Calibrated(
        circuit={"name": name, "preset": preset, "params": jsonable(asdict(p))},
        process={"name": GENERIC_180.name, "corner": GENERIC_180.corner},
        model_type=cs.model_type,
        params={f.name: _param_entry(model, f.name, stderr) for f in fields(model)},
        distribution=dist,
        validation={"fi_rel_rms": eps_fi, "fit_rel_rms": fit.metrics["rel_rms"],
                    "gamma_ou": val["gamma"], "ou_rate_circuit_hz": val["rate_circuit_hz"],
                    "ou_rate_model_hz": val["rate_model_hz"], "ou_stimulus": val["stimulus"],
                    "gamma_window_s": val["window_s"], **ks},
        energy={"per_spike_j": e_spike, "per_spike_dynamic_j": e_spike - static * isi_mean,
                "per_event_j": None, "static_power_w": static, "i_ref_a": i_ref},
        provenance=provenance(deck=netlist.text(), name=name, preset=preset, mc=mc, seed=seed,
                              wall=wall, workers=workers,
                              ngspice_version=str(val.get("ngspice_version", "unknown")),
                              model_card=GENERIC_180.resolved_lib_path(), **init_prov),
        extra={"fi_curve": {"i_in_a": currents, "rate_hz": rates, "latency_s": latency,
                            "rate_model_hz": pred(model, currents)},
               "fit": {"names": list(fit.names), "cov": fit.cov,
                       "n_starts": int(fit.metrics.get("n_starts", 6)),
                       **dict(fit.metrics.get("extra", {}))},
               "mc": {"i_ref_a": i_ref, "rate_hz": mc_rates,
                      "params": mc_table} if mc_table is not None else None},
    )
    summary = {"name": name, "preset": preset, "validation": dict(cal.validation),
               "wall_time_s": wall}
    if out:
        path = save(cal, out)
        summary["path"] = str(path)
        if plots:
            summary["plots"] = _plots(path, name, currents, rates, model, pred, val, dist,
                                      mc_table)
    return summary


def _plots(path: Path, name, currents, rates, model, pred, val, dist, mc_table) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    ii = np.linspace(currents.min(), currents.max(), 300)
    a1.plot(currents * 1e9, rates, "o", label="ngspice")
    a1.plot(ii * 1e9, pred(model, ii), "-", label="fitted model")
    a1.set_xlabel("input current (nA)")
    a1.set_ylabel("rate (Hz)")
    a1.set_title(f"{name}: F–I fit")
    a1.legend()
    a2.eventplot([val["spikes_circuit"], val["spikes_model"]], lineoffsets=[1, 0],
                 colors=["C0", "C1"])
    a2.set_yticks([0, 1], ["model", "ngspice"])
    a2.set_xlabel("time (s)")
    a2.set_title(f"held-out OU input: Γ = {val['gamma']:.3f}")
    fig.tight_layout()
    f1 = path.with_name(path.stem + "_fit.png")
    fig.savefig(f1, dpi=90)
    plt.close(fig)
    written = [str(f1)]
    if dist is not None and mc_table is not None:
        written.append(param_histograms(path, name, dist.names, mc_table, dist.n))
    return written


def recalibrate_from(cal_path: str | Path) -> Any:
    """The nominal compact model of a calibrated file (convenience)."""
    from .calibrated import load, model_params

    return model_params(load(cal_path))
