r"""Validation metrics of a fitted model against the circuit.

**Spike coincidence factor** (Kistler et al. 1997; Jolivet et al. 2008). For a data train with
``N_data`` spikes, a model train with ``N_model`` spikes at rate ``ν`` (model), and
``N_coinc`` data spikes with a model spike within ``±Δ`` (each model spike used at most once)::

    Γ = (N_coinc − ⟨N_coinc⟩) / (½ (N_data + N_model)) · 1/𝒩,
    ⟨N_coinc⟩ = 2 ν Δ N_data,        𝒩 = 1 − 2 ν Δ

so ``Γ = 1`` for identical trains and ``E[Γ] = 0`` for a Poisson model train independent of the
data (the rate-corrected normalisation of Jolivet 2008). Default ``Δ = 2 ms``.

**F–I relative RMS error** over the currents where the circuit fires::

    ε_FI = sqrt( mean_k ((f_model(I_k) − f_circ(I_k)) / f_circ(I_k))² ),   f_circ > 0

**Trace NRMSE** (PSC traces, STDP windows): ``sqrt(mean((y_model − y)²)) / (max y − min y)``.

:func:`held_out_ou` plays a fresh Ornstein–Uhlenbeck input current into the ngspice circuit
(:func:`neurocircuit.circuits.testbenches.ou_current`) and into the fitted model, and returns
both spike trains and Γ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["HELD_OUT_OFFSET", "coincidence_factor", "fi_rel_rms", "nrmse", "circuit_ou",
           "held_out_ou", "model_spike_times", "dedupe_spikes"]


HELD_OUT_OFFSET = 12345
"""The held-out stimulus of a calibration run with ``seed`` has seed ``seed + HELD_OUT_OFFSET``
(never used for fitting)."""


def coincidence_factor(data: Any, model: Any, window: float = 2e-3,
                       duration: float | None = None) -> float:
    """Γ of a model spike train against a data train (times in s; see module equations).

    ``duration`` (s) sets the model rate ``ν = N_model/duration``; default the span from 0 to
    the last spike of either train.
    """
    d = np.sort(np.asarray(data, float).ravel())
    m = np.sort(np.asarray(model, float).ravel())
    if window <= 0:
        raise ParameterError(f"The coincidence window must be > 0 s. Got {window!r}.")
    if d.size == 0 and m.size == 0:
        return 1.0
    if d.size == 0 or m.size == 0:
        return 0.0
    span = duration if duration is not None else max(d[-1], m[-1])
    nu = m.size / span
    used = np.zeros(m.size, bool)
    n_coinc = 0
    for t in d:
        lo, hi = np.searchsorted(m, t - window, "left"), np.searchsorted(m, t + window, "right")
        cand = [j for j in range(lo, hi) if not used[j]]
        if cand:
            j = min(cand, key=lambda k: abs(m[k] - t))
            used[j] = True
            n_coinc += 1
    expected = 2.0 * nu * window * d.size
    norm = 1.0 - 2.0 * nu * window
    if norm <= 0:
        return float("nan")
    return float((n_coinc - expected) / (0.5 * (d.size + m.size)) / norm)


def fi_rel_rms(rate_model: Any, rate_circuit: Any) -> float:
    """Relative RMS error of an F–I curve over the points where the circuit fires."""
    fm = np.asarray(rate_model, float)
    fc = np.asarray(rate_circuit, float)
    ok = np.isfinite(fc) & (fc > 0)
    if not ok.any():
        return float("nan")
    return float(np.sqrt(np.mean(((fm[ok] - fc[ok]) / fc[ok]) ** 2)))


def nrmse(y_model: Any, y: Any) -> float:
    """RMS error normalised by the range of the reference ``y``."""
    a, b = np.asarray(y_model, float), np.asarray(y, float)
    rng = float(np.ptp(b))
    return float(np.sqrt(np.mean((a - b) ** 2)) / rng) if rng > 0 else float("nan")


def model_spike_times(params: Any, t: Any, current: Any, dt: float) -> np.ndarray:
    """Spike times (s) of a compact model driven by ``current`` (A) sampled at times ``t``.

    The stimulus is linearly interpolated onto a grid of step ``dt`` (as the PWL source of the
    circuit); spike times are the step starts (+ the sub-step crossing where the state has it).
    """
    from .neuron_models import MODELS

    t = np.asarray(t, float)
    grid = np.arange(0.0, t[-1], dt)
    cur = np.interp(grid, t, np.asarray(current, float))
    init, step = MODELS[type(params)]
    st = init(params, ())
    out = []
    for k in range(grid.size):
        s, st = step(st, cur[k], params, dt)
        if s > 0:
            frac = float(getattr(st, "frac", 1.0))
            out.append(grid[k] + frac * dt)
    return np.asarray(out)


def dedupe_spikes(spikes: Any, min_isi: float | None) -> np.ndarray:
    """Spike times with every spike closer than ``min_isi`` (s) to the last kept one dropped
    (a glitch on the output that precedes the spike pulse is not a second spike)."""
    sp = np.sort(np.asarray(spikes, float))
    if not min_isi:
        return sp
    out: list[float] = []
    for t in sp:
        if not out or t - out[-1] >= min_isi:
            out.append(float(t))
    return np.asarray(out)


def circuit_ou(name: str, circuit_params: Any, mean: float, sigma: float, tau: float,
               t_stop: float, seed: int, dt_stim: float, threshold: float,
               max_step: float | None = None, mismatch_seed: int | None = None,
               timeout: float = 300.0, options: Any = "subthreshold",
               min_isi: float | None = None) -> dict[str, Any]:
    """Play a seeded OU current into circuit ``name``; its spike times (merged closer than
    ``min_isi``: :func:`dedupe_spikes`) and the stimulus.

    Returns ``spikes`` (s), ``stimulus_t``/``stimulus_i`` (the PWL samples) and
    ``ngspice_version``.
    """
    from ..circuits.process import GENERIC_180
    from ..circuits.registry import get
    from ..circuits.testbenches import ou_current
    from ..evaluate.characterize_neurons import simulate_bench
    from ..measure import spike_times

    entry = get(name)
    mm = GENERIC_180.mismatch(int(mismatch_seed)) if mismatch_seed is not None else None
    bench = ou_current(entry.generator(circuit_params, mismatch=mm), mean, sigma, tau, t_stop,
                       dt_stim, seed, max_step=max_step, options=options)
    res = simulate_bench(bench, timeout=timeout)
    t = np.asarray(res.axis, float)
    v = np.asarray(res[bench.probes["out"]], float)
    sp = spike_times(t, v, threshold=threshold, hysteresis=0.1 * bench.vdd)
    return {"spikes": dedupe_spikes(sp, min_isi),
            "stimulus_t": np.asarray(bench.meta["stimulus_t"], float),
            "stimulus_i": np.asarray(bench.meta["stimulus_i"], float),
            "ngspice_version": getattr(res, "ngspice_version", None)}


def held_out_ou(name: str, circuit_params: Any, model_params: Any, mean: float, sigma: float,
                tau: float, t_stop: float, seed: int, dt_stim: float, dt_model: float,
                threshold: float, max_step: float | None = None, mismatch_seed: int | None = None,
                window: float = 2e-3, timeout: float = 300.0,
                options: Any = "subthreshold", min_isi: float | None = None) -> dict[str, Any]:
    """Simulate a held-out OU current into circuit ``name`` and into the model; return Γ.

    Returns a dict with ``gamma``, ``n_circuit``, ``n_model``, ``rate_circuit_hz``,
    ``rate_model_hz``, the spike times and the stimulus parameters.
    """
    c = circuit_ou(name, circuit_params, mean, sigma, tau, t_stop, seed, dt_stim, threshold,
                   max_step=max_step, mismatch_seed=mismatch_seed, timeout=timeout,
                   options=options, min_isi=min_isi)
    sc = c["spikes"]
    sm = model_spike_times(model_params, c["stimulus_t"], c["stimulus_i"], dt_model)
    return {
        "gamma": coincidence_factor(sc, sm, window, duration=t_stop),
        "n_circuit": int(sc.size), "n_model": int(sm.size),
        "rate_circuit_hz": sc.size / t_stop, "rate_model_hz": sm.size / t_stop,
        "spikes_circuit": sc, "spikes_model": sm,
        "stimulus": {"mean_a": mean, "sigma_a": sigma, "tau_s": tau, "t_stop_s": t_stop,
                     "dt_s": dt_stim, "seed": seed},
        "window_s": window,
        "ngspice_version": c["ngspice_version"],
    }
