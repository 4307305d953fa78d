r"""Pair-based STDP with exponential traces (algorithms.md eq. 5).

With :math:`\Delta t = t_{post} - t_{pre}`:

.. math::

    \Delta w = A_+ e^{-\Delta t/\tau_+} \quad (\Delta t > 0), \qquad
    \Delta w = -A_- e^{\Delta t/\tau_-} \quad (\Delta t < 0).

Online form with a presynaptic trace :math:`x` and a postsynaptic trace :math:`y`:

.. math::

    x \leftarrow x\,e^{-dt/\tau_+},\quad y \leftarrow y\,e^{-dt/\tau_-},\qquad
    \Delta w_{ij} = \eta\,[A_+\,post_i\,x_j - A_-\,y_i\,pre_j],

then :math:`x \leftarrow x + pre` (all-to-all interaction) or :math:`x \leftarrow \max(x, pre)`
(nearest-spike: the trace is reset to 1, so only the latest pre spike counts); likewise for
:math:`y`. Traces are read *before* the current step's spikes are added, so simultaneous pre and
post spikes (Δt = 0) change nothing. Weights are clipped to ``[w_min, w_max]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["STDPParams", "STDPTraces", "init_traces", "update", "window"]


@dataclass(frozen=True)
class STDPParams:
    """Parameters of pair-based STDP."""

    a_plus: float = param(0.01, unit="", doc="potentiation amplitude A+", ge=0)
    a_minus: float = param(0.012, unit="", doc="depression amplitude A-", ge=0)
    tau_plus: float = param(20e-3, unit="s", doc="potentiation time constant", gt=0)
    tau_minus: float = param(20e-3, unit="s", doc="depression time constant", gt=0)
    eta: float = param(1.0, unit="", doc="learning rate", ge=0)
    w_min: float = param(0.0, unit="", doc="lower weight bound")
    w_max: float = param(1.0, unit="", doc="upper weight bound")
    interaction: str = param(
        "all-to-all", doc="spike pairing scheme", choices=("all-to-all", "nearest")
    )

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class STDPTraces:
    x_pre: np.ndarray  # (batch, n_pre)
    y_post: np.ndarray  # (batch, n_post)


def init_traces(batch: int, n_pre: int, n_post: int, dtype=np.float64) -> STDPTraces:
    return STDPTraces(np.zeros((batch, n_pre), dtype), np.zeros((batch, n_post), dtype))


def _accumulate(trace: np.ndarray, spikes: np.ndarray, interaction: str) -> np.ndarray:
    if interaction == "nearest":
        return np.maximum(trace, spikes)
    return trace + spikes


def update(
    w: np.ndarray,
    traces: STDPTraces,
    pre: np.ndarray,
    post: np.ndarray,
    params: STDPParams,
    dt: float,
) -> tuple[np.ndarray, STDPTraces]:
    """Advance one step of ``dt`` seconds; returns the new weights and traces."""
    x = traces.x_pre * np.exp(-dt / params.tau_plus)
    y = traces.y_post * np.exp(-dt / params.tau_minus)
    ltp = np.einsum("bi,bj->ij", post, x)
    ltd = np.einsum("bi,bj->ij", y, pre)
    w = np.clip(w + params.eta * (params.a_plus * ltp - params.a_minus * ltd),
                params.w_min, params.w_max)
    x = _accumulate(x, pre, params.interaction)
    y = _accumulate(y, post, params.interaction)
    return w, STDPTraces(x, y)


def window(dt_pair: np.ndarray, params: STDPParams) -> np.ndarray:
    """Closed-form weight change of one isolated pair separated by ``dt_pair = t_post - t_pre``."""
    d = np.asarray(dt_pair, dtype=float)
    return np.where(
        d > 0,
        params.eta * params.a_plus * np.exp(-d / params.tau_plus),
        np.where(d < 0, -params.eta * params.a_minus * np.exp(d / params.tau_minus), 0.0),
    )
