"""DPI adaptive-exponential I&F neuron (Chicca, Stefanini, Bartolozzi, Indiveri, Proc. IEEE 2014).

**Input/leak DPI.** The input current ``I_in`` (mirrored from ``in`` to a pFET tail) feeds a
pFET differential pair: one branch (gate ``V_thr``) to ground, the other (gate = drain =
``V_mem``) onto ``C_mem``; an nFET mirror of ``I_τ`` leaks ``C_mem``. With the membrane
current ``I_mem = I_th·exp(κ(V_mem − V_thr)/U_T)`` the pair delivers ``I_in/(1 + I_mem/I_th)``
to the capacitor, so::

    C_mem dV_mem/dt = I_in / (1 + I_mem/I_th) − I_τ + I_a − I_ahp
    τ (1 + I_th/I_mem) dI_mem/dt + I_mem = (I_th/I_τ)(I_in − I_ahp') − I_th + f(I_mem)
    τ = C_mem·U_T / (κ·I_τ),          I_mem∞ = I_th·(I_in/I_τ − 1)       (I_a = I_ahp = 0)

(the teili form, κ of the pair's pFETs). For ``I_mem ≫ I_th`` the step response of ``I_mem``
is the exponential of a first-order low-pass filter with time constant τ.

**Positive feedback (exponential onset).** An nFET differential pair with tail ``I_again``
compares ``V_mem`` with ``V_ath`` (a diode of ``I_ath``) and a pFET mirror injects::

    I_a = I_again / (1 + I_ath/I_mem)          (sigmoid of V_mem, ≈ I_again·I_mem/I_ath below)

**Spike, reset, refractory.** Three inverters on ``V_mem`` give ``out`` (the first one
current-starved by the ``I_ref`` mirror); a pFET gated by the first inverter output adds
regenerative feedback. The spike charges ``C_ref`` (node ``vcr``) to ``V_dd`` through a pFET;
``V_cr`` then clamps ``V_mem`` to ground through an nFET while ``C_ref`` discharges at
``I_ref``::

    t_ref ≈ C_ref (V_dd − V_rel) / I_ref,      V_rel ≈ 0.4 V (clamp release),   f ≤ 1/t_ref

**Adaptation (enable flag).** A second DPI on ``C_ahp`` (tail ``I_Ca`` switched on while
``V_cr`` is high, threshold ``I_thahp``, leak ``I_τahp``) produces ``I_ahp``, subtracted from
``C_mem`` by an nFET::

    τ_ahp dI_ahp/dt + I_ahp = I_ahp∞·u(t),  τ_ahp = C_ahp U_T/(κ I_τahp),
    I_ahp∞ = I_thahp·I_Ca/I_τahp

Energy: each spike swings ``C_ref`` (and the inverter loads) through ``V_dd``, so
``E_spike ≥ C_ref·V_dd²``.

Subcircuit ``DPI_NEURON in vmem out vdd gnd``; every bias current is a source on ``vdd``
into a diode-connected transistor (internal nodes ``vthr``, ``vtau``, ``vath``, ``vag``,
``vrf``; refractory node ``vcr``; adaptation node ``vahp``). The helper functions of this
module (:func:`input_mirror`, :func:`bias_n`, :func:`spike_reset_block`) are shared with
:mod:`.log_domain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..process import GENERIC_180, Process, mosfet
from ..registry import CircuitEntry

__all__ = [
    "DPINeuronParams",
    "dpi_neuron",
    "TEILI_DPI",
    "TEILI_DPI_NOADAPT",
    "CATALOG",
    "CHARACTERIZATION",
    "input_mirror",
    "bias_n",
    "spike_reset_block",
    "t_ref_estimate",
]

SUBCKT = "DPI_NEURON"
PORTS = ("in", "vmem", "out", "vdd", "gnd")
V_RELEASE = 0.4
"""Approximate refractory-clamp release voltage of ``V_cr`` (V), for estimates only."""

Mos = Callable[[str, str, str, str, str, str, float, float], str]


@dataclass(frozen=True)
class DPINeuronParams:
    """Parameters of the DPI adaptive-exponential neuron (SI units)."""

    c_mem: float = param(1.5e-12, unit="F", doc="membrane capacitance C_mem", gt=0, le=1e-9)
    i_tau: float = param(8e-12, unit="A", doc="leak current I_tau (sets tau)", gt=0, le=1e-6)
    i_th: float = param(10e-12, unit="A", doc="DPI threshold (gain) current I_th", gt=0, le=1e-6)
    i_again: float = param(
        1e-9, unit="A", doc="positive-feedback saturation current I_again", gt=0, le=1e-5
    )
    i_ath: float = param(
        0.5e-9, unit="A", doc="positive-feedback threshold current I_ath", gt=0, le=1e-5
    )
    c_ref: float = param(0.5e-12, unit="F", doc="refractory capacitance C_ref", gt=0, le=1e-9)
    i_ref: float = param(0.7e-9, unit="A", doc="refractory discharge current I_ref", gt=0, le=1e-5)
    adaptation: bool = param(True, doc="enable the spike-frequency adaptation DPI")
    c_ahp: float = param(1e-12, unit="F", doc="adaptation capacitance C_ahp", gt=0, le=1e-9)
    i_tau_ahp: float = param(
        1e-12, unit="A", doc="adaptation leak current I_tauahp", gt=0, le=1e-6
    )
    i_th_ahp: float = param(
        1e-12, unit="A", doc="adaptation DPI threshold current I_thahp", gt=0, le=1e-6
    )
    i_ca: float = param(
        1e-9, unit="A", doc="adaptation input (calcium) current I_Ca per spike", gt=0, le=1e-5
    )
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_bias: float = param(
        1e-6, unit="m", doc="width of DPI, mirror and bias transistors", ge=0.22e-6, le=100e-6
    )
    l_bias: float = param(
        4e-6, unit="m", doc="length of DPI, mirror and bias transistors", ge=0.18e-6, le=100e-6
    )
    w_inv: float = param(0.5e-6, unit="m", doc="first-inverter width", ge=0.22e-6, le=100e-6)
    l_inv: float = param(1e-6, unit="m", doc="first-inverter length", ge=0.18e-6, le=20e-6)

    def __post_init__(self) -> None:
        validate(self)


TEILI_DPI = DPINeuronParams()
"""teili DPI defaults where the circuit has the same element (C_mem 1.5 pF, I_τ 8 pA → τ ≈
6.6 ms; C_ahp 1 pF, I_τahp 1 pA, I_thahp 1 pA → τ_ahp ≈ 39 ms; refP ≈ 1 ms), circuits.md §1.3;
I_th, I_again, I_ath, I_Ca scaled to this transistor-level circuit (V_thr ≈ 0.16 V)."""

TEILI_DPI_NOADAPT = DPINeuronParams(adaptation=False)
""":data:`TEILI_DPI` with the adaptation block removed."""


def t_ref_estimate(c_ref: float, i_ref: float, vdd: float) -> float:
    """Refractory period estimate ``C_ref (V_dd − V_rel)/I_ref`` (s)."""
    return c_ref * (vdd - V_RELEASE) / i_ref


# -- building blocks shared with log_domain --------------------------------------------------
def bias_n(mos: Mos, name: str, node: str, current: float, w: float, l: float) -> tuple[str, ...]:
    """A bias current ``current`` from ``vdd`` into a diode-connected nFET at ``node``."""
    return (
        f"I{name} vdd {node} DC {fmt(current)}",
        mos(f"M{name}", node, node, "gnd", "gnd", "n", w, l),
    )


def bias_p(mos: Mos, name: str, node: str, current: float, w: float, l: float) -> tuple[str, ...]:
    """A bias current ``current`` drawn from a diode-connected pFET at ``node`` to ground."""
    return (
        mos(f"M{name}", node, node, "vdd", "vdd", "p", w, l),
        f"I{name} {node} gnd DC {fmt(current)}",
    )


def input_mirror(mos: Mos, tail: str, w: float, l: float) -> tuple[str, ...]:
    """Mirror the current sunk at ``in`` (nFET diode) into a pFET source feeding ``tail``."""
    return (
        mos("MIN1", "in", "in", "gnd", "gnd", "n", w, l),
        mos("MIN2", "pin", "in", "gnd", "gnd", "n", w, l),
        mos("MIN3", "pin", "pin", "vdd", "vdd", "p", w, l),
        mos("MIN4", tail, "pin", "vdd", "vdd", "p", w, l),
    )


def spike_reset_block(
    mos: Mos, c_ref: float, i_ref: float, w_bias: float, l_bias: float, w_inv: float, l_inv: float
) -> tuple[str, ...]:
    """Inverter chain ``vmem → n1 → out → n2``, regenerative pFET, refractory clamp on ``vcr``.

    The first inverter's pull-down is starved by the ``I_ref`` mirror, which bounds its
    short-circuit current while ``V_mem`` crosses the switching threshold slowly.
    """
    return (
        mos("MFB", "vmem", "n1", "vdd", "vdd", "p", w_inv, l_inv),
        mos("MI1P", "n1", "vmem", "vdd", "vdd", "p", w_inv, l_inv),
        mos("MI1N", "n1", "vmem", "s1", "gnd", "n", w_inv, l_inv),
        mos("MI1S", "s1", "vrf", "gnd", "gnd", "n", w_bias, l_bias),
        mos("MI2P", "out", "n1", "vdd", "vdd", "p", 0.22e-6, 2e-6),
        mos("MI2N", "out", "n1", "gnd", "gnd", "n", 0.22e-6, 2e-6),
        mos("MI3P", "n2", "out", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MI3N", "n2", "out", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
        mos("MRC", "vcr", "n2", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MRD", "vcr", "vrf", "gnd", "gnd", "n", w_bias, l_bias),
        *bias_n(mos, "BRF", "vrf", i_ref, w_bias, l_bias),
        f"CREF vcr gnd {fmt(c_ref)}",
        mos("MCL", "vmem", "vcr", "gnd", "gnd", "n", 1e-6, 0.5e-6),
    )


def feedback_pair(
    mos: Mos, i_again: float, i_ath: float, w: float, l: float
) -> tuple[str, ...]:
    """Sigmoid positive feedback ``I_again/(1 + I_ath/I_mem)`` mirrored into ``vmem``."""
    return (
        mos("MA1", "pa", "vmem", "nas", "gnd", "n", w, l),
        mos("MA2", "vdd", "vath", "nas", "gnd", "n", w, l),
        mos("MA3", "nas", "vag", "gnd", "gnd", "n", w, l),
        *bias_n(mos, "BAG", "vag", i_again, w, l),
        *bias_n(mos, "BATH", "vath", i_ath, w, l),
        mos("MA4", "pa", "pa", "vdd", "vdd", "p", w, l),
        mos("MA5", "vmem", "pa", "vdd", "vdd", "p", w, l),
    )


def dpi_neuron(
    params: DPINeuronParams = TEILI_DPI, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``DPI_NEURON in vmem out vdd gnd`` subcircuit deck (see the module equations).

    ``mismatch`` is a per-instance sampler (``process.mismatch(seed)``) or ``None``.
    """
    p = params
    wb, lb = p.w_bias, p.l_bias

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch)

    lines = [
        *input_mirror(mos, "vx", wb, lb),
        mos("ML1", "gnd", "vthr", "vx", "vdd", "p", wb, lb),
        mos("ML2", "vmem", "vmem", "vx", "vdd", "p", wb, lb),
        *bias_n(mos, "BTHR", "vthr", p.i_th, wb, lb),
        mos("ML3", "vmem", "vtau", "gnd", "gnd", "n", wb, lb),
        *bias_n(mos, "BTAU", "vtau", p.i_tau, wb, lb),
        f"CMEM vmem gnd {fmt(p.c_mem)}",
        *feedback_pair(mos, p.i_again, p.i_ath, wb, lb),
        *spike_reset_block(mos, p.c_ref, p.i_ref, wb, lb, p.w_inv, p.l_inv),
    ]
    if p.adaptation:
        lines += [
            *bias_p(mos, "BCA", "pca", p.i_ca, wb, lb),
            mos("MG1", "gs", "pca", "vdd", "vdd", "p", wb, lb),
            mos("MG2", "gx", "vcr", "gs", "gnd", "n", 1e-6, 0.18e-6),
            mos("MG3", "gnd", "vthahp", "gx", "vdd", "p", wb, lb),
            mos("MG4", "vahp", "vahp", "gx", "vdd", "p", wb, lb),
            *bias_n(mos, "BTHAHP", "vthahp", p.i_th_ahp, wb, lb),
            mos("MG5", "vahp", "vtauahp", "gnd", "gnd", "n", wb, lb),
            *bias_n(mos, "BTAUAHP", "vtauahp", p.i_tau_ahp, wb, lb),
            f"CAHP vahp gnd {fmt(p.c_ahp)}",
            mos("MG6", "vmem", "vahp", "gnd", "gnd", "n", wb, lb),
        ]
    sub = Subckt(SUBCKT, PORTS, tuple(lines), doc="DPI adaptive-exponential neuron (Chicca 2014)")
    return Netlist(
        title="DPI adaptive-exponential I&F neuron (Chicca et al. 2014)",
        subckts=(sub,),
        includes=(process.include(),),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "dpi-neuron",
            "vdd": p.vdd,
            "c_switched": p.c_ref,
            "ic": {"vmem": 0.0},
            "values": asdict(p),
        },
    )


CHARACTERIZATION = {
    "dpi-neuron": {
        "i_range": lambda p: (2.0 * p.i_tau, 300.0 * p.i_tau),
        "i_scale": "log",
        "i_ref": lambda p: 20.0 * p.i_tau,
        "t_stop": lambda p, i: 40.0 * t_ref_estimate(p.c_ref, p.i_ref, p.vdd),
        "max_step": lambda p: t_ref_estimate(p.c_ref, p.i_ref, p.vdd) / 20.0,
        "threshold": lambda p: 0.5 * p.vdd,
        "probe": "out",
        "t_quiet": lambda p: 10.0 * t_ref_estimate(p.c_ref, p.i_ref, p.vdd),
    }
}

CATALOG = (
    CircuitEntry(
        name="dpi-neuron",
        family="neuron",
        params_cls=DPINeuronParams,
        presets={"teili": TEILI_DPI, "teili-noadapt": TEILI_DPI_NOADAPT},
        generator=dpi_neuron,
        doc="DPI adaptive-exponential I&F neuron: DPI leak, sigmoid feedback, refractory, AHP.",
        preset_docs={
            "teili": "Chicca et al., Proc. IEEE 102(9) 2014; teili DPI defaults (circuits.md §1.3)",
            "teili-noadapt": "as 'teili' with the adaptation DPI disabled",
        },
    ),
)
