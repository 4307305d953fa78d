"""Testbenches: a neuron subcircuit + supply + stimulus + transient analysis + probes.

A testbench instantiates the device under test ``XN in vmem out vdd 0 <SUBCKT>`` (internal
nodes are then ``xn.<node>`` in ngspice), powers it from ``VDD vdd 0 DC V_dd`` and drives its
``in`` port with a current source ``IIN 0 in`` (current flows into ``in``). The supply current
``i(vdd)`` is negative while the supply delivers power (``P = −V_dd·i(vdd)``).

Stimuli (all piecewise linear, so every deck is plain SPICE):

* DC step: ``I(t) = I_in · H(t − t_on)`` with a short linear rise ``t_rise``;
* ramp: ``I(t) = I_0 + (I_1 − I_0)·(t − t_on)/(t_stop − t_on)``;
* spike train: rectangular pulses of ``amplitude`` and ``width`` at the given times;
* Ornstein–Uhlenbeck current, exact discretisation on a grid of step ``dt``::

      x_{k+1} = μ + (x_k − μ) e^{−dt/τ} + σ √(1 − e^{−2dt/τ}) ξ_k,   ξ_k ~ N(0, 1) (seeded)

* clocked digital: a clock ``PULSE`` and one PWL bit line per input, for the digital IF neuron.

Builders are pure: same arguments → byte-identical deck.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..units import parse_si
from .analyses import Tran
from .netlist import Netlist, fmt

__all__ = [
    "Bench",
    "DUT",
    "dc_step",
    "current_ramp",
    "spike_train",
    "ou_current",
    "clocked_digital",
    "internal_node",
    "pwl",
]

DUT = "N"
"""Instance name of the device under test (element ``XN``; internal nodes ``xn.<node>``)."""

DEFAULT_PROBES = {"vmem": "v(vmem)", "out": "v(out)", "supply": "i(vdd)"}


def internal_node(node: str) -> str:
    """The top-level ngspice name of a node inside the device under test."""
    return f"x{DUT.lower()}.{node}"


@dataclass(frozen=True)
class Bench:
    """A complete simulation job: netlist, transient analysis, supply, probes.

    Attributes
    ----------
    netlist
        The deck (DUT + supply + stimulus), no analysis card.
    analysis
        The transient analysis.
    vdd
        Supply voltage (V) of the ``VDD`` source.
    probes
        Role -> ngspice vector (``"vmem"``, ``"out"``, ``"supply"``).
    options
        Simulator options preset or mapping (``"subthreshold"`` by default).
    meta
        Stimulus description (kind, values; the OU samples as arrays); not part of equality.
    """

    netlist: Netlist
    analysis: Tran
    vdd: float
    probes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PROBES))
    options: str | Mapping | None = "subthreshold"
    meta: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)

    def text(self) -> str:
        """Deck text with the analysis card (what a backend would run, minus options)."""
        return self.netlist.text() + self.analysis.card() + "\n"


def pwl(times: Sequence[float], values: Sequence[float]) -> str:
    """A ``PWL(t0 v0 t1 v1 ...)`` source value; times must be non-decreasing."""
    t = np.asarray(times, float)
    if t.size == 0 or t.size != len(values):
        raise ParameterError("A PWL needs as many times as values, at least one.")
    if np.any(np.diff(t) < 0):
        raise ParameterError("PWL times must be non-decreasing.")
    pairs = " ".join(f"{_time(a)} {fmt(b)}" for a, b in zip(t.tolist(), values))
    return f"PWL({pairs})"


def _time(t: float) -> str:
    """A PWL time: engineering notation when it is exact, else 12 significant digits, so that
    close edges late in a long stimulus (0.2 µs apart at t = 0.25 s) stay distinct."""
    text = fmt(t)
    if abs(parse_si(text) - t) <= 1e-12 * abs(t):
        return text
    return f"{t:.12g}"


def _neuron_info(neuron: Netlist) -> tuple[str, tuple[str, ...]]:
    sub = neuron.meta.get("subckt") if neuron.meta else None
    if sub is None:
        if len(neuron.subckts) != 1:
            raise ParameterError(
                "The neuron netlist names no subcircuit in meta['subckt'] and holds "
                f"{len(neuron.subckts)} subcircuits; pass a generator's netlist."
            )
        s = neuron.subckts[0]
        return s.name, s.ports
    ports = tuple(neuron.meta.get("ports", ()))
    if not ports:
        ports = next(s.ports for s in neuron.subckts if s.name == sub)
    return str(sub), ports


def _vdd_of(neuron: Netlist, vdd: float | None) -> float:
    if vdd is not None:
        v = float(vdd)
    else:
        p = neuron.meta.get("params") if neuron.meta else None
        v = float(getattr(p, "vdd", None) or neuron.meta.get("vdd", 1.8))
    if not v > 0:
        raise ParameterError(f"The 'vdd' of a testbench must be > 0 V. Got {v!r} instead.")
    return v


def _check_time(name: str, value: float, strict: bool = True) -> float:
    value = float(value)
    if not np.isfinite(value) or (value <= 0 if strict else value < 0):
        op = ">" if strict else ">="
        raise ParameterError(f"The '{name}' of a testbench must be {op} 0 s. Got {value!r}.")
    return value


def _bench(
    neuron: Netlist,
    stim_line: str,
    t_stop: float,
    vdd: float | None,
    max_step: float | None,
    step: float | None,
    ic: Mapping[str, float] | None,
    uic: bool,
    kind: str,
    options: str | Mapping | None,
    extra_meta: Mapping[str, object],
) -> Bench:
    t_stop = _check_time("t_stop", t_stop)
    name, ports = _neuron_info(neuron)
    if tuple(ports[:5]) != ("in", "vmem", "out", "vdd", "gnd"):
        raise ParameterError(
            f"Subcircuit {name} has ports {ports}; the analog testbenches need "
            "(in, vmem, out, vdd, gnd)."
        )
    v = _vdd_of(neuron, vdd)
    inst = f"X{DUT} in vmem out vdd 0 {name}"
    lines = [inst, f"VDD vdd 0 DC {fmt(v)}", stim_line]
    ic_all = dict(neuron.meta.get("ic", {}) if neuron.meta else {})
    ic_all.update(ic or {})
    ic_lines = {k: float(val) for k, val in ic_all.items()}
    net = neuron.extend(lines=lines, ic=ic_lines, title=f"{neuron.title} :: {kind} testbench")
    ms = float(max_step) if max_step is not None else t_stop / 1000.0
    ms = _check_time("max_step", ms)
    st = float(step) if step is not None else min(ms, t_stop / 1000.0)
    analysis = Tran(step=st, stop=t_stop, max_step=ms, uic=uic)
    meta = {"kind": kind, "subckt": name, "neuron": dict(neuron.meta), **extra_meta}
    return Bench(
        netlist=net,
        analysis=analysis,
        vdd=v,
        probes=dict(DEFAULT_PROBES),
        options=options,
        meta=meta,
    )


def dc_step(
    neuron: Netlist,
    i_in: float,
    t_stop: float,
    t_on: float = 0.0,
    vdd: float | None = None,
    max_step: float | None = None,
    t_rise: float | None = None,
    step: float | None = None,
    ic: Mapping[str, float] | None = None,
    uic: bool = False,
    options: str | Mapping | None = "subthreshold",
) -> Bench:
    """A DC current step of ``i_in`` (A) into ``in`` at ``t_on`` (s), simulated to ``t_stop``.

    The current starts at 0 (so the operating point is the resting state) and rises linearly
    in ``t_rise`` (default ``t_stop/1e4``). ``max_step`` defaults to ``t_stop/1000``.
    ``ic`` sets ``.ic`` node voltages (merged over the neuron's ``meta['ic']``); ``uic``
    skips the operating point.
    """
    t_stop = _check_time("t_stop", t_stop)
    t_on = _check_time("t_on", t_on, strict=False)
    tr = _check_time("t_rise", t_rise if t_rise is not None else t_stop / 1e4)
    if t_on + tr >= t_stop:
        raise ParameterError(
            f"The step (t_on + t_rise = {t_on + tr:g} s) must start before t_stop."
        )
    pts_t = [0.0, t_on, t_on + tr] if t_on > 0 else [0.0, tr]
    pts_v = [0.0, 0.0, float(i_in)] if t_on > 0 else [0.0, float(i_in)]
    line = f"IIN 0 in {pwl(pts_t, pts_v)}"
    return _bench(
        neuron,
        line,
        t_stop,
        vdd,
        max_step,
        step,
        ic,
        uic,
        "dc_step",
        options,
        {"i_in": float(i_in), "t_on": t_on, "t_rise": tr},
    )


def current_ramp(
    neuron: Netlist,
    i_start: float,
    i_stop: float,
    t_stop: float,
    t_on: float = 0.0,
    vdd: float | None = None,
    max_step: float | None = None,
    step: float | None = None,
    ic: Mapping[str, float] | None = None,
    uic: bool = False,
    options: str | Mapping | None = "subthreshold",
) -> Bench:
    """A linear current ramp from ``i_start`` (at ``t_on``) to ``i_stop`` (at ``t_stop``), A."""
    t_stop = _check_time("t_stop", t_stop)
    t_on = _check_time("t_on", t_on, strict=False)
    if t_on >= t_stop:
        raise ParameterError(f"The ramp must start (t_on={t_on:g} s) before t_stop={t_stop:g} s.")
    pts_t = [0.0, t_on, t_stop] if t_on > 0 else [0.0, t_stop]
    pts_v = [float(i_start)] * (2 if t_on > 0 else 1) + [float(i_stop)]
    line = f"IIN 0 in {pwl(pts_t, pts_v)}"
    return _bench(
        neuron,
        line,
        t_stop,
        vdd,
        max_step,
        step,
        ic,
        uic,
        "current_ramp",
        options,
        {"i_start": float(i_start), "i_stop": float(i_stop), "t_on": t_on},
    )


def spike_train(
    neuron: Netlist,
    times: Sequence[float],
    amplitude: float,
    width: float,
    t_stop: float,
    edge: float | None = None,
    baseline: float = 0.0,
    vdd: float | None = None,
    max_step: float | None = None,
    step: float | None = None,
    ic: Mapping[str, float] | None = None,
    uic: bool = False,
    options: str | Mapping | None = "subthreshold",
) -> Bench:
    """Rectangular current pulses of ``amplitude`` (A) and ``width`` (s) starting at ``times``.

    Edges take ``edge`` seconds (default ``width/20``); pulses must not overlap.
    ``max_step`` defaults to ``width/20`` so no pulse is stepped over.
    """
    t_stop = _check_time("t_stop", t_stop)
    width = _check_time("width", width)
    ed = _check_time("edge", edge if edge is not None else width / 20.0)
    ts = np.sort(np.asarray(times, float))
    if ts.size and (ts[0] < 0 or np.any(np.diff(ts) < width + 2 * ed)):
        raise ParameterError("Spike-train pulses must start at t >= 0 and must not overlap.")
    pt, pv = [0.0], [float(baseline)]
    for t0 in ts.tolist():
        seg_t = [t0, t0 + ed, t0 + width + ed, t0 + width + 2 * ed]
        seg_v = [baseline, amplitude, amplitude, baseline]
        if seg_t[0] <= pt[-1]:
            seg_t, seg_v = seg_t[1:], seg_v[1:]
        pt += seg_t
        pv += [float(x) for x in seg_v]
    line = f"IIN 0 in {pwl(pt, pv)}"
    ms = max_step if max_step is not None else min(width / 20.0, t_stop / 1000.0)
    return _bench(
        neuron,
        line,
        t_stop,
        vdd,
        ms,
        step,
        ic,
        uic,
        "spike_train",
        options,
        {"times": ts.tolist(), "amplitude": float(amplitude), "width": width},
    )


def ou_samples(
    mean: float, sigma: float, tau: float, t_stop: float, dt: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(t, i)``: an Ornstein–Uhlenbeck current on a grid of step ``dt``, from ``x_0 = mean``."""
    tau = _check_time("tau", tau)
    dt = _check_time("dt", dt)
    if sigma < 0:
        raise ParameterError(f"The 'sigma' of an OU current must be >= 0 A. Got {sigma!r}.")
    n = int(np.floor(t_stop / dt)) + 1
    rng = np.random.default_rng(seed)
    a = np.exp(-dt / tau)
    b = sigma * np.sqrt(1.0 - a * a)
    xi = rng.standard_normal(n - 1)
    x = np.empty(n)
    x[0] = mean
    for k in range(n - 1):
        x[k + 1] = mean + (x[k] - mean) * a + b * xi[k]
    return np.arange(n) * dt, x


def ou_current(
    neuron: Netlist,
    mean: float,
    sigma: float,
    tau: float,
    t_stop: float,
    dt: float,
    seed: int,
    vdd: float | None = None,
    max_step: float | None = None,
    step: float | None = None,
    ic: Mapping[str, float] | None = None,
    uic: bool = False,
    options: str | Mapping | None = "subthreshold",
) -> Bench:
    """A noisy Ornstein–Uhlenbeck input current (mean, σ in A; τ, dt in s), seeded."""
    t_stop = _check_time("t_stop", t_stop)
    t, x = ou_samples(mean, sigma, tau, t_stop, dt, seed)
    line = f"IIN 0 in {pwl(t, x.tolist())}"
    ms = max_step if max_step is not None else dt
    return _bench(
        neuron,
        line,
        t_stop,
        vdd,
        ms,
        step,
        ic,
        uic,
        "ou_current",
        options,
        {
            "mean": float(mean),
            "sigma": float(sigma),
            "tau": tau,
            "dt": dt,
            "seed": int(seed),
            "stimulus_t": t,
            "stimulus_i": x,
        },
    )


def clocked_digital(
    neuron: Netlist,
    inputs: np.ndarray,
    f_clk: float,
    vdd: float | None = None,
    rise: float | None = None,
    extra_ticks: int = 2,
    options: str | Mapping | None = None,
) -> Bench:
    """Clock and input bit lines for a clocked digital neuron.

    The neuron's subcircuit ports are ``clk rst <in_0 … in_{n−1}> out vdd gnd`` as named in
    its ``meta['ports']``; ``inputs`` is a ``(ticks, n_in)`` 0/1 array whose row ``k`` is
    applied during clock period ``k`` (it changes half a period before the rising edge
    ``(k + 1)·T``). ``rst`` is held high for the first half period. Probes: ``out`` and the
    clock.
    """
    f_clk = float(f_clk)
    if not f_clk > 0:
        raise ParameterError(f"The 'f_clk' of a clocked testbench must be > 0 Hz. Got {f_clk!r}.")
    name, ports = _neuron_info(neuron)
    if ports[:2] != ("clk", "rst") or ports[-3:] != ("out", "vdd", "gnd"):
        raise ParameterError(
            f"Subcircuit {name} has ports {ports}; expected clk rst ... out vdd gnd."
        )
    in_ports = ports[2:-3]
    bits = np.asarray(inputs, dtype=int)
    if bits.ndim == 1:
        bits = bits[:, None]
    if bits.shape[1] != len(in_ports) or not np.isin(bits, (0, 1)).all():
        raise ParameterError(
            f"inputs must be a 0/1 array of shape (ticks, {len(in_ports)}); got {bits.shape}."
        )
    v = _vdd_of(neuron, vdd)
    period = 1.0 / f_clk
    tr = float(rise) if rise is not None else period / 100.0
    ticks = bits.shape[0]
    t_stop = (ticks + extra_ticks) * period
    lines = [
        f"X{DUT} {' '.join(ports[:-2])} vdd 0 {name}",
        f"VDD vdd 0 DC {fmt(v)}",
        f"VCLK clk 0 PULSE(0 {fmt(v)} {fmt(period)} {fmt(tr)} {fmt(tr)} "
        f"{fmt(period / 2 - tr)} {fmt(period)})",
        f"VRST rst 0 {pwl([0.0, period / 2, period / 2 + tr], [v, v, 0.0])}",
    ]
    for j, port in enumerate(in_ports):
        col = bits[:, j]
        pt, pv = [0.0], [0.0]
        level = 0
        for k in range(ticks):
            if col[k] != level:
                tc = (k + 0.5) * period
                pt += [tc, tc + tr]
                pv += [level * v, col[k] * v]
                level = int(col[k])
        lines.append(f"V{port.upper()} {port} 0 {pwl(pt, pv)}")
    net = neuron.extend(lines=lines, title=f"{neuron.title} :: clocked testbench")
    analysis = Tran(step=period / 20.0, stop=t_stop, max_step=period / 10.0)
    probes = {"out": "v(out)", "clk": "v(clk)", "supply": "i(vdd)"}
    probes.update({p: f"v({p})" for p in in_ports})
    meta = {
        "kind": "clocked_digital",
        "subckt": name,
        "f_clk": f_clk,
        "ticks": ticks,
        "inputs": bits,
        "neuron": dict(neuron.meta),
    }
    return Bench(netlist=net, analysis=analysis, vdd=v, probes=probes, options=options, meta=meta)
