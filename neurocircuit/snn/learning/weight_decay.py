r"""Adaptive weight decay for continual learning (after Panda et al., "ASP", IEEE JETCAS 2018).

Weights decay towards zero with a rate that falls as the synapse proves important:

.. math::

    w \leftarrow w\,\bigl(1 - dt\,\lambda_0\,e^{-s/s_0}\bigr),\qquad
    s \leftarrow s\,e^{-dt/\tau_s} + |\Delta w_{stdp}|,

where :math:`s` is a per-synapse significance trace accumulated from recent plastic changes.
Unimportant (rarely updated) weights are forgotten; recently reinforced ones are protected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["DecayParams", "update"]


@dataclass(frozen=True)
class DecayParams:
    lambda0: float = param(0.5, unit="1/s", doc="decay rate of insignificant weights", ge=0)
    s0: float = param(0.01, unit="", doc="significance scale", gt=0)
    tau_s: float = param(1.0, unit="s", doc="significance memory", gt=0)

    def __post_init__(self) -> None:
        validate(self)


def update(w, significance, dw_stdp, params: DecayParams, dt: float):
    """Returns ``(w, significance)`` after one step with plastic change ``dw_stdp``."""
    s = significance * np.exp(-dt / params.tau_s) + np.abs(dw_stdp)
    rate = params.lambda0 * np.exp(-s / params.s0)
    return w * np.clip(1.0 - dt * rate, 0.0, 1.0), s
