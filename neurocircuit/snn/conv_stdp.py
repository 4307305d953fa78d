r"""Convolutional STDP feature layer (Kheradpisheh et al., Neural Netw. 2018) + linear readout.

**Input.** An image is filtered by a difference of Gaussians; its positive and negative parts
are the ON and OFF channels :math:`x_c` (normalised to the image's maximum). Each positive
value spikes once, at step :math:`t = \lfloor (1 - x)\,T \rfloor` (intensity-to-latency
coding); values below ``min_input`` never spike.

**Layer.** ``n_maps`` feature maps share one ``kernel × kernel × C`` weight array each
(:math:`w \in [0, 1]`). Non-leaky integrate-and-fire neurons fire at most once: the neuron of
map :math:`f` at position :math:`p` fires at the first step with

.. math::

    V_{f,p}(t) = \sum_{j \in \mathrm{RF}(p)} w_{f,j}\,[t_j \le t] \;\ge\; \theta_f .

**Winner-take-all.** Learning winners are taken earliest spike first (ties: larger
potential); a winner silences every other neuron of its map (one update per map and image) and
the neurons of all maps within ``inhibition_radius`` of its position (lateral inhibition).
At inference, point-wise inhibition keeps at each position only the earliest map.

**STDP** (shared weights, the winner's receptive field; multiplicative soft bound):

.. math::

    \Delta w_{f,j} = \begin{cases} a_+\,w_{f,j}(1 - w_{f,j}) & t_j \le t_{post} \\
    -a_-\,w_{f,j}(1 - w_{f,j}) & t_j > t_{post}\ \text{(or no input spike)} \end{cases}

so weights never leave [0, 1]. **Adaptive thresholds**: a winning map's threshold rises by
``theta_plus``; every threshold relaxes towards ``threshold`` by a factor
:math:`e^{-1/\tau_\theta}` per image (``tau_theta`` in images), which spreads the wins
over the maps.

**Readout.** Spikes (after point-wise inhibition) are counted over a ``pool × pool`` grid of
regions per map; a ridge-regression classifier (one-hot targets, closed form) reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..units import param, validate

__all__ = [
    "ConvSTDPParams",
    "ConvSTDPLayer",
    "init_layer",
    "on_off",
    "latency_encode",
    "fire_times",
    "select_winners",
    "stdp_update",
    "train",
    "features",
    "fit_ridge",
    "predict_ridge",
]

NEVER = np.iinfo(np.int32).max  # spike time of a neuron/input that never fires


@dataclass(frozen=True)
class ConvSTDPParams:
    n_maps: int = param(16, unit="", doc="feature maps", gt=0)
    kernel: int = param(5, unit="", doc="kernel side (pixels)", gt=0)
    n_steps: int = param(15, unit="steps", doc="latency-coding steps T", gt=0)
    threshold: float = param(10.0, unit="", doc="resting firing threshold θ₀", gt=0)
    a_plus: float = param(0.004, unit="", doc="potentiation rate a+", ge=0, le=1)
    a_minus: float = param(0.003, unit="", doc="depression rate a-", ge=0, le=1)
    w_mean: float = param(0.8, unit="", doc="initial weight mean", ge=0, le=1)
    w_std: float = param(0.05, unit="", doc="initial weight std", ge=0)
    inhibition_radius: int = param(2, unit="", doc="lateral inhibition radius (pixels)", ge=0)
    theta_plus: float = param(0.0, unit="", doc="threshold increment per win", ge=0)
    tau_theta: float = param(100.0, unit="images", doc="threshold relaxation", gt=0)
    dog_sigmas: tuple = param((1.0, 2.0), unit="px", doc="DoG centre/surround σ", gt=0)
    min_input: float = param(0.05, unit="", doc="ON/OFF value below which nothing spikes",
                             ge=0, lt=1)

    def __post_init__(self) -> None:
        validate(self)
        s1, s2 = self.dog_sigmas
        if not 0 < s1 < s2:
            raise ParameterError(
                f"The 'dog_sigmas' parameter must satisfy 0 < centre < surround (px). "
                f"Got {self.dog_sigmas!r} instead."
            )


@dataclass
class ConvSTDPLayer:
    """Learnt state: kernels ``w`` ``(n_maps, C, k, k)`` and thresholds ``theta`` ``(n_maps,)``."""

    params: ConvSTDPParams
    w: np.ndarray
    theta: np.ndarray


def init_layer(params: ConvSTDPParams, n_channels: int, rng: np.random.Generator
               ) -> ConvSTDPLayer:
    k = params.kernel
    w = np.clip(rng.normal(params.w_mean, params.w_std, (params.n_maps, n_channels, k, k)),
                0.0, 1.0)
    return ConvSTDPLayer(params, w, np.full(params.n_maps, params.threshold))


def on_off(images: np.ndarray, params: ConvSTDPParams) -> np.ndarray:
    """ON/OFF DoG channels ``(N, 2, H, W)`` in [0, 1] (each image scaled by its maximum)."""
    from scipy.ndimage import gaussian_filter

    x = np.asarray(images, dtype=np.float64)
    s1, s2 = params.dog_sigmas
    d = (gaussian_filter(x, (0, s1, s1), mode="constant")
         - gaussian_filter(x, (0, s2, s2), mode="constant"))
    out = np.stack([np.maximum(d, 0.0), np.maximum(-d, 0.0)], axis=1)
    m = out.reshape(len(x), -1).max(axis=1)
    return out / np.where(m > 0, m, 1.0)[:, None, None, None]


def latency_encode(x: np.ndarray, params: ConvSTDPParams) -> np.ndarray:
    """Spike step ``floor((1 − x) T)`` (int32; ``NEVER`` below ``min_input``)."""
    t = np.floor((1.0 - np.clip(x, 0.0, 1.0)) * params.n_steps).astype(np.int32)
    t = np.minimum(t, params.n_steps - 1)
    return np.where(x >= max(params.min_input, 1e-12), t, NEVER).astype(np.int32)


def _patches(t_in: np.ndarray, k: int) -> np.ndarray:
    """``(N, C, H, W)`` → ``(N, H', W', C·k·k)`` receptive fields (valid convolution)."""
    win = np.lib.stride_tricks.sliding_window_view(t_in, (k, k), axis=(2, 3))
    n, c, h, w = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n, h, w, c * k * k)


def fire_times(layer: ConvSTDPLayer, t_in: np.ndarray):
    """First-spike step and the potential at that step for every neuron.

    ``t_in``: input spike steps ``(N, C, H, W)``. Returns ``(t_post, v_post)``, each
    ``(N, n_maps, H', W')``; ``t_post == NEVER`` where a neuron stays silent.
    """
    p = layer.params
    pt = _patches(t_in, p.kernel)  # (N, H', W', D)
    n, h, w, d = pt.shape
    flat = pt.reshape(-1, 1, d)
    wk = layer.w.reshape(p.n_maps, d).T.astype(np.float32)  # (D, K)
    steps = np.arange(p.n_steps, dtype=np.int32)[None, :, None]
    # V (positions, T, K) in one product: cumulative input indicator [t_j <= t] times weights
    v = ((flat <= steps).astype(np.float32).reshape(-1, d) @ wk).reshape(-1, p.n_steps, p.n_maps)
    above = v >= layer.theta.astype(np.float32)
    fired = above.any(axis=1)
    first = np.argmax(above, axis=1)  # (positions, K)
    t_post = np.where(fired, first, NEVER).astype(np.int32)
    v_post = np.where(fired, np.take_along_axis(v, first[:, None, :], axis=1)[:, 0], 0.0)
    t_post = t_post.reshape(n, h, w, p.n_maps).transpose(0, 3, 1, 2)
    v_post = v_post.astype(np.float64).reshape(n, h, w, p.n_maps).transpose(0, 3, 1, 2)
    return t_post, v_post


def _score(t_post: np.ndarray, v_post: np.ndarray, d: int) -> np.ndarray:
    """Earlier spike first, then larger potential (``v ≤ d`` because ``w ≤ 1``)."""
    fired = t_post != NEVER
    return np.where(fired, -t_post.astype(np.float64) * (d + 1.0) + v_post, -np.inf)


def select_winners(t_post: np.ndarray, v_post: np.ndarray, radius: int, d: int,
                   max_winners: int | None = None) -> list[tuple[int, int, int]]:
    """Learning winners of one image (``t_post``, ``v_post``: ``(n_maps, H', W')``): repeatedly
    the best remaining neuron, which then silences its own map and every map within ``radius``
    (Chebyshev distance) of its position. Returns ``[(map, row, col), ...]`` in order."""
    score = _score(t_post, v_post, d)
    n_maps = score.shape[0]
    out: list[tuple[int, int, int]] = []
    limit = n_maps if max_winners is None else max_winners
    while len(out) < limit:
        i = int(np.argmax(score))
        if not np.isfinite(score.flat[i]):
            break
        f, r, c = np.unravel_index(i, score.shape)
        out.append((int(f), int(r), int(c)))
        score[f] = -np.inf
        score[:, max(r - radius, 0) : r + radius + 1, max(c - radius, 0) : c + radius + 1] = -np.inf
    return out


def stdp_update(w: np.ndarray, t_pre: np.ndarray, t_post: int, a_plus: float,
                a_minus: float) -> np.ndarray:
    """Kernel after one winner: ``w ± a w(1 − w)`` by the sign of ``t_post − t_pre``
    (``t_pre ≤ t_post`` potentiates; later or no input spike depresses)."""
    soft = w * (1.0 - w)
    return np.clip(w + np.where(t_pre <= t_post, a_plus, -a_minus) * soft, 0.0, 1.0)


def train(layer: ConvSTDPLayer, t_in: np.ndarray, max_winners: int | None = None) -> dict:
    """One unsupervised pass over ``t_in`` ``(N, C, H, W)``, image by image, in place.
    Returns the number of wins of every map."""
    p = layer.params
    k = p.kernel
    d = layer.w[0].size
    wins = np.zeros(p.n_maps, dtype=np.int64)
    decay = np.exp(-1.0 / p.tau_theta)
    for img in t_in:
        t_post, v_post = fire_times(layer, img[None])
        for f, r, c in select_winners(t_post[0], v_post[0], p.inhibition_radius, d, max_winners):
            layer.w[f] = stdp_update(layer.w[f], img[:, r : r + k, c : c + k],
                                     int(t_post[0, f, r, c]), p.a_plus, p.a_minus)
            wins[f] += 1
            layer.theta[f] += p.theta_plus
        layer.theta = p.threshold + (layer.theta - p.threshold) * decay
    return {"wins": wins}


def features(layer: ConvSTDPLayer, t_in: np.ndarray, pool: int = 3, batch: int = 16
             ) -> np.ndarray:
    """Pooled spike counts ``(N, n_maps · pool²)`` after point-wise inhibition (at each position
    only the earliest map, ties to the larger potential, keeps its spike)."""
    d = layer.w[0].size
    out = []
    for s in range(0, len(t_in), batch):
        t_post, v_post = fire_times(layer, t_in[s : s + batch])
        score = _score(t_post, v_post, d)
        best = np.argmax(score, axis=1)  # (B, H', W')
        fired = np.isfinite(np.take_along_axis(score, best[:, None], axis=1))[:, 0]
        onehot = (np.arange(score.shape[1])[None, :, None, None] == best[:, None]) & fired[:, None]
        h, w = onehot.shape[2:]
        rows = np.array_split(np.arange(h), pool)
        cols = np.array_split(np.arange(w), pool)
        cnt = np.stack([onehot[:, :, r[0] : r[-1] + 1, c[0] : c[-1] + 1].sum(axis=(2, 3))
                        for r in rows for c in cols], axis=2)
        out.append(cnt.reshape(len(cnt), -1).astype(np.float64))
    return np.concatenate(out)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float = 1.0, n_classes: int | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Ridge readout on standardised features: :math:`W = (X^\top X + \alpha I)^{-1} X^\top Y`
    with one-hot ``Y``; returns ``(W, b, mean, scale)``."""
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = (x - mu) / sd
    yy = np.eye(n_classes)[y]
    ym = yy.mean(axis=0)
    w = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (yy - ym))
    return w, ym, mu, sd


def predict_ridge(model, x: np.ndarray) -> np.ndarray:
    w, b, mu, sd = model
    return np.argmax(((x - mu) / sd) @ w + b, axis=1)
