"""e-prop vs BPTT on the same recurrent SNN and task (issue 8 target: within 3 points).

Task: row-by-row sklearn digits (8 rows × 8 pixels, each row held for ``--repeat`` steps),
1200 training / 597 test images. Prints one JSON line per method.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from neurocircuit.snn import rsnn
from neurocircuit.snn.sequences import sequential_digits


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--beta", type=float, default=0.0, help="adaptation (0: LIF)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    xtr, ytr, xte, yte = sequential_digits(repeat=args.repeat)
    accs = {}
    for method in ("bptt", "eprop"):
        p = rsnn.RSNNParams(n_in=8, n_hidden=args.hidden, n_out=10, beta=args.beta, alpha=0.9,
                            kappa=0.9)
        rng = np.random.default_rng(args.seed)
        w = rsnn.init_weights(p, rng, scale_in=2.0)
        t0 = time.perf_counter()
        losses = rsnn.train(w, xtr, ytr, p, method=method, epochs=args.epochs, lr=args.lr,
                            rng=rng)
        wall = time.perf_counter() - t0
        acc = float((rsnn.predict(w, xte, p) == yte).mean())
        accs[method] = acc
        print(json.dumps({"tool": "neurocircuit", "workload": "rsnn-seq-digits", "method": method,
                          "hidden": args.hidden, "beta": args.beta, "epochs": args.epochs,
                          "test_accuracy": acc, "final_loss": losses[-1],
                          "train_wall_s": wall}), flush=True)
    print(json.dumps({"workload": "rsnn-seq-digits", "eprop_minus_bptt_points":
                      100 * (accs["eprop"] - accs["bptt"]), "target": ">= -3"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
