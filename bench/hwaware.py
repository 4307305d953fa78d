"""Issue 9 target: hardware-aware training (BPTT with the chip variation injected) against plain
BPTT, both evaluated on the same N sampled chips.

Network ``in-H-10`` of LIF neurons (direct coding, spike-count loss), trained twice from the same
initialisation, data order and budget: plainly and with a fresh crossbar + neuron sample per
minibatch (:mod:`neurocircuit.evaluate.hwaware`). Chips: crossbar-programmed weights (levels,
c2c, d2d; optionally ADC over tiles) and per-neuron lognormal gain mismatch (θ/g). Prints one
JSON line per evaluated variation scale (σ multiplier). Target: where plain training loses ≥ 2
points of mean chip accuracy, hardware-aware training gains ≥ 1 point.

    python bench/hwaware.py                          # digits, 64 hidden, 100 chips
    python bench/hwaware.py --mnist --train 5000 --test 1000 --chips 100
    python bench/hwaware.py --mnist --calibrated models/calibrated/dpi-neuron.json \
        --adc-bits 6 --tile 64 --scales 1,2 --out-dir /tmp/study   # + report.json/html, PNGs

With ``--calibrated FILE`` the neuron mismatch is the calibrated circuit's fitted parameter
distribution (:class:`~neurocircuit.hardware.chip.CalibratedVariation`; the σ multiplier scales
its spread) instead of ``--gain-sigma``; hardware-aware training draws its neurons from a
seeded pool of ``--pool`` calibrated neurons
(:class:`~neurocircuit.evaluate.hwaware.PooledSampler`), the evaluation chips from the
distribution itself. JSON lines are printed as each scale finishes; ``--out-dir`` also
writes the accuracy histograms and per-chip accuracies through
:func:`neurocircuit.evaluate.report.write_report` (rewritten after every scale).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from neurocircuit.evaluate import hwaware as hw
from neurocircuit.evaluate.report import write_report
from neurocircuit.hardware.chip import CalibratedVariation, NeuronVariation
from neurocircuit.hardware.mapping import CrossbarSpec
from neurocircuit.snn import datasets
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.spiking import LIF


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist", action="store_true", help="MNIST 784-800-10 instead of digits")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--train", type=int, default=None, help="training samples (limit)")
    ap.add_argument("--test", type=int, default=None, help="test samples (limit)")
    ap.add_argument("--hidden", type=int, default=None, help="default 64 (digits), 800 (MNIST)")
    ap.add_argument("--epochs", type=int, default=None, help="default 20 (digits), 3 (MNIST)")
    ap.add_argument("--T", type=int, default=8)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--chips", type=int, default=100)
    ap.add_argument("--levels", type=int, default=8)
    ap.add_argument("--c2c", type=float, default=0.1, help="g_c2c at scale 1")
    ap.add_argument("--d2d", type=float, default=0.0, help="g_d2d at scale 1")
    ap.add_argument("--gain-sigma", type=float, default=0.3, help="neuron gain σ at scale 1")
    ap.add_argument("--adc-bits", type=int, default=0, help="evaluation ADC (0: ideal)")
    ap.add_argument("--tile", type=int, default=64)
    ap.add_argument("--scales", default="0.5,1,1.5", help="σ multipliers evaluated")
    ap.add_argument("--chips-per-batch", type=int, default=1)
    ap.add_argument("--eval-batch", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plot", default=None, help="accuracy histogram (selected level) to PATH")
    ap.add_argument("--calibrated", default=None, metavar="FILE",
                    help="calibrated neuron JSON: its mismatch distribution replaces --gain-sigma")
    ap.add_argument("--pool", type=int, default=100_000,
                    help="calibrated neurons pooled for hardware-aware training")
    ap.add_argument("--out-dir", default=None,
                    help="write report.json/html + histogram PNGs here")
    args = ap.parse_args(argv)

    name = "mnist" if args.mnist else "digits"
    hidden = args.hidden or (800 if args.mnist else 64)
    epochs = args.epochs or (3 if args.mnist else 20)
    xtr, ytr = datasets.load(name, data_dir=args.data_dir, split="train", limit=args.train,
                             flatten=True)
    xte, yte = datasets.load(name, data_dir=args.data_dir, split="test", limit=args.test,
                             flatten=True)
    n_in = xtr.shape[1]

    def make_net() -> Sequential:
        return Sequential([Dense(n_in, hidden, rng=args.seed), LIF(0.9, 1.0),
                           Dense(hidden, 10, rng=args.seed + 1), LIF(0.9, 1.0)], (n_in,))

    spec = CrossbarSpec(levels=args.levels, g_c2c=args.c2c, g_d2d=args.d2d,
                        adc_bits=args.adc_bits, tile_rows=args.tile, tile_cols=args.tile)
    train_spec = CrossbarSpec(levels=args.levels, g_c2c=args.c2c, g_d2d=args.d2d)
    if args.calibrated:
        neuron = CalibratedVariation(str(args.calibrated))
        train_neuron = hw.PooledSampler(neuron, args.pool, seed=args.seed + 11)
    else:
        neuron = train_neuron = NeuronVariation(gain_sigma=args.gain_sigma)
    scales = tuple(float(s) for s in args.scales.split(","))
    t0 = time.perf_counter()
    rows_out: list[dict] = []

    def on_level(row, partial):
        sp, nv = hw.scale_noise(spec, neuron, row["scale"])
        rec = {
            "tool": "neurocircuit", "workload": "hardware-aware-training", "dataset": name,
            "network": f"{n_in}-{hidden}-10", "train": len(ytr), "test": len(yte),
            "T": args.T, "epochs": epochs, "chips": args.chips, "scale": row["scale"],
            "levels": spec.levels, "g_c2c": sp.g_c2c, "g_d2d": sp.g_d2d,
            "neuron_mismatch": (f"calibrated:{args.calibrated}" if args.calibrated
                                else "lognormal gain"),
            "gain_sigma": None if args.calibrated else nv.gain_sigma,
            "calibrated_scale": nv.scale if args.calibrated else None,
            "adc_bits": spec.adc_bits, "tile": args.tile,
            "chips_per_batch": args.chips_per_batch,
            "nominal_plain": partial["nominal"]["plain"],
            "nominal_hwaware": partial["nominal"]["hwaware"],
            **{f"plain_{k}": row["plain"][k] for k in ("mean", "std", "min")},
            **{f"hwaware_{k}": row["hwaware"][k] for k in ("mean", "std", "min")},
            "plain_loss_points": row["plain_loss_points"], "gain_points": row["gain_points"],
            "target_met": bool(row["plain_loss_points"] >= 2 and row["gain_points"] >= 1),
            "train_plain_s": partial["train_s"]["plain"],
            "train_hwaware_s": partial["train_s"]["hwaware"],
            "eval_s": row["eval_s"], "total_s": time.perf_counter() - t0,
        }
        rows_out.append(rec)
        print(json.dumps(rec), flush=True)
        if args.out_dir:
            _write_report(Path(args.out_dir), partial, rows_out, name)

    res = hw.compare(make_net, (xtr, ytr, xte, yte), T=args.T, epochs=epochs, spec=spec,
                     neuron=neuron, n_chips=args.chips, scales=scales,
                     train_noise=hw.HardwareNoise(train_spec, train_neuron,
                                                  args.chips_per_batch),
                     batch_size=args.batch, lr=args.lr, seed=args.seed,
                     eval_batch=args.eval_batch, on_level=on_level,
                     say=lambda m: print(m, file=sys.stderr, flush=True))
    if args.plot:
        hw.plot_histograms(res, args.plot)
    sel = res["selected"]
    return 0 if sel["plain_loss_points"] >= 2 and sel["gain_points"] >= 1 else 1


def _write_report(out: Path, partial: dict, rows: list[dict], name: str) -> None:
    """Histogram PNG per evaluated scale + report.json/html with per-chip accuracies."""
    out.mkdir(parents=True, exist_ok=True)
    figures = []
    for row in partial["levels"]:
        f = f"accuracy_hist_scale{row['scale']:g}.png"
        hw.plot_histograms(partial, out / f, row=row)
        figures.append((f, f"chip accuracy, plain vs hardware-aware, variation ×{row['scale']:g}"))
    sel = next((r for r in rows if r["scale"] == 1.0), rows[-1])
    numbers = {k: v for k, v in sel.items() if not isinstance(v, (list, dict))}
    data = {"levels": [{"scale": r["scale"], "plain_acc": r["plain"]["acc"],
                        "hwaware_acc": r["hwaware"]["acc"]} for r in partial["levels"]],
            "rows": rows, "history": partial["history"]}
    write_report(out, f"Hardware-aware training on {name}: {rows[0]['chips']} chips",
                 numbers, figures, data=data)


if __name__ == "__main__":
    raise SystemExit(main())
