"""``neurocircuit demo --quick``: the interim main job writes its report and plots."""

from __future__ import annotations

import json

import pytest

from neurocircuit.cli import main

PNGS = ("idvg_corners.png", "idvg_temperature.png", "idvd.png", "mismatch.png",
        "metrics_table.png")


@pytest.mark.ngspice
@pytest.mark.slow
def test_demo_quick_writes_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--quick", "--no-cache"]) == 0
    printed = capsys.readouterr().out
    assert "[1/4] MOS characterisation" in printed and "demo finished" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["quick"] is True and summary["all_checks_pass"] is True
    assert list(summary["steps"]) == ["mos", "neuron", "synapse", "chips"]
    chips = json.loads((out / "chips" / "report.json").read_text())
    assert len(chips["data"]["chip_accuracy"]) == 32
    assert chips["numbers"]["chip_accuracy_mean"] > 0.8
    assert chips["numbers"]["neuron_mismatch_source"].endswith("axon-hillock.json")
    assert summary["steps"]["neuron"]["fi_rel_rms"] < 0.03
    index = (out / "report.html").read_text()
    assert "chips/accuracy_histogram.png" in index
    rep = json.loads((out / "mos" / "report.json").read_text())
    for key in ("process", "config", "ngspice_version", "backend", "devices", "mismatch",
                "checks", "all_checks_pass", "files", "wall_time_s"):
        assert key in rep, key
    assert rep["ngspice_version"]
    assert set(rep["devices"]) == {"n", "p"}
    assert {"tt@27", "ff@27", "ss@27", "tt@85"} <= set(rep["devices"]["n"])
    m = rep["devices"]["p"]["tt@27"]
    assert 65 <= m["swing_mV_per_dec"] <= 110 and 0.55 <= m["kappa"] <= 0.85
    assert all(c["ok"] for c in rep["checks"].values())
    assert len(rep["checks"]) == 8
    for name in PNGS:
        data = (out / "mos" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
    html = (out / "mos" / "report.html").read_text()
    assert "<table>" in html and "idvg_corners.png" in html and "FAIL" not in html


def test_demo_is_registered():
    from neurocircuit.cli import build_parser

    args = build_parser().parse_args(["demo", "-o", "x", "--quick"])
    assert args.quick and args.out == "x" and callable(args.func)
