"""Tau-cell log-domain filter block and the tau-cell LIF neuron (van Schaik & Jin, ISCAS 2003).

**Tau-cell** (subcircuit ``TAU_CELL in out x vdd gnd``, current mode). ``I_in`` sunk into the
diode-connected nFET Q1 (source at the internal reference ``V_ref``) sets its gate; Q2 (same
gate, source on the capacitor node ``x``, drain cascoded at ``V_ref + 0.5 V`` so that its V_DS
matches Q1's) charges ``C``; a mirror sinks ``2 I_τ`` from ``x``;
Q3, diode-connected from ``x`` and fed with ``I_τ``, drives the output nFET Q4 (source at
``V_ref``), which sinks ``I_out`` from ``out``. With bulk-referenced weak-inversion currents
``I = I_0 e^{κ V_G/U_T} e^{−V_S/U_T}`` the translinear loop Q1–Q2–Q3–Q4 gives::

    I_Q2  = I_in · e^{(V_ref − V_x)/U_T},        I_out = I_τ · e^{(V_x − V_ref)/U_T}
    C dV_x/dt = I_Q2 + I_τ − 2 I_τ = I_Q2 − I_τ

    τ dI_out/dt + I_out = I_in,        τ = C·U_T / I_τ

(κ drops out: the capacitor sits on a source node). Unity DC current gain, one pole at
``f_c = I_τ/(2π C U_T)`` ∝ ``I_τ``; n cascaded cells roll off at n × 20 dB/decade. ``x``
is a port so that a neuron can reset the state; ``V_x = V_ref + U_T ln(I_out/I_τ)``.

**Tau-cell neuron** (subcircuit ``TAU_CELL_NEURON in vmem out vdd gnd``): one tau-cell is the
current-mode leaky membrane (``vmem`` is its state node ``x``), ``τ dI_mem/dt + I_mem = I_in``.
``I_mem`` is compared with a mirrored threshold current ``I_thr`` on node ``cmp``; when
``I_mem > I_thr`` an inverter chain (first stage starved by the ``I_ref`` mirror) fires
``out``, a weak pFET feeds current into the input while the spike rises (regenerative;
disabled while ``V_cr`` is high), and the fourth inverter charges ``C_ref`` to ``V_dd``, which
clamps ``x`` to ground (``I_mem → 0``) and the input node to ground (so Q2 does not conduct
``I_in e^{V_ref/U_T}`` into the clamp) for the refractory period. LIF in the current domain::

    T_isi = τ ln(I_in / (I_in − I_thr)) + t_ref,   rheobase I_thr,
    t_ref ≈ C_ref (V_dd − 0.4 V) / I_ref,          E_spike ≥ C_ref V_dd²
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..process import GENERIC_180, Process, mosfet
from ..registry import CircuitEntry
from .dpi_neuron import bias_n, bias_p, t_ref_estimate

__all__ = [
    "TauCellParams",
    "TauCellNeuronParams",
    "tau_cell",
    "tau_cell_neuron",
    "tau_cell_subckt",
    "VAN_SCHAIK_JIN",
    "VAN_SCHAIK_JIN_NEURON",
    "CATALOG",
    "CHARACTERIZATION",
]

CELL = "TAU_CELL"
CELL_PORTS = ("in", "out", "x", "vdd", "gnd")
SUBCKT = "TAU_CELL_NEURON"
PORTS = ("in", "vmem", "out", "vdd", "gnd")
U_T_27C = 0.025865
V_CASCODE = 0.5
"""Gate of the Q2 drain cascode above ``V_ref`` (V): keeps V_DS(Q2) ≈ V_DS(Q1) (DIBL match)."""


@dataclass(frozen=True)
class TauCellParams:
    """Parameters of one tau-cell (SI units)."""

    c: float = param(1e-12, unit="F", doc="state capacitance C", gt=0, le=1e-9)
    i_tau: float = param(10e-12, unit="A", doc="bias current I_tau (sets tau)", gt=0, le=1e-6)
    v_ref: float = param(0.2, unit="V", doc="source reference V_ref", ge=0.1, le=0.6)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w: float = param(1e-6, unit="m", doc="transistor width", ge=0.22e-6, le=100e-6)
    l: float = param(4e-6, unit="m", doc="transistor length", ge=0.18e-6, le=100e-6)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def tau(self) -> float:
        """``τ = C U_T / I_τ`` at 27 °C (s)."""
        return self.c * U_T_27C / self.i_tau


@dataclass(frozen=True)
class TauCellNeuronParams:
    """Parameters of the tau-cell LIF neuron (SI units)."""

    c_mem: float = param(1e-12, unit="F", doc="membrane (state) capacitance", gt=0, le=1e-9)
    i_tau: float = param(5e-12, unit="A", doc="leak current I_tau (sets tau)", gt=0, le=1e-6)
    i_thr: float = param(50e-12, unit="A", doc="spike threshold current I_thr", gt=0, le=1e-6)
    v_ref: float = param(0.2, unit="V", doc="source reference V_ref", ge=0.1, le=0.6)
    c_ref: float = param(0.5e-12, unit="F", doc="refractory capacitance C_ref", gt=0, le=1e-9)
    i_ref: float = param(1e-9, unit="A", doc="refractory discharge current I_ref", gt=0, le=1e-5)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w: float = param(1e-6, unit="m", doc="cell and bias transistor width", ge=0.22e-6, le=100e-6)
    l: float = param(4e-6, unit="m", doc="cell and bias transistor length", ge=0.18e-6, le=100e-6)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def tau(self) -> float:
        """``τ = C_mem U_T / I_τ`` at 27 °C (s)."""
        return self.c_mem * U_T_27C / self.i_tau

    def cell(self) -> TauCellParams:
        """The membrane tau-cell's parameters."""
        return TauCellParams(
            c=self.c_mem, i_tau=self.i_tau, v_ref=self.v_ref, vdd=self.vdd, w=self.w, l=self.l
        )


VAN_SCHAIK_JIN = TauCellParams()
"""van Schaik & Jin, ISCAS 2003 (circuits.md §1.5); C = 1 pF, I_τ = 10 pA → τ ≈ 2.6 ms."""

VAN_SCHAIK_JIN_NEURON = TauCellNeuronParams()
"""Tau-cell LIF (van Schaik & Jin 2003; van Schaik et al. ISCAS 2010): τ ≈ 5.2 ms,
rheobase I_thr = 50 pA, t_ref ≈ 0.7 ms (values chosen here)."""


def tau_cell_subckt(p: TauCellParams, process: Process = GENERIC_180, mismatch=None) -> Subckt:
    """The ``TAU_CELL in out x vdd gnd`` subcircuit (module equations)."""

    def mos(name, d, g, s, b, kind, w, l, m=1):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch, m=m)

    lines = (
        f"VREF vr gnd DC {fmt(p.v_ref)}",
        mos("MQ1", "in", "in", "vr", "gnd", "n", p.w, p.l),
        f"VCAS vc gnd DC {fmt(p.v_ref + V_CASCODE)}",
        mos("MQC", "vdd", "vc", "d2", "gnd", "n", p.w, p.l),
        mos("MQ2", "d2", "in", "x", "gnd", "n", p.w, p.l),
        f"CX x gnd {fmt(p.c)}",
        mos("MQ5", "x", "vbt", "gnd", "gnd", "n", p.w, p.l, m=2),
        *bias_n(mos, "BT", "vbt", p.i_tau, p.w, p.l),
        mos("MQ3", "g3", "g3", "x", "gnd", "n", p.w, p.l),
        mos("MQ6", "g3", "pbt", "vdd", "vdd", "p", p.w, p.l),
        *bias_p(mos, "BTP", "pbt", p.i_tau, p.w, p.l),
        mos("MQ4", "out", "g3", "vr", "gnd", "n", p.w, p.l),
    )
    return Subckt(CELL, CELL_PORTS, lines, doc="tau-cell log-domain LPF (van Schaik & Jin 2003)")


def tau_cell(
    params: TauCellParams = VAN_SCHAIK_JIN, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The tau-cell block deck: subcircuit ``TAU_CELL in out x vdd gnd``."""
    return Netlist(
        title="Tau-cell log-domain low-pass filter (van Schaik & Jin 2003)",
        subckts=(tau_cell_subckt(params, process, mismatch),),
        includes=(process.include(),),
        meta={
            "subckt": CELL,
            "ports": CELL_PORTS,
            "params": params,
            "generator": "tau-cell",
            "vdd": params.vdd,
            "values": asdict(params),
        },
    )


def tau_cell_neuron(
    params: TauCellNeuronParams = VAN_SCHAIK_JIN_NEURON,
    process: Process = GENERIC_180,
    mismatch=None,
) -> Netlist:
    """The ``TAU_CELL_NEURON in vmem out vdd gnd`` deck, built on a ``TAU_CELL`` instance."""
    p = params

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch)

    cell = tau_cell_subckt(p.cell(), process, mismatch)
    lines = (
        cell.instance("CELL", ("in", "cmp", "vmem", "vdd", "gnd")),
        *bias_p(mos, "BTH", "pth", p.i_thr, p.w, p.l),
        mos("MTH", "cmp", "pth", "vdd", "vdd", "p", p.w, p.l),
        mos("MI1P", "a", "cmp", "vdd", "vdd", "p", 0.5e-6, 1e-6),
        mos("MI1N", "a", "cmp", "s1", "gnd", "n", 0.5e-6, 1e-6),
        mos("MI1S", "s1", "vrf", "gnd", "gnd", "n", p.w, p.l),
        mos("MI2P", "b", "a", "vdd", "vdd", "p", 0.22e-6, 2e-6),
        mos("MI2N", "b", "a", "gnd", "gnd", "n", 0.22e-6, 2e-6),
        mos("MI3P", "out", "b", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MI3N", "out", "b", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
        mos("MFB", "in", "b", "fb", "vdd", "p", 0.22e-6, 2e-6),
        mos("MFE", "fb", "vcr", "vdd", "vdd", "p", 0.22e-6, 0.18e-6),
        mos("MI4P", "n2", "out", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MI4N", "n2", "out", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
        mos("MRC", "vcr", "n2", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MRD", "vcr", "vrf", "gnd", "gnd", "n", p.w, p.l),
        *bias_n(mos, "BRF", "vrf", p.i_ref, p.w, p.l),
        f"CREF vcr gnd {fmt(p.c_ref)}",
        mos("MCL", "vmem", "vcr", "gnd", "gnd", "n", 1e-6, 0.5e-6),
        mos("MCI", "in", "vcr", "gnd", "gnd", "n", 1e-6, 0.5e-6),
    )
    sub = Subckt(SUBCKT, PORTS, lines, doc="tau-cell LIF neuron (van Schaik & Jin)")
    return Netlist(
        title="Tau-cell current-mode LIF neuron (van Schaik & Jin)",
        subckts=(cell, sub),
        includes=(process.include(),),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "tau-cell-neuron",
            "vdd": p.vdd,
            "c_switched": p.c_ref,
            "ic": {"vmem": 0.0},
            "values": asdict(p),
        },
    )


def isi_estimate(p: TauCellNeuronParams, i_in: float) -> float:
    """LIF inter-spike interval ``τ ln(I/(I − I_thr)) + t_ref`` (s); inf at or below rheobase."""
    if i_in <= p.i_thr:
        return math.inf
    return p.tau * math.log(i_in / (i_in - p.i_thr)) + t_ref_estimate(p.c_ref, p.i_ref, p.vdd)


CHARACTERIZATION = {
    "tau-cell-neuron": {
        "i_range": lambda p: (0.8 * p.i_thr, 50.0 * p.i_thr),
        "i_scale": "log",
        "i_ref": lambda p: 3.0 * p.i_thr,
        "t_stop": lambda p, i: min(6.0 * isi_estimate(p, i), 30.0 * p.tau),
        "max_step": lambda p: t_ref_estimate(p.c_ref, p.i_ref, p.vdd) / 20.0,
        "threshold": lambda p: 0.5 * p.vdd,
        "probe": "out",
        # The spike generator's output crosses mid-supply for ~50 ns about 3 us before each
        # spike pulse; no neuron fires twice within its refractory period, so crossings closer
        # than half of it are one spike.
        "min_isi": lambda p: 0.5 * t_ref_estimate(p.c_ref, p.i_ref, p.vdd),
        "t_quiet": lambda p: 10.0 * t_ref_estimate(p.c_ref, p.i_ref, p.vdd),
    }
}

CATALOG = (
    CircuitEntry(
        name="tau-cell",
        family="block",
        params_cls=TauCellParams,
        presets={"van-schaik-jin": VAN_SCHAIK_JIN},
        generator=tau_cell,
        doc="Tau-cell current-mode log-domain low-pass block (ports in out x vdd gnd).",
        preset_docs={"van-schaik-jin": "van Schaik & Jin, ISCAS 2003 (circuits.md §1.5)"},
    ),
    CircuitEntry(
        name="tau-cell-neuron",
        family="neuron",
        params_cls=TauCellNeuronParams,
        presets={"van-schaik-jin": VAN_SCHAIK_JIN_NEURON},
        generator=tau_cell_neuron,
        doc="Tau-cell LIF neuron: current-mode membrane, threshold current, reset, refractory.",
        preset_docs={
            "van-schaik-jin": "van Schaik & Jin ISCAS 2003; van Schaik et al. ISCAS 2010",
        },
    ),
)
