"""Energy and power from a supply-current waveform.

ngspice reports the branch current of a voltage source flowing *into* its positive terminal,
so a supply ``VDD vdd 0 DC V_dd`` that delivers power shows a negative ``i(vdd)``. With the
default ``sign=-1`` the delivered power is::

    P(t) = −V_dd · i_vdd(t)

Energies are trapezoid integrals on the (non-uniform) simulator time grid::

    E[t_a, t_b] = ∫ P dt ≈ Σ_k ½ (P_k + P_{k+1}) (t_{k+1} − t_k)

The static power is the mean power over a quiet window, ``P_static = E[t_a, t_b] / (t_b − t_a)``.
The energy per spike over ``n`` full periods between the first and the last analysed spike is::

    E_spike = E[t_1, t_{n+1}] / n                   (total, static included)
    E_spike,dyn = (E[t_1, t_{n+1}] − P_static (t_{n+1} − t_1)) / n
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .spikes import as_trace

__all__ = [
    "trapezoid",
    "cumulative_trapezoid",
    "supply_power",
    "energy",
    "static_power",
    "energy_per_spike",
]


def trapezoid(y, x) -> float:
    """∫ y dx by the trapezoid rule on a non-uniform grid."""
    y = np.asarray(y, float)
    x = np.asarray(x, float)
    if y.shape != x.shape:
        raise ParameterError(f"x and y must have equal shapes; got {x.shape} and {y.shape}.")
    if x.size < 2:
        return 0.0
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def cumulative_trapezoid(y, x) -> np.ndarray:
    """Running trapezoid integral, same length as ``x`` and starting at 0."""
    y = np.asarray(y, float)
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    if x.size > 1:
        out[1:] = np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(x))
    return out


def supply_power(t, i_supply=None, vdd: float = 1.8, sign: float = -1.0):
    """``(t, P)``: instantaneous power (W) delivered by the supply, ``P = sign · V_dd · i``."""
    t, i = as_trace(t, i_supply, default="i(vdd)")
    return t, sign * float(vdd) * i


def _window(t: np.ndarray, y: np.ndarray, t_a: float, t_b: float):
    """The samples of ``y`` in ``[t_a, t_b]`` with linearly interpolated end points."""
    if not t_b > t_a:
        raise ParameterError(f"An integration window needs t_a < t_b; got {t_a!r}, {t_b!r} s.")
    inside = (t > t_a) & (t < t_b)
    tt = np.concatenate(([t_a], t[inside], [t_b]))
    yy = np.concatenate(([np.interp(t_a, t, y)], y[inside], [np.interp(t_b, t, y)]))
    return tt, yy


def energy(
    t,
    i_supply=None,
    vdd: float = 1.8,
    t_start: float | None = None,
    t_stop: float | None = None,
    sign: float = -1.0,
) -> float:
    """Energy (J) delivered by the supply over ``[t_start, t_stop]`` (default: all)."""
    t, p = supply_power(t, i_supply, vdd, sign)
    t_a = t[0] if t_start is None else float(t_start)
    t_b = t[-1] if t_stop is None else float(t_stop)
    tt, pp = _window(t, p, t_a, t_b)
    return trapezoid(pp, tt)


def static_power(
    t,
    i_supply=None,
    vdd: float = 1.8,
    t_start: float | None = None,
    t_stop: float | None = None,
    sign: float = -1.0,
) -> float:
    """Mean power (W) over a quiet window ``[t_start, t_stop]`` (default: the whole trace)."""
    tt, _ = supply_power(t, i_supply, vdd, sign)
    t_a = tt[0] if t_start is None else float(t_start)
    t_b = tt[-1] if t_stop is None else float(t_stop)
    return energy(t, i_supply, vdd, t_a, t_b, sign) / (t_b - t_a)


def energy_per_spike(
    t,
    i_supply=None,
    vdd: float = 1.8,
    spikes=None,
    static: float | None = None,
    skip: int = 0,
    sign: float = -1.0,
) -> float:
    """Energy per spike (J) over the full periods between spikes.

    Parameters
    ----------
    t, i_supply
        Time (s) and supply current (A) arrays, or a result and a signal name.
    vdd
        Supply voltage (V).
    spikes
        Spike times (s); at least two after ``skip``.
    static
        Static power (W) to subtract (dynamic energy per spike); ``None`` keeps the total.
    skip
        Spikes dropped at the start (start-up transient).

    Returns
    -------
    float
        ``E[t_first, t_last] / (n_spikes − 1)`` minus the static share; NaN with < 2 spikes.
    """
    spikes = np.sort(np.asarray(spikes if spikes is not None else [], float))[skip:]
    if spikes.size < 2:
        return float("nan")
    e = energy(t, i_supply, vdd, spikes[0], spikes[-1], sign)
    if static is not None:
        e -= float(static) * (spikes[-1] - spikes[0])
    return float(e / (spikes.size - 1))
