r"""Homeostasis: adaptive thresholds and weight normalisation (Diehl & Cook 2015).

Adaptive threshold: :math:`\theta \leftarrow \theta\,e^{-dt/\tau_\theta} + \theta_+\,post`,
the effective threshold being :math:`v_{th} + \theta`; a neuron that fires a lot becomes harder
to fire, which balances activity in a winner-take-all layer.

Weight normalisation: each postsynaptic neuron's incoming weights are scaled so that they sum
to ``total`` (78 for 784 inputs in Diehl & Cook).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["ThresholdParams", "update_threshold", "normalize"]


@dataclass(frozen=True)
class ThresholdParams:
    theta_plus: float = param(0.05e-3, unit="V", doc="threshold increment per spike", ge=0)
    tau_theta: float = param(1e4, unit="s", doc="threshold decay time constant", gt=0)

    def __post_init__(self) -> None:
        validate(self)


def update_threshold(theta, post, params: ThresholdParams, dt: float):
    """One step of the adaptive threshold; ``post`` summed over the batch axis if 2-D."""
    spikes = post.sum(axis=0) if np.ndim(post) == np.ndim(theta) + 1 else post
    return theta * np.exp(-dt / params.tau_theta) + params.theta_plus * spikes


def normalize(w, total: float, axis: int = -1):
    """Scale ``w`` so that it sums to ``total`` along ``axis`` (rows = post neurons)."""
    s = np.sum(w, axis=axis, keepdims=True)
    return w * np.where(s > 0, total / np.where(s > 0, s, 1.0), 1.0)
