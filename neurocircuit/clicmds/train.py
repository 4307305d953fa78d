"""``neurocircuit train CONFIG.toml -o MODEL`` and ``neurocircuit test MODEL``."""

from __future__ import annotations

import argparse
import json


def _cmd_train(args: argparse.Namespace) -> int:
    from ..snn.train import run

    meta = run(args.config, args.output, data_dir=args.data_dir, progress=not args.quiet)
    summary = {"model": f"{args.output}.npz", "method": meta["config"]["method"]["name"],
               "wall_time_s": round(meta["wall_time_s"], 3), **meta["test"]}
    if "ann_test_accuracy" in meta:
        summary["ann_test_accuracy"] = meta["ann_test_accuracy"]
    print(json.dumps(summary))
    return 0


def _cmd_test(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..snn.train import evaluate_model, load_model

    js = Path(args.model).with_suffix(".json")
    if js.exists() and json.loads(js.read_text()).get("local"):
        meta = json.loads(js.read_text())
        print(json.dumps({"model": str(args.model), **meta["test"],
                          "note": "metrics measured at the end of training"}))
        return 0
    net, meta = load_model(args.model)
    res = evaluate_model(net, meta, data_dir=args.data_dir, limit=args.limit)
    out = {"model": str(args.model), "accuracy": res["accuracy"],
           "spikes_per_inference": res.get("spikes"), "ac_per_inference": res.get("ac"),
           "mac_snn_per_inference": res.get("mac_snn"),
           "mac_ann_per_inference": res.get("mac_ann")}
    print(json.dumps(out))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train an SNN from a TOML config",
                              description="Train an SNN (bptt | conversion | hybrid | diehl-cook | "
                                          "decolle | eprop | rsnn-bptt | lsm | slstm) as a TOML "
                                          "config says; saves MODEL.npz + MODEL.json.")
    p.add_argument("config", help="TOML configuration file")
    p.add_argument("-o", "--output", required=True, help="model path (without extension)")
    p.add_argument("--data-dir", default=None, help="dataset directory (or NEUROCIRCUIT_DATA)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)
    t = subparsers.add_parser("test", help="evaluate a trained SNN model",
                              description="Accuracy, spikes per inference and AC/MAC counts "
                                          "of a saved model on its dataset's test split.")
    t.add_argument("model", help="model path (MODEL, MODEL.npz or MODEL.json)")
    t.add_argument("--data-dir", default=None, help="dataset directory (or NEUROCIRCUIT_DATA)")
    t.add_argument("--limit", type=int, default=None, help="evaluate only the first N samples")
    t.set_defaults(func=_cmd_test)
