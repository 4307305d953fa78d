"""Issue 9: on-chip STDP learning with ideal, memristive and bistable synapses.

A 64-10 teacher-forced classifier on the 8×8 digits (sklearn ``load_digits`` split of
:mod:`neurocircuit.snn.datasets`) learns with the weight-dependent STDP rule
(:mod:`neurocircuit.snn.learning.weight_dependent`, Diehl & Cook eq. 6 with offset) whose
updates are written into (:mod:`neurocircuit.hardware.onchip`):

- ``ideal``: analog weights taking the rule's change exactly;
- ``memristive:NAME``: conductances programmed by identical pulses through the non-linear,
  asymmetric, bounded pulse model with c2c noise of every calibrated ``memristor-update``
  file found (``models/calibrated/memristor-*.json``: fitted ``G_min/G_max``, ``N``, ``ν_P``,
  ``ν_D``, ``σ_c2c``);
- ``memristive-default``: the :class:`~neurocircuit.calibrate.synapse_models.MemristorUpdateParams`
  defaults (symmetric, no c2c), and ``memristive-asym`` (hand-set ``ν_D``, c2c) when no
  calibrated device file exists;
- ``bistable``: the capacitor weight of the bistable STDP circuit (bounds, θ_w and drift
  ``I_bist/C_w`` to the two stable states from a calibrated ``stdp-window`` file if one is
  found, else the circuit defaults; accuracy right after training and after the weights
  consolidated to the two states), with the drift scaled to a learning bias ``--i-bist``
  (drift ∝ I_bist) and at the circuit's default bias (5 pA).

One JSON line per variant (mean ± std over ``--seeds`` seeds) plus one for chance level.

    python bench/onchip_learning.py
    python bench/onchip_learning.py --device models/calibrated/MEMRISTOR.json --seeds 5
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from neurocircuit.calibrate.synapse_models import MemristorUpdateParams, STDPWindowParams
from neurocircuit.circuits.synapses.bistable import INDIVERI_2006_BISTABLE
from neurocircuit.errors import DataError
from neurocircuit.hardware import onchip as oc
from neurocircuit.snn import datasets


def _find(patterns: list[str], cls: type):
    """First calibrated file matching ``patterns`` that builds ``cls``: (params, path)."""
    for pat in patterns:
        for path in sorted(glob.glob(pat)):
            try:
                return oc.load_device_params(path, cls), path
            except DataError:
                continue
    return None, None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", action="append", default=None,
                    help="calibrated memristor-update JSON (repeatable; default: all found)")
    ap.add_argument("--window", default=None, help="calibrated STDP-window/bistable JSON")
    ap.add_argument("--calibrated-dir", default="models/calibrated")
    ap.add_argument("--train", type=int, default=None, help="training samples (limit)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--T", type=int, default=40)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--i-bist", type=float, default=0.1e-12,
                    help="bistability current while learning (A); circuit default 5 pA")
    ap.add_argument("--consolidate", type=float, default=20.0,
                    help="drift time after training for the bistable weights (s)")
    ap.add_argument("--nu-d-asym", type=float, default=10.0)
    ap.add_argument("--c2c-asym", type=float, default=0.3)
    args = ap.parse_args(argv)

    xtr, ytr = datasets.load("digits", split="train", limit=args.train, flatten=True)
    xte, yte = datasets.load("digits", split="test", flatten=True)
    cfg = oc.LearnerConfig(T=args.T, epochs=args.epochs)
    cd = args.calibrated_dir
    paths = args.device or sorted(glob.glob(f"{cd}/memristor*.json"))
    devices = []
    for path in paths:
        try:
            devices.append((Path(path).stem, oc.load_device_params(path, MemristorUpdateParams),
                            path))
        except DataError:
            if args.device:
                raise
    if args.window:
        win, win_src = oc.load_device_params(args.window, STDPWindowParams), args.window
    else:
        win, win_src = _find([f"{cd}/*bistable*.json", f"{cd}/*stdp*.json"], STDPWindowParams)
    if win is None or not win.drift:
        win, win_src = oc.bistable_window(), (
            "bistable circuit (Indiveri 2006 defaults: bounds, θ_w, I_bist/C_w)"
            + (f"; {win_src} has no drift" if win else "; no calibrated file"))
    # the drift rate is I_bist/C_w: learning runs at a lower bistability bias
    i_def = INDIVERI_2006_BISTABLE.i_bist
    learn_win = replace(win, drift=win.drift * args.i_bist / i_def)
    variants = [
        ("ideal", oc.IdealSynapses(), "analog"),
        ("memristive-default", oc.MemristiveSynapses(MemristorUpdateParams()),
         "default MemristorUpdateParams (not calibrated)"),
        *[(f"memristive:{name}", oc.MemristiveSynapses(dev), path)
          for name, dev, path in devices],
        *([] if devices else [
            ("memristive-asym", oc.MemristiveSynapses(MemristorUpdateParams(
                nu_d=args.nu_d_asym, sigma_c2c=args.c2c_asym)),
             f"hand-set (no calibrated file): nu_d={args.nu_d_asym}, "
             f"sigma_c2c={args.c2c_asym}")]),
        ("bistable", oc.BistableSynapses(learn_win),
         f"{win_src}; drift scaled to I_bist {args.i_bist:g} A"),
        ("bistable-circuit-default", oc.BistableSynapses(win), f"{win_src}; I_bist {i_def:g} A"),
    ]
    print(json.dumps({"tool": "neurocircuit", "workload": "onchip-learning", "variant": "chance",
                      "accuracy_mean": float(np.bincount(yte).max() / len(yte))}), flush=True)
    for name, syn, src in variants:
        accs, cons, pulses, ratio, wall = [], [], [], [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            state, info = oc.train_supervised(xtr, ytr, syn, cfg, rng=seed)
            wall.append(time.perf_counter() - t0)
            accs.append(oc.evaluate(syn.weights(state), xte, yte, cfg, rng=1000 + seed))
            if isinstance(syn, oc.BistableSynapses):
                w_c = syn.weights(syn.relax(state, args.consolidate))
                cons.append(oc.evaluate(w_c, xte, yte, cfg, rng=1000 + seed))
            pulses.append(info["pulses"])
            ratio.append(info["realised_abs"] / max(info["intended_abs"], 1e-300))
        rec = {
            "tool": "neurocircuit", "workload": "onchip-learning", "variant": name,
            "dataset": "digits", "network": "64-10", "rule": "weight_dependent",
            "train": len(ytr), "test": len(yte), "epochs": args.epochs, "T": args.T,
            "seeds": args.seeds, "synapse_source": src,
            "accuracy_mean": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
            "accuracy": accs,
            "pulses_potentiation_mean": float(np.mean([p.potentiation for p in pulses])),
            "pulses_depression_mean": float(np.mean([p.depression for p in pulses])),
            "realised_over_intended_abs_dw": float(np.mean(ratio)),
            "train_s_mean": float(np.mean(wall)),
        }
        if isinstance(syn, oc.MemristiveSynapses):
            rec["device"] = {k: float(v) for k, v in asdict(syn.device).items()}
        if cons:
            rec["consolidated_s"] = args.consolidate
            rec["accuracy_consolidated_mean"] = float(np.mean(cons))
            rec["accuracy_consolidated_std"] = float(np.std(cons))
            rec["drift_v_per_s"] = syn.window.drift
        print(json.dumps(rec), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
