"""Mead's Axon-Hillock integrate-and-fire neuron (Mead, *Analog VLSI and Neural Systems*, 1989).

The input current ``I_in`` charges ``C_mem``; two cascaded inverters amplify ``V_mem`` and the
feedback capacitor ``C_fb`` couples their output back to ``V_mem`` (positive feedback,
hysteresis). While ``V_out`` is high a reset branch of two series nFETs (one gated by
``V_out``, one mirroring the bias current ``I_r``) discharges ``V_mem``. With the inverter
threshold ``V_sw``::

    ΔV   = V_dd · C_fb / (C_mem + C_fb)                 (hysteresis of V_mem)
    t_L  = (C_mem + C_fb) · ΔV / I_in = C_fb · V_dd / I_in         (integration)
    t_H  = C_fb · V_dd / (I_r − I_in)                               (spike, needs I_r > I_in)
    f    = 1 / (t_L + t_H) = I_in (I_r − I_in) / (C_fb · V_dd · I_r)

so ``f ≈ I_in/(C_fb·V_dd)`` for ``I_in ≪ I_r`` and the F–I curve is an inverted parabola
peaking at ``f_max = I_r/(4·C_fb·V_dd)`` for ``I_in = I_r/2``. The supply charges ``C_fb`` in
series with ``C_mem`` on every spike, so ``E_spike ≥ C_fb·C_mem/(C_fb + C_mem)·V_dd²``.

While ``V_mem`` dwells near the first inverter's switching point both of its transistors
conduct; this short-circuit current dominates the energy per spike, so the inverters default
to minimum-width, long-channel (0.22 µm / 2 µm) devices (≈ 20× less energy than 0.5 µm /
0.36 µm ones at the same rate).

Subcircuit ``AXON_HILLOCK in vmem out vdd gnd``: ``in`` joins ``vmem`` through a 0-V sense
source; ``I_r`` comes from a current source on ``vdd`` into a diode-connected nFET mirrored
into the reset branch (the bias current shows in the supply current).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..process import GENERIC_180, Process, mosfet
from ..registry import CircuitEntry

__all__ = ["AxonHillockParams", "axon_hillock", "MEAD_1989", "CATALOG", "CHARACTERIZATION"]

SUBCKT = "AXON_HILLOCK"
PORTS = ("in", "vmem", "out", "vdd", "gnd")


@dataclass(frozen=True)
class AxonHillockParams:
    """Parameters of the Axon-Hillock neuron (SI units)."""

    c_mem: float = param(0.5e-12, unit="F", doc="membrane capacitance C_mem", gt=0, le=1e-9)
    c_fb: float = param(0.1e-12, unit="F", doc="feedback capacitance C_fb", gt=0, le=1e-9)
    i_r: float = param(1e-9, unit="A", doc="reset (pulse-width) bias current I_r", gt=0, le=1e-5)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=0.9, le=3.6)
    w_n: float = param(0.22e-6, unit="m", doc="inverter nFET width", ge=0.22e-6, le=100e-6)
    w_p: float = param(0.22e-6, unit="m", doc="inverter pFET width", ge=0.22e-6, le=100e-6)
    l_inv: float = param(2e-6, unit="m", doc="inverter channel length", ge=0.18e-6, le=20e-6)
    w_rst: float = param(
        1e-6, unit="m", doc="reset-branch width (switch and bias)", ge=0.22e-6, le=100e-6
    )
    l_rst: float = param(
        2e-6, unit="m", doc="reset-branch length (switch and bias)", ge=0.18e-6, le=50e-6
    )

    def __post_init__(self) -> None:
        validate(self)


MEAD_1989 = AxonHillockParams()
"""C_fb = 100 fF, V_dd = 1.8 V, I_r = 1 nA: the worked example of circuits.md §1.1
(Mead 1989; f = 55 Hz at 10 pA, 500 Hz at 100 pA, f_max = 1.39 kHz at 0.5 nA)."""

FAST = AxonHillockParams(c_mem=0.2e-12, c_fb=0.05e-12, i_r=10e-9)
"""A fast variant for quick simulations (f_max = I_r/(4 C_fb V_dd) ≈ 27.8 kHz)."""


def axon_hillock(
    params: AxonHillockParams = MEAD_1989, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``AXON_HILLOCK in vmem out vdd gnd`` subcircuit deck (see the module equations).

    ``mismatch`` is a per-instance sampler (``process.mismatch(seed)``) or ``None``.
    """
    p = params
    m = mismatch

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=m)

    lines = (
        "VSENSE in vmem DC 0",
        f"CMEM vmem gnd {fmt(p.c_mem)}",
        f"CFB out vmem {fmt(p.c_fb)}",
        mos("MP1", "n1", "vmem", "vdd", "vdd", "p", p.w_p, p.l_inv),
        mos("MN1", "n1", "vmem", "gnd", "gnd", "n", p.w_n, p.l_inv),
        mos("MP2", "out", "n1", "vdd", "vdd", "p", p.w_p, p.l_inv),
        mos("MN2", "out", "n1", "gnd", "gnd", "n", p.w_n, p.l_inv),
        mos("MRS", "vmem", "out", "nx", "gnd", "n", p.w_rst, p.l_rst),
        mos("MRB", "nx", "vpw", "gnd", "gnd", "n", p.w_rst, p.l_rst),
        mos("MBD", "vpw", "vpw", "gnd", "gnd", "n", p.w_rst, p.l_rst),
        f"IBR vdd vpw DC {fmt(p.i_r)}",
    )
    sub = Subckt(SUBCKT, PORTS, lines, doc="Axon-Hillock neuron (Mead 1989)")
    return Netlist(
        title="Axon-Hillock integrate-and-fire neuron (Mead 1989)",
        subckts=(sub,),
        includes=(process.include(),),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "axon-hillock",
            "vdd": p.vdd,
            "c_switched": p.c_fb * p.c_mem / (p.c_fb + p.c_mem),
            "ic": {"vmem": 0.0},
            "values": asdict(p),
        },
    )


def _rate(p: AxonHillockParams, i: float) -> float:
    """Analytic firing rate (Hz) of the module equations."""
    return max(i * (p.i_r - i) / (p.c_fb * p.vdd * p.i_r), 0.0)


CHARACTERIZATION = {
    "axon-hillock": {
        "i_range": lambda p: (0.02 * p.i_r, 0.95 * p.i_r),
        "i_scale": "lin",
        "i_ref": lambda p: 0.25 * p.i_r,
        "t_stop": lambda p, i: 5.0 / max(_rate(p, i), 0.05 * _rate(p, 0.5 * p.i_r)),
        "max_step": lambda p: p.c_fb * p.vdd / p.i_r / 20.0,
        "threshold": lambda p: 0.5 * p.vdd,
        "probe": "out",
        "t_quiet": lambda p: 2e-3,
    }
}

CATALOG = (
    CircuitEntry(
        name="axon-hillock",
        family="neuron",
        params_cls=AxonHillockParams,
        presets={"mead1989": MEAD_1989, "fast": FAST},
        generator=axon_hillock,
        doc="Mead's Axon-Hillock IF neuron: two inverters, capacitive feedback, reset branch.",
        preset_docs={
            "mead1989": "Mead, Analog VLSI and Neural Systems (1989); circuits.md §1.1 example",
            "fast": "scaled Mead 1989 (C_fb 50 fF, I_r 10 nA) for quick simulation",
        },
    ),
)
