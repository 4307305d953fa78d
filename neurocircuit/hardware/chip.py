r"""Chips: a trained network instantiated on ``N`` sampled pieces of hardware at once.

A chip is the trained SNN with

- every dense weight layer programmed onto memristive crossbars (:mod:`.mapping`: levels,
  programming and device variation, faults, drift, tiles, ADC) — or kept ideal;
- every spiking layer's neurons given their own parameters, drawn per chip and per neuron by a
  *neuron sampler* (e.g. from a calibrated mismatch distribution of a neuron circuit).

All chips run in one call along the engine's leading instance axis: a dense layer's weights
become ``(N, out, in)``, LIF thresholds and leaks ``(N, 1, n)``, and activity is
``(T, N, batch, features)``. A circuit neuron whose rate gain differs by a factor
:math:`g_i` from nominal and whose rheobase current is :math:`I_{rh,i}` maps onto the
normalised engine neuron as :math:`\theta_i = \theta / g_i` and a constant input offset
:math:`-I_{rh,i}`; the sampler returns such relative factors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..snn.layers import Dense
from ..snn.network import Sequential
from ..snn.spiking import LIF
from .mapping import CrossbarSpec, ProgrammedCrossbar, program, read

__all__ = ["CrossbarDense", "NeuronVariation", "make_chips", "chip_accuracy"]

NeuronSampler = Callable[[tuple[int, ...], np.random.Generator], dict[str, np.ndarray]]


@dataclass(frozen=True)
class NeuronVariation:
    """Relative neuron mismatch: lognormal gain (→ θ/g) and leak (β) spreads."""

    gain_sigma: float = 0.0
    beta_sigma: float = 0.0
    offset_sigma: float = 0.0  # additive input offset, in units of θ per step

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:
        out = {"gain": np.exp(self.gain_sigma * rng.standard_normal(shape))}
        if self.beta_sigma:
            out["beta_scale"] = np.exp(self.beta_sigma * rng.standard_normal(shape))
        if self.offset_sigma:
            out["offset"] = self.offset_sigma * rng.standard_normal(shape)
        return out


class CrossbarDense:
    """A dense layer read through :class:`ProgrammedCrossbar` arrays (one per chip)."""

    kind = "dense"

    def __init__(self, xbar: ProgrammedCrossbar, bias: np.ndarray | None = None,
                 rng: np.random.Generator | None = None) -> None:
        self.xbar, self.rng = xbar, rng
        self.n_out, self.n_in = xbar.shape
        self.params: dict[str, Any] = {}
        self.bias = None if bias is None else np.asarray(bias, dtype=np.float64)
        spec = xbar.spec
        self._ideal = not (spec.adc_bits or spec.read_noise or spec.dac_bits or spec.r_wire
                           or spec.r_driver or spec.r_sense)
        self._w = xbar.effective_weights().astype(np.float32)  # (N, out, in)

    def out_shape(self, in_shape):
        return (self.n_out,)

    def fanout(self, in_shape):
        return np.full(in_shape, self.n_out, dtype=np.float64)

    def macs(self, in_shape):
        return self.n_in * self.n_out

    def forward(self, x, train: bool = False):
        if train:
            raise ParameterError("CrossbarDense is inference-only.")
        n = self.xbar.n_chips
        lead = x.shape[:-1]
        if x.ndim >= 3 and x.shape[-3] == n:  # (..., N, B, in)
            xn = np.moveaxis(x, -3, 0).reshape(n, -1, self.n_in)
        else:
            xn = np.broadcast_to(x.reshape(1, -1, self.n_in), (n, x[..., 0].size, self.n_in))
            lead = (*x.shape[:-2], n, x.shape[-2]) if x.ndim >= 2 else (n,)
        if self._ideal:
            y = np.matmul(xn, self._w.swapaxes(1, 2))
        else:
            y = read(self.xbar, xn, rng=self.rng).astype(np.float32)
        if self.bias is not None:
            y = y + self.bias.astype(np.float32)
        y = y.reshape(n, *[d for i, d in enumerate(lead) if i != len(lead) - 2], self.n_out)
        return np.moveaxis(y, 0, -3), None


def make_chips(
    snn: Sequential,
    n_chips: int,
    rng: np.random.Generator,
    spec: CrossbarSpec | None = None,
    neuron_sampler: NeuronSampler | None = None,
    calib_x: np.ndarray | None = None,
    calib_T: int | None = None,
) -> Sequential:
    """A new network carrying ``n_chips`` sampled hardware instances of ``snn``.

    Dense layers are programmed onto crossbars with ``spec`` (ideal weights when ``None``); LIF
    nodes get per-chip, per-neuron thresholds/leaks from ``neuron_sampler``. With ADCs the full
    scales are calibrated on ``calib_x`` (static inputs with ``calib_T``) through the nominal
    network's own layer inputs.
    """
    if n_chips < 1:
        raise ParameterError(f"n_chips must be >= 1. Got {n_chips!r} instead.")
    layer_inputs = {}
    if spec is not None and spec.adc_bits and calib_x is not None:
        layer_inputs = _dense_inputs(snn, calib_x, calib_T)
    nodes: list[Any] = []
    for i, node in enumerate(snn.nodes):
        if isinstance(node, Dense) and spec is not None:
            w = node.params["W"]
            if w.ndim != 2:
                raise ParameterError("make_chips expects a nominal network (2-D weights).")
            xbar = program(w, spec, rng, n_chips=n_chips)
            if i in layer_inputs:
                read(xbar, layer_inputs[i], calibrate=True, rng=rng)
            nodes.append(CrossbarDense(xbar, node.params.get("b"), rng=rng))
        elif isinstance(node, Dense):
            w = np.broadcast_to(node.params["W"], (n_chips, *node.params["W"].shape)).copy()
            d = Dense(node.n_in, node.n_out, weight=w, bias=node.has_bias, dtype=w.dtype)
            if node.has_bias:
                d.params["b"] = np.broadcast_to(node.params["b"], (n_chips, node.n_out)).copy()
            nodes.append(d)
        elif isinstance(node, LIF) and neuron_sampler is not None:
            n_out = snn.shapes[i][-1] if len(snn.shapes[i]) == 1 else None
            if n_out is None:
                raise ParameterError("Per-neuron variation is supported for dense layers only.")
            draw = neuron_sampler((n_chips, 1, n_out), rng)
            # a silent neuron (gain 0, e.g. a sampled circuit below rheobase) gets a threshold
            # it never reaches in practice instead of an infinite one
            v_th = node.value("v_th") / np.maximum(draw["gain"], 1e-3)
            beta = node.value("beta") * draw.get("beta_scale", 1.0)
            beta = np.clip(beta, 0.0, 1.0)
            nodes.append(LIF(beta, v_th.astype(np.float32), reset=node.reset,
                             v_reset=node.v_reset, surrogate=node.surrogate))
        else:
            nodes.append(node)
    return Sequential(nodes, snn.in_shape)


def _dense_inputs(snn: Sequential, x: np.ndarray, T: int | None) -> dict[int, np.ndarray]:
    """Inputs (flattened over time and batch) of every dense layer of the nominal network."""
    res = snn.forward(x, T=T, record=("spikes",))
    out = {}
    prev_spikes = None
    for i, node in enumerate(snn.nodes):
        if isinstance(node, Dense):
            if prev_spikes is None:
                xi = np.asarray(x, dtype=np.float32)
            else:
                xi = prev_spikes
            out[i] = xi.reshape(-1, node.n_in)
        if i in res.spikes:
            prev_spikes = res.spikes[i]
    return out


def chip_accuracy(chips: Sequential, x: np.ndarray, y: np.ndarray, T: int,
                  batch_size: int = 200) -> np.ndarray:
    """Accuracy of every chip: ``(n_chips,)``; ``x`` static inputs (direct coding over T)."""
    correct = None
    for s in range(0, len(x), batch_size):
        out = chips.forward(x[s : s + batch_size], T=T).output  # (T, N, B, C)
        pred = np.asarray(out).sum(axis=0).argmax(axis=-1)  # (N, B)
        c = (pred == y[s : s + batch_size][None, :]).sum(axis=1)
        correct = c if correct is None else correct + c
    return correct / len(x)


@dataclass(frozen=True)
class CalibratedVariation:
    """Neuron mismatch drawn from a calibrated circuit's fitted parameter distribution.

    Each draw samples compact-model parameters (correlations kept), evaluates the model's rate
    at the reference current ``i_ref`` and returns the gain ``g = f_i(I_ref)/f_nominal(I_ref)``
    for the engine neuron (:math:`\\theta_i = \\theta/g_i`). ``scale`` multiplies the
    distribution's spread (for accuracy-vs-σ studies).
    """

    path: str
    scale: float = 1.0

    def _load(self):
        from ..calibrate.calibrated import load, model_params
        from ..calibrate.fit import fi_predictor

        cal = load(self.path)
        if cal.distribution is None:
            raise ParameterError(f"{self.path} holds no mismatch distribution.")
        base = model_params(cal)
        i_ref = cal.energy.get("i_ref_a") or cal.validation.get("i_ref_a")
        if not i_ref:
            raise ParameterError(f"{self.path} gives no reference current (energy.i_ref_a).")
        return cal, base, fi_predictor(type(base)), float(i_ref)

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:
        from dataclasses import replace as dc_replace

        from ..calibrate.mismatch import sample

        cal, base, rate, i_ref = self._load()
        dist = cal.distribution
        if self.scale != 1.0:
            dist = dc_replace(dist, sigma=np.asarray(dist.sigma) * self.scale)
        n = int(np.prod(shape))
        s = sample(dist, n, rng)
        inst = dc_replace(base, **{nm: s[:, j] for j, nm in enumerate(dist.names)})
        f_nom = float(np.asarray(rate(base, np.array([i_ref]))).reshape(-1)[0])
        f = np.asarray(rate(inst, np.full(n, i_ref)), dtype=np.float64).reshape(-1)
        return {"gain": (f / f_nom).reshape(shape)}

    def energy(self) -> dict:
        """The file's energy figures (per spike, static power)."""
        return dict(self._load()[0].energy)
