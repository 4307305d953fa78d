"""The ``neurocircuit`` command.

Sub-commands live in :mod:`neurocircuit.clicmds`, one module each, every module exposing
``register(subparsers)`` which adds its parser(s) and sets ``func`` to a callable taking the
parsed ``argparse.Namespace`` and returning an exit status. Modules are discovered when the
command runs (never at ``import neurocircuit``).
"""

from __future__ import annotations

import argparse
import pkgutil
import sys
from importlib import import_module

from . import __version__
from .errors import NeurocircuitError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neurocircuit",
        description="Neuromorphic hardware design: generate, simulate, calibrate, evaluate.",
    )
    parser.add_argument("--version", action="version", version=f"neurocircuit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from . import clicmds

    for info in sorted(pkgutil.iter_modules(clicmds.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = import_module(f"{clicmds.__name__}.{info.name}")
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except NeurocircuitError as exc:
        print(f"neurocircuit {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; finished work is kept and a rerun resumes.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
