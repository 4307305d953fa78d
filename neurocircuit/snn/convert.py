r"""ANN→SNN conversion with data-based threshold balancing (Diehl 2015, Rueckauer 2017).

Each ReLU of a (batch-norm-folded) ANN becomes an integrate-and-fire neuron with soft reset
(``β = 1``, ``θ = 1``); weights and biases are rescaled layer by layer so that the activation
scale ``λ_l`` (the maximum, or the ``p``-th percentile, of layer ``l``'s ReLU outputs on
calibration data) maps to the threshold:

``W_l ← W_l · λ_{l−1} / λ_l``,  ``b_l ← b_l / λ_l``  (``λ_0`` the input scale, 1 for x ∈ [0, 1]).

The rate of an IF neuron with soft reset then approximates ``a_l/λ_l`` (clipped to 1 spike per
step; with ``v_init = θ/2`` the count over ``T`` steps of a constant input is ``T·a_l/λ_l``
rounded to the nearest integer instead of floored). Average pooling carries over unchanged
(linear); the output layer is a non-spiking :class:`~.spiking.Readout` with ``β = 0`` whose
summed current over ``T`` steps is the logit (scaled by ``1/λ_{L-1}``). Max pooling is not
convertible (train the ANN with average pooling).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from .ann import ANN, BatchNorm, Dropout, ReLU, fold_batchnorm
from .layers import AvgPool2d, Conv2d, Dense, Flatten
from .network import Sequential
from .spiking import LIF, Readout

__all__ = ["activation_scales", "convert"]


def activation_scales(ann: ANN, x: np.ndarray, method: str = "percentile",
                      percentile: float = 99.9, batch_size: int = 500) -> list[float]:
    """``λ`` of every ReLU node on calibration data ``x`` (``"max"`` or ``"percentile"``)."""
    if method not in ("max", "percentile"):
        raise ParameterError(f"Unknown balancing method {method!r}; valid: 'max', 'percentile'.")
    relu_idx = [i for i, n in enumerate(ann.nodes) if isinstance(n, ReLU)]
    acts: dict[int, list[np.ndarray]] = {i: [] for i in relu_idx}
    for s in range(0, len(x), batch_size):
        outs = ann.activations(x[s: s + batch_size])
        for i in relu_idx:
            a = outs[i].reshape(-1)
            acts[i].append(a[a > 0])
    lams = []
    for i in relu_idx:
        a = np.concatenate(acts[i]) if acts[i] else np.zeros(1)
        if a.size == 0:
            lams.append(1.0)
        elif method == "max":
            lams.append(float(a.max()))
        else:
            lams.append(float(np.percentile(a, percentile)))
    return [max(v, 1e-6) for v in lams]


def convert(ann: ANN, x_calib: np.ndarray, *, method: str = "percentile",
            percentile: float = 99.9, input_scale: float = 1.0, reset: str = "soft",
            beta: float = 1.0, surrogate: str = "fast_sigmoid", v_init: float = 0.0,
            signed: bool = False) -> Sequential:
    """Convert a trained ReLU ANN into an SNN (see module equations).

    Parameters
    ----------
    ann
        Trained network (BatchNorm is folded first).
    x_calib
        Calibration inputs for threshold balancing (a few hundred samples suffice).
    method, percentile
        ``"max"`` or ``"percentile"`` balancing.
    input_scale
        ``λ_0``: the largest input value (1 for inputs in [0, 1] with direct coding).
    reset, beta
        Neuron reset mode and leak (``β = 1``: IF; soft reset lowers conversion loss).
    v_init
        Initial membrane potential in units of the threshold (``0.5``: the rate becomes
        ``⌊T a/λ + 1/2⌋/T``, rounding instead of flooring, which halves the worst-case
        quantisation error, Bu et al. 2022). Dropout nodes are dropped (identity at inference).
    signed
        Signed IF neurons (:class:`~.spiking.LIF` ``signed=True``): each spike count becomes
        the quantised ReLU of the *time-summed* input, so the conversion holds for
        non-stationary inputs too (event streams); inference-only.
    """
    if any(isinstance(n, BatchNorm) for n in ann.nodes):
        ann = fold_batchnorm(ann)
    lams = activation_scales(ann, x_calib, method, percentile)
    nodes: list[Any] = []
    prev_lam, k = float(input_scale), 0
    pending: Any = None
    for n in ann.nodes:
        if isinstance(n, Dense | Conv2d):
            if pending is not None:
                raise ParameterError("Two weight layers without a ReLU between them.")
            pending = n
        elif isinstance(n, ReLU):
            if pending is None:
                raise ParameterError("A ReLU must follow a Dense or Conv2d layer.")
            lam = lams[k]
            k += 1
            nodes.append(_scaled(pending, prev_lam / lam, 1.0 / lam))
            nodes.append(LIF(beta, 1.0, reset=reset, surrogate=surrogate, v_init=v_init,
                             signed=signed))
            prev_lam, pending = lam, None
        elif isinstance(n, Dropout):
            continue
        elif isinstance(n, AvgPool2d | Flatten):
            if pending is not None:
                raise ParameterError("Pooling/flatten between a weight layer and its ReLU.")
            nodes.append(n)
        else:
            raise ParameterError(f"Cannot convert a {type(n).__name__} node (use AvgPool2d).")
    if pending is None:
        raise ParameterError("The ANN must end with a Dense/Conv2d output layer (no ReLU).")
    nodes.append(_scaled(pending, prev_lam, 1.0))
    nodes.append(Readout(0.0))
    return Sequential(nodes, ann.in_shape)


def _scaled(layer: Any, w_scale: float, b_scale: float) -> Any:
    W = (layer.params["W"] * w_scale).astype(layer.params["W"].dtype)
    if isinstance(layer, Dense):
        new = Dense(layer.n_in, layer.n_out, weight=W, bias=layer.has_bias, dtype=W.dtype)
    else:
        new = Conv2d(layer.in_ch, layer.out_ch, (layer.kh, layer.kw), stride=layer.stride,
                     padding=layer.padding, weight=W, bias=layer.has_bias, dtype=W.dtype)
    if layer.has_bias:
        new.params["b"] = (layer.params["b"] * b_scale).astype(W.dtype)
    return new
