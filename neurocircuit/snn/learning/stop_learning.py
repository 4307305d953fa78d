r"""Calcium-gated bistable "stop-learning" rule (Brader, Senn & Fusi, Neural Comput. 2007).

The rule of the ROLLS chip (Qiao et al. 2015). Each synapse has an internal variable
:math:`X \in [0, 1]`; each post neuron a calcium trace :math:`C` (a low-pass of its spikes,
:math:`C \leftarrow C e^{-dt/\tau_C} + J_C\,post`) and a membrane potential :math:`V`.
At every presynaptic spike:

.. math::

    X \mathrel{+}= a \quad\text{if } V > \theta_V \text{ and } \theta_{up}^l < C < \theta_{up}^h,
    \qquad
    X \mathrel{-}= b \quad\text{if } V \le \theta_V \text{ and } \theta_{dn}^l < C < \theta_{dn}^h.

Between spikes :math:`X` drifts to a stable state: :math:`dX/dt = +\alpha` above
:math:`\theta_X`, :math:`-\beta` below, clipped to [0, 1]. The efficacy is binary:
:math:`w = w_{high}` if :math:`X > \theta_X` else :math:`w_{low}`. Learning stops when the
calcium leaves the windows (the neuron already responds correctly or not at all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["StopLearningParams", "StopLearningState", "init_state", "update", "efficacy"]


@dataclass(frozen=True)
class StopLearningParams:
    a: float = param(0.1, unit="", doc="jump up at a pre spike", ge=0)
    b: float = param(0.1, unit="", doc="jump down at a pre spike", ge=0)
    alpha: float = param(3.5, unit="1/s", doc="drift rate up", ge=0)
    beta: float = param(3.5, unit="1/s", doc="drift rate down", ge=0)
    theta_x: float = param(0.5, unit="", doc="bistability threshold", gt=0, lt=1)
    theta_v: float = param(0.8, unit="", doc="membrane threshold (relative to firing)")
    tau_c: float = param(60e-3, unit="s", doc="calcium time constant", gt=0)
    j_c: float = param(1.0, unit="", doc="calcium jump per post spike", gt=0)
    theta_up_low: float = 3.0
    theta_up_high: float = 12.0
    theta_dn_low: float = 3.0
    theta_dn_high: float = 4.0
    w_low: float = 0.0
    w_high: float = 1.0

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class StopLearningState:
    x: np.ndarray  # (n_post, n_pre) internal variable
    calcium: np.ndarray  # (batch, n_post)


def init_state(n_pre: int, n_post: int, batch: int = 1, x0: float = 0.0) -> StopLearningState:
    return StopLearningState(np.full((n_post, n_pre), float(x0)), np.zeros((batch, n_post)))


def efficacy(state: StopLearningState, params: StopLearningParams) -> np.ndarray:
    return np.where(state.x > params.theta_x, params.w_high, params.w_low)


def update(state: StopLearningState, pre, post, v_post, params: StopLearningParams, dt: float):
    """One step. ``v_post`` ``(batch, n_post)`` is the membrane before the step's reset."""
    c = state.calcium * np.exp(-dt / params.tau_c)
    up = (v_post > params.theta_v) & (c > params.theta_up_low) & (c < params.theta_up_high)
    dn = (v_post <= params.theta_v) & (c > params.theta_dn_low) & (c < params.theta_dn_high)
    jumps = params.a * np.einsum("bi,bj->ij", up.astype(float), pre) - params.b * np.einsum(
        "bi,bj->ij", dn.astype(float), pre
    )
    x = state.x + jumps
    drift = np.where(x > params.theta_x, params.alpha, -params.beta) * dt
    x = np.clip(x + np.where(jumps == 0, drift, 0.0), 0.0, 1.0)
    return StopLearningState(x, c + params.j_c * post)
