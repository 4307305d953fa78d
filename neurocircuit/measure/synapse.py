"""Synapse measurements: PSC peak, decay τ, charge, rate transfer, depression, STDP, bistability.

Postsynaptic current (PSC) ``I(t)`` sensed at the output (baseline ``I_0`` subtracted)::

    peak        I_pk = max_t (I − I_0)                        over a window
    decay       I − I_0 ∝ e^{−(t − t_pk)/τ}                   (log-linear fit on the tail,
                                                               timeconst.fit_exponential)
    charge      Q = ∫ (I − I_0) dt ;  per spike Q/n
    transfer    ⟨I⟩(r) = g·r + b                              (linear fit, R²)

Short-term depression (efficacy ``w_k`` = response of pulse k over pulse 1)::

    paired-pulse ratio   PPR(Δ) = w_2(Δ) = 1 − d·e^{−Δ/τ_rec}    (fit d, τ_rec)
    steady state         w∞(r) = 1/(1 + c·r),   c = δ·τ_rec         (fit c)

STDP window (``Δt = t_post − t_pre``)::

    Δw = +A+ e^{−Δt/τ+}  (Δt > 0),     Δw = −A− e^{Δt/τ−}  (Δt < 0)   (log-linear fits)

Bistable weight: long-term states (clusters of final values), switching threshold (midpoint
between the highest start ending low and the lowest start ending high), drift time between two
levels. Energy per synaptic event::

    E_event = (E[t_a, t_b] − P_static·(t_b − t_a)) / n_events,   E = ∫ −V_dd i_vdd dt
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FitError, ParameterError
from .energy import energy, trapezoid
from .spikes import as_trace
from .timeconst import ExpFit, fit_exponential

__all__ = [
    "LinearFit",
    "WindowFit",
    "psc_peak",
    "psc_decay",
    "charge",
    "charges_per_pulse",
    "mean_current",
    "linear_fit",
    "rate_transfer",
    "fit_recovery",
    "fit_steady_efficacy",
    "depression_model",
    "stdp_window_fit",
    "weight_jump",
    "long_term_states",
    "switching_threshold",
    "drift_time",
    "energy_per_event",
]


@dataclass(frozen=True)
class LinearFit:
    """``y = slope·x + intercept`` with its coefficient of determination."""

    slope: float
    intercept: float
    r2: float


@dataclass(frozen=True)
class WindowFit:
    """Fitted STDP window: amplitudes (units of Δw), time constants (s), R² of the log fits."""

    a_plus: float
    tau_plus: float
    r2_plus: float
    a_minus: float
    tau_minus: float
    r2_minus: float


def _window(t, y, t_start, t_stop):
    t_a = t[0] if t_start is None else float(t_start)
    t_b = t[-1] if t_stop is None else float(t_stop)
    sel = (t >= t_a) & (t <= t_b)
    if sel.sum() < 2:
        raise ParameterError(f"Fewer than 2 samples in the window [{t_a:g}, {t_b:g}] s.")
    return t[sel], y[sel]


def psc_peak(t, i=None, t_start=None, t_stop=None, baseline: float = 0.0) -> tuple[float, float]:
    """``(I_pk, t_pk)``: the largest ``I − baseline`` (A) in the window and its time (s)."""
    t, i = as_trace(t, i, default="i(vsense)")
    tt, ii = _window(t, i - baseline, t_start, t_stop)
    k = int(np.argmax(ii))
    return float(ii[k]), float(tt[k])


def psc_decay(
    t, i=None, t_start=None, t_stop=None, baseline: float = 0.0, floor: float = 0.05,
    delay: float = 0.0,
) -> ExpFit:
    """Exponential fit of the PSC tail from its peak (+ ``delay``) down to ``floor``·peak.

    The fit is :func:`~neurocircuit.measure.timeconst.fit_exponential` with ``v_inf = 0`` on
    ``I − baseline`` (its ``r2`` is the R² of the log of the tail).
    """
    t, i = as_trace(t, i, default="i(vsense)")
    pk, t_pk = psc_peak(t, i, t_start, t_stop, baseline)
    if not pk > 0:
        raise FitError("The PSC has no positive peak in the window.")
    return fit_exponential(t, i - baseline, t0=t_pk + delay, t_stop=t_stop, v_inf=0.0,
                           floor=floor)


def charge(t, i=None, t_start=None, t_stop=None, baseline: float = 0.0) -> float:
    """``Q = ∫ (I − baseline) dt`` (C) over the window."""
    t, i = as_trace(t, i, default="i(vsense)")
    tt, ii = _window(t, i - baseline, t_start, t_stop)
    return trapezoid(ii, tt)


def charges_per_pulse(t, i, times, window: float, baseline: float = 0.0) -> np.ndarray:
    """Charge (C) of ``I − baseline`` in ``[t_k, t_k + window]`` for each pulse time ``t_k``."""
    t, i = as_trace(t, i)
    return np.array([charge(t, i, a, a + window, baseline) for a in np.asarray(times, float)])


def mean_current(t, i=None, t_start=None, t_stop=None) -> float:
    """Time average of ``I`` (A) over the window."""
    t, i = as_trace(t, i, default="i(vsense)")
    tt, ii = _window(t, i, t_start, t_stop)
    return trapezoid(ii, tt) / float(tt[-1] - tt[0])


def linear_fit(x, y) -> LinearFit:
    """Least-squares line through ``(x, y)`` with R²."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.size < 2 or x.shape != y.shape:
        raise FitError("A line needs at least two (x, y) points of equal shapes.")
    slope, icpt = np.polyfit(x, y, 1)
    res = y - (slope * x + icpt)
    ss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(res**2)) / ss if ss > 0 else 1.0
    return LinearFit(float(slope), float(icpt), r2)


def rate_transfer(rates, mean_currents) -> LinearFit:
    """Rate-to-mean-current transfer ``⟨I⟩ = g·r + b``: gain ``g`` (A·s = C per spike), R²."""
    return linear_fit(rates, mean_currents)


def fit_recovery(intervals, ppr) -> tuple[float, float, float]:
    """Fit ``PPR(Δ) = 1 − d·e^{−Δ/τ_rec}``: returns ``(d, τ_rec, R²)`` (log-linear on 1 − PPR)."""
    x = np.asarray(intervals, float)
    y = 1.0 - np.asarray(ppr, float)
    ok = y > 0
    if ok.sum() < 3:
        raise FitError("Fewer than three paired-pulse ratios below 1: no depression to fit.")
    lf = linear_fit(x[ok], np.log(y[ok]))
    if not lf.slope < 0:
        raise FitError(f"1 − PPR does not decay with the interval (slope {lf.slope:g}).")
    return float(np.exp(lf.intercept)), -1.0 / lf.slope, lf.r2


def depression_model(rates, c: float) -> np.ndarray:
    """Steady efficacy ``1/(1 + c·r)`` with ``c = δ·τ_rec`` (s)."""
    return 1.0 / (1.0 + c * np.asarray(rates, float))


def fit_steady_efficacy(rates, w_inf) -> tuple[float, float]:
    """Fit ``w∞ = 1/(1 + c r)``: returns ``(c, max relative error)``; ``c = δ·τ_rec`` (s)."""
    from scipy.optimize import least_squares

    r = np.asarray(rates, float)
    w = np.asarray(w_inf, float)
    guess = float(np.median((1.0 / np.clip(w, 1e-6, None) - 1.0) / r))
    sol = least_squares(lambda c: depression_model(r, c[0]) / w - 1.0, [max(guess, 1e-6)],
                        bounds=([0.0], [np.inf]))
    c = float(sol.x[0])
    return c, float(np.max(np.abs(depression_model(r, c) / w - 1.0)))


def _side_fit(x, y):
    ok = y > 0
    if ok.sum() < 3:
        raise FitError("Fewer than three weight changes of the expected sign on one side.")
    lf = linear_fit(x[ok], np.log(y[ok]))
    if not lf.slope < 0:
        raise FitError(f"|Δw| does not decay with |Δt| (slope {lf.slope:g}).")
    return float(np.exp(lf.intercept)), -1.0 / lf.slope, lf.r2


def stdp_window_fit(dts, dws) -> WindowFit:
    """Fit ``+A+ e^{−Δt/τ+}`` (Δt > 0) and ``−A− e^{Δt/τ−}`` (Δt < 0) to ``(Δt, Δw)``."""
    dt = np.asarray(dts, float)
    dw = np.asarray(dws, float)
    pos, neg = dt > 0, dt < 0
    ap, tp, rp = _side_fit(dt[pos], dw[pos])
    am, tm, rm = _side_fit(-dt[neg], -dw[neg])
    return WindowFit(ap, tp, rp, am, tm, rm)


def weight_jump(t, w=None, t_event: float = 0.0, width: float = 1e-4, settle: float = 5e-5,
                lead: float = 1e-5) -> float:
    """``V_w(t_event + width + settle) − V_w(t_event − lead)``: the update made by one pulse."""
    t, w = as_trace(t, w, default="v(w)")
    a, b = np.interp([t_event - lead, t_event + width + settle], t, w)
    return float(b - a)


def long_term_states(finals, tol: float = 0.05) -> list[float]:
    """Distinct final weights (V): values closer than ``tol`` are one state (their mean)."""
    v = np.sort(np.asarray(finals, float))
    if v.size == 0:
        return []
    groups, cur = [], [v[0]]
    for x in v[1:]:
        if x - cur[-1] <= tol:
            cur.append(x)
        else:
            groups.append(cur)
            cur = [x]
    groups.append(cur)
    return [float(np.mean(g)) for g in groups]


def switching_threshold(w0s, finals) -> float:
    """Midpoint between the highest start ending low and the lowest start ending high (V)."""
    w0 = np.asarray(w0s, float)
    f = np.asarray(finals, float)
    mid = 0.5 * (f.min() + f.max())
    low, high = w0[f < mid], w0[f >= mid]
    if low.size == 0 or high.size == 0:
        raise FitError("All starts end in one state: the switching threshold is not bracketed.")
    lo, hi = float(low.max()), float(high.min())
    if lo > hi:
        raise FitError("The starts ending low and high interleave: no single threshold.")
    return 0.5 * (lo + hi)


def drift_time(t, v=None, v_from: float | None = None, v_to: float | None = None) -> float:
    """Time (s) from the first crossing of ``v_from`` to the first crossing of ``v_to`` after it.

    Defaults: ``v_from`` the first sample, ``v_to`` the value 95 % of the way to the last sample.
    """
    t, v = as_trace(t, v, default="v(w)")
    va = float(v[0]) if v_from is None else float(v_from)
    vb = float(v[0] + 0.95 * (v[-1] - v[0])) if v_to is None else float(v_to)
    s = np.sign(vb - va)

    def crossing(level, start):
        hit = np.flatnonzero(s * (v[start:] - level) >= 0)
        if hit.size == 0:
            return None
        k = start + int(hit[0])
        if k == 0:
            return float(t[0]), 0
        a, b = v[k - 1], v[k]
        frac = (level - a) / (b - a) if b != a else 0.0
        return float(t[k - 1] + frac * (t[k] - t[k - 1])), k

    first = crossing(va, 0)
    if first is None:
        return float("nan")
    second = crossing(vb, first[1])
    return float("nan") if second is None else second[0] - first[0]


def energy_per_event(
    t, i_supply=None, vdd: float = 1.8, t_start=None, t_stop=None, n_events: int = 1,
    static: float = 0.0,
) -> float:
    """Supply energy per synaptic event (J) over a window, static power subtracted."""
    t, i = as_trace(t, i_supply, default="i(vdd)")
    if n_events < 1:
        raise ParameterError(f"n_events must be >= 1. Got {n_events!r}.")
    t_a = float(t[0]) if t_start is None else float(t_start)
    t_b = float(t[-1]) if t_stop is None else float(t_stop)
    e = energy(t, i, vdd, t_a, t_b)
    return (e - float(static) * (t_b - t_a)) / n_events
