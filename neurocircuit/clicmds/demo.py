"""``neurocircuit demo -o DIR [--quick]``: the main end-to-end job.

The job is a list of :class:`Step` s run in order, each writing into its own sub-directory of
``DIR`` and returning a small summary dictionary; ``DIR/summary.json`` collects them. For now
the list holds the MOS characterisation of the generic 180 nm process
(:func:`neurocircuit.evaluate.mos_report.mos_report`), then the default neuron simulated with
Monte Carlo and calibrated, the default synapse characterised, and a digits network trained,
converted and evaluated on 32 sampled chips (calibrated neuron mismatch, memristive crossbars,
energy from the circuits); ``DIR/report.html`` shows the key numbers and figures.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DemoOptions", "Step", "demo_steps", "run_demo", "register"]


@dataclass(frozen=True)
class DemoOptions:
    """Settings every step sees: ``quick`` (a smaller run) and ``cache`` (as in simulate)."""

    quick: bool = False
    cache: object = None


@dataclass(frozen=True)
class Step:
    """One step of the demo: ``run(out_dir, options, say) -> summary dict``."""

    name: str
    title: str
    run: Callable[[Path, DemoOptions, Callable[[str], None]], dict]


def _mos_step(out: Path, opts: DemoOptions, say: Callable[[str], None]) -> dict:
    from ..evaluate.mos_report import MosReportConfig, mos_report

    cfg = MosReportConfig.quick(cache=opts.cache) if opts.quick else MosReportConfig(
        cache=opts.cache
    )
    rep = mos_report(out, cfg, progress=say)
    return {
        "report": str(out / "report.json"),
        "html": str(out / "report.html"),
        "all_checks_pass": rep["all_checks_pass"],
        "checks": {k: v["ok"] for k, v in rep["checks"].items()},
    }


DEMO_NEURON = "axon-hillock"
DEMO_SYNAPSE = "dpi-synapse"


def _neuron_step(out: Path, opts: DemoOptions, say: Callable[[str], None]) -> dict:
    from ..calibrate.pipeline import calibrate

    out.mkdir(parents=True, exist_ok=True)
    mc = 16 if opts.quick else 64
    say(f"  {DEMO_NEURON}: F–I curve, Monte Carlo ({mc} instances), fit, validation")
    res = calibrate(DEMO_NEURON, out=out / f"{DEMO_NEURON}.json", mc=mc, seed=0,
                    progress=False)
    v = res.get("validation", res)
    return {"calibrated": str(out / f"{DEMO_NEURON}.json"),
            "fi_rel_rms": v.get("fi_rel_rms"), "gamma_ou": v.get("gamma_ou"),
            "ks_p": v.get("ks_p"), "sigma_ratio": v.get("sigma_ratio")}


def _synapse_step(out: Path, opts: DemoOptions, say: Callable[[str], None]) -> dict:
    from ..circuits.registry import get
    from ..evaluate.characterize_synapses import CHARACTERIZERS

    out.mkdir(parents=True, exist_ok=True)
    say(f"  {DEMO_SYNAPSE}: PSC, time constant, energy per event")
    res = CHARACTERIZERS[DEMO_SYNAPSE](get(DEMO_SYNAPSE).params(), out_dir=out, mc=0,
                                       workers=None, scheduler=None, seed=0, progress=False)
    return {k: res.get(k) for k in ("tau_s", "peak_a", "charge_c", "energy_per_event_j")}


def _chips_step(out: Path, opts: DemoOptions, say: Callable[[str], None]) -> dict:
    import json as _json

    from ..evaluate.study import StudyConfig, run_study
    from ..hardware.energy import CircuitEnergy

    root = out.parent
    cal = root / "neuron" / f"{DEMO_NEURON}.json"
    syn = _json.loads((root / "synapse" / "characterization.json").read_text())
    e_event = float(syn.get("energy_per_event_j") or 0.0)
    cfg = StudyConfig(
        dataset="digits", hidden=128, epochs=10 if opts.quick else 30, T=32,
        n_chips=32, calibrated=str(cal), sweep_chips=4 if opts.quick else 8,
        test_limit=150 if opts.quick else 0,
        sigma_scales=(0.0, 1.0, 4.0) if opts.quick else (0.0, 0.5, 1.0, 2.0, 4.0, 8.0),
        adc_bits=(3, 6) if opts.quick else (3, 4, 5, 6, 8),
        levels=(4, 64) if opts.quick else (4, 8, 16, 32, 64),
        energy=CircuitEnergy(e_spike=0.0, e_event=e_event, p_static=0.0),
    )
    nums = run_study(cfg, out, say=say, workers=None)
    return {k: nums[k] for k in ("ann_accuracy", "snn_accuracy", "chip_accuracy_mean",
                                 "chip_accuracy_std", "chip_accuracy_min",
                                 "energy_circuit_total_j", "energy_ann_mac_estimate_j")}


def demo_steps() -> list[Step]:
    """The steps of the demo job, in order."""
    return [
        Step("mos", "MOS characterisation of the generic 180 nm process", _mos_step),
        Step("neuron", f"{DEMO_NEURON}: simulate with Monte Carlo and calibrate", _neuron_step),
        Step("synapse", f"{DEMO_SYNAPSE}: characterise", _synapse_step),
        Step("chips", "digits network on 32 sampled chips (calibrated mismatch + crossbars)",
             _chips_step),
    ]


def run_demo(
    out_dir: str | Path,
    quick: bool = False,
    say: Callable[[str], None] = print,
    cache: object = None,
) -> dict:
    """Run every step into ``out_dir``; returns (and writes) ``summary.json``'s content.

    ``cache=False`` disables the simulation result cache.
    """
    out = Path(out_dir)
    opts = DemoOptions(quick=quick, cache=cache)
    out.mkdir(parents=True, exist_ok=True)
    steps = demo_steps()
    summary: dict = {"quick": quick, "steps": {}}
    t_all = time.perf_counter()
    for k, step in enumerate(steps, 1):
        say(f"[{k}/{len(steps)}] {step.title}")
        t0 = time.perf_counter()
        result = step.run(out / step.name, opts, say)
        result["wall_time_s"] = round(time.perf_counter() - t0, 3)
        summary["steps"][step.name] = result
        say(f"[{k}/{len(steps)}] done in {result['wall_time_s']:.1f} s")
    summary["wall_time_s"] = round(time.perf_counter() - t_all, 3)
    summary["all_checks_pass"] = all(
        s.get("all_checks_pass", True) for s in summary["steps"].values()
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    _index(out, summary)
    say(f"demo finished in {summary['wall_time_s']:.1f} s; results in {out}")
    return summary


def _index(out: Path, summary: dict) -> None:
    """Top-level report.html: key numbers of every step and links to the step reports."""
    from ..evaluate.report import write_report

    numbers = {"demo_wall_time_s": summary["wall_time_s"]}
    for name, res in summary["steps"].items():
        for k, v in res.items():
            if isinstance(v, (int, float, bool)) and not isinstance(v, bool) or v is None:
                numbers[f"{name}.{k}"] = v
    figs = []
    for png in ("chips/accuracy_histogram.png", "chips/accuracy_vs_sigma.png",
                "chips/energy_breakdown.png", f"neuron/{DEMO_NEURON}_fit.png"):
        if (out / png).exists():
            figs.append((png, png.split("/")[-1].replace("_", " ").replace(".png", "")))
    sections = [(f"Step: {k}", ", ".join(f"{a}={b}" for a, b in v.items()
                                          if isinstance(b, str)))
                for k, v in summary["steps"].items()]
    write_report(out, "neurocircuit demo: transistor → circuit → calibration → chips", numbers,
                 figs, sections)


def _main(args) -> int:
    summary = run_demo(
        args.out,
        quick=args.quick,
        say=lambda m: print(m, flush=True),
        cache=False if args.no_cache else None,
    )
    if not summary["all_checks_pass"]:
        print("some checks failed: see the reports", file=sys.stderr)
        return 1
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the end-to-end demo job (process → neuron → calibration → chips)",
        description="Run the main job and write its reports (JSON, PNG, HTML) to a directory.",
    )
    p.add_argument("-o", "--out", default="demo-out", help="output directory (default demo-out)")
    p.add_argument("--quick", action="store_true", help="fewer corners/points: a faster run")
    p.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    p.set_defaults(func=_main)
