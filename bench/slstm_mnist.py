"""Spiking LSTM on sequential (row-by-row) MNIST — issue 8 target: test accuracy ≥ 95 %.

Each 28×28 image is a sequence of 28 steps of 28 analog pixels (the first layer's input);
hidden units emit binary spikes (:mod:`neurocircuit.snn.slstm`). Prints JSON lines: one per
epoch (training loss, elapsed wall time, test accuracy when evaluated) and a final summary with
the test accuracy, training wall time and hidden spikes per inference. ``--train-limit`` /
``--test-limit`` run on the first N images of the official splits (report what you ran).
"""

from __future__ import annotations

import os

# Small per-step matmuls: single-threaded BLAS is fastest (and fair on a shared machine).
# Set before numpy loads; a script, not the library, so this is not library state.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from neurocircuit.snn import datasets, slstm  # noqa: E402
from neurocircuit.snn.sequences import rows_as_sequence  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lr-decay", type=float, default=0.7, help="per-epoch lr factor")
    ap.add_argument("--theta", type=float, default=0.1)
    ap.add_argument("--kappa", type=float, default=0.9)
    ap.add_argument("--readout", default="mean", choices=("mean", "last"))
    ap.add_argument("--train-limit", type=int, default=None, help="first N training images")
    ap.add_argument("--test-limit", type=int, default=None, help="first N test images")
    ap.add_argument("--eval-every", type=int, default=1, help="test every k epochs (0: end)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    xtr, ytr = datasets.load("mnist", data_dir=args.data_dir, split="train",
                             limit=args.train_limit)
    xte, yte = datasets.load("mnist", data_dir=args.data_dir, split="test",
                             limit=args.test_limit)
    xtr = rows_as_sequence(xtr).astype(np.float32)
    xte = rows_as_sequence(xte).astype(np.float32)
    p = slstm.SLSTMParams(n_in=28, n_hidden=args.hidden, n_out=10, n_layers=args.layers,
                          theta=args.theta, kappa=args.kappa, readout=args.readout)
    rng = np.random.default_rng(args.seed)
    w = slstm.init_weights(p, rng, dtype=np.float32)
    common = {"tool": "neurocircuit", "workload": "slstm-seq-mnist", "hidden": args.hidden,
              "layers": args.layers, "n_train": int(xtr.shape[1]), "n_test": int(xte.shape[1]),
              "batch": args.batch, "lr": args.lr, "theta": args.theta, "kappa": args.kappa,
              "readout": args.readout, "seed": args.seed}
    t0 = time.perf_counter()
    eval_wall = [0.0]

    def on_epoch(ep: int, loss: float) -> None:
        rec = {**common, "epoch": ep + 1, "train_loss": loss,
               "elapsed_s": time.perf_counter() - t0}
        if args.eval_every and (ep + 1) % args.eval_every == 0 and ep + 1 < args.epochs:
            te = time.perf_counter()
            rec.update(slstm.evaluate(w, xte, yte, p))
            eval_wall[0] += time.perf_counter() - te
        print(json.dumps(rec), flush=True)

    slstm.train(w, xtr, ytr, p, epochs=args.epochs, batch=args.batch, lr=args.lr,
                lr_decay=args.lr_decay, rng=rng, callback=on_epoch)
    train_wall = time.perf_counter() - t0 - eval_wall[0]
    te = time.perf_counter()
    res = slstm.evaluate(w, xte, yte, p)
    print(json.dumps({**common, "epochs": args.epochs, "test_accuracy": res["accuracy"],
                      "spikes_per_inference": res["spikes_per_inference"],
                      "spike_rate_per_unit_step": res["spike_rate"],
                      "train_wall_s": train_wall, "test_wall_s": time.perf_counter() - te,
                      "target": ">= 0.95 (issue 8)"}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
