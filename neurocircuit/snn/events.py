r"""Event sensor: a DVS emulator, saccade digits, event binning and event file I/O (§2.2.4).

DVS pixel model (per pixel, log intensity ``L = ln(I + ε)``)::

    an event (x, y, t, p) fires when |L(t) − L_ref| ≥ C_p,
    p = 1 (ON) if L − L_ref > 0 else 0 (OFF),
    then L_ref ← L_ref ± C_p   (one threshold step per event)

For a change of ``Δ = L(t_k) − L_ref`` between frames ``k − 1`` and ``k`` the pixel emits
``n = floor(|Δ| / C)`` events at times interpolated linearly inside the frame interval,
``t_j = t_{k−1} + (t_k − t_{k−1})·j·C/|Δ|``. With ``multiple=False`` a change of any size gives
one event (at ``j = 1``) and ``L_ref ← L(t_k)``. A pixel is silent for ``refractory`` seconds
after each event; events falling in that window are dropped and ``L_ref`` follows only the
emitted events. Per-pixel threshold mismatch:
``C_p = C·(1 + σ_C·N(0, 1))`` (clipped at ``0.1·C``), drawn once from a seeded generator.

Events are numpy structured arrays of dtype :data:`EVENT_DTYPE`: ``x`` (column), ``y`` (row)
as uint16, ``t`` in **microseconds** as int64, ``p`` as int8 in {0 (OFF), 1 (ON)} — the
convention of N-MNIST and of ``tonic``. Two file forms (:mod:`neurocircuit.snn.eventio`,
re-exported here):

* ``.npz``: arrays ``x, y, t, p`` (t in µs) and ``sensor_size = (width, height)``.
* N-MNIST ``.bin`` (ATIS "AER 2.0"-style, Orchard et al. 2015): 5 bytes (40 bits) per event,
  big-endian bit layout ``x[39:32] y[31:24] p[23] t[22:0]``; ``y == 240`` marks a timestamp
  overflow event that adds ``2^13`` µs to all later events (honoured on read; the writer
  requires ``t < 2^23`` µs and ``x, y < 240``).

Saccade digits (N-MNIST-like): a static image on a ``(H + 2m + ⌈a⌉) × (W + 2m + ⌈a⌉)`` canvas
is moved along
three linear saccades forming a triangle, ``(0,0) → (a/2, a) → (a, 0) → (0, 0)`` pixels in
``(x, y)``, 100 ms each (defaults ``a = 4``, ``m = 1``: 28 × 28 digits give a 34 × 34
sensor), rendered with bilinear sub-pixel shifts and fed to the emulator.

Binning: event frames count events per (time bin, polarity, y, x); voxel grids (Zhu et al.
2019) spread each event's polarity ``±1`` bilinearly over the two nearest of ``B`` bins at
``t* = (B − 1)(t − t_0)/(t_N − t_0)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..units import param, validate
from .eventio import (
    EVENT_DTYPE,
    load_npz,
    make_events,
    read_nmnist_bin,
    save_npz,
    write_nmnist_bin,
)

__all__ = [
    "EVENT_DTYPE",
    "DVSParams",
    "SaccadeParams",
    "EventBatch",
    "make_events",
    "dvs_emulate",
    "saccade_frames",
    "saccade_events",
    "sensor_thresholds",
    "batch_to_frames",
    "batch_to_voxel_grid",
    "to_frames",
    "to_voxel_grid",
    "save_npz",
    "load_npz",
    "write_nmnist_bin",
    "read_nmnist_bin",
]

@dataclass(frozen=True)
class DVSParams:
    """Parameters of the DVS pixel emulator."""

    threshold: float = param(0.2, unit="", doc="contrast threshold C on ln(I + eps)", gt=0)
    threshold_sigma: float = param(
        0.0, unit="", doc="relative per-pixel threshold mismatch sigma_C", ge=0
    )
    refractory: float = param(0.0, unit="s", doc="per-pixel refractory period", ge=0)
    multiple: bool = param(True, doc="emit floor(|dL|/C) events for large changes (else 1)")
    eps: float = param(1e-3, unit="", doc="offset inside the log, ln(I + eps)", gt=0)

    def __post_init__(self) -> None:
        validate(self)


def _check_frames(frames, timestamps) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(frames)
    f = f if f.dtype in (np.float32, np.float64) else f.astype(np.float64)
    ts = np.asarray(timestamps, dtype=np.float64).reshape(-1)
    if f.ndim < 2:
        raise ParameterError(f"frames must have shape (T, H, W). Got shape {f.shape} instead.")
    if ts.size != f.shape[0]:
        raise ParameterError(
            f"timestamps must have shape ({f.shape[0]},) to match frames {f.shape}. "
            f"Got shape {ts.shape} instead."
        )
    if ts.size > 1 and np.any(np.diff(ts) <= 0):
        raise ParameterError("timestamps must be strictly increasing (seconds).")
    if not np.all(np.isfinite(f)) or f.size and f.min() < 0:
        raise ParameterError("frames must hold finite, non-negative intensities.")
    return f, ts


def sensor_thresholds(
    shape: tuple[int, int], params: DVSParams | None = None, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel ON and OFF thresholds ``C·(1 + σ_C·N(0, 1))`` (clipped at ``0.1·C``).

    Parameters
    ----------
    shape : (H, W)
    params : DVSParams, optional
    rng : int, None or numpy.random.Generator
        Required when ``threshold_sigma > 0`` (a ParameterError otherwise).

    Returns
    -------
    c_on, c_off : numpy.ndarray, float64, shape (H, W)
    """
    p = params or DVSParams()
    if p.threshold_sigma == 0:
        c = np.full(shape, p.threshold)
        return c, c.copy()
    if rng is None:
        raise ParameterError(
            "threshold_sigma > 0 draws a threshold map: pass rng (a seed or a Generator)."
        )
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    c_on = p.threshold * (1 + p.threshold_sigma * g.standard_normal(shape))
    c_off = p.threshold * (1 + p.threshold_sigma * g.standard_normal(shape))
    return np.maximum(c_on, 0.1 * p.threshold), np.maximum(c_off, 0.1 * p.threshold)


def _emulate_flat(L, ts, c_on, c_off, multiple: bool, refr: float):
    """Core loop over frames on flat pixels; returns (pixel, t [s], polarity) unsorted."""
    n_pix = L.shape[1]
    c_on, c_off = (np.asarray(c, dtype=L.dtype) for c in (c_on, c_off))
    ref = L[0].copy()
    t_last = np.full(n_pix, -np.inf)
    chunks_pix, chunks_t, chunks_p = [], [], []
    for k in range(1, L.shape[0]):
        d = L[k] - ref
        up = d > 0
        c = np.where(up, c_on, c_off)
        n = np.floor(np.abs(d) / c + 1e-4).astype(np.int64)  # 1e-4: float32 rounding
        cand = np.flatnonzero(n)
        if cand.size == 0:
            continue
        t0, dt = ts[k - 1], ts[k] - ts[k - 1]
        nc, cc, dc = n[cand], c[cand], np.abs(d[cand])
        # spacing of the threshold crossings inside the frame interval
        s = dt * cc.astype(np.float64) / dc
        if not multiple:
            nc = np.ones_like(nc)
        if refr > 0:
            j0 = np.maximum(1, np.ceil((t_last[cand] + refr - t0) / s - 1e-9)).astype(np.int64)
            m = np.maximum(1, np.ceil(refr / s - 1e-9)).astype(np.int64)
            cnt = np.where(j0 <= nc, (nc - j0) // m + 1, 0)
        else:
            j0 = np.ones(cand.size, dtype=np.int64)
            m = j0
            cnt = nc
        keep = cnt > 0
        if not np.any(keep):
            continue
        cand, cnt, j0, m, s, cc = cand[keep], cnt[keep], j0[keep], m[keep], s[keep], cc[keep]
        j_last = j0 + (cnt - 1) * m
        upc = up[cand]
        if multiple:
            ref[cand] += np.where(upc, 1.0, -1.0) * cc * j_last
        else:  # one event for the whole change: the reference jumps to the new level
            ref[cand] = L[k][cand]
        t_last[cand] = t0 + s * j_last
        rep = np.repeat(np.arange(cand.size), cnt)
        within = np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        chunks_pix.append(cand[rep])
        chunks_t.append(t0 + s[rep] * (j0[rep] + within * m[rep]))
        chunks_p.append(upc[rep])
    if not chunks_pix:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool)
    return np.concatenate(chunks_pix), np.concatenate(chunks_t), np.concatenate(chunks_p)


def dvs_emulate(
    frames,
    timestamps,
    params: DVSParams | None = None,
    rng=None,
    thresholds: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Convert a video of intensities into DVS events.

    Parameters
    ----------
    frames : array_like, shape (T, H, W) or (T, N, H, W)
        Non-negative intensities (linear, e.g. in [0, 1]). With a batch axis ``N`` the same
        sensor (same threshold map) records ``N`` independent scenes in one vectorised pass.
    timestamps : array_like, shape (T,)
        Frame times in seconds, strictly increasing.
    params : DVSParams, optional
    rng : int, None or numpy.random.Generator
        Seed/generator of the threshold mismatch (used only if ``threshold_sigma > 0`` and
        ``thresholds`` is not given).
    thresholds : (c_on, c_off), optional
        Per-pixel thresholds of shape (H, W) from :func:`sensor_thresholds`; overrides
        ``params.threshold`` and ``threshold_sigma``.

    Returns
    -------
    numpy.ndarray of EVENT_DTYPE or EventBatch
        Events sorted by time for ``(T, H, W)`` input; an :class:`EventBatch` for
        ``(T, N, H, W)`` input. Timestamps are rounded to whole microseconds.
    """
    p = params or DVSParams()
    f, ts = _check_frames(frames, timestamps)
    if f.ndim not in (3, 4):
        raise ParameterError(
            f"frames must have shape (T, H, W) or (T, N, H, W). Got shape {f.shape} instead."
        )
    H, W = f.shape[-2:]
    n_rep = f.shape[1] if f.ndim == 4 else 1
    if thresholds is None:
        c_on, c_off = sensor_thresholds((H, W), p, rng)
    else:
        c_on, c_off = (np.broadcast_to(np.asarray(c, float), (H, W)) for c in thresholds)
    # float32 log: the thresholds are >= 1e-2, far above its rounding error
    flat = f.reshape(f.shape[0], -1)
    # pixels whose intensity never changes cannot fire: emulate only the others
    active = np.flatnonzero(flat.max(axis=0) > flat.min(axis=0))
    L = np.log(flat[:, active].astype(np.float32, copy=False) + np.float32(p.eps))
    pix, tt, pp = _emulate_flat(
        L, ts, np.tile(c_on.reshape(-1), n_rep)[active], np.tile(c_off.reshape(-1), n_rep)[active],
        p.multiple, p.refractory,
    )
    pix = active[pix]
    tt = np.rint(tt * 1e6).astype(np.int64)
    nn, rem = np.divmod(pix, H * W)
    order = np.argsort((nn << 40) + tt, kind="stable")  # by sample, then time
    yy, xx = np.divmod(rem[order], W)
    nn, tt, pp = nn[order], tt[order], pp[order]
    if f.ndim == 3:
        return make_events(xx, yy, tt, pp)
    counts = np.bincount(nn, minlength=n_rep)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return EventBatch(make_events(xx, yy, tt, pp), offsets, (W, H))


@dataclass(frozen=True)
class EventBatch:
    """Events of ``N`` samples packed back to back (CSR layout).

    Attributes
    ----------
    events : numpy.ndarray of EVENT_DTYPE
        All events; sample ``i`` owns ``events[offsets[i]:offsets[i + 1]]``, sorted by time.
    offsets : numpy.ndarray, int64, shape (N + 1,)
    sensor_size : tuple of int
        ``(width, height)``.
    """

    events: np.ndarray
    offsets: np.ndarray
    sensor_size: tuple[int, int]

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.events[self.offsets[i] : self.offsets[i + 1]]

    def counts(self) -> np.ndarray:
        """Number of events per sample."""
        return np.diff(self.offsets)

    def sample_index(self) -> np.ndarray:
        """Sample number of every event."""
        return np.repeat(np.arange(len(self)), self.counts())

    @staticmethod
    def concatenate(batches: list[EventBatch]) -> EventBatch:
        """Join batches of the same sensor size."""
        if not batches:
            raise ParameterError("concatenate needs at least one EventBatch.")
        sizes = {b.sensor_size for b in batches}
        if len(sizes) != 1:
            raise ParameterError(f"EventBatches have different sensor sizes: {sorted(sizes)}.")
        ev = np.concatenate([b.events for b in batches])
        counts = np.concatenate([b.counts() for b in batches])
        off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return EventBatch(ev, off, batches[0].sensor_size)


# ----------------------------------------------------------------------------- saccades


@dataclass(frozen=True)
class SaccadeParams:
    """Saccade motion of an N-MNIST-like recording (Orchard et al. 2015 used 3 × 100 ms)."""

    amplitude: float = param(4.0, unit="px", doc="triangle side a of the saccade path", gt=0)
    duration: float = param(0.1, unit="s", doc="duration of one saccade", gt=0)
    frames_per_saccade: int = param(10, doc="rendered frames per saccade", ge=1)
    margin: int = param(1, unit="px", doc="canvas border m around the image", ge=0)
    threshold: float = param(0.25, unit="", doc="DVS contrast threshold C", gt=0)
    threshold_sigma: float = param(0.05, unit="", doc="DVS threshold mismatch", ge=0)
    refractory: float = param(0.0, unit="s", doc="DVS refractory period", ge=0)
    eps: float = param(0.1, unit="", doc="DVS log offset (dark pixels)", gt=0)

    def __post_init__(self) -> None:
        validate(self)

    def dvs(self) -> DVSParams:
        """The emulator parameters."""
        return DVSParams(
            threshold=self.threshold,
            threshold_sigma=self.threshold_sigma,
            refractory=self.refractory,
            eps=self.eps,
        )


def _saccade_path(p: SaccadeParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = p.amplitude
    verts = np.array([[0.0, 0.0], [a / 2, a], [a, 0.0], [0.0, 0.0]])
    F = p.frames_per_saccade
    pts = [verts[0][None]]
    for s in range(3):
        frac = np.arange(1, F + 1)[:, None] / F
        pts.append(verts[s] + frac * (verts[s + 1] - verts[s]))
    xy = np.concatenate(pts)
    t = np.arange(xy.shape[0]) * (p.duration / F)
    return xy[:, 0], xy[:, 1], t


def _bilinear_shift(canvas: np.ndarray, dx: float, dy: float, out: np.ndarray) -> None:
    """Write images (N, H, W) shifted by (dx, dy) >= 0 pixels (bilinear, zero fill) to ``out``."""
    ix, iy = int(np.floor(dx)), int(np.floor(dy))
    fx, fy = dx - ix, dy - iy
    H, W = canvas.shape[-2:]
    out[...] = 0.0
    for sy, sx, w in (
        (iy, ix, (1 - fx) * (1 - fy)),
        (iy, ix + 1, fx * (1 - fy)),
        (iy + 1, ix, (1 - fx) * fy),
        (iy + 1, ix + 1, fx * fy),
    ):
        if w > 0 and sy < H and sx < W:
            out[:, sy:, sx:] += np.float32(w) * canvas[:, : H - sy, : W - sx]


def saccade_frames(images, params: SaccadeParams | None = None):
    """Render the saccade video of static images.

    Parameters
    ----------
    images : array_like, shape (N, H, W) or (H, W)
        Intensities in ``[0, 1]``.

    Returns
    -------
    frames : numpy.ndarray, float32, shape (T, N, H + 2m + ceil(a), W + 2m + ceil(a))
    timestamps : numpy.ndarray, float64, shape (T,), seconds
    """
    p = params or SaccadeParams()
    im = np.asarray(images, dtype=np.float32)
    if im.ndim == 2:
        im = im[None]
    if im.ndim != 3:
        raise ParameterError(f"images must have shape (N, H, W). Got shape {im.shape} instead.")
    N, H, W = im.shape
    m, extra = p.margin, int(np.ceil(p.amplitude))
    canvas = np.zeros((N, H + 2 * m + extra, W + 2 * m + extra), dtype=np.float32)
    canvas[:, m : m + H, m : m + W] = im
    xs, ys, t = _saccade_path(p)
    frames = np.empty((xs.size,) + canvas.shape, dtype=np.float32)
    for k, (dx, dy) in enumerate(zip(xs, ys)):
        _bilinear_shift(canvas, dx, dy, frames[k])
    return frames, t


def saccade_events(
    images,
    params: SaccadeParams | None = None,
    rng=0,
    chunk: int = 256,
) -> EventBatch:
    """N-MNIST-like events of static images moved by three saccades.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
        Intensities in ``[0, 1]``.
    params : SaccadeParams, optional
    rng : int, None or numpy.random.Generator
        Seed of the sensor's per-pixel threshold map (one sensor records every image, as
        in N-MNIST); same seed → same events.
    chunk : int
        Images emulated per vectorised pass (memory about ``chunk·T·H·W·24`` bytes).

    Returns
    -------
    EventBatch
        Sensor size ``(W + 2m + ceil(a), H + 2m + ceil(a))`` — 34 × 34 for 28 × 28 MNIST.
    """
    p = params or SaccadeParams()
    im = np.asarray(images, dtype=np.float32)
    if im.ndim == 2:
        im = im[None]
    if im.ndim != 3:
        raise ParameterError(f"images must have shape (N, H, W). Got shape {im.shape} instead.")
    extra = 2 * p.margin + int(np.ceil(p.amplitude))
    H, W = im.shape[1] + extra, im.shape[2] + extra
    dvs = p.dvs()
    th = sensor_thresholds((H, W), dvs, rng)
    out = []
    for i in range(0, im.shape[0], int(chunk)):
        frames, t = saccade_frames(im[i : i + int(chunk)], p)
        out.append(dvs_emulate(frames, t, dvs, thresholds=th))
    if not out:
        return EventBatch(np.zeros(0, EVENT_DTYPE), np.zeros(1, np.int64), (W, H))
    return EventBatch.concatenate(out)


# ----------------------------------------------------------------------------- binning


def _time_range(t: np.ndarray, t_range) -> tuple[float, float]:
    if t_range is not None:
        t0, t1 = float(t_range[0]), float(t_range[1])
    elif t.size:
        t0, t1 = float(t.min()), float(t.max())
    else:
        t0, t1 = 0.0, 1.0
    if t1 <= t0:
        t1 = t0 + 1.0
    return t0, t1


def _check_sensor(events: np.ndarray, sensor_size) -> tuple[int, int]:
    W, H = (int(v) for v in sensor_size)
    if events.size and (events["x"].max() >= W or events["y"].max() >= H):
        raise ParameterError(
            f"events fall outside sensor_size (width, height) = ({W}, {H}): "
            f"max x {events['x'].max()}, max y {events['y'].max()}."
        )
    return W, H


def to_frames(events, sensor_size, n_bins: int, t_range=None) -> np.ndarray:
    """Event frames: counts per (time bin, polarity, y, x).

    Parameters
    ----------
    events : numpy.ndarray of EVENT_DTYPE
    sensor_size : (width, height)
    n_bins : int
        Equal time bins over ``t_range`` (µs, inclusive ends; default: first to last event).
    t_range : (t0, t1), optional

    Returns
    -------
    numpy.ndarray, float32, shape (n_bins, 2, H, W)
        Channel 0 counts OFF events, channel 1 ON events. Events outside ``t_range`` are dropped;
        otherwise the frames sum to the number of events.
    """
    W, H = _check_sensor(events, sensor_size)
    return _frames_flat(events, np.zeros(events.size, np.int64), 1, W, H, n_bins, t_range)[0]


def _frames_flat(ev, sample, n_samples, W, H, n_bins, t_range):
    if int(n_bins) != n_bins or n_bins < 1:
        raise ParameterError(f"The 'n_bins' parameter must be an integer >= 1. Got {n_bins!r}.")
    n_bins = int(n_bins)
    t = ev["t"].astype(np.float64)
    t0, t1 = _time_range(t, t_range)
    b = np.floor((t - t0) / (t1 - t0) * n_bins).astype(np.int64)
    b[t == t1] = n_bins - 1
    ok = (b >= 0) & (b < n_bins)
    idx = (((sample * n_bins + b) * 2 + ev["p"].astype(np.int64)) * H + ev["y"]) * W + ev["x"]
    counts = np.bincount(idx[ok], minlength=n_samples * n_bins * 2 * H * W)
    return counts.astype(np.float32).reshape(n_samples, n_bins, 2, H, W)


def to_voxel_grid(events, sensor_size, n_bins: int) -> np.ndarray:
    """Voxel grid: polarity ``±1`` of each event spread bilinearly over time bins.

    Returns
    -------
    numpy.ndarray, float32, shape (n_bins, H, W)
        Sums to ``#ON − #OFF`` over all bins.
    """
    W, H = _check_sensor(events, sensor_size)
    return _voxel_flat(events, np.zeros(events.size, np.int64), 1, W, H, n_bins)[0]


def _voxel_flat(ev, sample, n_samples, W, H, n_bins, starts=None, ends=None):
    if int(n_bins) != n_bins or n_bins < 1:
        raise ParameterError(f"The 'n_bins' parameter must be an integer >= 1. Got {n_bins!r}.")
    n_bins = int(n_bins)
    t = ev["t"].astype(np.float64)
    if starts is None:
        t0, t1 = _time_range(t, None)
        ts = (n_bins - 1) * (t - t0) / (t1 - t0)
    else:
        span = np.maximum(ends - starts, 1.0)
        ts = (n_bins - 1) * (t - starts[sample]) / span[sample]
    pol = np.where(ev["p"] > 0, 1.0, -1.0)
    lo = np.floor(ts).astype(np.int64)
    frac = ts - lo
    out = np.zeros(n_samples * n_bins * H * W)
    pix = ev["y"].astype(np.int64) * W + ev["x"]
    for bins, w in ((lo, 1.0 - frac), (lo + 1, frac)):
        ok = (bins >= 0) & (bins < n_bins) & (w > 0)
        idx = (sample[ok] * n_bins + bins[ok]) * H * W + pix[ok]
        out += np.bincount(idx, weights=pol[ok] * w[ok], minlength=out.size)
    return out.astype(np.float32).reshape(n_samples, n_bins, H, W)


def batch_to_frames(batch: EventBatch, n_bins: int, per_sample_range: bool = True) -> np.ndarray:
    """Event frames of every sample, shape (N, n_bins, 2, H, W), float32 counts.

    With ``per_sample_range`` each sample's bins span its own first to last event; otherwise
    all samples share the range of the whole batch.
    """
    W, H = batch.sensor_size
    ev, sample = batch.events, batch.sample_index()
    n = len(batch)
    if not per_sample_range or ev.size == 0:
        return _frames_flat(ev, sample, n, W, H, n_bins, None)
    t = ev["t"].astype(np.float64)
    starts, ends = _sample_ranges(batch)
    span = np.maximum(ends - starts, 1.0)
    b = np.minimum(np.floor((t - starts[sample]) / span[sample] * n_bins), n_bins - 1)
    idx = (((sample * n_bins + b.astype(np.int64)) * 2 + ev["p"]) * H + ev["y"]) * W + ev["x"]
    counts = np.bincount(idx, minlength=n * int(n_bins) * 2 * H * W)
    return counts.astype(np.float32).reshape(n, int(n_bins), 2, H, W)


def batch_to_voxel_grid(batch: EventBatch, n_bins: int) -> np.ndarray:
    """Voxel grids of every sample (per-sample time range), shape (N, n_bins, H, W)."""
    W, H = batch.sensor_size
    starts, ends = _sample_ranges(batch)
    return _voxel_flat(batch.events, batch.sample_index(), len(batch), W, H, n_bins, starts, ends)


def _sample_ranges(batch: EventBatch) -> tuple[np.ndarray, np.ndarray]:
    t = batch.events["t"].astype(np.float64)
    nonempty = batch.counts() > 0
    first = np.where(nonempty, batch.offsets[:-1], 0)
    last = np.where(nonempty, batch.offsets[1:] - 1, 0)
    if t.size == 0:
        z = np.zeros(len(batch))
        return z, z + 1
    # events of a sample are time-sorted
    return np.where(nonempty, t[first], 0.0), np.where(nonempty, t[last], 1.0)
