"""Reader for ngspice raw files (``ngspice -b -r out.raw``), binary and ASCII.

A raw file is a sequence of plots, one per analysis that ran (a deck with ``.op`` and ``.tran``
gives two). Each plot is a text header::

    Title: * rc
    Date: Fri Nov 27 17:00:56  2026
    Plotname: Transient Analysis
    Flags: real                      (or "complex")
    No. Variables: 3
    No. Points: 5022
    Variables:
    \t0\ttime\ttime
    \t1\tv(out)\tvoltage
    \t2\ti(v1)\tcurrent
    Binary:                          (or "Values:")

followed by the data, point after point (all variables of point 0, then of point 1, ...):

- ``Binary:``: little-endian float64 per value, a (re, im) float64 pair per value when the plot
  is complex (the scale included);
- ``Values:``: ASCII, ``<index>\\t<value of var 0>`` then one ``\\t<value>`` line per other
  variable; complex values are written ``re,im``.

ngspice's default is binary; ``set filetype=ascii`` (in ``.spiceinit``) makes it ASCII. A run
that was interrupted leaves fewer points than the header announces; the reader returns the
complete points and marks the plot ``truncated``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError

__all__ = ["RawPlot", "read_raw", "parse_raw", "plot_kind"]

_KINDS = (
    ("operating point", "op"),
    ("transient", "tran"),
    ("ac analysis", "ac"),
    ("dc transfer", "dc"),
    ("noise", "noise"),
    ("transfer function", "tf"),
    ("sensitivity", "sens"),
    ("pole-zero", "pz"),
    ("distortion", "disto"),
)


def plot_kind(plotname: str) -> str:
    """Short analysis name (``"op"``, ``"tran"``, ``"ac"``, ``"dc"``...) of a raw plot name.

    Accepts both raw-file plot names (``"Transient Analysis"``) and the shared library's
    (``"tran1"``).
    """
    low = plotname.strip().lower()
    for key, kind in _KINDS:
        if low.startswith(key):
            return kind
    m = re.match(r"^([a-z]+)\d*$", low)
    return m.group(1) if m else low


@dataclass(frozen=True)
class RawPlot:
    """One plot of a raw file.

    Attributes
    ----------
    title, date, plotname, flags
        Header fields as written by ngspice.
    names, types
        Variable names (as written, e.g. ``"v(out)"``) and their types (``"voltage"``...).
    vectors
        Name -> 1-D array (float64, or complex128 for complex plots), in variable order.
    n_points
        Number of complete points read.
    truncated
        ``True`` when the file ended before ``No. Points`` points (interrupted run).
    """

    title: str
    date: str
    plotname: str
    flags: str
    names: tuple[str, ...]
    types: tuple[str, ...]
    vectors: dict[str, np.ndarray] = field(repr=False)
    n_points: int
    truncated: bool = False

    @property
    def kind(self) -> str:
        return plot_kind(self.plotname)

    @property
    def is_complex(self) -> bool:
        return "complex" in self.flags.lower().split()

    @property
    def scale(self) -> str:
        """Name of the independent variable (the first one)."""
        return self.names[0] if self.names else ""


def read_raw(path: str | Path) -> list[RawPlot]:
    """Read every plot of an ngspice raw file (binary or ASCII).

    Raises
    ------
    DataError
        When the file is missing or not a raw file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read raw file {path}: {exc}") from exc
    try:
        return parse_raw(data)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def parse_raw(data: bytes) -> list[RawPlot]:
    """Parse the bytes of a raw file; see :func:`read_raw`."""
    plots: list[RawPlot] = []
    pos = 0
    n = len(data)
    while pos < n:
        # skip blank lines between plots
        while pos < n and data[pos : pos + 1] in (b"\n", b"\r", b" ", b"\t"):
            pos += 1
        if pos >= n:
            break
        header, pos, mode = _read_header(data, pos)
        plot, pos = _read_data(data, pos, header, mode)
        plots.append(plot)
        if plot.truncated:  # an interrupted run: nothing complete can follow
            break
    return plots


def _read_header(data: bytes, pos: int) -> tuple[dict, int, str]:
    header: dict = {"variables": []}
    in_vars = False
    n = len(data)
    while True:
        if pos >= n:
            raise DataError("raw file ended inside a plot header")
        end = data.find(b"\n", pos)
        if end < 0:
            end = n
        line = data[pos:end].decode("latin-1").rstrip("\r")
        pos = end + 1
        stripped = line.strip()
        if stripped in ("Binary:", "Values:"):
            return header, pos, stripped[:-1].lower()
        if in_vars and line[:1] in ("\t", " ") and stripped:
            parts = stripped.split()
            if len(parts) < 3 or not parts[0].isdigit():
                raise DataError(f"bad variable line {line!r}")
            header["variables"].append((parts[1], parts[2]))
            continue
        key, sep, value = line.partition(":")
        if not sep:
            if not stripped:
                continue
            raise DataError(f"not an ngspice raw file (unexpected line {line[:60]!r})")
        key = key.strip().lower()
        if key == "variables":
            in_vars = True
            if value.strip():  # some writers put the first variable on the same line
                parts = value.split()
                header["variables"].append((parts[1], parts[2]))
            continue
        in_vars = False
        header[key] = value.strip()


def _read_data(data: bytes, pos: int, header: dict, mode: str) -> tuple[RawPlot, int]:
    try:
        nvars = int(header["no. variables"])
        npoints = int(header["no. points"])
    except (KeyError, ValueError) as exc:
        raise DataError(f"plot header lacks a valid {exc} field") from None
    variables = header["variables"]
    if len(variables) != nvars:
        raise DataError(f"header announces {nvars} variables but lists {len(variables)}")
    flags = header.get("flags", "real")
    is_complex = "complex" in flags.lower().split()
    if mode == "binary":
        width = 16 if is_complex else 8
        row = nvars * width
        avail = (len(data) - pos) // row if row else 0
        got = min(npoints, avail)
        raw = np.frombuffer(data, dtype="<f8", count=got * nvars * (width // 8), offset=pos)
        if is_complex:
            arr = (raw[0::2] + 1j * raw[1::2]).reshape(got, nvars)
        else:
            arr = raw.reshape(got, nvars)
        pos += got * row
    else:
        arr, got, pos = _read_ascii(data, pos, nvars, npoints, is_complex)
    names = tuple(v[0] for v in variables)
    vectors = {name: np.array(arr[:, i]) for i, name in enumerate(names)}
    plot = RawPlot(
        title=header.get("title", ""),
        date=header.get("date", ""),
        plotname=header.get("plotname", ""),
        flags=flags,
        names=names,
        types=tuple(v[1] for v in variables),
        vectors=vectors,
        n_points=got,
        truncated=got < npoints,
    )
    return plot, pos


def _read_ascii(
    data: bytes, pos: int, nvars: int, npoints: int, is_complex: bool
) -> tuple[np.ndarray, int, int]:
    dtype = np.complex128 if is_complex else np.float64
    out = np.empty((npoints, nvars), dtype=dtype)
    n = len(data)
    got = 0
    for p in range(npoints):
        row_start = pos
        ok = True
        for v in range(nvars):
            end = data.find(b"\n", pos)
            if end < 0:
                end = n
            if pos >= n:
                ok = False
                break
            line = data[pos:end].decode("latin-1").strip()
            pos = end + 1
            fields = line.split()
            if v == 0:
                if len(fields) != 2 or not fields[0].isdigit():
                    ok = False
                    break
                text = fields[1]
            else:
                if len(fields) != 1:
                    ok = False
                    break
                text = fields[0]
            try:
                if is_complex:
                    re_s, _, im_s = text.partition(",")
                    out[p, v] = complex(float(re_s), float(im_s or 0.0))
                else:
                    out[p, v] = float(text)
            except ValueError:
                ok = False
                break
        if not ok:
            pos = row_start
            break
        got += 1
    return out[:got], got, pos
