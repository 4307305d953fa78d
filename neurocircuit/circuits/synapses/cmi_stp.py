"""Current-mirror integrator (CMI) synapse with short-term depression (Boahen 1998; Rasche &
Hahnloser 2001; Boegershausen, Suter & Liu 2003).

**CMI.** A presynaptic pulse closes the nFET switch above the weight nFET, which pulls the
weight current ``I_w·w`` out of the drain ``V_x`` of the pFET ``M_1`` (gate ``V_syn``). The
pFET ``M_τ`` (gate voltage ``V_τ``) joins ``V_x`` to the gate node ``V_syn`` (on ``C_syn``)
of the mirror ``M_1``/``M_out``: ``M_1`` is a diode through ``M_τ``. During a pulse the weight
current discharges ``C_syn``; afterwards ``M_1`` recharges its own gate with its own current,
so with ``I_syn = I_0 e^{κ(V_dd − V_syn)/U_T}``::

    C_syn dV_syn/dt = I_syn   ⇒   I_syn(t) = I_pk / (1 + t/τ_0),   τ_0 = C_syn U_T/(κ I_pk)

a hyperbolic (∝ 1/t) decay whose time scale depends on the amplitude: the CMI is nonlinear
and history-dependent (circuits.md §2.4). ``V_τ`` limits the recharge current through
``M_τ`` (lower ``V_τ`` → stronger ``M_τ``).

**Short-term depression.** The weight transistor's gate ``V_d`` sits on the depression
capacitor ``C_d``. Each pulse removes the charge ``I_dep·Δt`` (a switched current sink), and a
recovery nFET (gate bias ``I_rec``, drain at the resting level ``V_w0`` of the weight diode)
restores it. With ``u = V_w0 − V_d`` and the efficacy ``w = e^{−κu/U_T}`` (weight current
relative to rest)::

    C_d du/dt = −I_rec (e^{u/U_T} − 1) + I_dep Σ_k rect(t − t_k)
    per pulse: w → w·(1 − δ),  δ = 1 − exp(−κ I_dep Δt/(C_d U_T))
    near rest: dw/dt = (1 − w)/τ_rec,   τ_rec = C_d U_T / I_rec

which is the phenomenological model ``dw/dt = (1 − w)/τ_rec − δ w Σ δ(t − t_k)`` with the
steady state ``w∞ = 1/(1 + δ r τ_rec)`` at rate ``r`` (exact for κ = 1; the deeper depression
recovers somewhat faster for κ < 1). The resting weight current is ``I_w + I_rec`` (the
recovery bias diode is stacked on the weight diode).

Subcircuit ``CMI_STP_SYN pre out vdd gnd``; internal nodes ``vsyn``, ``vx``, ``vd``
(depression), ``vw0``, ``vrec``, ``vdep``, ``vtau``; the zero-volt source ``VEFF`` carries the
weight current (``i(v.<inst>.veff)``: efficacy per spike = its charge).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...units import param, validate
from ..netlist import Netlist, fmt
from ..process import GENERIC_180, Process
from ..registry import CircuitEntry
from ._common import SWITCH_L, SWITCH_W, assemble, bias_n, mos_factory
from .dpi import KAPPA_P_NOMINAL, U_T

__all__ = ["CMISTPParams", "cmi_stp_synapse", "RASCHE_HAHNLOSER_2001", "CATALOG", "SUBCKT",
           "PORTS", "tau_rec_estimate", "delta_estimate", "KAPPA_N_NOMINAL"]

SUBCKT = "CMI_STP_SYN"
PORTS = ("pre", "out", "vdd", "gnd")
KAPPA_N_NOMINAL = 0.774
"""Measured κ of the generic 180 nm nFET (process notes), for estimates only."""


@dataclass(frozen=True)
class CMISTPParams:
    """Parameters of the CMI synapse with short-term depression (SI units)."""

    c_syn: float = param(1e-12, unit="F", doc="CMI capacitance C_syn", gt=0, le=1e-9)
    v_tau: float = param(
        0.9, unit="V", doc="gate voltage V_tau of the CMI diode transistor M_tau", ge=0.0, le=3.3
    )
    i_w: float = param(1e-9, unit="A", doc="resting weight current I_w", gt=0, le=1e-7)
    c_d: float = param(1e-12, unit="F", doc="depression capacitance C_d", gt=0, le=1e-9)
    i_dep: float = param(
        12e-12, unit="A", doc="depression current I_dep (charge I_dep·Δt per pulse)", gt=0,
        le=1e-7,
    )
    i_rec: float = param(0.5e-12, unit="A", doc="recovery bias current I_rec", gt=0, le=1e-8)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_bias: float = param(1e-6, unit="m", doc="width of the analog transistors", ge=0.22e-6,
                          le=100e-6)
    l_bias: float = param(4e-6, unit="m", doc="length of the analog transistors", ge=0.18e-6,
                          le=100e-6)

    def __post_init__(self) -> None:
        validate(self)


RASCHE_HAHNLOSER_2001 = CMISTPParams()
"""Depressing synapse after Rasche & Hahnloser 2001 / Boegershausen et al. 2003 (circuits.md
§2.4): C_d = 1 pF, I_rec = 0.5 pA (τ_rec ≈ 52 ms), I_dep = 12 pA (δ ≈ 0.3 per 1 ms pulse),
CMI C_syn = 1 pF, V_τ = 0.9 V, I_w = 1 nA."""


def tau_rec_estimate(params: CMISTPParams) -> float:
    """``τ_rec = C_d U_T / I_rec`` (s)."""
    return params.c_d * U_T / params.i_rec


def delta_estimate(params: CMISTPParams, width: float, kappa: float = KAPPA_N_NOMINAL) -> float:
    """``δ = 1 − exp(−κ I_dep Δt/(C_d U_T))`` for pulses of ``width`` Δt (s)."""
    import math

    return 1.0 - math.exp(-kappa * params.i_dep * width / (params.c_d * U_T))


def tau_estimate(params: CMISTPParams, i_peak: float, kappa: float = KAPPA_P_NOMINAL) -> float:
    """Initial time constant ``C_syn U_T/(κ I_peak)`` of the hyperbolic CMI decay (s)."""
    return params.c_syn * U_T / (kappa * i_peak)


def cmi_stp_synapse(
    params: CMISTPParams = RASCHE_HAHNLOSER_2001, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``CMI_STP_SYN pre out vdd gnd`` subcircuit deck (see the module equations)."""
    p = params
    w, l = p.w_bias, p.l_bias
    mos = mos_factory(process, mismatch)
    lines = [
        # depression stage
        *bias_n(mos, "BW", "vw0", p.i_w, w, l),
        f"IBREC vdd vrec DC {fmt(p.i_rec)}",
        mos("MBREC", "vrec", "vrec", "vw0", "gnd", "n", w, l),
        mos("MR", "vw0", "vrec", "vd", "gnd", "n", w, l),
        f"CD vd gnd {fmt(p.c_d)}",
        *bias_n(mos, "BDEP", "vdep", p.i_dep, w, l),
        mos("MDS", "vd", "pre", "t2", "gnd", "n", SWITCH_W, SWITCH_L),
        mos("MDD", "t2", "vdep", "gnd", "gnd", "n", w, l),
        # weight branch (efficacy probe VEFF)
        "VEFF vx vxs DC 0",
        mos("MS", "vxs", "pre", "t1", "gnd", "n", SWITCH_W, SWITCH_L),
        mos("MW", "t1", "vd", "gnd", "gnd", "n", w, l),
        # current-mirror integrator
        mos("M1", "vx", "vsyn", "vdd", "vdd", "p", w, l),
        f"VTAU vtau gnd DC {fmt(p.v_tau)}",
        mos("MT", "vsyn", "vtau", "vx", "vdd", "p", w, l),
        f"CSYN vsyn gnd {fmt(p.c_syn)}",
        mos("MO", "out", "vsyn", "vdd", "vdd", "p", w, l),
    ]
    return assemble(
        subckt=SUBCKT,
        ports=PORTS,
        lines=lines,
        title="CMI synapse with short-term depression",
        doc="Current-mirror integrator synapse with short-term depression (Rasche 2001)",
        params=p,
        generator="cmi-stp-synapse",
        process=process,
        ic={"vsyn": p.vdd},
    )


CATALOG = (
    CircuitEntry(
        name="cmi-stp-synapse",
        family="synapse",
        params_cls=CMISTPParams,
        presets={"rasche-hahnloser": RASCHE_HAHNLOSER_2001},
        generator=cmi_stp_synapse,
        doc="Current-mirror integrator with short-term depression (per-spike charge removal).",
        preset_docs={
            "rasche-hahnloser": "Rasche & Hahnloser, Biol. Cybern. 84 (2001); Boegershausen, "
            "Suter & Liu, Neural Comput. 15 (2003) (circuits.md §2.4)",
        },
    ),
)
