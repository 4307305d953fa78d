"""DECOLLE on MNIST (issue 8 target: ≥ 96 %): 784-Poisson input → local-loss LIF layers.

Prints one JSON line with the test accuracy of every layer's readout, the wall time and the
configuration. Full MNIST is long on 2 cores: ``--train N`` limits the training set.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from neurocircuit.snn.datasets import load
from neurocircuit.snn.learning import decolle


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--T", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    xtr, ytr = load("mnist", data_dir=args.data_dir, split="train", limit=args.train, flatten=True)
    xte, yte = load("mnist", data_dir=args.data_dir, split="test", limit=args.test, flatten=True)
    T = args.T

    def encode(xb, rng):
        return (rng.random((T, *xb.shape)) < xb).astype(np.float64)

    rng = np.random.default_rng(args.seed)
    net = decolle.init_net([784, *args.hidden], 10, rng, readout_gain=5.0)
    p = decolle.DecolleParams(alpha=0.7, beta=0.5)
    t0 = time.perf_counter()
    decolle.train(net, xtr, ytr, p, epochs=args.epochs, rng=rng, lr=args.lr, encode=encode,
                  batch=args.batch, progress=True)
    wall = time.perf_counter() - t0
    accs = []
    for layer in range(len(args.hidden)):
        correct = 0
        for s in range(0, len(xte), 500):
            pred = decolle.predict(net, encode(xte[s : s + 500], rng), p, layer=layer)
            correct += int((pred == yte[s : s + 500]).sum())
        accs.append(correct / len(xte))
    print(json.dumps({"tool": "neurocircuit", "workload": "decolle-mnist", "hidden": args.hidden,
                      "epochs": args.epochs, "T": T, "n_train": len(xtr), "n_test": len(xte),
                      "test_accuracy_per_layer": accs, "train_wall_s": wall, "target": 0.96}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
