r"""Recurrent spiking network (LIF / adaptive LIF) trained by BPTT or by e-prop.

Dynamics per step :math:`t` (batch rows, neurons :math:`j`):

.. math::

    I_t &= x_t W_{in}^\top + z_{t-1} W_{rec}^\top \\
    a_t &= \rho\,a_{t-1} + z_{t-1} \\
    v_t &= \alpha\,v_{t-1} + I_t - v_{th}\,z_{t-1} \qquad\text{(soft reset)} \\
    A_t &= v_{th} + \beta\,a_t, \qquad z_t = H\!\left(\frac{v_t - A_t}{v_{th}}\right) \\
    y_t &= \kappa\,y_{t-1} + z_t W_{out}^\top + b

with :math:`\beta = 0` for plain LIF. The pseudo-derivative is
:math:`\psi_t = g((v_t - A_t)/v_{th})/v_{th}` with a surrogate :math:`g`. The loss is the
cross-entropy of the time-averaged readout :math:`\bar y = \frac1T\sum_t y_t`.

**BPTT** back-propagates through every path (recurrence, reset, adaptation), optionally with the
reset detached. **e-prop** (Bellec et al., Nat. Commun. 2020) replaces the back-propagated
error by an online learning signal :math:`L_t = \delta_t B` (:math:`\delta_t` the readout error,
:math:`B = W_{out}` for symmetric or a fixed random matrix for random feedback) and the
eligibility trace of each synapse, computed forward in time:

.. math::

    \epsilon^v_t &= \alpha\,\epsilon^v_{t-1} + pre_t, \qquad
    \epsilon^a_t = \psi_{t-1}\,\epsilon^v_{t-1} + (\rho - \beta\psi_{t-1})\,\epsilon^a_{t-1} \\
    e_t &= \psi_t\,(\epsilon^v_t - \beta\,\epsilon^a_t), \qquad
    \bar e_t = \kappa\,\bar e_{t-1} + e_t, \qquad
    \nabla W \approx \textstyle\sum_t L_t \cdot \bar e_t

(:math:`pre_t = x_t` for input weights, :math:`z_{t-1}` for recurrent weights; the reset is
ignored in the traces, as in the paper). Without recurrent weights e-prop equals BPTT with the
reset detached — a test checks this to machine precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..units import param, validate
from .surrogate import PRIMITIVES, get_surrogate

__all__ = [
    "RSNNParams",
    "RSNNWeights",
    "init_weights",
    "forward",
    "bptt_grad",
    "eprop_grad",
    "predict",
    "train",
]


@dataclass(frozen=True)
class RSNNParams:
    n_in: int = param(64, unit="", doc="inputs", gt=0)
    n_hidden: int = param(100, unit="", doc="recurrent neurons", gt=0)
    n_out: int = param(10, unit="", doc="readout units", gt=0)
    alpha: float = param(0.95, unit="", doc="membrane decay per step exp(-dt/τ_m)", gt=0, le=1)
    rho: float = param(0.99, unit="", doc="adaptation decay per step", ge=0, le=1)
    beta: float = param(0.0, unit="", doc="adaptation strength (0: LIF)", ge=0)
    v_th: float = param(1.0, unit="", doc="threshold", gt=0)
    kappa: float = param(0.9, unit="", doc="readout decay per step", ge=0, le=1)
    surrogate: str = param("fast_sigmoid", doc="pseudo-derivative",
                           choices=("fast_sigmoid", "arctan", "sigmoid", "triangle", "gaussian"))
    slope: float = param(1.0, unit="", doc="surrogate sharpness", gt=0)
    detach_reset: bool = False

    def __post_init__(self) -> None:
        validate(self)


@dataclass
class RSNNWeights:
    w_in: np.ndarray  # (n_hidden, n_in)
    w_rec: np.ndarray  # (n_hidden, n_hidden), zero diagonal
    w_out: np.ndarray  # (n_out, n_hidden)
    b_out: np.ndarray  # (n_out,)

    def items(self):
        return [("w_in", self.w_in), ("w_rec", self.w_rec), ("w_out", self.w_out),
                ("b_out", self.b_out)]


def init_weights(params: RSNNParams, rng: np.random.Generator, recurrent: bool = True,
                 scale_in: float = 1.0) -> RSNNWeights:
    n, ni, no = params.n_hidden, params.n_in, params.n_out
    w_rec = rng.normal(0, 1 / np.sqrt(n), (n, n)) if recurrent else np.zeros((n, n))
    np.fill_diagonal(w_rec, 0.0)
    return RSNNWeights(
        w_in=rng.normal(0, scale_in / np.sqrt(ni), (n, ni)),
        w_rec=w_rec,
        w_out=rng.normal(0, 1 / np.sqrt(n), (no, n)),
        b_out=np.zeros(no),
    )


def forward(w: RSNNWeights, x: np.ndarray, params: RSNNParams, smooth: bool = False) -> dict:
    """Run ``x`` ``(T, B, n_in)``; returns the trajectories needed by the gradients.

    ``smooth=True`` uses the surrogate's primitive instead of the step (so that the surrogate
    gradient is the exact gradient; used by the finite-difference checks).
    """
    if x.ndim != 3 or x.shape[2] != params.n_in:
        raise ParameterError(
            f"RSNN input must be shaped (T, batch, {params.n_in}); got {tuple(x.shape)}."
        )
    g = get_surrogate(params.surrogate)
    prim = PRIMITIVES[params.surrogate]
    T, B, _ = x.shape
    n = params.n_hidden
    v = np.zeros((T, B, n))
    a = np.zeros((T, B, n))
    z = np.zeros((T, B, n))
    psi = np.zeros((T, B, n))
    y = np.zeros((T, B, params.n_out))
    v_prev = np.zeros((B, n))
    a_prev = np.zeros((B, n))
    z_prev = np.zeros((B, n))
    y_prev = np.zeros((B, params.n_out))
    ix = x @ w.w_in.T
    for t in range(T):
        a_t = params.rho * a_prev + z_prev
        v_t = params.alpha * v_prev + ix[t] + z_prev @ w.w_rec.T - params.v_th * z_prev
        xs = (v_t - params.v_th - params.beta * a_t) / params.v_th
        z_t = prim(xs, params.slope) if smooth else (xs >= 0).astype(float)
        psi[t] = g(xs, params.slope) / params.v_th
        y_t = params.kappa * y_prev + z_t @ w.w_out.T + w.b_out
        v[t], a[t], z[t], y[t] = v_t, a_t, z_t, y_t
        v_prev, a_prev, z_prev, y_prev = v_t, a_t, z_t, y_t
    return {"x": x, "v": v, "a": a, "z": z, "psi": psi, "y": y}


def _loss(cache: dict, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of the mean readout; returns (loss, dL/dlogits)."""
    logits = cache["y"].mean(axis=0)
    m = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(m)
    p /= p.sum(axis=1, keepdims=True)
    B = logits.shape[0]
    loss = float(-np.mean(np.log(p[np.arange(B), target] + 1e-300)))
    d = p.copy()
    d[np.arange(B), target] -= 1.0
    return loss, d / B


def predict(w: RSNNWeights, x: np.ndarray, params: RSNNParams) -> np.ndarray:
    return np.argmax(forward(w, x, params)["y"].mean(axis=0), axis=1)


def bptt_grad(w: RSNNWeights, x, target, params: RSNNParams, smooth: bool = False):
    """Loss and exact surrogate gradients ``{name: array}`` by back-propagation through time."""
    c = forward(w, x, params, smooth)
    loss, dlog = _loss(c, target)
    T = x.shape[0]
    z, psi = c["z"], c["psi"]
    g = {k: np.zeros_like(v) for k, v in w.items()}
    dy_direct = dlog / T
    dY = np.zeros_like(dlog)
    dv_next = np.zeros_like(z[0])
    da_next = np.zeros_like(z[0])
    reset = 0.0 if params.detach_reset else params.v_th
    for t in range(T - 1, -1, -1):
        dY = dy_direct + params.kappa * dY
        g["w_out"] += dY.T @ z[t]
        g["b_out"] += dY.sum(axis=0)
        dz = dY @ w.w_out
        if t + 1 < T:
            dz += dv_next @ w.w_rec - reset * dv_next + da_next
        dv = dz * psi[t] + params.alpha * dv_next
        da = -params.beta * psi[t] * dz + params.rho * da_next
        g["w_in"] += dv.T @ x[t]
        if t > 0:
            g["w_rec"] += dv.T @ z[t - 1]
        dv_next, da_next = dv, da
    np.fill_diagonal(g["w_rec"], 0.0)
    return loss, g


def eprop_grad(w: RSNNWeights, x, target, params: RSNNParams, feedback: np.ndarray | None = None):
    """Loss and e-prop gradients. ``feedback`` ``(n_out, n_hidden)``: None → symmetric (W_out).

    The learning signal uses the readout error of the time-averaged loss, which for this loss
    is the same at every step; the eligibility traces are computed forward in time.
    """
    c = forward(w, x, params)
    loss, dlog = _loss(c, target)
    T, B, _ = x.shape
    n = params.n_hidden
    z, psi = c["z"], c["psi"]
    fb = w.w_out if feedback is None else feedback
    g = {k: np.zeros_like(v) for k, v in w.items()}
    delta = dlog / T
    L = delta @ fb  # (B, n): learning signal, constant in t here
    Y = np.zeros_like(delta)
    for t in range(T - 1, -1, -1):  # readout weights: exact local gradient
        Y = delta + params.kappa * Y
        g["w_out"] += Y.T @ z[t]
        g["b_out"] += Y.sum(axis=0)
    # With a loss on the time-averaged readout, L_t = L is the same at every step, so
    # Σ_t L·ē_t = Σ_s c_s L·e_s with c_s = Σ_{t≥s} κ^{t−s} (exact, no (B, n, n_pre) ē needed).
    c = np.array([np.sum(params.kappa ** np.arange(T - s)) for s in range(T)])
    adaptive = params.beta > 0
    zero = np.zeros((B, n))
    for name in ("w_in", "w_rec"):
        n_pre = x.shape[2] if name == "w_in" else n
        ev = np.zeros((B, n_pre))
        ea = np.zeros((B, n, n_pre)) if adaptive else None
        acc = np.zeros((n, n_pre))
        psi_prev = np.zeros((B, n))
        for t in range(T):
            if adaptive:  # ε^a_t from ψ_{t-1}, ε^v_{t-1}
                ea = psi_prev[:, :, None] * ev[:, None, :] + (
                    params.rho - params.beta * psi_prev
                )[:, :, None] * ea
            pre = x[t] if name == "w_in" else (z[t - 1] if t > 0 else zero)
            ev = params.alpha * ev + pre
            lpsi = c[t] * L * psi[t]
            acc += lpsi.T @ ev
            if adaptive:
                acc -= params.beta * np.einsum("bj,bji->ji", lpsi, ea)
            psi_prev = psi[t]
        g[name] = acc
    np.fill_diagonal(g["w_rec"], 0.0)
    return loss, g


def train(w: RSNNWeights, x, y, params: RSNNParams, *, method: str = "bptt", epochs: int = 10,
          batch: int = 32, lr: float = 1e-3, rng: np.random.Generator, feedback=None,
          progress: bool = False) -> list[float]:
    """Adam training with BPTT or e-prop; ``x`` ``(T, N, n_in)``, ``y`` ``(N,)``. Returns the
    mean loss of each epoch."""
    from tqdm.auto import tqdm

    from .optim import Adam

    if method not in ("bptt", "eprop"):
        raise ParameterError(f"Unknown method {method!r}. Valid: 'bptt', 'eprop'.")
    opt = Adam(w.items(), lr=lr)
    losses = []
    for _ in tqdm(range(epochs), disable=not progress, desc=f"RSNN {method}"):
        order = rng.permutation(x.shape[1])
        tot = 0.0
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            if method == "bptt":
                loss, g = bptt_grad(w, x[:, idx], y[idx], params)
            else:
                loss, g = eprop_grad(w, x[:, idx], y[idx], params, feedback)
            opt.step([g[k] for k, _ in w.items()])
            tot += loss * len(idx)
        losses.append(tot / x.shape[1])
    return losses
