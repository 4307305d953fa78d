r"""Short-term plasticity: Tsodyks–Markram depression and facilitation (Tsodyks et al. 1998).

Resources :math:`x` and utilisation :math:`u` per presynaptic neuron. Between spikes

.. math:: \frac{dx}{dt} = \frac{1 - x}{\tau_d}, \qquad \frac{du}{dt} = -\frac{u}{\tau_f}.

At a presynaptic spike: :math:`u^+ = u + U(1 - u)` (facilitation), the transmitted efficacy is
:math:`e = u^+ x`, then :math:`x \leftarrow x - u^+ x` (depression). Pure depression is
``tau_f → 0`` (u relaxes to 0 between spikes, so every spike uses U). For a regular train
of pure depression
:math:`x_\infty = (1 - e^{-T/\tau_d})/(1 - (1 - U)e^{-T/\tau_d})` with :math:`T = 1/r`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["STPParams", "STPState", "init_state", "update", "steady_depression"]


@dataclass(frozen=True)
class STPParams:
    u_base: float = param(0.5, unit="", doc="baseline utilisation U", gt=0, le=1)
    tau_d: float = param(200e-3, unit="s", doc="recovery time constant", gt=0)
    tau_f: float = param(1e-9, unit="s", doc="facilitation time constant (≈0: none)", gt=0)

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class STPState:
    x: np.ndarray
    u: np.ndarray


def init_state(shape, params: STPParams) -> STPState:
    return STPState(np.ones(shape), np.zeros(shape))


def update(state: STPState, pre, params: STPParams, dt: float) -> tuple[np.ndarray, STPState]:
    """One step; returns the efficacy of this step's spikes (0 where no spike) and the state.

    Recovery is integrated exactly over ``dt`` before the spike is processed.
    """
    x = 1.0 - (1.0 - state.x) * np.exp(-dt / params.tau_d)
    u = state.u * np.exp(-dt / params.tau_f)
    spk = pre > 0
    u_plus = np.where(spk, u + params.u_base * (1.0 - u), u)
    eff = np.where(spk, u_plus * x, 0.0)
    x = x - eff
    return eff, STPState(x, u_plus)


def steady_depression(rate_hz: float, params: STPParams) -> float:
    """Steady resources before each spike of a regular train (pure depression)."""
    e = np.exp(-1.0 / (rate_hz * params.tau_d))
    return float((1.0 - e) / (1.0 - (1.0 - params.u_base) * e))
