r"""Calibrate a first-order synapse circuit (DPI, log-domain) to the exponential kernel.

A seeded Poisson train of presynaptic pulses (rate ``r ≈ 1/(2τ)``, width ``Δt``) drives the
circuit in ngspice; the output current ``I_syn(t)`` is fitted with
:class:`~.synapse_models.ExpSynapseParams` (``τ``, ``I_∞``, resting ``I_rest``)::

    τ dI/dt + I = I_∞ s(t) (+ I_rest)      or, for the DPI,  τ (1 + I_g/I) dI/dt + I = I_∞ s − I_g

or the power-law kernel ``I = I_∞ u^p`` (``power=True``; the DPI's κ_p/κ_n, see
:mod:`~.synapse_models`).

A second train with another seed is the held-out stimulus: the metric is the NRMSE of the
model's PSC trace against the circuit's (normalised by the trace range).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from .fit import Free, fit_trace
from .synapse_models import ExpSynapseParams, exp_synapse_trace
from .validate import nrmse

__all__ = ["simulate_psc", "calibrate_psc"]


def simulate_psc(name: str, params: Any, rate: float | Sequence[float], t_stop: float,
                 width: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(t, i_syn, pre_times)`` of synapse ``name`` driven by a Poisson train (ngspice).

    ``rate`` (Hz) may be a sequence: the train then steps through those rates in equal
    segments of ``[0, t_stop)`` (segment ``k`` seeded ``seed + k``).
    """
    from ..circuits.registry import get
    from ..circuits.synapse_testbenches import poisson_times, poisson_train, train
    from ..evaluate.characterize_neurons import simulate_bench

    syn = get(name).generator(params)
    if np.ndim(rate) == 0:
        bench = poisson_train(syn, float(rate), t_stop, seed, width=width, max_step=width / 10)
    else:
        seg = t_stop / len(rate)
        times = np.concatenate([
            poisson_times(float(r), k * seg + 1e-3, (k + 1) * seg - 2 * width, seed + k,
                          dead=2.0 * width + 4e-6) for k, r in enumerate(rate)])
        bench = train(syn, times, t_stop, width=width, max_step=width / 10,
                      kind="poisson_segments",
                      extra_meta={"rates": [float(r) for r in rate], "seed": int(seed)})
    res = simulate_bench(bench, timeout=300)
    t = np.asarray(res.axis, float)
    i = np.asarray(res[bench.probes["out"]], float)
    times = np.asarray(bench.meta.get("times", []), float)
    return t, i, times


def calibrate_psc(name: str, params: Any, tau_guess: float, width: float = 1e-4,
                  seed: int = 0, n_tau: float = 40.0, i_g: float | None = None,
                  rates: Sequence[float] | None = None,
                  power: bool = False) -> dict[str, Any]:
    """Fit the exponential kernel on one Poisson train and validate on a held-out one.

    The train's rate is ``1/(2 τ_guess)``, over ``n_tau·τ_guess``; with ``rates`` (Hz) it
    steps through those rates instead, ``n_tau·τ_guess`` each. A synapse whose charge per
    pulse falls with the rate (the DPI's) is then fitted over the range of rates it will see
    rather than at one (:mod:`neurocircuit.evaluate.cosim`). ``power=True`` fits the exponent
    ``p`` of the power-law kernel too (in ``[0.5, 1.5]``), which carries that rate dependence.
    """
    if power and i_g:
        raise ParameterError("calibrate_psc fits either the DPI form (i_g) or the power-law "
                             "kernel (power=True), not both.")
    rate: float | Sequence[float] = 0.5 / tau_guess if rates is None else list(rates)
    t_stop = n_tau * tau_guess * (1 if rates is None else len(rate))
    t, y, times = simulate_psc(name, params, rate, t_stop, width, seed)
    grid = np.linspace(0.0, t_stop, 4000 * (1 if rates is None else len(rate)))
    yg = np.interp(grid, t, y)
    base = ExpSynapseParams(tau=tau_guess, i_inf=max(float(np.ptp(yg)), 1e-15) * 10,
                            width=width, i_rest=float(yg[0]))
    peak = max(float(np.ptp(yg)), 1e-15)
    free = {"tau": Free(tau_guess, tau_guess / 20, tau_guess * 20),
            "i_inf": Free(base.i_inf, peak / 10, peak * 1e4),
            "i_rest": Free(float(yg[0]), -peak, peak, log=False)}
    if i_g:  # DPI non-linearity: fit I_g too
        base = ExpSynapseParams(tau=base.tau, i_inf=base.i_inf, width=width, i_rest=base.i_rest,
                                i_g=i_g)
        free["i_g"] = Free(i_g, i_g / 100, i_g * 100)
    if power:
        free["power"] = Free(1.0, 0.5, 1.5, log=False)
    fit = fit_trace(base, grid, yg, lambda p, tt: exp_synapse_trace(p, tt, times), free,
                    n_starts=3, seed=seed, warn_rel=None)
    t2, y2, times2 = simulate_psc(name, params, rate, t_stop, width, seed + 1000)
    y2g = np.interp(grid, t2, y2)
    pred = exp_synapse_trace(fit.params, grid, times2)
    return {"name": name, "params": fit.as_dict(), "stderr": fit.stderr.tolist(),
            "fit_nrmse": nrmse(exp_synapse_trace(fit.params, grid, times), yg),
            "heldout_nrmse": nrmse(pred, y2g), "n_spikes": int(times.size),
            "trace": {"t": grid, "circuit": y2g, "model": pred}}
