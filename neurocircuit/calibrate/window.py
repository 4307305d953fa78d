r"""Calibrate the STDP window of a learning-synapse circuit to the pair-STDP model.

For each pairing ``Δt = t_post − t_pre`` a pre and a post pulse drive the circuit
(:func:`neurocircuit.circuits.synapse_testbenches.pre_post_pair`, weight ``V_w(0) = w_0``) and
the weight change ``ΔV_w`` is read across the later pulse
(:func:`neurocircuit.measure.synapse.weight_jump`). The window model
(:class:`~.synapse_models.STDPWindowParams`)::

    ΔV_w(Δt) = +A₊ e^{−Δt/τ₊}  (Δt > 0),      −A₋ e^{Δt/τ₋}  (Δt < 0)

is fitted on every other ``Δt`` and validated on the rest: the metric is the NRMSE of the
held-out points (normalised by the range of the measured window).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .fit import Free, fit_window
from .synapse_models import STDPWindowParams, stdp_window
from .validate import nrmse

__all__ = ["PairJob", "run_pair", "calibrate_stdp_window"]


@dataclass(frozen=True)
class PairJob:
    """One pre/post pairing simulation (plain data, picklable)."""

    name: str
    params: Any
    dt: float
    w0: float
    width: float = 1e-4
    max_step: float = 2.5e-4


def run_pair(job: PairJob) -> float:
    """Weight change ``ΔV_w`` (V) of one pairing (top-level, for process pools)."""
    from ..circuits.registry import get
    from ..circuits.synapse_testbenches import pre_post_pair
    from ..evaluate.characterize_neurons import simulate_bench
    from ..measure.synapse import weight_jump

    bench = pre_post_pair(get(job.name).generator(job.params), job.dt, width=job.width,
                          w0=job.w0, max_step=job.max_step)
    res = simulate_bench(bench)
    t2 = max(bench.meta["t_pre"], bench.meta["t_post"])
    return weight_jump(np.asarray(res.axis, float), np.asarray(res[bench.probes["w"]], float),
                       t2, job.width)


def calibrate_stdp_window(name: str, params: Any, dts: Any, w0: float = 0.9,
                          workers: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Simulate the window at ``dts`` (s), fit on even indices, validate on odd ones."""
    from ..spice.sweep import sweep

    d = np.asarray(dts, float)
    res = sweep(run_pair, [PairJob(name, params, float(x), w0) for x in d], workers=workers,
                progress=False)
    dw = np.array([np.nan if r is None else r for r in res.results])
    train = np.arange(d.size) % 2 == 0
    a_p = float(np.nanmax(np.abs(dw[d > 0]))) if np.any(d > 0) else 1e-3
    a_m = float(np.nanmax(np.abs(dw[d < 0]))) if np.any(d < 0) else 1e-3
    span = float(np.ptp(np.abs(d))) or 1e-2
    free = {"a_plus": Free(a_p, a_p / 20, a_p * 20), "a_minus": Free(a_m, a_m / 20, a_m * 20),
            "tau_plus": Free(span / 3, span / 200, span * 20),
            "tau_minus": Free(span / 3, span / 200, span * 20)}
    ok = train & np.isfinite(dw)
    fit = fit_window(STDPWindowParams(), d[ok], dw[ok], free, n_starts=4, seed=seed,
                     warn_rel=None)
    test = ~train & np.isfinite(dw)
    return {"params": fit.as_dict(), "stderr": fit.stderr.tolist(),
            "fit_nrmse": nrmse(stdp_window(fit.params, d[ok]), dw[ok]),
            "heldout_nrmse": nrmse(stdp_window(fit.params, d[test]), dw[test]),
            "window_nrmse": nrmse(stdp_window(fit.params, d[np.isfinite(dw)]),
                                  dw[np.isfinite(dw)]),
            "dt_s": d.tolist(), "dw_v": dw.tolist()}
