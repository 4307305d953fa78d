"""Event format and files: the event dtype, ``.npz`` and N-MNIST ``.bin`` read/write.

Events are numpy structured arrays of dtype :data:`EVENT_DTYPE`: ``x`` (column) and ``y`` (row)
as uint16, ``t`` in **microseconds** as int64, ``p`` as int8 in {0 (OFF), 1 (ON)} — the
convention of N-MNIST and of ``tonic``.

* ``.npz``: arrays ``x, y, t`` (µs), ``p`` and optionally ``sensor_size = (width, height)``.
* N-MNIST ``.bin`` (ATIS "AER 2.0"-style, Orchard et al. 2015): 5 bytes (40 bits) per event,
  big-endian bit layout ``x[39:32] y[31:24] p[23] t[22:0]`` (t in µs); ``y == 240`` marks a
  timestamp-overflow event that adds ``2^13`` µs to all later events (honoured on read, as in
  the N-MNIST reference reader; the writer requires ``0 <= t < 2^23`` µs and ``x, y < 240``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError, ParameterError

__all__ = [
    "EVENT_DTYPE",
    "make_events",
    "save_npz",
    "load_npz",
    "write_nmnist_bin",
    "read_nmnist_bin",
]

EVENT_DTYPE = np.dtype([("x", "<u2"), ("y", "<u2"), ("t", "<i8"), ("p", "i1")])


def make_events(x, y, t, p) -> np.ndarray:
    """Pack columns into an :data:`EVENT_DTYPE` array (t in µs, p in {0, 1})."""
    x, y, t, p = (np.asarray(a).reshape(-1) for a in (x, y, t, p))
    n = x.size
    if not (y.size == n and t.size == n and p.size == n):
        raise ParameterError(
            f"Event columns must have equal lengths. Got x {x.size}, y {y.size}, t {t.size}, "
            f"p {p.size}."
        )
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["x"], ev["y"], ev["t"], ev["p"] = x, y, t, (p > 0)
    return ev



def save_npz(path, events, sensor_size=None) -> None:
    """Write events as ``.npz`` with arrays ``x, y, t`` (µs), ``p`` and ``sensor_size``."""
    ev = np.asarray(events)
    if ev.dtype != EVENT_DTYPE:
        raise ParameterError(f"events must have dtype EVENT_DTYPE. Got {ev.dtype} instead.")
    extra = {} if sensor_size is None else {"sensor_size": np.asarray(sensor_size, np.int64)}
    np.savez(path, x=ev["x"], y=ev["y"], t=ev["t"], p=ev["p"], **extra)


def load_npz(path) -> tuple[np.ndarray, tuple[int, int] | None]:
    """Read events written by :func:`save_npz` (or any npz with x, y, t, p arrays).

    Returns
    -------
    events : numpy.ndarray of EVENT_DTYPE
    sensor_size : (width, height) or None
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Event file {path} does not exist.")
    with np.load(path) as z:
        missing = [k for k in ("x", "y", "t", "p") if k not in z.files]
        if missing:
            raise DataError(f"{path} lacks the event arrays {missing}; found {z.files}.")
        ev = make_events(z["x"], z["y"], z["t"], z["p"])
        size = tuple(int(v) for v in z["sensor_size"]) if "sensor_size" in z.files else None
    return ev, size


def write_nmnist_bin(path, events) -> None:
    """Write events in the N-MNIST 40-bit binary form (see module docstring).

    Raises
    ------
    ParameterError
        If ``t`` is negative or ``≥ 2^23`` µs or ``x, y ≥ 240`` (not representable without
        overflow events).
    """
    ev = np.asarray(events)
    if ev.dtype != EVENT_DTYPE:
        raise ParameterError(f"events must have dtype EVENT_DTYPE. Got {ev.dtype} instead.")
    if ev.size:
        if ev["t"].min() < 0 or ev["t"].max() >= 2**23:
            raise ParameterError(
                "N-MNIST .bin timestamps must be in [0, 2^23) µs. "
                f"Got [{ev['t'].min()}, {ev['t'].max()}] instead."
            )
        if ev["x"].max() >= 240 or ev["y"].max() >= 240:
            raise ParameterError("N-MNIST .bin addresses must be < 240 (240 marks overflow).")
    t = ev["t"].astype(np.uint32)
    raw = np.empty((ev.size, 5), dtype=np.uint8)
    raw[:, 0] = ev["x"]
    raw[:, 1] = ev["y"]
    raw[:, 2] = ((ev["p"].astype(np.uint32) & 1) << 7) | ((t >> 16) & 0x7F)
    raw[:, 3] = (t >> 8) & 0xFF
    raw[:, 4] = t & 0xFF
    Path(path).write_bytes(raw.tobytes())


def read_nmnist_bin(path) -> np.ndarray:
    """Read an N-MNIST ``.bin`` file (real recordings or :func:`write_nmnist_bin` output)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Event file {path} does not exist.")
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % 5:
        raise DataError(f"{path} is not an N-MNIST .bin file: {raw.size} bytes is not 5·N.")
    raw = raw.reshape(-1, 5).astype(np.int64)
    x, y = raw[:, 0], raw[:, 1]
    p = raw[:, 2] >> 7
    t = ((raw[:, 2] & 0x7F) << 16) | (raw[:, 3] << 8) | raw[:, 4]
    overflow = y == 240
    t = t + np.cumsum(overflow) * 2**13
    keep = ~overflow
    return make_events(x[keep], y[keep], t[keep], p[keep])
