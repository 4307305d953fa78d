"""W3 of shared/bench/WORKLOADS.md: Diehl & Cook (2015) network, time per presented sample.

Recipe: 784 Poisson inputs (pixel/255 * 63.75 Hz), 100 exc + 100 inh, dt 0.5 ms, normalise
(sum 78) + 350 ms + 150 ms rest per sample, synthetic images from default_rng(3), initial
weights U(0, 0.3) from default_rng(4), Poisson input from default_rng(5). 1 warm-up sample,
8 timed. Prints one JSON line; exits non-zero if no excitatory spike occurs.

Optional ``--mnist N``: also train on the first N MNIST training images (one pass) with
100 (or --n-exc) neurons, label on them, and report test accuracy on --test M images.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

from neurocircuit.snn import diehl_cook as dc

BRIAN2_CYTHON_S = 0.27  # WORKLOADS.md reference, s/sample (best peer)


def w3_images(n: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    img = np.zeros((n, 28, 28), dtype=np.uint8)
    for k in range(n):
        idx = rng.choice(400, 150, replace=False)
        img[k, 4 + idx // 20, 4 + idx % 20] = rng.integers(128, 256, 150)
    return img


def run_w3(n_warm: int = 1, n_timed: int = 8) -> dict:
    p = dc.DCParams()
    net = dc.DCNetwork(
        p, np.random.default_rng(4).uniform(0, 0.3, (100, 784)), np.full(100, p.theta_init)
    )
    images = w3_images(n_warm + n_timed)
    rng = np.random.default_rng(5)
    spikes = [dc.poisson_input(images[k : k + 1], p, rng)[:, 0] for k in range(len(images))]
    times, counts, in_spikes = [], [], []
    for k in range(len(images)):
        t0 = time.perf_counter()
        c = dc.present(net, spikes[k], learn=True)
        dt = time.perf_counter() - t0
        if k >= n_warm:
            times.append(dt)
            counts.append(int(c.sum()))
            in_spikes.append(int(spikes[k].sum()))
    med = statistics.median(times)
    return {
        "tool": "neurocircuit",
        "version": "0.1.0",
        "workload": "W3",
        "median": med,
        "min": min(times),
        "max": max(times),
        "n": len(times),
        "unit": "s/sample",
        "metric": "samples_per_s",
        "metric_value": 1.0 / med,
        "realtime_factor": 0.5 / med,
        "exc_spikes_per_sample": statistics.mean(counts),
        "input_spikes_per_sample": statistics.mean(in_spikes),
        "ratio_vs_brian2_cython": med / BRIAN2_CYTHON_S,
        "target_ratio": 0.5,
        "env": {"python": platform.python_version(), "numpy": np.__version__,
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
    }


def run_mnist(n_train: int, n_test: int, n_exc: int, data_dir: str | None,
              n_label: int | None = None, checkpoint: str | None = None,
              chunk: int = 2000) -> dict:
    """One unsupervised pass over the first ``n_train`` MNIST images, then label the neurons on
    the first ``n_label`` training images (all of them by default) and score ``n_test`` test
    images, both with frozen weights. With ``checkpoint`` the network, the rng and the position
    are saved after every ``chunk`` images (atomically) and a rerun resumes from there: the
    result equals an uninterrupted run."""
    import pickle

    from neurocircuit.snn.datasets import load

    xtr, ytr = load("mnist", data_dir=data_dir, split="train", limit=n_train)
    xte, yte = load("mnist", data_dir=data_dir, split="test", limit=n_test)
    xtr = np.asarray(xtr).reshape(len(xtr), -1) * 255.0
    xte = np.asarray(xte).reshape(len(xte), -1) * 255.0
    p = dc.DCParams(n_exc=n_exc)
    rng = np.random.default_rng(0)
    net = dc.init_network(p, rng)
    done, t_train = 0, 0.0
    if checkpoint and os.path.exists(checkpoint):
        with open(checkpoint, "rb") as f:
            net, rng, done, t_train = pickle.load(f)
        print(f"resumed from {checkpoint} at image {done}", file=sys.stderr)
    while done < len(xtr):
        t0 = time.perf_counter()
        dc.train(net, xtr[done : done + chunk], rng, progress=True)
        t_train += time.perf_counter() - t0
        done = min(done + chunk, len(xtr))
        if checkpoint:
            with open(checkpoint + ".tmp", "wb") as f:
                pickle.dump((net, rng, done, t_train), f)
            os.replace(checkpoint + ".tmp", checkpoint)
        print(json.dumps({"trained": done, "train_wall_s": round(t_train, 1)}),
              file=sys.stderr, flush=True)
    n_label = len(xtr) if n_label is None else min(n_label, len(xtr))
    t0 = time.perf_counter()
    ev_rng = np.random.default_rng(1)
    labels = dc.assign_labels(dc.evaluate_counts(net, xtr[:n_label], ev_rng), ytr[:n_label])
    pred = dc.predict(dc.evaluate_counts(net, xte, ev_rng), labels)
    acc = float((pred == yte).mean())
    return {"tool": "neurocircuit", "workload": "diehl-cook-mnist", "n_exc": n_exc,
            "n_train": len(xtr), "n_label": n_label, "n_test": len(xte), "accuracy": acc,
            "classes_covered": int(len(np.unique(labels))),
            "train_wall_s": t_train, "s_per_train_sample": t_train / len(xtr),
            "eval_wall_s": time.perf_counter() - t0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mnist", type=int, default=0, help="train on N MNIST images")
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--n-exc", type=int, default=100)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--label", type=int, default=None,
                    help="label neurons on the first N training images (default: all)")
    ap.add_argument("--checkpoint", default=None, help="resumable training state (pickle)")
    ap.add_argument("--skip-w3", action="store_true", help="only the MNIST run")
    args = ap.parse_args(argv)
    if not args.skip_w3:
        row = run_w3()
        print(json.dumps(row))
        if row["exc_spikes_per_sample"] <= 0:
            print("sanity check failed: no excitatory spike", file=sys.stderr)
            return 1
    if args.mnist:
        print(json.dumps(run_mnist(args.mnist, args.test, args.n_exc, args.data_dir,
                                   args.label, args.checkpoint)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
