r"""DECOLLE: deep continuous local learning (Kaiser, Mostafa & Neftci, Front. Neurosci. 2020).

Every layer :math:`l` is a layer of LIF neurons with synaptic and refractory traces

.. math::

    Q_t &= \beta Q_{t-1} + (1-\beta)\,S^{l-1}_t, \qquad
    P_t = \alpha P_{t-1} + (1-\alpha)\,Q_{t-1}, \\
    R_t &= \gamma R_{t-1} + (1-\gamma)\,S^l_{t-1}, \qquad
    U_t = P_t W_l^\top + b_l - \rho R_t, \qquad S^l_t = H(U_t),

and a **fixed random readout** :math:`y^l_t = (S^l_t \odot M^l_t) G_l^\top` with its own local loss
:math:`\mathcal L^l = \frac1{T'}\sum_{t>t_0} \mathrm{CE}(\mathrm{softmax}(y^l_t), y^*)`.
Weights learn from local quantities only — the readout error, the surrogate derivative and the
presynaptic trace (an eligibility trace):

.. math::

    \nabla_{W_l}\mathcal L^l = \sum_t \bigl[(\pi^l_t - y^*) G_l \odot g(U_t)\bigr]^\top P_t .

:math:`M^l_t` is a dropout mask (entries 0 with probability ``dropout``, else
:math:`1/(1-p)`), drawn while training as in Kaiser et al.'s code; 1 when evaluating.
No error crosses layers (the input of layer :math:`l` is treated as a constant) and no gradient
flows through the refractory trace, so all layers learn in parallel, online.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError
from ...units import param, validate
from ..surrogate import PRIMITIVES, get_surrogate

__all__ = ["DecolleParams", "DecolleNet", "init_net", "run", "local_grads", "train", "predict"]


@dataclass(frozen=True)
class DecolleParams:
    alpha: float = param(0.9, unit="", doc="P (membrane) trace decay per step", ge=0, lt=1)
    beta: float = param(0.85, unit="", doc="Q (synaptic) trace decay per step", ge=0, lt=1)
    gamma: float = param(0.9, unit="", doc="refractory trace decay per step", ge=0, lt=1)
    rho: float = param(2.0, unit="", doc="refractory strength", ge=0)
    surrogate: str = param("fast_sigmoid", doc="surrogate",
                           choices=("fast_sigmoid", "arctan", "sigmoid", "triangle", "gaussian"))
    slope: float = param(1.0, unit="", doc="surrogate sharpness", gt=0)
    burn_in: int = param(2, unit="steps", doc="steps without loss at the start", ge=0)
    dropout: float = param(0.0, unit="", doc="readout dropout probability (training only)",
                           ge=0, lt=1)

    def __post_init__(self) -> None:
        validate(self)


@dataclass
class DecolleNet:
    weights: list  # W_l (n_l, n_{l-1})
    biases: list
    readouts: list  # fixed G_l (n_classes, n_l)

    def items(self):
        out = []
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            out += [(f"w{i}", w), (f"b{i}", b)]
        return out


def init_net(sizes: list[int], n_classes: int, rng: np.random.Generator,
             gain: float = 1.0, readout_gain: float = 1.0, dtype=np.float64) -> DecolleNet:
    """``sizes = [n_in, n_1, ..., n_L]``; readouts are fixed uniform random matrices.

    ``dtype`` (float64 or float32) is the precision every run of the network computes in.
    """
    ws, bs, gs = [], [], []
    for n_prev, n in zip(sizes[:-1], sizes[1:]):
        lim = gain * np.sqrt(3.0 / n_prev) * 4.0
        ws.append(rng.uniform(-lim, lim, (n, n_prev)).astype(dtype))
        bs.append(np.zeros(n, dtype))
        gl = readout_gain / np.sqrt(n)
        gs.append(rng.uniform(-gl, gl, (n_classes, n)).astype(dtype))
    return DecolleNet(ws, bs, gs)


def run(net: DecolleNet, x: np.ndarray, params: DecolleParams, target=None,
        smooth: bool = False, want_grads: bool = False, rng=None):
    """Run ``x`` ``(T, B, n_in)``; returns ``(readouts per layer (T, B, C) list, losses,
    grads)``; losses and grads need ``target``. Readout dropout is applied only when an
    ``rng`` is given (training) and ``params.dropout > 0``."""
    if x.ndim != 3 or x.shape[2] != net.weights[0].shape[1]:
        raise ParameterError(
            f"DECOLLE input must be shaped (T, batch, {net.weights[0].shape[1]}); "
            f"got {tuple(x.shape)}."
        )
    g = get_surrogate(params.surrogate)
    prim = PRIMITIVES[params.surrogate]
    dt_ = net.weights[0].dtype
    x = np.asarray(x, dtype=dt_)
    T, B, _ = x.shape
    L = len(net.weights)
    C = net.readouts[0].shape[0]
    P = [np.zeros((B, w.shape[1]), dt_) for w in net.weights]
    Q = [np.zeros((B, w.shape[1]), dt_) for w in net.weights]
    R = [np.zeros((B, w.shape[0]), dt_) for w in net.weights]
    S_prev = [np.zeros((B, w.shape[0]), dt_) for w in net.weights]
    ys = [np.zeros((T, B, C), dt_) for _ in range(L)]
    grads = [[np.zeros_like(w), np.zeros_like(b)] for w, b in zip(net.weights, net.biases)]
    losses = np.zeros(L)
    n_loss = max(T - params.burn_in, 1)
    onehot = None if target is None else np.eye(C, dtype=dt_)[target]
    drop = params.dropout > 0 and rng is not None
    keep = 1.0 / (1.0 - params.dropout)
    for t in range(T):
        inp = x[t]
        for l_ in range(L):
            P[l_] = params.alpha * P[l_] + (1 - params.alpha) * Q[l_]
            Q[l_] = params.beta * Q[l_] + (1 - params.beta) * inp
            R[l_] = params.gamma * R[l_] + (1 - params.gamma) * S_prev[l_]
            U = P[l_] @ net.weights[l_].T + net.biases[l_] - params.rho * R[l_]
            S = prim(U, params.slope) if smooth else (U >= 0).astype(dt_)
            if drop:
                mask = (rng.random(S.shape) >= params.dropout).astype(dt_)
                mask *= keep
                y = (S * mask) @ net.readouts[l_].T
            else:
                y = S @ net.readouts[l_].T
            ys[l_][t] = y
            if onehot is not None and t >= params.burn_in:
                m = y - y.max(axis=1, keepdims=True)
                p = np.exp(m)
                z = p.sum(axis=1, keepdims=True)
                p /= z
                logp = m - np.log(z)  # log-softmax, exact for any dtype
                losses[l_] += -np.mean(np.sum(onehot * logp, axis=1)) / n_loss
                if want_grads:
                    dy = (p - onehot) / (B * n_loss)
                    dS = dy @ net.readouts[l_]
                    if drop:
                        dS *= mask
                    dU = dS * g(U, params.slope)
                    grads[l_][0] += dU.T @ P[l_]
                    grads[l_][1] += dU.sum(axis=0)
            S_prev[l_] = S
            inp = (U >= 0).astype(dt_) if smooth else S  # next layer sees spikes
    return ys, losses, grads


def local_grads(net: DecolleNet, x, target, params: DecolleParams, smooth: bool = False,
                rng=None):
    """Per-layer local losses and their gradients ``[[dW, db], ...]`` (``rng``: dropout)."""
    _, losses, grads = run(net, x, params, target, smooth=smooth, want_grads=True, rng=rng)
    return losses, grads


def predict(net: DecolleNet, x: np.ndarray, params: DecolleParams, layer: int = -1):
    ys, _, _ = run(net, x, params)
    return np.argmax(ys[layer][params.burn_in :].sum(axis=0), axis=1)


def train(net: DecolleNet, x, y, params: DecolleParams, *, epochs: int, rng, batch: int = 64,
          lr: float = 1e-3, encode=None, progress: bool = False, lr_decay: float = 1.0,
          weight_decay: float = 0.0, on_epoch=None) -> list:
    """Adam on every layer's local loss. ``x``: ``(N, features)`` analog in [0, 1] with
    ``encode(xb, rng) -> (T, B, features)`` spikes, or already ``(T, N, features)``.

    The learning rate is multiplied by ``lr_decay`` after every epoch (``η_e = η·decay^e``);
    ``weight_decay`` is Adam's L2 term; ``on_epoch(epoch, net)`` is called after every epoch
    (e.g. to log a validation accuracy). Returns the mean local losses of every epoch.
    """
    from tqdm.auto import tqdm

    from ..optim import Adam

    opt = Adam(net.items(), lr=lr, weight_decay=weight_decay)
    hist = []
    n = x.shape[0] if encode is not None else x.shape[1]
    for epoch in tqdm(range(epochs), disable=not progress, desc="DECOLLE"):
        order = rng.permutation(n)
        tot = np.zeros(len(net.weights))
        for s in range(0, n, batch):
            idx = order[s : s + batch]
            xb = encode(x[idx], rng) if encode is not None else x[:, idx]
            losses, grads = local_grads(net, xb, y[idx], params,
                                        rng=rng if params.dropout > 0 else None)
            opt.step([a for pair in grads for a in pair])
            tot += losses * len(idx)
        hist.append((tot / n).tolist())
        opt.lr *= lr_decay
        if on_epoch is not None:
            on_epoch(epoch, net)
    return hist
