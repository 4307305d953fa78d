r"""Compact synapse, plasticity and memristor-update models fitted to circuits.

**Exponential (DPI / log-domain) synapse** (:class:`ExpSynapseParams`, Bartolozzi & Indiveri
2007): with ``s(t) = 1`` during an input pulse of width ``Δt``::

    τ dI/dt + I = I_∞ s(t),      per pulse  I⁺ = I⁻ e^{−Δt/τ} + I_∞ (1 − e^{−Δt/τ})

integrated exactly on any time grid (the pulse fraction of each step is honoured). With
``I_g > 0`` the full DPI form ``τ (1 + I_g/I) dI/dt + I = I_∞ s(t) − I_g`` (teili) is
integrated numerically instead.

**Power-law output** (``power = p ≠ 1``): the DPI's differential pair (nFETs, slope κ_n)
splits its tail as ``I_w/(1 + (I/I_th)^a)`` with ``a = κ_n/κ_p`` while the output pFET has
slope κ_p, so for ``I ≫ I_th`` the charging slows as the current grows::

    τ dI/dt = I_∞^a I^{1−a} s(t) − I

Then ``y = I^a`` obeys the linear filter ``(τ/a) dy/dt + y = I_∞^a s(t)`` exactly, so with the
unit kernel ``u`` of time constant ``τ_u = p τ`` (``p = 1/a``)::

    τ_u du/dt + u = s(t),      I = I_∞ u^p

(the decay of ``I`` keeps the time constant τ). A train's charge per pulse then falls with its
rate, as the circuit's does; ``p = 1`` is the linear kernel.

**Current-mirror integrator** (:class:`CMISynapseParams`): non-linear, hyperbolic decay and
saturating, history-dependent charging::

    dI/dt = −I²/(I_c τ)  between pulses  (I(t) = I_0/(1 + I_0 t/(I_c τ))),
    per pulse  I ← I + ΔI (1 − I/I_max)

**Short-term depression** (:class:`DepressionParams`, Tsodyks–Markram-style; circuits.md §2.4)::

    dw/dt = (w_0 − w)/τ_rec − δ w Σ_k δ(t − t_k),     w_∞ = w_0/(1 + δ r τ_rec)

(per spike the efficacy used is ``w⁻`` and then ``w ← w⁻ (1 − δ)``).

**STDP window with bistable drift** (:class:`STDPWindowParams`, Indiveri, Chicca & Douglas
2006)::

    Δw(Δt) = +A₊ e^{−Δt/τ₊}  (Δt = t_post − t_pre > 0),   −A₋ e^{Δt/τ₋}  (Δt < 0),
    between events  dw/dt = +r_bist (w > θ_w), −r_bist (w < θ_w),   w ∈ [w_min, w_max]

**Memristor conductance update** (:class:`MemristorUpdateParams`, NeuroSim-style pulse model)::

    G_P(n) = G_min + B_P (1 − e^{−n/ν_P}),   B_P = (G_max − G_min)/(1 − e^{−N/ν_P})
    G_D(n) = G_max − B_D (1 − e^{−n/ν_D}),   B_D = (G_max − G_min)/(1 − e^{−N/ν_D})

so one pulse moves the state along its curve; ``ν > 0`` gives the usual saturating (concave)
curve, ``ν < 0`` an accelerating (convex) one (e.g. a linear-drift device whose G = 1/R rises
ever faster); asymmetry is ``ν_P ≠ ν_D``; cycle-to-cycle noise
adds ``σ_c2c·(G_max − G_min)/N·ξ`` (``ξ ~ N(0, 1)``, seeded) to each step; ``G`` is clipped to
``[G_min, G_max]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..units import param, validate

__all__ = [
    "ExpSynapseParams", "exp_synapse_trace", "CMISynapseParams", "cmi_synapse_trace",
    "DepressionParams", "depression_efficacy", "STDPWindowParams", "stdp_window",
    "bistable_drift", "MemristorUpdateParams", "memristor_curve", "memristor_step",
    "pulse_fraction", "unit_kernel",
]


def _pos(obj: Any, *names: str) -> None:
    for n in names:
        v = np.asarray(getattr(obj, n), float)
        if not np.all((v > 0) & np.isfinite(v)):
            raise ParameterError(
                f"The '{n}' parameter of {type(obj).__name__} must be > 0 and finite. "
                f"Got {getattr(obj, n)!r} instead.")


def pulse_fraction(t: np.ndarray, times: Any, width: float) -> np.ndarray:
    """Fraction of each grid interval ``[t_k, t_{k+1})`` covered by the input pulses."""
    t = np.asarray(t, float)
    frac = np.zeros(max(t.size - 1, 0))
    for t0 in np.asarray(times, float).ravel():
        lo = np.clip(t0, t[:-1], t[1:])
        hi = np.clip(t0 + width, t[:-1], t[1:])
        frac += (hi - lo) / np.diff(t)
    return np.clip(frac, 0.0, 1.0)


@dataclass(frozen=True)
class ExpSynapseParams:
    """First-order (DPI / log-domain) synapse: time constant, drive and pulse width."""

    tau: Any = param(5e-3, unit="s", doc="decay time constant τ")
    i_inf: Any = param(1e-10, unit="A", doc="current approached during a pulse (I_th I_w/I_τ)")
    width: float = param(1e-4, unit="s", doc="input pulse width Δt", gt=0)
    i_rest: Any = param(0.0, unit="A", doc="resting (floor) current")
    i_g: Any = param(0.0, unit="A", doc="DPI non-linearity I_th (0: linear exponential kernel)")
    power: Any = param(1.0, doc="output exponent p = κ_p/κ_n of the power-law kernel "
                       "(1: linear)", gt=0.25, le=4.0)

    def __post_init__(self) -> None:
        validate(self)
        _pos(self, "tau", "i_inf")
        if float(np.max(self.i_g)) > 0 and np.any(np.asarray(self.power, float) != 1.0):
            raise ParameterError("ExpSynapseParams takes either the DPI form (i_g > 0 A) or "
                                 "the power-law kernel (power != 1), not both.")


def exp_synapse_trace(params: ExpSynapseParams, t: Any, spike_times: Any) -> np.ndarray:
    """Synaptic current on the grid ``t`` (s) for input pulses starting at ``spike_times``."""
    p = params
    t = np.asarray(t, float)
    frac = pulse_fraction(t, spike_times, p.width)
    tau, inf = float(p.tau), float(p.i_inf)
    if float(p.i_g) > 0:
        return _dpi_trace(tau, inf, float(p.i_g), t, frac) + float(p.i_rest)
    power = float(p.power)  # p = 1: the linear kernel I = I_∞ u
    return inf * unit_kernel(frac, np.diff(t), power * tau) ** power + float(p.i_rest)


def unit_kernel(frac: np.ndarray, dt: Any, tau: float) -> np.ndarray:
    """Unit kernel ``τ du/dt + u = s(t)`` from ``u = 0``, exact for rectangular pulses, at the
    ``frac.size + 1`` grid points: ``frac[k]`` is the pulse fraction of step ``k`` of length
    ``dt[k]`` (or one ``dt`` for all). Within a step the pulse is taken first."""
    frac = np.asarray(frac, float)
    dt = np.broadcast_to(np.asarray(dt, float), frac.shape)
    on = frac * dt
    e_on, e_off = np.exp(-on / tau), np.exp(-(dt - on) / tau)
    u = np.empty(frac.size + 1)
    x = 0.0
    u[0] = 0.0
    for k in range(frac.size):
        if on[k] > 0:
            x = 1.0 + (x - 1.0) * e_on[k]
        x *= e_off[k]
        u[k + 1] = x
    return u


def _dpi_trace(tau: float, inf: float, ig: float, t: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """DPI form ``τ(1 + I_g/I) dI/dt + I = I_∞ s(t) − I_g`` (floor ``I ≥ 1e-3 I_g``), explicit
    Euler with sub-steps of at most ``τ/50``."""
    i = np.empty(t.size)
    x = 1e-3 * ig
    i[0] = 0.0
    for k in range(t.size - 1):
        h = t[k + 1] - t[k]
        n = max(1, int(np.ceil(h / (tau / 50.0))))
        d = h / n
        drive = inf * frac[k] - ig
        for _ in range(n):
            x = max(x + d * (drive - x) / (tau * (1.0 + ig / x)), 1e-3 * ig)
        i[k + 1] = x - 1e-3 * ig
    return i


@dataclass(frozen=True)
class CMISynapseParams:
    """Current-mirror integrator: hyperbolic decay, saturating jumps."""

    tau: Any = param(5e-3, unit="s", doc="decay time scale")
    i_c: Any = param(1e-10, unit="A", doc="current scale of the hyperbolic decay")
    delta_i: Any = param(1e-10, unit="A", doc="jump per pulse at I = 0")
    i_max: Any = param(1e-9, unit="A", doc="saturation current")

    def __post_init__(self) -> None:
        validate(self)
        _pos(self, "tau", "i_c", "delta_i", "i_max")


def cmi_synapse_trace(params: CMISynapseParams, t: Any, spike_times: Any) -> np.ndarray:
    """CMI current on the grid ``t`` for spikes at ``spike_times`` (exact between spikes)."""
    p = params
    t = np.asarray(t, float)
    st = np.sort(np.asarray(spike_times, float).ravel())
    out = np.zeros(t.size)
    i0, t0 = 0.0, -np.inf
    k = 0
    for j, tj in enumerate(t):
        while k < st.size and st[k] <= tj:
            i_now = i0 / (1.0 + i0 * (st[k] - t0) / (p.i_c * p.tau)) if i0 > 0 else 0.0
            i0 = i_now + p.delta_i * (1.0 - i_now / p.i_max)
            t0 = st[k]
            k += 1
        out[j] = i0 / (1.0 + i0 * (tj - t0) / (p.i_c * p.tau)) if i0 > 0 else 0.0
    return out


@dataclass(frozen=True)
class DepressionParams:
    """Short-term depression: recovery τ_rec, use fraction δ, resting efficacy w_0."""

    tau_rec: Any = param(0.1, unit="s", doc="recovery time constant")
    delta: Any = param(0.3, doc="fraction of efficacy used per spike", gt=0, lt=1)
    w0: Any = param(1.0, doc="resting efficacy")

    def __post_init__(self) -> None:
        validate(self)
        _pos(self, "tau_rec", "w0")


def depression_efficacy(params: DepressionParams, spike_times: Any) -> np.ndarray:
    """Efficacy ``w⁻`` seen by each spike of a train (exact between spikes)."""
    p = params
    st = np.sort(np.asarray(spike_times, float).ravel())
    w, out, last = float(p.w0), np.empty(st.size), None
    for k, tk in enumerate(st):
        if last is not None:
            w = p.w0 + (w - p.w0) * np.exp(-(tk - last) / p.tau_rec)
        out[k] = w
        w *= 1.0 - p.delta
        last = tk
    return out


@dataclass(frozen=True)
class STDPWindowParams:
    """Pair-STDP window amplitudes and time constants, bounds, bistable refresh."""

    a_plus: Any = param(0.01, unit="V", doc="potentiation amplitude A₊")
    a_minus: Any = param(0.01, unit="V", doc="depression amplitude A₋")
    tau_plus: Any = param(20e-3, unit="s", doc="potentiation time constant τ₊")
    tau_minus: Any = param(20e-3, unit="s", doc="depression time constant τ₋")
    w_min: float = param(0.0, unit="V", doc="lower bound (V_low)")
    w_max: float = param(1.0, unit="V", doc="upper bound (V_high)")
    theta_w: float = param(0.5, unit="V", doc="bistability threshold θ_w")
    drift: float = param(0.0, unit="V/s", doc="bistable drift rate I_bist/C_w", ge=0)

    def __post_init__(self) -> None:
        validate(self)
        _pos(self, "tau_plus", "tau_minus")
        if not self.w_min < self.w_max:
            raise ParameterError("STDPWindowParams needs w_min < w_max.")


def stdp_window(params: STDPWindowParams, delta_t: Any) -> np.ndarray:
    """Weight change for pairings ``Δt = t_post − t_pre`` (s); 0 at ``Δt = 0``."""
    p = params
    d = np.asarray(delta_t, float)
    with np.errstate(over="ignore"):
        pot = p.a_plus * np.exp(-np.abs(d) / p.tau_plus)
        dep = -p.a_minus * np.exp(-np.abs(d) / p.tau_minus)
    return np.where(d > 0, pot, np.where(d < 0, dep, 0.0))


def bistable_drift(params: STDPWindowParams, w: Any, duration: float) -> np.ndarray:
    """Weights after drifting for ``duration`` s toward ``w_max`` or ``w_min`` (bounded)."""
    p = params
    w = np.asarray(w, float)
    moved = np.where(w > p.theta_w, w + p.drift * duration, w - p.drift * duration)
    return np.clip(moved, p.w_min, p.w_max)


@dataclass(frozen=True)
class MemristorUpdateParams:
    """Pulse-number conductance model: bounds, non-linearity, asymmetry, c2c noise."""

    g_min: Any = param(1e-6, unit="S", doc="minimum conductance")
    g_max: Any = param(1e-4, unit="S", doc="maximum conductance")
    n_pulses: int = param(100, doc="pulses from G_min to G_max", ge=1)
    nu_p: Any = param(30.0, doc="potentiation non-linearity ν_P (pulses; large → linear, "
                      "< 0 convex)")
    nu_d: Any = param(30.0, doc="depression non-linearity ν_D (pulses; < 0 convex)")
    sigma_c2c: Any = param(0.0, doc="cycle-to-cycle noise per step, relative to ΔG_lin")

    def __post_init__(self) -> None:
        validate(self)
        _pos(self, "g_min", "g_max")
        for n in ("nu_p", "nu_d"):
            v = np.asarray(getattr(self, n), float)
            if not np.all((v != 0) & np.isfinite(v)):
                raise ParameterError(
                    f"The '{n}' parameter of MemristorUpdateParams must be non-zero and finite "
                    f"(> 0 concave, < 0 convex). Got {getattr(self, n)!r} instead.")
        if np.any(np.asarray(self.g_max) <= np.asarray(self.g_min)):
            raise ParameterError("MemristorUpdateParams needs g_max > g_min.")


def memristor_curve(params: MemristorUpdateParams, n: Any, direction: str = "set") -> np.ndarray:
    """Conductance after ``n`` identical pulses from the far bound (``"set"`` or ``"reset"``)."""
    p = params
    n = np.asarray(n, float)
    span = np.asarray(p.g_max) - np.asarray(p.g_min)
    if direction == "set":
        b = span / (1.0 - np.exp(-p.n_pulses / np.asarray(p.nu_p)))
        return p.g_min + b * (1.0 - np.exp(-n / np.asarray(p.nu_p)))
    if direction == "reset":
        b = span / (1.0 - np.exp(-p.n_pulses / np.asarray(p.nu_d)))
        return p.g_max - b * (1.0 - np.exp(-n / np.asarray(p.nu_d)))
    raise ParameterError(f"direction must be 'set' or 'reset'. Got {direction!r} instead.")


def memristor_step(params: MemristorUpdateParams, g: Any, pulses: Any,
                   rng: np.random.Generator) -> np.ndarray:
    """Apply one pulse per element: ``+1`` set, ``−1`` reset, ``0`` none (noise seeded by rng)."""
    p = params
    g = np.asarray(g, float)
    s = np.asarray(pulses)
    span = np.asarray(p.g_max) - np.asarray(p.g_min)
    out = g.copy()
    for sign, direction, nu in ((1, "set", p.nu_p), (-1, "reset", p.nu_d)):
        b = span / (1.0 - np.exp(-p.n_pulses / np.asarray(nu)))
        if direction == "set":
            n_now = -np.asarray(nu) * np.log(np.clip(1.0 - (g - p.g_min) / b, 1e-12, None))
        else:
            n_now = -np.asarray(nu) * np.log(np.clip(1.0 - (p.g_max - g) / b, 1e-12, None))
        nxt = memristor_curve(p, n_now + 1.0, direction)
        out = np.where(s == sign, nxt, out)
    noise = np.asarray(p.sigma_c2c) * span / p.n_pulses * rng.standard_normal(g.shape)
    out = np.where(s != 0, out + noise, out)
    return np.clip(out, p.g_min, p.g_max)
