r"""First-order optimisers working in place on float32 parameter arrays.

- SGD with momentum ``μ`` and weight decay ``λ``: ``m ← μ m + g + λ p``; ``p ← p − η m``.
- Adam: ``m ← β₁ m + (1−β₁) g``, ``v ← β₂ v + (1−β₂) g²``,
  ``p ← p − η·√(1−β₂ᵏ)/(1−β₁ᵏ)·m / (√v + ε)``.

An optimiser holds the list of parameter arrays (``[(name, array), ...]``) and ``step(grads)``
takes the gradients in the same order (a ``dict`` by name works too).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["SGD", "Adam", "params_of", "grads_of", "make_optimizer"]


def params_of(net: Any) -> list[tuple[str, np.ndarray]]:
    """Flat ``[(name, array)]`` list of a network's trainable parameters."""
    return [(f"{i}.{k}", v) for i, n in enumerate(net.nodes) for k, v in n.params.items()]


def grads_of(net: Any, grads: list[dict[str, Any]]) -> list[Any]:
    """Gradients from :meth:`Sequential.backward` in the order of :func:`params_of`."""
    return [grads[i][k] for i, n in enumerate(net.nodes) for k in n.params]


class SGD:
    """Stochastic gradient descent with momentum and weight decay."""

    def __init__(self, params: list[tuple[str, np.ndarray]], lr: float = 0.01,
                 momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        if lr <= 0:
            raise ParameterError(f"The 'lr' parameter must be > 0. Got {lr!r} instead.")
        self.params, self.lr, self.mu, self.wd = params, float(lr), float(momentum), weight_decay
        self.m = [np.zeros_like(p) for _, p in params]

    def step(self, grads: list[Any]) -> None:
        for (_, p), g, m in zip(self.params, grads, self.m):
            m *= self.mu
            m += g
            if self.wd:
                m += self.wd * p
            p -= (self.lr * m).astype(p.dtype, copy=False)


class Adam:
    """Adam (Kingma & Ba 2015), bias-corrected, in place."""

    def __init__(self, params: list[tuple[str, np.ndarray]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        if lr <= 0:
            raise ParameterError(f"The 'lr' parameter must be > 0. Got {lr!r} instead.")
        self.params, self.lr, self.eps, self.wd = params, float(lr), float(eps), weight_decay
        self.b1, self.b2 = betas
        self.k = 0
        self.m = [np.zeros_like(p) for _, p in params]
        self.v = [np.zeros_like(p) for _, p in params]
        self._tmp = [np.empty_like(p) for _, p in params]

    _CHUNK = 1 << 16   # elements per block: the five operands of a block stay in L2 cache

    def step(self, grads: list[Any]) -> None:
        self.k += 1
        b1, b2 = self.b1, self.b2
        lr_t = self.lr * np.sqrt(1 - b2 ** self.k) / (1 - b1 ** self.k)
        for (_, p), g, m, v, tmp in zip(self.params, grads, self.m, self.v, self._tmp):
            g = np.asarray(g)
            if self.wd:
                g = g + self.wd * p
            if not (p.flags.c_contiguous and g.flags.c_contiguous and p.size > self._CHUNK):
                self._update(p, g, m, v, tmp, lr_t)
                continue
            pf, gf, mf, vf, tf = (a.reshape(-1) for a in (p, g, m, v, tmp))
            for s in range(0, pf.size, self._CHUNK):
                sl = slice(s, s + self._CHUNK)
                self._update(pf[sl], gf[sl], mf[sl], vf[sl], tf[sl], lr_t)

    def _update(self, p: Any, g: Any, m: Any, v: Any, tmp: Any, lr_t: float) -> None:
        b1, b2 = self.b1, self.b2
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t
        p -= tmp


def make_optimizer(name: str, params: list[tuple[str, np.ndarray]], lr: float,
                   **kw: Any) -> SGD | Adam:
    """``"adam"`` or ``"sgd"`` by name."""
    if name == "adam":
        return Adam(params, lr=lr, **kw)
    if name == "sgd":
        return SGD(params, lr=lr, **kw)
    raise ParameterError(f"Unknown optimiser {name!r}; valid optimisers are 'adam', 'sgd'.")
