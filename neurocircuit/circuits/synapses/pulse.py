"""Mead's pulsed current-source synapse (Mead, *Analog VLSI and Neural Systems*, 1989).

A weight pFET (gate at ``V_dd − V_w``) in series with a pFET switch that a presynaptic pulse
closes. In weak inversion the weight transistor sources, for the duration ``Δt`` of each pulse::

    I_w = I_0 · exp(κ_p V_w / U_T)          (one decade per U_T·ln10/κ_p ≈ 82 mV of V_w)
    Q   = I_w · Δt                          (charge per spike, linear in Δt)
    ⟨I⟩ = I_w · Δt · r                      (mean current at input rate r)

The synapse has no dynamics of its own. Energy per event ≈ V_dd·Q plus the switching energy
of the ``pre`` inverter (≈ 0.35 pJ with 0.2 µs pulse edges). ``pre`` is a digital pulse
(0 → V_dd); an inverter makes the active-low gate of the switch. Subcircuit
``PULSE_SYN pre out vdd gnd``: ``out`` sources I_w (into a neuron's ``in`` port) while ``pre``
is high. The weight voltage is an internal source ``VW vdd vwg`` (an ideal bias: no supply
current).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...units import param, validate
from ..netlist import Netlist, fmt
from ..process import GENERIC_180, Process
from ..registry import CircuitEntry
from ._common import SWITCH_L, SWITCH_W, assemble, inverter, mos_factory

__all__ = ["PulseSynapseParams", "pulse_synapse", "MEAD_1989", "CATALOG", "SUBCKT", "PORTS"]

SUBCKT = "PULSE_SYN"
PORTS = ("pre", "out", "vdd", "gnd")


@dataclass(frozen=True)
class PulseSynapseParams:
    """Parameters of the pulsed current-source synapse (SI units)."""

    v_w: float = param(
        0.3, unit="V", doc="weight bias V_w: source-gate voltage of the weight pFET", ge=0.0,
        le=0.6,
    )
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_w: float = param(1e-6, unit="m", doc="weight transistor width", ge=0.22e-6, le=100e-6)
    l_w: float = param(4e-6, unit="m", doc="weight transistor length", ge=0.18e-6, le=100e-6)

    def __post_init__(self) -> None:
        validate(self)


MEAD_1989 = PulseSynapseParams()
"""Mead 1989 (circuits.md §2.1): V_w = 0.3 V, deep in weak inversion (I_w ≈ 0.25 nA with the
generic 180 nm cards)."""


def pulse_synapse(
    params: PulseSynapseParams = MEAD_1989, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``PULSE_SYN pre out vdd gnd`` subcircuit deck (see the module equations).

    ``mismatch`` is a per-instance sampler (``process.mismatch(seed)``) or ``None``.
    """
    p = params
    mos = mos_factory(process, mismatch)
    lines = [
        *inverter(mos, "INV", "pre", "preb", w=0.22e-6, l=1e-6),
        f"VW vdd vwg DC {fmt(p.v_w)}",
        mos("MW", "x", "vwg", "vdd", "vdd", "p", p.w_w, p.l_w),
        mos("MS", "out", "preb", "x", "vdd", "p", SWITCH_W, SWITCH_L),
    ]
    return assemble(
        subckt=SUBCKT,
        ports=PORTS,
        lines=lines,
        title="Mead pulsed current-source synapse",
        doc="Mead pulsed current-source synapse: weight pFET + switch (Mead 1989)",
        params=p,
        generator="pulse-synapse",
        process=process,
        ic={},
    )


CATALOG = (
    CircuitEntry(
        name="pulse-synapse",
        family="synapse",
        params_cls=PulseSynapseParams,
        presets={"mead": MEAD_1989},
        generator=pulse_synapse,
        doc="Mead's pulsed current-source synapse: switch + weight transistor, Q = I_w·Δt.",
        preset_docs={"mead": "Mead, Analog VLSI and Neural Systems, 1989 (circuits.md §2.1)"},
    ),
)
