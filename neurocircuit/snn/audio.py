r"""Cochlea-like audio front end: WAV → band envelopes → spikes (used for FSDD).

Pipeline for a signal ``s[n]`` at ``f_s``:

1. normalise: ``s ← (s − mean s) / max|s − mean s|``;
2. band-pass bank of ``K`` channels with centres equally spaced on the mel scale
   ``m(f) = 2595·log10(1 + f/700)`` between ``f_min`` and ``f_max``: Butterworth band-passes
   over adjacent mel edges ``[e_k, e_{k+2}]`` or 4th-order gammatone filters (``scipy.signal``);
3. half-wave rectification ``r_k = max(y_k, 0)`` and envelope = mean of ``r_k`` over frames of
   ``hop`` seconds;
4. log compression to ``[0, 1]``: ``c = clip(1 + 20·log10(env / max env) / D, 0, 1)`` with a
   dynamic range of ``D`` dB (``max`` over all bands and frames of the clip);
5. spike coding of ``c[t, k]`` (fixed ``n_frames``, zero padded / truncated):

   * ``"delta"`` (send-on-delta): per band a reference ``r``; an UP spike when
     ``c − r ≥ δ`` (``r ← r + δ·floor((c − r)/δ)``), a DOWN spike when ``r − c ≥ δ``;
     ``2K`` channels ``[up_0..up_{K−1}, down_0..down_{K−1}]``;
   * ``"level"``: ``L`` threshold levels ``l/(L + 1)``, one channel per band and level,
     spiking while ``c ≥`` its level (``K·L`` channels);
   * ``"none"``: the cochleagram ``c`` itself.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..errors import DataError, ParameterError
from ..units import param, validate

__all__ = [
    "CochleaParams",
    "read_wav",
    "filterbank",
    "cochleagram",
    "cochleagram_batch",
    "encode_audio_batch",
    "spike_code",
    "encode_audio",
]


@dataclass(frozen=True)
class CochleaParams:
    """Parameters of the filterbank front end and its spike coder."""

    sample_rate: float = param(8000.0, unit="Hz", doc="expected sampling rate", gt=0)
    n_bands: int = param(32, doc="number of band-pass channels K", ge=1)
    f_min: float = param(100.0, unit="Hz", doc="lowest band edge", gt=0)
    f_max: float = param(3800.0, unit="Hz", doc="highest band edge (< sample_rate/2)", gt=0)
    filterbank: str = param("butter", doc="band-pass type", choices=("butter", "gammatone"))
    order: int = param(2, doc="Butterworth order per band edge", ge=1, le=8)
    hop: float = param(0.01, unit="s", doc="envelope frame length", gt=0)
    n_frames: int = param(100, doc="frames kept (zero padded / truncated)", ge=1)
    dynamic_range: float = param(60.0, unit="dB", doc="log compression range D", gt=0)
    coding: str = param("delta", doc="spike coding", choices=("delta", "level", "none"))
    delta: float = param(0.1, unit="", doc="send-on-delta step on c in [0, 1]", gt=0, le=1)
    n_levels: int = param(4, doc="threshold levels of the 'level' coding", ge=1)

    def __post_init__(self) -> None:
        validate(self)
        if not self.f_min < self.f_max < self.sample_rate / 2:
            raise ParameterError(
                "CochleaParams needs f_min < f_max < sample_rate/2. "
                f"Got f_min {self.f_min:g} Hz, f_max {self.f_max:g} Hz, "
                f"sample_rate {self.sample_rate:g} Hz instead."
            )

    @property
    def n_channels(self) -> int:
        """Output channels of :func:`encode_audio`."""
        return {"delta": 2, "level": self.n_levels, "none": 1}[self.coding] * self.n_bands


def read_wav(data: bytes, name: str = "<wav>") -> tuple[np.ndarray, int]:
    """Decode 8/16-bit PCM WAV bytes to float64 in [-1, 1] (mono: first channel)."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            rate, width, nch = w.getframerate(), w.getsampwidth(), w.getnchannels()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise DataError(f"{name} is not a readable PCM WAV file: {exc}") from exc
    if width == 2:
        x = np.frombuffer(frames, "<i2").astype(np.float64) / 32768.0
    elif width == 1:
        x = (np.frombuffer(frames, np.uint8).astype(np.float64) - 128.0) / 128.0
    else:
        raise DataError(f"{name}: {8 * width}-bit WAV is not supported (8 or 16 bit).")
    return x.reshape(-1, nch)[:, 0], rate


def _mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def _imel(m):
    return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)


def filterbank(params: CochleaParams | None = None, fs: float | None = None) -> list:
    """Design the band-pass bank: a list of ``("sos", sos)`` or ``("ba", (b, a))`` per band.

    Design once and pass it to :func:`cochleagram` / :func:`encode_audio` when encoding many
    clips (the design costs more than filtering a short clip).
    """
    p = params or CochleaParams()
    fs = p.sample_rate if fs is None else fs
    edges = _imel(np.linspace(_mel(p.f_min), _mel(p.f_max), p.n_bands + 2))
    if p.filterbank == "butter":
        return [
            ("sos", signal.butter(p.order, [edges[k], edges[k + 2]], "bandpass", fs=fs,
                                  output="sos"))
            for k in range(p.n_bands)
        ]
    return [("ba", signal.gammatone(edges[k + 1], "iir", fs=fs)) for k in range(p.n_bands)]


def cochleagram_batch(
    signals, fs: float, params: CochleaParams | None = None, bank: list | None = None
) -> np.ndarray:
    """Cochleagrams of several clips at once: float32 (N, n_frames, n_bands) in [0, 1].

    Clips are normalised one by one, zero padded to a common length and filtered together
    (causal filters, so frames after a clip's end are set to 0 rather than to the ringing).
    """
    p = params or CochleaParams()
    bank = filterbank(p, fs) if bank is None else bank
    hop = max(1, int(round(p.hop * fs)))
    sigs = [np.asarray(x, dtype=np.float64).reshape(-1) for x in signals]
    n_valid = np.array([min(max(1, -(-s.size // hop)), p.n_frames) for s in sigs])
    L = int(n_valid.max(initial=1)) * hop
    X = np.zeros((len(sigs), L))
    for i, s in enumerate(sigs):
        s = s[:L] - (s[:L].mean() if s.size else 0.0)
        peak = np.abs(s).max(initial=0.0)
        X[i, : s.size] = s / peak if peak > 0 else s
    env = np.empty((len(sigs), p.n_bands, L // hop))
    for k, (kind, f) in enumerate(bank):
        y = signal.sosfilt(f, X, axis=-1) if kind == "sos" else signal.lfilter(f[0], f[1], X)
        env[:, k] = np.maximum(y, 0.0).reshape(len(sigs), -1, hop).mean(axis=-1)
    frame_ok = np.arange(L // hop)[None, :] < n_valid[:, None]
    env *= frame_ok[:, None, :]
    top = env.max(axis=(1, 2), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        db = 20.0 * np.log10(np.maximum(np.where(top > 0, env / top, 0.0), 1e-12))
    c = np.clip(1.0 + db / p.dynamic_range, 0.0, 1.0) * frame_ok[:, None, :]
    out = np.zeros((len(sigs), p.n_frames, p.n_bands), np.float32)
    out[:, : c.shape[2]] = c.transpose(0, 2, 1)
    return out


def cochleagram(
    x, fs: float, params: CochleaParams | None = None, bank: list | None = None
) -> np.ndarray:
    """Log-compressed band envelopes ``c`` in [0, 1] of one clip, (n_frames, n_bands), float32.

    ``bank`` is a precomputed :func:`filterbank` for ``params`` and ``fs``.
    """
    return cochleagram_batch([x], fs, params, bank)[0]


def spike_code(c, params: CochleaParams | None = None) -> np.ndarray:
    """Spike-code cochleagrams ``c`` (..., T, K) per ``params.coding``: (..., T, channels)."""
    p = params or CochleaParams()
    c = np.asarray(c, dtype=np.float64)
    if p.coding == "none":
        return c.astype(np.float32)
    if p.coding == "level":
        levels = np.arange(1, p.n_levels + 1) / (p.n_levels + 1)
        return (c[..., None] >= levels).reshape(c.shape[:-1] + (-1,)).astype(np.float32)
    T, K = c.shape[-2:]
    ref = np.zeros(c.shape[:-2] + (K,))
    out = np.zeros(c.shape[:-1] + (2 * K,), np.float32)
    for t in range(T):
        d = c[..., t, :] - ref
        n = np.trunc(d / p.delta + np.copysign(1e-9, d))
        out[..., t, :K] = n >= 1
        out[..., t, K:] = n <= -1
        ref += n * p.delta
    return out


def encode_audio(
    x, fs: float, params: CochleaParams | None = None, bank: list | None = None
) -> np.ndarray:
    """WAV samples of one clip → spikes (or cochleagram): float32 (n_frames, n_channels)."""
    return encode_audio_batch([x], fs, params, bank)[0]


def encode_audio_batch(
    signals, fs: float, params: CochleaParams | None = None, bank: list | None = None
) -> np.ndarray:
    """Several clips → float32 (N, n_frames, params.n_channels)."""
    p = params or CochleaParams()
    if abs(fs - p.sample_rate) > 1e-6 * p.sample_rate:
        raise DataError(
            f"Audio sampled at {fs:g} Hz but CochleaParams.sample_rate is {p.sample_rate:g} Hz."
        )
    return spike_code(cochleagram_batch(signals, fs, p, bank), p)
