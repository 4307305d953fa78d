r"""Surrogate-gradient backpropagation through time and its training loop.

Losses on the output sequence ``o[t]`` (shape ``(T, B, C)``), cross-entropy with labels ``y``:

- ``"count"``: logits ``z = Σ_t o[t]`` (spike counts); ``∂L/∂o[t] = (softmax(z) − onehot)/B``;
- ``"membrane_max"``: ``z = max_t u[t]`` of a non-spiking :class:`~.spiking.Readout`; the gradient
  goes to the arg-max step;
- ``"membrane_mean"``: ``z = (1/T) Σ_t u[t]``.

The backward pass through each LIF node (:class:`~.spiking.LIF`) flows through the reset and
optionally into a trainable per-layer leak and threshold; synaptic layers back-propagate one
batched matmul over all ``T·B`` rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import NeurocircuitError, ParameterError
from .optim import grads_of

__all__ = ["LOSSES", "loss_and_grad", "train_step", "fit", "evaluate", "encode_batch",
           "NonFiniteError", "cosine_schedule"]

LOSSES = ("count", "membrane_max", "membrane_mean")


class NonFiniteError(NeurocircuitError, FloatingPointError):
    """NaN or inf in the loss or the weights: training stopped."""


def _softmax_ce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z = z.astype(np.float64) if z.dtype != np.float64 else z
    zm = z - z.max(axis=-1, keepdims=True)
    e = np.exp(zm)
    p = e / e.sum(axis=-1, keepdims=True)
    idx = np.arange(len(y))
    loss = float(-np.mean(np.log(p[idx, y] + 1e-300)))
    g = p
    g[idx, y] -= 1.0
    g /= len(y)
    return loss, g


def loss_and_grad(out: Any, y: Any, kind: str = "count") -> tuple[float, np.ndarray, np.ndarray]:
    """``(loss, logits, ∂L/∂out)`` for an output sequence ``out`` of shape ``(T, B, C)``."""
    y = np.asarray(y)
    if kind == "count":
        z = out.sum(axis=0)
        loss, gz = _softmax_ce(z, y)
        g = np.broadcast_to(gz.astype(out.dtype), out.shape)
    elif kind == "membrane_max":
        z = out.max(axis=0)
        loss, gz = _softmax_ce(z, y)
        arg = out.argmax(axis=0)
        g = np.zeros(out.shape, dtype=out.dtype)
        np.put_along_axis(g, arg[None], gz.astype(out.dtype)[None], axis=0)
    elif kind == "membrane_mean":
        T = out.shape[0]
        z = out.mean(axis=0)
        loss, gz = _softmax_ce(z, y)
        g = np.broadcast_to((gz / T).astype(out.dtype), out.shape)
    else:
        raise ParameterError(f"Unknown loss {kind!r}; valid losses are {', '.join(LOSSES)}.")
    return loss, z, g


def encode_batch(xb: np.ndarray, T: int, encoder: Callable[..., Any] | str | None,
                 rng: np.random.Generator) -> tuple[np.ndarray, int | None]:
    """``(network input, T_static)``: direct coding returns the static batch and ``T``."""
    if encoder is None or encoder == "direct":
        return xb, T
    if isinstance(encoder, str):
        from .encoders import get_encoder

        fn = get_encoder(encoder)
        return (fn(xb, T, rng=rng) if encoder in ("poisson", "rate") else fn(xb, T)), None
    return encoder(xb, T, rng), None


def cosine_schedule(lr: float, total_steps: int, floor: float = 1e-3) -> Callable[[int], float]:
    """Cosine decay ``η_k = η₀·max((1 + cos(π k/K))/2, floor)`` over ``K`` steps."""
    K = max(int(total_steps), 1)

    def f(k: int) -> float:
        return lr * max(0.5 * (1.0 + np.cos(np.pi * min(k, K) / K)), floor)
    return f


def _check_finite(net: Any, loss: float) -> None:
    if not np.isfinite(loss):
        raise NonFiniteError(f"The loss became {loss}; training stopped.")
    for i, n in enumerate(net.nodes):
        for k, v in n.params.items():
            if not np.all(np.isfinite(v)):
                raise NonFiniteError(f"Parameter {i}.{k} contains NaN or inf; training stopped.")


def train_step(net: Any, opt: Any, xb: Any, yb: Any, T: int | None,
               loss: str = "count") -> tuple[float, float]:
    """One optimisation step; returns ``(loss, batch accuracy)``."""
    with np.errstate(over="ignore", invalid="ignore"):  # NaN/inf are checked explicitly
        ws = getattr(net, "workspace", None)   # buffers reused from step to step
        kw = {"workspace": ws} if ws is not None else {}
        res = net.forward(xb, T=T, train=True, **kw)
        lval, z, g = loss_and_grad(res.output, yb, loss)
        if not np.isfinite(lval):
            net._caches = None
            raise NonFiniteError(f"The loss became {lval}; training stopped.")
        grads = net.backward(g, **kw)
        opt.step(grads_of(net, grads))
    for n in net.nodes:
        if hasattr(n, "clamp"):
            n.clamp()
    return lval, float(np.mean(z.argmax(axis=-1) == np.asarray(yb)))


def evaluate(net: Any, x: np.ndarray, y: np.ndarray, T: int, encoder: Any = None,
             batch_size: int = 500, rng: np.random.Generator | int | None = 0,
             count: bool = False) -> dict[str, float]:
    """Accuracy (and mean per-inference counts with ``count=True``) on ``(x, y)``."""
    rng = np.random.default_rng(rng)
    correct, n = 0, len(y)
    tot: dict[str, float] = {}
    for s in range(0, n, batch_size):
        xin, Ts = encode_batch(x[s: s + batch_size], T, encoder, rng)
        r = net.forward(xin, T=Ts, count=count)
        correct += int(np.sum(np.asarray(r.output).sum(axis=0).argmax(-1) == y[s: s + batch_size]))
        for k, v in r.counts.items():
            tot[k] = tot.get(k, 0.0) + v * len(y[s: s + batch_size])
    out = {"accuracy": correct / n}
    out.update({k: v / n for k, v in tot.items()})
    return out


def fit(net: Any, opt: Any, x: np.ndarray, y: np.ndarray, *, T: int, epochs: int,
        batch_size: int = 64, loss: str = "count", encoder: Any = None,
        rng: np.random.Generator | int | None = 0, progress: bool = False,
        on_epoch: Callable[[int, dict[str, float]], None] | None = None,
        transform: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        lr_schedule: Callable[[int], float] | None = None
        ) -> list[dict[str, float]]:
    """Train for ``epochs`` passes over shuffled minibatches; returns per-epoch metrics.

    ``transform(xb, rng)`` (optional) augments each minibatch before encoding;
    ``lr_schedule(k)`` (optional) sets ``opt.lr`` before the ``k``-th step (k = 0, 1, …).

    A non-finite loss or weight raises :class:`NonFiniteError` after restoring the weights of
    the last good step.
    """
    rng = np.random.default_rng(rng)
    history = []
    step = 0
    it = range(epochs)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="epochs", unit="epoch")
    for ep in it:
        order = rng.permutation(len(y))
        losses, accs = [], []
        for s in range(0, len(y), batch_size):
            idx = order[s: s + batch_size]
            if lr_schedule is not None:
                opt.lr = float(lr_schedule(step))
            step += 1
            good = {k: v.copy() for k, v in net.state_dict().items()}
            xb = x[idx] if transform is None else transform(x[idx], rng)
            xin, Ts = encode_batch(xb, T, encoder, rng)
            try:
                lval, acc = train_step(net, opt, xin, y[idx], Ts, loss)
                _check_finite(net, lval)
            except NonFiniteError:
                net.load_state_dict(good)
                raise
            losses.append(lval)
            accs.append(acc)
        m = {"epoch": ep + 1, "loss": float(np.mean(losses)), "train_acc": float(np.mean(accs))}
        history.append(m)
        if on_epoch is not None:
            on_epoch(ep, m)
    return history
