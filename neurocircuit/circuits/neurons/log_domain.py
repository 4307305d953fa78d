"""Log-domain low-pass-filter neuron with superlinear positive feedback (Arthur & Boahen style).

The membrane is a translinear (log-domain) low-pass filter: the input current ``I_in`` is the
tail of a pFET differential pair (gates ``V_thr`` and ``V_mem``) that charges ``C_mem``, and an
nFET mirror of ``I_τ`` discharges it. With ``u = I_mem/I_th = exp(κ(V_mem − V_thr)/U_T)``
and ``u ≫ 1``::

    τ dI_mem/dt + I_mem = (I_th/I_τ)·I_in + f(I_mem),        τ = C_mem U_T/(κ I_τ)

(Arthur & Boahen, IEEE TCAS-I 58(5), 2011: the LPF equation with ``I_0 = I_th``). The positive
feedback is an nFET with gate ``V_mem`` whose current, mirrored by pFETs onto ``C_mem``, is
``g·I_mem`` with the geometric gain ``g = (W_fb/L_fb)/(W/L)``. Injected on the capacitor it
becomes quadratic in the current domain::

    f(I_mem) = I_mem² / I_p,      I_p = I_τ / g

so with ``x = I_mem/I_p`` and ``i = I_th·I_in/(I_τ·I_p)`` the membrane is the quadratic I&F
``τ dx/dt = −x + x² + i``: a saddle-node on invariant circle at ``i = 1/4``, i.e. rheobase
``I_rh = I_τ·I_p/(4 I_th)``, and near onset (type I)::

    f ≈ √(i − 1/4) / (π τ)   ∝ (I_in − I_rh)^{1/2}

Spike, reset and refractory reuse the DPI neuron's block (inverters, regenerative pFET,
refractory capacitor ``C_ref`` clamping ``V_mem`` to ground for
``t_ref ≈ C_ref (V_dd − 0.4 V)/I_ref``); ``E_spike ≥ C_ref V_dd²``.

Subcircuit ``LOG_DOMAIN_NEURON in vmem out vdd gnd``; bias currents are sources on ``vdd``
into diode-connected transistors.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..process import GENERIC_180, Process, mosfet
from ..registry import CircuitEntry
from .dpi_neuron import bias_n, input_mirror, spike_reset_block, t_ref_estimate

__all__ = [
    "LogDomainParams",
    "log_domain_neuron",
    "ARTHUR_BOAHEN",
    "rheobase_estimate",
    "CATALOG",
    "CHARACTERIZATION",
]

SUBCKT = "LOG_DOMAIN_NEURON"
PORTS = ("in", "vmem", "out", "vdd", "gnd")


@dataclass(frozen=True)
class LogDomainParams:
    """Parameters of the log-domain LPF neuron (SI units)."""

    c_mem: float = param(1e-12, unit="F", doc="membrane capacitance C_mem", gt=0, le=1e-9)
    i_tau: float = param(10e-12, unit="A", doc="leak current I_tau (sets tau)", gt=0, le=1e-6)
    i_th: float = param(10e-12, unit="A", doc="LPF gain current I_th (I_0)", gt=0, le=1e-6)
    w_fb: float = param(
        0.5e-6, unit="m", doc="feedback transistor width W_fb", ge=0.22e-6, le=100e-6
    )
    l_fb: float = param(
        80e-6, unit="m", doc="feedback transistor length L_fb", ge=0.18e-6, le=500e-6
    )
    c_ref: float = param(0.5e-12, unit="F", doc="refractory capacitance C_ref", gt=0, le=1e-9)
    i_ref: float = param(1e-9, unit="A", doc="refractory discharge current I_ref", gt=0, le=1e-5)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_bias: float = param(
        1e-6, unit="m", doc="width of LPF, mirror and bias transistors", ge=0.22e-6, le=100e-6
    )
    l_bias: float = param(
        4e-6, unit="m", doc="length of LPF, mirror and bias transistors", ge=0.18e-6, le=100e-6
    )
    w_inv: float = param(0.5e-6, unit="m", doc="first-inverter width", ge=0.22e-6, le=100e-6)
    l_inv: float = param(1e-6, unit="m", doc="first-inverter length", ge=0.18e-6, le=20e-6)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def gain(self) -> float:
        """Geometric feedback gain ``g = (W_fb/L_fb)/(W/L)``."""
        return (self.w_fb / self.l_fb) / (self.w_bias / self.l_bias)

    @property
    def i_p(self) -> float:
        """Quadratic-feedback scale current ``I_p = I_τ/g`` (A)."""
        return self.i_tau / self.gain


ARTHUR_BOAHEN = LogDomainParams()
"""Log-domain LPF + quadratic feedback of Arthur & Boahen (IEEE TCAS-I 58(5), 2011),
circuits.md §1.4; values chosen here (τ ≈ 3.6 ms, g = 1/40, I_rh ≈ 0.1 nA, t_ref ≈ 0.7 ms)."""


def rheobase_estimate(p: LogDomainParams) -> float:
    """``I_rh = I_τ·I_p/(4 I_th)`` of the quadratic I&F reduction (A)."""
    return p.i_tau * p.i_p / (4.0 * p.i_th)


def log_domain_neuron(
    params: LogDomainParams = ARTHUR_BOAHEN, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``LOG_DOMAIN_NEURON in vmem out vdd gnd`` subcircuit deck (module equations)."""
    p = params
    wb, lb = p.w_bias, p.l_bias

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch)

    lines = (
        *input_mirror(mos, "vx", wb, lb),
        mos("ML1", "gnd", "vthr", "vx", "vdd", "p", wb, lb),
        mos("ML2", "vmem", "vmem", "vx", "vdd", "p", wb, lb),
        *bias_n(mos, "BTHR", "vthr", p.i_th, wb, lb),
        mos("ML3", "vmem", "vtau", "gnd", "gnd", "n", wb, lb),
        *bias_n(mos, "BTAU", "vtau", p.i_tau, wb, lb),
        f"CMEM vmem gnd {fmt(p.c_mem)}",
        mos("MF1", "pf", "vmem", "gnd", "gnd", "n", p.w_fb, p.l_fb),
        mos("MF2", "pf", "pf", "vdd", "vdd", "p", wb, lb),
        mos("MF3", "vmem", "pf", "vdd", "vdd", "p", wb, lb),
        *spike_reset_block(mos, p.c_ref, p.i_ref, wb, lb, p.w_inv, p.l_inv),
    )
    sub = Subckt(SUBCKT, PORTS, lines, doc="Log-domain LPF neuron (Arthur & Boahen 2011)")
    return Netlist(
        title="Log-domain LPF neuron with quadratic positive feedback (Arthur & Boahen)",
        subckts=(sub,),
        includes=(process.include(),),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "log-domain-neuron",
            "vdd": p.vdd,
            "c_switched": p.c_ref,
            "ic": {"vmem": 0.0},
            "values": asdict(p),
        },
    )


def _t_stop(p: LogDomainParams, i: float) -> float:
    tau = p.c_mem * 0.0259 / (0.7 * p.i_tau)
    excess = max(i / rheobase_estimate(p) - 1.0, 0.02)
    period = math.pi * tau / math.sqrt(excess / 4.0) + t_ref_estimate(p.c_ref, p.i_ref, p.vdd)
    return min(6.0 * period, 40.0 * tau)


CHARACTERIZATION = {
    "log-domain-neuron": {
        "i_range": lambda p: (0.8 * rheobase_estimate(p), 30.0 * rheobase_estimate(p)),
        "i_scale": "log",
        "i_ref": lambda p: 3.0 * rheobase_estimate(p),
        "t_stop": _t_stop,
        "max_step": lambda p: t_ref_estimate(p.c_ref, p.i_ref, p.vdd) / 20.0,
        "threshold": lambda p: 0.5 * p.vdd,
        "probe": "out",
        "t_quiet": lambda p: 10.0 * t_ref_estimate(p.c_ref, p.i_ref, p.vdd),
    }
}

CATALOG = (
    CircuitEntry(
        name="log-domain-neuron",
        family="neuron",
        params_cls=LogDomainParams,
        presets={"arthur-boahen": ARTHUR_BOAHEN},
        generator=log_domain_neuron,
        doc="Log-domain LPF neuron with quadratic positive feedback, reset and refractory.",
        preset_docs={
            "arthur-boahen": "Arthur & Boahen, IEEE TCAS-I 58(5) 2011 (circuits.md §1.4)",
        },
    ),
)
