r"""Spiking LSTM (after Lotfi Rezaabad & Vishwanath 2020) trained by surrogate-gradient BPTT.

Layer :math:`l` (hidden size :math:`H`, batch rows) at step :math:`t`, input :math:`u_t` — the
analog row of pixels for the first layer, the spikes :math:`s^{l-1}_t` of the layer below
otherwise — and its own spikes of the previous step as recurrent input:

.. math::

    a_t &= u_t W^\top + s_{t-1} R^\top + b
        = [a^i_t, a^f_t, a^g_t, a^o_t] \qquad (W: 4H{\times}n_{in},\ R: 4H{\times}H) \\
    i_t &= \sigma(a^i_t),\quad f_t = \sigma(a^f_t),\quad g_t = \tanh(a^g_t),
        \quad o_t = \sigma(a^o_t) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \qquad\text{(analog cell state, the memory)} \\
    h_t &= o_t \odot \tanh(c_t), \qquad s_t = H(h_t - \theta) \in \{0, 1\}

with :math:`c_{-1} = 0`, :math:`s_{-1} = 0`. Only spikes leave a layer: the recurrent input,
the next layer's input and the readout all see :math:`s_t`. The readout is a leaky integrator
of the last layer's spikes, :math:`r_t = \kappa\,r_{t-1} + s^L_t`, read as
:math:`\bar r = \frac1T\sum_t r_t` (``readout="mean"``) or :math:`\bar r = r_{T-1}`
(``readout="last"``); both are a weighted spike count :math:`\bar r = \sum_t w_t s^L_t` with
:math:`w_t = \frac1T\sum_{t'=t}^{T-1}\kappa^{t'-t}` or :math:`w_t = \kappa^{T-1-t}`. Logits
:math:`z = \bar r V^\top + c`; loss: mean cross-entropy.

Backward (BPTT over all steps, every path): the spike derivative is replaced by a surrogate
:math:`\partial s_t/\partial h_t \approx \psi_t = g(h_t - \theta;\,k)` (``surrogate``, slope
:math:`k`), then, from :math:`t = T-1` down to 0,

.. math::

    \delta s_t &= \partial L/\partial s_t|_{\text{readout or layer above}}
        + \delta a_{t+1} R, \qquad \delta h_t = \psi_t\,\delta s_t \\
    \delta c_t &= \delta h_t\,o_t\,(1 - \tanh^2 c_t) + f_{t+1}\,\delta c_{t+1} \\
    \delta a_t &= [\delta c_t\,g_t\,i_t(1-i_t),\ \delta c_t\,c_{t-1}\,f_t(1-f_t),\
        \delta c_t\,i_t\,(1-g_t^2),\ \delta h_t\tanh(c_t)\,o_t(1-o_t)]

and :math:`\nabla W = \sum_t \delta a_t^\top u_t`, :math:`\nabla R = \sum_t \delta a_t^\top
s_{t-1}`, :math:`\nabla b = \sum_t \delta a_t`, :math:`\delta u_t = \delta a_t W` (the
spike gradient of the layer below); the weight sums are one matmul each over all steps.
``smooth=True`` runs the forward pass with the surrogate's primitive :math:`S` (:math:`S' = g`)
instead of :math:`H`, making the backward pass the exact gradient (finite-difference checks).
Computation runs in the dtype of the weights (float64 for checks, float32 for training).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..units import param, validate
from .surrogate import PRIMITIVES, get_surrogate

__all__ = [
    "SLSTMParams",
    "SLSTMWeights",
    "init_weights",
    "forward",
    "loss_and_grad",
    "predict",
    "evaluate",
    "train",
]

_SURROGATE_NAMES = ("fast_sigmoid", "arctan", "sigmoid", "triangle", "gaussian")


@dataclass(frozen=True)
class SLSTMParams:
    """Shape and neuron parameters of a (stacked) spiking LSTM."""

    n_in: int = param(28, unit="", doc="inputs per step", gt=0)
    n_hidden: int = param(128, unit="", doc="LSTM units per layer", gt=0)
    n_out: int = param(10, unit="", doc="classes", gt=0)
    n_layers: int = param(1, unit="", doc="stacked spiking LSTM layers", ge=1, le=4)
    theta: float = param(0.1, unit="", doc="spike threshold on h = o·tanh(c)", gt=-1, lt=1)
    kappa: float = param(0.9, unit="", doc="readout leak per step", ge=0, le=1)
    readout: str = param("mean", doc="read the leaky integrator's time mean or last value",
                         choices=("mean", "last"))
    surrogate: str = param("fast_sigmoid", doc="pseudo-derivative", choices=_SURROGATE_NAMES)
    slope: float = param(5.0, unit="", doc="surrogate sharpness k", gt=0)
    forget_bias: float = param(1.0, unit="", doc="initial forget-gate bias")

    def __post_init__(self) -> None:
        validate(self)


@dataclass
class SLSTMWeights:
    """Per-layer ``w_in`` (4H, n_in), ``w_rec`` (4H, H), ``b`` (4H,) — gate order i, f, g, o —
    and the readout ``w_out`` (n_out, H), ``b_out`` (n_out,)."""

    layers: list[dict[str, np.ndarray]] = field(default_factory=list)
    w_out: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    b_out: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def items(self) -> list[tuple[str, np.ndarray]]:
        """Flat ``[(name, array)]`` list (``l0.w_in``, ..., ``w_out``, ``b_out``)."""
        out = [(f"l{i}.{k}", lay[k]) for i, lay in enumerate(self.layers)
               for k in ("w_in", "w_rec", "b")]
        return out + [("w_out", self.w_out), ("b_out", self.b_out)]


def init_weights(params: SLSTMParams, rng: np.random.Generator,
                 dtype: type = np.float64) -> SLSTMWeights:
    """Uniform ``±1/√H`` weights (as common LSTM practice), forget-gate bias ``forget_bias``.

    Parameters
    ----------
    params : SLSTMParams
    rng : numpy.random.Generator
    dtype : numpy dtype
        float64 for gradient checks, float32 for training speed.
    """
    H = params.n_hidden
    a = 1.0 / np.sqrt(H)
    layers = []
    for li in range(params.n_layers):
        n_in = params.n_in if li == 0 else H
        b = rng.uniform(-a, a, 4 * H)
        b[H:2 * H] += params.forget_bias
        layers.append({
            "w_in": rng.uniform(-a, a, (4 * H, n_in)).astype(dtype),
            "w_rec": rng.uniform(-a, a, (4 * H, H)).astype(dtype),
            "b": b.astype(dtype),
        })
    return SLSTMWeights(layers=layers,
                        w_out=rng.uniform(-a, a, (params.n_out, H)).astype(dtype),
                        b_out=np.zeros(params.n_out, dtype=dtype))


def _check(w: SLSTMWeights, x: np.ndarray, params: SLSTMParams) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.shape[2] != params.n_in:
        shape = tuple(np.shape(x))
        raise ParameterError(
            f"Spiking-LSTM input must be shaped (T, batch, {params.n_in}); got {shape}."
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ParameterError(f"Spiking-LSTM input has an empty axis: {tuple(x.shape)}.")
    H = params.n_hidden
    if len(w.layers) != params.n_layers:
        raise ParameterError(f"Weights have {len(w.layers)} layers; params say "
                             f"n_layers={params.n_layers}.")
    for li, lay in enumerate(w.layers):
        n_in = params.n_in if li == 0 else H
        want = {"w_in": (4 * H, n_in), "w_rec": (4 * H, H), "b": (4 * H,)}
        for k, shp in want.items():
            if k not in lay or lay[k].shape != shp:
                got = lay[k].shape if k in lay else None
                raise ParameterError(f"Weight l{li}.{k} must be shaped {shp}; got {got}.")
    if w.w_out.shape != (params.n_out, H) or w.b_out.shape != (params.n_out,):
        raise ParameterError(f"Readout must be shaped ({params.n_out}, {H}) and "
                             f"({params.n_out},); got {w.w_out.shape} and {w.b_out.shape}.")


def _readout_weights(T: int, params: SLSTMParams, dtype) -> np.ndarray:
    k = params.kappa ** np.arange(T, dtype=np.float64)  # κ^0 .. κ^{T-1}
    if params.readout == "last":
        w = k[::-1]
    else:  # (1/T) Σ_{t'≥t} κ^{t'-t} = (1/T) Σ_{j<T-t} κ^j
        w = np.cumsum(k)[::-1] / T
    return w.astype(dtype)


def _sig(x: np.ndarray) -> np.ndarray:
    # σ(x) = (1 + tanh(x/2)) / 2: stable for any x, no overflow warnings
    y = np.tanh(0.5 * x)
    y += 1.0
    y *= 0.5
    return y


def _layer_forward(lay: dict, u: np.ndarray, params: SLSTMParams, smooth: bool) -> dict:
    T, B, n_in = u.shape
    H = params.n_hidden
    dt = lay["w_in"].dtype
    prim = PRIMITIVES[params.surrogate]
    g_fn = get_surrogate(params.surrogate)
    # input projection of all steps in one matmul
    A = (u.reshape(T * B, n_in) @ lay["w_in"].T).reshape(T, B, 4 * H)
    A += lay["b"]
    G = np.empty((T, B, 4 * H), dtype=dt)  # activated gates i, f, g, o
    C = np.empty((T, B, H), dtype=dt)
    S = np.empty((T, B, H), dtype=dt)
    X = np.empty((T, B, H), dtype=dt)  # h - θ
    rt = lay["w_rec"].T
    c = np.zeros((B, H), dtype=dt)
    for t in range(T):
        a = A[t]
        if t > 0:
            a = a + S[t - 1] @ rt
        gt = G[t]
        gt[:, :2 * H] = _sig(a[:, :2 * H])
        np.tanh(a[:, 2 * H:3 * H], out=gt[:, 2 * H:3 * H])
        gt[:, 3 * H:] = _sig(a[:, 3 * H:])
        c = gt[:, H:2 * H] * c
        c += gt[:, :H] * gt[:, 2 * H:3 * H]
        C[t] = c
        x = np.tanh(c)
        x *= gt[:, 3 * H:]
        x -= params.theta
        X[t] = x
        if smooth:
            S[t] = prim(x, params.slope)
        else:
            np.greater_equal(x, 0.0, out=S[t])
    psi = g_fn(X, params.slope).astype(dt, copy=False)
    return {"u": u, "G": G, "C": C, "S": S, "psi": psi}


def forward(w: SLSTMWeights, x: np.ndarray, params: SLSTMParams, smooth: bool = False) -> dict:
    """Run ``x`` ``(T, B, n_in)`` through all layers.

    Returns
    -------
    dict
        ``layers`` (per layer: input ``u``, gates ``G`` (T, B, 4H), cells ``C``, spikes ``S``,
        surrogate ``psi``), ``r`` (B, H) the weighted spike count, ``logits`` (B, n_out),
        ``spikes`` (B,) hidden spikes per sample over all layers and steps.
    """
    _check(w, x, params)
    dt = w.w_out.dtype
    u = np.asarray(x, dtype=dt)
    caches = []
    for lay in w.layers:
        c = _layer_forward(lay, u, params, smooth)
        caches.append(c)
        u = c["S"]
    wt = _readout_weights(x.shape[0], params, dt)
    r = np.tensordot(wt, u, axes=(0, 0))
    logits = r @ w.w_out.T + w.b_out
    spikes = sum(c["S"].sum(axis=(0, 2)) for c in caches)
    return {"layers": caches, "r": r, "wt": wt, "logits": logits, "spikes": spikes}


def _check_targets(y: np.ndarray, B: int, n_out: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (B,) or not np.issubdtype(y.dtype, np.integer):
        raise ParameterError(f"Targets must be integers shaped ({B},); got {y.dtype} {y.shape}.")
    if y.size and (y.min() < 0 or y.max() >= n_out):
        raise ParameterError(f"Targets must lie in [0, {n_out}); got {y.min()}..{y.max()}.")
    return y


def _layer_backward(lay: dict, c: dict, dS: np.ndarray, H: int, need_du: bool):
    G, C, S, psi, u = c["G"], c["C"], c["S"], c["psi"], c["u"]
    T, B, _ = G.shape
    i_, f_, g_, o_ = G[..., :H], G[..., H:2 * H], G[..., 2 * H:3 * H], G[..., 3 * H:]
    tc = np.tanh(C)
    kc = o_ * (1.0 - tc * tc)  # ∂h/∂c
    D = np.empty_like(G)  # gate nonlinearity derivatives
    D[..., :2 * H] = G[..., :2 * H] * (1.0 - G[..., :2 * H])
    D[..., 2 * H:3 * H] = 1.0 - g_ * g_
    D[..., 3 * H:] = o_ * (1.0 - o_)
    # multipliers of δc for the i, f, g pre-activations: g_t, c_{t-1}, i_t
    M = np.empty((T, B, 3, H), dtype=G.dtype)
    M[:, :, 0] = g_
    M[:, :, 1, :] = 0.0
    M[1:, :, 1] = C[:-1]
    M[:, :, 2] = i_
    R = lay["w_rec"]
    dA = np.empty_like(G)
    dA4 = dA.reshape(T, B, 4, H)  # a view (dA is contiguous)
    dc_next = np.zeros((B, H), dtype=G.dtype)
    for t in range(T - 1, -1, -1):
        ds = dS[t] if t == T - 1 else dS[t] + dA[t + 1] @ R
        dh = ds * psi[t]
        dc = dh * kc[t]
        dc += dc_next
        da4 = dA4[t]
        np.multiply(dc[:, None, :], M[t], out=da4[:, :3])
        np.multiply(dh, tc[t], out=da4[:, 3])
        dA[t] *= D[t]
        dc_next = dc * f_[t]
    flat = dA.reshape(T * B, 4 * H)
    grads = {
        "w_in": flat.T @ u.reshape(T * B, -1),
        "w_rec": dA[1:].reshape(-1, 4 * H).T @ S[:-1].reshape(-1, H) if T > 1
        else np.zeros_like(R),
        "b": flat.sum(axis=0),
    }
    du = (flat @ lay["w_in"]).reshape(T, B, -1) if need_du else None
    return grads, du


def loss_and_grad(w: SLSTMWeights, x: np.ndarray, y: np.ndarray, params: SLSTMParams,
                  smooth: bool = False) -> tuple[float, dict[str, np.ndarray], dict]:
    """Mean cross-entropy and its surrogate gradient by BPTT.

    Parameters
    ----------
    w : SLSTMWeights
    x : ndarray, shape (T, B, n_in)
    y : ndarray of int, shape (B,)
    params : SLSTMParams
    smooth : bool
        Forward with the surrogate primitive (exact gradient; for checks).

    Returns
    -------
    loss : float
    grads : dict
        ``{name: array}`` keyed as :meth:`SLSTMWeights.items`.
    cache : dict
        The forward cache (logits, spikes, ...).
    """
    cache = forward(w, x, params, smooth)
    B = x.shape[1]
    y = _check_targets(y, B, params.n_out)
    logits = cache["logits"].astype(np.float64)
    m = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(m).sum(axis=1))
    loss = float(np.mean(lse - m[np.arange(B), y]))
    p = np.exp(m - lse[:, None])
    p[np.arange(B), y] -= 1.0
    dlog = (p / B).astype(w.w_out.dtype)
    grads = {"w_out": dlog.T @ cache["r"], "b_out": dlog.sum(axis=0)}
    dS = cache["wt"][:, None, None] * (dlog @ w.w_out)[None]
    H = params.n_hidden
    for li in range(params.n_layers - 1, -1, -1):
        g, dS = _layer_backward(w.layers[li], cache["layers"][li], dS, H, need_du=li > 0)
        for k, v in g.items():
            grads[f"l{li}.{k}"] = v
    return loss, grads, cache


def predict(w: SLSTMWeights, x: np.ndarray, params: SLSTMParams, batch: int = 1000,
            return_spikes: bool = False):
    """Class labels for ``x`` ``(T, N, n_in)`` (in chunks of ``batch`` samples); with
    ``return_spikes`` also the hidden spike count of each sample."""
    _check(w, x, params)
    labels, spikes = [], []
    for s in range(0, x.shape[1], batch):
        c = forward(w, x[:, s:s + batch], params)
        labels.append(np.argmax(c["logits"], axis=1))
        spikes.append(c["spikes"])
    lab = np.concatenate(labels)
    return (lab, np.concatenate(spikes)) if return_spikes else lab


def evaluate(w: SLSTMWeights, x: np.ndarray, y: np.ndarray, params: SLSTMParams,
             batch: int = 1000) -> dict[str, float]:
    """Accuracy, mean hidden spikes per inference and mean firing probability per unit-step."""
    y = _check_targets(y, x.shape[1] if np.ndim(x) == 3 else -1, params.n_out)
    lab, sp = predict(w, x, params, batch, return_spikes=True)
    n_units = params.n_layers * params.n_hidden * x.shape[0]
    return {"accuracy": float(np.mean(lab == y)), "spikes_per_inference": float(sp.mean()),
            "spike_rate": float(sp.mean() / n_units)}


def train(w: SLSTMWeights, x: np.ndarray, y: np.ndarray, params: SLSTMParams, *,
          epochs: int = 10, batch: int = 64, lr: float = 2e-3, lr_decay: float = 1.0,
          clip: float | None = 1.0, rng: np.random.Generator, callback=None,
          progress: bool = False, threads: int | None = None) -> list[float]:
    """Adam training in minibatches with BPTT over all steps.

    Parameters
    ----------
    w : SLSTMWeights
        Trained in place (its dtype sets the compute precision).
    x : ndarray, shape (T, N, n_in)
    y : ndarray of int, shape (N,)
    params : SLSTMParams
    epochs, batch : int
    lr : float
        Adam step size; multiplied by ``lr_decay`` after every epoch.
    clip : float or None
        Rescale the gradient to this global L2 norm when larger.
    rng : numpy.random.Generator
        Shuffles the samples.
    callback : callable, optional
        ``callback(epoch, mean_loss)`` after each epoch.
    progress : bool
        Show a tqdm bar over the minibatches.
    threads : int, optional
        Limit the BLAS threads while training (``threadpoolctl``); small per-step matmuls
        run fastest single-threaded, especially on a loaded machine.

    Returns
    -------
    list of float
        Mean training loss of each epoch.
    """
    from tqdm.auto import tqdm

    from .optim import Adam

    _check(w, x, params)
    N = x.shape[1]
    y = _check_targets(y, N, params.n_out)
    if batch < 1 or epochs < 0:
        raise ParameterError(f"Need batch >= 1 and epochs >= 0; got {batch}, {epochs}.")
    if threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=int(threads), user_api="blas"):
            return train(w, x, y, params, epochs=epochs, batch=batch, lr=lr, lr_decay=lr_decay,
                         clip=clip, rng=rng, callback=callback, progress=progress)
    items = w.items()
    opt = Adam(items, lr=lr)
    dt = w.w_out.dtype
    losses = []
    for ep in range(epochs):
        order = rng.permutation(N)
        tot = 0.0
        for s in tqdm(range(0, N, batch), disable=not progress, desc=f"sLSTM epoch {ep}"):
            idx = np.sort(order[s:s + batch])
            loss, g, _ = loss_and_grad(w, np.asarray(x[:, idx], dtype=dt), y[idx], params)
            gl = [g[k] for k, _ in items]
            if clip is not None:
                norm = float(np.sqrt(sum(float(np.vdot(a, a)) for a in gl)))
                if norm > clip:
                    gl = [a * (clip / norm) for a in gl]
            opt.step(gl)
            tot += loss * len(idx)
        losses.append(tot / N)
        opt.lr *= lr_decay
        if callback is not None:
            callback(ep, losses[-1])
    return losses
