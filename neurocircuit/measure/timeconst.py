"""Time constants from step responses.

A first-order step response relaxes exponentially towards its final value::

    v(t) = v_∞ + (v_0 − v_∞) · exp(−(t − t_0)/τ)

so ``ln|v − v_∞|`` is a straight line of slope ``−1/τ``. :func:`fit_exponential` fits that
line (least squares) over the part of the response that stands clear of the noise floor
(``|v − v_∞| ≥ floor · |v_0 − v_∞|``), reports its R² (of the log tail) and refines
``(v_∞, v_0, τ)`` with a three-parameter least-squares fit when ``v_inf`` is not given.
The settling time to a band ``±tol·|v_0 − v_∞|``::

    t_s = min{ t' : |v(t) − v_∞| ≤ tol |v_0 − v_∞|  for all t ≥ t' } − t_0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FitError, ParameterError
from .spikes import as_trace

__all__ = ["ExpFit", "fit_exponential", "settling_time", "time_to_fraction"]


@dataclass(frozen=True)
class ExpFit:
    """Result of an exponential fit: ``v = v_inf + (v0 − v_inf) exp(−(t − t0)/tau)``."""

    tau: float
    v0: float
    v_inf: float
    t0: float
    r2: float
    n_points: int

    def __call__(self, t):
        return self.v_inf + (self.v0 - self.v_inf) * np.exp(-(np.asarray(t) - self.t0) / self.tau)


def fit_exponential(
    t,
    v=None,
    t0: float | None = None,
    t_stop: float | None = None,
    v_inf: float | None = None,
    floor: float = 0.02,
    refine: bool = True,
) -> ExpFit:
    """Fit a single exponential to a step response.

    Parameters
    ----------
    t, v
        Time (s) and response arrays (any unit), or a result and a signal name.
    t0
        Start of the step (s); default the first sample.
    t_stop
        End of the fitted window (s); default the last sample.
    v_inf
        Final value; default the mean of the last 2 % of the window, then refined.
    floor
        Relative distance to ``v_inf`` below which samples are left out of the log fit.
    refine
        Refine with a three-parameter least-squares fit (only when ``v_inf`` is not given).

    Raises
    ------
    FitError
        Fewer than 4 usable samples or a non-decaying response.
    """
    t, v = as_trace(t, v, default="v(vmem)")
    t0 = float(t[0]) if t0 is None else float(t0)
    t_b = float(t[-1]) if t_stop is None else float(t_stop)
    sel = (t >= t0) & (t <= t_b)
    tt, vv = t[sel], v[sel]
    if tt.size < 4:
        raise FitError(f"Only {tt.size} samples in the fit window [{t0:g}, {t_b:g}] s.")
    given = v_inf is not None
    if not given:
        n_tail = max(2, tt.size // 50)
        v_inf = float(vv[-n_tail:].mean())
    v0 = float(vv[0])
    span = abs(v0 - v_inf)
    if span == 0:
        raise FitError("The response does not move: v(t0) equals the final value.")
    d = np.abs(vv - v_inf)
    use = d >= floor * span
    # keep only the leading contiguous part above the floor (the tail is noise)
    stop = np.flatnonzero(~use)
    last = stop[0] if stop.size else tt.size
    x, y = tt[:last] - t0, np.log(d[:last])
    if x.size < 4:
        raise FitError(f"Only {x.size} samples stand clear of the noise floor; lower 'floor'.")
    slope, icpt = np.polyfit(x, y, 1)
    if not slope < 0:
        raise FitError(f"The response does not decay towards its final value (slope {slope:g}).")
    resid = y - (slope * x + icpt)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else 1.0
    tau = -1.0 / slope
    v0_fit = v_inf + np.sign(v0 - v_inf) * np.exp(icpt)
    if refine and not given:
        from scipy.optimize import least_squares

        xx, yy = tt - t0, vv

        def res(p):
            return p[0] + (p[1] - p[0]) * np.exp(-xx / p[2]) - yy

        try:
            sol = least_squares(res, [v_inf, v0_fit, tau], x_scale=[span, span, tau])
            if sol.success and sol.x[2] > 0:
                v_inf, v0_fit, tau = (float(a) for a in sol.x)
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - keep the log fit
            pass
    return ExpFit(float(tau), float(v0_fit), float(v_inf), t0, float(r2), int(x.size))


def settling_time(
    t, v=None, tol: float = 0.02, t0: float | None = None, v_final: float | None = None
) -> float:
    """Time (s) after ``t0`` from which ``v`` stays within ``±tol`` of its step (see module)."""
    t, v = as_trace(t, v, default="v(vmem)")
    if not 0 < tol < 1:
        raise ParameterError(f"The 'tol' parameter must be in (0, 1). Got {tol!r} instead.")
    t0 = float(t[0]) if t0 is None else float(t0)
    sel = t >= t0
    tt, vv = t[sel], v[sel]
    vf = float(vv[-max(2, vv.size // 50) :].mean()) if v_final is None else float(v_final)
    band = tol * abs(vv[0] - vf)
    outside = np.flatnonzero(np.abs(vv - vf) > band)
    if outside.size == 0:
        return 0.0
    k = outside[-1]
    if k + 1 >= tt.size:
        return float("nan")
    return float(tt[k + 1] - t0)


def time_to_fraction(
    t,
    v=None,
    fraction: float = 1 - np.exp(-1),
    t0: float | None = None,
    v_final: float | None = None,
) -> float:
    """Time (s) after ``t0`` for ``v`` to cover ``fraction`` of its step (63.2 % → τ)."""
    t, v = as_trace(t, v, default="v(vmem)")
    t0 = float(t[0]) if t0 is None else float(t0)
    sel = t >= t0
    tt, vv = t[sel], v[sel]
    vf = float(vv[-max(2, vv.size // 50) :].mean()) if v_final is None else float(v_final)
    target = vv[0] + fraction * (vf - vv[0])
    s = np.sign(vf - vv[0])
    hit = np.flatnonzero(s * (vv - target) >= 0)
    if hit.size == 0:
        return float("nan")
    k = hit[0]
    if k == 0:
        return 0.0
    a, b = vv[k - 1], vv[k]
    frac = (target - a) / (b - a) if b != a else 0.0
    return float(tt[k - 1] + frac * (tt[k] - tt[k - 1]) - t0)
