r"""Weight-dependent STDP with offset and soft bound (algorithms.md eqs. 6–7, Diehl & Cook 2015).

On a postsynaptic spike

.. math::

    \Delta w = \eta_{post}\,(x_{pre} - x_{tar})\,(w_{max} - w)^{\mu},

so close pre→post pairs (large :math:`x_{pre}`) potentiate and distant ones (small trace,
below the offset :math:`x_{tar}`) depress; :math:`\mu` sets how softly the bound is approached.
On a presynaptic spike an optional depression :math:`\Delta w = -\eta_{pre}\,x_{post}\,w^{\mu}`
(Diehl & Cook's pre-synaptic term). Traces decay with :math:`\tau_{pre}`, :math:`\tau_{post}`
and are read before the current spikes are added (all-to-all, ``x += 1``) or set to 1
(nearest, Diehl & Cook's choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["WeightDependentParams", "Traces", "init_traces", "update"]


@dataclass(frozen=True)
class WeightDependentParams:
    eta_post: float = param(1e-2, unit="", doc="learning rate at post spikes", ge=0)
    eta_pre: float = param(1e-4, unit="", doc="learning rate at pre spikes", ge=0)
    x_tar: float = param(0.4, unit="", doc="offset (target pre trace)", ge=0)
    mu: float = param(1.0, unit="", doc="soft-bound exponent", ge=0)
    w_max: float = param(1.0, unit="", doc="upper weight bound", gt=0)
    tau_pre: float = param(20e-3, unit="s", doc="pre trace time constant", gt=0)
    tau_post: float = param(20e-3, unit="s", doc="post trace time constant", gt=0)
    nearest: bool = True

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class Traces:
    x_pre: np.ndarray
    x_post: np.ndarray


def init_traces(batch: int, n_pre: int, n_post: int, dtype=np.float64) -> Traces:
    return Traces(np.zeros((batch, n_pre), dtype), np.zeros((batch, n_post), dtype))


def update(w, traces: Traces, pre, post, params: WeightDependentParams, dt: float):
    """One step; returns ``(w, traces)``. ``w`` is ``(n_post, n_pre)``."""
    xp = traces.x_pre * np.exp(-dt / params.tau_pre)
    xq = traces.x_post * np.exp(-dt / params.tau_post)
    bound_up = np.clip(params.w_max - w, 0.0, None) ** params.mu
    bound_dn = np.clip(w, 0.0, None) ** params.mu
    ltp = np.einsum("bi,bj->ij", post, xp - params.x_tar)
    ltd = np.einsum("bi,bj->ij", xq, pre)
    w = w + params.eta_post * ltp * bound_up - params.eta_pre * ltd * bound_dn
    w = np.clip(w, 0.0, params.w_max)
    if params.nearest:
        xp = np.where(pre > 0, 1.0, xp)
        xq = np.where(post > 0, 1.0, xq)
    else:
        xp = xp + pre
        xq = xq + post
    return w, Traces(xp, xq)
