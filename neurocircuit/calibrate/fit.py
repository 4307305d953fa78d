r"""Least-squares fitting of compact models: F–I curves, traces and windows.

For free parameters ``θ`` (positive ones optimised as ``u = ln θ``, others as ``u = θ``) and
weighted residuals ``r(u) = w ⊙ (model(θ(u)) − y)``, :func:`fit_model` runs
``scipy.optimize.least_squares`` (trust-region reflective, box bounds) from several starts (the
initial guess, then uniform draws in the bounds from a seeded generator) and keeps the best.
The covariance of the estimate comes from the Jacobian at the optimum::

    Cov(u) = s² (JᵀJ)⁻¹,   s² = ‖r‖²/(m − n),   Cov(θ) = D Cov(u) D,  D = diag(∂θ/∂u)

(``∂θ/∂u = θ`` for log-scaled parameters; the columns of ``J`` are scaled to unit norm before
the pseudo-inverse). A fit whose relative RMS error exceeds
``warn_rel`` (or that did not converge) emits :class:`~neurocircuit.errors.FitWarning`.

F–I residuals are relative: ``(f_model − f)/max(f, floor·max f)`` (``floor`` keeps the
sub-rheobase zeros in the fit without dividing by zero).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from ..errors import FitError, FitWarning

__all__ = ["Free", "Fit", "fit_model", "fit_fi", "fi_predictor", "fit_trace", "fit_window"]


@dataclass(frozen=True)
class Free:
    """One free parameter: initial value, bounds and whether it is optimised in log space."""

    init: float
    lo: float
    hi: float
    log: bool = True

    def to_u(self, x: float) -> float:
        return float(np.log(x)) if self.log else float(x)

    def from_u(self, u: Any) -> Any:
        return np.exp(u) if self.log else u


@dataclass(frozen=True)
class Fit:
    """Result of a fit.

    Attributes
    ----------
    params
        The fitted model params (same type the engine takes).
    names, values, stderr
        Free parameter names, estimates and standard errors (from ``cov``).
    cov
        Covariance of the free parameters (natural units).
    residuals
        Weighted residuals at the optimum.
    metrics
        ``rel_rms`` (RMS of the relative residuals), ``cost``, ``n_starts``, ``success``...
    """

    params: Any
    names: tuple[str, ...]
    values: np.ndarray
    stderr: np.ndarray
    cov: np.ndarray
    residuals: np.ndarray
    metrics: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        """``{name: value}`` of the free parameters."""
        return {n: float(v) for n, v in zip(self.names, self.values)}


def fit_model(
    build: Callable[[dict[str, float]], Any],
    predict: Callable[[Any], np.ndarray],
    target: Any,
    free: Mapping[str, Free],
    weights: Any = None,
    n_starts: int = 4,
    seed: int = 0,
    warn_rel: float | None = 0.05,
    max_nfev: int = 400,
    what: str = "model",
    diff_step: float = 1e-6,
) -> Fit:
    """Fit the free parameters of ``build(values)`` so that ``predict(params) ≈ target``.

    Parameters
    ----------
    build
        ``{name: value} -> params`` (a frozen params object).
    predict
        ``params -> prediction`` with the shape of ``target``.
    target
        Measured values.
    free
        Name → :class:`Free` (initial value, bounds, log scaling).
    weights
        Residual weights (default 1); the relative residuals are ``weights ⊙ (pred − target)``
        when weights are ``1/|target|``.
    n_starts
        Number of starts (the first is ``init``; the others random in the bounds, seeded).
    warn_rel
        Emit :class:`FitWarning` if the RMS of the weighted residuals exceeds it.
    diff_step
        Relative finite-difference step of the Jacobian (raise it for simulated predictions
        whose time grid makes them piecewise smooth).
    """
    from scipy.optimize import least_squares

    y = np.asarray(target, float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, float)
    names = tuple(free)
    lo = np.array([free[n].to_u(free[n].lo) for n in names])
    hi = np.array([free[n].to_u(free[n].hi) for n in names])

    def values(u: np.ndarray) -> dict[str, float]:
        return {n: float(free[n].from_u(x)) for n, x in zip(names, u)}

    def resid(u: np.ndarray) -> np.ndarray:
        try:
            pred = np.asarray(predict(build(values(u))), float)
        except (ValueError, ArithmeticError):
            return np.full(y.size, 1e3)
        r = (w * (pred - y)).ravel()
        return np.where(np.isfinite(r), r, 1e3)

    rng = np.random.default_rng(seed)
    u0 = np.clip([free[n].to_u(free[n].init) for n in names], lo, hi)
    starts = [u0] + [rng.uniform(lo, hi) for _ in range(max(n_starts, 1) - 1)]
    best = None
    for s in starts:
        res = least_squares(resid, s, bounds=(lo, hi), x_scale="jac", max_nfev=max_nfev,
                            diff_step=diff_step)
        if best is None or res.cost < best.cost:
            best = res
    if best is None:
        raise FitError(f"Fitting the {what} failed: no start converged.")
    u = best.x
    vals = values(u)
    m, k = y.size, len(names)
    jac = best.jac
    dof = max(m - k, 1)
    s2 = 2.0 * best.cost / dof
    col = np.linalg.norm(jac, axis=0)
    col = np.where(col > 0, col, 1.0)  # column scaling: parameters of very different size
    try:
        js = jac / col
        cov_u = s2 * np.linalg.pinv(js.T @ js) / np.outer(col, col)
    except np.linalg.LinAlgError:
        cov_u = np.full((k, k), np.nan)
    d = np.array([vals[n] if free[n].log else 1.0 for n in names])
    cov = cov_u * np.outer(d, d)
    rel_rms = float(np.sqrt(np.mean(best.fun ** 2)))
    metrics = {"rel_rms": rel_rms, "cost": float(best.cost), "n_starts": len(starts),
               "success": bool(best.success), "nfev": int(best.nfev)}
    if warn_rel is not None and (rel_rms > warn_rel or not best.success):
        warnings.warn(f"Poor fit of the {what}: RMS relative residual {rel_rms:.3g} "
                      f"(limit {warn_rel:g}); success={best.success}.", FitWarning, stacklevel=2)
    return Fit(params=build(vals), names=names, values=np.array([vals[n] for n in names]),
               stderr=np.sqrt(np.clip(np.diag(cov), 0, None)), cov=cov, residuals=best.fun,
               metrics=metrics)


def fi_predictor(params_type: type) -> Callable[[Any, np.ndarray], np.ndarray]:
    """The closed-form F–I function of a compact neuron params type."""
    from .neuron_models import (
        CurrentModeParams,
        LinearIFParams,
        current_mode_rate,
        linear_if_rate,
    )

    table = {LinearIFParams: linear_if_rate, CurrentModeParams: current_mode_rate}
    if params_type not in table:
        raise FitError(f"No closed-form F–I curve for {params_type.__name__}.")
    return table[params_type]


def fit_fi(
    base: Any,
    currents: Sequence[float],
    rates: Sequence[float],
    free: Mapping[str, Free],
    floor: float = 0.05,
    predict: Callable[[Any, np.ndarray], np.ndarray] | None = None,
    **kw: Any,
) -> Fit:
    """Fit an F–I curve ``rates(currents)`` (Hz vs A) with the free fields of ``base``.

    Non-finite measured rates are dropped. ``predict(params, currents)`` defaults to the closed
    form of ``type(base)``; pass a simulation-based one for models with adaptation.
    """
    i = np.asarray(currents, float)
    f = np.asarray(rates, float)
    ok = np.isfinite(f)
    i, f = i[ok], f[ok]
    if f.size < len(free) or not np.any(f > 0):
        raise FitError(f"An F–I fit needs >= {len(free)} finite points with some spikes.")
    pred = predict or fi_predictor(type(base))
    w = 1.0 / np.maximum(f, floor * f.max())
    return fit_model(lambda v: replace(base, **v), lambda p: pred(p, i), f, free, weights=w,
                     what=f"F–I curve of {type(base).__name__}", **kw)


def fit_trace(
    base: Any,
    t: Any,
    trace: Any,
    simulate: Callable[[Any, np.ndarray], np.ndarray],
    free: Mapping[str, Free],
    **kw: Any,
) -> Fit:
    """Fit a trace (e.g. a PSC) on grid ``t``; residuals normalised by the trace's range."""
    y = np.asarray(trace, float)
    scale = float(np.ptp(y)) or 1.0
    t = np.asarray(t, float)
    return fit_model(lambda v: replace(base, **v), lambda p: simulate(p, t), y, free,
                     weights=np.full(y.size, 1.0 / scale),
                     what=f"trace of {type(base).__name__}", **kw)


def fit_window(base: Any, delta_t: Any, dw: Any, free: Mapping[str, Free], **kw: Any) -> Fit:
    """Fit an STDP window ``dw(Δt)``; residuals normalised by the window's range."""
    from .synapse_models import stdp_window

    y = np.asarray(dw, float)
    scale = float(np.ptp(y)) or 1.0
    d = np.asarray(delta_t, float)
    return fit_model(lambda v: replace(base, **v), lambda p: stdp_window(p, d), y, free,
                     weights=np.full(y.size, 1.0 / scale), what="STDP window", **kw)


def field_names(params: Any) -> tuple[str, ...]:
    """Field names of a params dataclass."""
    return tuple(f.name for f in fields(params))
