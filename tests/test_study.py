"""The hardware study end to end (tiny): report, sweeps, resume, config errors."""

from __future__ import annotations

import json

import pytest

from neurocircuit.cli import main
from neurocircuit.errors import ParameterError

CFG = """
[study]
dataset = "digits"
epochs = 3
hidden = 32
T = 8
test_limit = 60
sweep_chips = 2
sigma_scales = [0, 4]
adc_bits = [3]
levels = [8]

[crossbar]
levels = 32
g_c2c = 0.02
adc_bits = 6
"""


@pytest.mark.slow
def test_evaluate_cli_and_resume(tmp_path, capsys):
    cfg = tmp_path / "s.toml"
    cfg.write_text(CFG)
    out = tmp_path / "out"
    assert main(["evaluate", str(cfg), "--chips", "4", "--workers", "1", "-o", str(out)]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["numbers"]["n_chips"] == 4
    assert len(rep["data"]["chip_accuracy"]) == 4
    for f in rep["figures"]:
        assert (out / f).stat().st_size > 1000
    sig = {r["scale"]: r["acc"] for r in rep["data"]["sigma_sweep"]}
    assert sum(sig[0]) / 2 >= sum(sig[4]) / 2 - 0.05
    stored = sorted(p.name for p in (out / "sweep-store").rglob("*") if p.is_file())
    assert stored
    assert main(["evaluate", str(cfg), "--chips", "4", "--workers", "1", "-o", str(out)]) == 0
    rep2 = json.loads((out / "report.json").read_text())
    assert rep2["data"]["chip_accuracy"] == rep["data"]["chip_accuracy"]


def test_config_errors(tmp_path):
    from neurocircuit.clicmds.evaluate import load_config

    bad = tmp_path / "b.toml"
    bad.write_text("[study]\nnope = 1\n")
    with pytest.raises(ParameterError, match="nope"):
        load_config(bad)
    bad.write_text("[crossbar]\ng_max = -1.0\n")
    with pytest.raises(ParameterError, match="'g_max'"):
        load_config(bad)
