"""Training runs for the local, unsupervised and recurrent methods selected by ``[method] name``.

Used by :mod:`neurocircuit.snn.train` (``neurocircuit train CONFIG.toml``) for the methods

=============== =====================================================================
``diehl-cook``  unsupervised STDP network + class labelling (``n_exc``, ``epochs`` passes;
                ``synapse`` = ``"full"`` (the D&C rule), ``"binary"`` (stochastic 1-bit STDP,
                ``devices`` per connection) or ``"expected"`` (its full-precision
                counterpart), as the arms of bench/stochastic_binary.py; the rule's
                parameters in a ``[method.binary]`` table)
``decolle``     local losses per layer, Poisson input over ``[encoder] T`` steps
``eprop``       recurrent LIF network trained online with e-prop (row-by-row images)
``rsnn-bptt``   the same recurrent network trained by BPTT (the reference)
``lsm``         liquid state machine (row-by-row images, or FSDD spikes) + ridge readout
``slstm``       spiking LSTM on row-by-row images (when :mod:`.slstm` is present)
=============== =====================================================================

Each returns ``(metrics, arrays)``: test accuracy, wall time and method-specific numbers, and
the learned arrays to save in the model's ``.npz``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["LOCAL_METHODS", "run_local"]

LOCAL_METHODS = ("diehl-cook", "decolle", "eprop", "rsnn-bptt", "lsm", "slstm")


def _images(cfg: dict[str, Any]):
    from .datasets import load

    d = cfg["data"]
    lim_tr = d.get("limit_train") or None
    lim_te = d.get("limit_test") or None
    xtr, ytr = load(d["name"], data_dir=d.get("data_dir"), split="train", limit=lim_tr)
    xte, yte = load(d["name"], data_dir=d.get("data_dir"), split="test", limit=lim_te)
    return xtr, ytr, xte, yte


def _hidden(cfg: dict[str, Any], default: list[int]) -> list[int]:
    layers = cfg.get("network", {}).get("layers") or []
    units = [int(layer["units"]) for layer in layers if layer.get("type", "dense") == "dense"]
    return units[:-1] if len(units) > 1 else default


def run_local(cfg: dict[str, Any], progress: bool = True) -> tuple[dict, dict]:
    m = cfg["method"]
    name = m["name"]
    if name not in LOCAL_METHODS:
        raise ParameterError(f"Unknown local method {name!r}; valid: {', '.join(LOCAL_METHODS)}.")
    rng = np.random.default_rng(int(m.get("seed", 0)))
    t0 = time.perf_counter()
    if name == "diehl-cook":
        metrics, arrays = _diehl_cook(cfg, rng, progress)
    elif name == "decolle":
        metrics, arrays = _decolle(cfg, rng, progress)
    elif name in ("eprop", "rsnn-bptt"):
        metrics, arrays = _rsnn(cfg, rng, progress, "eprop" if name == "eprop" else "bptt")
    elif name == "lsm":
        metrics, arrays = _lsm(cfg, rng)
    else:
        metrics, arrays = _slstm(cfg, rng, progress)
    metrics["train_wall_s"] = time.perf_counter() - t0
    metrics["method"] = name
    return metrics, arrays


_SYNAPSES = ("full", "binary", "expected")


def _binary_rule(m: dict[str, Any], n_input: int):
    """The stochastic binary rule of a ``diehl-cook`` config: ``[method.binary]`` over the
    measured defaults (bench/stochastic_binary.py: p_pot 0.01, no depression but the exchange,
    window 100 ms, burst gate 40 ms, 80 on-synapses per neuron for 784 inputs, scaled to the
    input size), and ``p_on`` (initial on-fraction, free count only). Returns
    ``(StochasticBinaryParams, p_on)``."""
    import dataclasses

    from .learning.stochastic_binary import StochasticBinaryParams

    given = dict(m.get("binary") or {})
    p_on = float(given.pop("p_on", 0.2))
    fields = {f.name for f in dataclasses.fields(StochasticBinaryParams)}
    bad = set(given) - fields
    if bad:
        raise ParameterError(f"Unknown key(s) {sorted(bad)} in [method.binary]; valid keys: "
                             f"{', '.join(sorted(fields | {'p_on'}))}.")
    kw = {"p_pot": 0.01, "p_dep": 0.0, "p_anti": 0.0, "t_pot": 0.1, "tau_burst": 0.04,
          "n_on": max(1, round(80 * n_input / 784)), **given}
    return StochasticBinaryParams(**kw), p_on


def _diehl_cook(cfg, rng, progress):
    from . import diehl_cook as dc

    xtr, ytr, xte, yte = _images(cfg)
    xtr = xtr.reshape(len(xtr), -1) * 255.0
    xte = xte.reshape(len(xte), -1) * 255.0
    m = cfg["method"]
    n_in = xtr.shape[1]
    extra = {}
    if n_in != 784:  # small images: scale the normalisation and the rates to the input size
        extra = {"norm_total": 78.0 * n_in / 784 * 4, "max_rate": 255.0}
    p = dc.DCParams(n_input=n_in, n_exc=int(m.get("n_exc", 100)), **extra)
    synapse = m.get("synapse", "full")
    if synapse not in _SYNAPSES:
        raise ParameterError(f"[method] synapse must be one of {', '.join(_SYNAPSES)}; got "
                             f"{synapse!r}.")
    devices = m.get("devices", 1)
    if isinstance(devices, bool) or not (isinstance(devices, int) and devices >= 1):
        raise ParameterError(f"[method] devices (binary devices per connection) must be an "
                             f"integer >= 1; got {devices!r}.")
    if devices > 1 and synapse != "binary":
        raise ParameterError(f"[method] devices = {devices} needs synapse = \"binary\" (got "
                             f"{synapse!r}).")
    if m.get("binary") is not None and synapse == "full":
        raise ParameterError("[method.binary] needs synapse = \"binary\" or \"expected\" (got "
                             "\"full\").")
    rule, expected = None, synapse == "expected"
    if synapse == "full":
        net = dc.init_network(p, rng)
    else:
        rule, p_on = _binary_rule(m, n_in)
        net = dc.init_binary_network(p, rng, p_on, n_on=rule.n_on or None, n_devices=devices)
    for _ in range(int(m.get("epochs", 1))):
        dc.train(net, xtr, rng, progress=progress, binary=rule, expected=expected)
    counts = dc.evaluate_counts(net, xtr, rng)
    labels = dc.assign_labels(counts, ytr)
    acc = float((dc.predict(dc.evaluate_counts(net, xte, rng), labels) == yte).mean())
    metrics = {"test_accuracy": acc, "n_exc": p.n_exc, "synapse": synapse}
    if rule is not None:
        metrics.update({"devices": devices, "n_on": rule.n_on, "p_pot": rule.p_pot,
                        "levels_per_neuron": int(max(len(np.unique(r)) for r in net.w))})
    return metrics, {"w": net.w, "theta": net.theta, "labels": labels}


def _decolle(cfg, rng, progress):
    from .learning import decolle

    xtr, ytr, xte, yte = _images(cfg)
    xtr, xte = xtr.reshape(len(xtr), -1), xte.reshape(len(xte), -1)
    m = cfg["method"]
    T = int(cfg.get("encoder", {}).get("T", 16))

    def encode(xb, r):
        return (r.random((T, *xb.shape)) < xb).astype(np.float64)

    sizes = [xtr.shape[1], *_hidden(cfg, [128, 64])]
    net = decolle.init_net(sizes, 10, rng, readout_gain=5.0)
    p = decolle.DecolleParams(alpha=0.7, beta=0.5)
    decolle.train(net, xtr, ytr, p, epochs=int(m.get("epochs", 4)), rng=rng,
                  lr=float(m.get("lr", 1e-2)), encode=encode,
                  batch=int(m.get("batch_size", 16)), progress=progress)
    pred = np.concatenate([decolle.predict(net, encode(xte[s : s + 500], rng), p)
                           for s in range(0, len(xte), 500)])
    arrays = {f"w{i}": w for i, w in enumerate(net.weights)}
    arrays.update({f"g{i}": g for i, g in enumerate(net.readouts)})
    return {"test_accuracy": float((pred == yte).mean()), "T": T}, arrays


def _rows(cfg):
    from .sequences import rows_as_sequence

    xtr, ytr, xte, yte = _images(cfg)
    rep = int(cfg["method"].get("repeat", 2))
    return rows_as_sequence(xtr, rep), ytr, rows_as_sequence(xte, rep), yte


def _rsnn(cfg, rng, progress, method):
    from . import rsnn

    xtr, ytr, xte, yte = _rows(cfg)
    m = cfg["method"]
    hidden = _hidden(cfg, [100])[0]
    p = rsnn.RSNNParams(n_in=xtr.shape[2], n_hidden=hidden, n_out=10,
                        beta=float(m.get("adaptation", 0.0)), alpha=0.9, kappa=0.9)
    w = rsnn.init_weights(p, rng, scale_in=2.0)
    rsnn.train(w, xtr, ytr, p, method=method, epochs=int(m.get("epochs", 10)),
               lr=float(m.get("lr", 5e-3)), batch=int(m.get("batch_size", 32)), rng=rng,
               progress=progress)
    acc = float((rsnn.predict(w, xte, p) == yte).mean())
    return {"test_accuracy": acc, "hidden": hidden}, dict(w.items())


def _lsm(cfg, rng):
    from . import lsm

    if cfg["data"]["name"] == "fsdd":
        xtr, ytr, xte, yte = _images(cfg)
        xtr, xte = xtr.swapaxes(0, 1), xte.swapaxes(0, 1)
    else:
        xtr, ytr, xte, yte = _rows(cfg)
    m = cfg["method"]
    p = lsm.LSMParams(n_neurons=int(m.get("neurons", 1000)), w_in=float(m.get("w_in", 2.0)))
    clf = lsm.LSMClassifier(p, xtr.shape[2], 10, rng, n_liquids=int(m.get("liquids", 1)),
                            stacked=bool(m.get("stacked", False)), lam=float(m.get("lam", 100.0)))
    acc = float((clf.fit(xtr, ytr).predict(xte) == yte).mean())
    w, b, mu, sd = clf.model
    return {"test_accuracy": acc, "neurons": p.n_neurons}, {"readout_w": w, "readout_b": b,
                                                          "feature_mean": mu, "feature_std": sd}


def _slstm(cfg, rng, progress):
    from . import slstm

    xtr, ytr, xte, yte = _rows(cfg)
    m = cfg["method"]
    p = slstm.SLSTMParams(n_in=xtr.shape[2], n_hidden=_hidden(cfg, [128])[0], n_out=10)
    w = slstm.init_weights(p, rng, dtype=np.float32)
    slstm.train(w, xtr.astype(np.float32), ytr, p, epochs=int(m.get("epochs", 5)),
                batch=int(m.get("batch_size", 64)), lr=float(m.get("lr", 2e-3)), rng=rng,
                progress=progress, threads=1)
    ev = slstm.evaluate(w, xte.astype(np.float32), yte, p)
    arrays = dict(w.items())
    return {"test_accuracy": ev["accuracy"], "spikes_per_inference": ev["spikes_per_inference"]}, \
        arrays
