"""Crossbar benchmark: nodal solver vs ngspice, large-array solve time, read energy.

Prints one JSON line per measurement (tool, version, workload, median, min, max, n, unit,
metric, metric_value, ...):

- ``xbar-solver-vs-ngspice``: the same N×N linear array (default 128, random G in 1–100 µS,
  r_row 2 Ω, r_col 3 Ω, driver 20 Ω, sense 15 Ω, one input vector): ngspice ``.op`` wall time
  (deck build excluded; 1 run: it is slow) vs the solver (build + factorise + solve; 1 warm-up,
  5 timed); metric = speed-up (target ≥ 100), plus the max relative column-current difference;
- ``xbar-solve-512``: 512×512 array, 256 input vectors, iterative (batched PCG) solve (the
  direct SuperLU factorisation of its 524k unknowns fills in too much; ``--big-methods``);
  and a 128×128 array with 256 vectors, direct and iterative;
- ``xbar-read-energy``: 16×16 array with 1 fF/node parasitics, 10 ns read: SPICE energy vs
  Σ V²·G·t (target within 5 %).

Usage: ``python bench/crossbar.py [--n 128] [--big 512] [--batch 256] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

from neurocircuit import __version__
from neurocircuit.circuits import crossbar as cx
from neurocircuit.evaluate.ac_crossbar import read_energy_latency
from neurocircuit.hardware import crossbar as cb

ENV = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
    "cpus": os.cpu_count(),
    "loadavg": os.getloadavg()[0],
}


def line(**kw) -> None:
    base = {"tool": "neurocircuit", "version": __version__, "env": ENV}
    print(json.dumps(base | kw), flush=True)


def _stats(ts):
    return {"median": statistics.median(ts), "min": min(ts), "max": max(ts), "n": len(ts)}


def bench_vs_ngspice(n: int, timeout: float) -> bool:
    from neurocircuit.spice import Op, simulate

    p = cx.CrossbarParams(rows=n, cols=n, r_row=2.0, r_col=3.0, r_driver=20.0, r_sense=15.0,
                          seed=7)
    g = cx.cell_conductances(p)
    v = np.random.default_rng(8).uniform(0.05, 0.3, n)
    deck = cx.read_testbench(p, v_in=v)
    t0 = time.perf_counter()
    r = simulate(deck, Op(), backend="batch", timeout=timeout, cache=False,
                 options={"reltol": 1e-9, "abstol": 1e-18, "vntol": 1e-12, "gmin": 1e-18})
    t_sp = time.perf_counter() - t0
    i_sp = np.array([r[f"i(vout{j})"][0] for j in range(n)])
    ts = []
    for k in range(6):
        t0 = time.perf_counter()
        i_cb = cb.solve(g, v, p.r_row, p.r_col, p.r_driver, p.r_sense).i_col
        if k:
            ts.append(time.perf_counter() - t0)
    err = float(np.max(np.abs(i_cb - i_sp) / np.abs(i_sp)))
    s = _stats(ts)
    line(workload=f"xbar-solver-vs-ngspice-{n}", unit="s", **s, metric="speedup",
         metric_value=t_sp / s["median"], ngspice_s=t_sp, solver_s=s["median"],
         max_rel_diff=err, target=">= 100")
    return err < 1e-6


def bench_big(n: int, batch: int, repeats: int, methods=("iterative",)) -> bool:
    rng = np.random.default_rng(9)
    g = rng.uniform(1e-6, 1e-4, (n, n))
    v = rng.uniform(0.0, 0.3, (batch, n))
    ok = True
    ref = None
    for method in methods:
        ts = []
        for _ in range(repeats):
            solver = cb.CrossbarSolver((n, n), 2.0, 3.0, 20.0, 15.0)
            t0 = time.perf_counter()
            out = solver.solve_linear(g, v, method=method, tol=1e-10).i_col
            ts.append(time.perf_counter() - t0)
        if ref is None:
            ref = out
        else:
            ok &= bool(np.max(np.abs(out - ref) / np.abs(ref)) < 1e-6)
        s = _stats(ts)
        line(workload=f"xbar-solve-{n}x{n}-b{batch}", unit="s", **s, metric=f"{method}_solve_s",
             metric_value=s["median"], vectors_per_s=batch / s["median"])
    return ok


def bench_energy() -> bool:
    p = cx.CrossbarParams(rows=16, cols=16, c_row=1e-15, c_col=1e-15, seed=3)
    v = np.random.default_rng(4).uniform(0.05, 0.3, 16)
    t0 = time.perf_counter()
    res = read_energy_latency(p, v_in=v, t_read=10e-9)
    line(workload="xbar-read-energy-16x16", unit="J", median=res["energy_spice_J"],
         min=res["energy_spice_J"], max=res["energy_spice_J"], n=1, metric="energy_rel_err",
         metric_value=res["energy_rel_err"], energy_ideal_J=res["energy_ideal_J"],
         latency_s=res["latency_s"], wall_s=time.perf_counter() - t0, target="|err| <= 0.05")
    return abs(res["energy_rel_err"]) <= 0.05


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--big", type=int, default=512)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--big-methods", default="iterative", help="direct,iterative")
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--skip-ngspice", action="store_true")
    a = ap.parse_args(argv)
    ok = bench_energy()
    ok &= bench_big(128, a.batch, a.repeats, ("direct", "iterative"))
    ok &= bench_big(a.big, a.batch, a.repeats, tuple(a.big_methods.split(",")))
    if not a.skip_ngspice:
        ok &= bench_vs_ngspice(a.n, a.timeout)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
