"""``neurocircuit sweep DECK``: simulate a deck over a grid of parameter values.

Each ``--param NAME=start:stop:num[:log]`` or ``--set-values NAME=v1,v2,...`` adds an axis; the
points are the Cartesian product of the axes, in the order given. For each point the deck is
rewritten:

* a ``.param NAME=...`` line in the deck gets the point's value;
* else every ``{NAME}`` placeholder is replaced by the value;
* else ``NAME`` = ``temp`` sets the simulation temperature (°C);
* else it is an error that names the parameters and placeholders the deck has.

Each point is simulated through :func:`neurocircuit.spice.simulate` (cached on disk unless
``--no-cache``) by :func:`neurocircuit.spice.sweep.sweep` (local pool, or Dask with
``--scheduler``; resumable with ``--store``). The JSON summary has, per point, the parameter
values and either the requested ``--measure SIGNAL:OP`` values or, by default, the final value,
minimum and maximum of every saved vector. Exit status: 0 when every point succeeded, 3 when
some failed (they are listed in the JSON and on stderr), 1 on bad input.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..units import parse_si

__all__ = [
    "register",
    "parse_analysis",
    "parse_range",
    "parse_values",
    "parse_measure",
    "substitute",
    "SimulatePoint",
    "MEASURES",
]

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ANALYSIS_LINE = re.compile(r"^\s*\.(tran|ac|dc|op|noise|tf|sens|pz|disto)\b", re.I)
_EXIT_FAILED_POINTS = 3
_DESCRIPTION = """\
Simulate DECK once per point of a parameter grid and write a JSON summary.

Each --param / --set-values adds an axis; the points are the Cartesian product of the axes, in
the order given. For each point, a '.param NAME=...' line in the deck gets the value; else
every '{NAME}' placeholder is replaced; else NAME 'temp' sets the temperature (degC).
Simulations go through the result cache (unless --no-cache), on a local process pool (one
worker per core, or --workers K) or on Dask (--scheduler tcp://host:port). With --store DIR
each finished point is kept, and rerunning the same command resumes after Ctrl-C or a kill.

Exit status: 0 all points ok; 3 some points failed (listed in the JSON and on stderr);
1 bad input."""


# ----------------------------------------------------------------------------------------------
# parsing
# ----------------------------------------------------------------------------------------------
def parse_analysis(text: str):
    """``"tran 1u 10m"`` → ``Tran(1e-6, 1e-2)``; likewise ``op``, ``dc`` and ``ac`` lines.

    Forms (the leading dot is optional, numbers in SPICE notation)::

        op
        tran STEP STOP [START [MAX_STEP]] [uic]
        dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]
        ac dec|oct|lin POINTS FSTART FSTOP
    """
    from ..spice.analyses import Ac, Dc, Op, Tran

    words = text.strip().lstrip(".").split()
    usage = (
        "Use one of: 'op', 'tran STEP STOP [START [MAX_STEP]] [uic]', "
        "'dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]', 'ac dec|oct|lin POINTS FSTART FSTOP'."
    )
    if not words:
        raise ParameterError(f"The analysis is empty. {usage}")
    kind, args = words[0].lower(), words[1:]
    try:
        if kind == "op" and not args:
            return Op()
        if kind == "tran" and 2 <= len(args) <= 5:
            uic = args[-1].lower() == "uic"
            nums = [parse_si(a) for a in (args[:-1] if uic else args)]
            if 2 <= len(nums) <= 4:
                start = nums[2] if len(nums) > 2 else 0.0
                max_step = nums[3] if len(nums) > 3 else None
                return Tran(nums[0], nums[1], start, max_step, uic)
        if kind == "dc" and len(args) in (4, 8):
            second = {}
            if len(args) == 8:
                second = {
                    "source2": args[4],
                    "start2": parse_si(args[5]),
                    "stop2": parse_si(args[6]),
                    "step2": parse_si(args[7]),
                }
            return Dc(args[0], parse_si(args[1]), parse_si(args[2]), parse_si(args[3]), **second)
        if kind == "ac" and len(args) == 4:
            return Ac(parse_si(args[2]), parse_si(args[3]), int(parse_si(args[1])), args[0].lower())
    except ParameterError as exc:
        raise ParameterError(f"Cannot read the analysis {text!r}: {exc}") from exc
    raise ParameterError(f"Cannot read the analysis {text!r}. {usage}")


def _check_name(name: str, flag: str) -> str:
    name = name.strip()
    if not _NAME_RE.match(name):
        raise ParameterError(
            f"{flag} needs NAME=...; {name!r} is not a parameter name (letters, digits, _)."
        )
    return name


def parse_range(text: str) -> tuple[str, list[float]]:
    """``"R=1k:10k:5"`` → ``("R", [1e3, 3.25e3, ..., 1e4])``; ``":log"`` spaces geometrically."""
    import numpy as np

    if "=" not in text:
        raise ParameterError(f"--param expects NAME=START:STOP:NUM[:log], got {text!r}.")
    name, spec = text.split("=", 1)
    name = _check_name(name, "--param")
    parts = spec.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3].lower() not in ("lin", "log")):
        raise ParameterError(
            f"--param expects NAME=START:STOP:NUM[:lin|log], got {text!r} "
            "(e.g. R=1k:10k:5 or I=1p:1n:7:log)."
        )
    start, stop = parse_si(parts[0]), parse_si(parts[1])
    num_f = parse_si(parts[2])
    if num_f != int(num_f) or num_f < 1:
        raise ParameterError(f"--param {name}: NUM must be an integer >= 1. Got {parts[2]!r}.")
    num = int(num_f)
    if len(parts) == 4 and parts[3].lower() == "log":
        if start <= 0 or stop <= 0:
            raise ParameterError(
                f"--param {name}: a log range needs START and STOP > 0. Got {parts[0]}, {parts[1]}."
            )
        values = np.geomspace(start, stop, num)
    else:
        values = np.linspace(start, stop, num)
    return name, [float(v) for v in values]


def parse_values(text: str) -> tuple[str, list[float]]:
    """``"C=1p,2p,5p"`` → ``("C", [1e-12, 2e-12, 5e-12])``."""
    if "=" not in text:
        raise ParameterError(f"--set-values expects NAME=V1,V2,..., got {text!r}.")
    name, spec = text.split("=", 1)
    name = _check_name(name, "--set-values")
    items = [s for s in (p.strip() for p in spec.split(",")) if s]
    if not items:
        raise ParameterError(f"--set-values {name}: no values given.")
    return name, [parse_si(s) for s in items]


def _integrate_mean(x, y) -> float:
    import numpy as np

    if x is not None and len(x) == len(y) and len(y) > 1 and x[-1] > x[0]:
        return float(np.trapezoid(y, x) / (x[-1] - x[0]))
    return float(np.mean(y))


def _m_final(x, y):
    return float(y[-1])


def _m_initial(x, y):
    return float(y[0])


def _m_min(x, y):
    return float(y.min())


def _m_max(x, y):
    return float(y.max())


def _m_pp(x, y):
    return float(y.max() - y.min())


def _m_mean(x, y):
    return _integrate_mean(x, y)


def _m_rms(x, y):
    return math.sqrt(max(_integrate_mean(x, y * y), 0.0))


def _m_argmax(x, y):
    return float(x[int(y.argmax())]) if x is not None and len(x) == len(y) else float("nan")


def _m_argmin(x, y):
    return float(x[int(y.argmin())]) if x is not None and len(x) == len(y) else float("nan")


MEASURES = {
    "final": _m_final,
    "initial": _m_initial,
    "min": _m_min,
    "max": _m_max,
    "pp": _m_pp,
    "mean": _m_mean,
    "rms": _m_rms,
    "argmax": _m_argmax,
    "argmin": _m_argmin,
}
"""``--measure SIGNAL:OP`` operations. ``mean``/``rms`` are weighted by the axis (non-uniform
time steps); ``argmax``/``argmin`` give the axis value (time, frequency, sweep value) of the
extremum. Complex (AC) signals are measured on their magnitude."""


def parse_measure(text: str) -> tuple[str, str]:
    """``"v(out):max"`` → ``("v(out)", "max")``."""
    if ":" not in text:
        raise ParameterError(
            f"--measure expects SIGNAL:OP, got {text!r}. OPs: {', '.join(MEASURES)}."
        )
    signal, op = text.rsplit(":", 1)
    op = op.strip().lower()
    if op not in MEASURES:
        raise ParameterError(
            f"Unknown --measure operation {op!r} in {text!r}. Valid: {', '.join(MEASURES)}."
        )
    if not signal.strip():
        raise ParameterError(f"--measure {text!r} names no signal.")
    return signal.strip(), op


# ----------------------------------------------------------------------------------------------
# deck rewriting
# ----------------------------------------------------------------------------------------------
def _fmt_value(v: float) -> str:
    return format(float(v), ".12g")


def _param_line_re(name: str) -> re.Pattern:
    return re.compile(
        rf"(?im)^(\s*\.param\b[^\n]*?(?<![A-Za-z0-9_]))({re.escape(name)})(\s*=\s*)"
        r"(\{[^}\n]*\}|'[^'\n]*'|[^\s,]+)"
    )


def _placeholder_re(name: str) -> re.Pattern:
    return re.compile(rf"\{{\s*{re.escape(name)}\s*\}}", re.I)


def _deck_names(deck: str) -> tuple[list[str], list[str]]:
    params = []
    for line in deck.splitlines():
        if re.match(r"^\s*\.param\b", line, re.I):
            params += re.findall(
                r"([A-Za-z_][A-Za-z0-9_]*)\s*=", line[line.lower().index("param") + 5 :]
            )
    holders = re.findall(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", deck)
    return sorted(set(params)), sorted(set(holders))


def substitute(deck: str, values: dict[str, float]) -> tuple[str, float | None]:
    """Put ``values`` into ``deck``; returns the new text and the temperature (``temp``) if any.

    Raises
    ------
    ParameterError
        A name the deck neither defines with ``.param`` nor uses as ``{NAME}``.
    """
    temperature = None
    for name, value in values.items():
        text = _fmt_value(value)
        pat = _param_line_re(name)
        if pat.search(deck):
            deck = pat.sub(lambda m, t=text: m.group(1) + m.group(2) + m.group(3) + t, deck)
            continue
        ph = _placeholder_re(name)
        if ph.search(deck):
            deck = ph.sub(text, deck)
            continue
        if name.lower() in ("temp", "temperature"):
            temperature = float(value)
            continue
        params, holders = _deck_names(deck)
        raise ParameterError(
            f"The deck has neither a '.param {name}=' line nor a '{{{name}}}' placeholder. "
            f".param names: {', '.join(params) or 'none'}; placeholders: "
            f"{', '.join('{' + h + '}' for h in holders) or 'none'}. "
            "('temp' sets the temperature.)"
        )
    return deck, temperature


# ----------------------------------------------------------------------------------------------
# the per-point function (picklable: a module-level frozen dataclass)
# ----------------------------------------------------------------------------------------------
def _clean(v: float) -> float | None:
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class SimulatePoint:
    """Simulate ``deck`` with one point's values substituted; return a JSON-ready summary."""

    deck: str
    analysis: Any
    backend: str | None = None
    timeout: float = 60.0
    options: str | None = None
    measures: tuple[tuple[str, str], ...] = ()
    cache: bool = True

    def __call__(self, point: dict[str, float]) -> dict:
        import numpy as np

        from ..spice import simulate

        deck, temperature = substitute(self.deck, dict(point))
        res = simulate(
            deck,
            self.analysis,
            backend=self.backend,
            timeout=self.timeout,
            options=self.options,
            temperature=temperature,
            cache=None if self.cache else False,
        )
        x = np.real(res.axis) if len(res.axis) else None
        out: dict[str, Any] = {"cache_hit": bool(res.meta.get("cache_hit", False))}
        if self.measures:
            meas = {}
            for signal, op in self.measures:
                y = res[signal]
                y = np.abs(y) if np.iscomplexobj(y) else np.asarray(y, dtype=float)
                meas[f"{signal}:{op}"] = _clean(MEASURES[op](x, y))
            out["measures"] = meas
        else:
            sig = {}
            for name, y in res.signals.items():
                y = np.abs(y) if np.iscomplexobj(y) else np.asarray(y, dtype=float)
                if y.size == 0:
                    continue
                sig[name] = {
                    "final": _clean(float(y[-1])),
                    "min": _clean(float(y.min())),
                    "max": _clean(float(y.max())),
                }
            out["signals"] = sig
        return out


# ----------------------------------------------------------------------------------------------
# command
# ----------------------------------------------------------------------------------------------
def _grid(axes: list[tuple[str, list[float]]]) -> list[dict[str, float]]:
    names = [n for n, _ in axes]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ParameterError(f"Parameter(s) swept twice: {', '.join(sorted(dup))}.")
    return [dict(zip(names, combo)) for combo in itertools.product(*(v for _, v in axes))]


def _run(args: argparse.Namespace) -> int:
    deck_path = Path(args.deck)
    try:
        deck = deck_path.read_text()
    except OSError as exc:
        raise ParameterError(f"Cannot read the deck {deck_path}: {exc.strerror or exc}.") from exc
    if not args.axes:
        raise ParameterError("Nothing to sweep: give at least one --param or --set-values.")
    analysis = None
    if args.analysis:
        analysis = parse_analysis(args.analysis)
        for n, line in enumerate(deck.splitlines(), 1):
            if _ANALYSIS_LINE.match(line):
                raise ParameterError(
                    f"{deck_path}:{n} already has an analysis card ({line.strip()!r}); remove it "
                    "or leave out --analysis to run the deck's own."
                )
    points = _grid(args.axes)
    substitute(deck, points[0])  # fail fast, before any worker starts
    fn = SimulatePoint(
        deck=deck,
        analysis=analysis,
        backend=args.backend,
        timeout=args.timeout,
        options=args.options,
        measures=tuple(args.measures or ()),
        cache=not args.no_cache,
    )
    from ..spice.sweep import sweep

    t0 = time.perf_counter()
    res = sweep(
        fn,
        points,
        workers=args.workers,
        scheduler=args.scheduler,
        store=args.store,
        progress=not args.no_progress,
        desc=deck_path.name,
        chunksize=args.chunksize,
    )
    errors = {f.index: f.error for f in res.failures}
    rows = []
    for i, (point, value) in enumerate(zip(res.points, res.results)):
        row: dict[str, Any] = {"index": i, "params": point, "ok": i not in errors}
        if i in errors:
            row["error"] = str(errors[i])
        else:
            row.update(value)
        rows.append(row)
    summary = {
        "deck": str(deck_path),
        "analysis": analysis.card() if analysis is not None else None,
        "parameters": [n for n, _ in args.axes],
        "n_points": len(points),
        "n_failed": len(res.failures),
        "n_resumed": res.n_resumed,
        "wall_time_s": round(time.perf_counter() - t0, 4),
        "points": rows,
        "failures": [
            {"index": f.index, "params": f.point, "error": str(f.error)} for f in res.failures
        ],
    }
    text = json.dumps(summary, indent=1)
    if args.output:
        out = Path(args.output)
        if out.parent != Path(""):
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        print(f"wrote {out}", file=sys.stderr)
    else:
        print(text)
    print(res.summary(), file=sys.stderr)
    return 0 if res.ok else _EXIT_FAILED_POINTS


def _axis_range(text: str):
    try:
        return parse_range(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _axis_values(text: str):
    try:
        return parse_values(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _measure(text: str):
    try:
        return parse_measure(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _workers(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k < 1:
        raise argparse.ArgumentTypeError(f"--workers must be an integer >= 1, got {text!r}")
    return k


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="simulate a deck over a grid of parameter values (local pool or Dask)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  neurocircuit sweep rc.cir --param R=1k:10k:4 --analysis 'tran 1u 5m' \\\n"
            "      --measure 'v(out):final' -o rc.json\n"
            "  neurocircuit sweep amp.cir --set-values W=1u,2u,4u --param temp=0:100:3 \\\n"
            "      --analysis 'ac dec 10 1 1g' --scheduler tcp://10.0.0.5:8786 --store runs/amp"
        ),
    )
    p.add_argument("deck", help="deck file (netlist text; {NAME} placeholders or .param lines)")
    p.add_argument(
        "--param",
        dest="axes",
        action="append",
        type=_axis_range,
        metavar="NAME=START:STOP:NUM[:log]",
        help="sweep NAME over NUM evenly (or geometrically with :log) spaced values",
    )
    p.add_argument(
        "--set-values",
        dest="axes",
        action="append",
        type=_axis_values,
        metavar="NAME=V1,V2,...",
        help="sweep NAME over the listed values",
    )
    p.add_argument(
        "--analysis",
        help="e.g. 'tran 1u 10m', 'op', 'dc V1 0 1.8 0.01', 'ac dec 10 1 1meg' "
        "(default: the deck's own analysis cards)",
    )
    p.add_argument(
        "--measure",
        dest="measures",
        action="append",
        type=_measure,
        metavar="SIGNAL:OP",
        help=f"report OP of SIGNAL per point (OP: {', '.join(MEASURES)}); default: "
        "final/min/max of every vector",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=_workers, help="local worker processes (default: one per core)"
    )
    where.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--store", metavar="DIR", help="persist finished points here; rerun resumes")
    p.add_argument("--backend", choices=("shared", "batch"), help="ngspice backend")
    p.add_argument("--options", help="simulator options preset (e.g. subthreshold)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per simulation")
    p.add_argument("--chunksize", type=int, default=1, help="points per task sent to a worker")
    p.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-o", "--output", metavar="OUT.json", help="write the JSON here (else stdout)")
    p.set_defaults(func=_run)
