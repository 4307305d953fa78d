r"""Non-learnable spike encoders and their decoders (algorithms.md §2.2.1–2.2.2).

Every encoder maps analog values ``x ∈ [0, 1]`` of shape ``(batch, *features)`` to a float32
spike tensor ``s`` of shape ``(T, batch, *features)`` with entries in {0, 1}.

Rate / Poisson (Bernoulli per step)
    ``s[t] = 1  if  x·r_max > u[t],  u[t] ~ U[0, 1)``  so ``E[mean_t s[t]] = x·r_max``.
Time to first spike, linear
    one spike at ``t = round((T − 1)(1 − x))`` for ``x > x_min``; decoded ``x̂ = 1 − t/(T − 1)``.
Time to first spike, integrating neuron (``log`` form)
    a leaky integrator ``τ du/dt = −u + x`` from ``u(0) = 0`` reaches ``θ`` at
    ``t* = τ·ln(x / (x − θ))`` (no spike for ``x ≤ θ``); the spike is at step ``ceil(t*)`` and is
    decoded at the middle of its step, ``x̂ = θ / (1 − exp(−(t − ½)/τ))``.
Rank order
    only the order matters: features of a sample sorted by decreasing ``x`` fire at steps
    ``floor(rank·T/F)`` (``F`` features; zeros are silent).
Log-temporal (bit) coding
    ``q = round(x·(2^B − 1))``; the spike at step ``b`` carries bit ``B − 1 − b`` (MSB first);
    decoded ``x̂ = Σ_b s[b]·2^(B−1−b) / (2^B − 1)``. The sparse variant keeps only the
    ``max_spikes`` most significant set bits.
Temporal switch (two spikes)
    spikes at ``t = 0`` and ``t = d``, ``d = max(1, round(x·(T − 1)))`` for ``x > 0``;
    decoded ``x̂ = d / (T − 1)``.

All functions are pure; the only random encoder (:func:`poisson`) takes a seed or a
``np.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ParameterError

__all__ = [
    "as_unit_interval",
    "poisson",
    "rate_decode",
    "ttfs",
    "ttfs_decode",
    "rank_order",
    "rank_order_decode",
    "bit_encode",
    "bit_decode",
    "temporal_switch",
    "temporal_switch_decode",
    "first_spike_times",
    "get_encoder",
    "ENCODER_NAMES",
]

ENCODER_NAMES = ("poisson", "ttfs", "rank_order", "bit", "temporal_switch")


def as_unit_interval(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float64 array, checking it is finite and inside ``[0, 1]``.

    Raises
    ------
    ParameterError
        If ``x`` holds NaN/inf or values outside ``[0, 1]``; the message gives the range found.
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim < 1:
        raise ParameterError(
            f"The '{name}' input must have shape (batch, *features). Got a scalar instead."
        )
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"The '{name}' input must be finite. Got NaN or inf values.")
    if a.size and (a.min() < 0.0 or a.max() > 1.0):
        raise ParameterError(
            f"The '{name}' input must lie in [0, 1] (normalise it first). "
            f"Got values in [{a.min():g}, {a.max():g}] instead."
        )
    return a


def _check_steps(n_steps: int, minimum: int = 1) -> int:
    if int(n_steps) != n_steps or n_steps < minimum:
        raise ParameterError(
            f"The 'n_steps' parameter must be an integer >= {minimum}. Got {n_steps!r} instead."
        )
    return int(n_steps)


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- rate


def poisson(x, n_steps: int, rng=None, max_rate: float = 1.0) -> np.ndarray:
    """Rate (Bernoulli/Poisson) coding: spike where ``x·max_rate`` exceeds a uniform draw.

    Parameters
    ----------
    x : array_like, shape (batch, *features)
        Values in ``[0, 1]``.
    n_steps : int
        Number of time steps ``T``.
    rng : int, None or numpy.random.Generator
        Seed or generator (same seed → same spikes).
    max_rate : float
        Spike probability per step for ``x = 1`` (in ``(0, 1]``).

    Returns
    -------
    numpy.ndarray, float32, shape (T, batch, *features)
    """
    a = as_unit_interval(x)
    T = _check_steps(n_steps)
    if not 0.0 < max_rate <= 1.0:
        raise ParameterError(
            f"The 'max_rate' parameter must be in (0, 1] spikes/step. Got {max_rate!r} instead."
        )
    p = (a * max_rate).astype(np.float32)
    u = _rng(rng).random((T,) + a.shape, dtype=np.float32)
    return (u < p).astype(np.float32)


def rate_decode(spikes, max_rate: float = 1.0) -> np.ndarray:
    """Estimate ``x`` as the spike count over time divided by ``T·max_rate``."""
    s = np.asarray(spikes, dtype=np.float32)
    return (s.mean(axis=0) / max_rate).astype(np.float32)


# ----------------------------------------------------------------------------- TTFS


def ttfs(
    x,
    n_steps: int,
    mode: str = "linear",
    tau: float = 10.0,
    theta: float = 0.1,
    x_min: float = 0.0,
) -> np.ndarray:
    """Time-to-first-spike coding: one spike per feature, earlier for larger values.

    Parameters
    ----------
    x : array_like, shape (batch, *features)
        Values in ``[0, 1]``.
    n_steps : int
        Number of time steps ``T`` (``>= 2``).
    mode : {"linear", "log"}
        ``"linear"``: ``t = round((T − 1)(1 − x))``; ``"log"``: integrating neuron,
        ``t = ceil(τ·ln(x/(x − θ)))``.
    tau : float
        Integrator time constant in steps (``"log"`` only).
    theta : float
        Integrator threshold in ``(0, 1)`` (``"log"`` only); values ``x ≤ θ`` stay silent.
    x_min : float
        Values ``≤ x_min`` stay silent (``"linear"``).

    Returns
    -------
    numpy.ndarray, float32, shape (T, batch, *features)
        At most one spike per feature; spikes after step ``T − 1`` are dropped.
    """
    a = as_unit_interval(x)
    T = _check_steps(n_steps, 2)
    if mode == "linear":
        fire = a > x_min
        t = np.rint((T - 1) * (1.0 - a))
    elif mode == "log":
        if not 0.0 < theta < 1.0:
            raise ParameterError(f"The 'theta' parameter must be in (0, 1). Got {theta!r}.")
        if not tau > 0:
            raise ParameterError(f"The 'tau' parameter must be > 0 steps. Got {tau!r}.")
        fire = a > theta
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = tau * np.log(np.where(fire, a / np.where(fire, a - theta, 1.0), 1.0))
        t = np.ceil(t_star - 1e-9)
    else:
        raise ParameterError(f"Unknown TTFS mode {mode!r}; valid modes: 'linear', 'log'.")
    fire &= t <= T - 1
    return _one_hot_time(np.where(fire, t, -1).astype(np.int64), T)


def _one_hot_time(t_idx: np.ndarray, T: int) -> np.ndarray:
    """Spike tensor (T, *shape) with a 1 at ``t_idx`` where ``t_idx >= 0``."""
    out = np.zeros((T,) + t_idx.shape, dtype=np.float32)
    flat = out.reshape(T, -1)
    ti = t_idx.reshape(-1)
    cols = np.flatnonzero(ti >= 0)
    flat[ti[cols], cols] = 1.0
    return out


def first_spike_times(spikes) -> np.ndarray:
    """Index of the first spike along the time axis, ``-1`` where a feature never fires."""
    s = np.asarray(spikes) > 0
    any_ = s.any(axis=0)
    return np.where(any_, s.argmax(axis=0), -1).astype(np.int64)


def ttfs_decode(
    spikes, mode: str = "linear", tau: float = 10.0, theta: float = 0.1
) -> np.ndarray:
    """Invert :func:`ttfs`: value from the first spike time (silent features decode to 0)."""
    s = np.asarray(spikes)
    T = s.shape[0]
    t = first_spike_times(s).astype(np.float64)
    if mode == "linear":
        val = 1.0 - t / (T - 1)
    elif mode == "log":
        with np.errstate(divide="ignore", over="ignore"):
            val = theta / (1.0 - np.exp(-np.maximum(t - 0.5, 1e-3) / tau))
        val = np.minimum(val, 1.0)
    else:
        raise ParameterError(f"Unknown TTFS mode {mode!r}; valid modes: 'linear', 'log'.")
    return np.where(t >= 0, val, 0.0).astype(np.float32)


# ----------------------------------------------------------------------------- rank order


def rank_order(x, n_steps: int | None = None) -> np.ndarray:
    """Rank-order coding: per sample, features fire once in order of decreasing value.

    Parameters
    ----------
    x : array_like, shape (batch, *features)
        Values in ``[0, 1]``; zeros never fire. Ties keep feature order (stable sort).
    n_steps : int, optional
        Number of steps ``T``; defaults to the number of features ``F`` (one feature a step).
        With ``T < F`` several ranks share a step: rank ``r`` fires at ``floor(r·T/F)``.

    Returns
    -------
    numpy.ndarray, float32, shape (T, batch, *features)
    """
    a = as_unit_interval(x)
    if a.ndim < 2:
        raise ParameterError(
            f"rank_order expects x of shape (batch, *features). Got shape {a.shape} instead."
        )
    B = a.shape[0]
    flat = a.reshape(B, -1)
    F = flat.shape[1]
    T = F if n_steps is None else _check_steps(n_steps)
    order = np.argsort(-flat, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(F)[None, :].repeat(B, 0), axis=1)
    t = (rank * T) // F
    t = np.where(flat > 0, t, -1)
    return _one_hot_time(t, T).reshape((T,) + a.shape)


def rank_order_decode(spikes) -> np.ndarray:
    """Rank (0 = first to fire) of each feature from a rank-order spike tensor; −1 if silent.

    Features firing at the same step share the rank of that step's first position.
    """
    s = np.asarray(spikes)
    T, B = s.shape[:2]
    t = first_spike_times(s).reshape(B, -1)
    key = np.where(t >= 0, t, np.iinfo(np.int64).max)
    order = np.argsort(key, axis=1, kind="stable")
    sorted_t = np.take_along_axis(key, order, axis=1)
    # rank of each position = index of the first element with the same time
    F = key.shape[1]
    pos = np.arange(F)[None, :].repeat(B, 0)
    first = np.where(np.diff(sorted_t, axis=1, prepend=-1) != 0, pos, 0)
    first = np.maximum.accumulate(first, axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, first, axis=1)
    rank = np.where(t >= 0, rank, -1)
    return rank.reshape(s.shape[1:])


# ----------------------------------------------------------------------------- bit coding


def bit_encode(x, n_bits: int = 8, max_spikes: int | None = None) -> np.ndarray:
    """Log-temporal (binary) coding: one spike per set bit, MSB at step 0.

    Parameters
    ----------
    x : array_like, shape (batch, *features)
        Values in ``[0, 1]``, quantised to ``round(x·(2^B − 1))``.
    n_bits : int
        Number of bits ``B`` = number of time steps (1 to 24).
    max_spikes : int, optional
        Sparse variant: keep only the ``max_spikes`` most significant set bits.

    Returns
    -------
    numpy.ndarray, float32, shape (B, batch, *features)
    """
    a = as_unit_interval(x)
    if int(n_bits) != n_bits or not 1 <= n_bits <= 24:
        raise ParameterError(
            f"The 'n_bits' parameter must be an integer in [1, 24]. Got {n_bits!r} instead."
        )
    B = int(n_bits)
    q = np.rint(a * (2**B - 1)).astype(np.int64)
    shifts = np.arange(B - 1, -1, -1).reshape((B,) + (1,) * a.ndim)
    bits = ((q[None] >> shifts) & 1).astype(np.float32)
    if max_spikes is not None:
        if int(max_spikes) != max_spikes or max_spikes < 1:
            raise ParameterError(
                f"The 'max_spikes' parameter must be an integer >= 1. Got {max_spikes!r}."
            )
        bits *= np.cumsum(bits, axis=0) <= max_spikes
    return bits


def bit_decode(spikes) -> np.ndarray:
    """Invert :func:`bit_encode`: ``Σ_b s[b]·2^(B−1−b) / (2^B − 1)``."""
    s = np.asarray(spikes, dtype=np.float64)
    B = s.shape[0]
    w = (2.0 ** np.arange(B - 1, -1, -1)).reshape((B,) + (1,) * (s.ndim - 1))
    return ((s * w).sum(axis=0) / (2**B - 1)).astype(np.float32)


# ----------------------------------------------------------------------------- temporal switch


def temporal_switch(x, n_steps: int) -> np.ndarray:
    """Temporal-switch coding: two spikes per non-zero value, interval ``∝ x``.

    The first spike is at step 0, the second at ``d = max(1, round(x·(T − 1)))``.
    Zeros stay silent.

    Returns
    -------
    numpy.ndarray, float32, shape (T, batch, *features)
    """
    a = as_unit_interval(x)
    T = _check_steps(n_steps, 2)
    fire = a > 0
    d = np.maximum(1, np.rint(a * (T - 1))).astype(np.int64)
    out = _one_hot_time(np.where(fire, d, -1), T)
    out[0][fire] = 1.0
    return out


def temporal_switch_decode(spikes) -> np.ndarray:
    """Invert :func:`temporal_switch`: interval between the two spikes over ``T − 1``."""
    s = np.asarray(spikes) > 0
    T = s.shape[0]
    last = T - 1 - np.argmax(s[::-1], axis=0)
    first = np.argmax(s, axis=0)
    n = s.sum(axis=0)
    return np.where(n >= 2, (last - first) / (T - 1), 0.0).astype(np.float32)


# ----------------------------------------------------------------------------- lookup


def get_encoder(name: str) -> Callable[..., np.ndarray]:
    """The encoder function called ``name`` (one of :data:`ENCODER_NAMES`)."""
    table = {
        "poisson": poisson,
        "rate": poisson,
        "ttfs": ttfs,
        "rank_order": rank_order,
        "bit": bit_encode,
        "temporal_switch": temporal_switch,
    }
    if name not in table:
        raise ParameterError(
            f"Unknown encoder {name!r}; valid encoders: {', '.join(sorted(table))}."
        )
    return table[name]
