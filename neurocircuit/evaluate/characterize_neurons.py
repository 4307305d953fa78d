"""Characterise a neuron circuit: F–I curve, membrane trace, energy, static power, Monte Carlo.

For a neuron with parameters ``p`` and a characterisation spec (the ``CHARACTERIZATION`` dict of
its module, keys below) the nominal run simulates, in parallel through
:func:`neurocircuit.spice.sweep.sweep`:

* ``n_points`` DC steps over ``i_range`` (lin or log spaced) → the F–I curve
  ``f(I) = (n − 1)/(t_n − t_1)`` over the spikes after the first ``skip``;
* one step at the reference current ``i_ref`` → membrane trace and energy per spike
  ``E = ∫ −V_dd·i_vdd dt / (n − 1)`` between the first and last analysed spikes;
* one zero-input run → static power ``P_0 = ⟨−V_dd·i_vdd⟩`` over its second half; the dynamic
  energy per spike is ``E − P_0 · ⟨ISI⟩``.

Monte Carlo (``mc`` instances, seeds from ``SeedSequence(seed).spawn(mc)``, Pelgrom mismatch on
every transistor) gives the rate at ``i_ref`` (mean, σ, σ/μ) and an F–I band (10th–90th
percentile) on ``mc_points`` of the currents.

Spec keys (each value a number or a callable of the params; ``t_stop`` also of the current):

``i_range`` (A, A), ``i_scale`` ("lin"|"log"), ``i_ref`` (A), ``t_stop`` (s; callable
``(p, i)``), ``max_step`` (s), ``threshold`` (V, on the probe), ``probe`` ("out"|"vmem"),
``skip`` (spikes), ``min_isi`` (s; crossings closer than this to the previous spike are one
spike: an output glitch just before the pulse), ``t_quiet`` (s), ``mc_points`` (int),
``timeout`` (s), ``options``
(simulator options preset or mapping, default ``"subthreshold"``),
``kind`` (``"digital"`` selects :func:`characterize_digital`: output vs input event rate).

Writes ``characterization.json`` (unit-suffixed keys) and ``membrane_trace.png``,
``fi_curve.png`` into ``out_dir``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, is_dataclass, replace
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = [
    "CHARACTERIZERS",
    "characterize_neuron",
    "characterization_spec",
    "simulate_bench",
    "FiJob",
    "run_fi_job",
    "DEFAULT_SPEC",
]

DEFAULT_SPEC: dict[str, Any] = {
    "i_scale": "lin",
    "probe": "out",
    "skip": 1,
    "min_isi": 0.0,
    "t_quiet": 1e-3,
    "mc_points": 5,
    "n_points": 20,
    "timeout": 60.0,
    "options": "subthreshold",
}


def characterization_spec(name: str) -> dict[str, Any]:
    """The merged spec of neuron ``name`` (its module's ``CHARACTERIZATION[name]``)."""
    from ..circuits.neurons import NEURON_MODULES

    for mod_name in NEURON_MODULES:
        try:
            mod = import_module(f"neurocircuit.circuits.neurons.{mod_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"neurocircuit.circuits.neurons.{mod_name}":
                continue
            raise
        spec = getattr(mod, "CHARACTERIZATION", {}).get(name)
        if spec is not None:
            return {**DEFAULT_SPEC, **spec}
    raise ParameterError(f"No characterisation spec for neuron {name!r}.")


def _value(spec_value, *args):
    return spec_value(*args) if callable(spec_value) else spec_value


def simulate_bench(bench, timeout: float = 60.0, cache=None, backend: str | None = None):
    """Run a :class:`~neurocircuit.circuits.testbenches.Bench` with its options; a SimResult."""
    from ..spice import simulate

    res = simulate(
        bench.netlist,
        bench.analysis,
        backend=backend,
        timeout=timeout,
        options=bench.options,
        cache=cache,
    )
    check_rails(bench, res)
    return res


RAIL_MARGIN = 1.0
"""How far (V) a probed node may leave the rails [0, V_dd] before a result is non-physical."""


def check_rails(bench, res, margin: float = RAIL_MARGIN) -> None:
    """Raise :class:`~neurocircuit.errors.SimulationError` (``kind="non-physical"``) where a
    probed node voltage of a bench leaves ``[-margin, V_dd + margin]`` or is not finite.

    ngspice can converge to, and report, a solution no circuit on these rails reaches (a node at
    1e9 V after a stimulus value it misread); such a trace must not be measured as spikes."""
    from ..errors import SimulationError

    vdd, probes = getattr(bench, "vdd", None), getattr(bench, "probes", None)
    if vdd is None or not probes:
        return
    lo, hi = -float(margin), float(vdd) + float(margin)
    t = np.asarray(res.axis, float)
    for role, vec in probes.items():
        if not str(vec).lower().startswith("v("):
            continue
        v = np.asarray(res[vec], float)
        bad = ~np.isfinite(v) | (v < lo) | (v > hi)
        if bad.any():
            k = int(np.argmax(bad))
            raise SimulationError(
                f"Non-physical solution: the {role!r} node {vec} reached {v[k]:.4g} V at "
                f"t = {t[k]:.9g} s, outside [{lo:g}, {hi:g}] V (supply {vdd:g} V). Check "
                "the stimulus values and for floating nodes.",
                kind="non-physical")


@dataclass(frozen=True)
class FiJob:
    """One DC-step simulation of a characterisation (plain data, picklable)."""

    name: str
    params: Any
    i_in: float
    t_stop: float
    max_step: float
    threshold: float
    probe: str = "out"
    skip: int = 1
    min_isi: float = 0.0
    seed: int | None = None
    keep_trace: bool = False
    timeout: float = 60.0
    cache: bool = True
    options: Any = "subthreshold"


def run_fi_job(job: FiJob) -> dict[str, Any]:
    """Simulate one DC step and measure rate, spikes, energy (top-level, for process pools)."""
    from ..circuits.process import GENERIC_180
    from ..circuits.registry import get
    from ..circuits.testbenches import dc_step
    from ..measure import energy_per_spike, firing_rate, merge_close, spike_times, static_power

    entry = get(job.name)
    mm = GENERIC_180.mismatch(int(job.seed)) if job.seed is not None else None
    neuron = entry.generator(job.params, mismatch=mm)
    bench = dc_step(neuron, job.i_in, job.t_stop, max_step=job.max_step, options=job.options)
    res = simulate_bench(bench, timeout=job.timeout, cache=None if job.cache else False)
    t = np.asarray(res.axis, float)
    v = np.asarray(res[bench.probes[job.probe]], float)
    isup = np.asarray(res[bench.probes["supply"]], float)
    spikes = spike_times(t, v, threshold=job.threshold, hysteresis=0.1 * bench.vdd)
    spikes = merge_close(spikes, job.min_isi)
    skip = job.skip if spikes.size > job.skip + 1 else 0
    out: dict[str, Any] = {
        "i_in": job.i_in,
        "spikes": spikes,
        "rate": firing_rate(spikes, skip=skip),
        "energy_per_spike": energy_per_spike(t, isup, bench.vdd, spikes, skip=skip),
        "mean_power": static_power(t, isup, bench.vdd, t[t.size // 2], t[-1])
        if t.size > 2
        else float("nan"),
        "n_steps": int(t.size),
        "sim_wall_s": float(res.wall_time_s),
    }
    if job.keep_trace:
        idx = np.unique(np.linspace(0, t.size - 1, min(t.size, 4000)).astype(int))
        out["trace"] = {
            "t": t[idx],
            "vmem": np.asarray(res[bench.probes["vmem"]], float)[idx],
            "out": np.asarray(res[bench.probes["out"]], float)[idx],
            "supply": isup[idx],
        }
    return out


def _currents(spec: Mapping, p, n: int) -> np.ndarray:
    lo, hi = _value(spec["i_range"], p)
    if spec["i_scale"] == "log":
        return np.geomspace(lo, hi, n)
    return np.linspace(lo, hi, n)


def _job(name: str, spec: Mapping, p, i_in: float, seed=None, keep_trace=False, cache=True):
    return FiJob(
        name=name,
        params=p,
        i_in=float(i_in),
        t_stop=float(_value(spec["t_stop"], p, i_in)),
        max_step=float(_value(spec["max_step"], p)),
        threshold=float(_value(spec["threshold"], p)),
        probe=spec["probe"],
        skip=int(spec["skip"]),
        min_isi=float(_value(spec["min_isi"], p)),
        seed=seed,
        keep_trace=keep_trace,
        timeout=float(spec["timeout"]),
        cache=cache,
        options=spec["options"],
    )


def _jsonable(obj):
    if is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        return x if np.isfinite(x) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def characterize_neuron(
    name: str,
    params,
    out_dir,
    mc: int = 0,
    workers: int | None = None,
    scheduler=None,
    seed: int = 0,
    progress: bool = True,
    n_points: int | None = None,
    cache: bool = True,
) -> dict[str, Any]:
    """Characterise neuron ``name`` at ``params``; write JSON + PNGs into ``out_dir``.

    Returns the dictionary written to ``characterization.json``.
    """
    from ..spice.sweep import monte_carlo, sweep

    spec = characterization_spec(name)
    if spec.get("kind") == "digital":
        return characterize_digital(
            name,
            params,
            out_dir,
            spec,
            mc=mc,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            n_points=n_points,
            cache=cache,
        )
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n = int(n_points or spec["n_points"])
    currents = _currents(spec, params, n)
    i_ref = float(_value(spec["i_ref"], params))
    jobs = [_job(name, spec, params, i, cache=cache) for i in currents]
    jobs.append(_job(name, spec, params, i_ref, keep_trace=True, cache=cache))
    quiet = float(_value(spec["t_quiet"], params))
    jobs.append(
        replace(jobs[-1], i_in=0.0, t_stop=quiet, max_step=quiet / 200.0, skip=0, keep_trace=False)
    )
    nominal = sweep(
        run_fi_job,
        jobs,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc=f"{name} F–I",
    )
    res = list(nominal.results)
    rates = np.array([r["rate"] if r else np.nan for r in res[:n]])
    ref = res[n] or {}
    static = res[n + 1]["mean_power"] if res[n + 1] else float("nan")
    ref_spikes = np.asarray(ref.get("spikes", []), float)
    from ..measure import isi_stats, rheobase

    isi = isi_stats(ref_spikes, skip=int(spec["skip"]) if ref_spikes.size > 3 else 0)
    e_tot = float(ref.get("energy_per_spike", np.nan))
    out: dict[str, Any] = {
        "circuit": name,
        "params": _jsonable(params),
        "fi_curve.i_in_a": currents.tolist(),
        "fi_curve.rate_hz": rates.tolist(),
        "fi_curve.rheobase_a": rheobase(currents, np.nan_to_num(rates)),
        "fi_curve.max_rate_hz": float(np.nanmax(rates)) if np.isfinite(rates).any() else None,
        "i_ref_a": i_ref,
        "rate_ref_hz": float(ref.get("rate", np.nan)),
        "isi_ref.mean_s": isi.mean,
        "isi_ref.cv": isi.cv,
        "energy_per_spike_j": e_tot,
        "energy_per_spike_dynamic_j": e_tot - static * isi.mean if isi.n else None,
        "static_power_w": static,
        "n_simulations": len(jobs),
        "failures": [f"{f.point.i_in:g} A: {f.error}" for f in nominal.failures],
    }
    band = None
    if mc and mc > 0:
        k = int(spec["mc_points"])
        sel = np.unique(np.linspace(0, n - 1, k).round().astype(int)) if k > 0 else []
        mc_currents = [i_ref] + [float(currents[j]) for j in sel]
        mc_fn = partial(
            _mc_instance,
            name=name,
            spec_jobs=tuple(_job(name, spec, params, i, cache=cache) for i in mc_currents),
        )
        mres = monte_carlo(
            mc_fn,
            int(mc),
            seed,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            desc=f"{name} Monte Carlo",
        )
        table = np.array(
            [r if r is not None else [np.nan] * len(mc_currents) for r in mres.results], float
        )
        mc_rate = table[:, 0]
        ok = np.isfinite(mc_rate)
        mean = float(mc_rate[ok].mean()) if ok.any() else float("nan")
        std = float(mc_rate[ok].std(ddof=1)) if ok.sum() > 1 else float("nan")
        band = (np.asarray(mc_currents[1:]), table[:, 1:])
        out.update(
            {
                "mc.n": int(mc),
                "mc.seed": int(seed),
                "mc.i_ref_a": i_ref,
                "mc.rate_hz": mc_rate.tolist(),
                "mc.rate_mean_hz": mean,
                "mc.rate_std_hz": std,
                "mc.rate_rel_std": std / mean if mean else None,
                "mc.fi_band.i_in_a": mc_currents[1:],
                "mc.fi_band.rate_p10_hz": np.nanpercentile(table[:, 1:], 10, axis=0).tolist(),
                "mc.fi_band.rate_p90_hz": np.nanpercentile(table[:, 1:], 90, axis=0).tolist(),
                "mc.fi_band.rate_mean_hz": np.nanmean(table[:, 1:], axis=0).tolist(),
                "mc.failures": len(mres.failures),
            }
        )
        out["n_simulations"] += int(mc) * len(mc_currents)
    out["plots"] = _plots(
        out_dir, name, currents, rates, ref.get("trace"), band, spec["i_scale"] == "log"
    )
    out["wall_time_s"] = time.perf_counter() - t0
    out = _jsonable(out)
    (out_dir / "characterization.json").write_text(json.dumps(out, indent=1))
    return out


def _mc_instance(point: tuple[int, int], name: str, spec_jobs: tuple[FiJob, ...]) -> list[float]:
    """Rates (Hz) of one mismatch instance at every job's current (top-level, picklable)."""
    _, seed = point
    return [run_fi_job(replace(j, seed=int(seed)))["rate"] for j in spec_jobs]


def _plots(out_dir: Path, name: str, currents, rates, trace, band, log_x=False) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    written = []
    if trace is not None:
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
        t = np.asarray(trace["t"]) * 1e3
        a1.plot(t, trace["vmem"], lw=0.8)
        a1.set_ylabel("V_mem (V)")
        a2.plot(t, trace["out"], lw=0.8, color="C1")
        a2.set_ylabel("V_out (V)")
        a2.set_xlabel("time (ms)")
        a1.set_title(f"{name}: membrane trace at the reference current")
        fig.tight_layout()
        fig.savefig(out_dir / "membrane_trace.png", dpi=100)
        plt.close(fig)
        written.append("membrane_trace.png")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.asarray(currents) * 1e9, rates, "o-", ms=3, label="nominal")
    if band is not None:
        bi, table = band
        lo = np.nanpercentile(table, 10, axis=0)
        hi = np.nanpercentile(table, 90, axis=0)
        ax.fill_between(
            bi * 1e9,
            lo,
            hi,
            alpha=0.3,
            color="C0",
            label=f"Monte Carlo 10–90 % (N={table.shape[0]})",
        )
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("input current (nA)")
    ax.set_ylabel("firing rate (Hz)")
    ax.set_title(f"{name}: F–I curve")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "fi_curve.png", dpi=100)
    plt.close(fig)
    written.append("fi_curve.png")
    return written


@dataclass(frozen=True)
class DigitalJob:
    """One clocked simulation of the digital IF neuron (plain data, picklable)."""

    params: Any
    input_rate: float
    ticks: int
    f_clk: float
    cache: bool = True


def run_digital_job(job: DigitalJob) -> dict[str, Any]:
    """Simulate the digital neuron with s0 firing ``input_rate`` per tick; compare with the rule."""
    from ..circuits.neurons.digital_if import digital_if, reference, regular_pattern
    from ..circuits.testbenches import clocked_digital

    s0 = regular_pattern(job.input_rate, job.ticks)
    bits = np.stack([s0, np.zeros_like(s0)], axis=1)
    bench = clocked_digital(digital_if(job.params), bits, job.f_clk)
    res = simulate_bench(bench, cache=None if job.cache else False)
    ts = (np.arange(job.ticks) + 1.5) / job.f_clk
    spikes = (np.interp(ts, res.axis, res["v(out)"]) > 0.5 * bench.vdd).astype(int)
    _, ref = reference(job.params, bits)
    return {
        "input_rate": job.input_rate,
        "rate": float(spikes.sum() * job.f_clk / job.ticks),
        "rate_reference": float(ref.sum() * job.f_clk / job.ticks),
        "bit_exact": bool(np.array_equal(spikes, ref)),
    }


def characterize_digital(
    name,
    params,
    out_dir,
    spec,
    mc=0,
    workers=None,
    scheduler=None,
    progress=True,
    n_points=None,
    cache=True,
) -> dict[str, Any]:
    """Output rate vs input event rate of the digital IF neuron (XSPICE vs the update rule).

    XSPICE digital primitives draw no supply current, so energy and static power are ``None``;
    the circuit has no analog mismatch, so Monte Carlo is exact (σ = 0) without simulation.
    """
    from ..spice.sweep import sweep

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n = int(n_points or spec["n_points"])
    f_clk, ticks = float(spec["f_clk"]), int(spec["ticks"])
    rates_in = np.linspace(0.0, 1.0, n)
    jobs = [DigitalJob(params, float(r), ticks, f_clk, cache) for r in rates_in]
    res = sweep(
        run_digital_job,
        jobs,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc=f"{name} rate curve",
    )
    rows = [r or {} for r in res.results]
    out_rates = np.array([r.get("rate", np.nan) for r in rows])
    ref_rates = np.array([r.get("rate_reference", np.nan) for r in rows])
    out: dict[str, Any] = {
        "circuit": name,
        "params": _jsonable(params),
        "f_clk_hz": f_clk,
        "ticks": ticks,
        "fi_curve.input_rate_hz": (rates_in * f_clk).tolist(),
        "fi_curve.drive_lsb_per_tick": (rates_in * params.w0 - params.leak).tolist(),
        "fi_curve.rate_hz": out_rates.tolist(),
        "fi_curve.rate_reference_hz": ref_rates.tolist(),
        "bit_exact": all(r.get("bit_exact", False) for r in rows),
        "energy_per_spike_j": None,
        "static_power_w": None,
        "energy_note": "XSPICE digital primitives carry no supply current",
        "n_simulations": len(jobs),
        "failures": [str(f.error) for f in res.failures],
    }
    if mc and mc > 0:
        out.update(
            {
                "mc.n": int(mc),
                "mc.rate_std_hz": 0.0,
                "mc.note": "no analog mismatch in a digital neuron: every instance equal",
            }
        )
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(rates_in * f_clk / 1e3, out_rates / 1e3, "o", label="XSPICE")
    ax.plot(rates_in * f_clk / 1e3, ref_rates / 1e3, "-", label="update rule")
    ax.set_xlabel("input event rate (kHz)")
    ax.set_ylabel("output rate (kHz)")
    ax.set_title(f"{name}: rate curve")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "fi_curve.png", dpi=100)
    plt.close(fig)
    out["plots"] = ["fi_curve.png"]
    out["wall_time_s"] = time.perf_counter() - t0
    out = _jsonable(out)
    (out_dir / "characterization.json").write_text(json.dumps(out, indent=1))
    return out


class _Characterizers(Mapping):
    """``name -> fn(params, out_dir, mc, workers, scheduler, seed, progress)`` for every
    neuron of the catalogue, built on access (no import-time work)."""

    def _names(self) -> list[str]:
        from ..circuits.neurons import CATALOG

        return [e.name for e in CATALOG]

    def __getitem__(self, name: str) -> Callable[..., dict]:
        if name not in self._names():
            raise KeyError(name)
        return partial(characterize_neuron, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


CHARACTERIZERS: Mapping[str, Callable[..., dict]] = _Characterizers()
