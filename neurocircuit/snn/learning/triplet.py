r"""Triplet STDP (Pfister & Gerstner, J. Neurosci. 2006), all-to-all traces.

Presynaptic traces :math:`r_1` (τ+), :math:`r_2` (τx); postsynaptic :math:`o_1` (τ−),
:math:`o_2` (τy); each jumps by 1 at its neuron's spike and decays exponentially. Weight changes,
with traces read just *before* the current spikes are added (the ε of the paper):

.. math::

    \text{post spike: } \Delta w = r_1\,[A_2^+ + A_3^+\,o_2],\qquad
    \text{pre spike: } \Delta w = -o_1\,[A_2^- + A_3^-\,r_2].

With :math:`A_3^\pm = 0` it reduces to pair-based STDP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["TripletParams", "TripletTraces", "init_traces", "update"]


@dataclass(frozen=True)
class TripletParams:
    """Defaults: Pfister & Gerstner 2006, visual cortex all-to-all fit (Table 4)."""

    a2_plus: float = param(5e-10, unit="", doc="pair potentiation A2+", ge=0)
    a3_plus: float = param(6.2e-3, unit="", doc="triplet potentiation A3+", ge=0)
    a2_minus: float = param(7e-3, unit="", doc="pair depression A2-", ge=0)
    a3_minus: float = param(2.3e-4, unit="", doc="triplet depression A3-", ge=0)
    tau_plus: float = param(16.8e-3, unit="s", doc="r1 time constant", gt=0)
    tau_x: float = param(101e-3, unit="s", doc="r2 time constant", gt=0)
    tau_minus: float = param(33.7e-3, unit="s", doc="o1 time constant", gt=0)
    tau_y: float = param(125e-3, unit="s", doc="o2 time constant", gt=0)
    w_min: float = 0.0
    w_max: float = 1.0

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class TripletTraces:
    r1: np.ndarray
    r2: np.ndarray
    o1: np.ndarray
    o2: np.ndarray


def init_traces(batch: int, n_pre: int, n_post: int, dtype=np.float64) -> TripletTraces:
    z = np.zeros
    return TripletTraces(
        z((batch, n_pre), dtype), z((batch, n_pre), dtype),
        z((batch, n_post), dtype), z((batch, n_post), dtype),
    )


def update(w, traces: TripletTraces, pre, post, params: TripletParams, dt: float):
    """One step; returns ``(w, traces)``."""
    r1 = traces.r1 * np.exp(-dt / params.tau_plus)
    r2 = traces.r2 * np.exp(-dt / params.tau_x)
    o1 = traces.o1 * np.exp(-dt / params.tau_minus)
    o2 = traces.o2 * np.exp(-dt / params.tau_y)
    ltp = np.einsum("bi,bj->ij", post * (params.a2_plus + params.a3_plus * o2), r1)
    ltd = np.einsum("bi,bj->ij", o1, pre * (params.a2_minus + params.a3_minus * r2))
    w = np.clip(w + ltp - ltd, params.w_min, params.w_max)
    return w, TripletTraces(r1 + pre, r2 + pre, o1 + post, o2 + post)
