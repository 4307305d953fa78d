r"""Diehl & Cook (2015) unsupervised STDP network, conductance-based, event-driven numpy.

Excitatory neurons (``n_exc``), inhibitory neurons (one per excitatory), Poisson input.

.. math::

    \tau_e \dot v = (v_{rest,e} - v) + g_e (E_{exc} - v) + g_i (E_{inh,e} - v), \qquad
    \tau_i \dot v = (v_{rest,i} - v) + g_e (E_{exc} - v) + g_i (E_{inh,i} - v),

    \dot g_e = -g_e/\tau_{ge}, \qquad \dot g_i = -g_i/\tau_{gi}

(conductances in units of the leak conductance). Each step is integrated exactly for fixed
conductances (exponential Euler). Excitatory spike when :math:`v > v_{th,e} + \theta - 20` mV,
reset to :math:`v_{reset,e}`, refractory 5 ms, :math:`\theta \mathrel{+}= \theta_+` (homeostasis,
decaying with :math:`\tau_\theta`). Input spikes add :math:`w_{ij}` to :math:`g_e` of excitatory
neuron :math:`i`; each excitatory spike adds ``w_ei`` to its inhibitory partner's :math:`g_e`;
each inhibitory spike adds ``w_ie`` to :math:`g_i` of every *other* excitatory neuron (lateral
inhibition, winner-take-all).

Plasticity (input→excitatory, the original code's rule): traces ``pre`` (τ 20 ms), ``post1``
(20 ms), ``post2`` (40 ms); at a pre spike :math:`w \mathrel{-}= \nu_{pre}\,post_1`; at a post
spike :math:`w \mathrel{+}= \nu_{post}\,pre\,post_2^{before}`; clipped to [0, w_max]; then
``pre``/``post1``/``post2`` are set to 1. Before every sample the incoming weights of each
excitatory neuron are normalised to sum to 78.

Input rates are ``pixel/255 * 63.75`` Hz × intensity/2 (the paper's pixel/8 × intensity).
Option ``binary=StochasticBinaryParams(...)`` (:func:`present`, :func:`train`) replaces this rule
with stochastic STDP on 1-bit synapses (Querlioz et al. 2013; Yousefzadeh et al. 2018; see
:mod:`.learning.stochastic_binary`): each synapse is on or off, ``w_ij = b_ij g_i`` with
:math:`b_{ij}\in\{0,1\}` and the per-neuron level :math:`g_i = 78/\sum_j b_{ij}` (the same
normalisation, applied to binary weights, so every row holds two values). At a post spike, synapses
whose latest pre spike is within ``t_pot`` switch on with probability ``p_pot`` and the older
ones switch off with ``p_anti``; at a pre spike after a post spike within ``t_dep`` they switch off
with ``p_dep``; the rule's options (a gate by the neuron's previous spike, like the post₂ trace
of the default rule; a gate by how many of the neuron's on-synapses see the input; depression of
never-active inputs; a fixed number of on-synapses per neuron, exchanged one for one) are
described in :mod:`.learning.stochastic_binary`. The draws come from
the ``rng`` passed in; without ``binary`` nothing changes.

Compound binary synapses (Bill & Legenstein 2014, fig. 4): a network made by
:func:`init_binary_network` with ``n_devices = M > 1`` keeps ``M`` independent 1-bit devices per
connection in ``net.devices`` ``(n_exc, n_input, M)``; every device follows the rule above on its
own draws (with ``n_on``, each device layer keeps ``n_on`` on per neuron) and the weight is the
on-fraction, ``w_ij = g_i \sum_m b_{ijm}/M`` with :math:`g_i = 78/\sum_j \sum_m b_{ijm}/M`
(``M + 1`` levels per row). Each device's expected switch is the same as a lone synapse's, so
the full-precision counterpart (``expected=True``) does not depend on ``M``: it is the limit
``M → ∞``.

After training, neurons are labelled by the class they respond to most; an image is classified
by the class whose labelled neurons fire most. Evaluation (no plasticity) runs a batch of images
in parallel, which is exact because the weights are frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from ..errors import ParameterError
from ..units import param, validate
from .learning import stochastic_binary as _sb
from .learning.homeostasis import normalize

__all__ = [
    "DCParams",
    "DCNetwork",
    "init_network",
    "init_binary_network",
    "present",
    "run_batch",
    "train",
    "assign_labels",
    "predict",
    "poisson_input",
]


@dataclass(frozen=True)
class DCParams:
    """Network constants (Diehl & Cook 2015 code; SI units)."""

    n_input: int = param(784, unit="", doc="input neurons", gt=0)
    n_exc: int = param(100, unit="", doc="excitatory (= inhibitory) neurons", gt=0)
    dt: float = param(0.5e-3, unit="s", doc="time step", gt=0)
    t_present: float = param(0.35, unit="s", doc="presentation time", gt=0)
    t_rest: float = param(0.15, unit="s", doc="resting time (no input)", ge=0)
    max_rate: float = param(63.75, unit="Hz", doc="rate of a 255 pixel at intensity 2", gt=0)
    v_rest_e: float = -65e-3
    v_reset_e: float = -65e-3
    v_thresh_e: float = -52e-3
    theta_offset: float = 20e-3
    v_rest_i: float = -60e-3
    v_reset_i: float = -45e-3
    v_thresh_i: float = -40e-3
    e_exc: float = 0.0
    e_inh_e: float = -100e-3
    e_inh_i: float = -85e-3
    tau_e: float = param(100e-3, unit="s", doc="excitatory membrane τ", gt=0)
    tau_i: float = param(10e-3, unit="s", doc="inhibitory membrane τ", gt=0)
    tau_ge: float = param(1e-3, unit="s", doc="excitatory conductance τ", gt=0)
    tau_gi: float = param(2e-3, unit="s", doc="inhibitory conductance τ", gt=0)
    t_ref_e: float = param(5e-3, unit="s", doc="excitatory refractory period", ge=0)
    t_ref_i: float = param(2e-3, unit="s", doc="inhibitory refractory period", ge=0)
    theta_plus: float = param(0.05e-3, unit="V", doc="threshold increment per spike", ge=0)
    tau_theta: float = param(1e4, unit="s", doc="threshold decay τ", gt=0)
    theta_init: float = 20e-3
    w_ei: float = 10.4
    w_ie: float = 17.0
    tau_pre: float = 20e-3
    tau_post1: float = 20e-3
    tau_post2: float = 40e-3
    nu_pre: float = param(1e-4, unit="", doc="depression rate at pre spikes", ge=0)
    nu_post: float = param(1e-2, unit="", doc="potentiation rate at post spikes", ge=0)
    w_max: float = 1.0
    norm_total: float = param(78.0, unit="", doc="column normalisation target", gt=0)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def n_present(self) -> int:
        return int(round(self.t_present / self.dt))

    @property
    def n_rest(self) -> int:
        return int(round(self.t_rest / self.dt))


@dataclass
class DCNetwork:
    """Mutable learning state of one network: weights ``w`` (n_exc, n_input) and θ."""

    params: DCParams
    w: np.ndarray
    theta: np.ndarray
    labels: np.ndarray | None = None
    history: dict = field(default_factory=dict)
    devices: np.ndarray | None = None  # (n_exc, n_input, M) bool: compound binary synapses


def init_network(params: DCParams, rng: np.random.Generator) -> DCNetwork:
    """Input weights U(0, 0.3) as in the paper; θ at its initial value."""
    w = rng.uniform(0.0, 0.3, (params.n_exc, params.n_input))
    return DCNetwork(params, w, np.full(params.n_exc, params.theta_init))


def init_binary_network(params: DCParams, rng: np.random.Generator, p_on: float = 0.2,
                        n_on: int | None = None, n_devices: int = 1) -> DCNetwork:
    """Binary-synapse network: each synapse on with probability ``p_on`` (or, with ``n_on``,
    exactly ``n_on`` random on-synapses per neuron), rows normalised to ``norm_total`` (every
    on-synapse of neuron i weighs ``norm_total / n_on_i``). ``n_devices = M > 1``: compound
    synapses of ``M`` devices, each drawn so (device 0 as the one-device network from the same
    ``rng`` state), kept in ``net.devices``; the weight is the on-fraction (module docstring)."""
    if isinstance(n_devices, bool) or not (isinstance(n_devices, (int, np.integer))
                                           and n_devices >= 1):
        raise ParameterError(f"init_binary_network: n_devices must be an integer >= 1 (devices "
                             f"per connection), got {n_devices!r}.")
    if n_on is not None and not 0 < n_on <= params.n_input:
        raise ParameterError(f"init_binary_network: n_on (on-synapses per neuron) must be in "
                             f"1..n_input = {params.n_input}, got {n_on}.")
    u = rng.random((n_devices, params.n_exc, params.n_input))  # device 0: the same draws
    if n_on is None:
        b = u < p_on
    else:
        b = np.zeros(u.shape, bool)
        np.put_along_axis(b, np.argsort(u, axis=-1)[..., :n_on], True, axis=-1)
    theta = np.full(params.n_exc, params.theta_init)
    if n_devices == 1:
        return DCNetwork(params, normalize(b[0].astype(np.float64), params.norm_total), theta)
    devices = np.ascontiguousarray(np.moveaxis(b, 0, -1))
    return DCNetwork(params, normalize(devices.mean(axis=-1), params.norm_total), theta,
                     devices=devices)


def poisson_input(
    images: np.ndarray, params: DCParams, rng: np.random.Generator, intensity: float = 2.0
) -> np.ndarray:
    """Boolean input spikes ``(n_present, batch, n_input)`` for uint8-range images."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    p = x / 255.0 * params.max_rate * (intensity / 2.0) * params.dt
    return rng.random((params.n_present, *x.shape)) < p


def _step_membrane(v, v_rest, ge, gi, e_inh, tau, dt, e_exc):
    g = 1.0 + ge + gi
    v_inf = (v_rest + ge * e_exc + gi * e_inh) / g
    return v_inf + (v - v_inf) * np.exp(-dt * g / tau)


@dataclass
class _Dyn:
    """State of the 2·n_exc neurons (excitatory first), carried across samples.

    Refractoriness is stored as the time left; STDP traces (nearest-spike: set to 1 at a spike,
    then decaying) are stored as the time since the last spike, so that they cost nothing
    between spikes: ``trace = exp(-since/τ)``.
    """

    v: np.ndarray
    ge: np.ndarray
    gi: np.ndarray
    ref: np.ndarray
    since_pre: np.ndarray
    since_post: np.ndarray


def _init_dyn(p: DCParams) -> _Dyn:
    n = p.n_exc
    v = np.concatenate([np.full(n, p.v_rest_e), np.full(n, p.v_rest_i)])
    z = np.zeros(2 * n)
    return _Dyn(v, z.copy(), z.copy(), z.copy(), np.full(p.n_input, np.inf), np.full(n, np.inf))


def present(
    net: DCNetwork,
    spikes_in: np.ndarray,
    learn: bool = True,
    theta_adapt: bool | None = None,
    fast_forward: bool = True,
    binary: _sb.StochasticBinaryParams | None = None,
    rng: np.random.Generator | None = None,
    expected: bool = False,
) -> np.ndarray:
    """Present one sample (input spikes ``(n_present, n_input)`` bool) plus the rest period.

    The membrane state carries over from the previous sample through the rest period, as in the
    original simulation. The rest is simulated step by step until every conductance has decayed
    below 1e-9 and no neuron is refractory; the remainder is then advanced in closed form
    (without conductances the membranes relax exponentially to rest and no neuron can fire), so
    the result equals step-by-step simulation to within that tolerance.
    Updates ``net.w`` and ``net.theta`` in place when learning; returns the excitatory spike
    counts during the presentation. With ``binary`` (stochastic 1-bit STDP, see the module
    docstring) learning draws from ``rng``, which is then required. ``expected=True`` runs the
    rule's full-precision counterpart instead (continuous on-probabilities updated by the
    expected switches, :func:`~.learning.stochastic_binary.expected_at_post`): no draws,
    weights ``w = b·norm_total/Σb`` per neuron (``n_on`` with a fixed count; with a free count
    ``Σb`` is kept in ``net.history["b_sum"]``, starting from the on-count of the binary
    initial network). Its pre-spike rule (``p_dep``) is not implemented: it must be 0.
    """
    p = net.params
    theta_adapt = learn if theta_adapt is None else theta_adapt
    if learn:
        net.w = normalize(net.w, p.norm_total)
    if learn and binary is not None and expected:
        if binary.p_dep:
            raise ParameterError("present(expected=True) needs binary.p_dep = 0 (the "
                                 f"counterpart has no pre-spike rule); got {binary.p_dep}.")
        if net.devices is not None:
            raise ParameterError(
                "present(expected=True) runs the counterpart on on-probabilities, not on "
                f"devices: this network has {net.devices.shape[-1]} devices per connection; "
                "start the counterpart from a one-device network (n_devices=1).")
        if binary.n_on:
            b_sum = np.full(p.n_exc, float(binary.n_on))
        else:
            b_sum = net.history.get("b_sum")
            if b_sum is None:  # the binary initial network: b = on
                b_sum = (net.w > 0).sum(axis=1).astype(float)
        level = p.norm_total / np.maximum(b_sum, 1e-12)  # w = b·level
    elif learn and binary is not None:
        if rng is None:
            raise ParameterError("present(binary=...) needs an rng for the stochastic switches.")
        # M 1-bit devices per connection (M = 1: the synapse itself), weight = on-fraction × g_i
        devices = (net.w > 0)[..., None] if net.devices is None else net.devices
        n_dev = devices.shape[-1]
        devt = np.ascontiguousarray(devices.transpose(1, 0, 2))  # (n_input, n_exc, M)
        frac = devices.mean(axis=-1)
        level = p.norm_total / np.maximum(frac.sum(axis=1), 1.0 / n_dev)  # g_i
        net.w = frac * level[:, None]  # M + 1 values per row (two for one device)
    dyn = net.history.get("dyn") or _init_dyn(p)
    wt = np.ascontiguousarray(net.w.T)  # (n_input, n_exc): an input spike reads one row
    dt = p.dt
    n = p.n_exc
    n_present, n_total = p.n_present, p.n_present + p.n_rest
    v, ge, gi = dyn.v, dyn.ge, dyn.gi
    # times are measured from the start of this sample
    # last step index at which each neuron is still refractory (exact integers in float)
    ref_until = np.round(dyn.ref / dt) - 1.0
    t_pre = -dyn.since_pre  # time of the last spike (−inf: never)
    t_post = -dyn.since_post
    v_rest = np.concatenate([np.full(n, p.v_rest_e), np.full(n, p.v_rest_i)])
    e_inh = np.concatenate([np.full(n, p.e_inh_e), np.full(n, p.e_inh_i)])
    m_dt_tau = -dt / np.concatenate([np.full(n, p.tau_e), np.full(n, p.tau_i)])
    v_reset = np.concatenate([np.full(n, p.v_reset_e), np.full(n, p.v_reset_i)])
    n_ref = np.round(np.concatenate([np.full(n, p.t_ref_e), np.full(n, p.t_ref_i)]) / dt)
    thr = np.concatenate([p.v_thresh_e - p.theta_offset + net.theta, np.full(n, p.v_thresh_i)])
    d_ge, d_gi = np.exp(-dt / p.tau_ge), np.exp(-dt / p.tau_gi)
    counts = np.zeros(n, dtype=np.int64)
    active = [np.flatnonzero(row) for row in spikes_in[:n_present]]
    buf = tuple(np.empty(2 * n) for _ in range(4)) + (np.empty(2 * n, bool),)
    theta_spikes = np.zeros(n)
    e_exc = p.e_exc
    k = 0
    while k < n_total:
        t = (k + 1) * dt  # time at the end of this step
        if (fast_forward and k >= n_present and ref_until.max() < k and ge.max() < 1e-9
                and gi.max() < 1e-9):
            break  # quiet: fast-forward the rest of the rest period below
        _half_step(v, ge, gi, e_inh, v_rest, m_dt_tau, ref_until, k, e_exc, d_ge, buf)
        free = buf[4]
        gi *= d_gi
        if k < n_present:
            idx = active[k]
            if idx.size:
                blk = wt[idx]
                ge[:n] += blk.sum(axis=0)
                if learn and binary is not None:
                    if not expected and binary.p_dep:  # the pre-spike rule (none with n_on)
                        on = _sb.switch_at_pre(devt[idx], (t - t_post)[None, :, None],
                                               binary, rng)
                        devt[idx] = on
                        wt[idx] = on.mean(axis=-1) * level
                    t_pre[idx] = t
                elif learn:
                    blk -= p.nu_pre * np.exp((t_post - t) / p.tau_post1)
                    np.clip(blk, 0.0, p.w_max, out=blk)
                    wt[idx] = blk
                    t_pre[idx] = t
        fired = v > thr
        fired &= free
        if fired.any():
            f = np.flatnonzero(fired)
            v[f] = v_reset[f]
            ref_until[f] = k + n_ref[f]
            fe = f[f < n]
            fi = f[f >= n] - n
            if fe.size:
                if k < n_present:
                    counts[fe] += 1
                ge[n + fe] += p.w_ei
                if theta_adapt:
                    theta_spikes[fe] += 1
                    thr[fe] += p.theta_plus
                if learn and binary is not None and expected:
                    b = _sb.expected_at_post(wt[:, fe] / level[fe], (t - t_pre)[:, None],
                                             binary, d_post=(t - t_post[fe])[None, :])
                    wt[:, fe] = b * level[fe]
                    t_post[fe] = t
                elif learn and binary is not None:  # each device a column of its own
                    cols = devt[:, fe].reshape(p.n_input, fe.size * n_dev)
                    d_post = np.repeat(t - t_post[fe], n_dev)[None, :]
                    on = _sb.switch_at_post(cols, (t - t_pre)[:, None], binary, rng,
                                            d_post=d_post).reshape(p.n_input, fe.size, n_dev)
                    devt[:, fe] = on
                    wt[:, fe] = on.mean(axis=-1) * level[fe]
                    t_post[fe] = t
                elif learn:
                    pre = np.exp((t_pre - t) / p.tau_pre)
                    post2 = np.exp((t_post[fe] - t) / p.tau_post2)
                    wt[:, fe] = np.clip(
                        wt[:, fe] + p.nu_post * pre[:, None] * post2[None, :], 0.0, p.w_max
                    )
                    t_post[fe] = t
            if fi.size:
                gi[:n] += p.w_ie * fi.size
                gi[fi] -= p.w_ie
        k += 1
    t_end = n_total * dt
    t_left = t_end - k * dt
    if t_left > 0:  # closed-form relaxation: no conductance, no refractory neuron
        v[:] = v_rest + (v - v_rest) * np.exp(t_left * m_dt_tau / dt)
        ge[:] = 0.0
        gi[:] = 0.0
    dyn.ref = np.maximum(ref_until - n_total + 1.0, 0.0) * dt  # refractory time left
    dyn.since_pre = t_end - t_pre
    dyn.since_post = t_end - t_post
    if theta_adapt:
        # θ decays with τ_θ (1e4 s): exact decay over the sample plus the increments
        net.theta = net.theta * np.exp(-t_end / p.tau_theta) + p.theta_plus * theta_spikes
    if learn:
        net.w = np.ascontiguousarray(wt.T)
        if binary is not None and not expected and net.devices is not None:
            net.devices = np.ascontiguousarray(devt.transpose(1, 0, 2))
        if binary is not None and expected and not binary.n_on:
            net.history["b_sum"] = (wt / level).sum(axis=0)  # Σb of each neuron, for the next
    net.history["dyn"] = dyn
    return counts


def _half_step(v, ge, gi, e_inh, v_rest, m_dt_tau, ref_until, k, e_exc, d_ge, buf) -> None:
    """One exponential-Euler membrane step (in place; shared by :func:`present` and both halves
    of :func:`run_batch`, so they perform the same operations in the same order), then the decay
    of ``ge``; leaves the non-refractory mask in ``buf[4]``."""
    g, v_inf, dec, v_new, free = buf
    np.add(ge, gi, out=g)
    g += 1.0
    np.multiply(gi, e_inh, out=v_inf)
    if e_exc:
        v_inf += ge * e_exc
    v_inf += v_rest
    v_inf /= g
    np.multiply(g, m_dt_tau, out=dec)
    np.exp(dec, out=dec)
    np.subtract(v, v_inf, out=v_new)
    v_new *= dec
    v_new += v_inf
    np.less(ref_until, k, out=free)
    np.copyto(v, v_new, where=free)
    ge *= d_ge


def run_batch(net: DCNetwork, spikes_in: np.ndarray) -> np.ndarray:
    """Frozen-weight evaluation of a batch in parallel: spikes ``(n_present, B, n_input)``.

    The same step sequence as :func:`present` with ``learn=False``, every sample starting from
    rest (so each result equals a sequential presentation to a fresh network); returns spike
    counts ``(B, n_exc)``.
    """
    p = net.params
    dt = p.dt
    n = p.n_exc
    b = spikes_in.shape[1]
    # excitatory (…_e) and inhibitory (…_i) halves kept apart: the inhibitory neurons receive
    # no inhibition (their g_i stays 0), so their update needs fewer operations; every
    # operation is the one of :func:`present` in the same order, so results are identical
    v_e = np.full((b, n), p.v_rest_e)
    v_i = np.full((b, n), p.v_rest_i)
    ge_e, gi_e, ge_i = np.zeros((b, n)), np.zeros((b, n)), np.zeros((b, n))
    ref_e, ref_i = np.full((b, n), -1.0), np.full((b, n), -1.0)
    m_e, m_i = -dt / p.tau_e, -dt / p.tau_i
    n_ref_e, n_ref_i = round(p.t_ref_e / dt), round(p.t_ref_i / dt)
    thr_e = p.v_thresh_e - p.theta_offset + net.theta
    d_ge, d_gi = np.exp(-dt / p.tau_ge), np.exp(-dt / p.tau_gi)
    counts = np.zeros((b, n), dtype=np.int64)
    wt = np.ascontiguousarray(net.w.T, dtype=np.float64)
    # input drive of every step at once: the spikes are sparse (a few per image and step)
    flat = sparse.csr_matrix(spikes_in[: p.n_present].reshape(-1, spikes_in.shape[-1]),
                             dtype=np.float64)
    drive = np.asarray(flat @ wt).reshape(p.n_present, b, n)
    buf = tuple(np.empty((b, n)) for _ in range(4)) + (np.empty((b, n), bool),)
    fired = np.empty((b, n), bool)
    zero = np.zeros((b, n))
    for k in range(p.n_present):
        _half_step(v_e, ge_e, gi_e, p.e_inh_e, p.v_rest_e, m_e, ref_e, k, p.e_exc, d_ge, buf)
        gi_e *= d_gi
        ge_e += drive[k]
        np.greater(v_e, thr_e, out=fired)
        fired &= buf[4]
        fe = fired.copy() if fired.any() else None
        _half_step(v_i, ge_i, zero, p.e_inh_i, p.v_rest_i, m_i, ref_i, k, p.e_exc, d_ge, buf)
        np.greater(v_i, p.v_thresh_i, out=fired)
        fired &= buf[4]
        if fe is not None:
            v_e[fe] = p.v_reset_e
            ref_e[fe] = k + n_ref_e
            counts += fe
            ge_i += p.w_ei * fe
        if fired.any():
            v_i[fired] = p.v_reset_i
            ref_i[fired] = k + n_ref_i
            n_fi = fired.sum(axis=1, keepdims=True)
            gi_e += p.w_ie * (n_fi - fired)
    return counts


def train(
    net: DCNetwork,
    images: np.ndarray,
    rng: np.random.Generator,
    min_spikes: int = 5,
    max_intensity: float = 32.0,
    progress: bool = False,
    binary: _sb.StochasticBinaryParams | None = None,
    expected: bool = False,
) -> np.ndarray:
    """One pass over ``images`` with plasticity; re-presents at higher intensity when fewer than
    ``min_spikes`` excitatory spikes occur (the paper's procedure). Returns the counts
    ``(N, n_exc)`` of the final presentation of each image. ``binary``: stochastic 1-bit STDP
    instead of the default rule (its switches also draw from ``rng``); ``expected``: its
    full-precision counterpart (:func:`present`)."""
    from tqdm.auto import tqdm

    out = np.zeros((len(images), net.params.n_exc), dtype=np.int64)
    for n in tqdm(range(len(images)), disable=not progress, desc="Diehl & Cook", unit="img"):
        intensity = 2.0
        while True:
            spikes = poisson_input(images[n : n + 1], net.params, rng, intensity)[:, 0]
            if binary is None:
                counts = present(net, spikes, learn=True)
            else:
                counts = present(net, spikes, learn=True, binary=binary, rng=rng,
                                 expected=expected)
            if counts.sum() >= min_spikes or intensity >= max_intensity:
                break
            intensity += 1.0
        out[n] = counts
    return out


def evaluate_counts(
    net: DCNetwork, images: np.ndarray, rng: np.random.Generator, batch: int = 100,
    intensity: float = 2.0, min_spikes: int = 5, max_intensity: float = 32.0,
) -> np.ndarray:
    """Spike counts ``(N, n_exc)`` with frozen weights and θ, batched.

    As in training (and the paper), an image that evokes fewer than ``min_spikes`` excitatory
    spikes is presented again with the input intensity raised by 1, up to ``max_intensity``;
    its counts are those of the last presentation. ``min_spikes=0`` presents each image once.
    """
    images = np.asarray(images)
    out = np.zeros((len(images), net.params.n_exc), dtype=np.int64)
    for s in range(0, len(images), batch):
        idx = np.arange(s, min(s + batch, len(images)))
        level = intensity
        while idx.size:
            spikes = poisson_input(images[idx], net.params, rng, level)
            out[idx] = run_batch(net, spikes)
            level += 1.0
            if level > max_intensity:
                break
            idx = idx[out[idx].sum(axis=1) < min_spikes]
    return out


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Label each neuron by the class with the highest mean response."""
    rates = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        m = labels == c
        if m.any():
            rates[c] = counts[m].mean(axis=0)
    return np.argmax(rates, axis=0)


def predict(counts: np.ndarray, neuron_labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Class with the highest mean spike count over the neurons labelled with it."""
    scores = np.full((counts.shape[0], n_classes), -1.0)
    for c in range(n_classes):
        m = neuron_labels == c
        if m.any():
            scores[:, c] = counts[:, m].mean(axis=1)
    return np.argmax(scores, axis=1)


def with_size(params: DCParams, n_exc: int) -> DCParams:
    return replace(params, n_exc=n_exc)
