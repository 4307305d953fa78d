"""Synapse testbenches: a synapse subcircuit + supply + presynaptic (and postsynaptic) pulses.

The synapse under test is instantiated as ``XS`` (internal nodes ``xs.<node>``) and powered by
``VDD vdd 0 DC V_dd``; its ``i(vdd)`` is negative while the supply delivers power
(``P = −V_dd·i(vdd)``). The output current is sensed through a 0-V source into a node held at a
fixed voltage (the membrane level of a neuron)::

    VSENSE out vm DC 0      VM vm 0 DC V_out       I_syn = i(vsense)   (> 0: out sources)

Pulses are digital voltages (0 → V_dd) of ``width`` with edges ``edge`` (piecewise linear, so
each edge is a simulator breakpoint). Stimuli:

* single presynaptic pulse; regular train ``t_k = t_on + k/r``;
* Poisson train of rate ``r`` (seeded): ``t_{k+1} = t_k + max(d, E_k)``, ``E_k ~ Exp(r)``,
  ``d`` a dead time of two widths so pulses never overlap;
* paired pulses at an interval Δ (a list of benches sweeps Δ);
* pre/post pairs at ``Δt = t_post − t_pre`` (STDP synapse);
* long quiet period from an initial weight ``V_w(0)`` (weight drift, bistable refresh).

Builders are pure: same arguments → byte-identical deck. The :class:`~.testbenches.Bench`
they return carries the probes ``out`` (``i(vsense)``), ``supply`` (``i(vdd)``), ``pre``,
and ``w``/``post`` for learning synapses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import ParameterError
from .analyses import Tran
from .netlist import Netlist, fmt
from .testbenches import Bench, pwl

__all__ = [
    "SYN",
    "V_OUT",
    "EDGE",
    "pulse_pwl",
    "poisson_times",
    "regular_times",
    "train",
    "single_pulse",
    "regular_train",
    "poisson_train",
    "paired_pulses",
    "paired_pulse_benches",
    "pre_post_pair",
    "stdp_pair_benches",
    "weight_drift",
    "syn_node",
]

SYN = "S"
"""Instance name of the synapse under test (element ``XS``; internal nodes ``xs.<node>``)."""
V_OUT = 0.3
EDGE = 200e-9
"""Default rise/fall time of the digital pulses (s)."""
"""Default voltage of the sense node (V): a neuron membrane near rest."""


def syn_node(node: str) -> str:
    """The top-level ngspice name of a node inside the synapse under test."""
    return f"x{SYN.lower()}.{node}"


def _info(synapse: Netlist) -> tuple[str, tuple[str, ...], float]:
    meta = synapse.meta or {}
    sub = meta.get("subckt")
    if sub is None:
        raise ParameterError("The synapse netlist names no subcircuit in meta['subckt'].")
    ports = tuple(meta.get("ports") or next(s.ports for s in synapse.subckts if s.name == sub))
    p = meta.get("params")
    vdd = float(getattr(p, "vdd", None) or meta.get("vdd", 1.8))
    return str(sub), ports, vdd


def _pos(name: str, value: float, strict: bool = True) -> float:
    value = float(value)
    if not np.isfinite(value) or (value <= 0 if strict else value < 0):
        raise ParameterError(
            f"The '{name}' of a synapse testbench must be {'>' if strict else '>='} 0 s. "
            f"Got {value!r} instead."
        )
    return value


def pulse_pwl(times: Sequence[float], width: float, high: float, edge: float | None = None) -> str:
    """A ``PWL`` of rectangular voltage pulses (0 → ``high``) of ``width`` starting at ``times``."""
    width = _pos("width", width)
    ed = _pos("edge", edge if edge is not None else min(EDGE, width / 20.0))
    ts = np.sort(np.asarray(times, float))
    if ts.size and (ts[0] < 0 or np.any(np.diff(ts) < width + 2 * ed)):
        raise ParameterError("Pulses must start at t >= 0 and must not overlap.")
    pt, pv = [0.0], [0.0]
    for t0 in ts.tolist():
        seg_t = [t0, t0 + ed, t0 + width + ed, t0 + width + 2 * ed]
        seg_v = [0.0, high, high, 0.0]
        if seg_t[0] <= pt[-1]:
            seg_t, seg_v = seg_t[1:], seg_v[1:]
        pt += seg_t
        pv += seg_v
    return _pwl_exact(pt, pv)


def _pwl_exact(times: Sequence[float], values: Sequence[float]) -> str:
    """``PWL(...)`` of strictly increasing times (the shared :func:`~.testbenches.pwl` keeps
    close edges distinct late in a long train)."""
    if np.any(np.diff(np.asarray(times, float)) <= 0):
        raise ParameterError("PWL times must be increasing.")
    return pwl(times, values)


def regular_times(rate: float, t_on: float, t_stop: float) -> np.ndarray:
    """``t_on + k/rate`` below ``t_stop`` (s)."""
    rate = float(rate)
    if not rate > 0:
        raise ParameterError(f"The 'rate' of a pulse train must be > 0 Hz. Got {rate!r}.")
    return np.arange(float(t_on), float(t_stop), 1.0 / rate)


def poisson_times(rate: float, t_on: float, t_stop: float, seed: int, dead: float) -> np.ndarray:
    """Poisson pulse times of ``rate`` (Hz) in ``[t_on, t_stop)`` with a dead time (seeded)."""
    rate = float(rate)
    if not rate > 0:
        raise ParameterError(f"The 'rate' of a Poisson train must be > 0 Hz. Got {rate!r}.")
    rng = np.random.default_rng(seed)
    out, t = [], float(t_on)
    while True:
        t += max(float(dead), rng.exponential(1.0 / rate))
        if t >= t_stop:
            break
        out.append(t)
    return np.asarray(out)


def train(
    synapse: Netlist,
    times: Sequence[float],
    t_stop: float,
    width: float = 1e-3,
    post_times: Sequence[float] | None = None,
    v_out: float = V_OUT,
    max_step: float | None = None,
    ic: Mapping[str, float] | None = None,
    uic: bool = False,
    kind: str = "train",
    options: str | Mapping | None = "subthreshold",
    extra_meta: Mapping[str, object] | None = None,
) -> Bench:
    """The general synapse bench: presynaptic pulses at ``times`` (and ``post_times``).

    Parameters
    ----------
    synapse
        A synapse generator's netlist (ports ``pre out vdd gnd`` or ``pre post out w vdd gnd``).
    times, post_times
        Pulse start times (s).
    t_stop
        End of the transient (s).
    width
        Pulse width (s).
    v_out
        Voltage of the sense node (V).
    max_step
        Largest time step (s); default ``max(width/20, t_stop/2000)`` (the pulse edges are PWL
        breakpoints, so no pulse is stepped over).
    ic
        Extra initial conditions, node → V (synapse-internal nodes as ``xs.<node>``), merged
        over the synapse's ``meta['ic']``.
    uic
        Skip the operating point and start from ``ic``.
    """
    name, ports, vdd = _info(synapse)
    t_stop = _pos("t_stop", t_stop)
    width = _pos("width", width)
    if "pre" not in ports or "out" not in ports:
        raise ParameterError(f"Subcircuit {name} has ports {ports}; a train needs pre and out.")
    nodes = {"pre": "pre", "post": "post", "out": "out", "w": "w", "vdd": "vdd", "gnd": "0"}
    lines = [
        f"X{SYN} {' '.join(nodes.get(p, p) for p in ports)} {name}",
        f"VDD vdd 0 DC {fmt(vdd)}",
        "VSENSE out vm DC 0",
        f"VM vm 0 DC {fmt(v_out)}",
        f"VPRE pre 0 {pulse_pwl(times, width, vdd)}",
    ]
    probes = {"out": "i(vsense)", "supply": "i(vdd)", "pre": "v(pre)"}
    if "post" in ports:
        lines.append(f"VPOST post 0 {pulse_pwl(post_times or [], width, vdd)}")
        probes["post"] = "v(post)"
    elif post_times:
        raise ParameterError(f"Subcircuit {name} has no 'post' port.")
    if "w" in ports:
        probes["w"] = "v(w)"
    init = {syn_node(k): float(v) for k, v in dict((synapse.meta or {}).get("ic", {})).items()}
    init.update({k: float(v) for k, v in (ic or {}).items()})
    net = synapse.extend(lines=lines, ic=init, title=f"{synapse.title} :: {kind} testbench")
    ms = float(max_step) if max_step is not None else max(width / 20.0, t_stop / 2000.0)
    ms = _pos("max_step", ms)
    analysis = Tran(step=min(ms, t_stop / 1000.0), stop=t_stop, max_step=ms, uic=uic)
    meta = {
        "kind": kind,
        "subckt": name,
        "times": [float(x) for x in np.sort(np.asarray(times, float))],
        "post_times": [float(x) for x in np.sort(np.asarray(post_times or [], float))],
        "width": width,
        "v_out": float(v_out),
        "synapse": dict(synapse.meta or {}),
        **dict(extra_meta or {}),
    }
    return Bench(netlist=net, analysis=analysis, vdd=vdd, probes=probes, options=options,
                 meta=meta)


def single_pulse(
    synapse: Netlist, width: float = 1e-3, t_on: float = 1e-3, t_stop: float = 30e-3, **kw
) -> Bench:
    """One presynaptic pulse of ``width`` at ``t_on`` (s), simulated to ``t_stop``."""
    return train(synapse, [t_on], t_stop, width=width, kind="single_pulse", **kw)


def regular_train(
    synapse: Netlist, rate: float, t_stop: float, width: float = 1e-3, t_on: float = 1e-3, **kw
) -> Bench:
    """A regular train of ``rate`` (Hz) from ``t_on`` to ``t_stop`` (s)."""
    times = regular_times(rate, t_on, t_stop - width)
    return train(synapse, times, t_stop, width=width, kind="regular_train",
                 extra_meta={"rate": float(rate)}, **kw)


def poisson_train(
    synapse: Netlist, rate: float, t_stop: float, seed: int, width: float = 1e-3,
    t_on: float = 1e-3, **kw,
) -> Bench:
    """A Poisson train of mean ``rate`` (Hz, dead time 2·width), seeded by ``seed``."""
    times = poisson_times(rate, t_on, t_stop - 2 * width, seed, dead=2.0 * width + 4e-6)
    return train(synapse, times, t_stop, width=width, kind="poisson_train",
                 extra_meta={"rate": float(rate), "seed": int(seed)}, **kw)


def paired_pulses(
    synapse: Netlist, interval: float, width: float = 1e-3, t_on: float = 1e-3,
    t_after: float = 20e-3, **kw,
) -> Bench:
    """Two pulses ``interval`` apart (onset to onset), simulated ``t_after`` past the second."""
    interval = _pos("interval", interval)
    times = [t_on, t_on + interval]
    return train(synapse, times, t_on + interval + t_after, width=width, kind="paired_pulses",
                 extra_meta={"interval": interval}, **kw)


def paired_pulse_benches(synapse: Netlist, intervals: Sequence[float], **kw) -> list[Bench]:
    """One :func:`paired_pulses` bench per interval (s)."""
    return [paired_pulses(synapse, float(d), **kw) for d in intervals]


def pre_post_pair(
    synapse: Netlist, dt: float, width: float = 1e-4, t_first: float = 5e-3,
    t_after: float = 2e-3, w0: float | None = None, **kw,
) -> Bench:
    """A pre and a post pulse with ``Δt = t_post − t_pre`` (s); ``w0`` sets ``V_w(0)``."""
    dt = float(dt)
    t_pre = t_first + max(0.0, -dt)
    t_post = t_pre + dt
    ic = dict(kw.pop("ic", {}) or {})
    if w0 is not None:
        ic["w"] = float(w0)
    return train(synapse, [t_pre], max(t_pre, t_post) + t_after, width=width,
                 post_times=[t_post], kind="pre_post_pair", ic=ic,
                 extra_meta={"dt": dt, "t_pre": t_pre, "t_post": t_post}, **kw)


def stdp_pair_benches(synapse: Netlist, dts: Sequence[float], **kw) -> list[Bench]:
    """One :func:`pre_post_pair` bench per Δt (s)."""
    return [pre_post_pair(synapse, float(d), **kw) for d in dts]


def weight_drift(
    synapse: Netlist, w0: float, t_stop: float, max_step: float | None = None,
    options: str | Mapping | None = "subthreshold",
) -> Bench:
    """A long quiet period from ``V_w(0) = w0`` (V): no pulses (weight drift / refresh).

    Works for ``BISTABLE w vdd gnd`` and for the STDP synapse (``pre``/``post`` held low).
    """
    name, ports, vdd = _info(synapse)
    t_stop = _pos("t_stop", t_stop)
    if "w" not in ports:
        raise ParameterError(f"Subcircuit {name} has no weight port 'w': {ports}.")
    nodes = {"pre": "0", "post": "0", "out": "out", "w": "w", "vdd": "vdd", "gnd": "0"}
    lines = [f"X{SYN} {' '.join(nodes.get(p, p) for p in ports)} {name}",
             f"VDD vdd 0 DC {fmt(vdd)}"]
    probes = {"w": "v(w)", "supply": "i(vdd)"}
    if "out" in ports:
        lines += ["VSENSE out vm DC 0", f"VM vm 0 DC {fmt(V_OUT)}"]
        probes["out"] = "i(vsense)"
    init = {syn_node(k): float(v) for k, v in dict((synapse.meta or {}).get("ic", {})).items()}
    init["w"] = float(w0)
    net = synapse.extend(lines=lines, ic=init, title=f"{synapse.title} :: weight drift testbench")
    ms = _pos("max_step", max_step if max_step is not None else t_stop / 200.0)
    analysis = Tran(step=min(ms, t_stop / 1000.0), stop=t_stop, max_step=ms, uic=True)
    return Bench(netlist=net, analysis=analysis, vdd=vdd, probes=probes, options=options,
                 meta={"kind": "weight_drift", "subckt": name, "w0": float(w0),
                       "synapse": dict(synapse.meta or {})})
