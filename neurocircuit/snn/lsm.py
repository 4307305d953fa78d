r"""Liquid state machine: a fixed sparse random E/I spiking reservoir and a ridge readout.

Reservoir of :math:`N` LIF neurons, a fraction ``frac_exc`` excitatory. Per step:

.. math::

    i_t = \lambda_s\,i_{t-1} + W_{in} x_t + W_{rec} z_{t-1}, \qquad
    v_t = \lambda_m\,v_{t-1} + (1 - \lambda_m)\,i_t, \qquad
    z_t = H(v_t - \theta), \ v_t \leftarrow 0 \text{ on a spike, refractory } t_{ref}.

Dale's law: every outgoing weight of an excitatory neuron is ≥ 0 and of an inhibitory neuron
≤ 0 (columns of :math:`W_{rec}`). Connections are drawn with probabilities ``p_ee, p_ei, p_ie,
p_ii`` (post←pre), magnitudes log-normal. Neurons are heterogeneous: membrane time constants
uniform in ``[tau_min, tau_max]`` and thresholds with relative spread ``theta_spread``.

Features are spike counts of each neuron in ``n_bins`` equal time bins (the liquid state); the
readout is ridge regression onto one-hot targets, solved in closed form,
:math:`W = (F^\top F + \lambda I)^{-1} F^\top Y`. Ensembles concatenate the features of several
small liquids ("divide and learn"); stacking feeds one liquid's spikes into the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..units import param, validate

__all__ = [
    "LSMParams",
    "Liquid",
    "make_liquid",
    "run_liquid",
    "liquid_features",
    "ridge_fit",
    "ridge_predict",
    "LSMClassifier",
]


@dataclass(frozen=True)
class LSMParams:
    n_neurons: int = param(400, unit="", doc="reservoir size", gt=0)
    frac_exc: float = param(0.8, unit="", doc="excitatory fraction", ge=0, le=1)
    p_in: float = param(0.2, unit="", doc="input connection probability", gt=0, le=1)
    w_in: float = param(1.0, unit="", doc="mean input weight", gt=0)
    p_ee: float = param(0.1, unit="", doc="E→E probability", ge=0, le=1)
    p_ei: float = param(0.2, unit="", doc="E→I probability", ge=0, le=1)
    p_ie: float = param(0.2, unit="", doc="I→E probability", ge=0, le=1)
    p_ii: float = param(0.1, unit="", doc="I→I probability", ge=0, le=1)
    w_exc: float = param(0.5, unit="", doc="mean excitatory recurrent weight", ge=0)
    w_inh: float = param(1.0, unit="", doc="mean inhibitory recurrent magnitude", ge=0)
    w_sigma: float = param(0.5, unit="", doc="log-normal σ of weight magnitudes", ge=0)
    dt: float = param(10e-3, unit="s", doc="time step (one input frame)", gt=0)
    tau_min: float = param(20e-3, unit="s", doc="shortest membrane τ", gt=0)
    tau_max: float = param(100e-3, unit="s", doc="longest membrane τ", gt=0)
    tau_syn: float = param(20e-3, unit="s", doc="synaptic current τ", gt=0)
    theta: float = param(0.5, unit="", doc="mean threshold", gt=0)
    theta_spread: float = param(0.1, unit="", doc="relative threshold spread", ge=0)
    t_ref: float = param(10e-3, unit="s", doc="refractory period", ge=0)
    n_bins: int = param(10, unit="", doc="feature time bins", gt=0)

    def __post_init__(self) -> None:
        validate(self)
        if self.tau_max < self.tau_min:
            raise ParameterError(
                f"The 'tau_max' parameter of LSMParams must be >= tau_min ({self.tau_min:g} s). "
                f"Got {self.tau_max!r} instead."
            )


@dataclass(frozen=True)
class Liquid:
    params: LSMParams
    w_in: np.ndarray  # (N, n_in)
    w_rec: np.ndarray  # (N, N), post × pre, Dale's law on columns
    exc: np.ndarray  # (N,) bool
    lam_m: np.ndarray  # (N,) membrane decay per step
    theta: np.ndarray  # (N,)


def make_liquid(params: LSMParams, n_in: int, rng: np.random.Generator) -> Liquid:
    """Draw a reservoir (all randomness from ``rng``)."""
    n = params.n_neurons
    n_e = int(round(params.frac_exc * n))
    exc = np.zeros(n, dtype=bool)
    exc[:n_e] = True
    post_e, pre_e = exc[:, None], exc[None, :]
    prob = np.where(post_e & pre_e, params.p_ee, 0.0)
    prob = np.where(~post_e & pre_e, params.p_ei, prob)
    prob = np.where(post_e & ~pre_e, params.p_ie, prob)
    prob = np.where(~post_e & ~pre_e, params.p_ii, prob)
    mask = rng.random((n, n)) < prob
    np.fill_diagonal(mask, False)
    mag = rng.lognormal(0.0, params.w_sigma, (n, n))
    mag /= np.exp(params.w_sigma**2 / 2)  # unit mean
    sign_scale = np.where(pre_e, params.w_exc, -params.w_inh)
    w_rec = np.where(mask, mag * sign_scale, 0.0)
    in_mask = rng.random((n, n_in)) < params.p_in
    w_in = np.where(in_mask, rng.lognormal(0.0, params.w_sigma, (n, n_in)), 0.0)
    w_in *= params.w_in / np.exp(params.w_sigma**2 / 2)
    tau = rng.uniform(params.tau_min, params.tau_max, n)
    theta = params.theta * (1.0 + params.theta_spread * rng.standard_normal(n))
    return Liquid(params, w_in, w_rec, exc, np.exp(-params.dt / tau), np.abs(theta))


def run_liquid(liq: Liquid, x: np.ndarray) -> np.ndarray:
    """Spikes ``(T, B, N)`` (float32) of the liquid driven by ``x`` ``(T, B, n_in)``."""
    p = liq.params
    if x.ndim != 3 or x.shape[2] != liq.w_in.shape[1]:
        raise ParameterError(
            f"Liquid input must be shaped (T, batch, {liq.w_in.shape[1]}); got {x.shape}."
        )
    T, B, _ = x.shape
    n = p.n_neurons
    lam_s = np.exp(-p.dt / p.tau_syn)
    n_ref = int(round(p.t_ref / p.dt))
    ix = (x.reshape(T * B, -1) @ liq.w_in.T).reshape(T, B, n).astype(np.float32)
    w_rec_t = liq.w_rec.T.astype(np.float32)
    lam_m = liq.lam_m.astype(np.float32)
    theta = liq.theta.astype(np.float32)
    i_syn = np.zeros((B, n), np.float32)
    v = np.zeros((B, n), np.float32)
    z = np.zeros((B, n), np.float32)
    ref = np.zeros((B, n), np.int32)
    out = np.zeros((T, B, n), np.float32)
    for t in range(T):
        i_syn = lam_s * i_syn + ix[t] + z @ w_rec_t
        v = lam_m * v + (1.0 - lam_m) * i_syn
        v[ref > 0] = 0.0
        z = (v >= theta).astype(np.float32)
        v[z > 0] = 0.0
        ref = np.where(z > 0, n_ref, np.maximum(ref - 1, 0))
        out[t] = z
    return out


def liquid_features(spikes: np.ndarray, n_bins: int) -> np.ndarray:
    """Spike counts per neuron in ``n_bins`` equal time bins: ``(B, n_bins·N)``."""
    T, B, n = spikes.shape
    edges = np.linspace(0, T, n_bins + 1).astype(int)
    f = np.stack([spikes[a:b].sum(axis=0) for a, b in zip(edges[:-1], edges[1:])], axis=1)
    return f.reshape(B, n_bins * n)


def ridge_fit(features: np.ndarray, y: np.ndarray, n_classes: int, lam: float = 1.0):
    """Closed-form ridge regression onto one-hot targets; returns ``(W, b, mean, std)``."""
    mu = features.mean(axis=0)
    sd = features.std(axis=0) + 1e-6
    f = (features - mu) / sd
    Y = np.eye(n_classes)[y] - 1.0 / n_classes
    a = f.T @ f + lam * np.eye(f.shape[1])
    w = np.linalg.solve(a, f.T @ Y)
    return w, np.full(n_classes, 1.0 / n_classes), mu, sd


def ridge_predict(model, features: np.ndarray) -> np.ndarray:
    w, b, mu, sd = model
    return np.argmax(((features - mu) / sd) @ w + b, axis=1)


class LSMClassifier:
    """Liquids (ensemble and/or stack) + ridge readout.

    ``n_liquids`` independent liquids see the input (an ensemble: their features are
    concatenated); with ``stacked=True`` each liquid after the first is driven by the previous
    liquid's spikes instead, and all liquids' features are read out.
    """

    def __init__(self, params: LSMParams, n_in: int, n_classes: int, rng: np.random.Generator,
                 n_liquids: int = 1, stacked: bool = False, lam: float = 10.0,
                 include_input: bool = False) -> None:
        self.params, self.n_classes, self.lam = params, n_classes, lam
        self.stacked, self.include_input = stacked, include_input
        self.liquids = []
        for k in range(n_liquids):
            src = params.n_neurons if (stacked and k > 0) else n_in
            self.liquids.append(make_liquid(params, src, rng))
        self.model = None

    def features(self, x: np.ndarray) -> np.ndarray:
        feats = []
        drive = x
        for liq in self.liquids:
            s = run_liquid(liq, drive)
            feats.append(liquid_features(s, self.params.n_bins))
            if self.stacked:
                drive = s
        if self.include_input:
            feats.append(liquid_features(x.astype(np.float32), self.params.n_bins))
        return np.concatenate(feats, axis=1)

    def fit(self, x: np.ndarray, y: np.ndarray, batch: int = 512) -> LSMClassifier:
        f = np.concatenate([self.features(x[:, s : s + batch])
                            for s in range(0, x.shape[1], batch)])
        self.model = ridge_fit(f, y, self.n_classes, self.lam)
        return self

    def predict(self, x: np.ndarray, batch: int = 512) -> np.ndarray:
        if self.model is None:
            raise ParameterError("LSMClassifier.predict called before fit.")
        f = np.concatenate([self.features(x[:, s : s + batch])
                            for s in range(0, x.shape[1], batch)])
        return ridge_predict(self.model, f)
