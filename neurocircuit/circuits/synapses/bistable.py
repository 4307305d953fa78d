"""Bistable weight refresh: a weak positive-feedback wide-range transconductance amplifier
(Indiveri, Chicca & Douglas 2006; circuits.md §2.5).

An nFET differential pair (tail ``I_bist``) compares the weight ``V_w`` with the threshold
``θ_w``; pFET and nFET mirrors turn the two branch currents into an output current into the
weight node (a wide-range OTA, so the output swings close to both rails)::

    I_out = I_bist · tanh(κ (V_w − θ_w) / (2 U_T))           (positive feedback on C_w)
    C_w dV_w/dt = I_out   ⇒   dV_w/dt ≈ ± I_bist / C_w      (|V_w − θ_w| ≫ 2U_T/κ)

so ``V_w`` has exactly two stable states, ``V_high`` (≈ V_dd − 0.1 V, where the pFET output
mirror leaves saturation) and ``V_low`` (≈ 0.1 V), separated by the unstable point ``θ_w``. A
weight left above θ_w drifts up, below θ_w down, reaching the rail after about::

    T_drift ≈ C_w (V_high − θ_w) / I_bist      (up)      C_w (θ_w − V_low) / I_bist   (down)

Subcircuit ``BISTABLE w vdd gnd`` (the weight capacitor ``C_w`` included; ``θ_w`` is the
internal ideal source ``VTHW``; internal nodes ``vbist``, ``tl``, ``a1``, ``a2``, ``a3``).
Used alone (set ``w`` with ``.ic``) or inside :mod:`.stdp`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...units import param, validate
from ..netlist import Netlist, fmt
from ..process import GENERIC_180, Process
from ..registry import CircuitEntry
from ._common import assemble, bias_n, mos_factory

__all__ = ["BistableParams", "bistable_synapse", "bistable_lines", "INDIVERI_2006_BISTABLE",
           "CATALOG", "SUBCKT", "PORTS", "drift_time_estimate"]

SUBCKT = "BISTABLE"
PORTS = ("w", "vdd", "gnd")


@dataclass(frozen=True)
class BistableParams:
    """Parameters of the bistable weight-refresh amplifier (SI units)."""

    c_w: float = param(1e-12, unit="F", doc="weight capacitance C_w", gt=0, le=1e-9)
    i_bist: float = param(5e-12, unit="A", doc="bistability (refresh) current I_bist", gt=0,
                          le=1e-7)
    v_thw: float = param(0.9, unit="V", doc="bistability threshold theta_w", ge=0.3, le=3.0)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)
    w_bias: float = param(1e-6, unit="m", doc="width of the amplifier transistors", ge=0.22e-6,
                          le=100e-6)
    l_bias: float = param(4e-6, unit="m", doc="length of the amplifier transistors", ge=0.18e-6,
                          le=100e-6)

    def __post_init__(self) -> None:
        validate(self)
        if self.v_thw >= self.vdd - 0.3:
            from ...errors import ParameterError

            raise ParameterError(
                f"The 'v_thw' parameter of BistableParams must be < vdd - 0.3 = "
                f"{self.vdd - 0.3:g} V. Got {self.v_thw!r} instead."
            )


INDIVERI_2006_BISTABLE = BistableParams()
"""Indiveri, Chicca & Douglas, IEEE TNN 17(1) 2006 (circuits.md §2.5): C_w = 1 pF, I_bist = 5 pA
(drift to the rail ≈ 0.18 s), θ_w = V_dd/2."""


def drift_time_estimate(params: BistableParams, v_high: float | None = None) -> float:
    """``C_w (V_high − θ_w)/I_bist`` (s); ``V_high`` defaults to ``V_dd − 0.1 V``."""
    vh = params.vdd - 0.1 if v_high is None else v_high
    return params.c_w * (vh - params.v_thw) / params.i_bist


def bistable_lines(mos, p: BistableParams, w: str = "w", prefix: str = "B") -> list[str]:
    """The amplifier and ``C_w`` on node ``w`` (element names prefixed by ``prefix``)."""
    wb, lb = p.w_bias, p.l_bias
    n = prefix
    return [
        f"V{n}THW {n.lower()}thw gnd DC {fmt(p.v_thw)}",
        *bias_n(mos, f"{n}BIAS", f"{n.lower()}bias", p.i_bist, wb, lb),
        mos(f"M{n}T", f"{n.lower()}tl", f"{n.lower()}bias", "gnd", "gnd", "n", wb, lb),
        mos(f"M{n}1", f"{n.lower()}a1", w, f"{n.lower()}tl", "gnd", "n", wb, lb),
        mos(f"M{n}2", f"{n.lower()}a2", f"{n.lower()}thw", f"{n.lower()}tl", "gnd", "n", wb, lb),
        mos(f"M{n}P1", f"{n.lower()}a1", f"{n.lower()}a1", "vdd", "vdd", "p", wb, lb),
        mos(f"M{n}P3", w, f"{n.lower()}a1", "vdd", "vdd", "p", wb, lb),
        mos(f"M{n}P2", f"{n.lower()}a2", f"{n.lower()}a2", "vdd", "vdd", "p", wb, lb),
        mos(f"M{n}P4", f"{n.lower()}a3", f"{n.lower()}a2", "vdd", "vdd", "p", wb, lb),
        mos(f"M{n}N1", f"{n.lower()}a3", f"{n.lower()}a3", "gnd", "gnd", "n", wb, lb),
        mos(f"M{n}N2", w, f"{n.lower()}a3", "gnd", "gnd", "n", wb, lb),
        f"C{n}W {w} gnd {fmt(p.c_w)}",
    ]


def bistable_synapse(
    params: BistableParams = INDIVERI_2006_BISTABLE, process: Process = GENERIC_180,
    mismatch=None,
) -> Netlist:
    """The ``BISTABLE w vdd gnd`` subcircuit deck (see the module equations)."""
    p = params
    mos = mos_factory(process, mismatch)
    return assemble(
        subckt=SUBCKT,
        ports=PORTS,
        lines=bistable_lines(mos, p),
        title="Bistable weight refresh (Indiveri, Chicca & Douglas 2006)",
        doc="Bistable weight: weak positive-feedback wide-range OTA on C_w (Indiveri 2006)",
        params=p,
        generator="bistable-synapse",
        process=process,
        ic={},
    )


CATALOG = (
    CircuitEntry(
        name="bistable-synapse",
        family="synapse",
        params_cls=BistableParams,
        presets={"indiveri2006": INDIVERI_2006_BISTABLE},
        generator=bistable_synapse,
        doc="Bistable weight refresh: positive-feedback WRT amplifier drives V_w to a rail.",
        preset_docs={
            "indiveri2006": "Indiveri, Chicca & Douglas, IEEE TNN 17(1):211-221, 2006 "
            "(circuits.md §2.5)",
        },
    ),
)
