"""PCM conductance model (aihwkit ``PCMLikeNoiseModel``; Nandakumar et al., ICECS 2019).

With g = G/G_max and conductances in µS as in the reference (scaled by G_max/25 µS):

- programming noise: G_p = G_T + N(0, σ_p),
  σ_p = [c0 + c1·g_T + c2·g_T²]·G_max/25 µS, c = (0.26348, 1.9650, −1.1731) µS;
- drift: G(t) = G_p·(t/t_0)^(−ν), t_0 = 20 s, ν ~ N(µ_ν, σ_ν) per device with
  µ_ν = clip(−0.0155·ln g_T + 0.0244, 0.049, 0.1), σ_ν = clip(−0.0125·ln g_T − 0.0059, 0.008,
  0.045) (ν clipped at 0);
- read (1/f) noise at time t: G_r = G(t) + N(0, σ_r),
  σ_r = G(t)·Q_s·√(ln((t + t_r)/(2 t_r))), Q_s = min(0.0088/g_T^0.65, 0.2), t_r = 250 ns.

Conductances are clipped at 0 after programming and reading. Every draw takes a seed or rng.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..units import param, validate

__all__ = ["PCMParams", "PCM_AIHWKIT", "program", "drift_nu", "drift", "read", "program_and_read"]


@dataclass(frozen=True)
class PCMParams:
    """aihwkit-like PCM statistics (circuits.md §3.1)."""

    g_max: float = param(25e-6, unit="S", doc="maximum conductance", gt=0)
    c0: float = param(0.26348e-6, unit="S", doc="programming-noise coefficient c0")
    c1: float = param(1.9650e-6, unit="S", doc="programming-noise coefficient c1")
    c2: float = param(-1.1731e-6, unit="S", doc="programming-noise coefficient c2")
    t0: float = param(20.0, unit="s", doc="drift reference time", gt=0)
    t_read: float = param(250e-9, unit="s", doc="read duration t_r", gt=0)
    prog_noise_scale: float = param(1.0, unit="", doc="multiplier of σ_p", ge=0)
    read_noise_scale: float = param(1.0, unit="", doc="multiplier of σ_r", ge=0)
    drift_scale: float = param(1.0, unit="", doc="multiplier of ν", ge=0)

    def __post_init__(self) -> None:
        validate(self)


PCM_AIHWKIT = PCMParams()
"""aihwkit PCMLikeNoiseModel defaults (G_max 25 µS reference; Nandakumar et al. 2019)."""


def _gt(p: PCMParams, g_target) -> np.ndarray:
    return np.clip(np.asarray(g_target, dtype=float) / p.g_max, 1e-6, None)


def program(p: PCMParams, g_target, rng) -> np.ndarray:
    """Programmed conductance G_p = G_T + N(0, σ_p), clipped at 0 (S)."""
    rng = np.random.default_rng(rng)
    gt = np.asarray(g_target, dtype=float)
    x = np.clip(gt / p.g_max, 0.0, None)
    sigma = (p.c0 + p.c1 * x + p.c2 * x**2) * (p.g_max / 25e-6) * p.prog_noise_scale
    return np.clip(gt + np.abs(sigma) * rng.standard_normal(gt.shape), 0.0, None)


def drift_nu(p: PCMParams, g_target, rng) -> np.ndarray:
    """Per-device drift exponents ν ~ N(µ_ν(G_T), σ_ν(G_T)), ν ≥ 0."""
    rng = np.random.default_rng(rng)
    lg = np.log(_gt(p, g_target))
    mu = np.clip(-0.0155 * lg + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * lg - 0.0059, 0.008, 0.045)
    return np.clip(mu + sd * rng.standard_normal(lg.shape), 0.0, None) * p.drift_scale


def drift(p: PCMParams, g_prog, nu, t: float) -> np.ndarray:
    """G(t) = G_p·(t/t_0)^(−ν) for t ≥ t_0 (no drift before t_0)."""
    ratio = max(float(t), p.t0) / p.t0
    return np.asarray(g_prog, dtype=float) * ratio ** (-np.asarray(nu, dtype=float))


def read(p: PCMParams, g_t, g_target, t: float, rng) -> np.ndarray:
    """One read at time t: G(t) + N(0, G(t)·Q_s·√(ln((t + t_r)/(2t_r)))), clipped at 0."""
    rng = np.random.default_rng(rng)
    g_t = np.asarray(g_t, dtype=float)
    q_s = np.minimum(0.0088 / _gt(p, g_target) ** 0.65, 0.2)
    arg = np.log((t + p.t_read) / (2 * p.t_read))
    sigma = g_t * q_s * np.sqrt(max(arg, 0.0)) * p.read_noise_scale
    return np.clip(g_t + sigma * rng.standard_normal(g_t.shape), 0.0, None)


def program_and_read(p: PCMParams, g_target, t: float, rng) -> np.ndarray:
    """Program, drift to time t and read once: the conductance the array shows at t (S)."""
    rng = np.random.default_rng(rng)
    g_p = program(p, g_target, rng)
    nu = drift_nu(p, g_target, rng)
    return read(p, drift(p, g_p, nu, t), g_target, t, rng)
