"""``neurocircuit cosim -o DIR``: a small DPI network and a crossbar layer, ngspice vs engine.

The network (4 Poisson inputs, excitatory DPI synapses, 3 DPI neurons with mutual inhibition)
runs entirely in ngspice and in the engine with the calibrated dpi-neuron model and the fitted
power-law DPI-synapse kernels; per neuron Γ (±2 ms, target ≥ 0.8) and the rate error (≤ 10 %). The
crossbar layer (8×3 resistive array, columns feeding DPI neurons) compares the solver's column
currents with ngspice (≤ 1 %). Writes ``DIR/cosim.json`` and ``DIR/cosim.png``
(see :mod:`neurocircuit.evaluate.cosim`). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(sub) -> None:
    p = sub.add_parser("cosim", help="co-simulate a DPI network and a crossbar layer "
                       "(ngspice vs engine)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--t-stop", type=float, default=1.0, help="simulated time (s, default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the input spike trains")
    p.add_argument("--model", default=None,
                   help="calibrated dpi-neuron JSON (default models/calibrated/dpi-neuron.json)")
    p.add_argument("--no-crossbar", action="store_true", help="skip the crossbar layer")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from ..evaluate.cosim import run_cosim

    out = run_cosim(args.output, t_stop=args.t_stop, seed=args.seed, model_path=args.model,
                    crossbar=not args.no_crossbar, plots=not args.no_plots)
    net = out["network"]
    brief = {"gamma": net["gamma"], "rate_spice_hz": net["rate_spice_hz"],
             "rate_engine_hz": net["rate_engine_hz"], "rate_rel_err": net["rate_rel_err"],
             "crossbar_current_max_rel_err": out.get("crossbar", {}).get("current_max_rel_err"),
             "pass": out["pass"], "wall_time_s": out["wall_time_s"], "path": out.get("path")}
    print(json.dumps(brief, indent=1, default=str))
    return 0 if all(out["pass"].values()) else 1
