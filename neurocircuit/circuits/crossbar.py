"""Crossbar arrays (1R and 1T1R) and their read / sneak-path / programming testbenches.

Network (the one :mod:`neurocircuit.hardware.crossbar` solves): row i is driven at terminal
``in<i>`` through ``r_driver`` into word-line node WL[i,0]; WL[i,j]–WL[i,j+1] are joined by
``r_row``; cell (i,j) joins WL[i,j] to bit-line node BL[i,j]; BL[i,j]–BL[i+1,j] by ``r_col``;
BL[N−1,j] reaches column terminal ``out<j>`` through ``r_sense``. A zero resistance merges its
two nodes (no 0 Ω element is written). Optional parasitics: ``c_row``/``c_col`` from every
WL/BL node to ground. An ideal read gives the matrix–vector product::

    I_j = Σ_i G_ij·V_i        (r_row = r_col = r_driver = r_sense = 0)

Cells: a linear resistor ``1/G_ij`` (``device="resistor"``, for solver checks) or any memristor
model of :mod:`neurocircuit.circuits.memristors` with a per-cell state ``x_ij`` (its static
subcircuit for ``.op`` reads, the dynamic one for programming transients). 1T1R cells put an
access nFET of the :class:`~neurocircuit.circuits.process.Process` in series between the device
and the bit line, its gate on row gate line ``g<i>``.

Conductances/states are drawn from ``seed`` (uniform in [g_min, g_max] or [x_min, x_max]) unless
passed explicitly; device-to-device spread of the memristor parameters (their ``*_d2d``
fields) is drawn per cell from the same seed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..units import param, parse_si, validate
from .memristors import (
    HP_BIOLEK,
    HP_JOGLEKAR,
    VTEAM_MEMTORCH,
    YAKOPCIC_OBLEA,
    memristor_subckt,
    model_params,
    sample_d2d,
)
from .netlist import Netlist, fmt
from .registry import CircuitEntry

__all__ = [
    "CrossbarParams",
    "DEVICES",
    "CROSSBAR_4X4",
    "CROSSBAR_1T1R_4X4",
    "cell_conductances",
    "cell_states",
    "crossbar_array",
    "read_testbench",
    "sneak_read_testbench",
    "program_row_testbench",
    "crossbar_netlist",
    "CATALOG",
]

DEVICES = {
    "hp-joglekar": HP_JOGLEKAR,
    "hp-biolek": HP_BIOLEK,
    "vteam": VTEAM_MEMTORCH,
    "yakopcic": YAKOPCIC_OBLEA,
}
"""Memristor models a cell may use, by name, at their default presets."""


@dataclass(frozen=True)
class CrossbarParams:
    """An N×M crossbar: cell model, wires, driver/sense, parasitics, access devices."""

    rows: int = param(4, unit="", doc="word lines N", ge=1)
    cols: int = param(4, unit="", doc="bit lines M", ge=1)
    device: str = param(
        "resistor", doc="cell model", choices=("resistor",) + tuple(DEVICES)
    )
    g_min: float = param(1e-6, unit="S", doc="lowest cell conductance (resistor cells)", gt=0)
    g_max: float = param(1e-4, unit="S", doc="highest cell conductance (resistor cells)", gt=0)
    x_min: float = param(0.1, unit="", doc="lowest cell state (device cells)", ge=0, le=1)
    x_max: float = param(0.9, unit="", doc="highest cell state (device cells)", ge=0, le=1)
    r_row: float = param(1.0, unit="Ω", doc="word-line resistance per cell segment", ge=0)
    r_col: float = param(1.0, unit="Ω", doc="bit-line resistance per cell segment", ge=0)
    r_driver: float = param(10.0, unit="Ω", doc="row driver output resistance", ge=0)
    r_sense: float = param(10.0, unit="Ω", doc="column sense input resistance", ge=0)
    c_row: float = param(0.0, unit="F", doc="word-line capacitance per node", ge=0)
    c_col: float = param(0.0, unit="F", doc="bit-line capacitance per node", ge=0)
    v_read: float = param(0.2, unit="V", doc="read voltage on every row (default input)")
    access: str = param("none", doc="access device", choices=("none", "1t1r"))
    w_access: float = param(1e-6, unit="m", doc="access nFET width", gt=0)
    l_access: float = param(0.18e-6, unit="m", doc="access nFET length", gt=0)
    v_gate: float = param(1.8, unit="V", doc="gate voltage of selected rows (1T1R)")
    seed: int = param(0, unit="", doc="seed of the conductance/state and d2d draws", ge=0)

    def __post_init__(self) -> None:
        validate(self)
        if self.g_max < self.g_min:
            raise ParameterError(
                f"The 'g_max' parameter of CrossbarParams must be >= g_min ({self.g_min:g} S). "
                f"Got {self.g_max!r} instead."
            )
        if self.x_max < self.x_min:
            raise ParameterError(
                f"The 'x_max' parameter of CrossbarParams must be >= x_min ({self.x_min:g}). "
                f"Got {self.x_max!r} instead."
            )


CROSSBAR_4X4 = CrossbarParams()
"""4×4 1R array of resistor cells, 1–100 µS, 1 Ω segments (NeuroSim-scale wires, circuits.md
§3.2 table: 0.2–2 Ω per cell), 10 Ω driver and sense."""

CROSSBAR_1T1R_4X4 = CrossbarParams(access="1t1r")
"""4×4 1T1R array, 1 µm/0.18 µm access nFETs of the generic 180 nm process, gates at 1.8 V."""


def cell_conductances(p: CrossbarParams) -> np.ndarray:
    """G_ij of resistor cells, uniform in [g_min, g_max] from ``seed`` (N, M).

    Each 1/G_ij is rounded to the 6 significant digits the deck writes, so the returned
    conductances are exactly those ngspice simulates.
    """
    rng = np.random.default_rng([p.seed, 1])
    g = rng.uniform(p.g_min, p.g_max, (p.rows, p.cols))
    return 1.0 / np.vectorize(lambda r: parse_si(fmt(r)))(1.0 / g)


def cell_states(p: CrossbarParams) -> np.ndarray:
    """x_ij of device cells, uniform in [x_min, x_max] from ``seed`` (N, M)."""
    rng = np.random.default_rng([p.seed, 2])
    return rng.uniform(p.x_min, p.x_max, (p.rows, p.cols))


def _wl(p: CrossbarParams, i: int, j: int) -> str:
    if p.r_row == 0:
        return f"in{i}" if p.r_driver == 0 else f"wl{i}"
    if j == 0 and p.r_driver == 0:
        return f"in{i}"
    return f"wl{i}_{j}"


def _bl(p: CrossbarParams, i: int, j: int) -> str:
    n = p.rows
    if p.r_col == 0:
        return f"out{j}" if p.r_sense == 0 else f"bl{j}"
    if i == n - 1 and p.r_sense == 0:
        return f"out{j}"
    return f"bl{i}_{j}"


def crossbar_array(
    p: CrossbarParams,
    g: np.ndarray | None = None,
    x: np.ndarray | None = None,
    dynamic: bool = False,
    process=None,
) -> Netlist:
    """The array between row terminals ``in<i>``, column terminals ``out<j>`` (and gate lines
    ``g<i>`` for 1T1R); no sources.

    Parameters
    ----------
    g, x
        Cell conductances (resistor cells) or states (device cells), (N, M); drawn from
        ``p.seed`` when omitted.
    dynamic
        Device cells with state dynamics (transients with ``uic``); otherwise frozen-state
        (static) cells for ``.op`` reads.
    process
        Process of the 1T1R access devices (default ``GENERIC_180``).
    """
    validate(p)
    n, m = p.rows, p.cols
    lines: list[str] = []
    subckts = []
    includes: list[str] = []
    if p.device == "resistor":
        gg = cell_conductances(p) if g is None else np.asarray(g, dtype=float)
        if gg.shape != (n, m) or np.any(gg <= 0):
            raise ParameterError(f"Cell conductances must be > 0 with shape {(n, m)}.")
    else:
        xx = cell_states(p) if x is None else np.asarray(x, dtype=float)
        if xx.shape != (n, m):
            raise ParameterError(f"Cell states must have shape {(n, m)}. Got {xx.shape}.")
        dev = DEVICES[p.device]
        sub = memristor_subckt(dev, probe=False, static=not dynamic)
        subckts.append(sub)
        names = [k for k, _ in model_params(dev)]
        d2d = sample_d2d(dev, np.random.default_rng([p.seed, 3]), n=n * m)
        varied = dict(model_params(d2d)) if d2d is not dev else {}
    if p.access == "1t1r":
        from .process import GENERIC_180, mosfet

        proc = process or GENERIC_180
        includes.append(proc.include())
    for i in range(n):
        if p.r_driver > 0:
            lines.append(f"Rdrv{i} in{i} {_wl(p, i, 0)} {fmt(p.r_driver)}")
        for j in range(m):
            a, b = _wl(p, i, j), _bl(p, i, j)
            if p.access == "1t1r":
                mid = f"m{i}_{j}"
                lines.append(mosfet(f"A{i}_{j}", mid, f"g{i}", b, "0", "n",
                                    p.w_access, p.l_access, proc))
                b = mid
            if p.device == "resistor":
                lines.append(f"Rc{i}_{j} {a} {b} {fmt(1.0 / gg[i, j])}")
            else:
                over = {"xinit": float(xx[i, j])}
                for k in names:
                    if k in varied and np.ndim(varied[k]) == 1:
                        over[k] = float(varied[k][i * m + j])
                lines.append(sub.instance(f"C{i}_{j}", (a, b), **over))
            if p.r_row > 0 and j < m - 1:
                lines.append(f"Rr{i}_{j} {a} {_wl(p, i, j + 1)} {fmt(p.r_row)}")
            if p.r_col > 0 and i < n - 1:
                lines.append(f"Rk{i}_{j} {_bl(p, i, j)} {_bl(p, i + 1, j)} {fmt(p.r_col)}")
            if p.c_row > 0 and (p.r_row > 0 or j == 0) and not a.startswith("in"):
                lines.append(f"Cr{i}_{j} {a} 0 {fmt(p.c_row)}")
            bb = _bl(p, i, j)
            if p.c_col > 0 and (p.r_col > 0 or i == n - 1) and not bb.startswith("out"):
                lines.append(f"Ck{i}_{j} {bb} 0 {fmt(p.c_col)}")
    for j in range(m):
        if p.r_sense > 0:
            lines.append(f"Rsen{j} {_bl(p, n - 1, j)} out{j} {fmt(p.r_sense)}")
    return Netlist(
        title=f"crossbar {n}x{m} {p.device} {p.access}",
        lines=tuple(lines),
        subckts=tuple(subckts),
        includes=tuple(includes),
        meta={"generator": "crossbar", "params": dataclasses.asdict(p)},
    )


def _sources(p: CrossbarParams, v_rows, v_cols, gates=None) -> list[str]:
    out = [f"Vin{i} in{i} 0 DC {fmt(v)}" for i, v in enumerate(v_rows)]
    out += [f"Vout{j} out{j} 0 DC {fmt(v)}" for j, v in enumerate(v_cols)]
    if p.access == "1t1r":
        gates = [p.v_gate] * p.rows if gates is None else gates
        out += [f"Vg{i} g{i} 0 DC {fmt(v)}" for i, v in enumerate(gates)]
    return out


def read_testbench(
    p: CrossbarParams, v_in=None, g=None, x=None, v_col=None
) -> Netlist:
    """Matrix–vector read: rows driven by ``v_in`` (default ``v_read``), columns at virtual
    ground (``v_col`` = 0). Column current j is ``i(vout<j>)`` (positive into the sense)."""
    v_in = np.full(p.rows, p.v_read) if v_in is None else np.asarray(v_in, dtype=float)
    v_col = np.zeros(p.cols) if v_col is None else np.asarray(v_col, dtype=float)
    arr = crossbar_array(p, g=g, x=x)
    return arr.extend(lines=_sources(p, v_in, v_col), title=f"{arr.title}: read")


def sneak_read_testbench(
    p: CrossbarParams, row: int, col: int, v: float | None = None, g=None, x=None,
    scheme: str = "v/2",
) -> Netlist:
    """Single-cell read of (row, col): selected row at ``v``, selected column at 0.

    ``scheme="v/2"``: unselected rows and columns at v/2 (half-selected cells see v/2, cells on
    unselected rows and columns see 0); ``"ground"``: unselected rows and columns at 0 V, so
    only the selected row is driven (cells on it all conduct into their columns).
    """
    v = p.v_read if v is None else v
    if not (0 <= row < p.rows and 0 <= col < p.cols):
        raise ParameterError(f"Cell ({row}, {col}) is outside the {p.rows}x{p.cols} array.")
    if scheme not in ("v/2", "ground"):
        raise ParameterError(f"Unknown scheme {scheme!r}. Valid: v/2, ground.")
    half = v / 2 if scheme == "v/2" else 0.0
    v_rows = [v if i == row else half for i in range(p.rows)]
    v_cols = [0.0 if j == col else half for j in range(p.cols)]
    arr = crossbar_array(p, g=g, x=x)
    return arr.extend(lines=_sources(p, v_rows, v_cols), title=f"{arr.title}: cell read")


def program_row_testbench(
    p: CrossbarParams,
    row: int,
    columns,
    v_prog: float,
    width: float,
    x=None,
    rise: float = 1e-9,
):
    """Row-wise programming with the V/2 scheme, one pulse: (Netlist, Tran).

    Row ``row`` gets a pulse of ``v_prog`` for ``width``; the selected ``columns`` stay at 0,
    unselected rows and columns at ``v_prog/2`` during the pulse. Dynamic device cells; run
    with ``uic``. The state of cell (i, j) is not probed (cells have no state port); compare
    read currents before and after.
    """
    from .analyses import Tran  # pure data: analyses as dataclasses

    if p.device == "resistor":
        raise ParameterError("Programming needs a memristor device (device != 'resistor').")
    cols = set(int(c) for c in columns)
    rise = min(rise, width / 10)
    total = width + 2 * rise

    def pulse(level: float) -> str:
        return (f"PULSE(0 {fmt(level)} {fmt(rise / 2)} {fmt(rise)} {fmt(rise)} "
                f"{fmt(width)} {fmt(10 * total)})")

    lines = []
    for i in range(p.rows):
        lines.append(f"Vin{i} in{i} 0 {pulse(v_prog if i == row else v_prog / 2)}")
    for j in range(p.cols):
        lines.append(f"Vout{j} out{j} 0 {'DC 0' if j in cols else pulse(v_prog / 2)}")
    if p.access == "1t1r":
        lines += [f"Vg{i} g{i} 0 DC {fmt(p.v_gate)}" for i in range(p.rows)]
    arr = crossbar_array(p, x=x, dynamic=True)
    tran = Tran(step=total / 200, stop=total * 1.5, max_step=total / 200, uic=True)
    return arr.extend(lines=lines, title=f"{arr.title}: program row {row}"), tran


def crossbar_netlist(p: CrossbarParams) -> Netlist:
    """Catalogue generator: the array with its default read stimulus (``.op``)."""
    return read_testbench(p)


CATALOG = (
    CircuitEntry(
        name="crossbar-1r",
        family="crossbar",
        params_cls=CrossbarParams,
        presets={
            "4x4": CROSSBAR_4X4,
            "4x4-yakopcic": dataclasses.replace(CROSSBAR_4X4, device="yakopcic"),
        },
        generator=crossbar_netlist,
        doc="Passive (1R) crossbar: matrix–vector read with wire, driver and sense resistance",
        preset_docs={
            "4x4": "resistor cells 1–100 µS; wires per circuits.md §3.2 (NeuroSim scale)",
            "4x4-yakopcic": "Yakopcic cells (Oblea fit, EDL 2011), states 0.1–0.9",
        },
    ),
    CircuitEntry(
        name="crossbar-1t1r",
        family="crossbar",
        params_cls=CrossbarParams,
        presets={"4x4": CROSSBAR_1T1R_4X4},
        generator=crossbar_netlist,
        doc="1T1R crossbar: access nFET per cell (generic 180 nm), gates on row lines",
        preset_docs={"4x4": "resistor cells 1–100 µS, 1 µm/0.18 µm nFETs at V_G 1.8 V"},
    ),
)
