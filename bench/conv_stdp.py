"""Issue 8: convolutional STDP feature layer + supervised linear readout (Kheradpisheh 2018).

ON/OFF DoG → latency coding → one shared-weight conv layer of IF neurons trained by STDP with
winner-take-all and lateral inhibition (unsupervised), then pooled spike counts → ridge
readout trained on labels. Also reports the same readout on the untrained (random-kernel)
layer as a control. One JSON line per dataset: ``digits`` (sklearn 8×8) and/or ``mnist``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from neurocircuit.snn import conv_stdp as cs


def evaluate(name, xtr, ytr, xte, yte, params, n_stdp, pool, alpha, seed):
    rng = np.random.default_rng(seed)
    t_tr = cs.latency_encode(cs.on_off(xtr, params), params)
    t_te = cs.latency_encode(cs.on_off(xte, params), params)
    layer = cs.init_layer(params, 2, rng)
    untrained = cs.ConvSTDPLayer(params, layer.w.copy(), layer.theta.copy())
    t0 = time.perf_counter()
    stats = cs.train(layer, t_tr[rng.permutation(len(t_tr))[:n_stdp]])
    t_stdp = time.perf_counter() - t0
    layer.theta[:] = params.threshold  # inference at the resting thresholds
    row = {"tool": "neurocircuit", "workload": "conv-stdp", "dataset": name,
           "n_maps": params.n_maps, "kernel": params.kernel, "threshold": params.threshold,
           "n_stdp_images": int(min(n_stdp, len(t_tr))), "n_train_readout": len(xtr),
           "n_test": len(xte), "pool": pool, "stdp_wall_s": t_stdp,
           "min_wins_per_map": int(stats["wins"].min()),
           "w_binarised_fraction": float(np.mean((layer.w < 0.05) | (layer.w > 0.95)))}
    for tag, lay in (("stdp", layer), ("random_kernels", untrained)):
        ftr, fte = cs.features(lay, t_tr, pool), cs.features(lay, t_te, pool)
        model = cs.fit_ridge(ftr, ytr, alpha)
        row[f"test_accuracy_{tag}"] = float((cs.predict_ridge(model, fte) == yte).mean())
        row[f"train_accuracy_{tag}"] = float((cs.predict_ridge(model, ftr) == ytr).mean())
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", nargs="+", default=["digits", "mnist"])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--train", type=int, default=10000, help="MNIST readout training images")
    ap.add_argument("--test", type=int, default=2000, help="MNIST test images")
    ap.add_argument("--stdp-images", type=int, default=2000)
    ap.add_argument("--maps", type=int, default=32)
    ap.add_argument("--alpha", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    for name in args.datasets:
        if name == "digits":
            from sklearn.datasets import load_digits

            d = load_digits()
            x, y = d.images / 16.0, d.target
            p = cs.ConvSTDPParams(n_maps=args.maps, kernel=3, threshold=4.0,
                                  dog_sigmas=(0.5, 1.0), inhibition_radius=1,
                                  a_plus=0.02, a_minus=0.015, theta_plus=0.5)
            row = evaluate(name, x[:1200], y[:1200], x[1200:], y[1200:], p,
                           args.stdp_images, 2, args.alpha, args.seed)
        else:
            from neurocircuit.snn.datasets import load

            xtr, ytr = load("mnist", data_dir=args.data_dir, split="train", limit=args.train)
            xte, yte = load("mnist", data_dir=args.data_dir, split="test", limit=args.test)
            xtr = np.asarray(xtr, np.float64).reshape(-1, 28, 28)
            xte = np.asarray(xte, np.float64).reshape(-1, 28, 28)
            p = cs.ConvSTDPParams(n_maps=args.maps, kernel=5, threshold=10.0,
                                  a_plus=0.01, a_minus=0.0075, theta_plus=1.0)
            row = evaluate(name, xtr, ytr, xte, yte, p, args.stdp_images, 3, args.alpha,
                           args.seed)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
