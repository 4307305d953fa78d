"""Content-addressed on-disk cache of :class:`~neurocircuit.spice.result.SimResult`.

An entry is addressed by the SHA-256 of a canonical JSON of everything that determines the
numbers ngspice produces: the deck text, the analysis card, the simulator options and the
ngspice version. The backend is *not* part of the address (both backends give the same
numbers, so a result computed by one serves the other); :meth:`ResultCache.key` still takes it
so that callers need not know this.

File format (one file per entry, ``<dir>/<k[:2]>/<k>.ncr``)::

    b"NCRC2\\n" + <64 hex chars: sha256 of payload> + b"\\n" + <payload>
    payload = b"SIMR1" + <u64 LE: n> + <n bytes: JSON header> + <raw array buffers>

The JSON header holds :meth:`SimResult.metadata` and, per array (``axis``, ``s0..sN``), its
dtype, shape, offset and size; the arrays are raw bytes (no zip, no per-array parsing: a hit
costs about a file read, a SHA-256 and a memcpy). Writes go to a temporary file in the entry's own
directory followed by :func:`os.replace`, so a reader sees either no entry or a whole one, and
two processes writing the same key at once both succeed (the last rename wins; the contents
are equal). A truncated or corrupted entry fails the checksum, is removed and reported as a
miss, so the caller recomputes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from .result import SimResult

__all__ = [
    "ResultCache",
    "CacheWarning",
    "default_cache",
    "write_checked",
    "read_checked",
    "CACHE_ENV",
    "NO_CACHE_ENV",
]

CACHE_ENV = "NEUROCIRCUIT_CACHE"
NO_CACHE_ENV = "NEUROCIRCUIT_NO_CACHE"

_MAGIC = b"NCRC2\n"
_PAYLOAD_TAG = b"SIMR1"
_DIGEST_LEN = 64  # hex sha256
_HEADER_LEN = len(_MAGIC) + _DIGEST_LEN + 1
_SUFFIX = ".ncr"
_KEY_SCHEMA = 1


class CacheWarning(UserWarning):
    """The result cache could not be written; the simulation itself succeeded."""


def write_checked(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically, prefixed with its SHA-256.

    The bytes go to a temporary file in ``path``'s directory, then are renamed over ``path``
    (:func:`os.replace`), so readers never see a partial file and concurrent writers of the
    same path do not disturb each other. There is no ``fsync``: a file torn by a power loss
    fails its checksum and reads as absent, which costs a recomputation, not a wrong result.
    """
    digest = hashlib.sha256(payload).hexdigest().encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC)
            fh.write(digest)
            fh.write(b"\n")
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_checked(path: Path) -> memoryview | None:
    """The payload :func:`write_checked` stored at ``path``; ``None`` if absent or damaged."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    return _unwrap(blob)


def _unwrap(blob: bytes) -> memoryview | None:
    if len(blob) < _HEADER_LEN or not blob.startswith(_MAGIC):
        return None
    if blob[_HEADER_LEN - 1 : _HEADER_LEN] != b"\n":
        return None
    digest = blob[len(_MAGIC) : len(_MAGIC) + _DIGEST_LEN]
    payload = memoryview(blob)[_HEADER_LEN:]  # no copy
    if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
        return None
    return payload


def _to_bytes(result: SimResult) -> bytes:
    """Serialise ``result``: ``SIMR1`` + header length + JSON header + raw array buffers."""
    import numpy as np

    arrays = {"axis": np.asarray(result.axis)}
    arrays.update({f"s{i}": np.asarray(v) for i, v in enumerate(result.signals.values())})
    table, buffers, offset = [], [], 0
    for name, arr in arrays.items():
        if arr.dtype.hasobject:
            raise ValueError(f"Cannot cache the object array {name!r} of a SimResult.")
        data = np.ascontiguousarray(arr).tobytes()
        table.append([name, arr.dtype.str, list(arr.shape), offset, len(data)])
        buffers.append(data)
        offset += len(data)
    header = json.dumps(
        {"metadata": result.metadata(), "arrays": table}, default=str, separators=(",", ":")
    ).encode()
    return b"".join([_PAYLOAD_TAG, len(header).to_bytes(8, "little"), header, *buffers])


def _from_bytes(payload: bytes | memoryview) -> SimResult:
    """Inverse of :func:`_to_bytes` (arrays are copied out, so they are writable)."""
    import numpy as np

    view = memoryview(payload)
    tag = len(_PAYLOAD_TAG)
    if bytes(view[:tag]) != _PAYLOAD_TAG:
        raise ValueError("not a SimResult payload")
    n = int.from_bytes(view[tag : tag + 8], "little")
    head = json.loads(bytes(view[tag + 8 : tag + 8 + n]))
    body = view[tag + 8 + n :]
    arrays = {}
    for name, dtype, shape, offset, nbytes in head["arrays"]:
        if offset + nbytes > len(body):
            raise ValueError("truncated SimResult payload")
        arr = np.frombuffer(body[offset : offset + nbytes], dtype=np.dtype(dtype))
        arrays[name] = arr.reshape(shape).copy()
    meta = head["metadata"]
    return SimResult(
        analysis=meta["analysis"],
        axis_name=meta["axis_name"],
        axis=arrays["axis"],
        signals={n: arrays[f"s{i}"] for i, n in enumerate(meta["signal_names"])},
        deck=meta["deck"],
        ngspice_version=meta["ngspice_version"],
        backend=meta["backend"],
        wall_time_s=meta["wall_time_s"],
        meta=dict(meta["meta"]),
    )


class ResultCache:
    """A directory of cached simulation results, addressed by content.

    Parameters
    ----------
    directory
        Where entries live; created on the first :meth:`put`.

    Examples
    --------
    >>> cache = ResultCache(tmp_dir)                                  # doctest: +SKIP
    >>> k = cache.key(deck, ".tran 1u 1m", "", "ngspice-39", "batch")  # doctest: +SKIP
    >>> cache.get(k) or cache.put(k, simulate_uncached(...))          # doctest: +SKIP
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory).expanduser()

    def __repr__(self) -> str:
        return f"ResultCache({str(self.directory)!r})"

    # -- addressing -------------------------------------------------------------------------
    @staticmethod
    def key(
        deck_text: str,
        analysis_card: str,
        options: str,
        ngspice_version: str,
        backend: str = "",
    ) -> str:
        """SHA-256 hex address of a simulation.

        ``backend`` is accepted but deliberately not hashed: both backends give the same
        numbers, so either may serve the other's entries.
        """
        del backend  # see docstring
        canonical = json.dumps(
            {
                "schema": _KEY_SCHEMA,
                "deck": deck_text,
                "analysis": analysis_card,
                "options": options,
                "ngspice_version": ngspice_version,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def path_for(self, key: str) -> Path:
        """File that holds (or would hold) the entry ``key``."""
        if len(key) < 3 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"Not a cache key (lower-case hex expected): {key!r}")
        return self.directory / key[:2] / f"{key}{_SUFFIX}"

    # -- access -----------------------------------------------------------------------------
    def get(self, key: str) -> SimResult | None:
        """The cached result for ``key``, or ``None`` on a miss.

        A damaged entry (truncated, bytes flipped, unreadable) counts as a miss and is removed;
        no exception escapes for it. The returned result has ``meta["cache_hit"] = True``.
        """
        path = self.path_for(key)
        if not path.exists():
            return None
        payload = read_checked(path)
        result = None
        if payload is not None:
            try:
                result = _from_bytes(payload)
            except Exception:  # a valid checksum over a payload we cannot read: a miss
                result = None
        if result is None:
            self._discard(path)
            return None
        result.meta["cache_hit"] = True
        result.meta["cache_key"] = key
        return result

    def put(self, key: str, result: SimResult) -> None:
        """Store ``result`` under ``key`` atomically (temp file + :func:`os.replace`).

        A cache that cannot be written (full disk, read-only or missing directory) must not
        fail the simulation that produced ``result``: the error is reported as a
        :class:`CacheWarning` and the entry is skipped.
        """
        path = self.path_for(key)
        try:
            write_checked(path, _to_bytes(result))
        except OSError as exc:
            warnings.warn(
                f"Could not write the result cache entry {path}: {exc}. The result is not "
                f"cached; set {CACHE_ENV} to a writable directory or {NO_CACHE_ENV}=1.",
                CacheWarning,
                stacklevel=2,
            )

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def keys(self) -> list[str]:
        """Keys of every entry on disk (valid or not)."""
        if not self.directory.is_dir():
            return []
        return sorted(
            p.name[: -len(_SUFFIX)]
            for p in self.directory.glob(f"??/*{_SUFFIX}")
            if not p.name.startswith(".")
        )

    def clear(self) -> None:
        """Remove every entry (and the directory's cache sub-folders)."""
        if not self.directory.is_dir():
            return
        for sub in self.directory.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                shutil.rmtree(sub, ignore_errors=True)

    # -- internals --------------------------------------------------------------------------
    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()


def default_cache() -> ResultCache | None:
    """The cache the simulation layer uses when the caller names none.

    ``$NEUROCIRCUIT_CACHE`` if set, else ``~/.cache/neurocircuit/results`` (under
    ``$XDG_CACHE_HOME`` when that is set); ``None`` when ``$NEUROCIRCUIT_NO_CACHE`` is set to
    a true value (``1``, ``true``, ``yes``, ``on``).
    """
    if os.environ.get(NO_CACHE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
        return None
    explicit = os.environ.get(CACHE_ENV, "").strip()
    if explicit:
        return ResultCache(explicit)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return ResultCache(Path(base) / "neurocircuit" / "results")
