"""Differential-pair integrator (DPI) synapse (Bartolozzi & Indiveri 2007; Chicca et al. 2014).

A presynaptic pulse closes an nFET switch above the weight nFET (tail current ``I_w``). An
nFET differential pair splits the tail between the threshold branch (gate ``V_thr``, set by a
pFET diode carrying ``I_th``; drain at ``V_dd``) and the diode-connected branch that
discharges the synaptic node ``V_syn``. A pFET leak ``I_τ`` recharges ``C_syn`` towards
``V_dd``; the output pFET (gate ``V_syn``) sources ``I_syn = I_0 exp(κ(V_dd − V_syn)/U_T)``.
With ``I_syn/I_th = exp(κ(V_thr − V_syn)/U_T)`` the pair sinks ``I_w/(1 + I_syn/I_th)`` from
``C_syn``, so (teili form, one κ for the nFET pair and the pFET output, as in Bartolozzi &
Indiveri 2007)::

    τ (1 + I_th/I_syn) dI_syn/dt + I_syn = (I_th/I_τ) I_w s(t) − I_th,   τ = C_syn U_T/(κ I_τ)

For ``I_syn ≫ I_th`` this is a linear first-order filter:

* per pulse of width Δt: ``I⁺ = I⁻ e^{−Δt/τ} + (I_th I_w/I_τ)(1 − e^{−Δt/τ})``, then an
  exponential decay ``I_syn ∝ e^{−t/τ}``;
* saturation (long pulse): ``I_∞ = I_th I_w / I_τ`` — the gain is ``I_th/I_τ``;
* train of rate r: ``⟨I_syn⟩ ≈ (I_th/I_τ) I_w Δt r`` (linear in r; trains superpose).

The pair's nFETs have κ_n ≈ 0.77 and the output pFET κ_p ≈ 0.72, so the pair really splits
``I_w/(1 + (I_syn/I_th)^{κ_n/κ_p})``: a ≈7 % power-law departure from the ideal filter (e.g.
``I_∞ = I_th (I_w/I_τ − 1)^{κ_p/κ_n}``); τ of the decay is exactly ``C_syn U_T/(κ_p I_τ)``.

Subcircuit ``DPI_SYN pre out vdd gnd`` (internal: ``vsyn``, ``vthr``, ``vtau``, ``vwb``);
``pre`` is a digital pulse (0 → V_dd), ``out`` sources ``I_syn``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...units import param, validate
from ..netlist import Netlist, fmt
from ..process import GENERIC_180, Process
from ..registry import CircuitEntry
from ._common import SWITCH_L, SWITCH_W, assemble, bias_n, bias_p, mos_factory

__all__ = ["DPISynapseParams", "dpi_synapse", "TEILI_DPI_SYN", "CATALOG", "SUBCKT", "PORTS",
           "tau_estimate", "KAPPA_P_NOMINAL"]

SUBCKT = "DPI_SYN"
PORTS = ("pre", "out", "vdd", "gnd")
U_T = 0.025864
KAPPA_P_NOMINAL = 0.723
"""Measured κ of the generic 180 nm pFET (process notes), for estimates only."""


@dataclass(frozen=True)
class DPISynapseParams:
    """Parameters of the DPI synapse (SI units); biases are currents through bias mirrors."""

    c_syn: float = param(1.5e-12, unit="F", doc="synaptic capacitance C_syn", gt=0, le=1e-9)
    i_tau: float = param(10e-12, unit="A", doc="leak current I_tau (sets tau)", gt=0, le=1e-7)
    i_th: float = param(20e-12, unit="A", doc="threshold (gain) current I_th", gt=0, le=1e-7)
    i_w: float = param(2e-9, unit="A", doc="weight current I_w (tail)", gt=0, le=1e-7)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_bias: float = param(1e-6, unit="m", doc="width of the analog transistors", ge=0.22e-6,
                          le=100e-6)
    l_bias: float = param(4e-6, unit="m", doc="length of the analog transistors", ge=0.18e-6,
                          le=100e-6)

    def __post_init__(self) -> None:
        validate(self)


TEILI_DPI_SYN = DPISynapseParams()
"""teili DPI synapse defaults (circuits.md §2.3): C_syn = 1.5 pF, I_τ = 10 pA (τ ≈ 5.4 ms);
I_th = 20 pA (gain 2) and I_w = 2 nA scaled up from teili's 7–50 pA so that a 1 ms pulse
lifts I_syn well above I_th (the linear regime)."""


def tau_estimate(params: DPISynapseParams, kappa: float = KAPPA_P_NOMINAL) -> float:
    """``τ = C_syn U_T/(κ I_τ)`` (s)."""
    return params.c_syn * U_T / (kappa * params.i_tau)


def dpi_synapse(
    params: DPISynapseParams = TEILI_DPI_SYN, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``DPI_SYN pre out vdd gnd`` subcircuit deck (see the module equations)."""
    p = params
    w, l = p.w_bias, p.l_bias
    mos = mos_factory(process, mismatch)
    lines = [
        *bias_n(mos, "BW", "vwb", p.i_w, w, l),
        mos("MW", "t1", "vwb", "gnd", "gnd", "n", w, l),
        mos("MS", "vx", "pre", "t1", "gnd", "n", SWITCH_W, SWITCH_L),
        mos("MA", "vdd", "vthr", "vx", "gnd", "n", w, l),
        mos("MB", "vsyn", "vsyn", "vx", "gnd", "n", w, l),
        *bias_p(mos, "BTH", "vthr", p.i_th, w, l),
        *bias_p(mos, "BTAU", "vtau", p.i_tau, w, l),
        mos("MT", "vsyn", "vtau", "vdd", "vdd", "p", w, l),
        f"CSYN vsyn gnd {fmt(p.c_syn)}",
        mos("MO", "out", "vsyn", "vdd", "vdd", "p", w, l),
    ]
    return assemble(
        subckt=SUBCKT,
        ports=PORTS,
        lines=lines,
        title="DPI synapse (Bartolozzi & Indiveri 2007)",
        doc="Differential-pair integrator synapse (Bartolozzi & Indiveri 2007)",
        params=p,
        generator="dpi-synapse",
        process=process,
        ic={"vsyn": p.vdd},
    )


CATALOG = (
    CircuitEntry(
        name="dpi-synapse",
        family="synapse",
        params_cls=DPISynapseParams,
        presets={"teili": TEILI_DPI_SYN},
        generator=dpi_synapse,
        doc="Differential-pair integrator synapse: linear first-order PSC, gain I_th/I_tau.",
        preset_docs={
            "teili": "Bartolozzi & Indiveri, Neural Comput. 19(10) 2007; teili DPI defaults "
            "(circuits.md §2.3), I_w and I_th scaled for 1 ms pulses",
        },
    ),
)
