"""Spike trains from waveforms: spike times, rates, ISI statistics, F–I curves, bursts.

A spike is an upward crossing of a threshold ``θ`` with hysteresis ``h``: after a spike is
counted at the first sample ``k`` with ``v[k] ≥ θ`` the detector re-arms only once
``v < θ − h``. The crossing time is interpolated linearly between samples::

    t_spk = t[k-1] + (θ − v[k-1]) · (t[k] − t[k-1]) / (v[k] − v[k-1])

From the spike times ``t_1 < … < t_n``::

    ISI_j = t_{j+1} − t_j,       CV = σ(ISI) / mean(ISI)
    rate  = (n − 1) / (t_n − t_1)        (``method="isi"``, steady state)
          = n / (t_stop − t_start)      (``method="count"``)
    adaptation ratio A = ISI_last / ISI_first     (> 1: the neuron adapts)

Bursts split the train where an ISI exceeds ``max_intra_isi`` (by default the geometric mean of
the shortest and the longest ISI); the burst ratio is mean inter-burst ISI / mean intra-burst ISI.

All functions are pure numpy. ``t`` may be a :class:`~neurocircuit.spice.result.SimResult`
with ``v`` a signal name, for convenience.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = [
    "as_trace",
    "spike_times",
    "merge_close",
    "firing_rate",
    "IsiStats",
    "isi_stats",
    "FICurve",
    "fi_curve",
    "rheobase",
    "refractory_period",
    "pulse_widths",
    "adaptation_ratio",
    "Bursts",
    "detect_bursts",
]


def as_trace(t, v=None, default: str = "v(out)") -> tuple[np.ndarray, np.ndarray]:
    """``(t, v)`` float arrays from arrays or from a result object and a signal name."""
    if hasattr(t, "axis") and hasattr(t, "__getitem__"):
        res = t
        name = v if isinstance(v, str) else default
        return np.asarray(np.real(res.axis), float), np.asarray(np.real(res[name]), float)
    if v is None:
        raise ParameterError("A waveform needs both t and v arrays (or a result and a name).")
    t = np.asarray(t, float)
    v = np.asarray(v, float)
    if t.shape != v.shape or t.ndim != 1:
        raise ParameterError(f"t and v must be 1-D of equal length; got {t.shape} and {v.shape}.")
    return t, v


def spike_times(
    t,
    v=None,
    threshold: float | None = None,
    hysteresis: float | None = None,
    min_swing: float = 1e-3,
) -> np.ndarray:
    """Times of upward threshold crossings, with hysteresis, linearly interpolated.

    Parameters
    ----------
    t, v
        Time (s) and waveform (V) arrays, or a result and a signal name.
    threshold
        Crossing level (V). Default: the midpoint of the waveform's range.
    hysteresis
        Re-arm margin below ``threshold`` (V). Default: 10 % of the waveform's range.
    min_swing
        Waveforms whose peak-to-peak range is below this (V) have no spikes (used only when
        ``threshold`` is left to its default).

    Returns
    -------
    numpy.ndarray
        Spike times in seconds, ascending.
    """
    t, v = as_trace(t, v)
    if t.size < 2:
        return np.empty(0)
    lo, hi = float(np.min(v)), float(np.max(v))
    if threshold is None:
        if hi - lo < min_swing:
            return np.empty(0)
        threshold = 0.5 * (lo + hi)
    if hysteresis is None:
        hysteresis = 0.1 * (hi - lo)
    if hysteresis < 0:
        raise ParameterError(f"The 'hysteresis' must be >= 0 V. Got {hysteresis!r} instead.")
    above = v >= threshold
    below = v < threshold - hysteresis
    # Candidate rising edges: indices where v goes from < threshold to >= threshold.
    rise = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    if rise.size == 0:
        return np.empty(0)
    # Re-arm: a rising edge counts if the signal was below threshold-hysteresis since the
    # previous counted spike (or since the start). Track the last 'below' index before each edge.
    below_idx = np.flatnonzero(below)
    out = []
    last = -1  # index of the last counted edge; the start counts as armed if v[0] < threshold
    for k in rise:
        armed = (last < 0 and not above[0]) or _any_between(below_idx, last, k)
        if hysteresis == 0 and last >= 0:
            armed = True
        if not armed:
            continue
        v0, v1 = v[k - 1], v[k]
        frac = (threshold - v0) / (v1 - v0) if v1 != v0 else 0.0
        out.append(t[k - 1] + frac * (t[k] - t[k - 1]))
        last = k
    return np.asarray(out, float)


def _any_between(sorted_idx: np.ndarray, a: int, b: int) -> bool:
    """True if some index i in ``sorted_idx`` satisfies a < i < b."""
    j = np.searchsorted(sorted_idx, a, side="right")
    return bool(j < sorted_idx.size and sorted_idx[j] < b)


def merge_close(spikes: Any, min_isi: float | None) -> np.ndarray:
    """Spike times with every spike closer than ``min_isi`` (s) to the last kept one dropped.

    For outputs whose spike pulse is preceded by a short glitch across the threshold (one event,
    two crossings). ``min_isi`` of 0 or None returns the sorted times unchanged.
    """
    sp = np.sort(np.asarray(spikes, float).ravel())
    if not min_isi:
        return sp
    if min_isi < 0:
        raise ParameterError(f"min_isi = {min_isi!r} s must be >= 0 s")
    keep: list[float] = []
    for t in sp:
        if not keep or t - keep[-1] >= min_isi:
            keep.append(float(t))
    return np.asarray(keep)


def firing_rate(
    times,
    t_start: float | None = None,
    t_stop: float | None = None,
    method: str = "isi",
    skip: int = 0,
) -> float:
    """Firing rate (Hz) of a spike train.

    ``method="isi"`` gives the steady-state rate ``(n−1)/(t_n − t_1)`` over the spikes after
    the first ``skip`` (0 when fewer than two spikes); ``method="count"`` counts spikes in
    ``[t_start, t_stop]`` and divides by the window length.
    """
    times = np.sort(np.asarray(times, float))
    if t_start is not None:
        times = times[times >= t_start]
    if t_stop is not None:
        times = times[times <= t_stop]
    if method == "count":
        if t_start is None or t_stop is None or t_stop <= t_start:
            raise ParameterError("method='count' needs a window t_start < t_stop (s).")
        return float(times.size / (t_stop - t_start))
    if method != "isi":
        raise ParameterError(f"Unknown rate method {method!r}. Valid: 'isi', 'count'.")
    times = times[skip:]
    if times.size < 2:
        return 0.0
    return float((times.size - 1) / (times[-1] - times[0]))


@dataclass(frozen=True)
class IsiStats:
    """Inter-spike-interval statistics (seconds; ``cv`` dimensionless)."""

    n: int
    mean: float
    std: float
    cv: float
    min: float
    max: float
    median: float

    def as_dict(self, prefix: str = "isi") -> dict[str, float]:
        return {
            f"{prefix}.n": self.n,
            f"{prefix}.mean_s": self.mean,
            f"{prefix}.std_s": self.std,
            f"{prefix}.cv": self.cv,
            f"{prefix}.min_s": self.min,
            f"{prefix}.max_s": self.max,
            f"{prefix}.median_s": self.median,
        }


def isi_stats(times, skip: int = 0) -> IsiStats:
    """Mean, σ, CV, min, max and median of the ISIs (NaN when fewer than two spikes)."""
    times = np.sort(np.asarray(times, float))[skip:]
    isi = np.diff(times)
    if isi.size == 0:
        nan = float("nan")
        return IsiStats(0, nan, nan, nan, nan, nan, nan)
    mean = float(isi.mean())
    std = float(isi.std())
    return IsiStats(
        n=int(isi.size),
        mean=mean,
        std=std,
        cv=std / mean if mean > 0 else float("nan"),
        min=float(isi.min()),
        max=float(isi.max()),
        median=float(np.median(isi)),
    )


@dataclass(frozen=True)
class FICurve:
    """A frequency–current curve: input currents (A) and firing rates (Hz)."""

    i_in: np.ndarray
    rate: np.ndarray

    def as_dict(self, prefix: str = "fi_curve") -> dict[str, list[float]]:
        return {f"{prefix}.i_in_a": self.i_in.tolist(), f"{prefix}.rate_hz": self.rate.tolist()}


def fi_curve(
    i_in: Sequence[float],
    trains: Sequence,
    method: str = "isi",
    skip: int = 1,
    t_start: float | None = None,
    t_stop: float | None = None,
) -> FICurve:
    """F–I curve from one spike train per input current (sorted by current).

    ``skip`` drops the first spikes of each train (the first ISI from rest is longer).
    """
    i_in = np.asarray(i_in, float)
    if len(trains) != i_in.size:
        raise ParameterError(f"{i_in.size} currents but {len(trains)} spike trains.")
    rates = []
    for tr in trains:
        tr = np.asarray(tr, float)
        sk = skip if tr.size > skip + 1 else 0
        rates.append(firing_rate(tr, t_start, t_stop, method=method, skip=sk))
    order = np.argsort(i_in, kind="stable")
    return FICurve(i_in[order], np.asarray(rates, float)[order])


def rheobase(i_in, rate, min_rate: float = 0.0, method: str = "bracket") -> float:
    """Smallest input current that makes the neuron fire (A).

    ``method="bracket"``: midpoint between the last silent and the first firing current;
    ``"extrapolate"``: zero crossing of a line through the first three firing points
    (for linear F–I curves). NaN if the neuron never fires; the lowest current if it always does.
    """
    i_in = np.asarray(i_in, float)
    rate = np.asarray(rate, float)
    order = np.argsort(i_in)
    i_in, rate = i_in[order], rate[order]
    firing = np.flatnonzero(rate > min_rate)
    if firing.size == 0:
        return float("nan")
    k = int(firing[0])
    if method == "extrapolate":
        sel = firing[:3]
        if sel.size < 2:
            return float(i_in[k])
        slope, icpt = np.polyfit(i_in[sel], rate[sel], 1)
        return float(-icpt / slope) if slope > 0 else float(i_in[k])
    if method != "bracket":
        raise ParameterError(
            f"Unknown rheobase method {method!r}. Valid: 'bracket', 'extrapolate'."
        )
    if k == 0:
        return float(i_in[0])
    return float(0.5 * (i_in[k - 1] + i_in[k]))


def pulse_widths(t, v=None, threshold: float | None = None, hysteresis: float = 0.0) -> np.ndarray:
    """Durations (s) for which ``v`` stays at or above ``threshold``, for complete pulses only."""
    t, v = as_trace(t, v)
    up = spike_times(t, v, threshold=threshold, hysteresis=hysteresis)
    down = spike_times(
        t,
        -v,
        threshold=-(threshold if threshold is not None else 0.5 * (v.min() + v.max())),
        hysteresis=hysteresis,
    )
    widths = []
    for tu in up:
        later = down[down > tu]
        if later.size:
            widths.append(later[0] - tu)
    return np.asarray(widths, float)


def refractory_period(times=None, *, t=None, v=None, threshold: float | None = None) -> float:
    """Refractory period (s).

    From a spike train at saturating drive: the shortest ISI. From a pulse waveform
    (``t``/``v`` of a refractory-state node such as the refractory capacitor): the median
    width of its pulses above ``threshold``.
    """
    if times is not None:
        isi = np.diff(np.sort(np.asarray(times, float)))
        return float(isi.min()) if isi.size else float("nan")
    widths = pulse_widths(t, v, threshold=threshold)
    return float(np.median(widths)) if widths.size else float("nan")


def adaptation_ratio(times, n_avg: int = 1) -> float:
    """Spike-frequency adaptation: mean of the last ``n_avg`` ISIs over the first ``n_avg``.

    > 1 means the ISIs lengthen (adaptation); 1 means a regular train. NaN with < 2 ISIs.
    """
    isi = np.diff(np.sort(np.asarray(times, float)))
    if isi.size < 2:
        return float("nan")
    n = max(1, min(n_avg, isi.size // 2))
    return float(isi[-n:].mean() / isi[:n].mean())


@dataclass(frozen=True)
class Bursts:
    """Bursts of a spike train: spike times per burst and interval statistics (s)."""

    bursts: tuple[np.ndarray, ...]
    intra_isi: float
    inter_isi: float
    ratio: float

    @property
    def n_bursts(self) -> int:
        return len(self.bursts)

    @property
    def spikes_per_burst(self) -> float:
        return float(np.mean([b.size for b in self.bursts])) if self.bursts else 0.0


def detect_bursts(times, max_intra_isi: float | None = None, min_spikes: int = 2) -> Bursts:
    """Split a spike train into bursts.

    An ISI longer than ``max_intra_isi`` (default: the geometric mean of the shortest and the
    longest ISI) separates bursts. ``intra_isi`` is the mean ISI inside bursts of at least
    ``min_spikes`` spikes, ``inter_isi`` the mean gap between bursts, ``ratio`` their quotient
    (NaN where undefined). A regular train gives one burst or ratio ≈ 1.
    """
    times = np.sort(np.asarray(times, float))
    nan = float("nan")
    if times.size < 2:
        return Bursts((times,) if times.size else (), nan, nan, nan)
    isi = np.diff(times)
    if max_intra_isi is None:
        max_intra_isi = float(np.sqrt(isi.min() * isi.max()))
        if isi.max() < 1.5 * isi.min():  # regular: one burst
            max_intra_isi = float(isi.max()) * 1.001
    cut = np.flatnonzero(isi > max_intra_isi)
    groups = tuple(np.split(times, cut + 1))
    intra = [np.diff(g) for g in groups if g.size >= min_spikes]
    intra_all = np.concatenate(intra) if intra else np.empty(0)
    inter = isi[cut]
    intra_m = float(intra_all.mean()) if intra_all.size else nan
    inter_m = float(inter.mean()) if inter.size else nan
    ratio = inter_m / intra_m if intra_all.size and inter.size else nan
    return Bursts(groups, intra_m, inter_m, ratio)
