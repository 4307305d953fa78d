r"""Calibration of the digital IF neuron: the exact model and a bit-exact validation.

The digital neuron (:mod:`neurocircuit.circuits.neurons.digital_if`) is built from XSPICE
digital primitives; its compact model is its update rule
(:class:`~.neuron_models.DigitalIFModelParams`, taken from the circuit parameters, nothing to
fit). Validation plays seeded random input bit streams ``s_i[t] ~ Bernoulli(p_i)`` (``p_i``
drawn per stream, high for excitatory and low for inhibitory weights: :func:`random_bits`)
into the circuit and into the model with the drive ``Σ_i w_i s_i[t]`` per tick, and requires
the output spike trains to be *identical*::

    exact = all_t (spike_circuit[t] == spike_model[t])

The "Monte Carlo" of a digital circuit has no analog mismatch (the gates carry no transistor
parameters), so its ``mc`` instances are ``mc`` further random input streams (seeds
``seed + 1 … seed + mc``), each of which must also match bit for bit; the parameter
distribution is ``null`` (σ = 0 for every parameter).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from .provenance import jsonable, provenance
from .validate import HELD_OUT_OFFSET

__all__ = ["DigitalValidationJob", "run_validation_job", "calibrate_digital"]


@dataclass(frozen=True)
class DigitalValidationJob:
    """One random-input run of the digital neuron (plain data, picklable)."""

    params: Any
    seed: int
    ticks: int
    f_clk: float


def random_bits(seed: int, ticks: int, weights: Any = (1, -1)) -> np.ndarray:
    """``(ticks, n_in)`` 0/1 input streams, stream ``i`` Bernoulli(``p_i``) with
    ``p_i ~ U(0.5, 0.95)`` for an excitatory weight (``w_i > 0``), ``U(0.05, 0.5)`` otherwise
    (so that the neuron fires)."""
    rng = np.random.default_rng(seed)
    w = np.asarray(weights)
    p = np.where(w > 0, rng.uniform(0.5, 0.95, w.size), rng.uniform(0.05, 0.5, w.size))
    return (rng.random((ticks, w.size)) < p).astype(int)


def model_output(params: Any, bits: np.ndarray) -> np.ndarray:
    """Model spikes (0/1 per tick) of circuit params ``params`` for input ``bits``."""
    from .neuron_models import DigitalIFModelParams, digital_if_init, digital_if_step

    mp = DigitalIFModelParams.from_circuit(params)
    st = digital_if_init(mp, ())
    out = np.zeros(len(bits), int)
    for k, (s0, s1) in enumerate(np.asarray(bits, int)):
        s, st = digital_if_step(st, params.w0 * s0 + params.w1 * s1, mp)
        out[k] = int(s)
    return out


def run_validation_job(job: DigitalValidationJob) -> dict[str, Any]:
    """Simulate one random input stream in XSPICE; compare with the model tick by tick."""
    from ..circuits.neurons.digital_if import digital_if
    from ..circuits.testbenches import clocked_digital
    from ..evaluate.characterize_neurons import simulate_bench

    bits = random_bits(job.seed, job.ticks, (job.params.w0, job.params.w1))
    bench = clocked_digital(digital_if(job.params), bits, job.f_clk)
    res = simulate_bench(bench, timeout=300.0)
    ts = (np.arange(job.ticks) + 1.5) / job.f_clk
    circuit = (np.interp(ts, res.axis, res[bench.probes["out"]]) > 0.5 * bench.vdd).astype(int)
    model = model_output(job.params, bits)
    return {"seed": job.seed, "n_circuit": int(circuit.sum()), "n_model": int(model.sum()),
            "mismatched_ticks": int(np.sum(circuit != model)),
            "exact": bool(np.array_equal(circuit, model)),
            "ngspice_version": getattr(res, "ngspice_version", None)}


def calibrate_digital(name: str, params: Any = None, preset: str | None = None,
                      out: str | Path = "", mc: int = 100, seed: int = 0,
                      workers: int | None = None, scheduler=None, ticks: int = 400,
                      progress: bool = False) -> dict[str, Any]:
    """Write the calibrated JSON of the digital neuron: exact model, bit-exact validation on a
    held-out random stream (seed ``seed + HELD_OUT_OFFSET``) and on ``mc`` further streams."""
    from ..circuits.registry import get
    from ..spice.sweep import sweep
    from .calibrated import Calibrated, save
    from .neuron_models import DigitalIFModelParams

    t0 = time.perf_counter()
    entry = get(name)
    preset = preset or entry.default_preset
    p = params if params is not None else entry.params(preset)
    f_clk = 1e6
    seeds = [seed + HELD_OUT_OFFSET] + [seed + 1 + k for k in range(int(mc or 0))]
    jobs = [DigitalValidationJob(p, s, int(ticks), f_clk) for s in seeds]
    res = sweep(run_validation_job, jobs, workers=workers, scheduler=scheduler,
                progress=progress, desc=f"{name} bit-exact runs")
    rows = [r or {"exact": False, "mismatched_ticks": -1} for r in res.results]
    held = rows[0]
    extra_rows = rows[1:]
    model = DigitalIFModelParams.from_circuit(p)
    units = {f.name: (f.metadata.get("unit") or "") for f in fields(model)}
    wall = time.perf_counter() - t0
    validation = {
        "bit_exact": bool(held.get("exact")), "held_out_seed": seed + HELD_OUT_OFFSET,
        "ticks": int(ticks), "f_clk_hz": f_clk,
        "n_spikes_circuit": held.get("n_circuit"), "n_spikes_model": held.get("n_model"),
        "mismatched_ticks": held.get("mismatched_ticks"),
        "mc_runs": len(extra_rows),
        "mc_runs_exact": int(sum(bool(r.get("exact")) for r in extra_rows)),
        "mc_failures": len(res.failures),
        "note": "no analog mismatch in XSPICE digital gates: Monte-Carlo instances are random "
                "input streams, each required bit-exact",
    }
    cal = Calibrated(
        circuit={"name": name, "preset": preset,
                 "params": jsonable(asdict(p))},
        process={"name": "xspice-digital", "corner": "n/a"},
        model_type="digital-if",
        params={f.name: {"value": getattr(model, f.name), "unit": units[f.name]}
                for f in fields(model)},
        distribution=None,
        validation=validation,
        energy={"per_spike_j": None, "per_event_j": None, "static_power_w": None,
                "note": "XSPICE digital primitives carry no supply current"},
        provenance=provenance(deck=entry.generator(p).text(), name=name, preset=preset,
                              mc=mc, seed=seed, wall=wall, workers=workers,
                              ngspice_version=str(held.get("ngspice_version") or "unknown")),
        extra={"runs": rows},
    )
    summary = {"name": name, "preset": preset, "validation": validation, "wall_time_s": wall}
    if out:
        summary["path"] = str(save(cal, out))
    return summary
