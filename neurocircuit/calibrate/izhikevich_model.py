r"""**Izhikevich** (:class:`IzhikevichParams`; quadratic-if circuit), in model units
(mV, ms scaled by ``t_scale`` seconds, current scaled by ``i_scale`` amperes)::

    dv/dt = 0.04 v² + 5 v + 140 − w(u) + I/i_scale,     du/dt = a (b v − r(u)),
    v ≥ v_peak:  v ← c,  u ← u + d

with the recovery current ``w = u`` (standard) or, for finite ``u_exp = u_e``,
``w = u_e (e^{u/u_e} − 1)`` (the quadratic-if circuit's recovery transistor is subthreshold:
its current grows by a factor ``e^{d/u_e}`` per spike, so adaptation sets in after several
spikes instead of from the first), and the decay term ``r = u`` (standard) or, for finite
``u_decay = u_a``, ``r = u_a (e^{u/u_a} − 1)``. In the circuit ``u`` is discharged by a
diode-connected subthreshold nFET on the same gate ``u`` as the recovery transistor, so its
decay current is exponential in ``u`` too (``u_a = u_e``): the adapted plateau, where the
decay over an interval balances the jump ``d``, then has ``w ∝`` rate (linear adaptation)
instead of ``w ∝ e^{rate}``. Both defaults (``inf``) give the standard model.

The engine protocol is that of :mod:`.neuron_models` (``init``, ``step``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..units import param, validate
from ._model_util import INF, _arr, _check_positive

__all__ = ["IzhikevichParams", "IzhikevichState", "izhikevich_init", "izhikevich_step",
           "izhikevich_recovery"]


@dataclass(frozen=True)
class IzhikevichParams:
    """Izhikevich model in model units, mapped to SI by ``t_scale`` and ``i_scale``."""

    a: Any = param(0.02, doc="recovery rate (1/model ms)")
    b: Any = param(0.2, doc="recovery coupling")
    c: Any = param(-65.0, doc="reset potential (model mV)")
    d: Any = param(8.0, doc="recovery jump per spike")
    v_peak: Any = param(30.0, doc="spike cut-off (model mV)")
    t_scale: Any = param(1e-3, unit="s", doc="seconds per model millisecond")
    i_scale: Any = param(1e-9, unit="A", doc="amperes per model current unit")
    u_exp: Any = param(INF, doc="recovery-current scale u_e: w = u_e (e^{u/u_e} − 1) "
                                "(inf: the standard w = u)")
    u_decay: Any = param(INF, doc="decay-term scale u_a: du/dt = a (b v − u_a (e^{u/u_a} − 1)) "
                                  "(inf: the standard a (b v − u))")

    def __post_init__(self) -> None:
        validate(self)
        _check_positive(self, ("a", "t_scale", "i_scale", "u_exp", "u_decay"),
                        allow_inf=("u_exp", "u_decay"))


def izhikevich_recovery(u: Any, u_exp: Any) -> np.ndarray:
    """Recovery current ``w(u) = u_e (e^{u/u_e} − 1)`` (``u`` for ``u_e = ∞``; the exponent is
    capped at 50): a subthreshold transistor on the recovery node, whose current grows
    e-fold per ``u_e`` (multiplicatively per spike jump ``d``)."""
    u, ue = _arr(u), _arr(u_exp)
    fin = np.isfinite(ue)
    ue1 = np.where(fin, ue, 1.0)
    return np.where(fin, ue1 * np.expm1(np.minimum(u / ue1, 50.0)), u)


class IzhikevichState(NamedTuple):
    """Membrane ``v`` and recovery ``u`` (model units)."""

    v: Any
    u: Any


def _decay_inverse(r: Any, u_decay: Any) -> np.ndarray:
    """``u`` with ``r(u) = r`` (``u_a ln(1 + r/u_a)``; ``r`` itself for ``u_a = ∞``), the
    argument of the logarithm floored at ``e^{-50}`` (``r ≤ −u_a`` has no solution)."""
    r, ua = _arr(r), _arr(u_decay)
    fin = np.isfinite(ua)
    ua1 = np.where(fin, ua, 1.0)
    return np.where(fin, ua1 * np.log(np.maximum(1.0 + r / ua1, np.exp(-50.0))), r)


def izhikevich_init(params: IzhikevichParams, shape: tuple[int, ...],
                    xp: Any = np) -> IzhikevichState:
    """Rest at ``v = c`` and ``u`` on its nullcline ``r(u) = b·c`` (``u = b·c`` for the
    standard decay)."""
    v = xp.ones(shape) * _arr(params.c)
    return IzhikevichState(v, _decay_inverse(v * _arr(params.b), params.u_decay))


def izhikevich_step(state: IzhikevichState, current: Any, params: IzhikevichParams,
                    dt: float = 1e-5) -> tuple[Any, IzhikevichState]:
    """One explicit-Euler step of ``dt`` seconds (``dt/t_scale`` model ms)."""
    p = params
    h = dt / _arr(p.t_scale)
    i = _arr(current) / _arr(p.i_scale)
    w = state.u if np.all(np.isinf(_arr(p.u_exp))) else izhikevich_recovery(state.u, p.u_exp)
    r = state.u if np.all(np.isinf(_arr(p.u_decay))) else izhikevich_recovery(state.u,
                                                                              p.u_decay)
    v = state.v + h * (0.04 * state.v ** 2 + 5.0 * state.v + 140.0 - w + i)
    u = state.u + h * _arr(p.a) * (_arr(p.b) * state.v - r)
    spike = v >= _arr(p.v_peak)
    v = np.where(spike, _arr(p.c), np.minimum(v, _arr(p.v_peak)))
    u = np.where(spike, u + _arr(p.d), u)
    return spike.astype(np.float32), IzhikevichState(v, u)
