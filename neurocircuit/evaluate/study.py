"""Hardware studies: a trained network on sampled chips — accuracy and energy under variation.

``run_study(config, out_dir)`` trains a ReLU ANN on the configured dataset, converts it to an
SNN (threshold balancing, soft reset), then evaluates ``n_chips`` chips at once on the engine's
instance axis (crossbar-mapped weights + per-neuron mismatch, :mod:`neurocircuit.hardware.chip`)
and sweeps the mismatch scale, the ADC resolution and the number of conductance levels.
Results go to ``out_dir/report.json`` + PNG plots + ``report.html``. The chip configurations run
through :func:`neurocircuit.spice.sweep.sweep` (local pool or Dask; chips vectorise inside a
worker); each finished configuration is stored in ``out_dir/sweep-store`` and not recomputed
when an interrupted study is run again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..hardware.chip import CalibratedVariation, NeuronVariation, chip_accuracy, make_chips
from ..hardware.energy import CircuitEnergy, inference_energy, op_count_energy
from ..hardware.mapping import CrossbarSpec
from ..units import param, validate

__all__ = ["StudyConfig", "run_study", "train_converted"]


@dataclass(frozen=True)
class StudyConfig:
    dataset: str = param("digits", doc="dataset name (neurocircuit.snn.datasets)")
    data_dir: str | None = None
    hidden: int = param(128, unit="", doc="hidden units of the 2-layer network", gt=0)
    epochs: int = param(30, unit="", doc="ANN training epochs", gt=0)
    T: int = param(32, unit="steps", doc="SNN time steps", gt=0)
    n_chips: int = param(32, unit="", doc="chips sampled", gt=0)
    test_limit: int = param(0, unit="", doc="test samples used (0: all)", ge=0)
    seed: int = 0
    gain_sigma: float = param(0.1, unit="", doc="neuron rate-gain σ (relative)", ge=0)
    calibrated: str | None = None  # calibrated neuron file: its mismatch and energy are used
    crossbar: CrossbarSpec = field(default_factory=lambda: CrossbarSpec(
        levels=64, g_c2c=0.01, adc_bits=6, tile_rows=64, tile_cols=64))
    sigma_scales: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0)
    adc_bits: tuple[int, ...] = (3, 4, 6, 8)
    levels: tuple[int, ...] = (4, 8, 16, 64)
    sweep_chips: int = param(8, unit="", doc="chips per sweep point", gt=0)
    energy: CircuitEnergy = field(default_factory=lambda: CircuitEnergy(
        e_spike=1e-12, e_event=0.0, p_static=0.0))
    t_step: float = param(1e-3, unit="s", doc="duration of one SNN time step", gt=0)

    def __post_init__(self) -> None:
        validate(self)


def train_converted(cfg: StudyConfig, say: Callable[[str], None] = print):
    """Train the ReLU ANN and convert it; returns ``(snn, ann_acc, data)``."""
    from ..snn import ann as annm
    from ..snn import convert, datasets, optim
    from ..snn.layers import Dense

    xtr, ytr = datasets.load(cfg.dataset, data_dir=cfg.data_dir, split="train", flatten=True)
    xte, yte = datasets.load(cfg.dataset, data_dir=cfg.data_dir, split="test", flatten=True)
    if cfg.test_limit:
        xte, yte = xte[: cfg.test_limit], yte[: cfg.test_limit]
    rng = np.random.default_rng(cfg.seed)
    n_in = xtr.shape[1]
    net = annm.ANN([Dense(n_in, cfg.hidden, rng=cfg.seed), annm.ReLU(),
                    Dense(cfg.hidden, 10, rng=cfg.seed + 1)], (n_in,))
    say(f"training ANN {n_in}-{cfg.hidden}-10 on {cfg.dataset} ({len(xtr)} samples)")
    annm.fit_ann(net, optim.Adam(optim.params_of(net), lr=3e-3), xtr, ytr, epochs=cfg.epochs,
                 batch_size=64, rng=rng)
    snn = convert.convert(net, xtr[:500])
    return snn, float(net.accuracy(xte, yte)), (xtr, ytr, xte, yte)


@dataclass(frozen=True)
class _ChipJob:
    """A picklable sweep function: evaluate ``n`` chips of one configuration."""

    snn: object
    x_calib: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    T: int

    def __call__(self, point) -> dict:
        key, spec, sampler, n, seed = point
        t0 = time.perf_counter()
        chips = make_chips(self.snn, n, np.random.default_rng(seed), spec=spec,
                           neuron_sampler=sampler, calib_x=self.x_calib, calib_T=self.T)
        acc = chip_accuracy(chips, self.x_test, self.y_test, T=self.T)
        return {"key": key, "acc": acc.tolist(), "wall_s": time.perf_counter() - t0}


def run_study(cfg: StudyConfig, out_dir: str | Path, say: Callable[[str], None] = print,
              plots: bool = True, workers: int | None = 1, scheduler=None,
              progress: bool = False) -> dict:
    """Run the study; returns the report's numbers (also written to ``out_dir``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    snn, ann_acc, (xtr, ytr, xte, yte) = train_converted(cfg, say)
    T = cfg.T
    nominal = snn.forward(xte, T=T, count=True)
    snn_acc = float((np.asarray(nominal.output).sum(axis=0).argmax(-1) == yte).mean())
    counts = nominal.counts
    say(f"ANN {ann_acc:.4f}, converted SNN {snn_acc:.4f} at T={T}")
    base = cfg.crossbar
    energy_model = cfg.energy
    if cfg.calibrated:
        def make_sampler(sc):
            return CalibratedVariation(str(cfg.calibrated), scale=sc)

        e = CalibratedVariation(str(cfg.calibrated)).energy()
        energy_model = CircuitEnergy(e_spike=float(e.get("per_spike_j") or 0.0),
                                     e_event=float(e.get("per_event_j") or cfg.energy.e_event),
                                     p_static=float(e.get("static_power_w") or 0.0))
    else:
        def make_sampler(sc):
            return NeuronVariation(gain_sigma=cfg.gain_sigma * sc)
    sampler = make_sampler(1.0)
    points = [("main", base, sampler, cfg.n_chips, cfg.seed + 100)]
    for k, sc in enumerate(cfg.sigma_scales):
        spec = replace(base, g_c2c=base.g_c2c * sc, g_d2d=base.g_d2d * sc)
        points.append((f"sigma={sc}", spec, make_sampler(sc), cfg.sweep_chips, 200 + k))
    points += [(f"adc={b}", replace(base, adc_bits=b), sampler, cfg.sweep_chips, 300 + b)
               for b in cfg.adc_bits]
    points += [(f"levels={lv}", replace(base, levels=lv), sampler, cfg.sweep_chips, 400 + lv)
               for lv in cfg.levels]
    say(f"evaluating {len(points)} chip configurations ({cfg.n_chips} chips for the main one) "
        f"on {len(xte)} test samples")
    from ..spice.sweep import sweep

    job = _ChipJob(snn, xtr[:200], xte, yte, T)
    res = sweep(job, points, workers=workers, scheduler=scheduler, store=out / "sweep-store",
                progress=progress, desc="chips")
    if res.failures:
        raise RuntimeError("chip evaluation failed:\n" + res.summary())
    rows = {r["key"]: r["acc"] for r in res.results}
    acc = np.array(rows["main"])
    sig_rows = [(sc, rows[f"sigma={sc}"]) for sc in cfg.sigma_scales]
    adc_rows = [(b, rows[f"adc={b}"]) for b in cfg.adc_bits]
    lev_rows = [(lv, rows[f"levels={lv}"]) for lv in cfg.levels]
    for sc, a in sig_rows:
        say(f"  mismatch ×{sc}: mean accuracy {np.mean(a):.4f}")
    n_neurons = cfg.hidden
    e = inference_energy(energy_model, counts["spikes"], counts["ac"], n_neurons,
                         T * cfg.t_step)
    ops = op_count_energy(counts["ac"], counts["mac_ann"])
    numbers = {
        "dataset": cfg.dataset,
        "ann_accuracy": ann_acc,
        "snn_accuracy": snn_acc,
        "T_steps": T,
        "n_chips": cfg.n_chips,
        "chip_accuracy_mean": float(acc.mean()),
        "chip_accuracy_std": float(acc.std()),
        "chip_accuracy_min": float(acc.min()),
        "spikes_per_inference": counts["spikes"],
        "synaptic_events_per_inference": counts["ac"],
        "ann_macs_per_inference": counts["mac_ann"],
        "neuron_mismatch_source": cfg.calibrated or f"gain σ {cfg.gain_sigma}",
        "energy_circuit_total_j": e["total_j"],
        "energy_snn_ac_estimate_j": ops["snn_ac_j"],
        "energy_ann_mac_estimate_j": ops["ann_mac_j"],
        "wall_time_s": time.perf_counter() - t_all,
    }
    data = {
        "chip_accuracy": acc.tolist(),
        "sigma_sweep": [{"scale": s, "acc": a} for s, a in sig_rows],
        "adc_sweep": [{"bits": b, "acc": a} for b, a in adc_rows],
        "levels_sweep": [{"levels": lv, "acc": a} for lv, a in lev_rows],
        "energy_breakdown_j": e,
        "config": json.loads(json.dumps(asdict(cfg), default=str)),
    }
    figures = _plots(out, acc, snn_acc, sig_rows, adc_rows, lev_rows, e, ops) if plots else []
    from .report import write_report

    write_report(out, f"Hardware study: {cfg.dataset}, {cfg.n_chips} chips", numbers, figures,
                 data=data)
    return numbers


def _plots(out, acc, snn_acc, sig_rows, adc_rows, lev_rows, e, ops):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = []
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.hist(acc * 100, bins=min(20, max(5, len(acc) // 2)), color="#4477aa")
    ax.axvline(snn_acc * 100, color="k", ls="--", label="nominal SNN")
    ax.set_xlabel("accuracy (%)")
    ax.set_ylabel("chips")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "accuracy_histogram.png", dpi=100)
    plt.close(fig)
    figs.append(("accuracy_histogram.png", "Accuracy over sampled chips"))
    for name, rows, xlabel, log in (("accuracy_vs_sigma.png", sig_rows, "mismatch scale ×σ", False),
                                    ("accuracy_vs_adc.png", adc_rows, "ADC bits", False),
                                    ("accuracy_vs_levels.png", lev_rows, "conductance levels",
                                     True)):
        fig, ax = plt.subplots(figsize=(5, 3.4))
        xs = [r[0] for r in rows]
        m = [100 * np.mean(r[1]) for r in rows]
        s = [100 * np.std(r[1]) for r in rows]
        ax.errorbar(xs, m, yerr=s, marker="o", capsize=3)
        if log:
            ax.set_xscale("log", base=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("accuracy (%)")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
        figs.append((name, f"Accuracy (mean ± std over chips) vs {xlabel}"))
    fig, ax = plt.subplots(figsize=(5, 3.4))
    labels = ["spikes", "syn. events", "xbar read", "static", "SNN AC est.", "ANN MAC est."]
    vals = [e["spikes_j"], e["synaptic_events_j"], e["crossbar_read_j"], e["static_j"],
            ops["snn_ac_j"], ops["ann_mac_j"]]
    ax.bar(labels, vals, color=["#4477aa"] * 4 + ["#aa7744"] * 2)
    ax.set_yscale("symlog", linthresh=1e-15)
    ax.set_ylabel("energy per inference (J)")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(out / "energy_breakdown.png", dpi=100)
    plt.close(fig)
    figs.append(("energy_breakdown.png", "Energy per inference: circuit model vs AC/MAC estimate"))
    return figs
