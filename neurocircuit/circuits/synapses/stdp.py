"""STDP learning synapse with bistable weight refresh (Indiveri, Chicca & Douglas 2006).

**Pre trace.** Each presynaptic pulse resets the gate ``V_pt`` of the potentiation pFET to
the level that makes it carry ``I_A+`` (a pFET bias diode, buffered); between pulses a pFET
leak ``I_τ+`` raises ``V_pt`` linearly, so the potentiation current decays exponentially::

    I_pot(t) = I_A+ · e^{−t/τ+},      τ+ = C_pt U_T / (κ_p I_τ+)

**Post trace.** Each postsynaptic pulse resets the gate ``V_dt`` of the depression nFET to the
``I_A−`` level; an nFET leak ``I_τ−`` lowers it linearly::

    I_dep(t) = I_A− · e^{−t/τ−},      τ− = C_dt U_T / (κ_n I_τ−)

**Weight updates.** A post pulse (width Δt_p) connects the potentiation pFET to the weight
node ``w`` (on ``C_w``), a pre pulse (width Δt_p) connects the depression nFET to it. For a
pre/post pair with ``Δt = t_post − t_pre``::

    ΔV_w = +A+ e^{−Δt/τ+}   (Δt > 0),      A+ = I_A+ Δt_p / C_w
    ΔV_w = −A− e^{+Δt/τ−}   (Δt < 0),      A− = I_A− Δt_p / C_w

(measured from pulse onsets; the traces start decaying at the end of the resetting pulse).
**Bistability** (``bistable=True``): the amplifier of :mod:`.bistable` on ``w`` then drives
``V_w`` to ``V_high`` or ``V_low`` at ``±I_bist/C_w`` between events (only two long-term
states; flip-over only when θ_w is crossed).

**Output.** While ``pre`` is high and the weight is potentiated, ``out`` sources ``I_syn``: a
pFET bias source, a pFET switch (``pre``) and an nFET pass transistor gated by ``V_w`` itself
(on for ``V_w`` high, off for ``V_w`` low; the binary weight gates the excitatory current
without loading ``w`` or burning a crowbar current at intermediate weights).

Subcircuit ``STDP_SYN pre post out w vdd gnd``; ``w`` is the weight node (port, so that it can
be probed or initialised); internal nodes ``vpt``, ``vdt``, ``vap``, ``vad``, ``vtp``,
``vtd``, ``vsb``, ``o1``, ``o2``. With ``bistable=True`` the ``BISTABLE w vdd gnd``
subcircuit is instantiated as ``XB`` (and holds ``C_w``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...units import param, validate
from ..netlist import Netlist, fmt
from ..process import GENERIC_180, Process
from ..registry import CircuitEntry
from ._common import SWITCH_L, SWITCH_W, assemble, bias_n, bias_p, inverter, mos_factory
from .bistable import BistableParams, bistable_synapse
from .cmi_stp import KAPPA_N_NOMINAL
from .dpi import KAPPA_P_NOMINAL, U_T

__all__ = ["STDPParams", "stdp_synapse", "INDIVERI_2006_STDP", "INDIVERI_2006_STDP_PLAIN",
           "CATALOG", "SUBCKT", "PORTS", "tau_plus_estimate", "tau_minus_estimate",
           "amplitude_estimates"]

SUBCKT = "STDP_SYN"
PORTS = ("pre", "post", "out", "w", "vdd", "gnd")


@dataclass(frozen=True)
class STDPParams:
    """Parameters of the STDP synapse with optional bistable refresh (SI units)."""

    c_w: float = param(1e-12, unit="F", doc="weight capacitance C_w", gt=0, le=1e-9)
    c_pt: float = param(1e-12, unit="F", doc="pre-trace capacitance C_pt", gt=0, le=1e-9)
    c_dt: float = param(1e-12, unit="F", doc="post-trace capacitance C_dt", gt=0, le=1e-9)
    i_ap: float = param(1e-9, unit="A", doc="potentiation current I_A+ at the pre spike", gt=0,
                        le=1e-7)
    i_ad: float = param(1e-9, unit="A", doc="depression current I_A- at the post spike", gt=0,
                        le=1e-7)
    i_tp: float = param(3.6e-12, unit="A", doc="pre-trace leak I_tau+ (sets tau+)", gt=0,
                        le=1e-7)
    i_td: float = param(3.3e-12, unit="A", doc="post-trace leak I_tau- (sets tau-)", gt=0,
                        le=1e-7)
    i_syn: float = param(1e-9, unit="A", doc="output current while pre and w high", gt=0,
                         le=1e-7)
    bistable: bool = param(True, doc="include the bistable weight-refresh amplifier")
    i_bist: float = param(5e-12, unit="A", doc="bistability current I_bist", gt=0, le=1e-7)
    v_thw: float = param(0.9, unit="V", doc="bistability threshold theta_w", ge=0.3, le=3.0)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_bias: float = param(1e-6, unit="m", doc="width of the analog transistors", ge=0.22e-6,
                          le=100e-6)
    l_bias: float = param(4e-6, unit="m", doc="length of the analog transistors", ge=0.18e-6,
                          le=100e-6)

    def __post_init__(self) -> None:
        validate(self)
        if self.bistable:
            self.bistable_params()  # θ_w must lie below V_dd − 0.3 V

    def bistable_params(self) -> BistableParams:
        """The refresh amplifier's parameters."""
        return BistableParams(c_w=self.c_w, i_bist=self.i_bist, v_thw=self.v_thw, vdd=self.vdd,
                              w_bias=self.w_bias, l_bias=self.l_bias)


INDIVERI_2006_STDP = STDPParams()
"""Indiveri, Chicca & Douglas, IEEE TNN 17(1) 2006 (circuits.md §2.5), scaled to this process:
C_w = C_pt = C_dt = 1 pF, τ± ≈ 10 ms (I_τ+ = 3.6 pA, I_τ− = 3.3 pA), A± ≈ 0.1 V for 0.1 ms
pulses (I_A± = 1 nA), bistable refresh I_bist = 5 pA, θ_w = 0.9 V."""

INDIVERI_2006_STDP_PLAIN = STDPParams(bistable=False)
""":data:`INDIVERI_2006_STDP` without the bistable amplifier (pure STDP window on C_w)."""


def tau_plus_estimate(p: STDPParams, kappa: float = KAPPA_P_NOMINAL) -> float:
    """``τ+ = C_pt U_T/(κ_p I_τ+)`` (s)."""
    return p.c_pt * U_T / (kappa * p.i_tp)


def tau_minus_estimate(p: STDPParams, kappa: float = KAPPA_N_NOMINAL) -> float:
    """``τ− = C_dt U_T/(κ_n I_τ−)`` (s)."""
    return p.c_dt * U_T / (kappa * p.i_td)


def amplitude_estimates(p: STDPParams, width: float) -> tuple[float, float]:
    """``(A+, A−) = (I_A+, I_A−)·Δt_p/C_w`` (V) for pulses of ``width`` (s)."""
    return p.i_ap * width / p.c_w, p.i_ad * width / p.c_w


def stdp_synapse(
    params: STDPParams = INDIVERI_2006_STDP, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``STDP_SYN pre post out w vdd gnd`` subcircuit deck (see the module equations)."""
    p = params
    w, l = p.w_bias, p.l_bias
    mos = mos_factory(process, mismatch)
    lines = [
        *inverter(mos, "IPRE", "pre", "preb"),
        *inverter(mos, "IPOST", "post", "postb"),
        # pre trace: reset to the I_A+ level at each pre pulse, pFET leak I_tau+
        *bias_p(mos, "BAP", "vap", p.i_ap, w, l),
        "EAP vapb gnd vap gnd 1",
        mos("MPR", "vpt", "preb", "vapb", "vdd", "p", SWITCH_W, SWITCH_L),
        *bias_p(mos, "BTP", "vtp", p.i_tp, w, l),
        mos("MTP", "vpt", "vtp", "vdd", "vdd", "p", w, l),
        f"CPT vpt gnd {fmt(p.c_pt)}",
        # post trace: reset to the I_A- level at each post pulse, nFET leak I_tau-
        *bias_n(mos, "BAD", "vad", p.i_ad, w, l),
        "EAD vadb gnd vad gnd 1",
        mos("MDR", "vdt", "post", "vadb", "gnd", "n", SWITCH_W, SWITCH_L),
        *bias_n(mos, "BTD", "vtd", p.i_td, w, l),
        mos("MTD", "vdt", "vtd", "gnd", "gnd", "n", w, l),
        f"CDT vdt gnd {fmt(p.c_dt)}",
        # potentiation at post pulses, depression at pre pulses
        mos("MP", "p1", "vpt", "vdd", "vdd", "p", w, l),
        mos("MPS", "w", "postb", "p1", "vdd", "p", SWITCH_W, SWITCH_L),
        mos("MDS", "w", "pre", "d1", "gnd", "n", SWITCH_W, SWITCH_L),
        mos("MD", "d1", "vdt", "gnd", "gnd", "n", w, l),
        # output: I_syn while pre is high and the weight is potentiated
        *bias_p(mos, "BSYN", "vsb", p.i_syn, w, l),
        mos("MO1", "o1", "vsb", "vdd", "vdd", "p", w, l),
        mos("MO2", "o2", "preb", "o1", "vdd", "p", SWITCH_W, SWITCH_L),
        mos("MO3", "o2", "w", "out", "gnd", "n", SWITCH_W, SWITCH_L),
    ]
    extra = ()
    if p.bistable:
        bist = bistable_synapse(p.bistable_params(), process, mismatch)
        extra = bist.subckts
        lines.append("XB w vdd gnd BISTABLE")
    else:
        lines.append(f"CW w gnd {fmt(p.c_w)}")
    return assemble(
        subckt=SUBCKT,
        ports=PORTS,
        lines=lines,
        title="STDP synapse with bistable weight (Indiveri, Chicca & Douglas 2006)",
        doc="STDP learning synapse: pre/post traces, weight capacitor, bistable refresh",
        params=p,
        generator="stdp-synapse",
        process=process,
        ic={"vpt": p.vdd, "vdt": 0.0},
        extra_subckts=extra,
    )


CATALOG = (
    CircuitEntry(
        name="stdp-synapse",
        family="synapse",
        params_cls=STDPParams,
        presets={
            "indiveri2006": INDIVERI_2006_STDP,
            "indiveri2006-plain": INDIVERI_2006_STDP_PLAIN,
        },
        generator=stdp_synapse,
        doc="STDP learning synapse: exponential pre/post traces, weight cap, bistable refresh.",
        preset_docs={
            "indiveri2006": "Indiveri, Chicca & Douglas, IEEE TNN 17(1):211-221, 2006 "
            "(circuits.md §2.5)",
            "indiveri2006-plain": "as 'indiveri2006' without the bistable refresh amplifier",
        },
    ),
)
