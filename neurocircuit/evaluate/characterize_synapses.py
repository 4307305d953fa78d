"""Characterise a synapse circuit: PSC, τ, charge, rate gain, depression, STDP window, energy, MC.

Protocols (all simulations of one call run in parallel through
:func:`neurocircuit.spice.sweep.sweep`; Monte Carlo through
:func:`~neurocircuit.spice.sweep.monte_carlo`, Pelgrom mismatch on every transistor, seeds from
``SeedSequence(seed)``):

* PSC synapses (pulse, log-domain, DPI, CMI-STP): one presynaptic pulse → peak ``I_pk``, decay
  time ``τ`` (exponential fit of the tail; for the hyperbolic CMI the 1/e time), charge
  ``Q = ∫ I dt``; regular trains at ``rates`` → ``⟨I⟩(r) = g·r + b`` (gain ``g`` in A/Hz = C per
  spike); energy per event ``E = ∫ −V_dd i_vdd dt − P_0·T`` over the single-pulse run, with the
  static power ``P_0`` from its quiet lead-in;
* CMI-STP also: paired-pulse ratio vs interval (fit ``1 − d e^{−Δ/τ_rec}``) and steady efficacy
  vs rate (fit ``1/(1 + c r)``, ``c = δ τ_rec``);
* STDP synapse: Δw(Δt) over ``dts`` (bistable refresh off) → A±, τ±; output PSC with the weight
  high; energy of one pre/post pair;
* bistable: final states from several starts, switching threshold, drift time from θ_w + 50 mV
  (Monte Carlo of the drift time instead of a PSC peak).

The STDP and bistable protocols live in :mod:`.characterize_synapses_extra`.

Writes ``characterization.json`` (unit-suffixed keys: ``tau_s``, ``peak_a``, ``charge_c``,
``gain_a_per_hz``, ``energy_per_event_j``, ``stdp_window.dt_s``, ``stdp_window.dw``,
``mc.peak_a_std``, ``wall_time_s`` ...) and PNG plots into ``out_dir``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .characterize_neurons import _jsonable, simulate_bench

__all__ = ["CHARACTERIZERS", "SynJob", "run_syn_job", "characterize_synapse"]

WIDTH = 1e-3
STDP_WIDTH = 1e-4
RATES = (10.0, 20.0, 40.0, 70.0, 100.0)
INTERVALS = (5e-3, 10e-3, 20e-3, 40e-3, 80e-3)
DTS = (-20e-3, -15e-3, -10e-3, -5e-3, -2e-3, 2e-3, 5e-3, 10e-3, 15e-3, 20e-3)
W0S = (0.2, 0.6, 0.85, 0.95, 1.2, 1.6)


@dataclass(frozen=True)
class SynJob:
    """One synapse simulation (plain data, picklable): a testbench builder and its arguments."""

    name: str
    params: Any
    bench: str
    kwargs: tuple = ()
    seed: int | None = None
    extra: tuple = ()


def _netlist(job: SynJob):
    from ..circuits.process import GENERIC_180
    from ..circuits.registry import get

    mm = GENERIC_180.mismatch(int(job.seed) % 2**63) if job.seed is not None else None
    return get(job.name).generator(job.params, mismatch=mm)


def run_syn_job(job: SynJob) -> dict[str, Any]:
    """Simulate one job; ``{"t", <probe roles>..., "meta"}`` as arrays (top-level, picklable)."""
    from ..circuits import synapse_testbenches as stb

    bench = getattr(stb, job.bench)(_netlist(job), **dict(job.kwargs))
    res = simulate_bench(bench, cache=False)
    out: dict[str, Any] = {"t": np.asarray(res.axis, float), "meta": dict(bench.meta)}
    out["meta"].pop("synapse", None)
    for role, vec in bench.probes.items():
        out[role] = np.asarray(res[vec], float)
    for vec in job.extra:
        out[vec] = np.asarray(res[vec], float)
    out["vdd"] = bench.vdd
    return out


def _psc_summary(r: dict, t_on: float, plateau: float | None = None) -> dict[str, float]:
    """Peak, τ, charge, static power and energy per event of a single-pulse run.

    ``plateau`` (the pulse width) makes the peak the median current over the second half of
    the pulse: the switched current-source synapses (pulse, STDP output) have no dynamics,
    and their onset carries a sub-µs charge-sharing spike that is not the PSC.
    """
    from ..measure import synapse as ms
    from ..measure.timeconst import time_to_fraction

    t, i = r["t"], r["out"]
    base = float(np.interp(t_on * 0.9, t, i))
    pk, t_pk = ms.psc_peak(t, i, baseline=base)
    if plateau is not None:
        sel = (t >= t_on + plateau / 2) & (t <= t_on + plateau)
        pk, t_pk = float(np.median(i[sel]) - base), t_on + plateau / 2
    out = {"peak_a": pk, "t_peak_s": t_pk, "charge_c": ms.charge(t, i, baseline=base)}
    try:
        fit = ms.psc_decay(t, i, baseline=base, delay=0.0, floor=0.05)
        out.update({"tau_s": fit.tau, "tau_fit_r2": fit.r2})
    except Exception:  # no decay (pulse synapse) or too short a tail
        out.update({"tau_s": None, "tau_fit_r2": None})
    out["tau_1e_s"] = time_to_fraction(t, i - base, t0=t_pk, v_final=0.0)
    if plateau is not None:  # no dynamics of its own: the current stops with the pulse
        out.update({"tau_s": None, "tau_fit_r2": None, "tau_1e_s": None})
    p_static = ms.energy_per_event(t, r["supply"], r["vdd"], 0.5 * t_on, 0.95 * t_on) / (
        0.45 * t_on)
    out["static_power_w"] = p_static
    out["energy_per_event_j"] = ms.energy_per_event(t, r["supply"], r["vdd"], 0.95 * t_on,
                                                    float(t[-1]), static=p_static)
    return out


def _plateau(name: str) -> float | None:
    return {"pulse-synapse": WIDTH, "stdp-synapse": STDP_WIDTH}.get(name)


def _mc_peak(point, job: SynJob, t_on: float) -> float:
    _, seed = point
    r = run_syn_job(replace(job, seed=int(seed)))
    return _psc_summary(r, t_on, _plateau(job.name))["peak_a"]


def _mc_drift(point, job: SynJob, v_from: float) -> float:
    from ..measure import synapse as ms

    _, seed = point
    r = run_syn_job(replace(job, seed=int(seed)))
    w = r["w"]
    return ms.drift_time(r["t"], w, v_from, v_from + 0.95 * (w[-1] - v_from))


def _single_job(name, p, t_stop=None) -> tuple[SynJob, float]:
    if name == "stdp-synapse":
        kw = {"times": [5e-3], "t_stop": 30e-3, "width": STDP_WIDTH, "ic": {"w": p.vdd - 0.1},
              "max_step": 2.5e-5}
        return SynJob(name, p, "train", tuple(kw.items())), 5e-3
    tau = _tau_guess(name, p)
    ts = t_stop if t_stop is not None else 5e-3 + WIDTH + 8 * tau
    kw = {"width": WIDTH, "t_on": 5e-3, "t_stop": ts, "max_step": min(WIDTH / 20, tau / 40)}
    return SynJob(name, p, "single_pulse", tuple(kw.items())), 5e-3


def _tau_guess(name, p) -> float:
    from ..circuits.synapses import dpi, log_domain

    if name == "dpi-synapse":
        return dpi.tau_estimate(p)
    if name == "log-domain-synapse":
        return log_domain.tau_estimate(p)
    if name == "cmi-stp-synapse":
        return 10e-3
    return 2e-3


def characterize_synapse(
    name: str, params, out_dir, mc: int = 0, workers: int | None = None, scheduler=None,
    seed: int = 0, progress: bool = True,
) -> dict[str, Any]:
    """Characterise synapse ``name`` at ``params``; write JSON + PNGs into ``out_dir``."""
    from ..spice.sweep import monte_carlo

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    kw = {"workers": workers, "scheduler": scheduler, "progress": progress}
    out: dict[str, Any] = {"circuit": name, "params": _jsonable(params)}
    if name == "bistable-synapse":
        from .characterize_synapses_extra import characterize_bistable

        out.update(characterize_bistable(params, out_dir, mc, seed, kw))
    elif name == "stdp-synapse":
        from .characterize_synapses_extra import characterize_stdp

        out.update(characterize_stdp(params, out_dir, kw))
    else:
        out.update(_psc_protocol(name, params, out_dir, kw))
    if mc and mc > 0 and name != "bistable-synapse":
        job, t_on = _single_job(name, params)
        mres = monte_carlo(partial(_mc_peak, job=job, t_on=t_on), int(mc), seed,
                           desc=f"{name} Monte Carlo", **kw)
        peaks = np.array([x if x is not None else np.nan for x in mres.results], float)
        ok = np.isfinite(peaks)
        mean = float(peaks[ok].mean()) if ok.any() else float("nan")
        std = float(peaks[ok].std(ddof=1)) if ok.sum() > 1 else float("nan")
        out.update({"mc.n": int(mc), "mc.seed": int(seed), "mc.peak_a": peaks.tolist(),
                    "mc.peak_a_mean": mean, "mc.peak_a_std": std,
                    "mc.peak_rel_std": std / mean if mean else None,
                    "mc.failures": len(mres.failures)})
    out["wall_time_s"] = time.perf_counter() - t0
    out = _jsonable(out)
    (out_dir / "characterization.json").write_text(json.dumps(out, indent=1))
    return out


def _psc_protocol(name, p, out_dir, kw) -> dict[str, Any]:
    from ..measure import synapse as ms
    from ..spice.sweep import sweep

    single, t_on = _single_job(name, p)
    t_train = 0.3
    jobs = [single]
    extra = ("i(v.xs.veff)",) if name == "cmi-stp-synapse" else ()
    for r in RATES:
        a = {"rate": r, "t_stop": t_train, "width": WIDTH, "max_step": WIDTH / 4}
        jobs.append(SynJob(name, p, "regular_train", tuple(a.items()), extra=extra))
    if name == "cmi-stp-synapse":
        for d in INTERVALS:
            a = {"interval": d, "width": WIDTH, "t_after": 3e-3, "max_step": WIDTH / 4}
            jobs.append(SynJob(name, p, "paired_pulses", tuple(a.items()), extra=extra))
    res = sweep(run_syn_job, jobs, desc=f"{name} protocol", **kw)
    rs = list(res.results)
    out: dict[str, Any] = {"failures": [str(f.error) for f in res.failures],
                           "n_simulations": len(jobs)}
    if rs[0] is not None:
        out.update(_psc_summary(rs[0], t_on, _plateau(name)))
    trains = rs[1 : 1 + len(RATES)]
    mean = [ms.mean_current(r["t"], r["out"], 0.1, t_train) if r else np.nan for r in trains]
    out["rate_transfer.rate_hz"] = list(RATES)
    out["rate_transfer.mean_current_a"] = mean
    if all(np.isfinite(mean)):
        lf = ms.rate_transfer(RATES, mean)
        out.update({"gain_a_per_hz": lf.slope, "rate_transfer.r2": lf.r2})
    plots = {"trains": trains}
    if name == "cmi-stp-synapse":
        out.update(_depression(rs, trains))
        plots["depression"] = (out.get("depression.rate_hz"), out.get("depression.efficacy"),
                               out.get("depression.c_s"))
    out["plots"] = _plots(out_dir, name, rs[0], plots)
    return out


def _efficacy(r) -> np.ndarray:
    from ..measure import synapse as ms

    q = ms.charges_per_pulse(r["t"], r["i(v.xs.veff)"], r["meta"]["times"], 2 * WIDTH)
    return q / q[0]


def _depression(rs, trains) -> dict[str, Any]:
    from ..measure import synapse as ms

    pairs = rs[1 + len(RATES):]
    ppr = [float(_efficacy(r)[1]) if r else np.nan for r in pairs]
    w_inf = [float(_efficacy(r)[-3:].mean()) if r else np.nan for r in trains]
    out: dict[str, Any] = {"paired_pulse.interval_s": list(INTERVALS),
                           "paired_pulse.ratio": ppr, "depression.rate_hz": list(RATES),
                           "depression.efficacy": w_inf}
    try:
        d, tau_rec, r2 = ms.fit_recovery(INTERVALS, ppr)
        out.update({"paired_pulse.delta": d, "tau_rec_s": tau_rec, "paired_pulse.fit_r2": r2})
    except Exception as exc:  # no depression measurable
        out["paired_pulse.fit_error"] = str(exc)
    c, err = ms.fit_steady_efficacy(RATES, w_inf)
    out.update({"depression.c_s": c, "depression.max_rel_err": err})
    return out


def _plots(out_dir: Path, name: str, single, data: Mapping) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    written = []
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 5))
    if single is not None:
        a1.plot(single["t"] * 1e3, single["out"] * 1e12, lw=0.9)
    a1.set_ylabel("PSC (pA)")
    a1.set_xlabel("time (ms)")
    a1.set_title(f"{name}: single-pulse PSC")
    for r, rate in zip(data.get("trains", []), RATES):
        if r is not None:
            a2.plot(r["t"] * 1e3, r["out"] * 1e12, lw=0.6, label=f"{rate:g} Hz")
    a2.set_ylabel("PSC (pA)")
    a2.set_xlabel("time (ms)")
    a2.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(out_dir / "psc_traces.png", dpi=100)
    plt.close(fig)
    written.append("psc_traces.png")
    dep = data.get("depression")
    if dep is not None and dep[0] is not None:
        rates, eff, c = dep
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(rates, eff, "o", label="circuit")
        rr = np.linspace(0, max(rates), 100)
        ax.plot(rr, 1 / (1 + c * rr), "-", label=f"1/(1 + c r), c = {c * 1e3:.2f} ms")
        ax.set_xlabel("input rate (Hz)")
        ax.set_ylabel("steady efficacy")
        ax.set_title(f"{name}: depression curve")
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(out_dir / "depression_curve.png", dpi=100)
        plt.close(fig)
        written.append("depression_curve.png")
    return written


class _Characterizers(Mapping):
    """``name -> fn(params, out_dir, mc, workers, scheduler, seed, progress)`` for every synapse
    of the catalogue, built on access (no import-time work)."""

    def _names(self) -> list[str]:
        from ..circuits.synapses import CATALOG

        return [e.name for e in CATALOG]

    def __getitem__(self, name: str):
        if name not in self._names():
            raise KeyError(name)
        return partial(characterize_synapse, name)

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


CHARACTERIZERS: Mapping = _Characterizers()
