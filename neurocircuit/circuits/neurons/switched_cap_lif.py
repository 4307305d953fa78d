"""Switched-capacitor LIF neuron: the leak is a capacitor toggled by two non-overlapping clocks.

During φ1 the small capacitor ``C_s`` shares charge with ``C_mem``; during φ2 it is emptied to
``V_rest``. Per clock period ``T_clk = 1/f_clk``::

    V[n+1] − V_rest = (V[n] − V_rest) · C_mem / (C_mem + C_s)

so the leak is a geometric staircase with time constant::

    τ = −T_clk / ln(C_mem / (C_mem + C_s)) ≈ C_mem / (f_clk · C_s)     (R_eq = 1/(f_clk C_s))

set by a capacitor ratio and the clock only, hence robust to transistor mismatch. Above
threshold the comparator / positive-feedback / pulse-width / refractory block of
:mod:`.if_refractory` fires and resets ``V_mem`` to ground. The clocks are ideal ``PULSE``
sources (the clock generator is outside the neuron: its ``C_gate·V²`` per edge is not in the
supply current); ``C_s`` is charged and discharged every period from the membrane, and
``E_spike ≥ C_k·V_dd²`` from the supply.

Subcircuit ``SWITCHED_CAP_LIF in vmem out vdd gnd``. :func:`transistor_leak_lif` is the
comparison circuit of the mismatch test: the same membrane with a subthreshold-transistor leak
of the same τ (``τ = C_mem·U_T/I_0`` for ``V_mem ≪ U_T``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..process import GENERIC_180, Process, mosfet
from ..registry import CircuitEntry
from .if_refractory import spike_generator

__all__ = [
    "SwitchedCapLIFParams",
    "switched_cap_lif",
    "tau_sc",
    "transistor_leak_lif",
    "FOLOWOSELE_2009",
    "CATALOG",
    "CHARACTERIZATION",
    "OPTIONS",
]

SUBCKT = "SWITCHED_CAP_LIF"
PORTS = ("in", "vmem", "out", "vdd", "gnd")
U_T = 0.02586  # thermal voltage at 27 °C (V)


@dataclass(frozen=True)
class SwitchedCapLIFParams:
    """Parameters of the switched-capacitor LIF neuron (SI units)."""

    c_mem: float = param(1e-12, unit="F", doc="membrane capacitance C_mem", gt=0, le=1e-9)
    c_s: float = param(100e-15, unit="F", doc="switched leak capacitance C_s", ge=5e-15, le=1e-9)
    f_clk: float = param(100e3, unit="Hz", doc="leak clock frequency f_clk", ge=1.0, le=100e6)
    duty: float = param(0.4, unit="", doc="high fraction of each clock phase", gt=0.05, lt=0.5)
    v_rest: float = param(0.0, unit="V", doc="resting voltage V_rest", ge=0.0, le=0.6)
    v_thr: float = param(0.9, unit="V", doc="firing threshold V_thr", ge=0.3, le=1.5)
    c_k: float = param(0.05e-12, unit="F", doc="pulse/refractory capacitance C_k", gt=0, le=1e-9)
    i_pw: float = param(2e-9, unit="A", doc="pulse-width current I_pw", gt=0, le=1e-5)
    i_rfr: float = param(2e-9, unit="A", doc="refractory current I_rfr", gt=0, le=1e-5)
    i_cmp: float = param(20e-9, unit="A", doc="comparator bias current", gt=0, le=1e-5)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.6)
    w_sw: float = param(0.5e-6, unit="m", doc="switch/inverter width", ge=0.22e-6, le=100e-6)
    l_sw: float = param(0.18e-6, unit="m", doc="switch/inverter length", ge=0.18e-6, le=10e-6)
    w_bias: float = param(1e-6, unit="m", doc="bias/mirror width", ge=0.22e-6, le=100e-6)
    l_bias: float = param(1e-6, unit="m", doc="bias/mirror length", ge=0.18e-6, le=50e-6)

    def __post_init__(self) -> None:
        validate(self)


FOLOWOSELE_2009 = SwitchedCapLIFParams()
"""Switched-capacitor leak after Folowosele, Etienne-Cummings & Hamilton, BioCAS 2009
(circuits.md §1.7); values for the generic 180 nm process: τ = 0.105 ms at 100 kHz."""


def tau_sc(p: SwitchedCapLIFParams) -> float:
    """τ = −T_clk / ln(C_mem/(C_mem + C_s)) in seconds."""
    return -1.0 / (p.f_clk * math.log(p.c_mem / (p.c_mem + p.c_s)))


def _clock_lines(p: SwitchedCapLIFParams) -> list[str]:
    """Two non-overlapping phases φ1 (first half-period) and φ2 as ideal PULSE sources."""
    period = 1.0 / p.f_clk
    high = p.duty * period
    edge = min(0.03 * period, 0.1 * high)
    gap = 0.5 * period - high - edge  # > 0 because duty < 0.5 and edge <= 0.1 high
    lines = []
    for tag, delay in (("1", 0.5 * gap), ("2", 0.5 * period + 0.5 * gap)):
        lines.append(
            f"VCK{tag} phi{tag} gnd PULSE(0 {fmt(p.vdd)} {fmt(delay)} {fmt(edge)} {fmt(edge)} "
            f"{fmt(high - edge)} {fmt(period)})"
        )
    return lines


def switched_cap_lif(
    params: SwitchedCapLIFParams = FOLOWOSELE_2009, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``SWITCHED_CAP_LIF in vmem out vdd gnd`` subcircuit deck (see module equations)."""
    p = params
    ws, ls, wb, lb = p.w_sw, p.l_sw, p.w_bias, p.l_bias

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch)

    lines = [
        "VSENSE in vmem DC 0",
        f"CMEM vmem gnd {fmt(p.c_mem)}",
        f"CS ns gnd {fmt(p.c_s)}",
        f"VREST vrest gnd DC {fmt(p.v_rest)}",
        *_clock_lines(p),
        mos("MS1", "vmem", "phi1", "ns", "gnd", "n", ws, ls),
        mos("MS2", "ns", "phi2", "vrest", "gnd", "n", ws, ls),
        *spike_generator(mos, p.c_k, p.v_thr, p.i_pw, p.i_rfr, p.i_cmp, wb, lb, ws, ls),
    ]
    sub = Subckt(SUBCKT, PORTS, tuple(lines), doc="switched-capacitor LIF neuron")
    return Netlist(
        title="Switched-capacitor LIF neuron",
        subckts=(sub,),
        includes=(process.include(),),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "switched-cap-lif",
            "vdd": p.vdd,
            "c_switched": p.c_k,
            "tau": tau_sc(p),
            "ic": {"vmem": p.v_rest},
            "values": asdict(p),
        },
    )


def transistor_leak_lif(
    c_mem: float,
    tau: float,
    vdd: float = 1.8,
    w: float = 1e-6,
    l: float = 1e-6,
    process: Process = GENERIC_180,
    mismatch=None,
) -> Netlist:
    """A membrane ``C_mem`` with a subthreshold nFET leak of time constant ``tau`` (near 0 V).

    The leak nFET mirrors ``I_0 = C_mem·U_T/τ`` from a diode-connected twin, so for
    ``V_mem ≪ U_T`` its channel conductance is ``I_0/U_T`` and ``τ = C_mem·U_T/I_0``.
    Subcircuit ``TLEAK_LIF in vmem out vdd gnd`` (``out`` unused, tied low by 1 GΩ).
    """
    i0 = c_mem * U_T / tau

    def mos(name, d, g, s, b, kind, ww, ll):
        return mosfet(name, d, g, s, b, kind, ww, ll, process, mismatch=mismatch)

    lines = (
        "VSENSE in vmem DC 0",
        f"CMEM vmem gnd {fmt(c_mem)}",
        f"IB vdd nb DC {fmt(i0)}",
        mos("MBD", "nb", "nb", "gnd", "gnd", "n", w, l),
        mos("MLK", "vmem", "nb", "gnd", "gnd", "n", w, l),
        "ROUT out gnd 1g",
    )
    sub = Subckt("TLEAK_LIF", PORTS, lines, doc="transistor-leak LIF membrane")
    return Netlist(
        title="Transistor-leak LIF membrane",
        subckts=(sub,),
        includes=(process.include(),),
        meta={"subckt": "TLEAK_LIF", "ports": PORTS, "vdd": vdd, "tau": tau, "i0": i0},
    )


def _rate(p: SwitchedCapLIFParams, i: float) -> float:
    """LIF rate with the equivalent resistor R = τ/C_mem (Hz), plus pulse + refractory."""
    tau = tau_sc(p)
    v_inf = p.v_rest + i * tau / p.c_mem
    if v_inf <= p.v_thr:
        return 0.0
    t_int = tau * math.log((v_inf - p.v_rest) / (v_inf - p.v_thr))
    t_dead = p.c_k * 0.5 * p.vdd * (1 / p.i_pw + 1 / p.i_rfr)
    return 1.0 / (t_int + t_dead)


def _i_rh(p: SwitchedCapLIFParams) -> float:
    return (p.v_thr - p.v_rest) * p.c_mem / tau_sc(p)


OPTIONS = {
    "method": "gear",
    "abstol": 1e-13,
    "reltol": 1e-3,
    "chgtol": 1e-16,
    "gmin": 1e-15,
    "rshunt": 1e15,
}
"""Simulator options: nA-level currents need no pA tolerances; 3x fewer clock-edge steps."""

CHARACTERIZATION = {
    "switched-cap-lif": {
        "options": OPTIONS,
        "i_range": lambda p: (0.5 * _i_rh(p), 6.0 * _i_rh(p)),
        "i_scale": "lin",
        "i_ref": lambda p: 2.0 * _i_rh(p),
        "t_stop": lambda p, i: 5.0 / max(_rate(p, i), _rate(p, 2.0 * _i_rh(p))),
        "max_step": lambda p: 0.05 / p.f_clk,
        "threshold": lambda p: 0.5 * p.vdd,
        "probe": "out",
        "t_quiet": lambda p: 20.0 / p.f_clk,
        "mc_points": 3,
    }
}

CATALOG = (
    CircuitEntry(
        name="switched-cap-lif",
        family="neuron",
        params_cls=SwitchedCapLIFParams,
        presets={"folowosele2009": FOLOWOSELE_2009},
        generator=switched_cap_lif,
        doc="LIF neuron whose leak is a switched capacitor driven by two non-overlapping clocks.",
        preset_docs={
            "folowosele2009": "Folowosele, Etienne-Cummings, Hamilton, BioCAS 2009; "
            "circuits.md §1.7",
        },
    ),
)
