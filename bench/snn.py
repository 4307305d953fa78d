"""Benchmarks W1 (LIF inference 784-1000-10) and W2 (BPTT training step) of WORKLOADS.md.

Prints one JSON line per measurement (tool, version, workload, median, min, max, n, unit, metric,
metric_value, rates, env) for neurocircuit's engine and, in the same run, for the minimal numpy
loop (numpy-ref), plus ratios against it and against the peer figures of WORKLOADS.md. Exits
non-zero when a sanity check fails (spike rates strictly inside (0, 1); W1 total output spikes
4860).

    .venv/bin/python bench/snn.py [--workload W1|W2|all] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

T, B1, B2 = 25, 256, 128
PEER_W1_BEST = ("snnTorch", 0.091)          # s per batch, 5.0e10 syn-ops/s
PEER_W1_NUMPY_REF = 0.070                   # minimal numpy loop in the reference run
PEER_W2_BEST = ("SpikingJelly", 0.081, 0.096)
SYNOPS = (784 * 1000 + 1000 * 10) * T * B1


def _env() -> dict:
    env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
           "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}
    try:
        from threadpoolctl import threadpool_info

        env["blas"] = [{k: i.get(k) for k in ("internal_api", "version", "num_threads")}
                       for i in threadpool_info()]
    except ImportError:
        pass
    return env


def make_data(batch: int):
    rng = np.random.default_rng(0)
    w1 = (rng.uniform(-1, 1, (1000, 784)) * 2.0 / np.sqrt(784)).astype(np.float32)
    w2 = (rng.uniform(-1, 1, (10, 1000)) * 4.0 / np.sqrt(1000)).astype(np.float32)
    x = (np.random.default_rng(1).random((T, batch, 784)) < 0.2).astype(np.float32)
    return w1, w2, x


def timeit(fn, warmup: int, n: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of ``n`` calls after ``warmup``; process CPU times go to ``cpu`` if given."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(n):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return ts


def numpy_ref_w1(x, w1, b1, w2, b2):
    """The minimal numpy loop: one (T·B, in) matmul per layer, Python loop over T for the state."""
    Tn, Bn, _ = x.shape
    out = x
    for w, b in ((w1, b1), (w2, b2)):
        cur = (out.reshape(Tn * Bn, -1) @ w.T + b).reshape(Tn, Bn, -1)
        v = np.zeros(cur.shape[1:], np.float32)
        s = np.empty_like(cur)
        for t in range(Tn):
            v = 0.9 * v + cur[t]
            st = (v >= 1.0).astype(np.float32)
            v = v - st
            s[t] = st
        out = s
    return out


def line(**kw) -> None:
    print(json.dumps(kw), flush=True)


def bench_w1(n: int) -> bool:
    from neurocircuit import __version__
    from neurocircuit.snn.layers import Dense
    from neurocircuit.snn.network import Sequential
    from neurocircuit.snn.spiking import LIF

    w1, w2, x = make_data(B1)
    b1, b2 = np.zeros(1000, np.float32), np.zeros(10, np.float32)
    net = Sequential([Dense(784, 1000, weight=w1), LIF(0.9, 1.0),
                      Dense(1000, 10, weight=w2), LIF(0.9, 1.0)], (784,))
    res: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    ok = True
    for _rep in range(2):  # interleave to share the machine's noise
        for tool, fn in (("numpy-ref", lambda: numpy_ref_w1(x, w1, b1, w2, b2)),
                         ("neurocircuit", lambda: net.forward(x, record=("spikes",)))):
            res.setdefault(tool, []).extend(timeit(fn, 3, n // 2, cpu.setdefault(tool, [])))
    r = net.forward(x, record=("spikes",))
    hid, out = float(r.spikes[1].mean()), float(r.output.mean())
    total = float(r.output.sum())
    ref_total = float(numpy_ref_w1(x, w1, b1, w2, b2).sum())
    med = {k: float(np.median(v)) for k, v in res.items()}
    for tool, ts in res.items():
        line(tool=tool, version=__version__, workload="W1", median=med[tool], min=min(ts),
             max=max(ts), n=len(ts), unit="s", metric="synops_per_s",
             metric_value=SYNOPS / med[tool], median_cpu_s=float(np.median(cpu[tool])),
             hidden_rate=hid, output_rate=out,
             total_output_spikes=total if tool == "neurocircuit" else ref_total, env=_env())
    ratio_np = med["numpy-ref"] / med["neurocircuit"]
    load = med["numpy-ref"] / PEER_W1_NUMPY_REF
    vs_peer_raw = PEER_W1_BEST[1] / med["neurocircuit"]
    vs_peer_norm = PEER_W1_BEST[1] * load / med["neurocircuit"]
    ratio_cpu = float(np.median(cpu["numpy-ref"]) / np.median(cpu["neurocircuit"]))
    line(workload="W1", summary=True, ratio_vs_numpy_ref=ratio_np,
         ratio_vs_numpy_ref_cpu_time=ratio_cpu, target_vs_numpy_ref=0.9,
         ratio_vs_best_peer_raw=vs_peer_raw,
         ratio_vs_best_peer_load_normalised=vs_peer_norm, target_vs_best_peer=1.3,
         best_peer=PEER_W1_BEST[0], machine_load_factor=load,
         note="load-normalised = peer time scaled by (numpy-ref now / numpy-ref in the peer run)")
    if not (0 < hid < 1 and 0 < out < 1):
        print(f"W1 sanity: rates out of (0,1): hidden {hid}, output {out}", file=sys.stderr)
        ok = False
    if total != 4860 or ref_total != 4860:
        print(f"W1 sanity: total output spikes {total} / ref {ref_total} != 4860", file=sys.stderr)
        ok = False
    return ok


def bench_w2(n: int) -> bool:
    from neurocircuit import __version__
    from neurocircuit.snn.bptt import train_step
    from neurocircuit.snn.layers import Dense
    from neurocircuit.snn.network import Sequential
    from neurocircuit.snn.optim import Adam, params_of
    from neurocircuit.snn.spiking import LIF

    w1, w2, x = make_data(B2)
    y = np.random.default_rng(2).integers(0, 10, B2)
    net = Sequential([Dense(784, 1000, weight=w1), LIF(0.9, 1.0),
                      Dense(1000, 10, weight=w2), LIF(0.9, 1.0)], (784,))
    opt = Adam(params_of(net), lr=1e-5)
    rates = []

    def unit():
        loss, _acc = train_step(net, opt, x, y, None, "count")
        rates.append(loss)

    r0 = net.forward(x, record=("spikes",))
    first = (float(r0.spikes[1].mean()), float(r0.output.mean()))
    train_step(net, opt, x, y, None, "count")   # untimed first step
    # the numpy-ref W1 loop (batch 256) in the same run, as a load gauge, interleaved with the
    # timed steps so that both see the same machine load
    b1, b2 = np.zeros(1000, np.float32), np.zeros(10, np.float32)
    wx = make_data(B1)
    ts, gts = timeit(unit, 2, 1), timeit(lambda: numpy_ref_w1(wx[2], wx[0], b1, wx[1], b2), 2, 1)
    for _ in range(n - 1):
        ts += timeit(unit, 0, 1)
        gts += timeit(lambda: numpy_ref_w1(wx[2], wx[0], b1, wx[1], b2), 0, 1)
    r1 = net.forward(x, record=("spikes",))
    last = (float(r1.spikes[1].mean()), float(r1.output.mean()))
    med = float(np.median(ts))
    gauge = float(np.median(gts))
    load = gauge / PEER_W1_NUMPY_REF
    line(tool="neurocircuit", version=__version__, workload="W2", median=med, min=min(ts),
         max=max(ts), n=len(ts), unit="s", metric="steps_per_s", metric_value=1 / med,
         first_rates={"hidden": first[0], "output": first[1]},
         last_rates={"hidden": last[0], "output": last[1]}, loss_last=rates[-1], env=_env())
    line(workload="W2", summary=True, ratio_vs_best_peer_raw=med / PEER_W2_BEST[1],
         ratio_vs_best_peer_load_normalised=med / (PEER_W2_BEST[1] * load),
         target_le=0.9, best_peer=PEER_W2_BEST[0], machine_load_factor=load,
         note="ratio = our step time / SpikingJelly's 0.081 s (lower is better)")
    ok = all(0 < r < 1 for r in (*first, *last))
    if not ok:
        print(f"W2 sanity: rates out of (0,1): first {first}, last {last}", file=sys.stderr)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default="all", choices=("W1", "W2", "all"))
    ap.add_argument("--repeat", type=int, default=0, help="timed units (default W1 20, W2 10)")
    a = ap.parse_args(argv)
    ok = True
    if a.workload in ("W1", "all"):
        ok &= bench_w1(a.repeat or 20)
    if a.workload in ("W2", "all"):
        ok &= bench_w2(a.repeat or 10)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
