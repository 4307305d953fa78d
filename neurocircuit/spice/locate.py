"""Find ngspice on first use: the ``ngspice`` binary, ``libngspice`` and the XSPICE code models.

Nothing here runs at import. Every lookup honours the environment at the time of the call:

- ``NGSPICE``: the ngspice binary (a path or a command name looked up on ``PATH``);
- ``NGSPICE_LIBRARY`` or PySpice's ``NGSPICE_LIBRARY_PATH``: the shared library;
- otherwise ``PATH``, ``ldconfig -p`` and the usual install directories.

Probing the version runs ``ngspice -v`` once per binary (cached on path and modification
time), so repeated calls cost nothing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import SimulationError

__all__ = [
    "INSTALL_HINT",
    "NgspiceInstall",
    "find_binary",
    "find_library",
    "binary_version",
    "code_models",
    "require_binary",
    "require_library",
    "describe",
]

INSTALL_HINT = "sudo apt-get install -y ngspice libngspice0-dev"

_LIB_NAMES = ("libngspice.so", "libngspice.so.0", "libngspice.dylib", "ngspice.dll")
_LIB_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    "/opt/homebrew/lib",
    "/opt/local/lib",
)
_CM_DIRS = (
    "/usr/lib/x86_64-linux-gnu/ngspice",
    "/usr/lib/aarch64-linux-gnu/ngspice",
    "/usr/lib64/ngspice",
    "/usr/lib/ngspice",
    "/usr/local/lib/ngspice",
    "/opt/homebrew/lib/ngspice",
)
_VERSION_RE = re.compile(r"ngspice-(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class NgspiceInstall:
    """What was found: each field is ``None`` (or empty) when missing."""

    binary: str | None
    version: str | None
    library: str | None
    code_models: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.binary is not None and self.library is not None


def find_binary() -> str | None:
    """Absolute path of the ngspice binary (``$NGSPICE`` first, then ``PATH``), or ``None``."""
    name = os.environ.get("NGSPICE", "ngspice")
    if os.sep in name:
        p = Path(name).expanduser()
        return str(p.resolve()) if p.is_file() and os.access(p, os.X_OK) else None
    found = shutil.which(name)
    return str(Path(found).resolve()) if found else None


def require_binary() -> str:
    """Like :func:`find_binary` but raises :class:`SimulationError` with the install command."""
    path = find_binary()
    if path is None:
        where = os.environ.get("NGSPICE")
        what = f"NGSPICE={where!r} is not an executable" if where else "no ngspice on PATH"
        raise SimulationError(
            f"ngspice binary not found ({what}). Install it with: {INSTALL_HINT}",
            kind="crash",
        )
    return path


def find_library() -> str | None:
    """Path of libngspice (env overrides, ``ldconfig -p``, common directories), or ``None``."""
    for var in ("NGSPICE_LIBRARY", "NGSPICE_LIBRARY_PATH"):
        value = os.environ.get(var)
        if value:
            p = Path(value.format("")).expanduser()
            return str(p) if p.is_file() else None
    return _search_library()


def require_library() -> str:
    """Like :func:`find_library` but raises :class:`SimulationError` with the install command."""
    path = find_library()
    if path is None:
        raise SimulationError(
            "libngspice not found (set NGSPICE_LIBRARY to its path, or install it with: "
            f"{INSTALL_HINT})",
            kind="crash",
        )
    return path


@functools.lru_cache(maxsize=4)
def _search_library_cached(ld_path: str) -> str | None:
    for d in [p for p in ld_path.split(os.pathsep) if p]:
        for n in _LIB_NAMES:
            if (Path(d) / n).is_file():
                return str(Path(d) / n)
    try:
        out = subprocess.run(
            ["ldconfig", "-p"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    hits = re.findall(r"(libngspice\.so(?:\.\d+)*)\s.*=>\s*(\S+)", out)
    for name in ("libngspice.so", "libngspice.so.0"):
        for libname, path in hits:
            if libname == name and Path(path).is_file():
                return path
    for d in _LIB_DIRS:
        for n in _LIB_NAMES:
            if (Path(d) / n).is_file():
                return str(Path(d) / n)
    return None


def _search_library() -> str | None:
    return _search_library_cached(os.environ.get("LD_LIBRARY_PATH", ""))


@functools.lru_cache(maxsize=8)
def _version_cached(binary: str, mtime_ns: int) -> str | None:
    try:
        proc = subprocess.run(
            [binary, "-v"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    m = _VERSION_RE.search(proc.stdout + proc.stderr)
    return f"ngspice-{m.group(1)}" if m else None


def binary_version(binary: str | None = None) -> str | None:
    """Version string of a binary, e.g. ``"ngspice-39"`` (``None`` if it cannot be run)."""
    binary = binary or find_binary()
    if binary is None:
        return None
    try:
        mtime = Path(binary).stat().st_mtime_ns
    except OSError:
        return None
    return _version_cached(binary, mtime)


def code_models(library: str | None = None) -> tuple[str, ...]:
    """XSPICE code-model files (``*.cm``) found beside the library or in the usual places."""
    dirs = []
    library = library or find_library()
    if library:
        dirs.append(Path(library).resolve().parent / "ngspice")
    dirs.extend(Path(d) for d in _CM_DIRS)
    for d in dirs:
        if d.is_dir():
            found = sorted(str(p) for p in d.glob("*.cm"))
            if found:
                return tuple(found)
    return ()


def describe() -> NgspiceInstall:
    """Everything :mod:`locate` can find, for ``neurocircuit doctor``."""
    binary = find_binary()
    library = find_library()
    return NgspiceInstall(
        binary=binary,
        version=binary_version(binary) if binary else None,
        library=library,
        code_models=code_models(library),
    )
