"""Shared pieces of the synapse/device calibration recipes (:mod:`.synapse_pipeline`):
the recipe result, pulse widths, single-pulse jobs and Monte-Carlo helpers."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import FitError, FitWarning
from .fit import Free, fit_trace
from .synapse_models import exp_synapse_trace

__all__ = ["SynCal", "PSC_WIDTH", "CMI_WIDTH", "STDP_DTS", "MEMRISTORS"]

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
