"""``neurocircuit evaluate CONFIG.toml --chips N [--workers K | --scheduler ADDR] -o DIR``.

CONFIG.toml::

    [study]              # fields of neurocircuit.evaluate.study.StudyConfig
    dataset = "digits"
    hidden = 128
    T = 32
    gain_sigma = 0.1
    sigma_scales = [0, 0.5, 1, 2, 4]

    [crossbar]           # fields of neurocircuit.hardware.mapping.CrossbarSpec
    levels = 64
    g_c2c = 0.01
    adc_bits = 6

    [energy]             # fields of neurocircuit.hardware.energy.CircuitEnergy
    e_spike = 1e-12
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from ..errors import ParameterError


def load_config(path: str | Path, overrides: dict | None = None):
    import tomllib

    from ..evaluate.study import StudyConfig
    from ..hardware.energy import CircuitEnergy
    from ..hardware.mapping import CrossbarSpec

    p = Path(path)
    if not p.exists():
        raise ParameterError(f"Config file {p} does not exist.")
    try:
        doc = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{p} is not valid TOML: {exc}") from exc
    unknown = set(doc) - {"study", "crossbar", "energy"}
    if unknown:
        raise ParameterError(f"Unknown table(s) {sorted(unknown)} in {p}; valid: study, "
                             "crossbar, energy.")

    def build(cls, table, name):
        names = {f.name for f in dataclasses.fields(cls)}
        bad = set(table) - names
        if bad:
            raise ParameterError(f"Unknown key(s) {sorted(bad)} in [{name}] of {p}; valid: "
                                 f"{', '.join(sorted(names))}.")
        return table

    study = dict(build(StudyConfig, doc.get("study", {}), "study"))
    for k in ("sigma_scales", "adc_bits", "levels"):
        if k in study:
            study[k] = tuple(study[k])
    if "crossbar" in doc:
        study["crossbar"] = CrossbarSpec(**build(CrossbarSpec, doc["crossbar"], "crossbar"))
    if "energy" in doc:
        study["energy"] = CircuitEnergy(**build(CircuitEnergy, doc["energy"], "energy"))
    study.update(overrides or {})
    return StudyConfig(**study)


def _main(args: argparse.Namespace) -> int:
    from ..evaluate.study import run_study

    over = {}
    if args.chips:
        over["n_chips"] = args.chips
    if args.data_dir:
        over["data_dir"] = args.data_dir
    cfg = load_config(args.config, over)
    numbers = run_study(cfg, args.output, say=lambda m: print(m, flush=True),
                        workers=args.workers or (None if args.scheduler is None else 1),
                        scheduler=args.scheduler, progress=True)
    print(json.dumps(numbers, indent=1))
    print(f"report: {Path(args.output) / 'report.html'}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="hardware study: accuracy/energy over sampled chips")
    p.add_argument("config", help="study TOML file")
    p.add_argument("--chips", type=int, default=0, help="chips for the main evaluation")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None, help="local worker processes")
    g.add_argument("--scheduler", help="Dask scheduler address tcp://host:port")
    p.add_argument("--data-dir", help="dataset directory (or NEUROCIRCUIT_DATA)")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.set_defaults(func=_main)
