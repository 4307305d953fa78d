"""MOSFET characterisation testbenches: I_D–V_GS, I_D–V_DS and a mismatch array.

Every bench ties source and bulk to ground and drives gate and drain with voltage sources, so
for a pFET the gate and drain go negative (V_GS = −V_SG)::

    VG g 0 DC 0          swept 0 → ±V_GS,max
    VD d 0 DC ±V_DS
    M<dut> d g 0 0 <model> W L

The drain current is the branch current of ``VD`` (ngspice's sign: current flowing into the
source's + terminal is positive, so an nFET gives i(vd) < 0). :class:`MosBench` carries the
netlist and the sweep as plain data; :mod:`neurocircuit.evaluate.mos_report` turns it into a
``Dc`` analysis (``circuits/`` never imports ``spice/``). Plot/measure against
``bench.drive(axis) = |V_GS|`` and ``|I_D|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from .netlist import Netlist, fmt
from .process import MismatchSampler, MosMismatch, Process, mosfet, normalise_kind

__all__ = ["MosBench", "idvg_bench", "idvd_bench", "mismatch_array_bench"]


@dataclass(frozen=True)
class MosBench:
    """A MOSFET testbench: the deck plus its DC sweep, as data.

    Attributes
    ----------
    netlist
        The circuit (models included via ``process.include()``).
    source, start, stop, step
        The swept source and its range, in the source's own sign, always ascending
        (``start < stop``, ``step > 0``): a pFET sweeps from −V_max up to 0.
    currents
        Vector names of the drain currents, one per device (``"i(vd)"``...).
    polarity
        +1 for an nFET, −1 for a pFET: ``polarity * axis`` is the gate (or drain) drive.
    source2, start2, stop2, step2
        Optional outer sweep (I_D–V_DS families over V_GS).
    kind, w, l
        The device (SI units).
    """

    netlist: Netlist
    source: str
    start: float
    stop: float
    step: float
    currents: tuple[str, ...]
    polarity: int
    kind: str
    w: float
    l: float
    source2: str | None = None
    start2: float = 0.0
    stop2: float = 0.0
    step2: float = 0.0

    def drive(self, axis) -> np.ndarray:
        """The sweep axis as a positive drive (|V_GS| or |V_DS|)."""
        return self.polarity * np.asarray(axis, dtype=float)

    def outer_values(self) -> np.ndarray:
        """The outer sweep's source values in sweep order (empty without an outer sweep)."""
        if self.source2 is None:
            return np.empty(0)
        n = int(round((self.stop2 - self.start2) / self.step2)) + 1
        return self.start2 + self.step2 * np.arange(n)


def _check_range(name: str, value: float, lo: float, hi: float, unit: str = "V") -> None:
    if not (lo < value <= hi):
        raise ParameterError(
            f"The '{name}' parameter of a MOSFET bench must be in ({lo:g}, {hi:g}] {unit}. "
            f"Got {value!r} instead."
        )


def idvg_bench(
    process: Process,
    kind: str = "n",
    w: float = 1e-6,
    l: float = 1e-6,
    vds: float | None = None,
    vgs_max: float | None = None,
    step: float = 5e-3,
    mismatch: MosMismatch | None = None,
) -> MosBench:
    """I_D–V_GS sweep of one device at |V_DS| = ``vds`` (default V_dd, saturation).

    Use ``vds=0.05`` for a linear-region sweep (max-g_m threshold).
    """
    k = normalise_kind(kind)
    vds = process.vdd if vds is None else float(vds)
    vgs_max = process.vdd if vgs_max is None else float(vgs_max)
    _check_range("vds", vds, 0.0, 2 * process.vdd)
    _check_range("vgs_max", vgs_max, 0.0, 2 * process.vdd)
    _check_range("step", step, 0.0, vgs_max / 4)
    sgn = 1 if k == "n" else -1
    net = Netlist(
        title=f"I_D-V_GS of {process.name} {process.model(k)} W={fmt(w)} L={fmt(l)} "
        f"|VDS|={fmt(vds)} corner {process.corner}",
        includes=(process.include(),),
        lines=(
            "VG g 0 DC 0",
            f"VD d 0 DC {fmt(sgn * vds)}",
            mosfet("dut", "d", "g", "0", "0", k, w, l, process, mismatch=mismatch),
        ),
        meta={"bench": "idvg", "kind": k, "w": w, "l": l, "vds": vds, "corner": process.corner},
    )
    return MosBench(
        netlist=net,
        source="VG",
        start=min(0.0, sgn * vgs_max),
        stop=max(0.0, sgn * vgs_max),
        step=step,
        currents=("i(vd)",),
        polarity=sgn,
        kind=k,
        w=w,
        l=l,
    )


def idvd_bench(
    process: Process,
    kind: str = "n",
    w: float = 1e-6,
    l: float = 1e-6,
    vgs: tuple[float, float, float] = (0.6, 1.8, 0.4),
    vds_max: float | None = None,
    step: float = 10e-3,
) -> MosBench:
    """I_D–V_DS family: inner sweep of |V_DS| 0 → ``vds_max``, outer |V_GS| (start, stop, step)."""
    k = normalise_kind(kind)
    vds_max = process.vdd if vds_max is None else float(vds_max)
    _check_range("vds_max", vds_max, 0.0, 2 * process.vdd)
    _check_range("step", step, 0.0, vds_max / 4)
    g0, g1, gs = (float(x) for x in vgs)
    if not (0 <= g0 <= g1 and gs > 0):
        raise ParameterError(
            f"The 'vgs' of idvd_bench must be (start, stop, step) with 0 <= start <= stop and "
            f"step > 0 V. Got {vgs!r} instead."
        )
    sgn = 1 if k == "n" else -1
    net = Netlist(
        title=f"I_D-V_DS of {process.name} {process.model(k)} W={fmt(w)} L={fmt(l)} "
        f"corner {process.corner}",
        includes=(process.include(),),
        lines=(
            f"VG g 0 DC {fmt(sgn * g0)}",
            "VD d 0 DC 0",
            mosfet("dut", "d", "g", "0", "0", k, w, l, process),
        ),
        meta={"bench": "idvd", "kind": k, "w": w, "l": l, "corner": process.corner},
    )
    return MosBench(
        netlist=net,
        source="VD",
        start=min(0.0, sgn * vds_max),
        stop=max(0.0, sgn * vds_max),
        step=step,
        currents=("i(vd)",),
        polarity=sgn,
        kind=k,
        w=w,
        l=l,
        source2="VG",
        start2=min(sgn * g0, sgn * g1),
        stop2=max(sgn * g0, sgn * g1),
        step2=gs,
    )


def mismatch_array_bench(
    process: Process,
    sampler: MismatchSampler,
    n: int = 200,
    kind: str = "n",
    w: float = 1e-6,
    l: float = 1e-6,
    vgs: tuple[float, float] = (0.1, 0.4),
    step: float = 5e-3,
    vds: float | None = None,
) -> MosBench:
    """``n`` mismatched copies of one device sharing the gate, each with its own drain source.

    Instance ``k`` is ``M<k>`` (drawn by ``sampler`` from that name) with drain source
    ``VD<k>``; the gate is swept over ``vgs`` (|V_GS| range, default the weak-inversion
    0.1–0.4 V of the generic process). Per-device ΔV_T then follows from the gate voltage
    each needs for a fixed current.
    """
    k = normalise_kind(kind)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError(f"The 'n' parameter of mismatch_array_bench must be >= 1. Got {n!r}.")
    vds = process.vdd if vds is None else float(vds)
    _check_range("vds", vds, 0.0, 2 * process.vdd)
    v0, v1 = (float(x) for x in vgs)
    if not 0 <= v0 < v1:
        raise ParameterError(
            f"The 'vgs' range of mismatch_array_bench must satisfy 0 <= start < stop. "
            f"Got {vgs!r} instead."
        )
    sgn = 1 if k == "n" else -1
    lines = [f"VG g 0 DC {fmt(sgn * v0)}"]
    for i in range(n):
        lines.append(f"VD{i} d{i} 0 DC {fmt(sgn * vds)}")
        lines.append(mosfet(f"M{i}", f"d{i}", "g", "0", "0", k, w, l, process, mismatch=sampler))
    net = Netlist(
        title=f"{n} mismatched {process.model(k)} W={fmt(w)} L={fmt(l)} seed {sampler.seed}",
        includes=(process.include(),),
        lines=tuple(lines),
        meta={"bench": "mismatch_array", "kind": k, "w": w, "l": l, "n": n,
              "seed": sampler.seed, "scale": sampler.scale},
    )
    return MosBench(
        netlist=net,
        source="VG",
        start=min(sgn * v0, sgn * v1),
        stop=max(sgn * v0, sgn * v1),
        step=step,
        currents=tuple(f"i(vd{i})" for i in range(n)),
        polarity=sgn,
        kind=k,
        w=w,
        l=l,
    )
