"""IF neuron with comparator, positive feedback and refractory control (van Schaik 2001).

Below threshold the membrane integrates the input against a constant-current ("linear") leak::

    C_mem dV_mem/dt = I_in − I_leak                       (V_mem ≥ 0)

A 5-transistor OTA compares ``V_mem`` with ``V_thr``; its output, through two inverters, is
the spike ``out``, whose complement turns on a pFET that pulls ``V_mem`` to ``V_dd`` (positive
feedback). During the spike the capacitor ``C_k`` charges at ``I_pw``; when ``V_k`` crosses the
switching voltage ``V_sw ≈ V_dd/2`` of an inverter, a Schmitt-style pFET snaps ``V_k`` to
``V_dd`` and an nFET resets ``V_mem`` to ground. ``C_k`` then discharges at ``I_rfr``; while
``V_k > V_sw`` the reset nFET clamps ``V_mem`` to ground (refractory period), after which an
nFET snaps ``V_k`` back to 0. Hence::

    t_pw  ≈ C_k · V_sw / I_pw,           t_ref ≈ C_k · (V_dd − V_sw) / I_rfr
    f     = 1 / [ C_mem · V_thr / (I_in − I_leak) + t_pw + t_ref ]      (I_in > I_leak)

so there are no spikes for ``I_in ≤ I_leak`` (rheobase ``I_leak``), the F–I curve is linear
above rheobase while the integration time dominates and saturates at ``1/(t_pw + t_ref)``.
Every spike swings ``out`` and the inverter nodes through ``V_dd`` and charges ``C_k``, so
``E_spike ≥ C_k · V_dd²``.

Subcircuit ``IF_REFRACTORY in vmem out vdd gnd``; the bias currents ``I_leak``, ``I_pw``,
``I_rfr`` and the comparator bias ``I_cmp`` are sources on ``vdd`` mirrored by diode-connected
transistors, and ``V_thr`` is an internal voltage source (gate-only load).
Internal nodes: ``vk`` (refractory capacitor), ``kr`` (reset/clamp), ``spb`` (spike, active low).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..process import GENERIC_180, Process, mosfet
from ..registry import CircuitEntry

__all__ = [
    "IFRefractoryParams",
    "if_refractory",
    "VAN_SCHAIK_2001",
    "CATALOG",
    "CHARACTERIZATION",
    "t_pw_estimate",
    "t_ref_estimate",
    "spike_generator",
]

SUBCKT = "IF_REFRACTORY"
PORTS = ("in", "vmem", "out", "vdd", "gnd")


@dataclass(frozen=True)
class IFRefractoryParams:
    """Parameters of the van Schaik IF neuron (SI units)."""

    c_mem: float = param(1e-12, unit="F", doc="membrane capacitance C_mem", gt=0, le=1e-9)
    c_k: float = param(0.1e-12, unit="F", doc="pulse/refractory capacitance C_k", gt=0, le=1e-9)
    v_thr: float = param(0.9, unit="V", doc="comparator threshold V_thr", ge=0.3, le=1.5)
    i_leak: float = param(100e-12, unit="A", doc="constant leak current I_leak", gt=0, le=1e-6)
    i_pw: float = param(1e-9, unit="A", doc="pulse-width current I_pw", gt=0, le=1e-5)
    i_rfr: float = param(0.5e-9, unit="A", doc="refractory current I_rfr", gt=0, le=1e-5)
    i_cmp: float = param(20e-9, unit="A", doc="comparator (OTA) bias current", gt=0, le=1e-5)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.6)
    w_bias: float = param(
        1e-6, unit="m", doc="width of bias/mirror transistors", ge=0.22e-6, le=100e-6
    )
    l_bias: float = param(
        1e-6, unit="m", doc="length of bias/mirror transistors", ge=0.18e-6, le=50e-6
    )
    w_sw: float = param(
        0.5e-6, unit="m", doc="width of switches and inverters", ge=0.22e-6, le=100e-6
    )
    l_sw: float = param(
        0.18e-6, unit="m", doc="length of switches and inverters", ge=0.18e-6, le=10e-6
    )

    def __post_init__(self) -> None:
        validate(self)


VAN_SCHAIK_2001 = IFRefractoryParams()
"""Topology of van Schaik, Neural Networks 14:617–628 (2001) (circuits.md §1.2); bias values
chosen for the generic 180 nm process (t_pw ≈ 90 µs, t_ref ≈ 180 µs, rheobase 100 pA)."""


def t_pw_estimate(p: IFRefractoryParams) -> float:
    """Pulse width C_k·V_sw/I_pw (s) with V_sw = V_dd/2."""
    return p.c_k * 0.5 * p.vdd / p.i_pw


def t_ref_estimate(p: IFRefractoryParams) -> float:
    """Refractory period C_k·(V_dd − V_sw)/I_rfr (s) with V_sw = V_dd/2."""
    return p.c_k * 0.5 * p.vdd / p.i_rfr


def spike_generator(
    mos, c_k, v_thr, i_pw, i_rfr, i_cmp, wb, lb, ws, ls, w_det=0.22e-6, l_det=2e-6
) -> list[str]:
    """Lines of the comparator / positive-feedback / pulse-width / refractory block.

    ``mos(name, d, g, s, b, kind, w, l)`` builds one transistor line. The inverter that
    watches the slow ramp of ``V_k`` is narrow and long (``w_det``/``l_det``): its
    short-circuit current while ``V_k`` crosses mid-rail would otherwise dominate the energy.
    Acts on node ``vmem`` (needs ``vdd``, ``gnd``), drives ``out``; internal nodes
    ``thr oc spb vk kb kr`` and bias nodes ``nrf ncm npw``. Shared with :mod:`.switched_cap_lif`.
    """

    def inv(tag, a, y, w=ws, l=ls):
        return [
            mos(f"MP{tag}", y, a, "vdd", "vdd", "p", 2 * w, l),
            mos(f"MN{tag}", y, a, "gnd", "gnd", "n", w, l),
        ]

    return [
        f"CK vk gnd {fmt(c_k)}",
        f"VTHR thr gnd DC {fmt(v_thr)}",
        f"IRF vdd nrf DC {fmt(i_rfr)}",
        mos("MRFD", "nrf", "nrf", "gnd", "gnd", "n", wb, lb),
        f"ICM vdd ncm DC {fmt(i_cmp)}",
        mos("MCMD", "ncm", "ncm", "gnd", "gnd", "n", wb, lb),
        mos("MPWD", "npw", "npw", "vdd", "vdd", "p", wb, lb),
        f"IPW npw gnd DC {fmt(i_pw)}",
        # 5-transistor OTA comparator: oc high when vmem > thr
        mos("MC1", "na", "vmem", "ntail", "gnd", "n", wb, 0.5 * lb),
        mos("MC2", "oc", "thr", "ntail", "gnd", "n", wb, 0.5 * lb),
        mos("MC3", "na", "na", "vdd", "vdd", "p", wb, 0.5 * lb),
        mos("MC4", "oc", "na", "vdd", "vdd", "p", wb, 0.5 * lb),
        mos("MCT", "ntail", "ncm", "gnd", "gnd", "n", wb, lb),
        # spike inverters: spb low and out high while spiking
        *inv("I1", "oc", "spb"),
        *inv("I2", "spb", "out"),
        # positive feedback: pull vmem to vdd during the spike
        mos("MPF", "vmem", "spb", "vdd", "vdd", "p", ws, 2 * ls),
        # C_k charged at I_pw during the spike, discharged at I_rfr otherwise
        mos("MPWS", "npws", "spb", "vdd", "vdd", "p", ws, ls),
        mos("MPWB", "vk", "npw", "npws", "vdd", "p", wb, lb),
        mos("MRFS", "vk", "spb", "nrfs", "gnd", "n", ws, ls),
        mos("MRFB", "nrfs", "nrf", "gnd", "gnd", "n", wb, lb),
        # V_k detector: kb low / kr high while vk > V_sw
        *inv("I3", "vk", "kb", w_det, l_det),
        *inv("I4", "kb", "kr"),
        # Schmitt snaps: to vdd during the spike once vk > V_sw, to 0 after it once vk < V_sw
        mos("MSU1", "nsu", "kb", "vdd", "vdd", "p", ws, ls),
        mos("MSU2", "vk", "spb", "nsu", "vdd", "p", ws, ls),
        mos("MSD1", "nsd", "kb", "gnd", "gnd", "n", ws, ls),
        mos("MSD2", "vk", "spb", "nsd", "gnd", "n", ws, ls),
        # reset and refractory clamp of vmem
        mos("MRST", "vmem", "kr", "gnd", "gnd", "n", 4 * ws, ls),
    ]


def if_refractory(
    params: IFRefractoryParams = VAN_SCHAIK_2001, process: Process = GENERIC_180, mismatch=None
) -> Netlist:
    """The ``IF_REFRACTORY in vmem out vdd gnd`` subcircuit deck (see the module equations)."""
    p = params
    wb, lb, ws, ls = p.w_bias, p.l_bias, p.w_sw, p.l_sw

    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process, mismatch=mismatch)

    lines = [
        "VSENSE in vmem DC 0",
        f"CMEM vmem gnd {fmt(p.c_mem)}",
        # constant-current leak mirrored from I_leak
        f"ILK vdd nlk DC {fmt(p.i_leak)}",
        mos("MLKD", "nlk", "nlk", "gnd", "gnd", "n", wb, lb),
        mos("MLK", "vmem", "nlk", "gnd", "gnd", "n", wb, lb),
        *spike_generator(mos, p.c_k, p.v_thr, p.i_pw, p.i_rfr, p.i_cmp, wb, lb, ws, ls),
    ]
    sub = Subckt(SUBCKT, PORTS, tuple(lines), doc="IF neuron with refractory (van Schaik 2001)")
    return Netlist(
        title="IF neuron with comparator and refractory period (van Schaik 2001)",
        subckts=(sub,),
        includes=(process.include(),),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "if-refractory",
            "vdd": p.vdd,
            "c_switched": p.c_k,
            "ic": {"vmem": 0.0},
            "values": asdict(p),
        },
    )


def _rate(p: IFRefractoryParams, i: float) -> float:
    if i <= p.i_leak:
        return 0.0
    return 1.0 / (p.c_mem * p.v_thr / (i - p.i_leak) + t_pw_estimate(p) + t_ref_estimate(p))


CHARACTERIZATION = {
    "if-refractory": {
        "i_range": lambda p: (
            0.5 * p.i_leak,
            p.i_leak + 20 * p.c_mem * p.v_thr / (t_pw_estimate(p) + t_ref_estimate(p)),
        ),
        "i_scale": "log",
        "i_ref": lambda p: p.i_leak + p.c_mem * p.v_thr / (t_pw_estimate(p) + t_ref_estimate(p)),
        "t_stop": lambda p, i: 6.0 / max(_rate(p, i), _rate(p, 2 * p.i_leak), 1.0),
        "max_step": lambda p: min(t_pw_estimate(p), t_ref_estimate(p)) / 5.0,
        "threshold": lambda p: 0.5 * p.vdd,
        "probe": "out",
        "t_quiet": lambda p: 2e-3,
    }
}

CATALOG = (
    CircuitEntry(
        name="if-refractory",
        family="neuron",
        params_cls=IFRefractoryParams,
        presets={"vanschaik2001": VAN_SCHAIK_2001},
        generator=if_refractory,
        doc="IF neuron: OTA comparator, positive feedback, pulse-width and refractory control, "
        "constant-current leak (van Schaik 2001).",
        preset_docs={
            "vanschaik2001": "van Schaik, Neural Networks 14:617-628 (2001); circuits.md §1.2",
        },
    ),
)
