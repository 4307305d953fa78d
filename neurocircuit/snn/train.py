r"""TOML-driven training runs: dataset → network → encoder → method → saved model.

A configuration file (all sections optional except ``[network]``)::

    [data]
    name = "digits"              # digits | mnist | fashion-mnist (datasets.load)
    data_dir = "/path/to/idx"    # or $NEUROCIRCUIT_DATA
    limit_train = 0              # 0 = all
    limit_test = 0

    [network]                    # hidden layers get a neuron; the last is the output
    layers = [{type = "dense", units = 128}, {type = "dense", units = 10}]
    # conv: {type="conv", channels=16, kernel=3, stride=1, padding=1}, {type="avgpool",
    # kernel=2}, {type="flatten"}
    readout = "spikes"           # spikes (LIF output) | membrane (non-spiking readout)
    batchnorm = false            # ANN only (folded at conversion)

    [neuron]
    beta = 0.9, v_th = 1.0, reset = "soft", surrogate = "fast_sigmoid", slope = 1.0
    train_beta = false, train_th = false

    [encoder]
    name = "direct"              # direct (analog current each step) | poisson | ttfs | ...
    T = 16

    [method]
    name = "bptt"                # bptt | conversion | hybrid
    epochs = 10, batch_size = 64, optimizer = "adam", lr = 1e-3, loss = "count", seed = 0
    ann_epochs = 20, ann_lr = 1e-3                 # conversion / hybrid
    balancing = "percentile", percentile = 99.9    # or "max"
    v_init = 0.0       # conversion / hybrid: initial membrane in units of the threshold
    signed = false     # conversion: signed IF neurons (event streams; inference only)

Outputs: ``MODEL.npz`` (weights, one array per ``node.param``) and ``MODEL.json`` (the config,
the node-by-node architecture, per-epoch history, test metrics, wall time). Every epoch
rewrites both, so a NaN/inf stop (:class:`~.bptt.NonFiniteError`) leaves the last good
checkpoint in place.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from .layers import AvgPool2d, Conv2d, Dense, Flatten, MaxPool2d
from .network import Sequential
from .spiking import LIF, Readout, RecurrentLIF

__all__ = ["load_config", "build_snn", "build_ann", "net_to_spec", "net_from_spec", "run",
           "save_model", "load_model", "evaluate_model"]

_SECTIONS = {
    "data": {"name", "data_dir", "limit_train", "limit_test"},
    "network": {"layers", "readout", "batchnorm"},
    "neuron": {"beta", "v_th", "reset", "v_reset", "surrogate", "slope", "train_beta",
               "train_th"},
    "encoder": {"name", "T"},
    "method": {"name", "epochs", "batch_size", "optimizer", "lr", "loss", "seed", "ann_epochs",
               "ann_lr", "balancing", "percentile", "n_calib", "v_init", "signed",
               # local / unsupervised / recurrent methods (neurocircuit.snn.train_local)
               "n_exc", "repeat", "adaptation", "neurons", "w_in", "lam", "liquids", "stacked",
               "synapse", "devices", "binary"},
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "data": {"name": "digits", "data_dir": None, "limit_train": 0, "limit_test": 0},
    "network": {"readout": "spikes", "batchnorm": False},
    "neuron": {"beta": 0.9, "v_th": 1.0, "reset": "soft", "v_reset": 0.0,
               "surrogate": "fast_sigmoid", "slope": 1.0, "train_beta": False,
               "train_th": False},
    "encoder": {"name": "direct", "T": 16},
    "method": {"name": "bptt", "epochs": 10, "batch_size": 64, "optimizer": "adam", "lr": 1e-3,
               "loss": "count", "seed": 0, "ann_epochs": 20, "ann_lr": 1e-3,
               "balancing": "percentile", "percentile": 99.9, "n_calib": 1000,
               "v_init": 0.0, "signed": False},
}
_METHODS = ("bptt", "conversion", "hybrid", "diehl-cook", "decolle", "eprop", "rsnn-bptt", "lsm",
            "slstm")


def load_config(path: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Read and validate a TOML config (or a dict); fills the defaults."""
    if isinstance(path, dict):
        raw = path
    else:
        p = Path(path)
        if not p.exists():
            raise ParameterError(f"Config file {p} does not exist.")
        try:
            import tomllib
        except ImportError as exc:  # pragma: no cover - Python 3.10
            raise ParameterError("Reading TOML configs needs Python >= 3.11 (tomllib).") from exc
        try:
            raw = tomllib.loads(p.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"{p} is not valid TOML: {exc}") from exc
    cfg: dict[str, Any] = {}
    for sec in raw:
        if sec not in _SECTIONS:
            raise ParameterError(
                f"Unknown config section [{sec}]; valid sections: {', '.join(_SECTIONS)}.")
    for sec, keys in _SECTIONS.items():
        given = dict(raw.get(sec, {}))
        bad = set(given) - keys
        if bad:
            raise ParameterError(
                f"Unknown key(s) {sorted(bad)} in [{sec}]; valid keys: {', '.join(sorted(keys))}.")
        cfg[sec] = {**_DEFAULTS.get(sec, {}), **given}
    if "layers" not in cfg["network"] or not cfg["network"]["layers"]:
        raise ParameterError("[network] needs a non-empty 'layers' list.")
    if cfg["method"]["name"] not in _METHODS:
        raise ParameterError(
            f"Unknown method {cfg['method']['name']!r}; valid methods: {', '.join(_METHODS)}.")
    m = cfg["method"]
    if not isinstance(m["signed"], bool):
        raise ParameterError(f"[method] 'signed' must be true or false. Got {m['signed']!r}.")
    if m["signed"] and m["name"] != "conversion":
        raise ParameterError(
            f"[method] signed = true needs name = \"conversion\" (signed IF neurons are "
            f"inference-only); got {m['name']!r}.")
    if not (isinstance(m["v_init"], (int, float)) and np.isfinite(m["v_init"])):
        raise ParameterError(
            f"[method] 'v_init' must be a finite number (units of the threshold). "
            f"Got {m['v_init']!r}.")
    return cfg


def _in_shape(layers: list[dict[str, Any]], x_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Input shape the network takes: images (C, H, W) for conv nets, flat features otherwise."""
    if layers[0].get("type") == "conv":
        return (1, *x_shape) if len(x_shape) == 2 else tuple(x_shape)
    return (int(np.prod(x_shape)),)


def _synaptic(spec: dict[str, Any], shape: tuple[int, ...], rng: np.random.Generator) -> Any:
    t = spec.get("type")
    if t == "dense":
        if len(shape) != 1:
            raise ParameterError(f"A dense layer needs flat input; got shape {shape} "
                                 "(add {type = \"flatten\"}).")
        return Dense(shape[0], int(spec["units"]), rng=rng, bias=spec.get("bias", True))
    if t == "conv":
        return Conv2d(shape[0], int(spec["channels"]), int(spec.get("kernel", 3)),
                      stride=int(spec.get("stride", 1)), padding=int(spec.get("padding", 0)),
                      rng=rng, bias=spec.get("bias", True))
    if t == "avgpool":
        return AvgPool2d(int(spec.get("kernel", 2)), spec.get("stride"))
    if t == "maxpool":
        return MaxPool2d(int(spec.get("kernel", 2)), spec.get("stride"))
    if t == "flatten":
        return Flatten(len(shape))
    raise ParameterError(f"Unknown layer type {t!r}; valid: dense, conv, avgpool, maxpool, "
                         "flatten, recurrent.")


def build_snn(cfg: dict[str, Any], in_shape: tuple[int, ...], rng: Any = 0) -> Sequential:
    """SNN from the config: every weight layer but the last gets a LIF neuron."""
    rng = np.random.default_rng(rng)
    neu = cfg["neuron"]
    layers = cfg["network"]["layers"]
    last_w = max(i for i, s in enumerate(layers) if s.get("type") in ("dense", "conv",
                                                                       "recurrent"))
    nodes: list[Any] = []
    shape = tuple(in_shape)
    lif_kw = {k: neu[k] for k in ("reset", "v_reset", "surrogate", "slope", "train_beta",
                                  "train_th")}
    for i, spec in enumerate(layers):
        if spec.get("type") == "recurrent":
            node = RecurrentLIF(shape[0], int(spec["units"]), beta=neu["beta"], v_th=neu["v_th"],
                                reset=neu["reset"], surrogate=neu["surrogate"],
                                slope=neu["slope"], rng=rng)
            nodes.append(node)
            shape = node.out_shape(shape)
            continue
        node = _synaptic(spec, shape, rng)
        nodes.append(node)
        shape = tuple(node.out_shape(shape))
        if spec.get("type") in ("dense", "conv"):
            if i == last_w and cfg["network"]["readout"] == "membrane":
                nodes.append(Readout(0.0))
            else:
                nodes.append(LIF(neu["beta"], neu["v_th"], **lif_kw))
    return Sequential(nodes, in_shape)


def build_ann(cfg: dict[str, Any], in_shape: tuple[int, ...], rng: Any = 0) -> Any:
    """ReLU ANN of the same architecture (for conversion / hybrid)."""
    from .ann import ANN, BatchNorm, ReLU

    rng = np.random.default_rng(rng)
    layers = cfg["network"]["layers"]
    last_w = max(i for i, s in enumerate(layers) if s.get("type") in ("dense", "conv"))
    nodes: list[Any] = []
    shape = tuple(in_shape)
    for i, spec in enumerate(layers):
        if spec.get("type") in ("maxpool", "recurrent"):
            raise ParameterError(f"Conversion does not support {spec['type']!r} layers.")
        node = _synaptic(spec, shape, rng)
        nodes.append(node)
        shape = tuple(node.out_shape(shape))
        if spec.get("type") in ("dense", "conv") and i != last_w:
            if cfg["network"]["batchnorm"]:
                nodes.append(BatchNorm(shape[0]))
            nodes.append(ReLU())
    return ANN(nodes, in_shape)


def net_to_spec(net: Sequential) -> list[dict[str, Any]]:
    """JSON-able node-by-node description (weights go to the npz)."""
    out: list[dict[str, Any]] = []
    for n in net.nodes:
        if isinstance(n, Dense):
            out.append({"type": "dense", "n_in": n.n_in, "n_out": n.n_out, "bias": n.has_bias})
        elif isinstance(n, Conv2d):
            out.append({"type": "conv2d", "in_ch": n.in_ch, "out_ch": n.out_ch,
                        "kernel": [n.kh, n.kw], "stride": n.stride, "padding": n.padding,
                        "bias": n.has_bias})
        elif isinstance(n, AvgPool2d | MaxPool2d):
            out.append({"type": n.kind, "kernel": n.k, "stride": n.s})
        elif isinstance(n, Flatten):
            out.append({"type": "flatten", "ndim": n.ndim})
        elif isinstance(n, LIF):
            out.append({"type": "lif", "beta": _jsonable(n.value("beta")),
                        "v_th": _jsonable(n.value("v_th")), "reset": n.reset,
                        "v_reset": n.v_reset, "surrogate": n.surrogate, "slope": n.slope,
                        "train_beta": "beta" in n.params, "train_th": "v_th" in n.params,
                        "v_init": n.v_init, "signed": n.signed})
        elif isinstance(n, Readout):
            out.append({"type": "readout", "beta": n._beta(), "train_beta": "beta" in n.params})
        elif isinstance(n, RecurrentLIF):
            out.append({"type": "recurrent", "n_in": n.n_in, "n_out": n.n_out,
                        "beta": n.lif.value("beta"), "v_th": n.lif.value("v_th"),
                        "reset": n.lif.reset, "surrogate": n.lif.surrogate,
                        "slope": n.lif.slope})
        else:
            raise ParameterError(f"Cannot serialise node {type(n).__name__}.")
    return out


def _jsonable(v: Any) -> Any:
    return v.tolist() if isinstance(v, np.ndarray) else float(v)


def net_from_spec(spec: list[dict[str, Any]], in_shape: tuple[int, ...]) -> Sequential:
    """Rebuild a network from :func:`net_to_spec` output (weights left at initial values)."""
    nodes: list[Any] = []
    for s in spec:
        t = s["type"]
        if t == "dense":
            nodes.append(Dense(s["n_in"], s["n_out"], bias=s["bias"]))
        elif t == "conv2d":
            nodes.append(Conv2d(s["in_ch"], s["out_ch"], tuple(s["kernel"]), stride=s["stride"],
                                padding=s["padding"], bias=s["bias"]))
        elif t == "avgpool":
            nodes.append(AvgPool2d(s["kernel"], s["stride"]))
        elif t == "maxpool":
            nodes.append(MaxPool2d(s["kernel"], s["stride"]))
        elif t == "flatten":
            nodes.append(Flatten(s["ndim"]))
        elif t == "lif":
            nodes.append(LIF(s["beta"], s["v_th"], reset=s["reset"], v_reset=s["v_reset"],
                             surrogate=s["surrogate"], slope=s["slope"],
                             train_beta=s["train_beta"], train_th=s["train_th"],
                             v_init=s.get("v_init", 0.0), signed=s.get("signed", False)))
        elif t == "readout":
            nodes.append(Readout(s["beta"], train_beta=s["train_beta"]))
        elif t == "recurrent":
            nodes.append(RecurrentLIF(s["n_in"], s["n_out"], beta=s["beta"], v_th=s["v_th"],
                                      reset=s["reset"], surrogate=s["surrogate"],
                                      slope=s["slope"]))
        else:
            raise ParameterError(f"Unknown node type {t!r} in the model file.")
    return Sequential(nodes, tuple(in_shape))


def save_model(path: str | Path, net: Sequential, meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``path.npz`` (weights) and ``path.json`` (metadata); returns both paths."""
    base = Path(path)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    npz, js = base.with_suffix(".npz"), base.with_suffix(".json")
    tmp = base.with_name(base.name + ".tmp.npz")
    np.savez(tmp, **net.state_dict())
    tmp.replace(npz)
    full = {**meta, "in_shape": list(net.in_shape), "architecture": net_to_spec(net)}
    js.write_text(json.dumps(full, indent=1, default=_jsonable))
    return npz, js


def load_model(path: str | Path) -> tuple[Sequential, dict[str, Any]]:
    """Load a model saved by :func:`save_model` (``MODEL``, ``MODEL.npz`` or ``MODEL.json``)."""
    base = Path(path)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    npz, js = base.with_suffix(".npz"), base.with_suffix(".json")
    for f in (npz, js):
        if not f.exists():
            raise ParameterError(f"Model file {f} does not exist.")
    meta = json.loads(js.read_text())
    net = net_from_spec(meta["architecture"], tuple(meta["in_shape"]))
    with np.load(npz) as d:
        net.load_state_dict(dict(d))
    return net, meta


def _data(cfg: dict[str, Any], split: str, data_dir: Any = None) -> tuple[np.ndarray, np.ndarray]:
    from .datasets import load

    d = cfg["data"]
    lim = d["limit_train" if split == "train" else "limit_test"] or None
    return load(d["name"], data_dir or d["data_dir"], split=split, limit=lim)


def _shape_input(x: np.ndarray, in_shape: tuple[int, ...]) -> np.ndarray:
    want = int(np.prod(in_shape))
    if int(np.prod(x.shape[1:])) != want:
        raise ParameterError(
            f"The data samples have shape {x.shape[1:]}, the network expects "
            f"{tuple(in_shape)} ({want} values per sample).")
    return x.reshape(len(x), *in_shape)


def evaluate_model(net: Sequential, meta: dict[str, Any], data_dir: Any = None,
                   limit: int | None = None) -> dict[str, float]:
    """Test-split accuracy, spikes and AC/MAC counts per inference of a saved model."""
    from .bptt import evaluate

    cfg = load_config(meta["config"])
    if limit:
        cfg["data"]["limit_test"] = limit
    x, y = _data(cfg, "test", data_dir)
    x = _shape_input(x, net.in_shape)
    return evaluate(net, x, y, T=int(cfg["encoder"]["T"]), encoder=cfg["encoder"]["name"],
                    count=True)


def run(cfg: dict[str, Any] | str | Path, out: str | Path, data_dir: Any = None,
        progress: bool = True) -> dict[str, Any]:
    """Train as configured, save the model to ``out`` and return the metadata."""
    from .ann import fit_ann
    from .bptt import NonFiniteError, evaluate, fit
    from .convert import convert
    from .hybrid import hybrid
    from .optim import make_optimizer, params_of

    cfg = load_config(cfg)
    m, enc = cfg["method"], cfg["encoder"]
    if m["name"] not in ("bptt", "conversion", "hybrid"):
        return _run_local(cfg, out, data_dir, progress)
    t0 = time.perf_counter()
    xtr, ytr = _data(cfg, "train", data_dir)
    xte, yte = _data(cfg, "test", data_dir)
    in_shape = _in_shape(cfg["network"]["layers"], xtr.shape[1:])
    xtr, xte = _shape_input(xtr, in_shape), _shape_input(xte, in_shape)
    T = int(enc["T"])
    meta: dict[str, Any] = {"config": cfg, "history": [], "status": "running"}
    state: dict[str, Any] = {"net": None}

    def checkpoint(ep: int, metrics: dict[str, float]) -> None:
        meta["history"].append(metrics)
        meta["wall_time_s"] = time.perf_counter() - t0
        if state["net"] is not None:
            save_model(out, state["net"], meta)

    rng = np.random.default_rng(m["seed"])
    try:
        if m["name"] == "bptt":
            net = build_snn(cfg, in_shape, rng)
            state["net"] = net
            opt = make_optimizer(m["optimizer"], params_of(net), m["lr"])
            fit(net, opt, xtr, ytr, T=T, epochs=m["epochs"], batch_size=m["batch_size"],
                loss=m["loss"], encoder=enc["name"], rng=rng, progress=progress,
                on_epoch=checkpoint)
        else:
            ann = build_ann(cfg, in_shape, rng)
            opt = make_optimizer(m["optimizer"], params_of(ann), m["ann_lr"])
            fit_ann(ann, opt, xtr, ytr, epochs=m["ann_epochs"], batch_size=m["batch_size"],
                    rng=rng, progress=progress)
            meta["ann_test_accuracy"] = ann.accuracy(xte, yte)
            if m["name"] == "conversion":
                calib = xtr[rng.permutation(len(xtr))[: m["n_calib"]]]
                net = convert(ann, calib, method=m["balancing"], percentile=m["percentile"],
                              v_init=float(m["v_init"]), signed=m["signed"])
            else:
                net, hist = hybrid(ann, xtr, ytr, T=T, epochs=m["epochs"], lr=m["lr"],
                                   batch_size=m["batch_size"], optimizer=m["optimizer"],
                                   method=m["balancing"], percentile=m["percentile"],
                                   n_calib=m["n_calib"], v_init=float(m["v_init"]),
                                   encoder=enc["name"], rng=rng,
                                   progress=progress)
                meta["history"] = hist
            state["net"] = net
    except NonFiniteError as exc:
        meta["status"] = f"stopped: {exc}"
        if state["net"] is not None:
            save_model(out, state["net"], meta)
        raise NonFiniteError(f"{exc} The last good checkpoint is kept at {out}.npz.") from exc
    net = state["net"]
    meta["test"] = evaluate(net, xte, yte, T=T, encoder=enc["name"], count=True)
    meta["status"] = "done"
    meta["wall_time_s"] = time.perf_counter() - t0
    save_model(out, net, meta)
    return meta


def _run_local(cfg: dict[str, Any], out: str | Path, data_dir: Any, progress: bool):
    """Local/unsupervised/recurrent methods: train, then save their arrays and metrics."""
    from .train_local import run_local

    if data_dir:
        cfg["data"]["data_dir"] = data_dir
    metrics, arrays = run_local(cfg, progress=progress)
    base = Path(out)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    np.savez(base.with_suffix(".npz"), **{k: np.asarray(v) for k, v in arrays.items()})
    meta = {"config": cfg, "status": "done", "wall_time_s": metrics["train_wall_s"],
            "test": {"accuracy": metrics["test_accuracy"], **metrics}, "local": True}
    base.with_suffix(".json").write_text(json.dumps(meta, indent=1, default=_jsonable))
    return meta
