"""``neurocircuit simulate DECK``: run a deck (with its own analysis card) and summarise it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import ParameterError

__all__ = ["register", "run_simulate", "has_analysis"]

_ANALYSIS_RE = re.compile(r"^\s*\.(op|tran|ac|dc|noise|tf|sens|pz|disto)\b", re.IGNORECASE)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="run an ngspice deck and save/plot the result",
        description=(
            "Run DECK (which carries its own analysis card, e.g. '.tran 1u 1m') with ngspice "
            "and print a short summary. The result is the last analysis that ran."
        ),
    )
    p.add_argument("deck", type=Path, help="SPICE deck file")
    p.add_argument("--backend", choices=("batch", "shared"), default=None)
    p.add_argument("--out", type=Path, help="save the result as .npz (SimResult.load reads it)")
    p.add_argument("--plot", type=Path, help="plot the signals to this PNG")
    p.add_argument("--signals", help="comma-separated vectors to plot/print, e.g. v(out),i(vdd)")
    p.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    p.add_argument("--options", default=None, help="option preset: default or subthreshold")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")
    p.set_defaults(func=run_simulate)


def has_analysis(deck: str) -> bool:
    """Whether the deck has an analysis card (outside ``.control`` blocks)."""
    in_control = False
    for line in deck.splitlines():
        low = line.strip().lower()
        if low.startswith(".control"):
            in_control = True
        elif low.startswith(".endc"):
            in_control = False
        elif not in_control and _ANALYSIS_RE.match(line):
            return True
    return False


def run_simulate(args: argparse.Namespace) -> int:
    import numpy as np

    from ..spice import simulate

    if not args.deck.is_file():
        raise ParameterError(f"No deck file {str(args.deck)!r}.")
    text = args.deck.read_text()
    if not has_analysis(text):
        raise ParameterError(
            f"{args.deck} has no analysis card; add one such as '.tran 1u 1m' or '.op'."
        )
    result = simulate(
        text,
        None,
        backend=args.backend,
        timeout=args.timeout,
        options=args.options,
        cache=False if args.no_cache else None,
        cwd=args.deck.resolve().parent,  # relative .include paths are relative to the deck
    )
    names = [s.strip() for s in args.signals.split(",") if s.strip()] if args.signals else None
    for n in names or []:
        if n not in result:
            raise ParameterError(
                f"No signal {n!r} in the result. Available: {', '.join(result.names())}"
            )
    n_points = len(result.axis) if result.axis_name else 1
    print(
        f"{args.deck.name}: {result.analysis} analysis, {n_points} points, "
        f"{len(result.signals)} vectors, backend {result.backend}, {result.ngspice_version}, "
        f"{result.wall_time_s:.3f} s{' (cached)' if result.meta.get('cache_hit') else ''}"
    )
    if result.axis_name:
        ax = result.axis
        print(f"  {result.axis_name}: {ax.min():.6g} .. {ax.max():.6g}")
    for n in names or list(result.signals)[:12]:
        y = result[n]
        if np.iscomplexobj(y):
            mag = np.abs(y)
            print(f"  {n}: |min| {mag.min():.6g}  |max| {mag.max():.6g}")
        elif y.size == 1:
            print(f"  {n} = {y[0]:.6g}")
        else:
            print(f"  {n}: min {y.min():.6g}  max {y.max():.6g}  last {y[-1]:.6g}")
    if args.out:
        print(f"saved {result.save(args.out)}")
    if args.plot:
        result.plot(names, path=args.plot, title=args.deck.name)
        print(f"plotted {args.plot}")
    return 0
