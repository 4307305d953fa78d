r"""Hardware-aware (variation-aware) BPTT against plain training, evaluated on sampled chips.

Every minibatch forward pass runs on a *freshly sampled chip* (or ``K`` of them along the
engine's instance axis): each dense weight matrix :math:`W` goes through the same crossbar
model the chips use (:func:`neurocircuit.hardware.mapping.program`) and every LIF neuron gets
its own threshold and leak:

.. math::

    \tilde W = s\,\bigl(G^+(W) - G^-(W)\bigr),\quad
    G^\pm = \mathrm{prog}\bigl(Q_L(g_{min} + [\pm W]_+/s)\bigr),\quad s = \frac{\max|W|}
    {g_{max}-g_{min}},

with :math:`Q_L` the quantiser to ``levels`` conductance states and ``prog`` the device
variation — d2d range scaling :math:`(G - g_{min})(1+\sigma_{d2d}\varepsilon)` and c2c noise
:math:`+\sigma_{c2c}\,g_{max}\,\varepsilon` — so that, to first order,

.. math::

    \tilde W_{ij} \approx Q(W_{ij})\,(1 + \sigma_{d2d}\,\varepsilon_{ij})
    + \sqrt2\,\sigma_{c2c}\,\frac{g_{max}}{g_{max}-g_{min}}\max|W|\;\varepsilon'_{ij}

(:func:`implied_sigma`); and :math:`\theta_i = \theta/g_i`, :math:`\beta_i = \beta\,b_i`,
:math:`\ln g_i \sim \mathcal N(0, \sigma_g^2)`, :math:`\ln b_i \sim \mathcal N(0,
\sigma_\beta^2)` (:class:`~neurocircuit.hardware.chip.NeuronVariation`). The gradient reaches
the nominal weights through a straight-through estimator:

.. math::

    \frac{\partial L}{\partial W} := \sum_{k=1}^{K} \frac{\partial L}{\partial \tilde W^{(k)}},
    \qquad \frac{\partial L}{\partial b} := \sum_k \frac{\partial L}{\partial b^{(k)}},

i.e. quantisation and noise are the identity in the backward pass (noise injection /
variation-aware training). With no non-ideality the step is plain BPTT, bit for bit.

:func:`compare` trains one network plainly and one hardware-aware (same initialisation, data
order, optimiser and epochs), then evaluates both on the same ``N`` sampled chips
(:func:`~neurocircuit.hardware.chip.make_chips` + :func:`~neurocircuit.hardware.chip.chip_accuracy`)
at one or more variation scales.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..hardware.chip import NeuronVariation, chip_accuracy, make_chips
from ..hardware.mapping import CrossbarSpec, program
from ..snn.bptt import NonFiniteError, _check_finite, evaluate, fit, loss_and_grad
from ..snn.layers import Dense
from ..snn.network import Sequential
from ..snn.optim import Adam, grads_of, params_of
from ..snn.spiking import LIF

__all__ = ["HardwareNoise", "PooledSampler", "implied_sigma", "perturb_weight", "sample_network",
           "hw_loss_and_grad", "train_step_hw", "train_hardware_aware", "scale_noise",
           "compare", "plot_histograms"]


@dataclass(frozen=True)
class HardwareNoise:
    """The non-idealities injected during hardware-aware training.

    Parameters
    ----------
    spec : CrossbarSpec, optional
        Crossbar model of every dense layer (levels, ``g_c2c``, ``g_d2d``, faults, drift);
        ``None`` keeps ideal weights. Read-path effects (ADC, DAC, read noise, IR drop) are
        not injected.
    neuron : NeuronVariation or neuron sampler, optional
        Per-neuron gain (``θ/g``) and leak spreads of every LIF node; any callable
        ``sampler(shape, rng) -> {"gain": ..., ["beta_scale": ...]}`` works (e.g.
        :class:`~neurocircuit.hardware.chip.CalibratedVariation` or a :class:`PooledSampler`
        of it); ``None``: none.
    chips_per_batch : int
        ``K`` chips sampled per minibatch; the batch is split evenly among them along the
        instance axis (``K = 1``: one chip for the whole minibatch).
    """

    spec: CrossbarSpec | None = None
    neuron: Any = None
    chips_per_batch: int = 1

    def __post_init__(self) -> None:
        if int(self.chips_per_batch) != self.chips_per_batch or self.chips_per_batch < 1:
            raise ParameterError(
                "The 'chips_per_batch' parameter of HardwareNoise must be an integer >= 1. "
                f"Got {self.chips_per_batch!r} instead."
            )

    @property
    def weights_ideal(self) -> bool:
        """True when the crossbar model leaves the weights unchanged."""
        s = self.spec
        return s is None or not (s.levels or s.g_c2c or s.g_d2d or s.p_stuck_on
                                 or s.p_stuck_off or (s.drift_nu and s.drift_time > s.drift_t0))

    @property
    def neurons_ideal(self) -> bool:
        """True when no neuron parameter is perturbed (a generic sampler never is)."""
        n = self.neuron
        if n is None:
            return True
        if isinstance(n, NeuronVariation):
            return not (n.gain_sigma or n.beta_sigma)
        return False


@dataclass(frozen=True)
class PooledSampler:
    r"""A neuron sampler resampling a fixed pool drawn once from another sampler.

    ``pool`` neurons are drawn from ``sampler`` at construction (seeded); every call returns
    pool entries picked uniformly with replacement, i.e. draws from the empirical distribution
    of the pool (a bootstrap). Meant for training-time noise injection where the underlying
    sampler is expensive per call (:class:`~neurocircuit.hardware.chip.CalibratedVariation`
    evaluates its compact model for every neuron); evaluation chips should use the sampler
    itself.

    Parameters
    ----------
    sampler : callable
        ``sampler(shape, rng) -> dict`` of per-neuron arrays.
    pool : int
        Pool size (>= 1).
    seed : int
        Seed of the pool draw.
    """

    sampler: Any
    pool: int = 100_000
    seed: int = 0

    def __post_init__(self) -> None:
        if int(self.pool) != self.pool or self.pool < 1:
            raise ParameterError(
                "The 'pool' parameter of PooledSampler must be an integer >= 1. "
                f"Got {self.pool!r} instead."
            )
        draw = self.sampler((int(self.pool),), np.random.default_rng(self.seed))
        object.__setattr__(self, "_draw", {k: np.asarray(v).reshape(-1)
                                           for k, v in draw.items()})

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:
        idx = rng.integers(0, int(self.pool), size=shape)
        return {k: v[idx] for k, v in self._draw.items()}  # type: ignore[attr-defined]


def scale_noise(spec: CrossbarSpec | None, neuron: Any,
                scale: float) -> tuple[CrossbarSpec | None, Any]:
    """Multiply every variation σ (``g_c2c``, ``g_d2d``, gain, leak) by ``scale``.

    Parameters
    ----------
    spec : CrossbarSpec or None
    neuron : NeuronVariation, CalibratedVariation (anything with a ``scale`` field) or None
        A calibrated distribution gets its ``scale`` (spread multiplier) multiplied.
    scale : float
        σ multiplier (levels, ADC and faults are kept).

    Returns
    -------
    tuple
        ``(spec, neuron)`` scaled (``None`` stays ``None``).
    """
    if scale < 0:
        raise ParameterError(f"The 'scale' parameter must be >= 0. Got {scale!r} instead.")
    s = None if spec is None else replace(spec, g_c2c=spec.g_c2c * scale,
                                          g_d2d=spec.g_d2d * scale)
    if neuron is None:
        n = None
    elif isinstance(neuron, NeuronVariation):
        n = replace(neuron, gain_sigma=neuron.gain_sigma * scale,
                    beta_sigma=neuron.beta_sigma * scale,
                    offset_sigma=neuron.offset_sigma * scale)
    elif hasattr(neuron, "scale"):
        n = replace(neuron, scale=neuron.scale * scale)
    else:
        raise ParameterError(
            f"Cannot scale the variation of neuron sampler {type(neuron).__name__!r}: it has "
            "neither 'gain_sigma' nor 'scale'."
        )
    return s, n


def implied_sigma(spec: CrossbarSpec, w_max: float) -> tuple[float, float]:
    """First-order weight noise of the crossbar model (see the module equations).

    Parameters
    ----------
    spec : CrossbarSpec
    w_max : float
        ``max|W|`` of the layer (sets the conductance-to-weight scale).

    Returns
    -------
    tuple of float
        ``(sigma_mult, sigma_add)``: relative σ from d2d and absolute σ (weight units) from
        c2c on both devices of a differential pair (offset scheme: one device). Exact while
        the c2c noise rarely pushes a conductance below 0 (``σ_c2c g_max ≪ g_min``), where the
        device model clips.
    """
    span = spec.g_max - spec.g_min
    n_dev = 2.0 if spec.scheme == "differential" else 1.0
    scale = w_max / span if spec.scheme == "differential" else 2.0 * w_max / span
    return float(spec.g_d2d), float(np.sqrt(n_dev) * spec.g_c2c * spec.g_max * scale)


def perturb_weight(w: np.ndarray, spec: CrossbarSpec | None, rng: np.random.Generator,
                   n: int = 1) -> np.ndarray:
    """``n`` sampled programmings of ``w`` as effective weights ``(n, out, in)`` (float32).

    Parameters
    ----------
    w : ndarray
        Nominal ``(out, in)`` weights.
    spec : CrossbarSpec or None
        Crossbar model; ``None`` returns ``w`` broadcast (no copy of values, no draw).
    rng : numpy.random.Generator
    n : int
        Number of independent chips.
    """
    w = np.asarray(w)
    if spec is None or HardwareNoise(spec).weights_ideal:
        return np.broadcast_to(w, (n, *w.shape))
    return program(w, spec, rng, n_chips=n).effective_weights().astype(w.dtype)


def sample_network(net: Sequential, noise: HardwareNoise,
                   rng: np.random.Generator) -> Sequential:
    """A shadow network running ``noise.chips_per_batch`` freshly sampled chips of ``net``.

    Dense layers get perturbed weights (``(K, out, in)`` when ``K > 1``), LIF nodes per-neuron
    thresholds/leaks; nodes without perturbation are ``net``'s own objects.

    Parameters
    ----------
    net : Sequential
        Nominal network (2-D dense weights).
    noise : HardwareNoise
    rng : numpy.random.Generator

    Returns
    -------
    Sequential
    """
    k = noise.chips_per_batch
    nodes: list[Any] = []
    for i, node in enumerate(net.nodes):
        if isinstance(node, Dense):
            w = node.params["W"]
            if w.ndim != 2:
                raise ParameterError("Hardware-aware training needs 2-D (nominal) weights.")
            if noise.weights_ideal and k == 1:
                nodes.append(node)
                continue
            we = perturb_weight(w, noise.spec, rng, k)
            we = np.ascontiguousarray(we[0] if k == 1 else we)
            d = Dense(node.n_in, node.n_out, weight=we, bias=node.has_bias, dtype=w.dtype)
            if node.has_bias:
                b = node.params["b"]
                d.params["b"] = b if k == 1 else np.broadcast_to(b, (k, node.n_out)).copy()
            nodes.append(d)
        elif isinstance(node, LIF) and not noise.neurons_ideal:
            if node.params:
                raise ParameterError(
                    "Neuron variation needs fixed LIF 'beta' and 'v_th' (trainable ones are "
                    "per-layer scalars)."
                )
            shape = net.shapes[i]
            if len(shape) != 1:
                raise ParameterError("Per-neuron variation is supported after dense layers only.")
            draw = noise.neuron((k, 1, shape[0]) if k > 1 else (shape[0],), rng)
            # a silent neuron (gain 0) gets a large finite threshold, as on the chips
            v_th = (node.value("v_th") / np.maximum(draw["gain"], 1e-3)).astype(np.float32)
            beta = node.value("beta")
            if "beta_scale" in draw:
                beta = np.clip(beta * draw["beta_scale"], 0.0, 1.0).astype(np.float32)
            nodes.append(LIF(beta, v_th, reset=node.reset,
                             v_reset=node.v_reset, surrogate=node.surrogate, slope=node.slope,
                             smooth=node.smooth))
        else:
            nodes.append(node)
    return Sequential(nodes, net.in_shape)


def hw_loss_and_grad(net: Sequential, xb: np.ndarray, yb: np.ndarray, T: int | None,
                     noise: HardwareNoise, rng: np.random.Generator,
                     loss: str = "count") -> tuple[float, np.ndarray, list[dict[str, Any]]]:
    """Loss, logits and nominal-weight gradients of one minibatch on sampled chips.

    Parameters
    ----------
    net : Sequential
        Nominal network.
    xb, yb : ndarray
        Minibatch (static inputs with ``T``, or a ``(T, B, ...)`` sequence with ``T=None``).
        With ``K > 1`` the batch size must be a multiple of ``K``.
    T : int or None
    noise : HardwareNoise
    rng : numpy.random.Generator
        Source of the chip sample.
    loss : str
        Loss of :func:`neurocircuit.snn.bptt.loss_and_grad`.

    Returns
    -------
    tuple
        ``(loss, logits (B, C), grads)`` with ``grads`` shaped like ``net``'s params
        (straight-through: summed over the ``K`` chips).
    """
    k = noise.chips_per_batch
    shadow = sample_network(net, noise, rng)
    bax = 0 if T is not None else 1
    B = xb.shape[bax]
    if B % k:
        raise ParameterError(f"The batch size ({B}) must be a multiple of chips_per_batch ({k}).")
    xin = xb
    if k > 1:
        xin = xb.reshape(*xb.shape[:bax], k, B // k, *xb.shape[bax + 1:])
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(shadow.forward(xin, T=T, train=True).output)
        if k > 1:
            out = out.reshape(out.shape[0], B, *out.shape[3:])
        lval, z, g = loss_and_grad(out, yb, loss)
        if not np.isfinite(lval):
            shadow._caches = None
            raise NonFiniteError(f"The loss became {lval}; training stopped.")
        if k > 1:
            g = np.ascontiguousarray(g).reshape(g.shape[0], k, B // k, *g.shape[2:])
        sg = shadow.backward(g)
    grads: list[dict[str, Any]] = []
    for node, gd in zip(net.nodes, sg, strict=True):
        out_g = {}
        for name, p in node.params.items():
            gv = gd[name]
            out_g[name] = gv.sum(axis=0) if gv.ndim > p.ndim else gv
        grads.append(out_g)
    return lval, z, grads


def train_step_hw(net: Sequential, opt: Any, xb: np.ndarray, yb: np.ndarray, T: int | None,
                  noise: HardwareNoise, rng: np.random.Generator,
                  loss: str = "count") -> tuple[float, float]:
    """One hardware-aware optimisation step; returns ``(loss, batch accuracy)``.

    Parameters
    ----------
    net, opt : Sequential, optimiser
        Nominal network and its optimiser (over :func:`~neurocircuit.snn.optim.params_of`).
    xb, yb, T, noise, rng, loss
        As in :func:`hw_loss_and_grad`.
    """
    lval, z, grads = hw_loss_and_grad(net, xb, yb, T, noise, rng, loss)
    opt.step(grads_of(net, grads))
    for n in net.nodes:
        if hasattr(n, "clamp"):
            n.clamp()
    return lval, float(np.mean(z.argmax(axis=-1) == np.asarray(yb)))


def train_hardware_aware(
    net: Sequential,
    opt: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    T: int,
    epochs: int,
    noise: HardwareNoise,
    batch_size: int = 64,
    loss: str = "count",
    rng: np.random.Generator | int | None = 0,
    noise_rng: np.random.Generator | int | None = None,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """BPTT with a fresh hardware sample in every minibatch (direct coding of static ``x``).

    The data order follows ``rng`` exactly as :func:`neurocircuit.snn.bptt.fit` does, so with
    ideal ``noise`` the result equals plain ``fit`` with the same ``rng``.

    Parameters
    ----------
    net : Sequential
        Nominal network, trained in place.
    opt : optimiser
        Over ``params_of(net)``.
    x, y : ndarray
        Training samples ``(N, features)`` and labels.
    T : int
        Time steps (direct coding).
    epochs : int
    noise : HardwareNoise
    batch_size : int
        A trailing batch not divisible by ``noise.chips_per_batch`` is cut to a multiple.
    loss : str
    rng : Generator or int or None
        Shuffling.
    noise_rng : Generator or int or None
        Hardware samples; default: a child of ``rng`` (``rng.spawn``), independent of the
        shuffling stream.
    on_epoch : callable, optional
        ``on_epoch(epoch_index, metrics)``.

    Returns
    -------
    list of dict
        Per-epoch ``{"epoch", "loss", "train_acc"}``.
    """
    rng = np.random.default_rng(rng)
    nrng = rng.spawn(1)[0] if noise_rng is None else np.random.default_rng(noise_rng)
    k = noise.chips_per_batch
    history = []
    for ep in range(epochs):
        order = rng.permutation(len(y))
        losses, accs = [], []
        for s in range(0, len(y), batch_size):
            idx = order[s: s + batch_size]
            idx = idx[: len(idx) - len(idx) % k]
            if not len(idx):
                continue
            good = {kk: v.copy() for kk, v in net.state_dict().items()}
            try:
                lval, acc = train_step_hw(net, opt, x[idx], y[idx], T, noise, nrng, loss)
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


def _stats(acc: np.ndarray) -> dict[str, Any]:
    return {"mean": float(acc.mean()), "std": float(acc.std()), "min": float(acc.min()),
            "max": float(acc.max()), "acc": acc.tolist()}


def compare(
    make_net: Callable[[], Sequential],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    T: int,
    epochs: int,
    spec: CrossbarSpec | None,
    neuron: Any,
    n_chips: int = 100,
    scales: Sequence[float] = (1.0,),
    train_noise: HardwareNoise | None = None,
    batch_size: int = 64,
    lr: float = 2e-3,
    loss: str = "count",
    seed: int = 0,
    calib_n: int = 200,
    eval_batch: int = 200,
    say: Callable[[str], None] | None = None,
    on_level: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Plain against hardware-aware training, both evaluated on the same sampled chips.

    Parameters
    ----------
    make_net : callable
        Returns a fresh nominal network; called twice, must give the same initial weights.
    data : tuple
        ``(x_train, y_train, x_test, y_test)``, static samples ``(N, features)``.
    T, epochs, batch_size, lr, loss : training setup shared by both runs (Adam).
    spec, neuron : CrossbarSpec, NeuronVariation (or neuron sampler) or None
        Chip model at scale 1 (evaluation; also training unless ``train_noise`` is given).
    n_chips : int
        Chips sampled per evaluated scale (same chip seed for both networks).
    scales : sequence of float
        σ multipliers evaluated (:func:`scale_noise`).
    train_noise : HardwareNoise, optional
        Injected during hardware-aware training (default ``HardwareNoise(spec, neuron)``).
    seed : int
        Initial data order, noise and chip samples.
    calib_n : int
        Training samples used to calibrate the ADC full scales.
    eval_batch : int
        Test samples per chip-evaluation call (memory: ``T·N·batch·hidden`` floats).
    say : callable, optional
        Progress messages.
    on_level : callable, optional
        ``on_level(row, partial)`` after every evaluated scale (``partial``: the result so
        far, same keys as the return value), to stream results of long runs.

    Returns
    -------
    dict
        ``nominal`` accuracies, ``train_s`` wall times, ``levels``: one row per scale with
        ``plain``/``hwaware`` statistics (mean, std, min, max, per-chip ``acc``),
        ``plain_loss_points`` (nominal − mean, plain) and ``gain_points`` (hw mean − plain
        mean); ``selected``: the row at scale 1 (the level trained for) if evaluated, else the
        first row where plain training loses ≥ 2 points (else the last); ``nets``: the two
        trained networks.
    """
    xtr, ytr, xte, yte = data
    noise = train_noise if train_noise is not None else HardwareNoise(spec, neuron)
    nets, train_s, hist = {}, {}, {}
    for name in ("plain", "hwaware"):
        net = make_net()
        opt = Adam(params_of(net), lr=lr)
        t0 = time.perf_counter()
        if name == "plain":
            hist[name] = fit(net, opt, xtr, ytr, T=T, epochs=epochs, batch_size=batch_size,
                             loss=loss, rng=seed)
        else:
            hist[name] = train_hardware_aware(net, opt, xtr, ytr, T=T, epochs=epochs,
                                              noise=noise, batch_size=batch_size, loss=loss,
                                              rng=seed)
        train_s[name] = time.perf_counter() - t0
        nets[name] = net
        if say:
            say(f"{name}: trained in {train_s[name]:.1f} s, loss {hist[name][-1]['loss']:.4f}")
    nominal = {k: evaluate(n, xte, yte, T=T)["accuracy"] for k, n in nets.items()}
    if say:
        say(f"nominal accuracy: plain {nominal['plain']:.4f}, hwaware {nominal['hwaware']:.4f}")
    levels = []
    for sc in scales:
        sp, nv = scale_noise(spec, neuron, sc)
        row: dict[str, Any] = {"scale": float(sc)}
        t0 = time.perf_counter()
        for name, net in nets.items():
            chips = make_chips(net, n_chips, np.random.default_rng([seed, 7, len(levels)]),
                               spec=sp, neuron_sampler=nv, calib_x=xtr[:calib_n], calib_T=T)
            row[name] = _stats(np.asarray(chip_accuracy(chips, xte, yte, T=T,
                                                      batch_size=eval_batch)))
        row["eval_s"] = time.perf_counter() - t0
        row["plain_loss_points"] = 100.0 * (nominal["plain"] - row["plain"]["mean"])
        row["hwaware_loss_points"] = 100.0 * (nominal["hwaware"] - row["hwaware"]["mean"])
        row["gain_points"] = 100.0 * (row["hwaware"]["mean"] - row["plain"]["mean"])
        levels.append(row)
        if say:
            say(f"scale {sc}: plain {row['plain']['mean']:.4f}, hwaware "
                f"{row['hwaware']['mean']:.4f} (gain {row['gain_points']:+.2f} points)")
        if on_level is not None:
            on_level(row, {"nominal": nominal, "train_s": train_s, "history": hist,
                           "levels": list(levels), "selected": row, "nets": nets})
    selected = next((r for r in levels if r["scale"] == 1.0), None)
    if selected is None:
        selected = next((r for r in levels if r["plain_loss_points"] >= 2.0), levels[-1])
    return {"nominal": nominal, "train_s": train_s, "history": hist, "levels": levels,
            "selected": selected, "nets": nets}


def plot_histograms(result: dict[str, Any], path: Any, row: dict[str, Any] | None = None,
                    title: str = "") -> Any:
    """Accuracy histograms over chips of both networks (one variation level) to ``path``.

    Parameters
    ----------
    result : dict
        From :func:`compare`.
    path : str or Path
        Output image (PNG/SVG).
    row : dict, optional
        Level to plot (default ``result["selected"]``).
    title : str

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    from pathlib import Path

    import matplotlib.pyplot as plt

    row = result["selected"] if row is None else row
    a_p, a_h = np.asarray(row["plain"]["acc"]), np.asarray(row["hwaware"]["acc"])
    lo, hi = min(a_p.min(), a_h.min()), max(a_p.max(), a_h.max())
    bins = np.linspace(lo - 1e-3, hi + 1e-3, 21)
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for a, name, c in ((a_p, "plain", "tab:red"), (a_h, "hardware-aware", "tab:blue")):
        ax.hist(a * 100, bins=bins * 100, alpha=0.55, color=c,
                label=f"{name}: mean {a.mean() * 100:.2f} %")
        ax.axvline(a.mean() * 100, color=c, ls="--")
    for name, c in (("plain", "tab:red"), ("hwaware", "tab:blue")):
        ax.axvline(result["nominal"][name] * 100, color=c, ls=":", lw=1)
    ax.set_xlabel("chip accuracy (%)")
    ax.set_ylabel("chips")
    ax.set_title(title or f"{len(a_p)} chips, variation ×{row['scale']:g} (dotted: nominal)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
