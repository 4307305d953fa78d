r"""Stateless synaptic layers with hand-derived backward passes.

Every layer maps ``x`` of shape ``(*lead, *in_shape)`` to ``y`` of shape ``(*lead, *out_shape)``;
the leading axes (time, instance, batch) are arbitrary, so a whole spike sequence ``(T, B, ...)``
goes through one call (one matmul over all steps). Equations:

- Dense: ``y = x Wᵀ + b``; ``∂L/∂W = gᵀx``, ``∂L/∂b = Σ g``, ``∂L/∂x = g W``. ``W`` may carry a
  leading instance axis ``(N, out, in)``; the input then has the instance axis just before
  the batch axis, i.e. ``(..., N, B, in)`` (or ``(..., 1, B, in)`` broadcast).
- Conv2d (NCHW, im2col): ``y[m,o,i,j] = b[o] + Σ_{c,p,q} W[o,c,p,q]·xpad[m,c,s·i+p,s·j+q]``;
  with channel-major columns ``X[(c,p,q),(m,i,j)]``: ``Y = W X``, ``∂L/∂W = G Xᵀ``,
  ``∂L/∂X = Wᵀ G`` scattered back by col2im (the adjoint of im2col).
- AvgPool2d: ``y = mean`` over each ``k×k`` window (stride ``s``); MaxPool2d: ``y = max``,
  the gradient goes to the (first) arg-max.
- Flatten: ``(…, C, H, W) → (…, C·H·W)``.

Each layer has ``params`` (dict of float32 arrays; empty for pooling), ``forward(x, train)``
returning ``(y, cache)`` and ``backward(gy, cache, need_gx=True)`` returning ``(gx, grads)``;
``out_shape(in_shape)``, ``fanout(in_shape)`` (synaptic targets per input element, for event
counts) and ``macs(in_shape)`` (multiply-accumulates per sample of the equivalent ANN layer).
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from ..errors import ParameterError
from .workspace import Workspace
from .workspace import empty as ws_empty

__all__ = ["Dense", "Conv2d", "AvgPool2d", "MaxPool2d", "Flatten", "check_shape"]

F32 = np.float32


def check_shape(name: str, x: Any, expected: tuple[int, ...]) -> None:
    """Raise ``ParameterError`` naming the expected trailing shape when ``x`` does not match."""
    n = len(expected)
    if x.ndim < n or tuple(x.shape[x.ndim - n:]) != tuple(expected):
        raise ParameterError(
            f"{name} expects input of shape (..., {', '.join(map(str, expected))}); "
            f"got {tuple(x.shape)}."
        )


def _init_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return np.random.default_rng(rng)


class Dense:
    """Fully connected layer ``y = x Wᵀ + b`` (``W`` is out × in)."""

    kind = "dense"
    uses_workspace = True   # forward/backward take ``ws`` (see :mod:`.workspace`)

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True, weight: Any = None,
                 rng: np.random.Generator | int | None = 0, gain: float = 1.0,
                 dtype: Any = F32) -> None:
        self.n_in, self.n_out, self.has_bias = int(n_in), int(n_out), bool(bias)
        if weight is None:
            lim = gain * np.sqrt(6.0 / (n_in + n_out))
            weight = _init_rng(rng).uniform(-lim, lim, (n_out, n_in))
        w = np.asarray(weight, dtype=dtype)
        if w.shape[-2:] != (self.n_out, self.n_in):
            raise ParameterError(
                f"Dense weight must have shape ({self.n_out}, {self.n_in}) or "
                f"(instances, {self.n_out}, {self.n_in}); got {w.shape}."
            )
        self.params: dict[str, Any] = {"W": w}
        if self.has_bias:
            self.params["b"] = np.zeros(w.shape[:-1], dtype=dtype)

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.n_out,)

    def fanout(self, in_shape: tuple[int, ...]) -> np.ndarray:
        return np.full(in_shape, self.n_out, dtype=np.float64)

    def macs(self, in_shape: tuple[int, ...]) -> int:
        return self.n_in * self.n_out

    def forward(self, x: Any, train: bool = False, ws: Workspace | None = None
                ) -> tuple[Any, Any]:
        check_shape("Dense", x, (self.n_in,))
        W = self.params["W"]
        if W.ndim == 2 and ws is not None and isinstance(x, np.ndarray):
            x2 = x.reshape(-1, self.n_in)
            y2 = ws_empty(ws, self, "y", (x2.shape[0], self.n_out), np.result_type(x, W))
            y = np.matmul(x2, W.T, out=y2).reshape(*x.shape[:-1], self.n_out)
        elif W.ndim == 2:
            y = np.matmul(x.reshape(-1, self.n_in), W.T).reshape(*x.shape[:-1], self.n_out)
        else:
            y = np.matmul(x, W.swapaxes(-1, -2))
        if self.has_bias:
            b = self.params["b"]
            y += b if b.ndim == 1 else b[:, None, :]
        return y, (x if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True,
                 ws: Workspace | None = None) -> tuple[Any, dict[str, Any]]:
        x = cache
        W = self.params["W"]
        grads: dict[str, Any] = {}
        if W.ndim == 2:
            g2 = gy.reshape(-1, self.n_out)
            x2 = x.reshape(-1, self.n_in)
            dt = np.result_type(g2, x2)
            # a skinny gᵀ (few outputs) is fastest as a contiguous copy (OpenBLAS, W2 layer 2:
            # 1.8 ms vs 2.5 ms for the strided view and 2.9 ms for (xᵀg)ᵀ)
            gT = np.ascontiguousarray(g2.T) if self.n_out < 128 else g2.T
            grads["W"] = np.matmul(gT, x2, out=ws_empty(ws, self, "gW", W.shape, dt))
            if self.has_bias:   # column sums as a GEMV: 2.4x faster than sum(axis=0)
                grads["b"] = np.ones(g2.shape[0], dtype=g2.dtype) @ g2
            if need_gx:
                gx2 = ws_empty(ws, self, "gx", (g2.shape[0], self.n_in), np.result_type(g2, W))
                gx = np.matmul(g2, W, out=gx2).reshape(*gy.shape[:-1], self.n_in)
            else:
                gx = None
        else:
            n = W.shape[0]
            xb = np.broadcast_to(x, gy.shape[:-1] + (self.n_in,))
            gN = np.moveaxis(gy, -3, 0).reshape(n, -1, self.n_out)
            xN = np.moveaxis(xb, -3, 0).reshape(n, -1, self.n_in)
            grads["W"] = gN.swapaxes(1, 2) @ xN
            if self.has_bias:
                grads["b"] = gN.sum(axis=1)
            gx = np.matmul(gy, W) if need_gx else None
            if gx is not None and gx.shape != x.shape:  # input was broadcast over instances
                gx = gx.sum(axis=-3, keepdims=True).reshape(x.shape)
        return gx, grads


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


class Conv2d:
    """2-D convolution (NCHW) by im2col, with stride and zero padding."""

    kind = "conv2d"

    def __init__(self, in_ch: int, out_ch: int, kernel: int | tuple[int, int], *,
                 stride: int = 1, padding: int = 0, bias: bool = True, weight: Any = None,
                 rng: np.random.Generator | int | None = 0, dtype: Any = F32) -> None:
        self.in_ch, self.out_ch = int(in_ch), int(out_ch)
        self.kh, self.kw = _pair(kernel)
        self.stride, self.padding, self.has_bias = int(stride), int(padding), bool(bias)
        if self.stride < 1 or self.padding < 0:
            raise ParameterError("Conv2d stride must be >= 1 and padding >= 0.")
        if weight is None:
            fan_in = in_ch * self.kh * self.kw
            lim = np.sqrt(6.0 / (fan_in + out_ch * self.kh * self.kw))
            weight = _init_rng(rng).uniform(-lim, lim, (out_ch, in_ch, self.kh, self.kw))
        w = np.asarray(weight, dtype=dtype)
        if w.shape != (self.out_ch, self.in_ch, self.kh, self.kw):
            raise ParameterError(
                f"Conv2d weight must have shape {(self.out_ch, self.in_ch, self.kh, self.kw)}; "
                f"got {w.shape}."
            )
        self.params: dict[str, Any] = {"W": w}
        if self.has_bias:
            self.params["b"] = np.zeros(out_ch, dtype=dtype)

    def _hw(self, h: int, w: int) -> tuple[int, int]:
        p, s = self.padding, self.stride
        ho, wo = (h + 2 * p - self.kh) // s + 1, (w + 2 * p - self.kw) // s + 1
        if ho < 1 or wo < 1:
            raise ParameterError(f"Conv2d kernel {self.kh}x{self.kw} larger than input {h}x{w}.")
        return ho, wo

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.out_ch, *self._hw(in_shape[1], in_shape[2]))

    def macs(self, in_shape: tuple[int, ...]) -> int:
        return prod(self.out_shape(in_shape)) * self.in_ch * self.kh * self.kw

    def fanout(self, in_shape: tuple[int, ...]) -> np.ndarray:
        ho, wo = self.out_shape(in_shape)[1:]
        ones = np.ones((in_shape[0], self.kh, self.kw, 1, ho, wo), dtype=np.float64)
        return self._col2im(ones, (1, *in_shape), np.float64)[0] * self.out_ch

    def _windows(self, ho: int, wo: int):
        s = self.stride
        for i in range(self.kh):
            for j in range(self.kw):
                yield i, j, (slice(None), slice(None), slice(i, i + s * (ho - 1) + 1, s),
                             slice(j, j + s * (wo - 1) + 1, s))

    def _im2col(self, x: Any) -> tuple[Any, int, int]:
        """Channel-major columns ``(C·kh·kw, M·ho·wo)`` of ``x`` (M, C, H, W).

        Built as ``kh·kw`` contiguous slice copies of the channel-major padded input
        ``(C, M, H+2p, W+2p)``, so the forward pass is one GEMM ``W (O, C·kh·kw) @ cols``.
        """
        m, c, h, w = x.shape
        p = self.padding
        ho, wo = self._hw(h, w)
        xt = np.zeros((c, m, h + 2 * p, w + 2 * p), dtype=x.dtype)
        xt[:, :, p: p + h, p: p + w] = x.transpose(1, 0, 2, 3)
        cols = np.empty((c, self.kh, self.kw, m, ho, wo), dtype=x.dtype)
        for i, j, sl in self._windows(ho, wo):
            cols[:, i, j] = xt[sl]
        return cols.reshape(c * self.kh * self.kw, m * ho * wo), ho, wo

    def _col2im(self, gcols: Any, xshape: tuple[int, ...], dtype: Any) -> Any:
        """Adjoint of :meth:`_im2col`: ``gcols`` ``(C, kh, kw, M, ho, wo)`` → ``(M, C, H, W)``."""
        m, c, h, w = xshape
        p = self.padding
        ho, wo = gcols.shape[-2:]
        gxp = np.zeros((c, m, h + 2 * p, w + 2 * p), dtype=dtype)
        for i, j, sl in self._windows(ho, wo):
            gxp[sl] += gcols[:, i, j]
        return np.ascontiguousarray(gxp[:, :, p: p + h, p: p + w].transpose(1, 0, 2, 3))

    def forward(self, x: Any, train: bool = False) -> tuple[Any, Any]:
        if x.ndim < 4 or x.shape[-3] != self.in_ch:
            raise ParameterError(
                f"Conv2d expects input of shape (..., {self.in_ch}, H, W); got {tuple(x.shape)}."
            )
        lead = x.shape[:-3]
        x4 = x.reshape(-1, *x.shape[-3:])
        cols, ho, wo = self._im2col(x4)
        W = self.params["W"]
        y = W.reshape(self.out_ch, -1) @ cols           # (O, M·ho·wo)
        if self.has_bias:
            y += self.params["b"][:, None]
        y = y.reshape(self.out_ch, x4.shape[0], ho, wo).transpose(1, 0, 2, 3)
        y = np.ascontiguousarray(y).reshape(*lead, self.out_ch, ho, wo)
        return y, ((cols, x4.shape, x.shape) if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        cols, x4shape, xshape = cache
        W = self.params["W"]
        ho, wo = gy.shape[-2:]
        gyt = np.ascontiguousarray(
            gy.reshape(-1, self.out_ch, ho, wo).transpose(1, 0, 2, 3)).reshape(self.out_ch, -1)
        grads = {"W": (gyt @ cols.T).reshape(W.shape)}
        if self.has_bias:
            grads["b"] = gyt.sum(axis=1)
        gx = None
        if need_gx:
            gcols = (W.reshape(self.out_ch, -1).T @ gyt).reshape(
                self.in_ch, self.kh, self.kw, x4shape[0], ho, wo)
            gx = self._col2im(gcols, x4shape, gy.dtype).reshape(xshape)
        return gx, grads


class _Pool:
    def __init__(self, kernel: int, stride: int | None = None) -> None:
        self.k = int(kernel)
        self.s = int(stride) if stride is not None else self.k
        if self.k < 1 or self.s < 1:
            raise ParameterError("Pooling kernel and stride must be >= 1.")
        self.params: dict[str, Any] = {}

    def _hw(self, h: int, w: int) -> tuple[int, int]:
        ho, wo = (h - self.k) // self.s + 1, (w - self.k) // self.s + 1
        if ho < 1 or wo < 1:
            raise ParameterError(f"Pooling kernel {self.k} larger than input {h}x{w}.")
        return ho, wo

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (in_shape[0], *self._hw(in_shape[1], in_shape[2]))

    def fanout(self, in_shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(in_shape)

    def macs(self, in_shape: tuple[int, ...]) -> int:
        return 0

    def _slices(self, ho: int, wo: int):
        s = self.s
        for i in range(self.k):
            for j in range(self.k):
                yield (Ellipsis, slice(i, i + s * (ho - 1) + 1, s),
                       slice(j, j + s * (wo - 1) + 1, s))


class AvgPool2d(_Pool):
    """Average pooling over ``k×k`` windows with stride ``s`` (default ``k``)."""

    kind = "avgpool"

    def forward(self, x: Any, train: bool = False) -> tuple[Any, Any]:
        ho, wo = self._hw(x.shape[-2], x.shape[-1])
        y = np.zeros((*x.shape[:-2], ho, wo), dtype=x.dtype)
        for sl in self._slices(ho, wo):
            y += x[sl]
        y *= x.dtype.type(1.0 / (self.k * self.k))
        return y, (x.shape if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        gx = np.zeros(cache, dtype=gy.dtype)
        g = gy * gy.dtype.type(1.0 / (self.k * self.k))
        for sl in self._slices(*gy.shape[-2:]):
            gx[sl] += g
        return gx, {}


class MaxPool2d(_Pool):
    """Max pooling over ``k×k`` windows with stride ``s`` (default ``k``)."""

    kind = "maxpool"

    def forward(self, x: Any, train: bool = False) -> tuple[Any, Any]:
        ho, wo = self._hw(x.shape[-2], x.shape[-1])
        y = np.full((*x.shape[:-2], ho, wo), -np.inf, dtype=x.dtype)
        arg = np.zeros(y.shape, dtype=np.int16) if train else None
        for n, sl in enumerate(self._slices(ho, wo)):
            if arg is not None:
                better = x[sl] > y
                arg[better] = n
            np.maximum(y, x[sl], out=y)
        return y, ((x.shape, arg) if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        shape, arg = cache
        gx = np.zeros(shape, dtype=gy.dtype)
        for n, sl in enumerate(self._slices(*gy.shape[-2:])):
            gx[sl] += np.where(arg == n, gy, 0)
        return gx, {}


class Flatten:
    """Flatten the trailing ``ndim`` feature axes (default 3: C, H, W)."""

    kind = "flatten"

    def __init__(self, ndim: int = 3) -> None:
        self.ndim = int(ndim)
        self.params: dict[str, Any] = {}

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (prod(in_shape[-self.ndim:]),)

    def fanout(self, in_shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(in_shape)

    def macs(self, in_shape: tuple[int, ...]) -> int:
        return 0

    def forward(self, x: Any, train: bool = False) -> tuple[Any, Any]:
        return x.reshape(*x.shape[: x.ndim - self.ndim], -1), (x.shape if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        return gy.reshape(cache), {}
