r"""Fixed-point chip neurons: the digital accumulate-and-fire neuron and membrane quantisation.

**Digital neuron** (:class:`FixedPointParams`, an engine neuron model of the protocol in
:mod:`neurocircuit.snn.neurons`, usable as a layer neuron through
:class:`~neurocircuit.snn.spiking.Neuron`). Per step ``t`` with the integer synaptic sum
``I[t] = Σ_i w_i s_i[t]`` (the layer's input current, rounded to the nearest integer LSB)::

    U      = ovf(V[t] + I[t] − λ)
    spike  = (U ≥ θ) and not refractory
    V[t+1] = V_reset          if spike and mode = "reset"
           = ovf(U − θ)       if spike and mode = "subtract"
           = V[t]             while refractory (R steps after a spike: input and leak ignored)
           = U                otherwise

``ovf`` is the N-bit register: ``overflow="wrap"`` reads the sum modulo :math:`2^N` as two's
complement (:math:`[-2^{N-1}, 2^{N-1}-1]`) or unsigned (:math:`[0, 2^N-1]`); ``"saturate"``
clips to that range. With ``signed=True, overflow="wrap"`` this is bit-exact with the XSPICE
circuit :func:`neurocircuit.circuits.neurons.digital_if.digital_if` (whose weights are the
``w_i`` of the preceding dense layer; :meth:`FixedPointParams.from_circuit`). ``theta`` and
``leak`` may be integer arrays broadcasting over the state, e.g. ``(N, 1, n)`` per chip.

**Membrane quantisation** (:class:`MembraneQuant`, :class:`QuantizedLIF`): an analog LIF
whose stored membrane is an ``bits``-bit value over ``[v_min, v_max]``. Every step computes
``u = β v + I`` and the spike ``s = H(u − θ)`` as the engine LIF does, resets, then stores
``v ← Q(v)``, :math:`Q(v) = v_{min} + Δ\,\mathrm{rnd}((\mathrm{clip}(v) - v_{min})/Δ)`,
:math:`Δ = (v_{max} - v_{min})/(2^{bits} - 1)`, ``rnd`` = round half to even (``"nearest"``)
or floor (``"floor"``, truncation). Values on the grid pass unchanged, so on integer data
with :math:`Δ = 1` the quantised neuron equals the float one exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..errors import ParameterError
from ..snn.spiking import LIF
from ..units import param, validate

__all__ = ["FixedPointParams", "FixedPointState", "fixedpoint_init", "fixedpoint_step",
           "wrap", "MembraneQuant", "QuantizedLIF"]

F32 = np.float32


def _range(n_bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (n_bits - 1)), (1 << (n_bits - 1)) - 1) if signed else (0, (1 << n_bits) - 1)


def wrap(x: Any, n_bits: int, signed: bool = True) -> np.ndarray:
    """``x`` modulo :math:`2^N` read as two's complement (``signed``) or unsigned (int64)."""
    x = np.asarray(x, dtype=np.int64)
    m = np.int64(1) << n_bits
    if signed:
        h = np.int64(1) << (n_bits - 1)
        return (x + h) % m - h
    return x % m


class FixedPointState(NamedTuple):
    """Digital neuron state: register ``v`` (int64) and remaining refractory steps ``ref``."""

    v: Any
    ref: Any


def fixedpoint_init(params: FixedPointParams, shape: tuple[int, ...],
                    xp: Any = np) -> FixedPointState:
    """State after ``rst``: ``V = V_reset`` everywhere, not refractory."""
    v = np.full(shape, params.v_reset, dtype=np.int64)
    return FixedPointState(v, np.zeros(shape, dtype=np.int32))


def fixedpoint_step(state: FixedPointState, current: Any, params: FixedPointParams,
                    dt: float = 1.0) -> tuple[np.ndarray, FixedPointState]:
    """One clock tick of the digital neuron (module rule). Returns ``(spikes, state)``."""
    p = params
    i = np.rint(np.asarray(current, dtype=np.float64)).astype(np.int64)
    u = p.register(state.v + i - np.asarray(p.leak, dtype=np.int64))
    active = state.ref <= 0
    theta = np.asarray(p.theta, dtype=np.int64)
    spike = active & (u >= theta)
    if p.mode == "reset":
        after = np.int64(p.v_reset)
    else:
        after = p.register(u - theta)
    v = np.where(spike, after, np.where(active, u, state.v))
    ref = np.where(active, np.where(spike, p.refractory, 0), state.ref - 1).astype(np.int32)
    return spike.astype(F32), FixedPointState(v, ref)


@dataclass(frozen=True)
class FixedPointParams:
    """N-bit accumulate-and-fire digital neuron (integers in LSB of the register)."""

    n_bits: int = param(8, unit="bit", doc="register width N (≤ 24: membrane records are "
                        "float32)", ge=2, le=24)
    theta: Any = param(20, unit="LSB", doc="threshold θ (int or int array)", ge=1)
    leak: Any = param(0, unit="LSB", doc="leak λ subtracted every step (int or int array)",
                      ge=0)
    v_reset: int = param(0, unit="LSB", doc="reset value V_reset")
    mode: str = param("reset", doc="after a spike: load V_reset or subtract θ",
                      choices=("reset", "subtract"))
    refractory: int = param(0, unit="step", doc="refractory steps R after a spike", ge=0)
    overflow: str = param("wrap", doc="register overflow: modulo 2^N or clip",
                          choices=("wrap", "saturate"))
    signed: bool = param(True, doc="two's complement (True) or unsigned register")

    init_state = staticmethod(fixedpoint_init)
    step = staticmethod(fixedpoint_step)

    def __post_init__(self) -> None:
        validate(self)
        lo, hi = _range(self.n_bits, self.signed)
        for name in ("theta", "leak"):
            val = np.asarray(getattr(self, name))
            if not np.all(val == np.round(val)):
                raise ParameterError(f"The '{name}' parameter of FixedPointParams must be an "
                                     f"integer number of LSB. Got {val!r} instead.")
            if np.any(val > hi):
                raise ParameterError(f"The '{name}' parameter of FixedPointParams must be <= "
                                     f"{hi} LSB for n_bits={self.n_bits}. Got {val.max()!r} "
                                     "instead.")
        if not lo <= self.v_reset <= hi:
            raise ParameterError(f"The 'v_reset' parameter of FixedPointParams must be within "
                                 f"[{lo}, {hi}] LSB for n_bits={self.n_bits}, "
                                 f"signed={self.signed}. Got {self.v_reset!r} instead.")

    @property
    def v_range(self) -> tuple[int, int]:
        """Representable register values ``(lo, hi)``."""
        return _range(self.n_bits, self.signed)

    def register(self, x: Any) -> np.ndarray:
        """``ovf(x)``: the value the N-bit register holds for the exact sum ``x``."""
        if self.overflow == "wrap":
            return wrap(x, self.n_bits, self.signed)
        lo, hi = self.v_range
        return np.clip(np.asarray(x, dtype=np.int64), lo, hi)

    @classmethod
    def from_circuit(cls, p: Any) -> FixedPointParams:
        """The engine neuron of a :class:`~neurocircuit.circuits.neurons.digital_if.
        DigitalIFParams` (its weights ``w0, w1`` belong to the preceding dense layer)."""
        return cls(n_bits=p.n_bits, theta=p.theta, leak=p.leak, v_reset=p.v_reset, mode=p.mode,
                   refractory=p.refractory, overflow="wrap", signed=True)


@dataclass(frozen=True)
class MembraneQuant:
    """Stored membrane of ``bits`` bits over ``[v_min, v_max]`` (engine units: θ nominal = 1
    for converted networks)."""

    bits: int = param(8, unit="bit", doc="membrane resolution", ge=1, le=24)
    v_min: float = param(-1.0, unit="V", doc="lowest representable membrane")
    v_max: float = param(1.0, unit="V", doc="highest representable membrane")
    rounding: str = param("nearest", doc="round half to even or truncate toward -inf",
                          choices=("nearest", "floor"))

    def __post_init__(self) -> None:
        validate(self)
        if not self.v_max > self.v_min:
            raise ParameterError(f"The 'v_max' parameter of MembraneQuant must be > v_min "
                                 f"({self.v_min:g} V). Got {self.v_max!r} instead.")

    @property
    def step(self) -> float:
        """Δ = (v_max − v_min)/(2^bits − 1)."""
        return (self.v_max - self.v_min) / ((1 << self.bits) - 1)

    def __call__(self, v: Any) -> np.ndarray:
        """``Q(v)`` (float32)."""
        d = self.step
        k = (np.clip(np.asarray(v, dtype=np.float64), self.v_min, self.v_max) - self.v_min) / d
        k = np.rint(k) if self.rounding == "nearest" else np.floor(k)
        return (self.v_min + k * d).astype(F32)


class QuantizedLIF(LIF):
    """Inference-only LIF node whose stored membrane is quantised by ``quant`` every step."""

    def __init__(self, beta: Any = 0.9, v_th: Any = 1.0, *, quant: MembraneQuant,
                 reset: str = "soft", v_reset: float = 0.0, surrogate: str = "fast_sigmoid"):
        super().__init__(beta, v_th, reset=reset, v_reset=v_reset, surrogate=surrogate)
        self.quant = quant

    def forward(self, x: Any, train: bool = False, record_v: bool = False) -> tuple[Any, Any]:
        if train:
            raise ParameterError("QuantizedLIF is inference-only; train with LIF nodes.")
        beta, th = self.value("beta"), self.value("v_th")
        shape = np.broadcast_shapes(x.shape[1:], np.shape(th), np.shape(beta))
        S = np.empty((x.shape[0], *shape), dtype=F32)
        vrec = np.empty_like(S) if record_v else None
        v = np.zeros(shape, dtype=F32)
        for t in range(x.shape[0]):
            u = (beta * v + x[t]).astype(F32, copy=False)
            s = (u >= th).astype(F32)
            v = u - th * s if self.reset == "soft" else u * (1 - s) + self.v_reset * s
            v = self.quant(v)
            S[t] = s
            if vrec is not None:
                vrec[t] = v
        return S, vrec
