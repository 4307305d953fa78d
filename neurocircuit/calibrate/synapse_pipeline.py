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

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from .provenance import jsonable, param_histograms, provenance
from .syn_common import MEMRISTORS, SynCal
from .syn_recipe_cmi import _cmi_recipe, cmi_stp_trace, fit_depression
from .syn_recipe_memristor import _memristor_recipe, fit_memristor_update
from .syn_recipe_psc import _exp_recipe, _pulse_recipe
from .syn_recipe_stdp import _bistable_recipe, _stdp_recipe

__all__ = ["RECIPES", "MEMRISTORS", "SynCal", "calibrate_synapse", "cmi_stp_trace",
           "fit_depression", "fit_memristor_update", "names"]

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
        circuit={"name": name, "preset": preset, "params": jsonable(asdict(p))},
        process={"name": "behavioural" if device else GENERIC_180.name,
                 "corner": None if device else GENERIC_180.corner},
        model_type=res.model_type,
        params=_entries(res.model, res.stderr),
        distribution=res.distribution,
        validation=dict(res.validation),
        energy=dict(res.energy),
        provenance=provenance(
            deck=netlist.text(), name=name, preset=preset, mc=mc, seed=seed, wall=wall,
            workers=workers, model_card=None if device else GENERIC_180.resolved_lib_path(),
            ngspice_version="none (numpy device model)" if device else str(
                binary_version() or "unknown")),
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
        written.append(param_histograms(path, name, res.distribution.names, res.mc_table,
                                        res.distribution.n))
    return written
