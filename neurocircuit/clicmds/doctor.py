"""``neurocircuit doctor``: is ngspice usable? Binary, library, code models, PySpice, backends."""

from __future__ import annotations

import argparse
from importlib import metadata

__all__ = ["register", "run_doctor"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="check the ngspice installation (binary, library, XSPICE code models, PySpice)",
        description=(
            "Report the ngspice binary and its version, libngspice, the XSPICE code models and "
            "PySpice, then run a one-line simulation on each backend. Exits non-zero with the "
            "install command when something is missing."
        ),
    )
    p.add_argument("--no-run", action="store_true", help="only locate, do not simulate")
    p.set_defaults(func=run_doctor)


def _pyspice_version() -> str | None:
    try:
        return metadata.version("PySpice")
    except metadata.PackageNotFoundError:
        return None


def run_doctor(args: argparse.Namespace) -> int:
    from ..spice.locate import INSTALL_HINT, describe
    from ..spice.simulate import default_backend

    info = describe()
    pyspice = _pyspice_version()
    problems: list[str] = []
    print(f"ngspice binary   : {info.binary or 'MISSING'}")
    print(f"ngspice version  : {info.version or 'unknown'}")
    print(f"libngspice       : {info.library or 'MISSING'}")
    models = ", ".join(m.rsplit("/", 1)[-1] for m in info.code_models) or "none found"
    print(f"XSPICE models    : {models}")
    print(f"PySpice          : {pyspice or 'MISSING'}")
    print(f"default backend  : {default_backend()}")
    if info.binary is None:
        problems.append("the ngspice binary (batch backend)")
    if info.library is None:
        problems.append("libngspice (shared backend)")
    if pyspice is None:
        problems.append("PySpice (shared backend): pip install PySpice")
    if not getattr(args, "no_run", False):
        problems += _smoke(info.binary is not None, info.library is not None and bool(pyspice))
    if problems:
        print("\nproblems:")
        for p in problems:
            print(f"  - {p}")
        print(f"\nInstall ngspice and its shared library with:\n  {INSTALL_HINT}")
        return 1
    print("\nall good")
    return 0


def _smoke(batch_ok: bool, shared_ok: bool) -> list[str]:
    from ..errors import SimulationError
    from ..spice import Op, simulate

    deck = "* doctor\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n"
    problems = []
    for backend, ok in (("batch", batch_ok), ("shared", shared_ok)):
        if not ok:
            print(f"backend {backend:6s}   : skipped (not installed)")
            continue
        try:
            res = simulate(deck, Op(), backend=backend, cache=False, timeout=60)
            v = float(res["b"][0])
            good = abs(v - 0.5) < 1e-9
            status = "ok" if good else f"WRONG (v(b) = {v})"
            print(f"backend {backend:6s}   : {status} ({res.ngspice_version})")
            if not good:
                problems.append(f"backend {backend} computed v(b) = {v}, expected 0.5")
        except SimulationError as exc:
            print(f"backend {backend:6s}   : FAILED ({exc.kind})")
            problems.append(f"backend {backend}: {exc.summary}")
    return problems
