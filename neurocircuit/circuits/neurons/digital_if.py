"""Digital integrate-and-fire neuron from XSPICE digital primitives (TrueNorth-style).

Per clock tick ``t`` (rising edge of ``clk``) with input bits ``s_i[t]`` and integer weights::

    U      = V[t] + w_0 s_0[t] + w_1 s_1[t] − λ          (N-bit two's complement, wraps)
    spike  = (U ≥ θ) and not refractory
    V[t+1] = V_reset          if spike and mode = "reset"
           = U − θ            if spike and mode = "subtract"
           = V[t]             while refractory (R ticks after a spike: inputs, leak ignored)
           = U                otherwise

All arithmetic is modulo 2^N read as signed: **overflow wraps** (V = 2^{N−1} − 1 plus a
positive increment becomes negative; a leak below −2^{N−1} wraps to large positive values,
which then fire). A constant drive ``I = w − λ > 0`` per tick from ``V_reset`` fires every
``n = ⌈(θ − V_reset)/I⌉`` ticks (reset mode, no refractory), ``f = f_clk/n``; with R refractory
ticks ``f = f_clk/(n + R)``; no spikes for ``I ≤ 0``.

Hardware: N D flip-flops hold V (async ``rst`` loads V_reset), three ripple-carry adders
(``w_0 s_0``, ``w_1 s_1``, ``−λ``; constants folded into half adders at generation time), a
constant comparator ``U ≥ θ`` (sign bit clear and the unsigned chain
``GE_k = x_k ∧ GE_{k−1}`` for θ_k = 1, ``x_k ∨ GE_{k−1}`` for θ_k = 0), a per-bit reset /
subtract / hold multiplexer, the spike register and an R-stage refractory shift register.
Analog ports ``clk rst s0 s1 out vdd gnd`` go through adc/dac bridges; the state bits are
also bridged to internal analog nodes ``q0a … q{N−1}a`` for inspection.

:func:`reference` is the pure-Python update rule, bit-exact with the circuit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ...errors import ParameterError
from ...units import param, validate
from ..netlist import Netlist, Subckt, fmt
from ..registry import CircuitEntry

__all__ = [
    "DigitalIFParams",
    "digital_if",
    "reference",
    "to_signed",
    "TRUENORTH_LIKE",
    "CATALOG",
    "CHARACTERIZATION",
    "regular_pattern",
]

SUBCKT = "DIGITAL_IF"
PORTS = ("clk", "rst", "s0", "s1", "out", "vdd", "gnd")


@dataclass(frozen=True)
class DigitalIFParams:
    """Parameters of the digital IF neuron (integers are in LSB units of V)."""

    n_bits: int = param(8, unit="bit", doc="accumulator width N", ge=3, le=16)
    w0: int = param(5, unit="LSB", doc="weight of input s0 (signed)", ge=-32768, le=32767)
    w1: int = param(-3, unit="LSB", doc="weight of input s1 (signed)", ge=-32768, le=32767)
    leak: int = param(1, unit="LSB", doc="leak λ subtracted every tick", ge=0, le=32767)
    theta: int = param(20, unit="LSB", doc="threshold θ", ge=1, le=32767)
    v_reset: int = param(0, unit="LSB", doc="reset value V_reset", ge=-32768, le=32767)
    mode: str = param(
        "reset",
        doc="after a spike: 'reset' to V_reset or 'subtract' θ",
        choices=("reset", "subtract"),
    )
    refractory: int = param(0, unit="tick", doc="refractory ticks R after a spike", ge=0, le=8)
    vdd: float = param(1.8, unit="V", doc="logic high level of the bridges", ge=0.5, le=5.0)
    gate_delay: float = param(
        1e-9, unit="s", doc="delay of every gate and flip-flop", gt=0, le=1e-6
    )

    def __post_init__(self) -> None:
        validate(self)
        lo, hi = -(2 ** (self.n_bits - 1)), 2 ** (self.n_bits - 1) - 1
        for name in ("w0", "w1", "v_reset"):
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise ParameterError(
                    f"The '{name}' parameter of DigitalIFParams must be within [{lo}, {hi}] LSB "
                    f"for n_bits={self.n_bits}. Got {v!r} instead."
                )
        for name in ("leak", "theta"):
            v = getattr(self, name)
            if v > hi:
                raise ParameterError(
                    f"The '{name}' parameter of DigitalIFParams must be <= {hi} LSB for "
                    f"n_bits={self.n_bits}. Got {v!r} instead."
                )


TRUENORTH_LIKE = DigitalIFParams()
"""8-bit accumulator, linear leak λ = 1 per tick, reset to 0 at θ = 20: the TrueNorth-style
linear-leak IF of circuits.md §1.8 (Merolla et al., Science 2014), scaled to 8 bits."""


def to_signed(x: int, n_bits: int) -> int:
    """The N-bit two's-complement reading of ``x mod 2^N``."""
    m = x % (1 << n_bits)
    return m - (1 << n_bits) if m >= 1 << (n_bits - 1) else m


def reference(params: DigitalIFParams, inputs, v0: int | None = None):
    """The update rule, bit-exact with the circuit.

    Parameters
    ----------
    params
        The neuron.
    inputs
        ``(ticks, 2)`` array of 0/1 input bits (``s0``, ``s1``) per tick.
    v0
        Initial V (default ``V_reset``, as after ``rst``).

    Returns
    -------
    v, spikes
        ``v[t]`` is V after tick ``t`` (signed ints), ``spikes[t]`` is 1 if tick ``t`` fired.
    """
    p = params
    bits = np.asarray(inputs, dtype=int).reshape(-1, 2)
    n = p.n_bits
    v = to_signed(p.v_reset if v0 is None else v0, n)
    refr = 0
    vs, ss = [], []
    for s0, s1 in bits:
        if refr > 0:
            refr -= 1
            spike = 0
        else:
            u = to_signed(v + p.w0 * int(s0) + p.w1 * int(s1) - p.leak, n)
            spike = int(u >= p.theta)
            if spike:
                v = to_signed(p.v_reset, n) if p.mode == "reset" else to_signed(u - p.theta, n)
                refr = p.refractory
            else:
                v = u
        vs.append(v)
        ss.append(spike)
    return np.asarray(vs, int), np.asarray(ss, int)


class _Gates:
    """Gate-level builder with constant folding; nets are names or the constants 0/1."""

    def __init__(self, delay: float) -> None:
        self.lines: list[str] = []
        self.k = 0
        self.delay = delay

    def _new(self, kind: str, ins: Sequence[str]) -> str:
        self.k += 1
        out = f"g{self.k}"
        src = ins[0] if kind == "inv" else "[" + " ".join(ins) + "]"
        self.lines.append(f"A{self.k} {src} {out} d{kind}")
        return out

    def inv(self, a):
        return 1 - a if isinstance(a, int) else self._new("inv", [a])

    def and_(self, a, b):
        if isinstance(a, int) or isinstance(b, int):
            c, x = (a, b) if isinstance(a, int) else (b, a)
            return x if c == 1 else 0
        return self._new("and", [a, b])

    def or_(self, a, b):
        if isinstance(a, int) or isinstance(b, int):
            c, x = (a, b) if isinstance(a, int) else (b, a)
            return 1 if c == 1 else x
        return self._new("or", [a, b])

    def xor(self, a, b):
        if isinstance(a, int) or isinstance(b, int):
            c, x = (a, b) if isinstance(a, int) else (b, a)
            if isinstance(x, int):
                return c ^ x
            return self.inv(x) if c == 1 else x
        return self._new("xor", [a, b])

    def add(self, xs: list, ys: list) -> list:
        """Ripple-carry sum of two N-bit vectors (LSB first), carry out dropped (wraps)."""
        c = 0
        out = []
        for a, b in zip(xs, ys):
            ab = self.xor(a, b)
            out.append(self.xor(ab, c))
            c = self.or_(self.and_(a, b), self.and_(ab, c))
        return out

    def mux(self, sel, when1, when0):
        return self.or_(self.and_(sel, when1), self.and_(self.inv(sel), when0))


def _const_bits(value: int, n: int) -> list[int]:
    m = value % (1 << n)
    return [(m >> k) & 1 for k in range(n)]


def digital_if(params: DigitalIFParams = TRUENORTH_LIKE, process=None, mismatch=None) -> Netlist:
    """The ``DIGITAL_IF clk rst s0 s1 out vdd gnd`` subcircuit deck (see the module rule).

    ``process`` and ``mismatch`` are accepted for the common generator signature and ignored
    (XSPICE digital primitives have no transistors).
    """
    p = params
    n = p.n_bits
    g = _Gates(p.gate_delay)
    q = [f"q{k}" for k in range(n)]
    addend0 = [g.and_(b, "ds0") for b in _const_bits(p.w0, n)]
    addend1 = [g.and_(b, "ds1") for b in _const_bits(p.w1, n)]
    u = g.add(g.add(g.add(q, addend0), addend1), _const_bits(-p.leak, n))
    # comparator U >= theta (theta > 0): sign bit clear and unsigned low bits >= theta
    ge = 1
    for k, tb in enumerate(_const_bits(p.theta, n - 1)):
        ge = g.and_(u[k], ge) if tb else g.or_(u[k], ge)
    ge = g.and_(g.inv(u[n - 1]), ge)
    refr_taps = [f"r{j}" for j in range(1, p.refractory + 1)]
    refr = 0
    for tap in refr_taps:
        refr = g.or_(refr, tap)
    spike = g.and_(ge, g.inv(refr))
    after = _const_bits(p.v_reset, n) if p.mode == "reset" else g.add(u, _const_bits(-p.theta, n))
    d = []
    for k in range(n):
        nxt = g.mux(spike, after[k], u[k])
        d.append(g.mux(refr, q[k], nxt))
    lines = list(g.lines)
    vr = _const_bits(p.v_reset, n)

    def net(x):
        if isinstance(x, int):
            return "one" if x else "zero"
        return x

    for k in range(n):
        setp, resp = ("drst", "zero") if vr[k] else ("zero", "drst")
        lines.append(f"AQ{k} {net(d[k])} dclk {setp} {resp} q{k} nq{k} dff")
    lines.append(f"ASPK {net(spike)} dclk zero drst dspk nspk dff")
    prev = "dspk"
    for j, tap in enumerate(refr_taps):
        if j > 0:
            lines.append(f"AR{j + 1} {prev} dclk zero drst {tap} n{tap} dff")
        else:
            lines.append(f"AR1 {net(spike)} dclk zero drst {tap} n{tap} dff")
        prev = tap
    dl = fmt(p.gate_delay)
    vh = fmt(p.vdd)
    lines += [
        "ACONST0 zero dpulldown",
        "ACONST1 one dpullup",
        "AIN [clk rst s0 s1] [dclk drst ds0 ds1] adc",
        "AOUT [dspk] [out] dac",
        f"AQA [{' '.join(q)}] [{' '.join(f'q{k}a' for k in range(n))}] dac",
        "RLOAD vdd gnd 1g",
        f".model adc adc_bridge(in_low={fmt(0.3 * p.vdd)} in_high={fmt(0.7 * p.vdd)})",
        f".model dac dac_bridge(out_low=0 out_high={vh} t_rise={dl} t_fall={dl})",
        f".model dff d_dff(clk_delay={dl} set_delay={dl} reset_delay={dl})",
        f".model dand d_and(rise_delay={dl} fall_delay={dl})",
        f".model dor d_or(rise_delay={dl} fall_delay={dl})",
        f".model dxor d_xor(rise_delay={dl} fall_delay={dl})",
        f".model dinv d_inverter(rise_delay={dl} fall_delay={dl})",
        ".model dpullup d_pullup(load=1p)",
        ".model dpulldown d_pulldown(load=1p)",
    ]
    sub = Subckt(SUBCKT, PORTS, tuple(lines), doc="digital IF neuron (XSPICE digital)")
    return Netlist(
        title=f"Digital {n}-bit integrate-and-fire neuron (XSPICE)",
        subckts=(sub,),
        meta={
            "subckt": SUBCKT,
            "ports": PORTS,
            "params": p,
            "generator": "digital-if",
            "vdd": p.vdd,
            "n_gates": g.k,
            "state_nodes": tuple(f"q{k}a" for k in range(n)),
            "values": asdict(p),
        },
    )


def regular_pattern(rate: float, ticks: int) -> np.ndarray:
    """0/1 train with ``rate`` events per tick, evenly spread: 1 where ⌊(k+1)r⌋ > ⌊k r⌋."""
    k = np.arange(ticks + 1)
    c = np.floor(k * float(rate) + 1e-9)
    return (np.diff(c) > 0).astype(int)


CHARACTERIZATION = {
    "digital-if": {
        "kind": "digital",  # characterised by its own routine: event drive, no supply current
        "f_clk": 1e6,
        "ticks": 200,
        "n_points": 20,
    }
}

CATALOG = (
    CircuitEntry(
        name="digital-if",
        family="neuron",
        params_cls=DigitalIFParams,
        presets={"truenorth_like": TRUENORTH_LIKE},
        generator=digital_if,
        doc="N-bit accumulate-and-fire neuron from XSPICE digital gates and flip-flops.",
        preset_docs={
            "truenorth_like": "linear-leak digital IF, Merolla et al., Science 345:668 (2014); "
            "circuits.md §1.8",
        },
    ),
)
