"""``neurocircuit calibrate NAME``: fit a compact model to a circuit and write the JSON.

Neurons run :func:`neurocircuit.calibrate.pipeline.calibrate`: nominal F–I curve, fit,
held-out OU validation (Γ), Monte Carlo with one fit per instance (``--mc N``), distribution
check. Synapses (pulse, log-domain, dpi, cmi-stp, stdp, bistable) and memristor devices run
:func:`neurocircuit.calibrate.synapse_pipeline.calibrate_synapse`: PSC kernel / depression /
STDP window / pulse-update fit, held-out NRMSE, energy per event, Monte Carlo distribution.
Both write ``FILE`` plus ``<stem>_fit.png`` / ``<stem>_params.png`` beside it.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(sub) -> None:
    p = sub.add_parser("calibrate", help="fit a compact model (with mismatch) to a circuit",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help="circuit name (neurons: axon-hillock, if-refractory, "
                   "dpi-neuron, tau-cell-neuron, log-domain-neuron, ...; synapses: "
                   "pulse-synapse, log-domain-synapse, dpi-synapse, cmi-stp-synapse, "
                   "stdp-synapse, bistable-synapse; devices: memristor-hp-joglekar, "
                   "memristor-hp-biolek, memristor-vteam, memristor-yakopcic)")
    p.add_argument("--preset", default=None, help="preset (default: the circuit's first)")
    p.add_argument("--mc", type=int, default=100, help="Monte-Carlo instances (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo and stimuli")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None, help="local worker processes")
    g.add_argument("--scheduler", default=None, help="Dask scheduler address")
    p.add_argument("--points", type=int, default=16,
                   help="F–I points of the nominal fit (neurons only)")
    p.add_argument("--init", default=None, metavar="FILE",
                   help="a previous calibrated file of the circuit: a second start of the "
                   "timing fit, the better one wins (dpi-neuron)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("-o", "--output", required=True, help="calibrated JSON file to write")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from ..calibrate.pipeline import calibrate
    from ..calibrate.synapse_pipeline import RECIPES, calibrate_synapse

    if args.name in RECIPES:
        if args.init:
            raise SystemExit("--init is supported by the dpi-neuron recipe only, not by "
                             f"{args.name!r}")
        out = calibrate_synapse(args.name, preset=args.preset, out=args.output, mc=args.mc,
                                seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                                plots=not args.no_plots, progress=True)
        print(json.dumps(out, indent=1, default=str))
        return 0
    out = calibrate(args.name, preset=args.preset, out=args.output, mc=args.mc, seed=args.seed,
                    workers=args.workers, scheduler=args.scheduler, n_points=args.points,
                    plots=not args.no_plots, progress=True, init=args.init)
    print(json.dumps(out, indent=1, default=str))
    return 0
