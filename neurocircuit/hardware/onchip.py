r"""On-chip learning: local STDP rules applied through device programming.

A learning rule from :mod:`neurocircuit.snn.learning` (pair STDP, weight-dependent STDP,
triplet, stochastic binary) computes the weight change it *intends*,
:math:`\Delta w^{rule} = \mathrm{update}(w, \ldots) - w`, from the weights the synapses
*actually hold*; the change is accumulated over ``update_every`` steps and then written into a
synapse technology:

**Ideal** (:class:`IdealSynapses`): :math:`w \leftarrow \mathrm{clip}(w + \Delta w,
0, w_{max})` (the rule's own result).

**Memristive** (:class:`MemristiveSynapses`): weight and conductance are linked linearly,
:math:`w = w_{max}\,(G - G_{min})/(G_{max} - G_{min})`. The peripheral turns the intended
change into a signed number of identical programming pulses counted against the *nominal*
(linear) step :math:`\delta w = w_{max}/N`,

.. math::

    n = \mathrm{round}(\Delta w / \delta w) \quad\text{(nearest, or stochastic:}\;
    P(\lceil r\rceil) = r - \lfloor r\rfloor,\; r = \Delta w/\delta w),\qquad |n| \le n_{max},

and the device moves ``|n|`` steps along its own non-linear, asymmetric, bounded curve with
cycle-to-cycle noise (NeuroSim pulse model,
:func:`neurocircuit.calibrate.synapse_models.memristor_step`):

.. math::

    G_P(k) = G_{min} + B_P(1 - e^{-k/\nu_P}),\qquad G_D(k) = G_{max} - B_D(1 - e^{-k/\nu_D}),
    \qquad B_{P,D} = \frac{G_{max} - G_{min}}{1 - e^{-N/\nu_{P,D}}},

one pulse advancing the state by one ``k`` on the curve of its polarity, plus
:math:`\sigma_{c2c}(G_{max}-G_{min})/N\,\xi` noise; ``G`` stays within ``[G_min, G_max]``. The
realised change therefore differs from the intended one (large steps near the far bound,
small near the near bound; potentiation ≠ depression when ``ν_P ≠ ν_D``).

**Bistable** (:class:`BistableSynapses`, the STDP circuit with the bistable refresh amplifier,
Indiveri, Chicca & Douglas 2006): the weight is the capacitor voltage
:math:`V_w \in [V_{low}, V_{high}]`, :math:`w = w_{max}(V_w - V_{low})/(V_{high} - V_{low})`;
an update injects :math:`\Delta V = \Delta w\,(V_{high} - V_{low})/w_{max}` and between updates
the weight drifts to the nearer stable state,

.. math::

    \frac{dV_w}{dt} = +\frac{I_{bist}}{C_w}\;(V_w > \theta_w),\qquad
    -\frac{I_{bist}}{C_w}\;(V_w < \theta_w),\qquad V_w \in [V_{low}, V_{high}]

(:func:`neurocircuit.calibrate.synapse_models.bistable_drift`), so long-term memory is binary.

:func:`train_supervised` runs a teacher-forced single-layer classifier: inputs are Poisson
spike trains (rate ∝ feature), during training the target class neuron spikes as a Poisson
process at ``teacher_rate`` and the others stay silent, so a weight-dependent rule with
offset (Diehl & Cook eq. 6) grows each class's weights toward the inputs active for that
class. :func:`evaluate` classifies by the spike counts of integrate-and-fire output neurons
(ties: largest membrane drive).
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..calibrate.synapse_models import (
    MemristorUpdateParams,
    STDPWindowParams,
    bistable_drift,
    memristor_step,
)
from ..circuits.synapses.bistable import INDIVERI_2006_BISTABLE, BistableParams
from ..errors import DataError, ParameterError
from ..snn.learning import weight_dependent
from ..units import param, validate

__all__ = ["PulseCount", "IdealSynapses", "MemristiveSynapses", "BistableSynapses",
           "bistable_window", "load_device_params", "pulse_counts", "LearnerConfig",
           "rule_delta", "poisson_spikes", "train_supervised", "evaluate"]


@dataclass(frozen=True)
class PulseCount:
    """Programming pulses issued by one or more updates (0 for technologies without pulses)."""

    potentiation: int = 0
    depression: int = 0

    def __add__(self, other: PulseCount) -> PulseCount:
        return PulseCount(self.potentiation + other.potentiation,
                          self.depression + other.depression)

    @property
    def total(self) -> int:
        return self.potentiation + self.depression


def pulse_counts(dw: np.ndarray, step: float, rng: np.random.Generator | None = None,
                 max_pulses: int | None = None) -> np.ndarray:
    r"""Signed pulse numbers ``n`` for intended changes ``dw`` at nominal step ``δw``.

    ``rng=None``: nearest integer; else stochastic rounding (unbiased, :math:`E[n] =
    \Delta w/\delta w`). Clipped to ``±max_pulses`` when given.
    """
    if step <= 0:
        raise ParameterError(f"The 'step' parameter must be > 0. Got {step!r} instead.")
    r = np.asarray(dw, dtype=float) / step
    if rng is None:
        n = np.rint(r)
    else:
        lo = np.floor(r)
        n = lo + (rng.random(r.shape) < (r - lo))
    if max_pulses is not None:
        n = np.clip(n, -max_pulses, max_pulses)
    return n.astype(np.int64)


@dataclass(frozen=True)
class IdealSynapses:
    """Analog weights in ``[0, w_max]`` that take the rule's change exactly."""

    w_max: float = param(1.0, unit="", doc="upper weight bound", gt=0)

    def __post_init__(self) -> None:
        validate(self)

    def init(self, w: np.ndarray) -> np.ndarray:
        """Device state holding weights ``w``."""
        return np.clip(np.asarray(w, dtype=float), 0.0, self.w_max)

    def weights(self, state: np.ndarray) -> np.ndarray:
        return state

    def apply(self, state: np.ndarray, dw: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, PulseCount]:
        return np.clip(state + dw, 0.0, self.w_max), PulseCount()

    def relax(self, state: np.ndarray, duration: float) -> np.ndarray:
        return state


@dataclass(frozen=True)
class MemristiveSynapses:
    """Weights stored as memristor conductances, updated by identical programming pulses.

    Parameters
    ----------
    device : MemristorUpdateParams
        Pulse-number conductance model (bounds, ``N``, ``ν_P``, ``ν_D``, c2c).
    w_max : float
        Weight of ``G_max`` (``G_min`` is weight 0).
    max_pulses : int
        Most pulses per synapse and update.
    stochastic : bool
        Stochastic (unbiased) rounding of ``Δw/δw``; else nearest.
    """

    device: MemristorUpdateParams = field(default_factory=MemristorUpdateParams)
    w_max: float = param(1.0, unit="", doc="weight at G_max", gt=0)
    max_pulses: int = param(20, unit="", doc="most pulses per synapse and update", ge=1)
    stochastic: bool = True

    def __post_init__(self) -> None:
        validate(self)

    @property
    def step(self) -> float:
        """Nominal weight change of one pulse ``δw = w_max/N``."""
        return self.w_max / self.device.n_pulses

    def _span(self):
        return np.asarray(self.device.g_max) - np.asarray(self.device.g_min)

    def init(self, w: np.ndarray) -> np.ndarray:
        """Conductances (S) representing weights ``w`` (clipped to the range)."""
        w = np.clip(np.asarray(w, dtype=float), 0.0, self.w_max)
        return self.device.g_min + self._span() * w / self.w_max

    def weights(self, g: np.ndarray) -> np.ndarray:
        return self.w_max * (np.asarray(g) - self.device.g_min) / self._span()

    def apply(self, g: np.ndarray, dw: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, PulseCount]:
        """Program ``round(dw/δw)`` pulses per synapse; returns new ``G`` and pulse counts."""
        n = pulse_counts(dw, self.step, rng if self.stochastic else None, self.max_pulses)
        count = PulseCount(int(n[n > 0].sum()), int(-n[n < 0].sum()))
        g = np.asarray(g, dtype=float)
        for k in range(int(np.abs(n).max(initial=0))):
            s = np.sign(n) * (np.abs(n) > k)
            g = memristor_step(self.device, g, s, rng)
        return g, count

    def relax(self, g: np.ndarray, duration: float) -> np.ndarray:
        return g

    def curve(self, n_pulses: int, direction: str = "set", rng=None) -> np.ndarray:
        """Weights after ``0..n_pulses`` pulses from the far bound, applied one at a time."""
        rng = np.random.default_rng(rng)
        g = np.asarray(self.device.g_min if direction == "set" else self.device.g_max, float)
        out = [g]
        s = 1 if direction == "set" else -1
        for _ in range(n_pulses):
            g = memristor_step(self.device, g, np.asarray(s), rng)
            out.append(g)
        return self.weights(np.stack(out))


def bistable_window(params: BistableParams = INDIVERI_2006_BISTABLE,
                    margin: float = 0.1) -> STDPWindowParams:
    """Bounds and drift of the bistable weight circuit as :class:`STDPWindowParams`.

    ``V_low = margin``, ``V_high = V_dd − margin`` (where the output mirrors leave
    saturation), ``θ_w = v_thw``, drift rate ``I_bist/C_w`` (V/s).
    """
    return STDPWindowParams(w_min=margin, w_max=params.vdd - margin, theta_w=params.v_thw,
                            drift=params.i_bist / params.c_w)


@dataclass(frozen=True)
class BistableSynapses:
    """Capacitor weights with the bistable refresh: analog jumps, drift to two states.

    Parameters
    ----------
    window : STDPWindowParams
        ``w_min``/``w_max`` (V_low/V_high, V), ``theta_w`` (V) and ``drift`` (V/s); default
        :func:`bistable_window` of the Indiveri 2006 circuit.
    w_max : float
        Weight of ``V_high`` (``V_low`` is weight 0).
    """

    window: STDPWindowParams = field(default_factory=bistable_window)
    w_max: float = param(1.0, unit="", doc="weight at V_high", gt=0)

    def __post_init__(self) -> None:
        validate(self)

    def _span(self) -> float:
        return self.window.w_max - self.window.w_min

    def init(self, w: np.ndarray) -> np.ndarray:
        w = np.clip(np.asarray(w, dtype=float), 0.0, self.w_max)
        return self.window.w_min + self._span() * w / self.w_max

    def weights(self, v: np.ndarray) -> np.ndarray:
        return self.w_max * (np.asarray(v) - self.window.w_min) / self._span()

    def apply(self, v: np.ndarray, dw: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, PulseCount]:
        v = np.asarray(v, dtype=float) + np.asarray(dw) * self._span() / self.w_max
        return np.clip(v, self.window.w_min, self.window.w_max), PulseCount()

    def relax(self, v: np.ndarray, duration: float) -> np.ndarray:
        """Drift for ``duration`` seconds toward ``V_high`` (above θ_w) or ``V_low``."""
        return bistable_drift(self.window, v, duration)


def load_device_params(path: str | Path, cls: type = MemristorUpdateParams) -> Any:
    """Build ``cls`` (:class:`MemristorUpdateParams` or :class:`STDPWindowParams`) from the
    ``model.params`` of a calibrated JSON file (``{name: {"value": ...}}``).

    Raises :class:`~neurocircuit.errors.DataError` when the file's parameters do not name
    fields of ``cls`` (e.g. a file of another model type).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        params = data["model"]["params"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a calibrated model file ({exc}).") from None
    names = {f.name for f in fields(cls)}
    kw = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items() if k in names}
    unknown = sorted(set(params) - names)
    if not kw or unknown:
        raise DataError(f"{path}: model.params {sorted(params)} do not build a {cls.__name__} "
                        f"(unknown: {unknown}).")
    if "n_pulses" in kw:
        kw["n_pulses"] = int(round(float(kw["n_pulses"])))
    try:
        return cls(**kw)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{path}: {exc}") from None


def rule_delta(rule: Any, params: Any, w: np.ndarray, traces: Any, pre: np.ndarray,
               post: np.ndarray, dt: float, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
    """Intended change of a :mod:`neurocircuit.snn.learning` rule module at weights ``w``.

    Calls ``rule.update(w, traces, pre, post, params, dt[, rng])`` and returns
    ``(update − w, traces)``.
    """
    if "rng" in inspect.signature(rule.update).parameters:
        w_new, traces = rule.update(w, traces, pre, post, params, dt, rng)
    else:
        w_new, traces = rule.update(w, traces, pre, post, params, dt)
    return np.asarray(w_new, dtype=float) - w, traces


def poisson_spikes(x: np.ndarray, T: int, p_max: float, rng: np.random.Generator) -> np.ndarray:
    """``(T, batch, features)`` 0/1 spikes, P(spike per step) = ``p_max·x`` (``x`` in [0, 1])."""
    p = np.clip(np.asarray(x, dtype=float), 0.0, 1.0) * p_max
    return (rng.random((T, *p.shape)) < p).astype(np.float64)


@dataclass(frozen=True)
class LearnerConfig:
    """Teacher-forced single-layer STDP classifier (time in steps of ``dt``)."""

    T: int = param(40, unit="steps", doc="presentation length", gt=0)
    dt: float = param(1e-3, unit="s", doc="time step", gt=0)
    input_rate: float = param(200.0, unit="Hz", doc="input rate at feature value 1", gt=0)
    teacher_rate: float = param(100.0, unit="Hz", doc="target neuron rate in training", gt=0)
    batch: int = param(8, unit="", doc="samples presented in parallel (updates summed)", gt=0)
    update_every: int = param(0, unit="steps",
                              doc="steps between device writes (0: once per presentation)", ge=0)
    epochs: int = param(1, unit="", doc="training epochs", gt=0)
    v_th: float = param(4.0, unit="", doc="output IF threshold (weight units)", gt=0)
    w_init: float = param(0.3, unit="", doc="initial weight (mean)", ge=0)
    w_init_spread: float = param(0.05, unit="", doc="initial weight uniform half-width", ge=0)

    def __post_init__(self) -> None:
        validate(self)


def _default_rule_params(w_max: float) -> weight_dependent.WeightDependentParams:
    return weight_dependent.WeightDependentParams(eta_post=0.01, eta_pre=0.002, x_tar=0.3,
                                                  mu=1.0, w_max=w_max)


def train_supervised(
    x: np.ndarray,
    y: np.ndarray,
    synapses: Any,
    cfg: LearnerConfig = LearnerConfig(),
    rule: Any = weight_dependent,
    rule_params: Any = None,
    n_classes: int | None = None,
    rng: np.random.Generator | int | None = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Teacher-forced on-chip STDP training; returns ``(device_state, info)``.

    Parameters
    ----------
    x : ndarray
        ``(N, features)`` in [0, 1].
    y : ndarray
        Integer labels.
    synapses : IdealSynapses, MemristiveSynapses or BistableSynapses
    cfg : LearnerConfig
    rule, rule_params
        A :mod:`neurocircuit.snn.learning` module and its parameters (default
        :mod:`~neurocircuit.snn.learning.weight_dependent` with offset ``x_tar = 0.3``).
    n_classes : int, optional
        Output neurons (default ``max(y) + 1``).
    rng : Generator or int
        Initial weights, spike trains, rounding and device noise.

    Returns
    -------
    tuple
        Device state ``(n_classes, features)`` and ``{"pulses": PulseCount, "updates": int,
        "intended_abs": float, "realised_abs": float}`` (summed |Δw| intended by the rule and
        realised by the device).
    """
    rng = np.random.default_rng(rng)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y)
    n_cls = int(n_classes or (int(y.max()) + 1))
    n_in = x.shape[1]
    params = rule_params if rule_params is not None else _default_rule_params(synapses.w_max)
    w0 = cfg.w_init + cfg.w_init_spread * rng.uniform(-1.0, 1.0, (n_cls, n_in))
    state = synapses.init(w0)
    p_in = cfg.input_rate * cfg.dt
    p_teach = cfg.teacher_rate * cfg.dt
    every = cfg.update_every or cfg.T
    pulses, n_updates, intended, realised = PulseCount(), 0, 0.0, 0.0
    for _ in range(cfg.epochs):
        order = rng.permutation(len(y))
        for s in range(0, len(y), cfg.batch):
            idx = order[s: s + cfg.batch]
            b = len(idx)
            pre = poisson_spikes(x[idx], cfg.T, p_in, rng)
            target = np.zeros((b, n_cls))
            target[np.arange(b), y[idx]] = 1.0
            traces = rule.init_traces(b, n_in, n_cls)
            acc = np.zeros((n_cls, n_in))
            w = synapses.weights(state)
            for t in range(cfg.T):
                post = target * (rng.random((b, n_cls)) < p_teach)
                dw, traces = rule_delta(rule, params, w, traces, pre[t], post, cfg.dt, rng)
                acc += dw
                if (t + 1) % every == 0 or t == cfg.T - 1:
                    new, pc = synapses.apply(state, acc, rng)
                    span = (t % every) + 1
                    state = synapses.relax(new, span * cfg.dt)
                    w_new = synapses.weights(state)
                    intended += float(np.abs(acc).sum())
                    realised += float(np.abs(w_new - w).sum())
                    pulses = pulses + pc
                    n_updates += 1
                    acc = np.zeros_like(acc)
                    w = w_new
    return state, {"pulses": pulses, "updates": n_updates, "intended_abs": intended,
                   "realised_abs": realised}


def evaluate(weights: np.ndarray, x: np.ndarray, y: np.ndarray,
             cfg: LearnerConfig = LearnerConfig(), rng: np.random.Generator | int | None = 0,
             homeostatic: bool = True) -> float:
    r"""Accuracy of IF output neurons driven by Poisson inputs through ``weights``.

    ``v_c ← v_c + W_c·s_t``; a spike and ``v_c ← v_c − θ_c`` when ``v_c ≥ θ_c``. With
    ``homeostatic`` each neuron's threshold follows its total weight (intrinsic homeostasis),
    :math:`\theta_c = v_{th}\,\sum_j W_{cj} / \langle \sum_j W_{c'j} \rangle_{c'}`, so classes
    with large receptive fields do not win by size; else :math:`\theta_c = v_{th}`.
    Predicted class: most spikes, ties broken by the summed drive
    :math:`\sum_t W_c s_t/\theta_c`.
    """
    rng = np.random.default_rng(rng)
    w = np.asarray(weights, dtype=float)
    x = np.asarray(x, dtype=float)
    if homeostatic:
        tot = w.sum(axis=1)
        theta = cfg.v_th * np.maximum(tot, 1e-12) / max(float(tot.mean()), 1e-12)
    else:
        theta = np.full(w.shape[0], cfg.v_th)
    pre = poisson_spikes(x, cfg.T, cfg.input_rate * cfg.dt, rng)  # (T, N, in)
    drive = np.einsum("tbi,oi->tbo", pre, w)
    v = np.zeros(drive.shape[1:])
    counts = np.zeros(drive.shape[1:])
    for t in range(cfg.T):
        v += drive[t]
        fired = v >= theta
        counts += fired
        v -= theta * fired
    total = drive.sum(axis=0) / theta
    score = counts + 0.5 * total / (total.max(axis=1, keepdims=True) + 1e-12)
    return float(np.mean(score.argmax(axis=1) == np.asarray(y)))
