"""Two-capacitor Izhikevich-type neuron (Wijekoon & Dudek, Neural Networks 21, 2008).

Target model (Izhikevich)::

    dv/dt = 0.04 v² + 5 v + 140 − u + I,     du/dt = a (b v − u),
    v ≥ v_peak:  v ← c,  u ← u + d

Circuit. The membrane capacitor ``C_v`` (node ``vmem`` = v) is charged by the input and by a
positive-feedback current ``I_f(v)``: an nFET with gate ``v`` (square law above threshold,
exponential below) mirrored by pFETs onto ``C_v``. An nFET biased by ``I_leak`` discharges it
(linear in ``v`` in triode, constant once saturated), and the recovery current ``I_u``, an nFET
whose gate is the recovery node ``u`` on ``C_u``, discharges it too::

    C_v dv/dt = I_in + I_f(v) − I_leak(v) − I_u(u)
    C_u du/dt = I_b(v) − I_a(u)

``I_b(v)`` is a mirrored copy of an nFET with gate ``v`` (coupling ``b``, size ``w_b/l_b``);
``I_a(u)`` is a small diode-connected nFET on ``u`` (rate ``a``, size ``w_ua/l_ua``) and
``I_u = I_a·(W/L)_uv/(W/L)_ua`` (size ``w_uv/l_uv``): ``u`` decays slowly while the recovery
current on ``v`` is strong. The net membrane current
``I_in + I_f − I_leak`` is a convex (quadratic-like) function of ``v`` with a minimum, so the
rest state disappears in a saddle-node on invariant circle: type-I onset,
``f ∝ (I_in − I_rh)^{1/2}``, rheobase ``I_rh = −min_v g(v)`` (≈ ``I_leak``), with the net DC
current ``g = I_f − I_leak − I_u``. With ``ε = I_in − I_rh`` the normal form at the fold
``v*`` is ``C_v dδv/dt = ε + (g''/2) δv²``, period ``T = π C_v/√(ε g''/2)``. It holds while the
bottleneck half-width ``√(2ε/g'')`` stays inside the range ``Δ`` where ``g`` is parabolic:
``ε ≲ g''Δ²/2``. In the presets the fold is the subthreshold leak's saturation knee
(``v* ≈ 0.2 V``, where ``I_f`` is only ~pA): ``g'' ≈ 1e-8 A/V²``, ``Δ ≈ 30 mV``, so the square
root holds for ``ε`` up to ≈ 4 pA (0.2 % of ``I_rh``; measured exponent 0.58 there, rates
within 7 % of ``1/T``); over 2–40 pA the f–I curve is steeper (apparent exponent ≈ 0.7).

Spike and reset: an inverter chain on ``v`` fires ``out`` and charges the pulse capacitor
``C_pw`` to ``V_dd``; while ``V_pw`` (discharged by ``I_pw``) is high, an nFET switch connects
``v`` to the bias voltage ``V_c`` (parameter c) and a pFET switch passes the current of a pFET
whose gate is the bias voltage ``V_d`` into ``C_u`` (parameter d)::

    t_pw ≈ C_pw (V_dd/2) / I_pw,      Δu ≈ I_D(V_d)·t_pw / C_u   (larger for lower V_d)

The two bias voltages alone move the neuron between regular spiking (deep reset, low ``V_c``:
``u`` builds up over many spikes and the ISIs lengthen), intrinsic bursting (intermediate
``V_c``: an initial burst, then single spikes) and chattering (``V_c`` above the fold: bursts
that end when ``u`` has grown, separated by long pauses), as in the IJCNN 2007 / Neural
Networks 2008 chip. The presets ``rs``, ``ib``, ``ch`` differ only in ``V_c`` and ``V_d``; at
I_in = 8 nA they give ISIs lengthening ≈ 2×, a 6–7-spike initial burst then tonic firing, and
bursts of ≈ 3.4 spikes with an inter/intra-burst interval ratio ≈ 18. Energy: each spike
swings ``C_pw`` through ``V_dd``, so
``E_spike ≥ C_pw V_dd²``.

Subcircuit ``QUADRATIC_IF in vmem out vdd gnd``; ``I_leak`` and ``I_pw`` are current sources on
``vdd`` into diode-connected nFETs; ``V_c`` and ``V_d`` are internal voltage sources. Internal
nodes: ``u`` (recovery), ``vpw`` (pulse).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..process import GENERIC_180, Process, mosfet
from ..registry import CircuitEntry
from .dpi_neuron import bias_n

__all__ = [
    "QuadraticIFParams",
    "quadratic_if",
    "WIJEKOON_DUDEK_RS",
    "WIJEKOON_DUDEK_IB",
    "WIJEKOON_DUDEK_CH",
    "CATALOG",
    "CHARACTERIZATION",
    "t_pw_estimate",
]

SUBCKT = "QUADRATIC_IF"
PORTS = ("in", "vmem", "out", "vdd", "gnd")


@dataclass(frozen=True)
class QuadraticIFParams:
    """Parameters of the Wijekoon–Dudek two-capacitor neuron (SI units)."""

    c_v: float = param(0.5e-12, unit="F", doc="membrane capacitance C_v", gt=0, le=1e-9)
    c_u: float = param(2e-12, unit="F", doc="recovery capacitance C_u", gt=0, le=1e-9)
    v_c: float = param(0.1, unit="V", doc="reset level V_c (parameter c)", ge=0.0, le=1.0)
    v_d: float = param(1.5, unit="V", doc="recovery-jump gate bias V_d (parameter d)", ge=0.5,
                       le=1.8)
    i_leak: float = param(2e-9, unit="A", doc="membrane leak bias current I_leak", gt=0, le=1e-5)
    c_pw: float = param(0.1e-12, unit="F", doc="pulse capacitance C_pw", gt=0, le=1e-9)
    i_pw: float = param(5e-9, unit="A", doc="pulse discharge current I_pw", gt=0, le=1e-5)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_fb: float = param(0.5e-6, unit="m", doc="feedback nFET width", ge=0.22e-6, le=100e-6)
    l_fb: float = param(8e-6, unit="m", doc="feedback nFET length", ge=0.18e-6, le=100e-6)
    w_lk: float = param(1e-6, unit="m", doc="leak nFET (and its bias diode) width",
                        ge=0.22e-6, le=100e-6)
    l_lk: float = param(2e-6, unit="m", doc="leak nFET (and its bias diode) length", ge=0.18e-6,
                        le=100e-6)
    w_b: float = param(0.22e-6, unit="m", doc="coupling (b) nFET width", ge=0.22e-6, le=100e-6)
    l_b: float = param(40e-6, unit="m", doc="coupling (b) nFET length", ge=0.18e-6, le=100e-6)
    w_ua: float = param(0.22e-6, unit="m", doc="recovery-decay (a) nFET width", ge=0.22e-6,
                        le=100e-6)
    l_ua: float = param(8e-6, unit="m", doc="recovery-decay (a) nFET length", ge=0.18e-6,
                        le=100e-6)
    w_uv: float = param(1e-6, unit="m", doc="recovery-current nFET width", ge=0.22e-6, le=100e-6)
    l_uv: float = param(1e-6, unit="m", doc="recovery-current nFET length", ge=0.18e-6, le=100e-6)
    w_d: float = param(1e-6, unit="m", doc="jump (d) pFET width", ge=0.22e-6, le=100e-6)
    l_d: float = param(1e-6, unit="m", doc="jump (d) pFET length", ge=0.18e-6, le=100e-6)
    w_bias: float = param(1e-6, unit="m", doc="mirror/bias transistor width", ge=0.22e-6,
                          le=100e-6)
    l_bias: float = param(2e-6, unit="m", doc="mirror/bias transistor length", ge=0.18e-6,
                          le=100e-6)

    def __post_init__(self) -> None:
        validate(self)


def t_pw_estimate(p: QuadraticIFParams) -> float:
    """Pulse (reset) width ``C_pw (V_dd/2)/I_pw`` (s)."""
    return p.c_pw * 0.5 * p.vdd / p.i_pw


WIJEKOON_DUDEK_RS = QuadraticIFParams()
"""Regular spiking: deep reset (V_c = 0.1 V), V_d = 1.5 V. Wijekoon & Dudek, IJCNN 2007 /
Neural Networks 21 (2008), RS row of circuits.md §1.6; circuit values chosen here."""

WIJEKOON_DUDEK_IB = replace(WIJEKOON_DUDEK_RS, v_c=0.35, v_d=1.45)
"""Intrinsic bursting: V_c = 0.35 V, V_d = 1.45 V (IB row of circuits.md §1.6)."""

WIJEKOON_DUDEK_CH = replace(WIJEKOON_DUDEK_RS, v_c=0.5, v_d=1.45)
"""Chattering: V_c = 0.5 V (above the fold), V_d = 1.45 V (CH row of circuits.md §1.6)."""


def quadratic_if(
    params: QuadraticIFParams = WIJEKOON_DUDEK_RS, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``QUADRATIC_IF in vmem out vdd gnd`` subcircuit deck (module equations)."""
    p = params
    wb, lb = p.w_bias, p.l_bias

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch)

    lines = (
        "VSENSE in vmem DC 0",
        f"CV vmem gnd {fmt(p.c_v)}",
        # positive feedback I_f(v)
        mos("MF1", "pf", "vmem", "gnd", "gnd", "n", p.w_fb, p.l_fb),
        mos("MF2", "pf", "pf", "vdd", "vdd", "p", wb, lb),
        mos("MF3", "vmem", "pf", "vdd", "vdd", "p", wb, lb),
        # leak
        mos("MLK", "vmem", "vlk", "gnd", "gnd", "n", p.w_lk, p.l_lk),
        *bias_n(mos, "BLK", "vlk", p.i_leak, p.w_lk, p.l_lk),
        # recovery: I_b(v) into C_u, I_a(u) diode, I_u(u) out of v
        mos("MB1", "pb", "vmem", "gnd", "gnd", "n", p.w_b, p.l_b),
        mos("MB2", "pb", "pb", "vdd", "vdd", "p", wb, lb),
        mos("MB3", "u", "pb", "vdd", "vdd", "p", wb, lb),
        f"CU u gnd {fmt(p.c_u)}",
        mos("MUA", "u", "u", "gnd", "gnd", "n", p.w_ua, p.l_ua),
        mos("MUV", "vmem", "u", "gnd", "gnd", "n", p.w_uv, p.l_uv),
        # spike: inverters, pulse capacitor
        mos("MI1P", "n1", "vmem", "vdd", "vdd", "p", 0.5e-6, 0.5e-6),
        mos("MI1N", "n1", "vmem", "gnd", "gnd", "n", 0.5e-6, 0.5e-6),
        mos("MI2P", "out", "n1", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MI2N", "out", "n1", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
        mos("MI3P", "n2", "out", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MI3N", "n2", "out", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
        mos("MPC", "vpw", "n2", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MPD", "vpw", "vpb", "gnd", "gnd", "n", wb, lb),
        *bias_n(mos, "BPW", "vpb", p.i_pw, wb, lb),
        f"CPW vpw gnd {fmt(p.c_pw)}",
        mos("MI4P", "pwn", "vpw", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MI4N", "pwn", "vpw", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
        # reset v -> V_c while the pulse is high
        f"VC vcn gnd DC {fmt(p.v_c)}",
        mos("MRS", "vmem", "vpw", "vcn", "gnd", "n", 1e-6, 0.18e-6),
        # recovery jump through the V_d-biased pFET while the pulse is high
        f"VD vdn gnd DC {fmt(p.v_d)}",
        mos("MD1", "dj", "vdn", "vdd", "vdd", "p", p.w_d, p.l_d),
        mos("MD2", "u", "pwn", "dj", "vdd", "p", 1e-6, 0.18e-6),
    )
    sub = Subckt(SUBCKT, PORTS, lines, doc="Wijekoon-Dudek two-capacitor neuron")
    return Netlist(
        title="Two-capacitor Izhikevich-type neuron (Wijekoon & Dudek 2008)",
        subckts=(sub,),
        includes=(process.include(),),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "quadratic-if",
            "vdd": p.vdd,
            "c_switched": p.c_pw,
            "ic": {"vmem": 0.0},
            "values": asdict(p),
        },
    )


CHARACTERIZATION = {
    "quadratic-if": {
        "i_range": lambda p: (0.5 * p.i_leak, 5.0 * p.i_leak),
        "i_scale": "lin",
        "i_ref": lambda p: 2.0 * p.i_leak,
        "t_stop": lambda p, i: 2e-3,
        "max_step": lambda p: t_pw_estimate(p) / 10.0,
        "threshold": lambda p: 0.5 * p.vdd,
        "probe": "out",
        "t_quiet": lambda p: 0.5e-3,
    }
}

CATALOG = (
    CircuitEntry(
        name="quadratic-if",
        family="neuron",
        params_cls=QuadraticIFParams,
        presets={"rs": WIJEKOON_DUDEK_RS, "ib": WIJEKOON_DUDEK_IB, "ch": WIJEKOON_DUDEK_CH},
        generator=quadratic_if,
        doc="Two-capacitor Izhikevich-type neuron; V_c and V_d select RS, IB or CH firing.",
        preset_docs={
            "rs": "Wijekoon & Dudek, Neural Networks 21 (2008): regular spiking",
            "ib": "Wijekoon & Dudek, Neural Networks 21 (2008): intrinsic bursting",
            "ch": "Wijekoon & Dudek, Neural Networks 21 (2008): chattering",
        },
    ),
)
