"""Issue #3 "targets to report": one JSON line per neuron of the library.

For each neuron (default preset) this runs the existing characterisation CLI::

    neurocircuit characterize NAME --mc 50 --workers 2 -o OUT/NAME

(20-point F–I curve on the sweep runner, energy per spike, static power, Monte Carlo of the rate
at the reference current) and prints one JSON line per neuron from its
``characterization.json``: F–I points, rheobase, energy per spike, static power, MC σ of the
rate at ``i_ref`` (N), and the wall time of the characterisation (measured around the CLI
call here, and the characteriser's own ``wall_time_s``). The simulation-result cache is off
(``NEUROCIRCUIT_NO_CACHE=1`` for the CLI) unless ``--cache`` is given, so that the wall time
is that of a full characterisation, not of cache look-ups.

    .venv/bin/python bench/neuron_table.py -o /tmp/neurons [--mc 50] [--workers 2]
    .venv/bin/python bench/neuron_table.py -o /tmp/neurons --read-only   # tabulate only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

NEURONS = ("axon-hillock", "if-refractory", "dpi-neuron", "log-domain-neuron",
           "tau-cell-neuron", "quadratic-if", "switched-cap-lif", "digital-if")


def run_one(name: str, out: Path, mc: int, workers: int, seed: int, cache: bool) -> float:
    """Run the characterisation CLI for ``name``; return its wall time (s)."""
    cmd = [sys.executable, "-m", "neurocircuit", "characterize", name, "--mc", str(mc),
           "--workers", str(workers), "--seed", str(seed), "-q", "-o", str(out)]
    env = dict(os.environ)
    if not cache:
        env["NEUROCIRCUIT_NO_CACHE"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    (out / "cli_wall_time_s.txt").write_text(f"{wall:.3f}\n")
    (out / "cache.txt").write_text(f"{'on' if cache else 'off'}\n")
    return wall


def row(name: str, out: Path) -> dict:
    """The table row of one characterisation directory."""
    d = json.loads((out / "characterization.json").read_text())
    wall_file = out / "cli_wall_time_s.txt"
    cache_file = out / "cache.txt"
    rates = d.get("fi_curve.rate_hz")
    return {
        "neuron": name,
        "fi_points": len(rates) if rates is not None else None,
        "fi_i_in_a": d.get("fi_curve.i_in_a"),
        "fi_rate_hz": rates,
        "rheobase_a": d.get("fi_curve.rheobase_a"),
        "max_rate_hz": d.get("fi_curve.max_rate_hz"),
        "i_ref_a": d.get("i_ref_a"),
        "rate_ref_hz": d.get("rate_ref_hz"),
        "energy_per_spike_j": d.get("energy_per_spike_j"),
        "energy_per_spike_dynamic_j": d.get("energy_per_spike_dynamic_j"),
        "static_power_w": d.get("static_power_w"),
        "mc_n": d.get("mc.n"),
        "mc_rate_mean_hz": d.get("mc.rate_mean_hz"),
        "mc_rate_std_hz": d.get("mc.rate_std_hz"),
        "mc_rate_rel_std": d.get("mc.rate_rel_std"),
        "mc_failures": d.get("mc.failures"),
        "n_simulations": d.get("n_simulations"),
        "wall_time_s": d.get("wall_time_s"),
        "cli_wall_time_s": float(wall_file.read_text()) if wall_file.exists() else None,
        "result_cache": cache_file.read_text().strip() if cache_file.exists() else "unknown",
        "failures": d.get("failures"),
        # the digital IF (XSPICE) has a drive-rate F–I curve and no analog supply or mismatch
        "fi_input_rate_hz": d.get("fi_curve.input_rate_hz"),
        "fi_drive_lsb_per_tick": d.get("fi_curve.drive_lsb_per_tick"),
        "bit_exact": d.get("bit_exact"),
        "notes": [x for x in (d.get("energy_note"), d.get("mc.note")) if x],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--out", required=True, help="directory for the characterisations")
    ap.add_argument("--names", default=",".join(NEURONS), help="comma-separated neurons")
    ap.add_argument("--mc", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--read-only", action="store_true",
                    help="only tabulate existing characterization.json files")
    ap.add_argument("--cache", action="store_true",
                    help="allow the simulation-result cache (wall times then understate)")
    ap.add_argument("--resume", action="store_true",
                    help="skip neurons whose characterization.json already exists")
    args = ap.parse_args(argv)
    root = Path(args.out)
    status = 0
    for name in args.names.split(","):
        out = root / name
        done = (out / "characterization.json").exists()
        if not args.read_only and not (args.resume and done):
            out.mkdir(parents=True, exist_ok=True)
            try:
                run_one(name, out, args.mc, args.workers, args.seed, args.cache)
            except RuntimeError as exc:
                print(json.dumps({"neuron": name, "error": str(exc)}), flush=True)
                status = 1
                continue
        if (out / "characterization.json").exists():
            print(json.dumps(row(name, out)), flush=True)
        else:
            print(json.dumps({"neuron": name, "error": "no characterization.json"}), flush=True)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
