"""``neurocircuit list``, ``generate`` and ``characterize``: the circuit catalogue verbs."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from importlib import import_module
from pathlib import Path

from ..errors import ParameterError

NETLIST_DIR = Path(__file__).resolve().parents[2] / "netlists"


def _parse_sets(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError(f"--set expects key=value, got {item!r}.")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def deck_filename(name: str, preset: str) -> str:
    return f"{name}__{preset}.cir"


def committed_text(text: str) -> str:
    """Deck text as committed under netlists/: the absolute path of the models directory is
    replaced by its path relative to netlists/ (ngspice resolves it from the deck's folder), so
    the committed decks do not depend on where the checkout lives."""
    from ..circuits.process import models_dir

    try:
        models = str(models_dir())
    except Exception:  # no models directory: nothing to relativise
        return text
    rel = os.path.relpath(models, NETLIST_DIR)
    return text.replace(models, rel)


def _cmd_list(args: argparse.Namespace) -> int:
    from ..circuits.registry import catalog
    from ..units import describe

    cat = catalog()
    if args.json:
        rows = {
            n: {
                "family": e.family,
                "doc": e.doc,
                "presets": {p: e.preset_docs.get(p, "") for p in e.presets},
                "parameters": [
                    {k: (v if k != "default" else repr(v)) for k, v in row.items()}
                    for row in describe(e.presets[e.default_preset])
                ],
            }
            for n, e in sorted(cat.items())
        }
        print(json.dumps(rows, indent=1))
        return 0
    for name, e in sorted(cat.items(), key=lambda kv: (kv[1].family, kv[0])):
        if args.name and name != args.name:
            continue
        print(f"{name}  [{e.family}]  {e.doc.splitlines()[0] if e.doc else ''}")
        for p in e.presets:
            src = e.preset_docs.get(p, "")
            print(f"    preset {p}{'  — ' + src if src else ''}")
        if args.name or args.verbose:
            for row in describe(e.presets[e.default_preset]):
                unit = f" [{row['unit']}]" if row["unit"] else ""
                print(f"      {row['name']} = {row['default']!r}{unit}  {row['doc']}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from ..circuits.registry import catalog, get

    if args.all:
        cat = catalog()
        NETLIST_DIR.mkdir(exist_ok=True)
        bad = []
        for name, e in sorted(cat.items()):
            for preset in e.presets:
                text = committed_text(e.generate(preset).text())
                path = NETLIST_DIR / deck_filename(name, preset)
                if args.check:
                    old = path.read_text() if path.exists() else ""
                    if old != text:
                        bad.append(path)
                        diff = difflib.unified_diff(
                            old.splitlines(), text.splitlines(), str(path), "generated", lineterm=""
                        )
                        print("\n".join(list(diff)[:40]), file=sys.stderr)
                else:
                    path.write_text(text)
                    print(f"wrote {path}")
        known = {deck_filename(n, p) for n, e in cat.items() for p in e.presets}
        stale = [p for p in NETLIST_DIR.glob("*.cir") if p.name not in known]
        if args.check:
            for p in stale:
                print(f"stale committed deck (no generator/preset): {p}", file=sys.stderr)
            if bad or stale:
                print(
                    f"{len(bad) + len(stale)} committed deck(s) differ from the generators; "
                    "run `neurocircuit generate --all` and commit.",
                    file=sys.stderr,
                )
                return 1
            print(f"all {len(known)} committed decks match the generators")
        return 0
    if not args.name:
        raise ParameterError("generate needs a circuit NAME (see `neurocircuit list`) or --all.")
    entry = get(args.name)
    text = entry.generate(args.preset, _parse_sets(args.set)).text()
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _cmd_characterize(args: argparse.Namespace) -> int:
    from ..circuits.registry import get

    entry = get(args.name)
    params = entry.params(args.preset, _parse_sets(args.set))
    modname = f"neurocircuit.evaluate.characterize_{entry.family}s"
    try:
        mod = import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name != modname:
            raise
        raise ParameterError(
            f"{entry.name} is a {entry.family} building block; it has no characterisation of "
            "its own (characterise a circuit that uses it)."
        ) from None
    fn = mod.CHARACTERIZERS.get(entry.name)
    if fn is None:
        raise ParameterError(f"No characterisation is defined for {entry.name}.")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    result = fn(
        params,
        out_dir=out,
        mc=args.mc,
        workers=args.workers,
        scheduler=args.scheduler,
        seed=args.seed,
        progress=not args.quiet,
    )
    scalars = {k: v for k, v in result.items() if not isinstance(v, (list, dict))}
    print(json.dumps(scalars, indent=1))
    print(f"wrote {out / 'characterization.json'}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("list", help="list circuits, presets and parameters")
    p.add_argument("name", nargs="?", help="show one circuit's parameters")
    p.add_argument("-v", "--verbose", action="store_true", help="show every parameter")
    p.add_argument("--json", action="store_true", help="machine-readable listing")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("generate", help="write a circuit's ngspice deck")
    p.add_argument("name", nargs="?", help="circuit name (see `neurocircuit list`)")
    p.add_argument("--preset", help="preset name (default: the circuit's first)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument("--all", action="store_true", help="every circuit and preset into netlists/")
    p.add_argument(
        "--check", action="store_true", help="with --all: fail if committed decks differ"
    )
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("characterize", help="simulate and measure a circuit; JSON + plots")
    p.add_argument("name")
    p.add_argument("--preset")
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.add_argument("--mc", type=int, default=0, help="Monte-Carlo instances (mismatch)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None, help="local worker processes")
    g.add_argument("--scheduler", help="Dask scheduler address tcp://host:port")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.set_defaults(func=_cmd_characterize)
