"""``neurocircuit demo -o DIR [--quick]``: the main end-to-end job.

The job is a list of :class:`Step` s run in order, each writing into its own sub-directory of
``DIR`` and returning a small summary dictionary; ``DIR/summary.json`` collects them. For now
the list holds the MOS characterisation of the generic 180 nm process
(:func:`neurocircuit.evaluate.mos_report.mos_report`); later steps (neuron generation,
calibration, network evaluation) are appended to :func:`demo_steps`.
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


def demo_steps() -> list[Step]:
    """The steps of the demo job, in order."""
    return [
        Step("mos", "MOS characterisation of the generic 180 nm process", _mos_step),
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
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    say(f"demo finished in {summary['wall_time_s']:.1f} s; results in {out}")
    return summary


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
        help="run the end-to-end demo job (now: MOS characterisation report)",
        description="Run the main job and write its reports (JSON, PNG, HTML) to a directory.",
    )
    p.add_argument("-o", "--out", default="demo-out", help="output directory (default demo-out)")
    p.add_argument("--quick", action="store_true", help="fewer corners/points: a faster run")
    p.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    p.set_defaults(func=_main)
