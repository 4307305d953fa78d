"""Liquid state machine on the Free Spoken Digit Dataset (issue 8 target: ≥ 85 %).

FSDD (official split: 2700 train / 300 test) → cochlea-like front end with send-on-delta
spikes (neurocircuit.snn.audio, 64 channels × 100 frames of 10 ms) → a sparse E/I LIF liquid
obeying Dale's law → spike counts in 10 time bins → ridge readout. Prints JSON lines.
Needs the dataset (``--data-dir`` or NEUROCIRCUIT_DATA, e.g. ../shared/data).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from neurocircuit.snn import lsm
from neurocircuit.snn.datasets import load


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--neurons", type=int, default=1000)
    ap.add_argument("--w-in", type=float, default=2.0)
    ap.add_argument("--lam", type=float, default=100.0)
    ap.add_argument("--liquids", type=int, default=1)
    ap.add_argument("--stacked", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    xtr, ytr = load("fsdd", data_dir=args.data_dir, split="train")
    xte, yte = load("fsdd", data_dir=args.data_dir, split="test")
    t_load = time.perf_counter() - t0
    p = lsm.LSMParams(n_neurons=args.neurons, w_in=args.w_in)
    t0 = time.perf_counter()
    clf = lsm.LSMClassifier(p, xtr.shape[2], 10, np.random.default_rng(args.seed),
                            n_liquids=args.liquids, stacked=args.stacked, lam=args.lam)
    clf.fit(xtr.swapaxes(0, 1), ytr)
    acc = float((clf.predict(xte.swapaxes(0, 1)) == yte).mean())
    print(json.dumps({"tool": "neurocircuit", "workload": "lsm-fsdd", "neurons": args.neurons,
                      "liquids": args.liquids, "stacked": args.stacked, "w_in": args.w_in,
                      "lam": args.lam, "test_accuracy": acc, "target": 0.85,
                      "train_and_test_wall_s": time.perf_counter() - t0,
                      "feature_extraction_wall_s": t_load}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
