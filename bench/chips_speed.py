"""Issue 9 speed target: N chips × M MNIST test images × T steps in one call on the instance
axis vs a loop over chips in the same engine (target ≥ 3×).

A 784-800-10 ReLU network is trained briefly on an MNIST subset and converted (accuracy is not
the point here: realistic activity is). Chips carry crossbar-programmed weights (64 levels,
1 % c2c noise) and per-neuron gain mismatch. Both variants compute the same per-chip outputs
(checked). The one call goes through :func:`chip.chip_accuracy` (its exact fast path: static
prefix once, never/always-firing neurons skipped, chunked in-cache LIF steps, readout on
spike counts); the loop runs every single-chip network through the engine's ``predict``. For
transparency it also times the fused kernel looped over single chips (``loop_fused_kernel_s``).
Prints one JSON line with wall and CPU (process) times.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from neurocircuit.hardware import chip, mapping
from neurocircuit.snn import ann as annm
from neurocircuit.snn import convert, datasets, optim
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.spiking import LIF


def single_chip(chips: Sequential, k: int) -> Sequential:
    nodes = []
    for node in chips.nodes:
        if isinstance(node, chip.CrossbarDense):
            d = Dense(node.n_in, node.n_out, weight=node.xbar.effective_weights()[k],
                      dtype=np.float32)
            d.params["b"] = node.bias.astype(np.float32)
            nodes.append(d)
        elif isinstance(node, LIF) and np.ndim(node.value("v_th")) == 3:
            nodes.append(LIF(node.value("beta"), node.value("v_th")[k, 0], reset=node.reset))
        else:
            nodes.append(node)
    return Sequential(nodes, chips.in_shape)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--chips", type=int, default=100)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--T", type=int, default=32)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--train", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads for both variants (0: library default)")
    args = ap.parse_args(argv)
    if args.threads:
        from threadpoolctl import threadpool_limits  # scikit-learn's dependency

        threadpool_limits(args.threads)
    xtr, ytr = datasets.load("mnist", data_dir=args.data_dir, split="train", limit=args.train,
                             flatten=True)
    xte, yte = datasets.load("mnist", data_dir=args.data_dir, split="test", limit=args.images,
                             flatten=True)
    rng = np.random.default_rng(0)
    net = annm.ANN([Dense(784, 800, rng=0), annm.ReLU(), Dense(800, 10, rng=1)], (784,))
    annm.fit_ann(net, optim.Adam(optim.params_of(net), lr=1e-3), xtr, ytr, epochs=2,
                 batch_size=100, rng=rng)
    snn = convert.convert(net, xtr[:500])
    spec = mapping.CrossbarSpec(levels=64, g_c2c=0.01)
    chips = chip.make_chips(snn, args.chips, rng, spec=spec,
                            neuron_sampler=chip.NeuronVariation(gain_sigma=0.1))
    singles = [single_chip(chips, k) for k in range(args.chips)]
    T, B = args.T, args.batch

    def timed(fn):
        w0, c0 = time.perf_counter(), time.process_time()
        res = fn()
        return res, time.perf_counter() - w0, time.process_time() - c0

    acc_one, t_one, c_one = timed(lambda: chip.chip_accuracy(chips, xte, yte, T=T, batch_size=B))
    acc_loop, t_loop, c_loop = timed(lambda: np.array(
        [(s.predict(xte, T=T, batch_size=B) == yte).mean() for s in singles]))
    # transparency: the same fused single-chip kernel looped over chips (no instance axis)
    acc_fl, t_fl, c_fl = timed(lambda: np.array(
        [chip.chip_accuracy(s, xte, yte, T=T, batch_size=B)[0] for s in singles]))
    same = bool(np.allclose(acc_one, acc_loop, atol=2.0 / len(yte))
                and np.allclose(acc_fl, acc_loop, atol=2.0 / len(yte)))
    print(json.dumps({
        "tool": "neurocircuit", "workload": "chips-instance-axis", "chips": args.chips,
        "images": len(yte), "T": T, "batch": B, "blas_threads": args.threads,
        "one_call_s": t_one, "loop_s": t_loop,
        "speedup": t_loop / t_one, "target_speedup": 3.0,
        "one_call_cpu_s": c_one, "loop_cpu_s": c_loop, "speedup_cpu": c_loop / c_one,
        "loop_fused_kernel_s": t_fl, "speedup_vs_fused_loop": t_fl / t_one,
        "results_match": same, "max_acc_diff": float(np.abs(acc_one - acc_loop).max()),
        "mean_chip_accuracy": float(acc_one.mean()), "nominal_accuracy": float(
            (snn.predict(xte, T=T) == yte).mean()),
    }))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
