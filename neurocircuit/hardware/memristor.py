"""Memristor compact models in numpy: the equations of :mod:`neurocircuit.circuits.memristors`.

Same equations as the ngspice subcircuits (see that module's docstring), vectorised over
devices (parameter fields may be arrays from :func:`~neurocircuit.circuits.memristors.sample_d2d`)
and integrated explicitly with classical RK4 on a fixed step::

    x_{k+1} = x_k + h/6·(k1 + 2k2 + 2k3 + k4),   k = dx/dt(v(t), x)

Pulse programming applies ``n`` identical rectangular pulses (amplitude ``v_p``, width
``t_p``); after each pulse the device is read at ``v_read`` (``G = i(v_read, x)/v_read``).
Cycle-to-cycle variation multiplies each pulse's state change by ``1 + dx_c2c·N(0, 1)``.

Figures of merit of a programming curve G(n), n = 0..N, ΔG = G_max − G_min:

- nonlinearity NL = max_n |G(n) − G_lin(n)| / ΔG, G_lin the straight line between the end
  points (0 linear, → 0.5 for a step);
- asymmetry = mean_n |G_pot(n) − G_dep(N − n)| / ΔG between the potentiation curve and the
  reversed depression curve (0 when both traverse the same states);
- distinguishable levels: states of the curve kept greedily so that successive kept states
  differ by at least ``k_sigma`` × the conductance spread σ(G) (read noise and c2c).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..circuits.memristors import (
    LinearDriftParams,
    MemristorParams,
    VTEAMParams,
    YakopcicParams,
)
from ..errors import ParameterError

__all__ = [
    "current",
    "dxdt",
    "conductance",
    "integrate",
    "apply_pulse",
    "program_pulses",
    "potentiation_sign",
    "nonlinearity",
    "asymmetry",
    "distinguishable_levels",
]


def _a(v) -> np.ndarray:
    return np.asarray(v, dtype=float)


def current(p: MemristorParams, v, x) -> np.ndarray:
    """Port current i(v, x) (A)."""
    v, x = _a(v), _a(x)
    if isinstance(p, LinearDriftParams):
        return v / (p.r_on * x + p.r_off * (1.0 - x))
    if isinstance(p, VTEAMParams):
        xc = np.clip(x, 0.0, 1.0)
        if p.iv == "linear":
            r = p.r_on + (p.r_off - p.r_on) * xc
        else:
            r = p.r_on * np.exp(np.log(p.r_off / p.r_on) * xc)
        return v / r
    if isinstance(p, YakopcicParams):
        a = np.where(v >= 0, p.a1, p.a2)
        return a * x * np.sinh(p.b * v)
    raise TypeError(f"Not a memristor params instance: {type(p).__name__}")


def conductance(p: MemristorParams, x, v_read: float = 0.1) -> np.ndarray:
    """Chord conductance i(v_read, x)/v_read (S)."""
    if v_read == 0:
        raise ParameterError("The 'v_read' parameter must be non-zero.")
    return current(p, v_read, x) / v_read


def dxdt(p: MemristorParams, v, x) -> np.ndarray:
    """State rate dx/dt (1/s)."""
    v, x = _a(v), _a(x)
    if isinstance(p, LinearDriftParams):
        i = current(p, v, x)
        k = p.mu_v * p.r_on / p.d**2
        if p.window == "joglekar":
            f = 1.0 - np.abs(2.0 * x - 1.0) ** (2.0 * p.p)
        elif p.window == "biolek":
            f = 1.0 - np.abs(x - (-v > 0).astype(float)) ** (2.0 * p.p)
        else:
            f = 1.0
        return k * i * f
    if isinstance(p, VTEAMParams):
        w = p.w_on + (p.w_off - p.w_on) * x
        with np.errstate(over="ignore"):
            f_off = np.exp(-np.exp((w - p.a_off) / p.w_c))
            f_on = np.exp(-np.exp(-(w - p.a_on) / p.w_c))
        off = np.where(v > p.v_off, p.k_off * np.abs(v / p.v_off - 1.0) ** p.alpha_off * f_off, 0)
        on = np.where(v < p.v_on, p.k_on * np.abs(v / p.v_on - 1.0) ** p.alpha_on * f_on, 0)
        return (off + on) / (p.w_off - p.w_on)
    if isinstance(p, YakopcicParams):
        g = np.where(
            v > p.v_p,
            p.a_p * (np.exp(v) - np.exp(p.v_p)),
            np.where(v < -p.v_n, -p.a_n * (np.exp(-v) - np.exp(p.v_n)), 0.0),
        )
        w_p = (p.x_p - x) / (1 - p.x_p) + 1
        fp = np.where(x >= p.x_p, np.exp(-p.alpha_p * (x - p.x_p)) * w_p, 1)
        fn = np.where(x <= 1 - p.x_n, np.exp(p.alpha_n * (x + p.x_n - 1)) * (x / (1 - p.x_n)), 1)
        f = np.where(p.eta * v > 0, fp, fn)
        return p.eta * g * f
    raise TypeError(f"Not a memristor params instance: {type(p).__name__}")


def integrate(
    p: MemristorParams,
    v_of_t: Callable[[np.ndarray], np.ndarray],
    t: np.ndarray,
    x0=None,
    substeps: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """RK4 integration of the state under a voltage waveform.

    Parameters
    ----------
    p
        Model parameters (array fields broadcast over devices).
    v_of_t
        Port voltage as a vectorised function of time (scalar time in, array or scalar out).
    t
        Output times (increasing); the step between two of them is split into ``substeps``.
    x0
        Initial state (default ``p.x0``); broadcasts over devices.

    Returns
    -------
    x, i
        Arrays of shape ``(len(t),) + device_shape``: state and port current at ``t``.
    """
    t = _a(t)
    x = _a(p.x0 if x0 is None else x0) * np.ones(np.broadcast(_a(p.x0), _a(v_of_t(t[0]))).shape)
    xs = [x]
    for k in range(len(t) - 1):
        h = (t[k + 1] - t[k]) / substeps
        for s in range(substeps):
            tk = t[k] + s * h
            k1 = dxdt(p, v_of_t(tk), x)
            k2 = dxdt(p, v_of_t(tk + h / 2), x + h / 2 * k1)
            k3 = dxdt(p, v_of_t(tk + h / 2), x + h / 2 * k2)
            k4 = dxdt(p, v_of_t(tk + h), x + h * k3)
            x = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        xs.append(x)
    xarr = np.stack(xs)
    v = np.stack([np.broadcast_to(_a(v_of_t(tk)), x.shape) for tk in t])
    return xarr, current(p, v, xarr)


def apply_pulse(p: MemristorParams, x, v_p: float, t_p: float, steps: int = 200) -> np.ndarray:
    """State after one rectangular pulse of amplitude ``v_p`` and width ``t_p`` (RK4)."""
    x = _a(x)
    h = t_p / steps
    for _ in range(steps):
        k1 = dxdt(p, v_p, x)
        k2 = dxdt(p, v_p, x + h / 2 * k1)
        k3 = dxdt(p, v_p, x + h / 2 * k2)
        k4 = dxdt(p, v_p, x + h * k3)
        x = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def potentiation_sign(p: MemristorParams) -> float:
    """Pulse polarity that raises the conductance: +1 (HP, Yakopcic η > 0) or −1 (VTEAM)."""
    if isinstance(p, VTEAMParams):
        return -1.0
    if isinstance(p, YakopcicParams):
        return float(np.sign(p.eta))
    return 1.0


def program_pulses(
    p: MemristorParams,
    v_p: float,
    t_p: float,
    n_pulses: int,
    x0=None,
    v_read: float = 0.1,
    rng: np.random.Generator | int | None = None,
    steps: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``n_pulses`` identical pulses; read the conductance before and after each.

    Returns
    -------
    g, x
        Arrays of shape ``(n_pulses + 1,) + device_shape``. With ``p.dx_c2c > 0`` each pulse's
        Δx is scaled by ``1 + dx_c2c·N(0, 1)`` drawn from ``rng`` (required then).
    """
    if n_pulses < 0:
        raise ParameterError(f"The 'n_pulses' parameter must be >= 0. Got {n_pulses!r}.")
    c2c = float(getattr(p, "dx_c2c", 0.0))
    if c2c > 0 and rng is None:
        raise ParameterError("Cycle-to-cycle variation (dx_c2c > 0) needs an rng or seed.")
    gen = np.random.default_rng(rng) if c2c > 0 else None
    x = _a(p.x0 if x0 is None else x0) * np.ones(np.shape(_a(p.x0)))
    xs = [x]
    for _ in range(n_pulses):
        xn = apply_pulse(p, x, v_p, t_p, steps)
        if gen is not None:
            xn = x + (xn - x) * (1.0 + c2c * gen.standard_normal(np.shape(x)))
        x = xn
        xs.append(x)
    xarr = np.stack(xs)
    return conductance(p, xarr, v_read), xarr


def nonlinearity(g) -> float:
    """Max deviation of a monotone programming curve from its end-point line, / ΔG."""
    g = _a(g)
    n = np.arange(len(g))
    dg = g[-1] - g[0]
    if dg == 0:
        return 0.0
    lin = g[0] + dg * n / n[-1]
    return float(np.max(np.abs(g - lin)) / abs(dg))


def asymmetry(g_pot, g_dep) -> float:
    """Mean |G_pot(n) − G_dep(N − n)| / ΔG between potentiation and reversed depression."""
    gp, gd = _a(g_pot), _a(g_dep)[::-1]
    m = min(len(gp), len(gd))
    rng_g = max(gp.max(), gd.max()) - min(gp.min(), gd.min())
    if rng_g == 0:
        return 0.0
    return float(np.mean(np.abs(gp[:m] - gd[:m])) / rng_g)


def distinguishable_levels(g, sigma, k_sigma: float = 2.0) -> int:
    """Number of states of curve ``g`` kept greedily ≥ ``k_sigma``·σ apart (σ scalar/array)."""
    g = _a(g)
    sig = np.broadcast_to(_a(sigma), g.shape)
    kept = 1
    last = 0
    for n in range(1, len(g)):
        if abs(g[n] - g[last]) >= k_sigma * max(sig[n], sig[last], 1e-300):
            kept += 1
            last = n
    return kept
