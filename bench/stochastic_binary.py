"""Issue 8: stochastic binary STDP vs full-precision STDP in the same Diehl & Cook network.

Both arms: the Diehl & Cook (2015) network of :mod:`neurocircuit.snn.diehl_cook` (``--n-exc``
excitatory + as many inhibitory neurons, Poisson input, adaptive thresholds, weight
normalisation), trained unsupervised for one pass over the same first ``--train`` MNIST training
images with the same seed for the network's noise; only the plasticity differs:

- ``full``: the default D&C rule (continuous weights in [0, 1]);
- ``binary``: 1-bit synapses switched by stochastic STDP (Querlioz et al. 2013, Yousefzadeh et
  al. 2018): on with ``p_pot`` at a post spike if the input spiked in the last ``t_pot``, off
  with ``p_anti`` if it spiked earlier, off with ``p_dep`` at an input spike within ``t_dep``
  after a post spike; every on-synapse of neuron i weighs ``78 / n_on_i``.

Neurons are then labelled on ``--label`` training images and scored on ``--test`` test images
(frozen weights). Prints one JSON line per arm and a final comparison line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from neurocircuit.snn import diehl_cook as dc
from neurocircuit.snn.datasets import load
from neurocircuit.snn.learning.stochastic_binary import StochasticBinaryParams


def run_arm(arm: str, xtr, ytr, xlab, ylab, xte, yte, n_exc: int, seed: int,
            binary: StochasticBinaryParams | None, p_on: float) -> dict:
    p = dc.DCParams(n_exc=n_exc)
    rng = np.random.default_rng(seed)
    net = dc.init_network(p, rng) if binary is None else dc.init_binary_network(p, rng, p_on)
    t0 = time.perf_counter()
    dc.train(net, xtr, rng, binary=binary)
    t_train = time.perf_counter() - t0
    ev_rng = np.random.default_rng(seed + 1)
    labels = dc.assign_labels(dc.evaluate_counts(net, xlab, ev_rng), ylab)
    acc = float((dc.predict(dc.evaluate_counts(net, xte, ev_rng), labels) == yte).mean())
    row = {"tool": "neurocircuit", "workload": "stochastic-binary-stdp", "arm": arm,
           "n_exc": n_exc, "n_train": len(xtr), "n_label": len(xlab), "n_test": len(xte),
           "accuracy": acc, "train_wall_s": t_train,
           "distinct_levels_per_neuron": int(max(len(np.unique(r)) for r in net.w)),
           "classes_covered": int(len(np.unique(labels)))}
    if binary is not None:
        row.update({"p_pot": binary.p_pot, "p_dep": binary.p_dep, "p_anti": binary.p_anti,
                    "t_pot": binary.t_pot, "t_dep": binary.t_dep, "p_on_init": p_on,
                    "mean_on_per_neuron": float((net.w > 0).sum(axis=1).mean())})
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--train", type=int, default=1000)
    ap.add_argument("--label", type=int, default=1000, help="training images used to label")
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--n-exc", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--p-pot", type=float, default=0.03)
    ap.add_argument("--p-dep", type=float, default=0.005)
    ap.add_argument("--p-anti", type=float, default=0.01)
    ap.add_argument("--t-pot", type=float, default=20e-3)
    ap.add_argument("--t-dep", type=float, default=20e-3)
    ap.add_argument("--p-on", type=float, default=0.2)
    ap.add_argument("--arms", nargs="+", default=["full", "binary"], choices=["full", "binary"])
    args = ap.parse_args(argv)
    n_tr = max(args.train, args.label)
    x, y = load("mnist", data_dir=args.data_dir, split="train", limit=n_tr, flatten=True)
    xte, yte = load("mnist", data_dir=args.data_dir, split="test", limit=args.test, flatten=True)
    x, xte = np.asarray(x, np.float64) * 255.0, np.asarray(xte, np.float64) * 255.0
    xtr, xlab, ylab = x[: args.train], x[: args.label], y[: args.label]
    bp = StochasticBinaryParams(t_pot=args.t_pot, t_dep=args.t_dep, p_pot=args.p_pot,
                                p_dep=args.p_dep, p_anti=args.p_anti)
    rows = {}
    for arm in args.arms:
        rows[arm] = run_arm(arm, xtr, None, xlab, ylab, xte, yte, args.n_exc, args.seed,
                            bp if arm == "binary" else None, args.p_on)
        print(json.dumps(rows[arm]), flush=True)
    if len(rows) == 2:
        gap = rows["full"]["accuracy"] - rows["binary"]["accuracy"]
        print(json.dumps({"workload": "stochastic-binary-stdp", "comparison": True,
                          "full_accuracy": rows["full"]["accuracy"],
                          "binary_accuracy": rows["binary"]["accuracy"],
                          "gap_points": 100 * gap, "target_points": 3.0,
                          "met": bool(100 * gap <= 3.0)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
