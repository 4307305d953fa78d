"""Convolutional SNN targets of issue 7: MNIST, Fashion-MNIST and emulated event-MNIST.

A small strided-convolution ReLU ANN (no biases, no pooling, so every hidden synaptic layer
is fed spikes and counts as accumulates) is trained in numpy with Adam, converted to an
integrate-and-fire SNN (percentile threshold balancing, soft reset, ``v_init = θ/2``) and
evaluated on the full test set; accuracy at every ``T`` in ``--Ts`` comes from one run at
``max(Ts)`` (:func:`neurocircuit.snn.anytime.evaluate_prefixes`). One JSON line per result.

    .venv/bin/python bench/conv_snn.py mnist   [--data-dir DIR] [--epochs 8]
    .venv/bin/python bench/conv_snn.py fashion [--data-dir DIR] [--epochs 12]
    .venv/bin/python bench/conv_snn.py event   [--data-dir DIR] [--train 60000] [--bins 32]

``--save W.npz`` keeps the trained ANN; ``--load W.npz`` evaluates it again (``--finetune``:
train it ``--epochs`` more first). SNN results are printed after every 1000 test samples
(``n_eval``); the last lines cover the whole test set.

Architecture (``--width w``, default 16): conv5×5-w stride 2 → ReLU → conv5×5-2w stride 2 →
ReLU → dense 128 → ReLU → dense 10. Training holds out ``--val`` training samples; the
balancing percentile (99.9 or 99.99) is chosen on them, never on the test set.

Event-MNIST: every digit is moved by three saccades in front of the DVS emulator
(:func:`neurocircuit.snn.events.saccade_events`, 34 × 34 sensor, train and test recorded with
different sensor threshold maps). The ANN sees the mean event rate per (polarity, pixel),
``a = N_events/T``; the SNN is fed the event stream itself, binned into ``T = --bins`` steps
(input current at step ``t`` = the number of events in bin ``t``, so each input event is one
accumulate per synaptic target). The saccades make the stream non-stationary (an edge drives
a neuron in one saccade and inhibits it in the next); plain IF neurons then fire early and
cannot take those spikes back, which costs about 3 points at T = 32. ``--signed`` converts to
signed IF neurons (:class:`neurocircuit.snn.spiking.LIF` ``signed=True``), whose counts are
the ReLU of the time-summed input whatever the order of the events.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from neurocircuit.snn.ann import ANN, ReLU, fit_ann
from neurocircuit.snn.anytime import evaluate_prefixes
from neurocircuit.snn.convert import convert
from neurocircuit.snn.datasets import load
from neurocircuit.snn.layers import Conv2d, Dense, Flatten
from neurocircuit.snn.optim import Adam, params_of


def emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


def log(**kw) -> None:
    print(json.dumps(kw), file=sys.stderr, flush=True)


def build_ann(in_shape: tuple[int, int, int], width: int = 16, hidden: int = 128,
              seed: int = 0) -> ANN:
    """conv5×5-w/2 → ReLU → conv5×5-2w/2 → ReLU → dense hidden → ReLU → dense 10 (no biases)."""
    c, h, w = in_shape
    c1 = Conv2d(c, width, 5, stride=2, padding=2, bias=False, rng=seed)
    c2 = Conv2d(width, 2 * width, 5, stride=2, padding=2, bias=False, rng=seed + 1)
    s2 = c2.out_shape(c1.out_shape(in_shape))
    n_flat = int(np.prod(s2))
    return ANN([c1, ReLU(), c2, ReLU(), Flatten(),
                Dense(n_flat, hidden, bias=False, rng=seed + 2), ReLU(),
                Dense(hidden, 10, bias=False, rng=seed + 3)], in_shape)


def train_or_load(args, xtr, ytr, xva, yva, aug):
    """The ANN of ``args`` (loaded and/or trained, saved if asked); logs validation accuracy.
    Returns the ANN and the training wall time (s), including ``--train-wall-s``."""
    ann = build_ann(xtr.shape[1:], args.width, args.hidden, args.seed)
    t_train = args.train_wall_s
    if args.load:
        load_ann(ann, args.load)
    if not args.load or args.finetune:
        t_train += train(ann, xtr, ytr, args.epochs, args.lr, args.batch, aug, args.seed)
    if args.save:
        save_ann(ann, args.save)
    log(val_ann_accuracy=ann.accuracy(xva, yva))
    return ann, t_train


def augment(max_shift: int = 2, flip: bool = False):
    """Minibatch transform: random integer shifts (zero fill) and optional horizontal flips."""
    def tf(xb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, _, h, w = xb.shape
        m = max_shift
        pad = np.pad(xb, ((0, 0), (0, 0), (m, m), (m, m)))
        dy, dx = rng.integers(0, 2 * m + 1, (2, n))
        out = np.empty_like(xb)
        for oy in range(2 * m + 1):
            for ox in range(2 * m + 1):
                sel = np.flatnonzero((dy == oy) & (dx == ox))
                if sel.size:
                    out[sel] = pad[sel, :, oy: oy + h, ox: ox + w]
        if flip:
            f = rng.random(n) < 0.5
            out[f] = out[f, :, :, ::-1]
        return out
    return tf


def train(ann: ANN, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch_size: int,
          tf, seed: int) -> float:
    """Adam with the learning rate halved every quarter of the epochs; returns wall seconds."""
    opt = Adam(params_of(ann), lr=lr)
    t0 = time.perf_counter()

    def sched(ep, m):
        opt.lr = lr * 0.5 ** ((ep + 1) // max(epochs // 4, 1))
        log(ann_epoch=ep + 1, loss=m["loss"], train_acc=m["train_acc"],
            wall_s=round(time.perf_counter() - t0, 1))
    fit_ann(ann, opt, x, y, epochs=epochs, batch_size=batch_size, rng=seed, transform=tf,
            on_epoch=sched)
    return time.perf_counter() - t0


def choose_percentile(ann, calib, xval, yval, T, sequence_val=None, signed=False):
    """Balancing percentile with the best validation SNN accuracy at ``T`` (ties: lower)."""
    best = None
    for pct in (99.9, 99.99):
        snn = convert(ann, calib, method="percentile", percentile=pct, v_init=0.5,
                      signed=signed)
        if sequence_val is None:
            acc = evaluate_prefixes(snn, xval, yval, [T])[0]["accuracy"]
        else:
            acc = evaluate_prefixes(snn, sequence_val, yval, [T], sequence=True)[0]["accuracy"]
        log(val_percentile=pct, T=T, val_snn_accuracy=acc)
        if best is None or acc > best[1]:
            best = (pct, acc)
    return best


def save_ann(ann: ANN, path: str) -> None:
    np.savez(path, **{f"{i}.{k}": v for i, n in enumerate(ann.nodes) for k, v in n.params.items()})


def load_ann(ann: ANN, path: str) -> None:
    d = np.load(path)
    for i, n in enumerate(ann.nodes):
        for k in n.params:
            n.params[k][...] = d[f"{i}.{k}"]


def _data_dir(arg: str | None) -> str:
    return arg or os.environ.get("NEUROCIRCUIT_DATA") or "../shared/data"


def split_val(x, y, n_val, seed=0):
    perm = np.random.default_rng(seed).permutation(len(y))
    va, tr = perm[:n_val], perm[n_val:]
    return x[tr], y[tr], x[va], y[va]


def report(name, ann, snn, t_train, xte, yte, Ts, extra, sequence=None, chunk=1000):
    """Emit the ANN line, then SNN results over the first ``k·chunk`` test samples after each
    chunk (``n_eval``; the last lines cover the whole test set)."""
    acc_ann = ann.accuracy(xte, yte)
    pred_ann = ann.predict(xte)
    emit(dataset=name, method="ann", accuracy=acc_ann, train_wall_s=round(t_train, 1), **extra)
    t1 = time.perf_counter()
    tot: list[dict[str, float]] = []
    n = len(yte)
    for s in range(0, n, chunk):
        sl = slice(s, min(s + chunk, n))
        if sequence is None:
            rows = evaluate_prefixes(snn, xte[sl], yte[sl], Ts, batch_size=100)
        else:
            rows = evaluate_prefixes(snn, sequence[:, sl], yte[sl], Ts, sequence=True,
                                     batch_size=100)
        m = sl.stop - sl.start
        tot = [{k: v * m for k, v in r.items()} for r in rows] if not tot else [
            {k: a[k] + v * m for k, v in r.items()} for a, r in zip(tot, rows)]
        done = sl.stop
        acc_ann_sub = float(np.mean(pred_ann[:done] == yte[:done]))
        for a in tot:
            r = {k: v / done for k, v in a.items()}
            emit(dataset=name, method="conversion", T=int(round(r["T"])), n_eval=done,
                 accuracy=r["accuracy"], ann_accuracy_same_samples=acc_ann_sub,
                 delta_vs_ann=r["accuracy"] - acc_ann_sub,
                 spikes_per_inference=r["spikes"], ac_per_inference=r["ac"],
                 mac_snn_per_inference=r["mac_snn"], mac_ann_per_inference=r["mac_ann"],
                 train_wall_s=round(t_train, 1),
                 eval_wall_s_all_T=round(time.perf_counter() - t1, 1), **extra)


# ----------------------------------------------------------------------------- image datasets


def run_images(args, name: str, dataset: str, flip: bool) -> None:
    xtr, ytr = load(dataset, _data_dir(args.data_dir), "train")
    xte, yte = load(dataset, _data_dir(args.data_dir), "test")
    if args.train:
        xtr, ytr = xtr[: args.train], ytr[: args.train]
    if args.test:
        xte, yte = xte[: args.test], yte[: args.test]
    xtr, xte = xtr[:, None], xte[:, None]
    xtr, ytr, xva, yva = split_val(xtr, ytr, args.val, args.seed)
    ann, t_train = train_or_load(args, xtr, ytr, xva, yva, augment(args.shift, flip))
    calib = xtr[np.random.default_rng(args.seed + 1).permutation(len(xtr))[: args.calib]]
    pct = args.percentile or choose_percentile(ann, calib, xva[: args.val_snn],
                                               yva[: args.val_snn], max(args.Ts))[0]
    snn = convert(ann, calib, method="percentile", percentile=pct, v_init=0.5)
    report(name, ann, snn, t_train, xte, yte, args.Ts,
           {"epochs": args.epochs, "width": args.width, "percentile": pct,
            "n_train": len(ytr), "n_test": len(yte)})


# ----------------------------------------------------------------------------- event MNIST


def event_counts(images: np.ndarray, seed: int, n_bins: int, chunk: int = 250
                 ) -> np.ndarray:
    """Events of saccade-moved digits binned to ``(N, n_bins, 2, 34, 34)`` uint8 counts.

    Bins span each recording's own first to last event (``batch_to_frames``).
    """
    from neurocircuit.snn.events import batch_to_frames, saccade_events

    out = None
    for i in range(0, len(images), chunk):
        b = saccade_events(images[i: i + chunk], rng=seed)
        f = batch_to_frames(b, n_bins)
        if out is None:
            out = np.empty((len(images),) + f.shape[1:], np.uint8)
        out[i: i + chunk] = np.minimum(f, 255)
    return out


def run_event(args) -> None:
    d = _data_dir(args.data_dir)
    T = args.bins
    xtr_img, ytr = load("mnist", d, "train")
    xte_img, yte = load("mnist", d, "test")
    n_train = args.train or len(ytr)
    xtr_img, ytr = xtr_img[:n_train], ytr[:n_train]
    if args.test:
        xte_img, yte = xte_img[: args.test], yte[: args.test]
    t0 = time.perf_counter()
    cache = args.cache and os.path.exists(args.cache)
    if cache:
        z = np.load(args.cache)
        rtr, ev_te = z["rtr"], z["ev_te"]
    else:   # train: only the per-pixel rate is needed; test: the binned stream
        rtr = event_counts(xtr_img, args.seed, 1, chunk=500)[:, 0]
        ev_te = event_counts(xte_img, args.seed + 1, T)
        if args.cache:
            np.savez(args.cache, rtr=rtr, ev_te=ev_te)
    t_emul = time.perf_counter() - t0
    log(emulation_wall_s=round(t_emul, 1), events_per_test_sample=float(
        ev_te.reshape(len(ev_te), -1).sum(1, dtype=np.float64).mean()))
    xtr = rtr.astype(np.float32) / np.float32(T)                 # rate per step
    xte = ev_te.sum(axis=1, dtype=np.float32) / np.float32(T)
    seq_te = np.moveaxis(ev_te, 1, 0)                             # (T, N, 2, 34, 34)
    y_all = ytr
    xtr, ytr, xva, yva = split_val(xtr, ytr, args.val, args.seed)
    ann, t_train = train_or_load(args, xtr, ytr, xva, yva, augment(args.shift))
    calib = xtr[np.random.default_rng(args.seed + 1).permutation(len(xtr))[: args.calib]]
    # validation SNN input: the validation digits' own (training-sensor) event streams
    perm = np.random.default_rng(args.seed).permutation(n_train)
    nv = min(args.val_snn, args.val)
    pct = args.percentile
    if pct is None:
        seq_va = np.moveaxis(event_counts(xtr_img[perm[:nv]], args.seed, T), 1, 0)
        pct = choose_percentile(ann, calib, None, y_all[perm[:nv]], T, sequence_val=seq_va,
                                signed=args.signed)[0]
    snn = convert(ann, calib, method="percentile", percentile=pct, v_init=0.5,
                  signed=args.signed)
    report("event-mnist", ann, snn, t_train, xte, yte, [t for t in args.Ts if t <= T],
           {"epochs": args.epochs, "width": args.width, "percentile": pct, "bins": T,
            "n_train": len(ytr), "n_test": len(yte), "emulation_wall_s": round(t_emul, 1),
            "signed_neurons": bool(args.signed)},
           sequence=seq_te)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=("mnist", "fashion", "event"))
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--shift", type=int, default=2)
    ap.add_argument("--train", type=int, default=0, help="training samples (0: all)")
    ap.add_argument("--test", type=int, default=0, help="test samples (0: all 10000)")
    ap.add_argument("--val", type=int, default=5000, help="held-out training samples")
    ap.add_argument("--val-snn", type=int, default=500,
                    help="validation samples for choosing the balancing percentile")
    ap.add_argument("--calib", type=int, default=2000)
    ap.add_argument("--percentile", type=float, default=None,
                    help="fixed balancing percentile (default: chosen on validation data)")
    ap.add_argument("--Ts", type=int, nargs="+", default=None)
    ap.add_argument("--bins", type=int, default=32, help="event-MNIST time bins = SNN steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", default=None, help="save the trained ANN weights (.npz)")
    ap.add_argument("--load", default=None, help="load ANN weights instead of training")
    ap.add_argument("--cache", default=None, help="event-MNIST emulation cache (.npz)")
    ap.add_argument("--train-wall-s", type=float, default=0.0,
                    help="with --load: the training wall time to report (from its log)")
    ap.add_argument("--finetune", action="store_true",
                    help="with --load: train the loaded ANN for --epochs more")
    ap.add_argument("--signed", action="store_true",
                    help="event: signed IF neurons (count = ReLU of the time-summed input, so "
                         "the non-stationary saccade stream converts without early spikes)")
    args = ap.parse_args(argv)
    if args.task == "mnist":
        args.epochs = args.epochs or 8
        args.Ts = args.Ts or [16, 32, 64]
        run_images(args, "mnist", "mnist", flip=False)
    elif args.task == "fashion":
        args.epochs = args.epochs or 12
        args.Ts = args.Ts or [16, 32, 64]
        run_images(args, "fashion-mnist", "fashion-mnist", flip=True)
    else:
        args.epochs = args.epochs or 8
        args.Ts = args.Ts or sorted({8, 16, args.bins})
        run_event(args)


if __name__ == "__main__":
    main()
