"""Log-domain integrator synapse (Merolla & Boahen 2004; reviewed by Bartolozzi & Indiveri 2007).

The synaptic node ``V_syn`` (on ``C_syn``) is the gate of the output pFET and the *source* (and
well) of the input pFET, whose gate sits at the weight voltage ``V_dd − V_w``. While a pulse
closes the switch under it, the input pFET discharges ``C_syn`` with::

    I_in  = I_0 exp(κ(V_syn − V_dd + V_w)/U_T)          (source-referenced, well = source)
    I_syn = I_0 exp(κ(V_dd − V_syn)/U_T)                (output pFET)
    ⇒ I_in · I_syn = I_0² exp(κ V_w/U_T) ≡ I_τ I_∞       (a translinear product: log domain)

A pFET leak ``I_τ`` recharges ``C_syn``; with ``d I_syn/dt = −(κ/U_T) I_syn dV_syn/dt``::

    τ dI_syn/dt + I_syn = I_∞ s(t),     τ = C_syn U_T/(κ I_τ),    I_∞ = I_0² e^{κ V_w/U_T}/I_τ

— a linear, superposable first-order filter whose weight is a voltage (one decade of I_∞ per
U_T ln10/κ of V_w). Between pulses ``V_syn`` rises linearly at ``I_τ/C_syn``, so the PSC decays
exactly exponentially. Subcircuit ``LOG_SYN pre out vdd gnd`` (internal ``vsyn``, ``vtau``,
``vwg``); ``pre`` is a digital pulse, ``out`` sources ``I_syn``. The weight voltage is an
internal ideal source ``VW vdd vwg``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...units import param, validate
from ..netlist import Netlist, fmt
from ..process import GENERIC_180, Process
from ..registry import CircuitEntry
from ._common import SWITCH_L, SWITCH_W, assemble, bias_p, mos_factory
from .dpi import KAPPA_P_NOMINAL, U_T

__all__ = ["LogSynapseParams", "log_domain_synapse", "MEROLLA_BOAHEN_2004", "CATALOG", "SUBCKT",
           "PORTS", "tau_estimate"]

SUBCKT = "LOG_SYN"
PORTS = ("pre", "out", "vdd", "gnd")


@dataclass(frozen=True)
class LogSynapseParams:
    """Parameters of the log-domain integrator synapse (SI units)."""

    c_syn: float = param(1e-12, unit="F", doc="synaptic capacitance C_syn", gt=0, le=1e-9)
    i_tau: float = param(10e-12, unit="A", doc="leak current I_tau (sets tau)", gt=0, le=1e-7)
    v_w: float = param(0.5, unit="V", doc="weight voltage V_w (below V_dd)", ge=0.0, le=0.7)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_bias: float = param(1e-6, unit="m", doc="width of the analog transistors", ge=0.22e-6,
                          le=100e-6)
    l_bias: float = param(4e-6, unit="m", doc="length of the analog transistors", ge=0.18e-6,
                          le=100e-6)

    def __post_init__(self) -> None:
        validate(self)


MEROLLA_BOAHEN_2004 = LogSynapseParams()
"""Log-domain integrator, Merolla & Boahen 2004 (circuits.md §2.2): C_syn = 1 pF, I_τ = 10 pA
(τ ≈ 3.6 ms), V_w = 0.5 V (≈ 0.1 nA PSC peak for a 1 ms pulse)."""


def tau_estimate(params: LogSynapseParams, kappa: float = KAPPA_P_NOMINAL) -> float:
    """``τ = C_syn U_T/(κ I_τ)`` (s)."""
    return params.c_syn * U_T / (kappa * params.i_tau)


def log_domain_synapse(
    params: LogSynapseParams = MEROLLA_BOAHEN_2004, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``LOG_SYN pre out vdd gnd`` subcircuit deck (see the module equations)."""
    p = params
    w, l = p.w_bias, p.l_bias
    mos = mos_factory(process, mismatch)
    lines = [
        f"VW vdd vwg DC {fmt(p.v_w)}",
        mos("MIN", "t1", "vwg", "vsyn", "vsyn", "p", w, l),
        mos("MS", "t1", "pre", "gnd", "gnd", "n", SWITCH_W, SWITCH_L),
        *bias_p(mos, "BTAU", "vtau", p.i_tau, w, l),
        mos("MT", "vsyn", "vtau", "vdd", "vdd", "p", w, l),
        f"CSYN vsyn gnd {fmt(p.c_syn)}",
        mos("MO", "out", "vsyn", "vdd", "vdd", "p", w, l),
    ]
    return assemble(
        subckt=SUBCKT,
        ports=PORTS,
        lines=lines,
        title="Log-domain integrator synapse (Merolla & Boahen 2004)",
        doc="Log-domain integrator synapse (Merolla & Boahen 2004)",
        params=p,
        generator="log-domain-synapse",
        process=process,
        ic={"vsyn": p.vdd},
    )


CATALOG = (
    CircuitEntry(
        name="log-domain-synapse",
        family="synapse",
        params_cls=LogSynapseParams,
        presets={"merolla-boahen": MEROLLA_BOAHEN_2004},
        generator=log_domain_synapse,
        doc="Log-domain integrator synapse: translinear first-order PSC, voltage weight.",
        preset_docs={
            "merolla-boahen": "Merolla & Boahen 2004; Bartolozzi & Indiveri, Neural Comput. "
            "19(10) 2007 (circuits.md §2.2)",
        },
    ),
)
