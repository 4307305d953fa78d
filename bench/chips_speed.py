"""Issue 9 speed target: N chips × M MNIST test images × T steps in one call on the instance
axis vs a loop over chips in the same engine (target ≥ 3×).

A 784-800-10 ReLU network is trained briefly on an MNIST subset and converted (accuracy is not
the point here: realistic activity is). Chips carry crossbar-programmed weights (64 levels,
1 % c2c noise) and per-neuron gain mismatch. Both variants compute the same per-chip outputs
(checked). Prints one JSON line.
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
    args = ap.parse_args(argv)
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
    t0 = time.perf_counter()
    acc_one = chip.chip_accuracy(chips, xte, yte, T=T, batch_size=B)
    t_one = time.perf_counter() - t0
    t0 = time.perf_counter()
    acc_loop = np.array([(s.predict(xte, T=T, batch_size=B) == yte).mean() for s in singles])
    t_loop = time.perf_counter() - t0
    same = bool(np.allclose(acc_one, acc_loop, atol=2.0 / len(yte)))
    print(json.dumps({
        "tool": "neurocircuit", "workload": "chips-instance-axis", "chips": args.chips,
        "images": len(yte), "T": T, "batch": B, "one_call_s": t_one, "loop_s": t_loop,
        "speedup": t_loop / t_one, "target_speedup": 3.0, "results_match": same,
        "mean_chip_accuracy": float(acc_one.mean()), "nominal_accuracy": float(
            (snn.predict(xte, T=T) == yte).mean()),
    }))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
