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
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..snn.layers import Dense
from ..snn.network import Sequential
from ..snn.spiking import LIF
from .fixedpoint import MembraneQuant, QuantizedLIF
from .mapping import CrossbarSpec, ProgrammedCrossbar, program, read

__all__ = ["CrossbarDense", "NeuronVariation", "CalibratedVariation", "make_chips",
           "chip_accuracy", "summed_output"]

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
        # (N, in, out): rows of one input contiguous, so dropping silent inputs is a row gather
        self._wt = np.ascontiguousarray(
            xbar.effective_weights().astype(np.float32).swapaxes(1, 2))

    @property
    def _w(self) -> np.ndarray:
        """Ideal effective weights ``(N, out, in)`` (a view)."""
        return self._wt.swapaxes(1, 2)

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
        if x.ndim == 2 and self._ideal:  # one input batch shared by all chips: (N, B, out)
            y = shared_input_matmul(np.asarray(x, np.float32), self._wt)
            if self.bias is not None:
                y += self.bias.astype(np.float32)
            return y, None
        if x.ndim >= 3 and x.shape[-3] == n:  # (..., N, B, in)
            xn = np.moveaxis(x, -3, 0).reshape(n, -1, self.n_in)
        else:
            xn = np.broadcast_to(x.reshape(1, -1, self.n_in), (n, x[..., 0].size, self.n_in))
            lead = (*x.shape[:-2], n, x.shape[-2]) if x.ndim >= 2 else (n,)
        if self._ideal:
            y = np.matmul(xn, self._wt)
        else:
            y = read(self.xbar, xn, rng=self.rng).astype(np.float32)
        if self.bias is not None:
            y += self.bias.astype(np.float32)
        y = y.reshape(n, *[d for i, d in enumerate(lead) if i != len(lead) - 2], self.n_out)
        return np.moveaxis(y, 0, -3), None


def shared_input_matmul(x: np.ndarray, wt: np.ndarray, max_active: float = 0.85
                        ) -> np.ndarray:
    """``x @ wt[k]`` for every chip ``k``: ``(N, B, out)`` from ``x`` ``(B, in)`` and ``wt``
    ``(N, in, out)``.

    Inputs that are zero across the whole batch (an MNIST batch leaves 25–40 % of the pixels
    dark) contribute nothing, so when at most ``max_active`` of the inputs are active only
    their rows of ``wt`` enter the products: the same sums minus exact zeros (float32
    summation order may differ).
    """
    active = np.flatnonzero(np.any(x != 0, axis=0))
    if active.size > max_active * x.shape[1]:
        return np.matmul(x, wt)
    return np.matmul(x[:, active], np.take(wt, active, axis=1))


def make_chips(
    snn: Sequential,
    n_chips: int,
    rng: np.random.Generator,
    spec: CrossbarSpec | None = None,
    neuron_sampler: NeuronSampler | None = None,
    calib_x: np.ndarray | None = None,
    calib_T: int | None = None,
    membrane: MembraneQuant | None = None,
) -> Sequential:
    """A new network carrying ``n_chips`` sampled hardware instances of ``snn``.

    Dense layers are programmed onto crossbars with ``spec`` (ideal weights when ``None``); LIF
    nodes get per-chip, per-neuron thresholds/leaks from ``neuron_sampler``. With ADCs the full
    scales are calibrated on ``calib_x`` (static inputs with ``calib_T``) through the nominal
    network's own layer inputs. ``membrane`` quantises every LIF's stored membrane
    (:class:`~.fixedpoint.QuantizedLIF`).
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
        elif isinstance(node, LIF) and (neuron_sampler is not None or membrane is not None):
            v_th, beta = node.value("v_th"), node.value("beta")
            if neuron_sampler is not None:
                n_out = snn.shapes[i][-1] if len(snn.shapes[i]) == 1 else None
                if n_out is None:
                    raise ParameterError(
                        "Per-neuron variation is supported for dense layers only.")
                draw = neuron_sampler((n_chips, 1, n_out), rng)
                # a silent neuron (gain 0, e.g. a sampled circuit below rheobase) gets a
                # threshold it never reaches in practice instead of an infinite one
                v_th = (v_th / np.maximum(draw["gain"], 1e-3)).astype(np.float32)
                beta = np.clip(beta * draw.get("beta_scale", 1.0), 0.0, 1.0)
            if membrane is not None:
                nodes.append(QuantizedLIF(beta, v_th, quant=membrane, reset=node.reset,
                                          v_reset=node.v_reset, surrogate=node.surrogate))
            else:
                nodes.append(LIF(beta, v_th, reset=node.reset, v_reset=node.v_reset,
                                 surrogate=node.surrogate, v_init=node.v_init,
                                 signed=node.signed))
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
    """Accuracy of every chip: ``(n_chips,)``; ``x`` static inputs (direct coding over T).

    The prediction is the arg-max of the output summed over time (:func:`summed_output`,
    which takes the exact fast path when the network allows it).
    """
    plan = _fast_plan(chips)
    correct = None
    if plan is None:
        for s in range(0, len(x), batch_size):
            out = np.asarray(chips.forward(x[s : s + batch_size], T=T).output).sum(axis=0)
            c = (out.argmax(axis=-1) == y[s : s + batch_size][None, :]).sum(axis=1)  # (N,)
            correct = c if correct is None else correct + c
        return correct / len(x)
    # fast path: the stateless prefix (the per-chip input products, most of the work) runs on
    # large blocks (better GEMMs, fewer active inputs to skip); the rest on cache-sized batches
    w = plan[2]
    per_image = (w.shape[0] if w.ndim == 3 else 1) * w.shape[-1] * 4
    block = max(batch_size, min(_PREFIX_IMAGES, _PREFIX_BYTES // per_image))
    for s in range(0, len(x), block):
        cur = _fast_prefix(plan, x[s : s + block])
        for s2 in range(0, cur.shape[-2], batch_size):
            out = _fast_from_current(plan, cur[..., s2 : s2 + batch_size, :], int(T))
            yb = y[s + s2 : s + s2 + batch_size]
            c = (out.argmax(axis=-1) == yb[None, :]).sum(axis=1)  # (N,)
            correct = c if correct is None else correct + c
    return correct / len(x)


_PREFIX_IMAGES = 1000
_PREFIX_BYTES = 1 << 29
"""Images per prefix block, and the memory cap of its output (bytes)."""


def summed_output(chips: Sequential, x: np.ndarray, T: int) -> np.ndarray:
    r"""``Σ_t`` of ``chips.forward(x, T).output``: ``(N, B, C)`` for static inputs ``x``.

    Networks of the converted form *stateless prefix → LIF → dense → Readout* (dense layers
    ideal: :class:`~neurocircuit.snn.layers.Dense` or an ideal :class:`CrossbarDense`) take
    an exact fast path; any other network runs the engine. The fast path keeps only per-step
    state and skips the work the result does not depend on:

    - the prefix runs once (direct coding: the LIF current :math:`I` is constant in time);
    - a neuron with :math:`I \le 0` never fires (:math:`v \le 0 < \theta` for
      :math:`0 \le \beta \le 1`); one with :math:`I \ge \theta` fires at every step (soft
      reset, or hard reset to :math:`v_r \ge 0`: :math:`u \ge I \ge \theta` holds in
      floating point too, rounding being monotone). Only the others are stepped, packed
      into one vector in cache-sized chunks, with the engine's own float32 operations
      (:math:`u = \beta v + I`, :math:`s = [u \ge \theta]`, reset), so their spikes are
      bit-identical to the engine's;
    - IF neurons (β = 1, soft reset; the converted default) with a sum readout (β_r = 0)
      need no steps at all: :func:`_if_counts` gives :math:`\lfloor T I/\theta \rfloor`,
      provably equal to the engine's float32 count except within :math:`2^{-20}` of a
      fraction :math:`p/q`, :math:`q \le T`, where those few neurons are stepped;
    - the readout is linear: with :math:`u_t = \beta_r u_{t-1} + W s_t + b`,
      :math:`\sum_t u_t = W \sum_t c_t s_t + b \sum_t c_t`,
      :math:`c_t = \sum_{j=0}^{T-1-t} \beta_r^j` (one matmul on weighted spike counts
      instead of ``T``). Outputs equal the engine's up to float32 summation order.
    """
    plan = _fast_plan(chips)
    if plan is None:
        return np.asarray(chips.forward(x, T=T).output).sum(axis=0)
    return _fast_summed_output(plan, x, int(T))


_CHUNK = 1 << 15  # active neurons stepped together (a few hundred kB of state: L2-sized)


def _fast_plan(chips: Sequential):
    from ..snn.spiking import Readout

    nodes = chips.nodes
    k = next((i for i, n in enumerate(nodes) if n.kind in ("lif", "readout", "recurrent",
                                                            "neuron")), None)
    if k is None or len(nodes) != k + 3 or type(nodes[k]) is not LIF:
        return None
    lif, dense, readout = nodes[k:]
    if type(readout) is not Readout or "beta" in lif.params or lif.signed or lif.v_init:
        return None
    if isinstance(dense, CrossbarDense):
        if not dense._ideal:
            return None
        w, b = dense._w, dense.bias
    elif type(dense) is Dense:
        w, b = dense.params["W"], dense.params.get("b")
    else:
        return None
    return nodes[:k], lif, w, b, readout._beta()


def _fast_summed_output(plan, x: np.ndarray, T: int) -> np.ndarray:
    return _fast_from_current(plan, _fast_prefix(plan, x), T)


def _fast_prefix(plan, x: np.ndarray) -> np.ndarray:
    """The LIF layer's (constant) input current: the stateless prefix applied once."""
    cur = np.asarray(x, dtype=np.float32)
    for node in plan[0]:
        cur, _ = node.forward(cur)
    return cur


def _fast_from_current(plan, cur: np.ndarray, T: int) -> np.ndarray:
    _, lif, w, b, beta_r = plan
    f32 = np.float32
    beta, th = lif.value("beta"), lif.value("v_th")
    shape = np.broadcast_shapes(cur.shape, np.shape(th), np.shape(beta))
    i_b = np.broadcast_to(cur, shape)
    th_b = np.broadcast_to(np.asarray(th, dtype=f32), shape)
    # readout weights c_t = Σ_{j<T-t} β_r^j, in float32 as the engine accumulates
    c = np.cumsum(float(beta_r) ** np.arange(T))[::-1].astype(f32)
    ones = bool(np.all(c == 1.0))
    soft = lif.reset == "soft"
    scalar_beta = np.ndim(beta) == 0
    if ones and soft and scalar_beta and beta == 1.0 and T <= _CLOSED_MAX_T:
        counts = np.empty(shape, dtype=f32)
        todo = np.empty(shape, dtype=bool)
        # chip groups small enough for the element-wise passes to stay in cache
        lead = shape[0] if len(shape) == 3 else 1
        g = max(1, _CHUNK * 4 // max(1, int(np.prod(shape[1:]))))
        for a in range(0, lead, g):
            sl = slice(a, a + g) if len(shape) == 3 else slice(None)
            counts[sl], todo[sl] = _if_counts(i_b[sl], th_b[sl], T)
        if todo.any():
            counts[todo] = _stepped_counts(i_b[todo], th_b[todo], f32(1.0), T, True,
                                           f32(0.0), c)
    else:
        silent = i_b <= 0
        counts = np.zeros(shape, dtype=f32)
        if soft or lif.v_reset >= 0:
            sat = i_b >= th_b
            counts[sat] = c.sum(dtype=np.float64)
            todo = ~(silent | sat)
        else:
            todo = ~silent
        ba = f32(beta) if scalar_beta else np.broadcast_to(np.asarray(beta, f32), shape)[todo]
        counts[todo] = _stepped_counts(i_b[todo], th_b[todo], ba, T, soft, f32(lif.v_reset), c)
    out = np.matmul(counts, np.swapaxes(w, -1, -2).astype(f32, copy=False))
    if b is not None:
        b = np.asarray(b, dtype=f32)
        out += c.sum(dtype=np.float64).astype(f32) * (b if b.ndim == 1 else b[:, None, :])
    return out


_CLOSED_MAX_T = 128
_TABLE_BITS = 18
_TIE_WIDTH = 2.0**-20


@lru_cache(maxsize=8)
def _tie_table(T: int) -> np.ndarray:
    r"""Bins of :math:`r \in [0, 1]` (width :math:`2^{-18}`, offset by one) lying within
    ``_TIE_WIDTH`` of a fraction :math:`p/t`, :math:`t \le T`; bin 0 is :math:`r < 0`, the
    last bin :math:`r > 1`."""
    m = 1 << _TABLE_BITS
    f = np.unique(np.concatenate([np.arange(t + 1) / t for t in range(1, T + 1)]))
    lo = np.clip(np.floor((f - _TIE_WIDTH) * m).astype(np.int64) + 1, 1, m + 1)
    hi = np.clip(np.floor((f + _TIE_WIDTH) * m).astype(np.int64) + 1, 1, m + 1)
    mark = np.zeros(m + 4, dtype=np.int64)
    np.add.at(mark, lo, 1)
    np.add.at(mark, hi + 1, -1)
    return np.cumsum(mark)[: m + 3] > 0


def _if_counts(i_b: np.ndarray, th_b: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Spike counts of IF neurons (β = 1, soft reset, constant input) over ``T`` steps.

    In exact arithmetic :math:`v_t = tI - \theta k_t \in [0, \theta)` for
    :math:`0 < r = I/\theta < 1`, so :math:`k_T = \lfloor T r \rfloor`; with the silent
    (:math:`r \le 0`) and saturated (:math:`r \ge 1`) cases,
    :math:`k_T = \mathrm{clip}(\lfloor T r \rfloor, 0, T)`. The engine's float32 steps round
    only in :math:`u = v + I` (:math:`|{\rm err}| \le 2^{-23}\theta` a step; the reset
    :math:`u - \theta` is exact by Sterbenz's lemma), so after :math:`t` steps
    :math:`|v^{f32}_t - v_t| \le t\,2^{-23}\theta` while the decisions agree, and they agree
    whenever :math:`|u_t - \theta| \ge \theta\,\mathrm{dist}(t r, \mathbb Z) > t\,2^{-23}\theta`,
    i.e. when :math:`r` is farther than :math:`2^{-23}` (+ :math:`2^{-24}` for computing
    :math:`r` in float32) from every :math:`p/t`, :math:`t \le T`. Neurons within
    ``_TIE_WIDTH`` (:math:`2^{-20}`) of such a fraction are returned in ``todo`` for the
    engine's own stepping; all others get the closed form, equal to the engine's count.
    """
    f32 = np.float32
    r = np.divide(i_b, th_b, dtype=f32)
    m = 1 << _TABLE_BITS
    k = np.multiply(r, f32(m))
    k += f32(1.0)
    np.clip(k, 0.0, m + 2.0, out=k)   # truncation below: r < 0 → bin 0, r ≥ 1 + 1/m → m + 2
    todo = np.take(_tie_table(T), k.astype(np.intp))
    np.multiply(r, f32(T), out=r)
    np.floor(r, out=r)
    np.clip(r, 0, T, out=r)
    return r, todo


def _stepped_counts(ia, tha, ba, T: int, soft: bool, v_r, c: np.ndarray) -> np.ndarray:
    """Weighted spike counts ``Σ_t c_t s_t`` of LIF neurons with constant inputs ``ia``,
    stepped with the engine's float32 operations in cache-sized chunks."""
    f32 = np.float32
    ones = bool(np.all(c == 1.0))
    small = ones and T < 256  # integer spike counts fit a byte: no float conversion per step
    acc = np.zeros(ia.shape, dtype=np.uint8 if small else f32)
    scalar_beta = np.ndim(ba) == 0
    for s in range(0, ia.size, _CHUNK):
        sl = slice(s, s + _CHUNK)
        ic, thc, ac = ia[sl], tha[sl], acc[sl]
        bc = ba if scalar_beta else ba[sl]
        v = np.zeros(ic.shape, dtype=f32)
        m = np.empty(ic.shape, dtype=bool)
        tmp = np.empty(ic.shape, dtype=f32)
        for t in range(T):
            if not (scalar_beta and ba == 1.0):
                np.multiply(v, bc, out=v)
            np.add(v, ic, out=v)
            np.greater_equal(v, thc, out=m)
            # masked ufuncs (where=) are ~10x slower than a multiply by the 0/1 mask
            if soft:    # v = u - θ·s
                np.multiply(thc, m, out=tmp)
                np.subtract(v, tmp, out=v)
            else:       # v = u·(1 - s) + v_r·s
                np.logical_not(m, out=m)
                np.multiply(v, m, out=v)
                np.logical_not(m, out=m)
                if v_r:
                    np.multiply(m, v_r, out=tmp)
                    np.add(v, tmp, out=v)
            if small:
                np.add(ac, m.view(np.uint8), out=ac)
            elif ones:
                np.add(ac, m, out=ac)
            else:
                np.multiply(m, c[t], out=tmp)
                np.add(ac, tmp, out=ac)
    return acc


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
