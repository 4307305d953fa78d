"""Building blocks shared by the synapse generators: bias mirrors, switches, deck assembly.

Every bias current is a DC source on ``vdd`` into a diode-connected transistor, so the supply
current probe sees the whole consumption of the synapse (bias branches included)::

    n-bias:  I_b from vdd into the diode nFET  →  V_g = V_T,n + (U_T/κ_n) ln(I_b/I_0,n)
    p-bias:  I_b from the diode pFET to gnd    →  V_dd − V_g = |V_T,p| + (U_T/κ_p) ln(I_b/I_0,p)

A transistor of the same W/L whose gate sits on that node and whose source sits on the same
rail carries ``I_b`` again (in saturation). Each bias line has 100 fF to its rail (a shared
bias line is long; it also keeps fast pulse edges from kicking the GΩ-impedance diode nodes).
Reference levels that must be low-impedance (trace reset levels) are taken from such a diode
through an ideal unity buffer ``E`` (a shared bias generator off the synapse in a real chip;
its power is not in the supply probe).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from ..netlist import Netlist, Subckt, fmt
from ..process import Process, mosfet

__all__ = ["Mos", "mos_factory", "bias_n", "bias_p", "inverter", "assemble", "SWITCH_W", "SWITCH_L",
           "BIAS_DECOUPLING"]

Mos = Callable[[str, str, str, str, str, str, float, float], str]

SWITCH_W = 0.5e-6
"""Width of the pulse switches (m)."""
SWITCH_L = 0.5e-6
"""Length of the pulse switches (m): 0.5 µm keeps the off-state leakage (DIBL) near 0.1 pA."""


def mos_factory(process: Process, mismatch) -> Mos:
    """``mos(name, d, g, s, b, kind, w, l)`` writing element lines with ``mismatch`` applied."""

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch)

    return mos


BIAS_DECOUPLING = 100e-15
"""Capacitance of each bias line to its rail (F): a shared bias line is long and loaded."""


def bias_n(mos: Mos, name: str, node: str, current: float, w: float, l: float) -> tuple[str, ...]:
    """A bias current ``current`` from ``vdd`` into a diode-connected nFET at ``node``."""
    return (
        f"I{name} vdd {node} DC {fmt(current)}",
        mos(f"M{name}", node, node, "gnd", "gnd", "n", w, l),
        f"C{name} {node} gnd {fmt(BIAS_DECOUPLING)}",
    )


def bias_p(mos: Mos, name: str, node: str, current: float, w: float, l: float) -> tuple[str, ...]:
    """A bias current ``current`` drawn from a diode-connected pFET at ``node`` to ``gnd``."""
    return (
        mos(f"M{name}", node, node, "vdd", "vdd", "p", w, l),
        f"I{name} {node} gnd DC {fmt(current)}",
        f"C{name} {node} vdd {fmt(BIAS_DECOUPLING)}",
    )


def inverter(mos: Mos, name: str, inp: str, out: str, w: float = 0.22e-6, l: float = 0.36e-6):
    """A static CMOS inverter ``inp → out``."""
    return (
        mos(f"M{name}P", out, inp, "vdd", "vdd", "p", 2 * w, l),
        mos(f"M{name}N", out, inp, "gnd", "gnd", "n", w, l),
    )


def assemble(
    *,
    subckt: str,
    ports: tuple[str, ...],
    lines: list[str] | tuple[str, ...],
    title: str,
    doc: str,
    params,
    generator: str,
    process: Process,
    ic: dict[str, float],
    extra_subckts: tuple[Subckt, ...] = (),
    extra_meta: dict | None = None,
) -> Netlist:
    """The synapse deck: one subcircuit (plus nested ones), the model include and ``meta``.

    ``meta`` holds ``subckt``, ``ports``, ``params``, ``generator``, ``vdd`` and ``ic`` (initial
    voltages of internal nodes, keyed by the node name inside the subcircuit).
    """
    sub = Subckt(subckt, ports, tuple(lines), doc=doc)
    meta = {
        "subckt": subckt,
        "ports": ports,
        "params": params,
        "generator": generator,
        "vdd": params.vdd,
        "ic": dict(ic),
        "values": asdict(params),
        "family": "synapse",
    }
    meta.update(extra_meta or {})
    return Netlist(
        title=title,
        subckts=(*extra_subckts, sub),
        includes=(process.include(),),
        meta=meta,
    )


def fmt_v(value: float) -> str:
    """A voltage for a deck."""
    return fmt(value)
