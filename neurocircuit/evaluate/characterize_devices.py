"""Device characterisation: pinched hysteresis, programming curves, figures of merit.

For a memristor model this runs

- sinusoidal I–V loops ``v = A·sin(2πft)`` in ngspice at ``f0, 2f0, 4f0`` (one period from the
  model's initial state); the loop is pinched when ``|i(t = T/2)|`` and ``|i(T)|`` (where v = 0)
  are ≪ max|i|; the lobe area ``|∫_{v ≥ 0 half} i dv| + |∫_{v ≤ 0 half} i dv|`` shrinks as the
  frequency rises;
- identical-pulse programming with the numpy compact model: ``n`` potentiation pulses then ``n``
  depression pulses, G(n) read at ``v_read``; nonlinearity, asymmetry and distinguishable levels
  (:mod:`neurocircuit.hardware.memristor`);
- Monte Carlo (``mc > 0``): ``mc`` devices with device-to-device spread (``*_d2d``) and
  cycle-to-cycle spread (``dx_c2c``) — ``DEFAULT_SPREAD`` on each when the params carry none —
  vectorised in numpy; the spread σ(G_n) enters the level
  count together with a relative read noise of ``READ_SIGMA``.

Results: ``characterization.json`` and PNG plots (I–V loops, programming curves) in ``out_dir``.
``workers``/``scheduler`` are accepted for the CLI's uniform signature; the Monte Carlo here is
a vectorised numpy computation and needs no pool.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..circuits.memristors import (
    LinearDriftParams,
    MemristorParams,
    VTEAMParams,
    YakopcicParams,
    memristor_subckt,
    sample_d2d,
)
from ..circuits.netlist import Netlist, fmt
from ..hardware import memristor as hm

__all__ = [
    "SINE_DEFAULTS",
    "PULSE_DEFAULTS",
    "READ_SIGMA",
    "sine_testbench",
    "simulate_sine",
    "lobe_area",
    "pinch_ratio",
    "programming_curves",
    "characterize_memristor",
    "CHARACTERIZERS",
]

READ_SIGMA = 0.01
"""Relative read-noise σ of G assumed for the level count."""

SINE_DEFAULTS = {
    LinearDriftParams: (1.2, 1.0),
    VTEAMParams: (0.25, 1e6),
    YakopcicParams: (0.45, 100.0),
}
"""(amplitude V, base frequency Hz) of the I–V loops: the model's dynamic range."""

PULSE_DEFAULTS = {
    LinearDriftParams: (1.0, 1.0, 20e-3, 30, 0.1),
    VTEAMParams: (0.22, 0.25, 10e-9, 30, 0.01),
    YakopcicParams: (0.45, 0.45, 50e-6, 30, 0.1),
}
"""(|v| potentiation V, |v| depression V, width s, pulses per direction, v_read V) of the
identical-pulse programming curves (VTEAM's ON switching is far faster than its OFF switching,
hence the lower potentiation amplitude)."""

DEFAULT_SPREAD = 0.05
"""Relative σ used for every ``*_d2d`` and ``dx_c2c`` field in Monte Carlo when the params
carry no variation at all (recorded as ``variation_used`` in the JSON)."""

_TRAN_OPTIONS = {"reltol": 1e-6, "abstol": 1e-15, "vntol": 1e-9}


def sine_testbench(p: MemristorParams, amp: float, freq: float, periods: float = 1.0):
    """(Netlist, Tran) driving the device with ``amp·sin(2πft)``; source ``V1``, state ``x``."""
    from ..spice import Tran

    sub = memristor_subckt(p, probe=True)
    nl = Netlist(
        title=f"{sub.name} sine {fmt(amp)}V {fmt(freq)}Hz",
        subckts=(sub,),
        lines=(f"V1 a 0 SIN(0 {fmt(amp)} {fmt(freq)})", sub.instance("MEM", ("a", "0", "x"))),
    )
    period = 1.0 / freq
    tran = Tran(step=period / 2000, stop=periods * period, max_step=period / 4000, uic=True)
    return nl, tran


def simulate_sine(p: MemristorParams, amp: float, freq: float, periods: float = 1.0) -> dict:
    """ngspice sine drive: arrays ``t, v, i, x`` (i flows into the device's p terminal)."""
    from ..spice import simulate

    nl, tran = sine_testbench(p, amp, freq, periods)
    r = simulate(nl, tran, options=_TRAN_OPTIONS)
    return {"t": r.axis, "v": r["v(a)"], "i": -r["i(v1)"], "x": r["v(x)"]}


def lobe_area(t, v, i, freq: float) -> float:
    """Sum of the two lobe areas of the first period (A·V)."""
    t, v, i = (np.asarray(a, dtype=float) for a in (t, v, i))
    period = 1.0 / freq
    eps = 1e-9 * period
    pos = t <= period / 2 + eps
    neg = (t >= period / 2 - eps) & (t <= period + eps)
    return float(abs(np.trapezoid(i[pos], v[pos])) + abs(np.trapezoid(i[neg], v[neg])))


def pinch_ratio(t, i, freq: float) -> float:
    """max |i| at the zero crossings v = 0 (t = T/2, T; cubic interpolation) / max |i|."""
    from scipy.interpolate import CubicSpline

    t, i = np.asarray(t, dtype=float), np.asarray(i, dtype=float)
    keep = np.concatenate([[True], np.diff(t) > 0])
    spline = CubicSpline(t[keep], i[keep])
    period = 1.0 / freq
    zs = [z for z in (period / 2, period) if z <= t[-1] * (1 + 1e-12)]
    return float(max(abs(spline(z)) for z in zs) / np.max(np.abs(i)))


def programming_curves(
    p: MemristorParams, n: int | None = None, x0=None, rng=None
) -> dict[str, np.ndarray]:
    """Potentiation then depression with identical pulses (numpy model).

    Returns ``g_pot`` (n+1 values from the initial state) and ``g_dep`` (n+1 values from the end
    of potentiation), each ``(n+1,) + device_shape``.
    """
    v_pot, v_dep, t_p, n_def, v_read = PULSE_DEFAULTS[type(p)]
    n = n_def if n is None else n
    sign = hm.potentiation_sign(p)
    gen = np.random.default_rng(rng) if rng is not None else None
    kw = {"v_read": v_read, "rng": gen, "steps": 50}
    g_pot, x_pot = hm.program_pulses(p, sign * v_pot, t_p, n, x0=x0, **kw)
    g_dep, _ = hm.program_pulses(p, -sign * v_dep, t_p, n, x0=x_pot[-1], **kw)
    return {"g_pot": g_pot, "g_dep": g_dep}


def _with_default_spread(p: MemristorParams) -> MemristorParams:
    """``p`` itself when it has any variation; else 5 % on every d2d field and on ``dx_c2c``."""
    names = [f.name for f in dataclasses.fields(p) if f.name.endswith(("_d2d", "_c2c"))]
    if any(getattr(p, n) > 0 for n in names):
        return p
    return dataclasses.replace(p, **{n: DEFAULT_SPREAD for n in names})


def _plot(out_dir: Path, name: str, loops: list, curves: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fig, ax = plt.subplots(figsize=(5, 4))
    for f, d in loops:
        ax.plot(d["v"], d["i"] * 1e3, label=f"{f:g} Hz")
    ax.set_xlabel("V (V)")
    ax.set_ylabel("I (mA)")
    ax.set_title(f"{name}: pinched hysteresis")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "iv_loops.png", dpi=100)
    plt.close(fig)
    files.append("iv_loops.png")
    fig, ax = plt.subplots(figsize=(5, 4))
    n = len(curves["g_pot"]) - 1
    ax.plot(np.arange(n + 1), curves["g_pot"] * 1e3, "o-", ms=3, label="potentiation")
    ax.plot(np.arange(n, 2 * n + 1), curves["g_dep"] * 1e3, "s-", ms=3, label="depression")
    if "g_mc" in curves:
        for g in curves["g_mc"]:
            xs = np.concatenate([np.arange(n + 1), np.arange(n, 2 * n + 1)])
            ax.plot(xs, g * 1e3, color="0.7", lw=0.5, zorder=0)
    ax.set_xlabel("pulse number")
    ax.set_ylabel("G (mS)")
    ax.set_title(f"{name}: identical-pulse programming")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "programming.png", dpi=100)
    plt.close(fig)
    files.append("programming.png")
    return files


def characterize_memristor(
    params: MemristorParams,
    out_dir,
    mc: int = 0,
    workers=None,
    scheduler=None,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Run the device characterisation; write JSON + plots; return the results dict."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    amp, f0 = SINE_DEFAULTS[type(params)]
    loops, areas, pinches = [], [], []
    for f in (f0, 2 * f0, 4 * f0):
        d = simulate_sine(params, amp, f)
        loops.append((f, d))
        areas.append(lobe_area(d["t"], d["v"], d["i"], f))
        pinches.append(pinch_ratio(d["t"], d["i"], f))
    curves = programming_curves(params)
    g_pot, g_dep = curves["g_pot"], curves["g_dep"]
    sigma = READ_SIGMA * np.concatenate([g_pot, g_dep])
    result: dict = {
        "model": type(params).__name__,
        "sine_amplitude_V": amp,
        "frequencies_Hz": [f0, 2 * f0, 4 * f0],
        "lobe_area_AV": areas,
        "lobe_area_monotone": bool(areas[0] > areas[1] > areas[2]),
        "pinch_ratio_max": max(pinches),
        "g_pot_S": g_pot.tolist(),
        "g_dep_S": g_dep.tolist(),
        "nonlinearity_pot": hm.nonlinearity(g_pot),
        "nonlinearity_dep": hm.nonlinearity(g_dep),
        "asymmetry": hm.asymmetry(g_pot, g_dep),
        "on_off_ratio": float(max(g_pot.max(), g_dep.max()) / min(g_pot.min(), g_dep.min())),
    }
    if mc > 0:
        rng = np.random.default_rng(seed)
        varied = _with_default_spread(params)
        result["variation_used"] = {
            f.name: getattr(varied, f.name)
            for f in dataclasses.fields(varied)
            if f.name.endswith(("_d2d", "_c2c"))
        }
        inst = sample_d2d(varied, rng, n=mc)
        mcc = programming_curves(inst, x0=np.full(mc, params.x0), rng=rng)
        g_all = np.concatenate([mcc["g_pot"], mcc["g_dep"]])  # (2n+2, mc)
        sig_mc = g_all.std(axis=1)
        sigma = np.sqrt(sigma**2 + sig_mc**2)
        curves["g_mc"] = g_all.T[: min(mc, 20)]
        result["mc"] = mc
        result["g_mc_mean_S"] = g_all.mean(axis=1).tolist()
        result["g_mc_std_S"] = sig_mc.tolist()
        result["g_final_cv"] = float(sig_mc[len(g_pot) - 1] / g_all[len(g_pot) - 1].mean())
    n = len(g_pot)
    result["levels_pot"] = hm.distinguishable_levels(g_pot, sigma[:n])
    result["levels_dep"] = hm.distinguishable_levels(g_dep, sigma[n:])
    result["plots"] = _plot(out, type(params).__name__, loops, curves)
    (out / "characterization.json").write_text(json.dumps(result, indent=1))
    return result


CHARACTERIZERS = {
    "memristor-hp-joglekar": characterize_memristor,
    "memristor-hp-biolek": characterize_memristor,
    "memristor-vteam": characterize_memristor,
    "memristor-yakopcic": characterize_memristor,
}
