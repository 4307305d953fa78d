r"""ReLU artificial neural networks in numpy, trained with Adam/SGD (the source of conversion).

Nodes: the synaptic layers of :mod:`.layers` (dense, conv2d, average pooling, flatten) plus

- ReLU: ``y = max(x, 0)``, ``∂L/∂x = ∂L/∂y·[x > 0]``;
- Dropout (training only, inverted): ``y = x·m/(1 − p)`` with ``m ~ Bernoulli(1 − p)`` drawn
  from the node's own seeded generator; ``∂L/∂x = ∂L/∂y·m/(1 − p)``; identity at inference
  (conversion drops it);
- BatchNorm (per feature / per channel): ``x̂ = (x − μ)/√(σ² + ε)``, ``y = γ x̂ + β``; training
  uses batch statistics (``μ, σ²`` over batch and spatial axes) and updates running averages
  with momentum; backward ``∂L/∂x = γ/(m√(σ²+ε))·(m g − Σg − x̂ Σ g x̂)``.
  :func:`fold_batchnorm` folds it into the preceding weight layer:
  ``W' = W·γ/√(σ²+ε)``, ``b' = (b − μ)·γ/√(σ²+ε) + β``.

Loss: softmax cross-entropy on the last layer's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ParameterError
from .bptt import NonFiniteError, _softmax_ce
from .layers import AvgPool2d, Conv2d, Dense, Flatten, check_shape

__all__ = ["ReLU", "Dropout", "BatchNorm", "ANN", "fit_ann", "fold_batchnorm"]

F32 = np.float32


class ReLU:
    """Rectified linear unit."""

    kind = "relu"

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return in_shape

    def forward(self, x: Any, train: bool = False) -> tuple[Any, Any]:
        y = np.maximum(x, 0)
        return y, (y > 0 if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        return gy * cache, {}


class Dropout:
    """Inverted dropout with drop probability ``p`` (identity when not training)."""

    kind = "dropout"

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int | None = 0) -> None:
        if not 0.0 <= p < 1.0:
            raise ParameterError(f"The dropout 'p' parameter must be in [0, 1). Got {p!r} instead.")
        self.p = float(p)
        self._rng = np.random.default_rng(rng)
        self.params: dict[str, Any] = {}

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return in_shape

    def forward(self, x: Any, train: bool = False) -> tuple[Any, Any]:
        if not train or self.p == 0.0:
            return x, None
        keep = self._rng.random(x.shape, dtype=np.float32) >= self.p
        mask = keep.astype(x.dtype)
        mask *= x.dtype.type(1.0 / (1.0 - self.p))
        return x * mask, mask

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        return (gy if cache is None else gy * cache), {}


class BatchNorm:
    """Batch normalisation over features (``(B, n)``) or channels (``(B, C, H, W)``)."""

    kind = "batchnorm"

    def __init__(self, n: int, *, momentum: float = 0.1, eps: float = 1e-5,
                 dtype: Any = F32) -> None:
        self.n, self.momentum, self.eps = int(n), float(momentum), float(eps)
        self.params = {"gamma": np.ones(n, dtype), "beta": np.zeros(n, dtype)}
        self.running_mean = np.zeros(n, dtype)
        self.running_var = np.ones(n, dtype)

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return in_shape

    def _axes(self, x: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if x.ndim == 2:
            return (0,), (1, -1)
        return (0, 2, 3), (1, -1, 1, 1)

    def forward(self, x: Any, train: bool = False) -> tuple[Any, Any]:
        axes, shp = self._axes(x)
        if train:
            mu = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = self.momentum
            self.running_mean = ((1 - m) * self.running_mean + m * mu).astype(
                self.running_mean.dtype)
            self.running_var = ((1 - m) * self.running_var + m * var).astype(
                self.running_var.dtype)
        else:
            mu, var = self.running_mean, self.running_var
        inv = 1.0 / np.sqrt(var + self.eps)
        xh = (x - mu.reshape(shp)) * inv.reshape(shp)
        y = xh * self.params["gamma"].reshape(shp) + self.params["beta"].reshape(shp)
        return y.astype(x.dtype, copy=False), ((xh, inv, axes, shp) if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        xh, inv, axes, shp = cache
        m = gy.size / self.n
        gsum = gy.sum(axis=axes)
        gxh = (gy * xh).sum(axis=axes)
        grads = {"gamma": gxh, "beta": gsum}
        g = self.params["gamma"] * inv / m
        gx = g.reshape(shp) * (m * gy - gsum.reshape(shp) - xh * gxh.reshape(shp))
        return gx.astype(gy.dtype, copy=False), grads


_ALLOWED = (Dense, Conv2d, AvgPool2d, Flatten, ReLU, BatchNorm, Dropout)


class ANN:
    """Feed-forward ReLU network ``(B, *in_shape) → (B, classes)``."""

    def __init__(self, nodes: list[Any], in_shape: tuple[int, ...]) -> None:
        for n in nodes:
            if not isinstance(n, _ALLOWED):
                raise ParameterError(
                    f"ANN nodes must be Dense, Conv2d, AvgPool2d, Flatten, ReLU, BatchNorm or "
                    "Dropout; "
                    f"got {type(n).__name__}."
                )
        self.nodes = list(nodes)
        self.in_shape = tuple(in_shape)
        shape = self.in_shape
        self.shapes = [shape]
        for n in self.nodes:
            shape = tuple(n.out_shape(shape))
            self.shapes.append(shape)

    def forward(self, x: Any, train: bool = False) -> tuple[Any, list[Any]]:
        check_shape("ANN", x, self.in_shape)
        caches = []
        for n in self.nodes:
            x, c = n.forward(x, train=train)
            caches.append(c)
        return x, caches

    def activations(self, x: Any) -> list[Any]:
        """Output of every node (inference mode)."""
        outs = []
        for n in self.nodes:
            x, _ = n.forward(x)
            outs.append(x)
        return outs

    def backward(self, g: Any, caches: list[Any]) -> list[dict[str, Any]]:
        grads: list[dict[str, Any]] = [{} for _ in self.nodes]
        for i in range(len(self.nodes) - 1, -1, -1):
            g, grads[i] = self.nodes[i].backward(g, caches[i], need_gx=i > 0)
        return grads

    def predict(self, x: Any, batch_size: int = 1000) -> np.ndarray:
        return np.concatenate([self.forward(x[s: s + batch_size])[0].argmax(-1)
                               for s in range(0, len(x), batch_size)])

    def accuracy(self, x: Any, y: Any) -> float:
        return float(np.mean(self.predict(x) == np.asarray(y)))


def fit_ann(ann: ANN, opt: Any, x: np.ndarray, y: np.ndarray, *, epochs: int,
            batch_size: int = 64, rng: np.random.Generator | int | None = 0,
            progress: bool = False,
            on_epoch: Callable[[int, dict[str, float]], None] | None = None,
            transform: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
            lr_schedule: Callable[[int], float] | None = None
            ) -> list[dict[str, float]]:
    """Minibatch training with softmax cross-entropy; returns per-epoch metrics.

    ``transform(xb, rng)`` (optional) augments each minibatch; ``lr_schedule(k)`` (optional)
    sets ``opt.lr`` before the ``k``-th step.
    """
    from .optim import grads_of

    rng = np.random.default_rng(rng)
    hist = []
    it = range(epochs)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="ANN epochs", unit="epoch")
    step = 0
    for ep in it:
        order = rng.permutation(len(y))
        losses, accs = [], []
        for s in range(0, len(y), batch_size):
            idx = order[s: s + batch_size]
            if lr_schedule is not None:
                opt.lr = float(lr_schedule(step))
            step += 1
            xb = x[idx] if transform is None else transform(x[idx], rng)
            out, caches = ann.forward(xb, train=True)
            loss, g = _softmax_ce(out, y[idx])
            if not np.isfinite(loss):
                raise NonFiniteError(f"The ANN loss became {loss}; training stopped.")
            grads = ann.backward(g.astype(out.dtype), caches)
            opt.step(grads_of(ann, grads))
            losses.append(loss)
            accs.append(float(np.mean(out.argmax(-1) == y[idx])))
        m = {"epoch": ep + 1, "loss": float(np.mean(losses)), "train_acc": float(np.mean(accs))}
        hist.append(m)
        if on_epoch is not None:
            on_epoch(ep, m)
    return hist


def fold_batchnorm(ann: ANN) -> ANN:
    """A new ANN with every BatchNorm folded into the Dense/Conv2d just before it."""
    nodes: list[Any] = []
    for n in ann.nodes:
        if isinstance(n, BatchNorm):
            prev = nodes[-1] if nodes else None
            if not isinstance(prev, Dense | Conv2d):
                raise ParameterError("BatchNorm can be folded only right after Dense or Conv2d.")
            scale = n.params["gamma"] / np.sqrt(n.running_var + n.eps)
            W = prev.params["W"]
            b = prev.params.get("b", np.zeros(W.shape[0], W.dtype))
            shp = (-1,) + (1,) * (W.ndim - 1)
            Wn = (W * scale.reshape(shp)).astype(W.dtype)
            bn = ((b - n.running_mean) * scale + n.params["beta"]).astype(W.dtype)
            new = _clone(prev, Wn)
            new.params["b"] = bn
            nodes[-1] = new
        else:
            nodes.append(n)
    return ANN(nodes, ann.in_shape)


def _clone(layer: Any, W: np.ndarray) -> Any:
    if isinstance(layer, Dense):
        return Dense(layer.n_in, layer.n_out, weight=W, dtype=W.dtype)
    return Conv2d(layer.in_ch, layer.out_ch, (layer.kh, layer.kw), stride=layer.stride,
                  padding=layer.padding, weight=W, dtype=W.dtype)
