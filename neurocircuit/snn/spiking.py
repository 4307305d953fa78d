r"""Spiking (stateful) network nodes over whole sequences, with BPTT backward passes.

All nodes take a time-major sequence ``I`` of shape ``(T, *lead, n...)`` and return one of the same
shape. Equations (``g`` the surrogate derivative of :mod:`.surrogate`, ``x = u − θ``):

LIF node (soft reset): ``u[t] = β v[t−1] + I[t]`` (``v[−1] = v_init``, 0 by default),
``s[t] = H(u[t] − θ)``, ``v[t] = u[t] − θ s[t]``;
hard reset ``v[t] = u[t](1 − s[t]) + v_r s[t]``. The gradient flows through the reset:

``∂L/∂u[t] = g[t]·∂L/∂s[t] + c[t]·∂L/∂v[t]``, ``∂L/∂v[t] = β·∂L/∂u[t+1]``,
``c = 1 − θ g`` (soft) or ``(1 − s) + (v_r − u) g`` (hard); ``∂L/∂I[t] = ∂L/∂u[t]``,
``∂L/∂β = Σ_t ∂L/∂u[t]·v[t−1]``,
``∂L/∂θ = Σ_t −g ∂L/∂s + ∂L/∂v·(−s + θ g)`` (soft) or ``… + ∂L/∂v·(u − v_r) g`` (hard).

Signed LIF (``signed=True``, soft reset, inference only): besides ``s[t] = +1`` at
``u[t] ≥ θ`` it emits ``s[t] = −1`` when ``u[t] < 0`` while its running count
``c[t−1] = Σ_{t'<t} s[t']`` is positive, and ``v[t] = u[t] − θ s[t]``. For an IF neuron
(β = 1) ``v[t] + θ c[t] = v_init + Σ_{t'≤t} I[t']``, so at the end
``c = max(0, ⌊(v_init + Σ I)/θ⌋)`` whatever the order of the inputs (one spike per step at
most): the ReLU of the time-summed input. An unsigned IF neuron fed a non-stationary input
(positive early, negative late, e.g. an event stream from a moving sensor) fires early and
cannot take the spikes back. The negative spikes are events of the other polarity (as a DVS
emits OFF events); the next layer receives ``W s[t]`` with ``s ∈ {−1, 0, 1}``.

Readout (non-spiking leaky integrator): ``u[t] = β u[t−1] + I[t]`` (output ``u``).

RecurrentLIF: LIF with ``I[t] = x[t] Wᵀ + b + s[t−1] Rᵀ``; ``∂L/∂s[t]`` gains ``∂L/∂u[t+1] R``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from .layers import Dense, check_shape
from .neurons import LIFParams, run
from .surrogate import PRIMITIVES, get_surrogate
from .workspace import Workspace
from .workspace import empty as ws_empty

__all__ = ["LIF", "Readout", "RecurrentLIF", "Neuron"]

F32 = np.float32


class LIF:
    """LIF spiking node with optional trainable per-layer leak ``beta`` and threshold ``v_th``.

    ``beta`` and ``v_th`` may be scalars or arrays broadcasting over one step's state
    (e.g. ``(N, 1, n)`` per chip instance); trainable ones must be scalars. ``v_init`` is the
    membrane potential before the first step, ``v[−1]`` (0 by default; ``θ/2`` halves the
    quantisation error of converted networks, Bu et al. 2022). ``signed=True`` (soft reset,
    inference only) adds the negative spikes of the module equations.
    """

    kind = "lif"
    uses_workspace = True   # training forward/backward take ``ws`` (see :mod:`.workspace`)

    def __init__(self, beta: Any = 0.9, v_th: Any = 1.0, *, reset: str = "soft",
                 v_reset: float = 0.0, surrogate: str = "fast_sigmoid", slope: float = 1.0,
                 train_beta: bool = False, train_th: bool = False,
                 smooth: bool = False, v_init: float = 0.0, signed: bool = False,
                 dtype: Any = F32) -> None:
        LIFParams(beta=beta, v_th=v_th, v_reset=v_reset, reset=reset)  # validation
        if not np.isfinite(v_init):
            raise ParameterError(f"The 'v_init' parameter must be finite. Got {v_init!r} instead.")
        if signed and (reset != "soft" or train_beta or train_th):
            raise ParameterError("A signed LIF needs reset='soft' and is inference-only "
                                 "(no trainable beta or v_th).")
        self.signed = bool(signed)
        self.reset, self.v_reset, self.v_init = reset, float(v_reset), float(v_init)
        self.surrogate, self.slope = surrogate, float(slope)
        self._g = get_surrogate(surrogate)
        self.smooth = smooth  # verification only: S(u-θ) with S' = g instead of H(u-θ)
        self._prim = PRIMITIVES[surrogate]
        self.params: dict[str, Any] = {}
        self.fixed: dict[str, Any] = {}
        for name, val, tr in (("beta", beta, train_beta), ("v_th", v_th, train_th)):
            if tr:
                if np.ndim(val) != 0:
                    raise ParameterError(f"A trainable '{name}' must be a scalar per layer.")
                self.params[name] = np.asarray(val, dtype=dtype).reshape(())
            else:
                self.fixed[name] = val if np.ndim(val) == 0 else np.asarray(val, dtype=dtype)

    def value(self, name: str) -> Any:
        v = self.params.get(name, self.fixed.get(name))
        return float(v) if np.ndim(v) == 0 else v

    def neuron_params(self) -> LIFParams:
        return LIFParams(beta=self.value("beta"), v_th=self.value("v_th"), reset=self.reset,
                         v_reset=self.v_reset)

    def clamp(self) -> None:
        """Keep trainable values in range (0 ≤ β ≤ 1, θ ≥ 0.01) after an optimiser step."""
        if "beta" in self.params:
            np.clip(self.params["beta"], 0.0, 1.0, out=self.params["beta"])
        if "v_th" in self.params:
            np.maximum(self.params["v_th"], 0.01, out=self.params["v_th"])

    def forward(self, x: Any, train: bool = False, record_v: bool = False,
                ws: Workspace | None = None) -> tuple[Any, Any]:
        if not train:
            return self._infer(x, record_v)
        if self.signed:
            raise ParameterError("A signed LIF is inference-only; train the unsigned network.")
        beta, th = self.value("beta"), self.value("v_th")
        U = ws_empty(ws, self, "U", x.shape, x.dtype)
        S = ws_empty(ws, self, "S", x.shape, x.dtype)
        v = ws_empty(ws, self, "v", x.shape[1:], x.dtype)
        v.fill(self.v_init)
        self._train_loop(x, U, S, v, beta, th)
        return S, (U, S)

    def _train_loop(self, x: Any, U: Any, S: Any, v: Any, beta: Any, th: Any) -> None:
        """The training forward over time, writing ``U``, ``S`` and the state ``v``."""
        unit_beta = np.ndim(beta) == 0 and beta == 1.0
        unit_th = np.ndim(th) == 0 and th == 1.0
        soft = self.reset == "soft"
        for t in range(x.shape[0]):
            u = U[t]
            if unit_beta:
                np.add(v, x[t], out=u)
            else:
                np.multiply(v, beta, out=u)
                u += x[t]
            st = S[t]
            if self.smooth:
                st[...] = self._prim(u - th, self.slope)
            else:
                np.greater_equal(u, th, out=st, casting="unsafe")
            if soft:                       # v = u − θ s
                if unit_th:
                    np.subtract(u, st, out=v)
                else:
                    np.multiply(st, th, out=v)
                    np.subtract(u, v, out=v)
            else:
                np.multiply(u, 1 - st, out=v)
                if self.v_reset:
                    v += self.v_reset * st

    def _infer(self, x: Any, record_v: bool) -> tuple[Any, Any]:
        """Inference loop, in place on one state buffer (any array namespace)."""
        from .backend import array_namespace

        xp = array_namespace(x)
        if x.dtype != F32:
            x = x.astype(F32)
        beta, th = self.value("beta"), self.value("v_th")
        S = xp.empty(x.shape, dtype=F32)
        vrec = xp.empty(x.shape, dtype=F32) if record_v else None
        v = xp.full(x.shape[1:], self.v_init, dtype=F32)
        tmp = xp.empty(x.shape[1:], dtype=F32)
        unit_beta = np.ndim(beta) == 0 and beta == 1.0
        unit_th = np.ndim(th) == 0 and th == 1.0
        soft = self.reset == "soft"
        if self.signed:
            cnt = xp.zeros(x.shape[1:], dtype=F32)
            neg = xp.empty(x.shape[1:], dtype=bool)
        for t in range(x.shape[0]):
            if not unit_beta:
                xp.multiply(v, beta, out=v)
            xp.add(v, x[t], out=v)
            st = S[t]
            if self.signed:              # s = [u ≥ θ] − [u < 0 and c > 0];  v ← v − θ s
                xp.greater_equal(v, th, out=st, casting="unsafe")
                xp.less(v, 0.0, out=neg)
                neg &= cnt > 0
                xp.subtract(st, neg, out=st, casting="unsafe")
                cnt += st
                xp.multiply(st, th, out=tmp)
                xp.subtract(v, tmp, out=v)
                if vrec is not None:
                    vrec[t] = v
                continue
            xp.greater_equal(v, th, out=st, casting="unsafe")
            if soft:                       # v ← v − θ s
                if unit_th:
                    xp.subtract(v, st, out=v)
                else:
                    xp.multiply(st, th, out=tmp)
                    xp.subtract(v, tmp, out=v)
            else:                          # v ← v (1 − s) + v_r s
                xp.subtract(1.0, st, out=tmp)
                xp.multiply(v, tmp, out=v)
                if self.v_reset:
                    xp.multiply(st, self.v_reset, out=tmp)
                    xp.add(v, tmp, out=v)
            if vrec is not None:
                vrec[t] = v
        return S, vrec

    def backward(self, gs: Any, cache: Any, need_gx: bool = True,
                 ws: Workspace | None = None) -> tuple[Any, dict[str, Any]]:
        U, S = cache
        beta, th = self.value("beta"), self.value("v_th")
        if self.reset != "soft":
            return self._backward_hard(gs, U, S, beta, th)
        # soft reset: ∂L/∂u[t] = g (gs[t] − θ gv) + gv with gv = β ∂L/∂u[t+1], in place
        want_b, want_th = "beta" in self.params, "v_th" in self.params
        gU = ws_empty(ws, self, "gU", U.shape, U.dtype)
        g = ws_empty(ws, self, "g", U.shape[1:], U.dtype)
        tmp = ws_empty(ws, self, "tmp", U.shape[1:], U.dtype)
        gb, gth = self._soft_backward_loop(gs, U, S, gU, g, tmp, beta, th, want_b, want_th)
        return gU, self._pack(gb, gth, want_b, want_th, U.dtype)

    def _soft_backward_loop(self, gs: Any, U: Any, S: Any, gU: Any, g: Any, tmp: Any,
                            beta: Any, th: Any, want_b: bool, want_th: bool
                            ) -> tuple[float, float]:
        """Soft-reset backward over time into ``gU``; returns the (β, θ) gradient sums."""
        unit_beta = np.ndim(beta) == 0 and beta == 1.0
        unit_th = np.ndim(th) == 0 and th == 1.0
        gb = gth = 0.0
        for t in range(U.shape[0] - 1, -1, -1):
            np.subtract(U[t], th, out=g)
            self._g(g, self.slope, out=g)
            out = gU[t]
            if t == U.shape[0] - 1:
                np.multiply(g, gs[t], out=out)
                if want_th:
                    gth -= float(out.sum())
            else:
                gv = gU[t + 1] if unit_beta else np.multiply(gU[t + 1], beta, out=tmp)
                if unit_th:
                    np.subtract(gs[t], gv, out=out)
                else:
                    np.multiply(gv, -th, out=out)
                    out += gs[t]
                out *= g
                out += gv
                if want_th:   # Σ −g gs + gv (θ g − s) = Σ gv (1 − s) − Σ out
                    gth += float(gv.sum() - np.vdot(gv, S[t]) - out.sum())
            if want_b:        # Σ_t ∂L/∂u[t]·v[t−1], v[t−1] = u[t−1] − θ s[t−1] (v_init at t=0)
                if t > 0:
                    gb += float(np.vdot(out, U[t - 1]) - th * np.vdot(out, S[t - 1]))
                elif self.v_init:
                    gb += self.v_init * float(out.sum())
        return gb, gth

    def _pack(self, gb: float, gth: float, want_b: bool, want_th: bool, dtype: Any) -> dict:
        grads: dict[str, Any] = {}
        if want_b:
            grads["beta"] = np.asarray(gb, dtype=dtype)
        if want_th:
            grads["v_th"] = np.asarray(gth, dtype=dtype)
        return grads

    def _backward_hard(self, gs: Any, U: Any, S: Any, beta: Any, th: Any
                       ) -> tuple[Any, dict[str, Any]]:
        T = U.shape[0]
        gU = np.empty_like(U)
        gnext = np.zeros(U.shape[1:], dtype=U.dtype)   # ∂L/∂u[t+1]
        want_b, want_th = "beta" in self.params, "v_th" in self.params
        gb = gth = 0.0
        tmp = np.empty_like(gnext)
        for t in range(T - 1, -1, -1):
            u, s = U[t], S[t]
            np.subtract(u, th, out=tmp)
            g = self._g(tmp, self.slope)
            gv = gnext * beta   # ∂L/∂v[t]
            out = gU[t]
            c = (1 - s) + (self.v_reset - u) * g   # gu = g*gs + gv*((1-s) + (v_r-u) g)
            np.multiply(g, gs[t], out=out)
            out += gv * c
            if want_th:
                gth += float(np.sum(-g * gs[t] + gv * (u - self.v_reset) * g))
            if want_b and t > 0:
                vprev = U[t - 1] * (1 - S[t - 1]) + self.v_reset * S[t - 1]
                gb += float(np.sum(out * vprev))
            elif want_b and self.v_init:
                gb += self.v_init * float(np.sum(out))
            gnext = out
        return gU, self._pack(gb, gth, want_b, want_th, U.dtype)


class Readout:
    """Non-spiking leaky integrator ``u[t] = β u[t−1] + I[t]``; outputs the membrane."""

    kind = "readout"

    def __init__(self, beta: float = 1.0, *, train_beta: bool = False, dtype: Any = F32) -> None:
        if not 0.0 <= beta <= 1.0:
            raise ParameterError(f"Readout beta must be in [0, 1]. Got {beta!r} instead.")
        self.params: dict[str, Any] = {}
        self.fixed: dict[str, Any] = {}
        if train_beta:
            self.params["beta"] = np.asarray(beta, dtype=dtype).reshape(())
        else:
            self.fixed["beta"] = float(beta)

    def clamp(self) -> None:
        if "beta" in self.params:
            np.clip(self.params["beta"], 0.0, 1.0, out=self.params["beta"])

    def _beta(self) -> float:
        return float(self.params.get("beta", self.fixed.get("beta")))

    def forward(self, x: Any, train: bool = False, record_v: bool = False) -> tuple[Any, Any]:
        beta = self._beta()
        U = np.empty(x.shape, dtype=x.dtype)
        u = np.zeros(x.shape[1:], dtype=x.dtype)
        for t in range(x.shape[0]):
            np.multiply(u, beta, out=u)
            u += x[t]
            U[t] = u
        return U, (U if train else None)

    def backward(self, gy: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        U = cache
        beta = self._beta()
        gU = np.empty_like(gy)
        gnext = np.zeros(gy.shape[1:], dtype=gy.dtype)
        gb = 0.0
        for t in range(gy.shape[0] - 1, -1, -1):
            np.multiply(gnext, beta, out=gU[t])
            gU[t] += gy[t]
            gnext = gU[t]
            if t > 0 and "beta" in self.params:
                gb += float(np.sum(gnext * U[t - 1]))
        grads = {"beta": np.asarray(gb, dtype=gy.dtype)} if "beta" in self.params else {}
        return gU, grads


class RecurrentLIF:
    """Recurrent dense LIF layer: ``I[t] = x[t] Wᵀ + b + s[t−1] Rᵀ`` into a LIF neuron."""

    kind = "recurrent"

    def __init__(self, n_in: int, n_out: int, *, beta: float = 0.9, v_th: float = 1.0,
                 reset: str = "soft", surrogate: str = "fast_sigmoid", slope: float = 1.0,
                 rng: np.random.Generator | int | None = 0, rec_gain: float = 0.5,
                 dtype: Any = F32, smooth: bool = False) -> None:
        rng = np.random.default_rng(rng)
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.ff = Dense(n_in, n_out, rng=rng, dtype=dtype)
        lim = rec_gain / np.sqrt(n_out)
        self.params = {"W": self.ff.params["W"], "b": self.ff.params["b"],
                       "R": rng.uniform(-lim, lim, (n_out, n_out)).astype(dtype)}
        self.lif = LIF(beta, v_th, reset=reset, surrogate=surrogate, slope=slope, smooth=smooth,
                       dtype=dtype)

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.n_out,)

    def fanout(self, in_shape: tuple[int, ...]) -> np.ndarray:
        return np.full(in_shape, self.n_out, dtype=np.float64)

    def macs(self, in_shape: tuple[int, ...]) -> int:
        return self.n_in * self.n_out + self.n_out * self.n_out

    def forward(self, x: Any, train: bool = False, record_v: bool = False) -> tuple[Any, Any]:
        check_shape("RecurrentLIF", x, (self.n_in,))
        self.ff.params["W"], self.ff.params["b"] = self.params["W"], self.params["b"]
        I, ffc = self.ff.forward(x, train)
        beta, th = self.lif.value("beta"), self.lif.value("v_th")
        R = self.params["R"]
        U = np.empty(I.shape, dtype=I.dtype)
        S = np.zeros(I.shape, dtype=I.dtype)
        v = np.zeros(I.shape[1:], dtype=I.dtype)
        soft = self.lif.reset == "soft"
        for t in range(I.shape[0]):
            u = beta * v + I[t]
            if t > 0:
                u += S[t - 1] @ R.T
            U[t] = u
            S[t] = self.lif._prim(u - th, self.lif.slope) if self.lif.smooth else u >= th
            v = u - th * S[t] if soft else u * (1 - S[t])
        return S, ((ffc, U, S) if train else None)

    def backward(self, gs: Any, cache: Any, need_gx: bool = True) -> tuple[Any, dict[str, Any]]:
        ffc, U, S = cache
        R = self.params["R"]
        beta, th = self.lif.value("beta"), self.lif.value("v_th")
        soft = self.lif.reset == "soft"
        gU = np.empty_like(U)
        gnext = np.zeros(U.shape[1:], dtype=U.dtype)
        for t in range(U.shape[0] - 1, -1, -1):
            g = self.lif._g(U[t] - th, self.lif.slope)
            gst = gs[t] + gnext @ R
            gv = beta * gnext
            c = 1 - th * g if soft else (1 - S[t]) - U[t] * g
            gU[t] = g * gst + gv * c
            gnext = gU[t]
        gx, grads = self.ff.backward(gU, ffc, need_gx)
        n = self.n_out
        grads["R"] = gU[1:].reshape(-1, n).T @ S[:-1].reshape(-1, n)
        return gx, grads


class Neuron:
    """Inference-only node for any neuron model of the protocol in :mod:`.neurons`."""

    kind = "neuron"

    def __init__(self, params: Any, dt: float = 1.0) -> None:
        self.neuron, self.dt = params, float(dt)
        self.params: dict[str, Any] = {}

    def forward(self, x: Any, train: bool = False, record_v: bool = False) -> tuple[Any, Any]:
        if train:
            raise ParameterError(
                f"{type(self.neuron).__name__} has no surrogate backward pass; train with LIF "
                "nodes and swap the neuron model in for inference."
            )
        s, vrec, _ = run(self.neuron, x, self.dt, record_v=record_v)
        return s, vrec
