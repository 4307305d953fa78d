"""Memristor conductance-update recipe; see :mod:`.synapse_pipeline`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

import numpy as np

from ..errors import FitError, ParameterError
from .fit import Free, fit_model
from .syn_common import (
    SynCal,
    _distribution,
    _rel_std,
)
from .synapse_models import (
    MemristorUpdateParams,
    memristor_curve,
)
from .validate import nrmse


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
