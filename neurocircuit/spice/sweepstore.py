"""Persistence of sweeps: stable content hashes of points and functions, and the point store.

A store directory holds ``manifest.json`` (the sweep's identity: a hash of ``fn``'s qualified
name and of every point) and ``points/<index>-<digest>.pkl``, one checksummed pickle per
finished point, written atomically (:func:`neurocircuit.spice.cache.write_checked`). The hash
of a point is computed from a canonical, type-tagged encoding (sets sorted, dicts by key,
arrays by dtype/shape/bytes, dataclasses by field), so it is the same in every process and
every run whatever ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import hashlib
import json
import os
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import NeurocircuitError

__all__ = ["SweepStoreError", "PointStore", "digest", "fn_name"]

_STORE_FORMAT = 1


class SweepStoreError(NeurocircuitError):
    """A ``store`` directory that belongs to a different sweep, or cannot be used."""


# ----------------------------------------------------------------------------------------------
# content hashing of points and functions (stable across processes and runs)
# ----------------------------------------------------------------------------------------------
def _feed(h, obj: Any) -> None:  # noqa: C901 - a flat type switch
    """Feed a canonical, type-tagged encoding of ``obj`` into hash ``h``."""
    if obj is None or isinstance(obj, (bool, int, float, complex, str)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
        return
    if isinstance(obj, bytes):
        h.update(b"bytes:%d:" % len(obj) + obj)
        return
    if isinstance(obj, enum.Enum):
        h.update(f"enum:{type(obj).__module__}.{type(obj).__qualname__}.{obj.name};".encode())
        return
    if isinstance(obj, os.PathLike):
        h.update(f"path:{os.fspath(obj)!r};".encode())
        return
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.generic):
        h.update(f"npscalar:{obj.dtype.str}:".encode() + obj.tobytes())
        return
    if np is not None and isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            h.update(f"ndobj:{obj.shape};".encode())
            _feed(h, obj.tolist())
        else:
            h.update(f"nd:{obj.dtype.str}:{obj.shape}:".encode())
            h.update(np.ascontiguousarray(obj).tobytes())
        return
    if isinstance(obj, (list, tuple)):
        h.update(f"{type(obj).__name__}[{len(obj)}:".encode())
        for item in obj:
            _feed(h, item)
        h.update(b"]")
        return
    if isinstance(obj, dict):
        h.update(f"dict{{{len(obj)}:".encode())
        for kd, vd in sorted((digest(k), digest(v)) for k, v in obj.items()):
            h.update(f"{kd}={vd},".encode())
        h.update(b"}")
        return
    if isinstance(obj, (set, frozenset)):
        h.update(f"set{{{len(obj)}:".encode())
        for d in sorted(digest(x) for x in obj):
            h.update(d.encode())
        h.update(b"}")
        return
    if isinstance(obj, functools.partial):
        h.update(b"partial(")
        _feed(h, obj.func)
        _feed(h, obj.args)
        _feed(h, obj.keywords)
        h.update(b")")
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dc:{type(obj).__module__}.{type(obj).__qualname__}(".encode())
        for f in dataclasses.fields(obj):
            h.update(f.name.encode() + b"=")
            _feed(h, getattr(obj, f.name))
        h.update(b")")
        return
    qualname = getattr(obj, "__qualname__", None)
    if callable(obj) and isinstance(qualname, str):  # functions, classes, builtins
        h.update(f"fn:{getattr(obj, '__module__', '')}.{qualname};".encode())
        code = getattr(obj, "__code__", None)
        if "<lambda>" in qualname and code is not None:  # lambdas share one name
            h.update(code.co_code)
            _feed(h, tuple(c for c in code.co_consts if not hasattr(c, "co_code")))
        return
    try:
        data = pickle.dumps(obj, protocol=4)
    except Exception:
        data = repr(obj).encode()
    h.update(f"obj:{type(obj).__module__}.{type(obj).__qualname__}:".encode() + data)


def digest(obj: Any) -> str:
    """Stable SHA-256 hex digest of ``obj`` (same value → same digest, in any process)."""
    h = hashlib.sha256()
    _feed(h, obj)
    return h.hexdigest()


def fn_name(fn: Callable) -> str:
    """``module.qualname`` of ``fn`` (of its ``func`` for a ``functools.partial``)."""
    base = getattr(fn, "func", fn)  # functools.partial
    mod = getattr(base, "__module__", None) or type(base).__module__
    name = getattr(base, "__qualname__", None) or type(base).__qualname__
    return f"{mod}.{name}"


# ----------------------------------------------------------------------------------------------
# the store
# ----------------------------------------------------------------------------------------------
class PointStore:
    """A directory: ``manifest.json`` + ``points/<index>-<digest>.pkl`` (checksummed).

    Parameters
    ----------
    directory
        The store; created by :meth:`open`.
    fn
        The sweep's function (its name and content hash enter the identity).
    digests
        :func:`digest` of every point, in order.

    Notes
    -----
    Entries are pickles: open only stores you (or your own runs) wrote.
    """

    def __init__(self, directory: Path, fn: Callable, digests: Sequence[str]) -> None:
        self.directory = Path(directory).expanduser()
        self.points_dir = self.directory / "points"
        self.fn_name = fn_name(fn)
        self.fn_digest = digest(fn)
        self.digests = list(digests)
        h = hashlib.sha256(f"{self.fn_digest}\n".encode())
        for d in self.digests:
            h.update(d.encode())
        self.identity = h.hexdigest()

    def open(self) -> None:
        manifest = self.directory / "manifest.json"
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except (OSError, ValueError) as exc:
                raise SweepStoreError(
                    f"The sweep store {self.directory} has an unreadable manifest ({exc}). "
                    "Delete the directory or choose another store."
                ) from exc
            if old.get("identity") != self.identity:
                raise SweepStoreError(
                    f"The sweep store {self.directory} belongs to another sweep "
                    f"(fn {old.get('fn')!r} over {old.get('n_points')} points; this one is "
                    f"{self.fn_name!r} over {len(self.digests)} points). Use another store "
                    "directory, or delete this one to start afresh."
                )
            return
        self.points_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": _STORE_FORMAT,
            "identity": self.identity,
            "fn": self.fn_name,
            "n_points": len(self.digests),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        tmp = manifest.with_name(f".tmp-manifest-{os.getpid()}.json")
        tmp.write_text(json.dumps(payload, indent=1) + "\n")
        os.replace(tmp, manifest)

    def _path(self, index: int) -> Path:
        return self.points_dir / f"{index:07d}-{self.digests[index][:24]}.pkl"

    def load(self) -> dict[int, tuple[Any, float | None]]:
        """Finished points on disk: ``{index: (value, duration)}``; damaged files are dropped."""
        from .cache import read_checked

        done: dict[int, tuple[Any, float | None]] = {}
        if not self.points_dir.is_dir():
            return done
        present = {p.name for p in self.points_dir.iterdir()}
        for i in range(len(self.digests)):
            path = self._path(i)
            if path.name not in present:
                continue
            payload = read_checked(path)
            try:
                rec = pickle.loads(payload) if payload is not None else None
            except Exception:
                rec = None
            if not (isinstance(rec, dict) and rec.get("digest") == self.digests[i]):
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            done[i] = (rec["value"], rec.get("duration"))
        return done

    def save(self, index: int, value: Any, duration: float | None) -> None:
        from .cache import write_checked

        rec = {"index": index, "digest": self.digests[index], "value": value, "duration": duration}
        write_checked(self._path(index), pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL))
