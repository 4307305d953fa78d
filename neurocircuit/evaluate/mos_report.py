"""MOS characterisation report: both polarities, every corner, three temperatures, mismatch.

For each device (nch, pch) the job simulates I_D–V_GS sweeps (saturation, |V_DS| = V_dd, and
linear, |V_DS| = 50 mV) and extracts, with :mod:`neurocircuit.measure.mos`::

    S = min dV_GS/dlog10 I_D   (weak inversion)        κ = U_T ln10 / S
    V_T,cc = V_GS at I_D = 100 nA · W/L                  V_T,gm = max-g_m extrapolation (linear)
    I_on = |I_D| at |V_GS| = |V_DS| = V_dd  (minimum-length device)

and checks the process against its specification: 65 ≤ S ≤ 110 mV/dec and 0.55 ≤ κ ≤ 0.85 at
27 °C, I_on(ff) > I_on(tt) > I_on(ss), and σ(ΔV_T) of ``n`` sampled instances (one deck,
gate voltage at a fixed weak-inversion current, ΔV_GS = ΔV_T + n U_T Δβ/β) within 10 % of
A_VT/√(WL). Output: ``report.json``, PNG plots and ``report.html`` in one directory.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..circuits.process import GENERIC_180, Process
from ..circuits.testbench_mos import MosBench, idvd_bench, idvg_bench, mismatch_array_bench
from ..errors import ParameterError
from ..measure.mos import (
    mos_dc_metrics,
    thermal_voltage,
    threshold_max_gm,
    vgs_at_current,
)
from ..units import param, validate

__all__ = [
    "MosReportConfig",
    "simulate_bench",
    "characterize_device",
    "mismatch_check",
    "mos_report",
    "SWING_RANGE",
    "KAPPA_RANGE",
]

SWING_RANGE = (0.065, 0.110)  # V/dec
KAPPA_RANGE = (0.55, 0.85)
SIGMA_TOLERANCE = 0.10
Progress = Callable[[str], None]


@dataclass(frozen=True)
class MosReportConfig:
    """What the MOS report simulates (SI units)."""

    process: Process = GENERIC_180
    corners: tuple[str, ...] = ("tt", "ff", "ss", "fs", "sf")
    temperatures: tuple[float, ...] = (0.0, 27.0, 85.0)
    w: float = param(1e-6, unit="m", doc="width of the characterised device", gt=0)
    l: float = param(1e-6, unit="m", doc="length of the characterised device", gt=0)
    l_short: float = param(0.18e-6, unit="m", doc="length of the on-current device", gt=0)
    step: float = param(5e-3, unit="V", doc="gate sweep step", gt=0)
    vds_linear: float = param(0.05, unit="V", doc="|V_DS| of the linear-region sweep", gt=0)
    mismatch_n: int = param(500, unit="", doc="instances in the mismatch deck", ge=10)
    seed: int = param(2024, unit="", doc="mismatch seed", ge=0)
    nominal_temperature: float = param(27.0, unit="°C", doc="temperature of the checks")
    backend: str | None = None
    timeout: float = param(120.0, unit="s", doc="per-simulation timeout", gt=0)
    cache: object = field(default=None, compare=False)

    def __post_init__(self) -> None:
        validate(self)
        for c in self.corners:
            self.process.with_corner(c)  # raises ParameterError listing the valid corners
        if self.nominal_temperature not in self.temperatures:
            raise ParameterError(
                f"The 'nominal_temperature' of MosReportConfig ({self.nominal_temperature} °C) "
                f"must be one of the temperatures {self.temperatures}."
            )

    @classmethod
    def quick(cls, **kw) -> MosReportConfig:
        """A smaller run: tt/ff/ss only, 27 and 85 °C, 10 mV gate steps."""
        kw.setdefault("corners", ("tt", "ff", "ss"))
        kw.setdefault("temperatures", (27.0, 85.0))
        kw.setdefault("step", 10e-3)
        return cls(**kw)


def simulate_bench(
    bench: MosBench,
    temperature: float | None = None,
    backend: str | None = None,
    timeout: float = 120.0,
    cache=None,
):
    """Run a :class:`MosBench` as a DC sweep (``cache`` as in :func:`~neurocircuit.spice.simulate`).

    Returns ``(drive, currents, outer_drive, result)``: the sweep as a positive drive in
    ascending order, |I_D| as ``(devices, points)`` — ``(devices, outer, points)`` for a
    nested sweep, the outer drive ascending too — and the raw :class:`SimResult`.
    """
    from ..spice import Dc, simulate

    if bench.source2 is None:
        dc = Dc(bench.source, bench.start, bench.stop, bench.step)
    else:
        dc = Dc(bench.source, bench.start, bench.stop, bench.step,
                source2=bench.source2, start2=bench.start2, stop2=bench.stop2,
                step2=bench.step2)
    res = simulate(
        bench.netlist,
        dc,
        backend=backend,
        timeout=timeout,
        options="subthreshold",
        temperature=temperature,
        cache=cache,
    )
    x = bench.drive(np.real(res.axis))
    cur = np.abs(np.stack([np.real(res[c]) for c in bench.currents]))
    outer = bench.polarity * bench.outer_values()
    if bench.source2 is not None:
        n_outer = outer.size
        n_inner = cur.shape[1] // n_outer
        cur = cur[:, : n_outer * n_inner].reshape(cur.shape[0], n_outer, n_inner)
        x = x[:n_inner]
        o_order = np.argsort(outer)
        outer = outer[o_order]
        cur = cur[:, o_order, :]
    order = np.argsort(x)
    return x[order], cur[..., order], outer, res


def characterize_device(
    process: Process,
    kind: str,
    temperature: float,
    cfg: MosReportConfig,
) -> dict:
    """Metrics and the saturation I_D–V_GS curve of one device at one corner and temperature."""
    sat = idvg_bench(process, kind, cfg.w, cfg.l, step=cfg.step)
    lin = idvg_bench(process, kind, cfg.w, cfg.l, vds=cfg.vds_linear, step=cfg.step)
    short = idvg_bench(process, kind, cfg.w, cfg.l_short, step=cfg.step)
    kw = {"temperature": temperature, "backend": cfg.backend, "timeout": cfg.timeout,
          "cache": cfg.cache}
    x, i_sat, _, res = simulate_bench(sat, **kw)
    xl, i_lin, _, _ = simulate_bench(lin, **kw)
    xs, i_short, _, _ = simulate_bench(short, **kw)
    m = mos_dc_metrics(x, i_sat[0], cfg.w, cfg.l, temperature)
    out = m.as_dict()
    out["vth_gm_V"] = threshold_max_gm(xl, i_lin[0], vds=cfg.vds_linear)
    out["i_on_short_A"] = float(i_short[0][-1])
    out["i_on_short_A_per_um"] = float(i_short[0][-1] / (cfg.w * 1e6))
    return {
        "metrics": out,
        "curve": {"vgs": x.tolist(), "id": i_sat[0].tolist()},
        "ngspice_version": res.ngspice_version,
        "backend": res.backend,
    }


def mismatch_check(
    process: Process,
    kind: str,
    cfg: MosReportConfig,
    temperature: float = 27.0,
) -> dict:
    """σ(ΔV_T) of ``cfg.mismatch_n`` sampled instances, simulated in one deck.

    Every instance needs its own gate voltage to carry the median current at mid-sweep; the
    spread of those voltages is σ(ΔV_T) (plus the small n U_T σ(Δβ/β) term, reported too).
    """
    sampler = process.mismatch(cfg.seed)
    bench = mismatch_array_bench(
        process, sampler, n=cfg.mismatch_n, kind=kind, w=cfg.w, l=cfg.l, step=cfg.step
    )
    x, cur, _, _ = simulate_bench(bench, temperature=temperature, backend=cfg.backend,
                                  timeout=cfg.timeout, cache=cfg.cache)
    mid = cur.shape[1] // 2
    i_ref = float(np.exp(np.median(np.log(cur[:, mid]))))
    vg = np.array([vgs_at_current(x, row, i_ref) for row in cur])
    dvt = vg - np.median(vg)
    sigma = float(np.std(dvt, ddof=1))
    expected = process.sigma_vt(cfg.w, cfg.l)
    # weak-inversion slope of the nominal device, for the β contribution
    swing_est = float(np.median(np.diff(x) / np.diff(np.log10(cur.mean(axis=0)))))
    n_slope = swing_est / (thermal_voltage(temperature) * math.log(10.0))
    beta_term = n_slope * thermal_voltage(temperature) * process.sigma_beta(cfg.w, cfg.l)
    return {
        "kind": kind,
        "n": cfg.mismatch_n,
        "seed": cfg.seed,
        "w_m": cfg.w,
        "l_m": cfg.l,
        "i_ref_A": i_ref,
        "sigma_dvt_V": sigma,
        "sigma_expected_V": expected,
        "sigma_expected_with_beta_V": math.hypot(expected, beta_term),
        "ratio": sigma / expected,
        "dvt_V": dvt.tolist(),
    }


# -- plotting (matplotlib's object API: no pyplot, no global backend state) -------------------
def _figure(w: float = 9.0, h: float = 4.0, ncols: int = 2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    axes = fig.subplots(1, ncols)
    return fig, np.atleast_1d(axes)


def _plot_idvg(devices: dict, key: Callable[[str, str], bool], path: Path, title: str) -> None:
    fig, axes = _figure()
    for ax, kind in zip(axes, ("n", "p")):
        for label, entry in devices[kind].items():
            corner, temp = label.split("@")
            if not key(corner, temp):
                continue
            c = entry["curve"]
            ax.semilogy(c["vgs"], np.maximum(c["id"], 1e-18), label=label)
        ax.set_xlabel("|V_GS| (V)")
        ax.set_ylabel("|I_D| (A)")
        ax.set_title(f"{'nch' if kind == 'n' else 'pch'}: {title}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot_idvd(families: dict, path: Path) -> None:
    fig, axes = _figure()
    for ax, kind in zip(axes, ("n", "p")):
        fam = families[kind]
        for vg, cur in zip(fam["vgs"], fam["id"]):
            ax.plot(fam["vds"], np.asarray(cur) * 1e6, label=f"|V_GS|={vg:.1f} V")
        ax.set_xlabel("|V_DS| (V)")
        ax.set_ylabel("|I_D| (µA)")
        ax.set_title(f"{'nch' if kind == 'n' else 'pch'} W/L={fam['w_um']:g}/{fam['l_um']:g} µm")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot_mismatch(mm: dict, path: Path) -> None:
    fig, axes = _figure()
    for ax, kind in zip(axes, ("n", "p")):
        d = np.asarray(mm[kind]["dvt_V"]) * 1e3
        sig = mm[kind]["sigma_expected_V"] * 1e3
        ax.hist(d, bins=25, density=True, alpha=0.6, label="simulated ΔV_T")
        xs = np.linspace(-4 * sig, 4 * sig, 200)
        ax.plot(xs, np.exp(-0.5 * (xs / sig) ** 2) / (sig * math.sqrt(2 * math.pi)),
                label=f"N(0, {sig:.2f} mV)")
        ax.set_xlabel("ΔV_T (mV)")
        ax.set_title(f"{'nch' if kind == 'n' else 'pch'}: σ={mm[kind]['sigma_dvt_V'] * 1e3:.2f} mV"
                     f" (ratio {mm[kind]['ratio']:.3f})")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot_table(rows: list[list[str]], header: list[str], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 0.3 * (len(rows) + 2)))
    ax = fig.subplots()
    ax.axis("off")
    tab = ax.table(cellText=rows, colLabels=header, loc="center")
    tab.auto_set_font_size(False)
    tab.set_fontsize(8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _table_rows(devices: dict) -> tuple[list[str], list[list[str]]]:
    header = ["device", "corner@T", "S (mV/dec)", "κ", "V_T,cc (V)", "V_T,gm (V)",
              "I_on short (µA/µm)", "I_off (A)"]
    rows = []
    for kind in ("n", "p"):
        for label, entry in devices[kind].items():
            m = entry["metrics"]
            rows.append([
                "nch" if kind == "n" else "pch",
                label,
                f"{m['swing_mV_per_dec']:.1f}",
                f"{m['kappa']:.3f}",
                f"{m['vth_cc_V']:.3f}",
                f"{m['vth_gm_V']:.3f}",
                f"{m['i_on_short_A_per_um'] * 1e6:.0f}",
                f"{m['i_off_A']:.2e}",
            ])
    return header, rows


def _html(report: dict, header: list[str], rows: list[list[str]], pngs: Sequence[str]) -> str:
    esc = html.escape
    checks = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(str(v['value']))}</td><td>{esc(v['spec'])}</td>"
        f"<td style='color:{'green' if v['ok'] else 'red'}'>{'pass' if v['ok'] else 'FAIL'}</td>"
        "</tr>"
        for k, v in report["checks"].items()
    )
    table = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    imgs = "".join(f"<h3>{esc(p)}</h3><img src='{esc(p)}' style='max-width:100%'>" for p in pngs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>MOS characterisation</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;"
        "padding:2px 6px}table{border-collapse:collapse}</style></head><body>"
        f"<h1>MOS characterisation: {esc(report['process']['name'])}</h1>"
        f"<p>{esc(report['process']['source'])}<br>ngspice {esc(report['ngspice_version'])}, "
        f"backend {esc(str(report['backend']))}, {report['wall_time_s']:.1f} s</p>"
        f"<h2>Checks</h2><table><tr><th>check</th><th>value</th><th>spec</th><th></th></tr>"
        f"{checks}</table><h2>Figures of merit</h2><table><tr>"
        + "".join(f"<th>{esc(h)}</th>" for h in header)
        + f"</tr>{table}</table>{imgs}</body></html>"
    )


def _checks(devices: dict, mism: dict, cfg: MosReportConfig) -> dict:
    t0 = cfg.nominal_temperature
    checks: dict[str, dict] = {}
    for kind in ("n", "p"):
        name = "nch" if kind == "n" else "pch"
        nominal = {lab: e["metrics"] for lab, e in devices[kind].items()
                   if float(lab.split("@")[1]) == t0}
        sw = [m["swing_mV_per_dec"] for m in nominal.values()]
        ka = [m["kappa"] for m in nominal.values()]
        checks[f"{name} swing at {t0:g} C (mV/dec)"] = {
            "value": [round(min(sw), 2), round(max(sw), 2)],
            "spec": f"{SWING_RANGE[0] * 1e3:g}-{SWING_RANGE[1] * 1e3:g}",
            "ok": bool(min(sw) >= SWING_RANGE[0] * 1e3 and max(sw) <= SWING_RANGE[1] * 1e3),
        }
        checks[f"{name} kappa at {t0:g} C"] = {
            "value": [round(min(ka), 4), round(max(ka), 4)],
            "spec": f"{KAPPA_RANGE[0]:g}-{KAPPA_RANGE[1]:g}",
            "ok": bool(min(ka) >= KAPPA_RANGE[0] and max(ka) <= KAPPA_RANGE[1]),
        }
        ion = {c: nominal.get(f"{c}@{t0:g}", {}).get("i_on_short_A") for c in ("ff", "tt", "ss")}
        if all(v is not None for v in ion.values()):
            checks[f"{name} I_on ff > tt > ss"] = {
                "value": [ion["ff"], ion["tt"], ion["ss"]],
                "spec": "ff > tt > ss",
                "ok": bool(ion["ff"] > ion["tt"] > ion["ss"]),
            }
        if kind in mism:
            r = mism[kind]["ratio"]
            checks[f"{name} sigma(dVT)/(A_VT/sqrt(WL))"] = {
                "value": round(r, 4),
                "spec": f"1 +/- {SIGMA_TOLERANCE:g}",
                "ok": bool(abs(r - 1) <= SIGMA_TOLERANCE),
            }
    return checks


def mos_report(
    out_dir: str | Path,
    cfg: MosReportConfig | None = None,
    progress: Progress | None = None,
) -> dict:
    """Simulate, measure, check and write ``report.json``, PNGs and ``report.html``.

    Returns the report dictionary (also written as JSON). ``progress`` receives one line per
    finished step.
    """
    cfg = cfg or MosReportConfig()
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    t0 = cfg.nominal_temperature
    devices: dict[str, dict] = {"n": {}, "p": {}}
    version, backend = "", None
    points = [(c, t0) for c in cfg.corners] + [
        ("tt", t) for t in cfg.temperatures if t != t0 and "tt" in cfg.corners
    ]
    for kind in ("n", "p"):
        for corner, temp in points:
            entry = characterize_device(cfg.process.with_corner(corner), kind, temp, cfg)
            version, backend = entry.pop("ngspice_version"), entry.pop("backend")
            devices[kind][f"{corner}@{temp:g}"] = entry
            m = entry["metrics"]
            say(f"  {'nch' if kind == 'n' else 'pch'} {corner:>2} {temp:5.1f} °C: "
                f"S={m['swing_mV_per_dec']:.1f} mV/dec κ={m['kappa']:.3f} "
                f"V_T={m['vth_cc_V']:.3f} V I_on={m['i_on_short_A'] * 1e6:.0f} µA")
    families = {}
    for kind in ("n", "p"):
        b = idvd_bench(cfg.process, kind, cfg.w, cfg.l_short, vgs=(0.6, cfg.process.vdd, 0.3),
                       step=max(cfg.step, 0.01))
        x, cur, outer, _ = simulate_bench(b, temperature=t0, backend=cfg.backend,
                                          timeout=cfg.timeout, cache=cfg.cache)
        families[kind] = {
            "vds": x.tolist(),
            "vgs": outer.tolist(),
            "id": cur[0].tolist(),
            "w_um": cfg.w * 1e6,
            "l_um": cfg.l_short * 1e6,
        }
    say("  I_D-V_DS families done")
    mism = {}
    for kind in ("n", "p"):
        mism[kind] = mismatch_check(cfg.process, kind, cfg, temperature=t0)
        say(f"  {'nch' if kind == 'n' else 'pch'} mismatch: σ(ΔV_T)="
            f"{mism[kind]['sigma_dvt_V'] * 1e3:.3f} mV vs "
            f"{mism[kind]['sigma_expected_V'] * 1e3:.3f} mV (ratio {mism[kind]['ratio']:.3f})")
    checks = _checks(devices, mism, cfg)
    pngs = ["idvg_corners.png", "idvg_temperature.png", "idvd.png", "mismatch.png",
            "metrics_table.png"]
    _plot_idvg(devices, lambda c, t: float(t) == t0, out / pngs[0], f"corners at {t0:g} °C")
    _plot_idvg(devices, lambda c, t: c == "tt", out / pngs[1], "tt vs temperature")
    _plot_idvd(families, out / pngs[2])
    _plot_mismatch(mism, out / pngs[3])
    header, rows = _table_rows(devices)
    _plot_table(rows, header, out / pngs[4])
    report = {
        "process": {
            "name": cfg.process.name,
            "lib_path": str(cfg.process.resolved_lib_path()),
            "source": cfg.process.source,
            "vdd_V": cfg.process.vdd,
            "a_vt_V_m": cfg.process.a_vt,
            "a_beta_m": cfg.process.a_beta,
        },
        "config": {
            "corners": list(cfg.corners),
            "temperatures_C": list(cfg.temperatures),
            "w_m": cfg.w,
            "l_m": cfg.l,
            "l_short_m": cfg.l_short,
            "step_V": cfg.step,
            "mismatch_n": cfg.mismatch_n,
            "seed": cfg.seed,
        },
        "ngspice_version": version,
        "backend": backend,
        "devices": {
            k: {lab: e["metrics"] for lab, e in v.items()} for k, v in devices.items()
        },
        "mismatch": {k: {kk: vv for kk, vv in v.items() if kk != "dvt_V"}
                     for k, v in mism.items()},
        "checks": checks,
        "all_checks_pass": all(c["ok"] for c in checks.values()),
        "files": ["report.json", "report.html", *pngs],
        "wall_time_s": time.perf_counter() - start,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    (out / "report.html").write_text(_html(report, header, rows, pngs))
    say(f"  wrote {out / 'report.json'} and {len(pngs)} plots "
        f"({'all checks pass' if report['all_checks_pass'] else 'SOME CHECKS FAIL'})")
    return report
