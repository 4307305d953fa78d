r"""Spiking neuron models as pure step functions, and the neuron protocol.

Equations (discrete time, one step of length ``dt``; ``I[t]`` the synaptic input current):

- **LIF** (algorithms.md eq. 2): ``u[t] = β·v[t−1] + I[t]``; ``o[t] = H(u[t] − θ)``;
  soft (subtractive) reset ``v[t] = u[t] − θ·o[t]``, hard reset
  ``v[t] = u[t]·(1 − o[t]) + v_reset·o[t]``. ``β = exp(−dt/τ_m)`` (:func:`beta_from_tau`).
  A refractory period of ``r`` steps holds ``v = v_reset`` (hard) or ``v`` (soft) and blocks
  spikes for ``r`` steps after each spike.
- **IF**: LIF with ``β = 1``.
- **Adaptive LIF**: an after-hyperpolarising current ``a[t] = β_a·a[t−1] + b·o[t−1]``
  (``β_a = exp(−dt/τ_ahp)``) is subtracted from the input: ``u[t] = β·v[t−1] + I[t] − a[t]``.
- **Stochastic sigmoid neuron** (eq. 3): ``P(o = 1) = σ(I + bias) = 1/(1 + exp(−I − bias))``;
  with no input it fires with probability 0.5 (bias 0). :func:`stochastic_rate` evaluates it
  over several iterations and returns the mean spike count.

Neuron protocol
---------------
A neuron model is a module-level triple that compact models fitted from circuits implement too:

``Params``
    a frozen dataclass of parameters; fields may be scalars or arrays broadcasting against the
    state shape, e.g. per-neuron ``(n,)`` or per-chip-instance ``(N, 1, n)`` for a state of
    shape ``(N, batch, n)`` — N chip instances with different parameters run in one call.
``init_state(params, shape, xp=numpy) -> State``
    the resting state (a ``NamedTuple`` of arrays of ``shape``, float32).
``step(state, current, params, dt=1.0) -> (spikes, State)``
    one pure step; ``spikes`` float32 0/1 of the state's shape. ``dt`` is the step length in
    seconds; models defined per step (β given directly) ignore it.

:func:`model_for` maps a params object to its ``(init_state, step)`` pair; a fitted model
registers itself with :func:`register_model`. :func:`run` drives any model over ``T`` steps;
LIF/IF without refractoriness take an in-place fast path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..errors import ParameterError
from ..units import param, validate

__all__ = [
    "LIFParams", "IFParams", "AdaptiveLIFParams", "StochasticParams", "LIFState", "ALIFState",
    "StochasticState", "lif_init", "lif_step", "alif_init", "alif_step", "stochastic_init",
    "stochastic_step", "stochastic_rate", "beta_from_tau", "model_for", "register_model", "run",
]

F32 = np.float32


def beta_from_tau(tau_mem: float, dt: float) -> float:
    """Per-step leak ``β = exp(−dt/τ_m)``."""
    if tau_mem <= 0 or dt <= 0:
        raise ParameterError(f"tau_mem and dt must be > 0 s. Got {tau_mem!r}, {dt!r} instead.")
    return float(np.exp(-dt / tau_mem))


def _check_array_params(obj: Any, names: tuple[str, ...], lo: dict[str, tuple[str, float]]) -> None:
    for n in names:
        val = np.asarray(getattr(obj, n))
        if not np.all(np.isfinite(val)):
            raise ParameterError(f"The '{n}' parameter of {type(obj).__name__} must be finite.")
        op, b = lo.get(n, ("", 0.0))
        bad = (val <= b) if op == ">" else (val < b) if op == ">=" else None
        if bad is not None and np.any(bad):
            raise ParameterError(
                f"The '{n}' parameter of {type(obj).__name__} must be {op} {b:g}. "
                f"Got {val.min()!r} instead."
            )


@dataclass(frozen=True)
class LIFParams:
    """Leaky integrate-and-fire parameters (per-step leak; arrays broadcast over the state)."""

    beta: Any = param(0.9, doc="per-step membrane leak β = exp(-dt/τ_m); 1 = IF")
    v_th: Any = param(1.0, unit="V", doc="firing threshold θ")
    v_reset: float = param(0.0, unit="V", doc="hard-reset potential")
    reset: str = param("soft", choices=("soft", "hard"), doc="subtractive or to-v_reset reset")
    refractory: int = param(0, ge=0, doc="refractory period in steps")

    def __post_init__(self) -> None:
        validate(self)
        _check_array_params(self, ("beta", "v_th"), {"beta": (">=", 0.0), "v_th": (">", 0.0)})
        if np.any(np.asarray(self.beta) > 1.0):
            raise ParameterError("The 'beta' parameter of LIFParams must be <= 1.")


def IFParams(v_th: Any = 1.0, v_reset: float = 0.0, reset: str = "soft",  # noqa: N802
             refractory: int = 0) -> LIFParams:
    """Integrate-and-fire: :class:`LIFParams` with ``β = 1``."""
    return LIFParams(beta=1.0, v_th=v_th, v_reset=v_reset, reset=reset, refractory=refractory)


class LIFState(NamedTuple):
    """LIF state: membrane after reset ``v`` and remaining refractory steps ``ref``."""

    v: Any
    ref: Any


def lif_init(params: LIFParams, shape: tuple[int, ...], xp: Any = np) -> LIFState:
    """Resting LIF state (``v = 0``, not refractory)."""
    return LIFState(xp.zeros(shape, dtype=F32), xp.zeros(shape, dtype=np.int32))


def lif_step(state: LIFState, current: Any, params: LIFParams,
             dt: float = 1.0) -> tuple[Any, LIFState]:
    """One LIF step (see module equations). Returns ``(spikes, new_state)``."""
    xp = np if isinstance(current, np.ndarray) else _xp_of(current)
    u = params.beta * state.v + current
    if params.refractory:
        active = state.ref <= 0
        u = xp.where(active, u, state.v)
        s = ((u >= params.v_th) & active).astype(F32)
    else:
        s = (u >= params.v_th).astype(F32)
    if params.reset == "soft":
        v = u - params.v_th * s
    else:
        v = u * (1.0 - s) + params.v_reset * s
    ref = state.ref
    if params.refractory:
        ref = xp.where(s > 0, params.refractory, xp.maximum(ref - 1, 0)).astype(np.int32)
    return s, LIFState(v.astype(F32, copy=False), ref)


@dataclass(frozen=True)
class AdaptiveLIFParams:
    """LIF with a spike-triggered after-hyperpolarising current (adaptation)."""

    beta: Any = param(0.9, doc="per-step membrane leak")
    v_th: Any = param(1.0, unit="V", doc="firing threshold")
    beta_a: Any = param(0.95, doc="per-step decay of the AHP current, exp(-dt/τ_ahp)")
    b: Any = param(0.2, doc="AHP increment per spike")
    reset: str = param("soft", choices=("soft", "hard"), doc="reset mode")
    v_reset: float = param(0.0, unit="V", doc="hard-reset potential")

    def __post_init__(self) -> None:
        validate(self)
        _check_array_params(self, ("beta", "v_th", "beta_a", "b"),
                            {"beta": (">=", 0.0), "v_th": (">", 0.0), "beta_a": (">=", 0.0),
                             "b": (">=", 0.0)})


class ALIFState(NamedTuple):
    """Adaptive LIF state: membrane ``v``, AHP current ``a``, last spikes ``s``."""

    v: Any
    a: Any
    s: Any


def alif_init(params: AdaptiveLIFParams, shape: tuple[int, ...], xp: Any = np) -> ALIFState:
    """Resting adaptive-LIF state."""
    z = xp.zeros(shape, dtype=F32)
    return ALIFState(z, z.copy(), z.copy())


def alif_step(state: ALIFState, current: Any, params: AdaptiveLIFParams,
              dt: float = 1.0) -> tuple[Any, ALIFState]:
    """One adaptive-LIF step. Returns ``(spikes, new_state)``."""
    a = params.beta_a * state.a + params.b * state.s
    u = params.beta * state.v + current - a
    s = (u >= params.v_th).astype(F32)
    v = u - params.v_th * s if params.reset == "soft" else u * (1 - s) + params.v_reset * s
    return s, ALIFState(v.astype(F32, copy=False), a.astype(F32, copy=False), s)


@dataclass(frozen=True)
class StochasticParams:
    """Stochastic sigmoid neuron ``P(o=1) = σ(I + bias)`` (algorithms.md eq. 3)."""

    bias: Any = param(0.0, doc="added to the input before the sigmoid")
    gain: float = param(1.0, gt=0.0, doc="slope of the sigmoid")


class StochasticState(NamedTuple):
    """State: the random generator the neuron draws from (advanced in place)."""

    rng: np.random.Generator


def stochastic_init(params: StochasticParams, shape: tuple[int, ...], xp: Any = np,
                    rng: np.random.Generator | int | None = 0) -> StochasticState:
    """State holding the generator (seeded; ``rng`` may be a Generator or a seed)."""
    return StochasticState(np.random.default_rng(rng))


def stochastic_step(state: StochasticState, current: Any, params: StochasticParams,
                    dt: float = 1.0) -> tuple[Any, StochasticState]:
    """Draw spikes with probability ``σ(gain·(I + bias))``."""
    p = 1.0 / (1.0 + np.exp(-params.gain * (np.asarray(current, dtype=np.float64) + params.bias)))
    s = (state.rng.random(p.shape) < p).astype(F32)
    return s, state


def stochastic_rate(current: Any, params: StochasticParams, n_iter: int,
                    rng: np.random.Generator | int | None = 0) -> np.ndarray:
    """Mean spike count of the stochastic neuron over ``n_iter`` iterations (float32)."""
    if n_iter < 1:
        raise ParameterError(f"n_iter must be >= 1. Got {n_iter!r} instead.")
    state = stochastic_init(params, np.shape(current), rng=rng)
    acc = np.zeros(np.shape(current), dtype=F32)
    for _ in range(n_iter):
        s, state = stochastic_step(state, current, params)
        acc += s
    return acc / F32(n_iter)


_MODELS: dict[type, tuple[Callable[..., Any], Callable[..., Any]]] = {
    LIFParams: (lif_init, lif_step),
    AdaptiveLIFParams: (alif_init, alif_step),
    StochasticParams: (stochastic_init, stochastic_step),
}


def register_model(params_type: type, init_state: Callable[..., Any],
                   step: Callable[..., Any]) -> None:
    """Register a neuron model (e.g. a calibrated compact circuit model) for its params type."""
    _MODELS[params_type] = (init_state, step)


def model_for(params: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(init_state, step)`` of the model whose params type is ``type(params)``.

    Objects exposing ``init_state`` and ``step`` attributes are accepted too.
    """
    if type(params) in _MODELS:
        return _MODELS[type(params)]
    if hasattr(params, "init_state") and hasattr(params, "step"):
        return params.init_state, params.step
    raise ParameterError(
        f"No neuron model is registered for {type(params).__name__}; known: "
        f"{', '.join(t.__name__ for t in _MODELS)}."
    )


def _xp_of(a: Any) -> Any:
    from .backend import array_namespace

    return array_namespace(a)


def _lif_run_fast(currents: Any, params: LIFParams, out: Any | None,
                  record_v: bool) -> tuple[Any, Any | None]:
    """In-place LIF over T steps (no refractoriness): ``currents`` (T, ...) float32."""
    xp = _xp_of(currents)
    T = currents.shape[0]
    spikes = xp.empty(currents.shape, dtype=F32) if out is None else out
    vrec = xp.empty(currents.shape, dtype=F32) if record_v else None
    v = xp.zeros(currents.shape[1:], dtype=F32)
    mask = xp.empty(currents.shape[1:], dtype=bool)
    beta, th = params.beta, params.v_th
    scalar_beta = np.ndim(beta) == 0
    soft = params.reset == "soft"
    for t in range(T):
        if scalar_beta and beta == 1.0:
            xp.add(v, currents[t], out=v)
        else:
            xp.multiply(v, beta, out=v)
            xp.add(v, currents[t], out=v)
        xp.greater_equal(v, th, out=mask)
        st = spikes[t]
        st[...] = mask
        if soft:
            if np.ndim(th) == 0:
                xp.subtract(v, th, out=v, where=mask)
            else:
                xp.subtract(v, th * st, out=v)
        else:
            xp.copyto(v, F32(params.v_reset), where=mask)
        if vrec is not None:
            vrec[t] = v
    return spikes, vrec


def run(params: Any, currents: Any, dt: float = 1.0, state: Any = None,
        record_v: bool = False) -> tuple[Any, Any | None, Any]:
    """Drive a neuron model with ``currents`` of shape ``(T, ...)``.

    Returns ``(spikes (T, ...), membrane (T, ...) or None, final_state)``. The membrane record
    is the post-reset potential ``v`` where the state has one.
    """
    if (type(params) is LIFParams and not params.refractory and state is None):
        spikes, vrec = _lif_run_fast(currents, params, None, record_v)
        return spikes, vrec, None
    init, step = model_for(params)
    xp = _xp_of(currents)
    if state is None:
        state = init(params, tuple(currents.shape[1:]), xp)
    spikes = xp.empty(currents.shape, dtype=F32)
    vrec = xp.empty(currents.shape, dtype=F32) if record_v else None
    for t in range(currents.shape[0]):
        s, state = step(state, currents[t], params, dt)
        spikes[t] = s
        if vrec is not None and hasattr(state, "v"):
            vrec[t] = state.v
    return spikes, vrec, state
