r"""Stochastic STDP for binary weights (algorithms.md §2.3, fig. 4).

Weights are 0/1. Each synapse remembers its neurons' last spike times. With
:math:`\Delta t = t_{post} - t_{pre}`:

- at a post spike, for synapses whose last pre spike gives :math:`0 \le \Delta t \le T_{pot}`:
  switch 0→1 with probability :math:`p_{pot}` (Hebbian potentiation);
- at a post spike, for synapses whose last pre spike is older, :math:`\Delta t > T_{pot}`:
  switch 1→0 with probability :math:`p_{anti}` (anti-Hebbian depression that forgets
  background inputs);
- at a pre spike, if the last post spike gives :math:`-T_{dep} \le \Delta t < 0`: switch 1→0
  with probability :math:`p_{dep}` (Hebbian depression).

Every draw comes from the ``rng`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...units import param, validate

__all__ = ["StochasticBinaryParams", "SpikeClock", "init_traces", "update", "switch_at_post",
           "switch_at_pre"]


@dataclass(frozen=True)
class StochasticBinaryParams:
    t_pot: float = param(20e-3, unit="s", doc="potentiation window", gt=0)
    t_dep: float = param(20e-3, unit="s", doc="depression window", gt=0)
    p_pot: float = param(0.1, unit="", doc="0→1 probability in the window", ge=0, le=1)
    p_dep: float = param(0.05, unit="", doc="1→0 probability, post before pre", ge=0, le=1)
    p_anti: float = param(0.01, unit="", doc="1→0 probability, pre long before post", ge=0, le=1)

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class SpikeClock:
    """Time since the last spike of each pre and post neuron (inf before the first)."""

    since_pre: np.ndarray  # (batch, n_pre)
    since_post: np.ndarray  # (batch, n_post)


def init_traces(batch: int, n_pre: int, n_post: int) -> SpikeClock:
    return SpikeClock(np.full((batch, n_pre), np.inf), np.full((batch, n_post), np.inf))


def switch_at_post(on, d_pre, params: StochasticBinaryParams, rng):
    """Event form of the post-spike rule: ``on`` (bool, any shape) are the synapses of neurons
    that spiked now, ``d_pre`` (broadcastable to ``on``) the time since their latest pre spike
    (inf: none yet). Returns the new states; draws ``rng.random(on.shape)`` once.

    ``0 ≤ Δt ≤ T_pot``: 0→1 with probability p_pot; finite ``Δt > T_pot``: 1→0 with p_anti.
    """
    u = rng.random(on.shape)
    pot = (d_pre <= params.t_pot) & (u < params.p_pot) & ~on
    anti = (d_pre > params.t_pot) & np.isfinite(d_pre) & (u < params.p_anti) & on
    return (on | pot) & ~anti


def switch_at_pre(on, d_post, params: StochasticBinaryParams, rng):
    """Event form of the pre-spike rule: ``on`` are the synapses of inputs that spiked now,
    ``d_post`` the time since the latest post spike *strictly before* this step.
    ``0 < Δt ≤ T_dep``: 1→0 with probability p_dep. Draws ``rng.random(on.shape)`` once."""
    u = rng.random(on.shape)
    dep = (d_post <= params.t_dep) & (u < params.p_dep) & on
    return on & ~dep


def update(w, clock: SpikeClock, pre, post, params: StochasticBinaryParams, dt: float, rng):
    """One step for binary ``w`` ``(n_post, n_pre)``; the batch axis is processed in order."""
    w = np.array(w, dtype=np.float64, copy=True)
    since_pre = np.where(pre > 0, 0.0, clock.since_pre + dt)
    since_post = np.where(post > 0, 0.0, clock.since_post + dt)
    for b in range(pre.shape[0]):
        post_b = post[b] > 0
        pre_b = pre[b] > 0
        if post_b.any():
            d = since_pre[b][None, :]  # Δt = t_post - t_pre for the latest pre spike
            rows = np.flatnonzero(post_b)
            w[rows] = switch_at_post(w[rows] == 1, d, params, rng)
        if pre_b.any():
            cols = np.flatnonzero(pre_b)
            d = clock.since_post[b][:, None] + dt  # post strictly before this pre spike
            w[:, cols] = switch_at_pre(w[:, cols] == 1, d, params, rng)
    return w, SpikeClock(since_pre, since_post)
