r"""Stochastic STDP for binary weights (algorithms.md §2.3, fig. 4).

Weights are 0/1. Each synapse remembers its neurons' last spike times. With
:math:`\Delta t = t_{post} - t_{pre}`:

- at a post spike, for synapses whose last pre spike gives :math:`0 \le \Delta t \le T_{pot}`:
  switch 0→1 with probability :math:`p_{pot}` (Hebbian potentiation);
- at a post spike, for synapses whose last pre spike is older, :math:`\Delta t > T_{pot}`:
  switch 1→0 with probability :math:`p_{anti}` (anti-Hebbian depression that forgets
  background inputs); inputs that have never spiked count as older only with
  ``anti_silent``;
- at a pre spike, if the last post spike gives :math:`-T_{dep} \le \Delta t < 0`: switch 1→0
  with probability :math:`p_{dep}` (Hebbian depression).

Options of the event form used by the Diehl & Cook network (:func:`switch_at_post`):

- ``tau_burst > 0`` gates the post-spike switches by the neuron's own previous spike, as the
  post₂ trace gates potentiation in the full-precision Diehl & Cook rule: both probabilities are
  multiplied by :math:`\exp(-\Delta t_{post}/\tau_{burst})`, where :math:`\Delta t_{post}` is
  the time since that neuron's previous spike (a lone spike barely learns, a burst does);
- ``match_hi > 0`` gates the post-spike switches by how well the neuron's synapses match the
  input: with the match :math:`m = \sum_i b_i [\Delta t_i \le T_{pot}] / \sum_i b_i` (the
  fraction of its on-synapses whose input is in the window), both probabilities are multiplied
  by :math:`\mathrm{clip}((m - m_{lo})/(m_{hi} - m_{lo}), 0, 1)`, so a neuron learns only from
  inputs it already matches (in the 400-neuron Diehl & Cook network this did not make the
  counterpart's on-probabilities any sharper: bench/results/2026-11-29/session10/README.md);
- ``n_on > 0`` keeps exactly ``n_on`` on-synapses per neuron (Querlioz et al. 2013's
  fixed-level variant): at a post spike, the in-window off-synapses drawn with ``p_pot``
  (× the burst gate) are exchanged one for one with randomly chosen older on-synapses, so the
  per-neuron level :math:`78/n_{on}` never changes (``p_anti`` and ``p_dep`` are then unused
  and must be 0).

Every draw comes from the ``rng`` passed in.

**Full-precision counterpart** (:func:`expected_at_post`; :func:`expected_exchange_at_post`
with ``n_on``): the same rule with each synapse's on-probability :math:`b_i \in [0, 1]` as a
continuous weight, updated by the expected switches. Free count (``n_on = 0``, gate
:math:`g`): in-window inputs :math:`b_i \mathrel{+}= p_{pot}\, g\, (1 - b_i)`, older ones
:math:`b_i \mathrel{-}= p_{anti}\, g\, b_i` (never-spiked inputs only with ``anti_silent``), so
a synapse whose input is in the window at a fraction :math:`r_i` of its neuron's spikes is on
with probability :math:`p_{pot} r_i/(p_{pot} r_i + p_{anti}(1 - r_i))`: a soft threshold at
:math:`r^* = p_{anti}/(p_{pot} + p_{anti})`, whose on-count follows the size of each neuron's
prototype. With ``n_on`` (exchange), at a post spike in-window inputs gain
:math:`P_i = p_{pot}\, g\, (1 - b_i)`; with ``n_on`` the older inputs give up the same total
in proportion to :math:`b_i` (:math:`\sum_i b_i = n_{on}` is kept): with
:math:`A = \sum P_i`, :math:`C = \sum_{old} b_i` and :math:`m = \min(A, C)`,
:math:`b_i \mathrel{+}= P_i m/A` (in window), :math:`b_i \mathrel{-}= b_i m/C` (older).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError
from ...units import param, validate

__all__ = ["StochasticBinaryParams", "SpikeClock", "init_traces", "update", "match_gate",
           "switch_at_post",
           "switch_at_pre", "expected_exchange_at_post", "expected_at_post"]


@dataclass(frozen=True)
class StochasticBinaryParams:
    t_pot: float = param(20e-3, unit="s", doc="potentiation window", gt=0)
    t_dep: float = param(20e-3, unit="s", doc="depression window", gt=0)
    p_pot: float = param(0.1, unit="", doc="0→1 probability in the window", ge=0, le=1)
    p_dep: float = param(0.05, unit="", doc="1→0 probability, post before pre", ge=0, le=1)
    p_anti: float = param(0.01, unit="", doc="1→0 probability, pre long before post", ge=0, le=1)
    anti_silent: bool = param(False, unit="", doc="anti-Hebbian depression also for inputs "
                              "that never spiked", choices=(False, True))
    tau_burst: float = param(0.0, unit="s", doc="post-spike gate exp(-Δt_post/τ); 0: no gate",
                             ge=0)
    n_on: int = param(0, unit="", doc="fixed on-synapses per neuron (exchange); 0: free", ge=0)
    match_lo: float = param(0.0, unit="", doc="match gate: no switch at a match ≤ this", ge=0,
                            le=1)
    match_hi: float = param(0.0, unit="", doc="match gate: full rate at a match ≥ this; 0: no "
                            "gate", ge=0, le=1)

    def __post_init__(self) -> None:
        validate(self)
        if self.match_hi and not self.match_lo < self.match_hi:
            raise ParameterError(
                f"StochasticBinaryParams: the match gate needs match_lo < match_hi (got "
                f"match_lo={self.match_lo}, match_hi={self.match_hi}; both fractions in [0, 1]).")
        if self.n_on and (self.p_dep or self.p_anti):
            raise ParameterError(
                f"StochasticBinaryParams: n_on={self.n_on} (fixed count) needs p_dep = 0 and "
                f"p_anti = 0 (got p_dep={self.p_dep}, p_anti={self.p_anti}); depression is the "
                "exchange itself.")


@dataclass(frozen=True)
class SpikeClock:
    """Time since the last spike of each pre and post neuron (inf before the first)."""

    since_pre: np.ndarray  # (batch, n_pre)
    since_post: np.ndarray  # (batch, n_post)


def init_traces(batch: int, n_pre: int, n_post: int) -> SpikeClock:
    return SpikeClock(np.full((batch, n_pre), np.inf), np.full((batch, n_post), np.inf))


def burst_gate(d_post, params: StochasticBinaryParams):
    r"""Post-spike gate :math:`\exp(-\Delta t_{post}/\tau_{burst})` (1 when ``tau_burst`` = 0);
    ``d_post`` is the time since the neuron's previous spike (inf: none → 0)."""
    if not params.tau_burst:
        return 1.0
    return np.exp(-np.asarray(d_post, dtype=np.float64) / params.tau_burst)


def match_gate(b, recent, params: StochasticBinaryParams):
    """Match gate of the neurons (columns) of ``b`` ``(n_pre, k)`` (on-states or
    on-probabilities): ``clip((m - m_lo)/(m_hi - m_lo), 0, 1)`` with ``m`` the ``b``-weighted
    fraction of inputs in the window (``recent``, broadcastable); 1 without the gate."""
    if not params.match_hi:
        return 1.0
    b = np.asarray(b, dtype=np.float64)
    total = b.sum(axis=0)
    m = np.where(total > 0, (b * recent).sum(axis=0) / np.maximum(total, 1e-300), 0.0)
    return np.clip((m - params.match_lo) / (params.match_hi - params.match_lo), 0.0, 1.0)


def switch_at_post(on, d_pre, params: StochasticBinaryParams, rng, d_post=None):
    """Event form of the post-spike rule: ``on`` (bool, any shape) are the synapses of neurons
    that spiked now, ``d_pre`` (broadcastable to ``on``) the time since their latest pre spike
    (inf: none yet). Returns the new states; draws ``rng.random(on.shape)`` once.

    ``0 ≤ Δt ≤ T_pot``: 0→1 with probability p_pot; ``Δt > T_pot``: 1→0 with p_anti (finite Δt
    only unless ``anti_silent``). With ``tau_burst``, ``d_post`` (broadcastable; time since the
    neuron's previous spike) scales both probabilities by the burst gate. With ``n_on``, axis 0
    is presynaptic and each column exchanges potentiated for depressed synapses one for one
    (see the module docstring).
    """
    gate = burst_gate(np.inf if d_post is None else d_post, params)
    u = rng.random(on.shape)
    recent = d_pre <= params.t_pot
    gate = gate * match_gate(on, recent, params)
    pot = recent & (u < params.p_pot * gate) & ~on
    if params.n_on:
        return _exchange(on, pot, ~recent & on, rng)
    old = ~recent if params.anti_silent else (~recent & np.isfinite(d_pre))
    anti = old & (u < params.p_anti * gate) & on
    return (on | pot) & ~anti


def _exchange(on, pot, candidates, rng):
    """Per column: switch on the ``pot`` synapses and off as many random ``candidates``; where
    there are fewer candidates, only that many of the ``pot`` synapses (chosen at random)."""
    on = np.array(on, dtype=bool, copy=True)
    pot = np.broadcast_to(pot, on.shape).reshape(on.shape[0], -1)
    cand = np.broadcast_to(candidates, on.shape).reshape(on.shape[0], -1)
    flat = on.reshape(on.shape[0], -1)
    for c in range(flat.shape[1]):
        up, down = np.flatnonzero(pot[:, c]), np.flatnonzero(cand[:, c])
        m = min(up.size, down.size)
        if m:
            flat[rng.choice(up, m, replace=False) if m < up.size else up, c] = True
            flat[rng.choice(down, m, replace=False), c] = False
    return flat.reshape(on.shape)


def expected_exchange_at_post(b, d_pre, params: StochasticBinaryParams, d_post=None):
    """Full-precision counterpart of :func:`switch_at_post` with ``n_on`` (module docstring):
    ``b`` ``(n_pre, k)`` on-probabilities of the ``k`` neurons that spiked now, ``d_pre``
    broadcastable to ``b`` (time since the latest pre spike), ``d_post`` (time since each
    neuron's previous spike). Returns the new ``b``; column sums are kept."""
    if not params.n_on:
        raise ParameterError("expected_exchange_at_post needs a fixed count (n_on > 0).")
    b = np.array(b, dtype=np.float64, copy=True)
    gate = burst_gate(np.inf if d_post is None else d_post, params)
    recent = np.broadcast_to(d_pre <= params.t_pot, b.shape)
    gate = gate * match_gate(b, recent, params)
    pot = np.where(recent, params.p_pot * gate * (1.0 - b), 0.0)
    a = pot.sum(axis=0)
    c = np.where(recent, 0.0, b).sum(axis=0)
    m = np.minimum(a, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        up = np.where(a > 0, m / a, 0.0)
        down = np.where(c > 0, m / c, 0.0)
    return np.where(recent, b + pot * up, b - b * down)


def expected_at_post(b, d_pre, params: StochasticBinaryParams, d_post=None):
    """Full-precision counterpart of :func:`switch_at_post` (module docstring): ``b``
    ``(n_pre, k)`` on-probabilities of the ``k`` neurons that spiked now, ``d_pre``
    broadcastable to ``b``, ``d_post`` the time since each neuron's previous spike. With
    ``n_on`` this is :func:`expected_exchange_at_post`; else the free-count expectation."""
    if params.n_on:
        return expected_exchange_at_post(b, d_pre, params, d_post)
    b = np.asarray(b, dtype=np.float64)
    gate = burst_gate(np.inf if d_post is None else d_post, params)
    d_pre = np.broadcast_to(d_pre, b.shape)
    recent = d_pre <= params.t_pot
    gate = gate * match_gate(b, recent, params)
    old = ~recent if params.anti_silent else (~recent & np.isfinite(d_pre))
    return np.where(recent, b + params.p_pot * gate * (1.0 - b),
                    np.where(old, b - params.p_anti * gate * b, b))


def switch_at_pre(on, d_post, params: StochasticBinaryParams, rng):
    """Event form of the pre-spike rule: ``on`` are the synapses of inputs that spiked now,
    ``d_post`` the time since the latest post spike *strictly before* this step.
    ``0 < Δt ≤ T_dep``: 1→0 with probability p_dep. Draws ``rng.random(on.shape)`` once
    (nothing when p_dep = 0)."""
    if not params.p_dep:
        return on
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
            d_post = (clock.since_post[b][rows] + dt)[:, None]  # previous spike of each row
            w[rows] = switch_at_post(w[rows].T == 1, d.T, params, rng, d_post.T).T
        if pre_b.any():
            cols = np.flatnonzero(pre_b)
            d = clock.since_post[b][:, None] + dt  # post strictly before this pre spike
            w[:, cols] = switch_at_pre(w[:, cols] == 1, d, params, rng)
    return w, SpikeClock(since_pre, since_post)
