r"""Co-simulation check: a small DPI network in ngspice against the engine (issue #9 item 6).

**Network** (:func:`~neurocircuit.circuits.cosim_network.cosim_network`): ``n_in`` seeded
Poisson inputs → excitatory DPI synapses → ``n_out`` DPI neurons with mutual inhibition through
DPI synapses driven by pulse-extended spikes. The *engine* side replays the same input spike
times through fitted compact models only:

* synapses: the power-law kernel :class:`~neurocircuit.calibrate.synapse_models.ExpSynapseParams`
  (``τ``, ``I_∞``, exponent ``p``) fitted on a Poisson train of the synapse alone
  (:func:`~neurocircuit.calibrate.psc.calibrate_psc`, at each weight the network uses, over the
  rates of :data:`KERNEL_RATES`); a connection of weight ``I_w`` between fitted weights uses
  ``I_∞ = I_∞,fit·(I_w/I_w,fit)^p`` (``I_∞^{1/p} ∝ I_w``); per step ``dt`` with pulse fraction
  ``φ`` and ``τ_u = p τ``::

      u ← 1 + (u − 1) e^{−φ dt/τ_u},   u ← u e^{−(1−φ) dt/τ_u},     I_syn = I_∞ u^p

  (exact for rectangular pulses; inhibitory pulses last the extender width ``t_pe`` measured on
  the extender alone, re-triggered by each spike). The exponent is the DPI's ``κ_p/κ_n``: its
  pair's charging slows as ``I^{1−κ_n/κ_p}``, so a burst of inputs adds less current per pulse
  than a sparse train. The linear kernel (``p = 1``) was 4 % high during the network's input
  bursts, and the mutual inhibition turned that into lost spikes (Γ 0.68 on neuron 0);
* neurons: the calibrated dpi-neuron model (``models/calibrated/dpi-neuron.json``) with
  input ``I_j = Σ_k I_syn(k→j) − Σ_l I_syn(l ⊣ j)`` (clipped at 0 by the model, as the mirror).

Metrics per neuron: Γ (±2 ms, :func:`~neurocircuit.calibrate.validate.coincidence_factor`) and
the rate error ``|ν_engine − ν_spice|/ν_spice``; targets Γ ≥ 0.8 and rates within 10 %.

**Crossbar layer with its neurons** (:func:`crossbar_layer`): an ``N×M`` resistive crossbar
(:mod:`neurocircuit.circuits.crossbar`, wire/driver/sense resistances) read at virtual ground;
each column current is copied with gain ``k`` (an ideal scaled current conveyor, SPICE
``F`` element) into a DPI neuron. Row voltages step through ``phases``; the engine solves the
array with :func:`neurocircuit.hardware.crossbar.solve` and feeds ``k·I_col`` to the neuron
model. Metrics: max relative column-current error (target 1 %) and per-phase neuron rates.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["default_network", "fit_synapse_kernel", "kernel_table", "extender_width",
           "engine_network",
           "run_network", "crossbar_layer", "run_cosim", "DEFAULT_MODEL"]

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "calibrated" / "dpi-neuron.json"
W_REF = 5e-9
"""Reference weight current of the synapse-kernel fit (A)."""
KERNEL_RATES = (0.5, 0.25, 0.125)
"""Rates of the kernel fit's training train, in units of ``1/τ`` (≈ 95, 47, 24 Hz): the
DPI's charge per pulse falls with the rate, so the kernel is fitted over the range of rates
the network's synapses see (inputs 60–90 Hz, inhibition ≈ 30 Hz), which also identifies the
exponent ``p``."""


def default_network(t_stop: float = 1.0, seed: int = 0) -> dict[str, Any]:
    """The standard check: 4 Poisson inputs (60–90 Hz), 3 neurons, each driven by two inputs,
    neighbour inhibition (0 ⊣ 1, 1 ⊣ 0, 1 ⊣ 2, 2 ⊣ 1)."""
    from ..circuits.cosim_network import CosimNetworkParams
    from ..circuits.synapse_testbenches import poisson_times

    p = CosimNetworkParams(t_stop=t_stop)
    rates = (60.0, 80.0, 70.0, 90.0)
    times = [poisson_times(r, 0.0, t_stop, seed * 100 + k + 1, 2.0 * p.width)
             for k, r in enumerate(rates)]
    w_in = np.array([[1.2, 0, 0], [1.0, 1.0, 0], [0, 1.0, 1.0], [0, 0, 1.2]]) * 8e-9
    w_inh = np.array([[0, 1.0, 0], [1.0, 0, 1.0], [0, 1.0, 0]]) * 4e-9
    return {"params": p, "w_in": w_in, "w_inh": w_inh, "input_times": times}


def fit_synapse_kernel(syn_params: Any, width: float, seed: int = 0,
                       i_w: float = W_REF, power: bool = True) -> dict[str, Any]:
    """Power-law kernel of the DPI synapse at weight ``i_w`` (fit + held-out NRMSE);
    ``power=False``: the linear exponential kernel (``p = 1``)."""
    from ..calibrate.psc import calibrate_psc
    from ..circuits.synapses.dpi import tau_estimate

    p = replace(syn_params, i_w=float(i_w))
    tau0 = tau_estimate(p)
    res = calibrate_psc("dpi-synapse", p, tau0, width=width, seed=seed,
                        rates=[f / tau0 for f in KERNEL_RATES], power=power)
    return {"i_w": float(i_w), "tau": res["params"]["tau"], "i_inf": res["params"]["i_inf"],
            "i_rest": res["params"]["i_rest"], "power": res["params"].get("power", 1.0),
            "fit_nrmse": res["fit_nrmse"],
            "heldout_nrmse": res["heldout_nrmse"]}


def kernel_table(kernels: list[dict[str, Any]], w: Any,
                 key: str = "i_inf") -> np.ndarray:
    """``I_∞`` (or ``key="i_rest"``) of every connection of weight matrix ``w``: the kernel
    fitted at that weight, else the nearest one scaled by ``(I_w/I_w,fit)^p`` (0 where ``w`` =
    0). ``key="tau"`` or ``"power"``: the nearest kernel's value, unscaled."""
    w = np.asarray(w, float)
    iw = np.array([k["i_w"] for k in kernels])
    out = np.zeros_like(w)
    for idx in zip(*np.nonzero(w)):
        k = kernels[int(np.argmin(np.abs(np.log(iw / w[idx]))))]
        scale = (w[idx] / k["i_w"]) ** k.get("power", 1.0)
        value = k.get("power", 1.0) if key == "power" else k[key]
        out[idx] = value * (1.0 if key in ("tau", "power") else scale)
    return out


def extender_width(params: Any, threshold_frac: float = 0.5) -> dict[str, float]:
    """Width and delay (s) of the pulse extender's output for isolated 10-ns spikes."""
    from ..circuits.cosim_network import extender_testbench
    from ..evaluate.characterize_neurons import simulate_bench

    est = params.extender.width_estimate
    times = [est, 4 * est, 7 * est]
    bench = extender_testbench(params, times, 10 * est)
    res = simulate_bench(bench, timeout=120)
    t = np.asarray(res.axis, float)
    v = np.asarray(res[bench.probes["pe"]], float)
    hi = v > threshold_frac * bench.vdd
    edges = np.diff(hi.astype(int))
    up, dn = t[1:][edges == 1], t[1:][edges == -1]
    n = min(up.size, dn.size, len(times))
    return {"width_s": float(np.mean(dn[:n] - up[:n])),
            "delay_s": float(np.mean(up[:n] - np.asarray(times[:n]))),
            "estimate_s": float(est)}


def engine_network(model: Any, tau: Any, g_in: Any, g_inh: Any,
                   input_times: list, t_stop: float, width: float, t_pe: float,
                   delay: float = 0.0, dt: float = 2e-5, rest: Any = 0.0,
                   power: Any = 1.0) -> dict[str, Any]:
    """Simulate the network with the compact models (see module equations).

    ``g_in`` (``n_in × n_out``) and ``g_inh`` (``n_out × n_out``) are the ``I_∞`` (A) of the
    connections (:func:`kernel_table`), ``tau`` the synaptic time constant (s): one for all, or
    a pair of tables ``(τ_in, τ_inh)`` shaped like ``g_in`` and ``g_inh``; ``rest`` the net
    resting current of each neuron's synapses (the fitted floors ``I_rest``, excitatory minus
    inhibitory); ``power`` the kernels' exponent ``p``: one for all or a pair of tables like
    ``tau``. Returns the spike times per neuron and the excitatory / inhibitory currents on
    the grid.
    """
    from ..calibrate.neuron_models import MODELS
    from ..calibrate.synapse_models import pulse_fraction, unit_kernel

    g_in, g_inh = np.asarray(g_in, float), np.asarray(g_inh, float)
    n_out = g_in.shape[1]
    tau_in, tau_inh = _tables(tau, g_in, g_inh)
    p_in, p_inh = _tables(power, g_in, g_inh)
    tau_in, tau_inh = tau_in * p_in, tau_inh * p_inh  # the unit kernels' τ_u = p τ
    n = int(round(t_stop / dt))
    grid = np.arange(n + 1) * dt
    # excitatory: a unit kernel per input and distinct τ of its connections, exact per step
    exc = np.zeros((n_out, n))
    for k, times in enumerate(input_times):
        phi = pulse_fraction(grid, times, width)
        for tk in np.unique(tau_in[k][g_in[k] != 0]):
            u_k = unit_kernel(phi[:n], dt, float(tk))[:-1]
            for j in np.flatnonzero((g_in[k] != 0) & (tau_in[k] == tk)):
                exc[j] += g_in[k, j] * u_k ** p_in[k, j]
    exc += np.asarray(rest, float).reshape(-1, 1)  # (n_out, n)
    init, step = MODELS[type(model)]
    st = init(model, (n_out,))
    u_inh = np.zeros((n_out, n_out))  # (source, target) unit kernels
    pe_on = np.full(n_out, -np.inf)  # extended pulse [on, off) of each neuron
    pe_off = np.full(n_out, -np.inf)
    spikes: list[list[float]] = [[] for _ in range(n_out)]
    inh = np.zeros((n_out, n))
    for m in range(n):
        t0 = m * dt
        inh[:, m] = (g_inh * u_inh ** p_inh).sum(axis=0)
        s, st = step(st, exc[:, m] - inh[:, m], model, dt)
        for j in np.flatnonzero(s > 0):
            ts = t0 + float(st.frac[j]) * dt
            spikes[j].append(ts)
            if ts + delay > pe_off[j]:  # a new pulse; else the extender is re-triggered
                pe_on[j] = ts + delay
            pe_off[j] = ts + delay + t_pe
        phi = np.clip((np.minimum(t0 + dt, pe_off) - np.maximum(t0, pe_on)) / dt, 0.0, 1.0)
        phi = phi[:, None]
        u_inh = np.where(phi > 0, 1.0 + (u_inh - 1.0) * np.exp(-phi * dt / tau_inh), u_inh)
        u_inh = u_inh * np.exp(-(1.0 - phi) * dt / tau_inh)
    return {"spikes": [np.asarray(s) for s in spikes], "t": grid[:-1], "exc": exc, "inh": inh}


def _tables(x: Any, g_in: np.ndarray, g_inh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (one value, or a pair of tables) as a pair of tables shaped like the weights;
    1 where there is no connection (a table holds 0 there)."""
    if not isinstance(x, (tuple, list)):
        return np.full(g_in.shape, float(x)), np.full(g_inh.shape, float(x))
    return tuple(np.where(np.asarray(a, float) > 0, np.broadcast_to(np.asarray(a, float),
                                                                    g.shape), 1.0)
                 for a, g in zip(x, (g_in, g_inh)))


def run_network(net: dict[str, Any], model: Any, kernels: list[dict[str, Any]],
                ext: dict[str, float], dt: float = 2e-5, timeout: float = 3600.0,
                window: float = 2e-3) -> dict[str, Any]:
    """Simulate ``net`` (from :func:`default_network`) in ngspice and in the engine; metrics.

    ``kernels``: synapse kernels fitted at the network's weights (:func:`fit_synapse_kernel`).
    """
    from ..calibrate.validate import coincidence_factor
    from ..circuits.cosim_network import cosim_network
    from ..evaluate.characterize_neurons import simulate_bench
    from ..measure import spike_times

    p = net["params"]
    bench = cosim_network(p, net["w_in"], net["w_inh"], net["input_times"])
    res = simulate_bench(bench, timeout=timeout)
    t = np.asarray(res.axis, float)
    n_out = bench.meta["n_out"]
    sp = [spike_times(t, np.asarray(res[bench.probes[f"out{j}"]], float),
                      threshold=0.5 * bench.vdd, hysteresis=0.1 * bench.vdd)
          for j in range(n_out)]
    tau = (kernel_table(kernels, net["w_in"], "tau"), kernel_table(kernels, net["w_inh"], "tau"))
    power = (kernel_table(kernels, net["w_in"], "power"),
             kernel_table(kernels, net["w_inh"], "power"))
    rest = (kernel_table(kernels, net["w_in"], "i_rest").sum(axis=0)
            - kernel_table(kernels, net["w_inh"], "i_rest").sum(axis=0))
    eng = engine_network(model, tau, kernel_table(kernels, net["w_in"]),
                         kernel_table(kernels, net["w_inh"]), net["input_times"], p.t_stop,
                         p.width, ext["width_s"], ext["delay_s"], dt, rest=rest, power=power)
    gam = [coincidence_factor(sp[j], eng["spikes"][j], window, duration=p.t_stop)
           for j in range(n_out)]
    r_sp = [s.size / p.t_stop for s in sp]
    r_en = [s.size / p.t_stop for s in eng["spikes"]]
    rel = [abs(a - b) / b if b > 0 else float("inf") for a, b in zip(r_en, r_sp)]
    grid = eng["t"]
    exc_sp = np.array([np.interp(grid, t, np.asarray(res[bench.probes[f"exc{j}"]], float))
                       for j in range(n_out)])
    exc_err = [float(np.sqrt(np.mean((eng["exc"][j] - exc_sp[j]) ** 2)) / np.ptp(exc_sp[j]))
               for j in range(n_out)]
    return {
        "gamma": gam, "rate_spice_hz": r_sp, "rate_engine_hz": r_en, "rate_rel_err": rel,
        "exc_current_nrmse": exc_err, "window_s": window,
        "spikes_spice": [s.tolist() for s in sp],
        "spikes_engine": [s.tolist() for s in eng["spikes"]],
        "input_times": [list(map(float, x)) for x in net["input_times"]],
        "spice_wall_s": float(getattr(res, "wall_time_s", float("nan")) or float("nan")),
        "_trace": {"t": grid, "exc_spice": exc_sp, "exc_engine": eng["exc"],
                   "inh_engine": eng["inh"]},
    }


def crossbar_layer(rows: int = 8, cols: int = 3, gain: float = 1e-6, seed: int = 3,
                   phase: float = 0.1, n_phases: int = 3, model: Any = None,
                   neuron_params: Any = None, dt: float = 2e-5,
                   timeout: float = 900.0) -> dict[str, Any]:
    """A crossbar layer with its neurons in ngspice against the solver + neuron model.

    Row voltages (0.05–0.3 V, seeded) change every ``phase`` s; column ``j`` sinks into a
    0-V sense source ``Vout<j>`` whose current, times ``gain``, is injected into neuron ``j``
    (``F`` element). Column currents are compared in the middle of each phase.
    """
    from ..circuits import crossbar as cx
    from ..circuits.netlist import fmt
    from ..circuits.neurons.dpi_neuron import TEILI_DPI, dpi_neuron
    from ..circuits.testbenches import pwl
    from ..hardware import crossbar as cb
    from ..measure import spike_times
    from ..spice import Tran, simulate

    p = cx.CrossbarParams(rows=rows, cols=cols, r_row=2.0, r_col=3.0, r_driver=20.0,
                          r_sense=15.0, seed=seed)
    g = cx.cell_conductances(p)
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.05, 0.3, (n_phases, rows))
    t_stop = phase * n_phases
    edge = 1e-5
    arr = cx.crossbar_array(p, g=g)
    neuron = dpi_neuron(neuron_params or TEILI_DPI)
    lines = [f"VDD vdd 0 DC {fmt(neuron.meta['vdd'])}"]
    for i in range(rows):
        tt, vv = [0.0], [float(v[0, i])]
        for k in range(1, n_phases):
            tt += [k * phase, k * phase + edge]
            vv += [float(v[k - 1, i]), float(v[k, i])]
        lines.append(f"Vin{i} in{i} 0 {pwl(tt, vv)}")
    for j in range(cols):
        lines += [f"Vout{j} out{j} 0 DC 0",
                  f"F{j} 0 nin{j} Vout{j} {fmt(gain)}",
                  f"XN{j} nin{j} nvmem{j} nout{j} vdd 0 {neuron.meta['subckt']}"]
    deck = arr.extend(lines=lines, subckts=neuron.subckts, includes=neuron.includes,
                      ic={f"nvmem{j}": 0.0 for j in range(cols)},
                      title=f"crossbar {rows}x{cols} layer with DPI neurons")
    ms = 5e-5
    res = simulate(deck, Tran(step=ms, stop=t_stop, max_step=ms), timeout=timeout,
                   options="subthreshold")
    t = np.asarray(res.axis, float)
    i_sp = np.array([[np.interp((k + 0.5) * phase, t, np.asarray(res[f"i(vout{j})"], float))
                      for j in range(cols)] for k in range(n_phases)])
    i_cb = np.array([cb.solve(g, v[k], p.r_row, p.r_col, p.r_driver, p.r_sense).i_col
                     for k in range(n_phases)])
    rel = np.abs(i_cb - i_sp) / np.abs(i_sp)
    out = {"rows": rows, "cols": cols, "gain": gain, "phase_s": phase,
           "v_rows": v.tolist(), "i_col_spice_a": i_sp.tolist(), "i_col_engine_a": i_cb.tolist(),
           "current_max_rel_err": float(rel.max()),
           "ideal_vg_max_rel_dev": float(np.max(np.abs(v @ g - i_sp) / np.abs(i_sp)))}
    if model is not None:
        from ..calibrate.neuron_models import simulate_neuron

        n = int(round(t_stop / dt))
        k_of = np.minimum((np.arange(n) * dt / phase).astype(int), n_phases - 1)
        cur = gain * i_cb[k_of]
        s_en = simulate_neuron(model, cur, dt)
        r_sp, r_en = np.zeros((n_phases, cols)), np.zeros((n_phases, cols))
        for j in range(cols):
            sc = spike_times(t, np.asarray(res[f"v(nout{j})"], float),
                             threshold=0.5 * neuron.meta["vdd"], hysteresis=0.18)
            se = np.flatnonzero(s_en[:, j] > 0) * dt
            for k in range(n_phases):
                r_sp[k, j] = np.sum((sc >= k * phase) & (sc < (k + 1) * phase)) / phase
                r_en[k, j] = np.sum((se >= k * phase) & (se < (k + 1) * phase)) / phase
        out.update(rate_spice_hz=r_sp.tolist(), rate_engine_hz=r_en.tolist(),
                   rate_max_rel_err=float(np.max(np.abs(r_en - r_sp) / np.maximum(r_sp, 1e-9))))
    return out


def run_cosim(out_dir: str | Path | None = None, t_stop: float = 1.0, seed: int = 0,
              model_path: str | Path | None = None, crossbar: bool = True,
              plots: bool = True) -> dict[str, Any]:
    """The full check (network + crossbar layer); writes ``cosim.json`` and ``cosim.png``."""
    import json
    import time

    from ..calibrate.calibrated import load, model_params

    t0 = time.perf_counter()
    model = model_params(load(model_path or DEFAULT_MODEL))
    net = default_network(t_stop, seed)
    p = net["params"]
    ext = extender_width(p)
    kernels = [fit_synapse_kernel(p.synapse, p.width, seed, w) for w in
               np.unique(np.concatenate([np.ravel(net["w_in"]), np.ravel(net["w_inh"])]))
               if w > 0]
    res = run_network(net, model, kernels, ext)
    trace = res.pop("_trace")
    summary: dict[str, Any] = {
        "network": {**res, "kernels": kernels, "extender": ext, "t_stop_s": t_stop,
                    "seed": seed, "w_in_a": np.asarray(net["w_in"]).tolist(),
                    "w_inh_a": np.asarray(net["w_inh"]).tolist(),
                    "model": str(model_path or DEFAULT_MODEL)},
        "targets": {"gamma_min": 0.8, "rate_rel_err_max": 0.10, "crossbar_rel_err_max": 0.01},
    }
    if crossbar:
        summary["crossbar"] = crossbar_layer(model=model)
    net_ok = (min(res["gamma"]) >= 0.8) and (max(res["rate_rel_err"]) <= 0.10)
    summary["pass"] = {"network": bool(net_ok)}
    if crossbar:
        summary["pass"]["crossbar"] = bool(summary["crossbar"]["current_max_rel_err"] <= 0.01)
    summary["wall_time_s"] = time.perf_counter() - t0
    if out_dir is not None:
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        (d / "cosim.json").write_text(json.dumps(_clean(summary), indent=1))
        summary["path"] = str(d / "cosim.json")
        if plots:
            summary["plot"] = _plot(d / "cosim.png", res, trace)
    return summary


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _plot(path: Path, res: dict[str, Any], trace: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    n_out = len(res["gamma"])
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    rows, offs, cols = [], [], []
    for k, ts in enumerate(res["input_times"]):
        rows.append(ts)
        offs.append(3 * n_out + 1 + k)
        cols.append("0.5")
    for j in range(n_out):
        rows += [res["spikes_spice"][j], res["spikes_engine"][j]]
        offs += [3 * j + 1, 3 * j]
        cols += ["C0", "C1"]
    a1.eventplot(rows, lineoffsets=offs, colors=cols, linelengths=0.8)
    a1.set_yticks([3 * j + 0.5 for j in range(n_out)],
                  [f"n{j} Γ={g:.2f}" for j, g in enumerate(res["gamma"])])
    a1.set_title("raster: inputs (grey), ngspice (blue), engine (orange)")
    t = trace["t"]
    for j in range(n_out):
        a2.plot(t, trace["exc_spice"][j] * 1e12, color=f"C{j}", lw=0.7)
        a2.plot(t, trace["exc_engine"][j] * 1e12, color=f"C{j}", lw=0.7, ls="--")
    a2.set_ylabel("excitatory current (pA)")
    a2.set_xlabel("time (s)")
    a2.set_title("summed excitatory synaptic current: ngspice (solid), engine (dashed)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return str(path)
