r"""Datasets for the SNN engine: ``load(name, data_dir, split, limit)`` → ``(x, y)``.

All loaders return float32 ``x`` scaled to ``[0, 1]`` and int64 labels ``y``:

=============== ======================================== ======================================
name            x                                        source
=============== ======================================== ======================================
digits          (N, 8, 8) = pixel / 16                   scikit-learn ``load_digits`` (bundled)
mnist           (N, 28, 28) = pixel / 255                IDX files in ``data_dir``
fashion-mnist   (N, 28, 28) = pixel / 255                IDX files in ``data_dir``
fsdd            (N, n_frames, channels) 0/1 spikes       WAVs → :mod:`neurocircuit.snn.audio`
nmnist-emulated (N, n_bins, 2, 34, 34) event frames      MNIST → saccades → DVS emulator
=============== ======================================== ======================================

``flatten=True`` reshapes ``x`` to ``(N, features)`` (for fsdd and nmnist-emulated it keeps
the time axis: ``(N, T, features)``). Spike tensors are sample-major; the engine's
``(T, batch, ...)`` layout is ``x.swapaxes(0, 1)``.

Splits. digits: deterministic stratified split, per class every 5th sample (positions
0, 5, 10, ... of that class in dataset order) is test — 1433 train / 364 test. MNIST and
Fashion-MNIST: the official 60000/10000 files. FSDD: the official split, recording index 0–4
test (300), 5–49 train (2700), ordered by (index, speaker, digit) so ``limit`` keeps classes
mixed. nmnist-emulated: MNIST's split, emulated with seed ``seed`` (train) / ``seed + 1``
(test): event frames count events per polarity in ``n_bins`` equal bins of each sample's
event span, scaled ``min(count, clip) / clip``. Memory: ``N·n_bins·2·34·34·4`` bytes (the full
train split at 10 bins is 5.5 GB: use ``limit``, fewer bins, or :func:`load_events`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import DataError, ParameterError
from . import datafiles

__all__ = ["DATASETS", "load", "load_events", "fsdd_files"]

DATASETS = ("digits", "mnist", "fashion-mnist", "fsdd", "nmnist-emulated")
_FSDD_NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")


def _check(name: str, split: str, limit) -> None:
    if name not in DATASETS:
        raise ParameterError(f"Unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}.")
    if split not in ("train", "test"):
        raise ParameterError(f"Unknown split {split!r}; valid splits: 'train', 'test'.")
    if limit is not None and (int(limit) != limit or limit < 0):
        raise ParameterError(f"The 'limit' parameter must be an integer >= 0. Got {limit!r}.")


def load(
    name: str = "digits",
    data_dir=None,
    split: str = "train",
    limit: int | None = None,
    *,
    flatten: bool = False,
    verify: bool = False,
    **options,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a dataset split as ``(x, y)``.

    Parameters
    ----------
    name : {"digits", "mnist", "fashion-mnist", "fsdd", "nmnist-emulated"}
    data_dir : path, optional
        Directory holding the files (default ``$NEUROCIRCUIT_DATA``); unused for digits.
    split : {"train", "test"}
    limit : int, optional
        Keep only the first ``limit`` samples (loads less for fsdd and nmnist-emulated).
    flatten : bool
        Flatten the per-sample (per-step) features.
    verify : bool
        Check the files' checksums first (DataError on mismatch).
    **options
        fsdd: ``params`` (:class:`~neurocircuit.snn.audio.CochleaParams`);
        nmnist-emulated: ``n_bins`` (10), ``clip`` (4), ``seed`` (0), ``params``
        (:class:`~neurocircuit.snn.events.SaccadeParams`).

    Returns
    -------
    x : numpy.ndarray, float32, values in [0, 1]
    y : numpy.ndarray, int64
    """
    _check(name, split, limit)
    if name == "digits":
        _no_options(name, options)
        x, y = _digits(split)
    elif name in datafiles.IDX_DATASETS:
        _no_options(name, options)
        x, y = _idx(name, data_dir, split, verify)
    elif name == "fsdd":
        x, y = _fsdd(data_dir, split, limit, verify, **options)
    else:
        x, y = _nmnist(data_dir, split, limit, verify, **options)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    if flatten:
        keep = 2 if name in ("fsdd", "nmnist-emulated") else 1
        x = x.reshape(x.shape[:keep] + (-1,))
    return np.ascontiguousarray(x, dtype=np.float32), y.astype(np.int64)


def _no_options(name: str, options: dict) -> None:
    if options:
        raise ParameterError(f"Dataset {name!r} takes no options; got {sorted(options)}.")


# ----------------------------------------------------------------------------- digits


def _digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    y = d.target.astype(np.int64)
    test = np.zeros(y.size, dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        test[idx[::5]] = True
    mask = test if split == "test" else ~test
    return (d.images[mask] / 16.0).astype(np.float32), y[mask]


# ----------------------------------------------------------------------------- IDX


def _idx(name: str, data_dir, split: str, verify: bool) -> tuple[np.ndarray, np.ndarray]:
    img_path, lab_path = datafiles.find_idx_files(name, data_dir, split)
    if verify:
        for p in (img_path, lab_path):
            datafiles.verify_file(p, name)
    images = datafiles.read_idx(img_path)
    labels = datafiles.read_idx(lab_path)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{name} ({split}): images {images.shape} from {img_path} and labels "
            f"{labels.shape} from {lab_path} do not match (expected (N, H, W) and (N,))."
        )
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)


# ----------------------------------------------------------------------------- FSDD


def fsdd_files(data_dir=None, split: str = "train") -> list[tuple[str, int, str, int]]:
    """File names of an FSDD split as ``(name, digit, speaker, index)``, in load order.

    Order: by (index, speaker, digit). Official split: index 0–4 test, 5–49 train.
    """
    _check("fsdd", split, None)
    return _fsdd_rows(_fsdd_names(datafiles.find_fsdd(data_dir)), split)


def _fsdd_rows(names, split: str) -> list[tuple[str, int, str, int]]:
    rows = []
    for n in names:
        m = _FSDD_NAME.match(n)
        if m is None:
            continue
        digit, speaker, index = int(m.group(1)), m.group(2), int(m.group(3))
        if (index < 5) == (split == "test"):
            rows.append((n, digit, speaker, index))
    rows.sort(key=lambda r: (r[3], r[2], r[1]))
    return rows


def _fsdd_names(src: Path) -> list[str]:
    if src.is_dir():
        return sorted(f.name for f in src.glob("*.wav"))
    return sorted(name for name, _ in datafiles.iter_fsdd_wavs(src))


def _fsdd(data_dir, split, limit, verify, params=None) -> tuple[np.ndarray, np.ndarray]:
    from .audio import CochleaParams, encode_audio_batch, filterbank, read_wav

    p = params or CochleaParams()
    src = datafiles.find_fsdd(data_dir)
    if verify:
        _verify_fsdd(src)
    if src.is_dir():
        rows = _fsdd_rows(_fsdd_names(src), split)[:limit]
        blobs = {r[0]: (src / r[0]).read_bytes() for r in rows}
    else:  # one pass over the tarball (about 21 MB of WAV data)
        blobs = dict(datafiles.iter_fsdd_wavs(src))
        rows = _fsdd_rows(blobs, split)[:limit]
    x = np.zeros((len(rows), p.n_frames, p.n_channels), np.float32)
    bank = filterbank(p)
    for i in range(0, len(rows), 256):  # filter 256 clips at once
        sigs = []
        for r in rows[i : i + 256]:
            sig, fs = read_wav(blobs[r[0]], r[0])
            if fs != p.sample_rate:
                raise DataError(f"{r[0]}: sampled at {fs} Hz, expected {p.sample_rate:g} Hz.")
            sigs.append(sig)
        x[i : i + 256] = encode_audio_batch(sigs, p.sample_rate, p, bank)
    return x, np.array([r[1] for r in rows], dtype=np.int64)


def _verify_fsdd(src: Path) -> None:
    if src.is_file():
        try:
            datafiles.verify_file(src, "fsdd")
            return
        except DataError:
            pass  # a different packing of the same recordings: check the content digest
    if datafiles.fsdd_digest(datafiles.iter_fsdd_wavs(src)) != datafiles.FSDD_DIGEST:
        raise DataError(f"Checksum mismatch for the FSDD recordings in {src}.")


# ----------------------------------------------------------------------------- N-MNIST emulated


def load_events(
    data_dir=None,
    split: str = "train",
    limit: int | None = None,
    *,
    seed: int = 0,
    params=None,
    verify: bool = False,
):
    """Emulated N-MNIST events: ``(EventBatch, y)`` from MNIST through saccades + DVS.

    ``seed`` (train) / ``seed + 1`` (test) fixes the sensor's threshold map.
    """
    from .events import saccade_events

    _check("nmnist-emulated", split, limit)
    images, y = _idx("mnist", data_dir, split, verify)
    if limit is not None:
        images, y = images[:limit], y[:limit]
    batch = saccade_events(images, params, rng=seed + (split == "test"))
    return batch, y


def _nmnist(data_dir, split, limit, verify, n_bins=10, clip=4.0, seed=0, params=None,
            chunk=2048):
    from .events import SaccadeParams, batch_to_frames, saccade_events

    if not clip > 0:
        raise ParameterError(f"The 'clip' parameter must be > 0 events. Got {clip!r}.")
    images, y = _idx("mnist", data_dir, split, verify)
    if limit is not None:
        images, y = images[:limit], y[:limit]
    p = params or SaccadeParams()
    extra = 2 * p.margin + int(np.ceil(p.amplitude))
    H, W = images.shape[1] + extra, images.shape[2] + extra
    out = np.empty((images.shape[0], int(n_bins), 2, H, W), np.float32)
    rng_seed = seed + (split == "test")  # the same sensor for every chunk of a split
    for i in range(0, images.shape[0], chunk):
        batch = saccade_events(images[i : i + chunk], p, rng=rng_seed)
        frames = batch_to_frames(batch, n_bins)
        out[i : i + chunk] = np.minimum(frames, clip) / np.float32(clip)
    return out, y
