"""``neurocircuit doctor`` and ``neurocircuit simulate``."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

from neurocircuit.cli import main
from neurocircuit.clicmds.simulate import has_analysis
from neurocircuit.spice import SimResult
from neurocircuit.spice.locate import INSTALL_HINT, describe, find_binary, find_library

DECK = """* rc step for the CLI
V1 in 0 PULSE(0 1 0 1n 1n 1 2)
R1 in out 1k
C1 out 0 1u
.tran 10u 3m
.end
"""


@pytest.mark.ngspice
def test_doctor_reports_everything(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert find_binary() in out and "ngspice version  : ngspice-" in out
    assert "analog.cm" in out and "PySpice          : 1." in out
    assert "backend batch    : ok" in out and "backend shared   : ok" in out
    info = describe()
    assert info.complete and info.version.startswith("ngspice-")
    assert any(m.endswith("digital.cm") for m in info.code_models)


def test_doctor_fails_with_install_command(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NGSPICE", str(tmp_path / "no-ngspice"))
    monkeypatch.setenv("NGSPICE_LIBRARY", str(tmp_path / "libngspice.so"))
    assert find_binary() is None and find_library() is None
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "ngspice binary   : MISSING" in out and "libngspice       : MISSING" in out
    assert INSTALL_HINT in out
    assert "backend batch    : skipped" in out


@pytest.mark.ngspice
def test_simulate_deck_saves_and_plots(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEUROCIRCUIT_CACHE", str(tmp_path / "cache"))
    deck = tmp_path / "rc.cir"
    deck.write_text(DECK)
    npz, png = tmp_path / "r.npz", tmp_path / "r.png"
    args = ["simulate", str(deck), "--backend", "batch", "--out", str(npz), "--plot", str(png)]
    assert main(args + ["--signals", "v(out),v(in)"]) == 0
    out = capsys.readouterr().out
    assert "tran analysis" in out and "backend batch" in out and "v(out): min 0" in out
    res = SimResult.load(npz)
    assert res.analysis == "tran" and res.backend == "batch"
    t = res.time
    assert res["out"][-1] == pytest.approx(1 - np.exp(-t[-1] / 1e-3), abs=2e-3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the second run comes from the cache; --no-cache bypasses it
    assert main(["simulate", str(deck), "--backend", "batch"]) == 0
    assert "(cached)" in capsys.readouterr().out
    assert main(["simulate", str(deck), "--no-cache", "--options", "subthreshold"]) == 0
    assert "(cached)" not in capsys.readouterr().out


@pytest.mark.ngspice
def test_simulate_errors_are_reported(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the failed run's folder
    bad = tmp_path / "bad.cir"
    bad.write_text("* bad\nV1 d 0 1\nM1 d d 0 0 nosuchmodel W=1u L=1u\n.op\n.end\n")
    assert main(["simulate", str(bad), "--no-cache", "--backend", "batch"]) == 1
    err = capsys.readouterr().err
    assert "nosuchmodel" in err and "deck:" in err
    none = tmp_path / "none.cir"
    none.write_text("* no analysis\nR1 a 0 1k\n.end\n")
    assert main(["simulate", str(none)]) == 1
    assert "no analysis card" in capsys.readouterr().err
    assert main(["simulate", str(tmp_path / "missing.cir")]) == 1
    good = tmp_path / "good.cir"
    good.write_text(DECK)
    assert main(["simulate", str(good), "--no-cache", "--signals", "v(nope)"]) == 1
    assert "No signal 'v(nope)'" in capsys.readouterr().err


def test_has_analysis():
    assert has_analysis(DECK)
    assert not has_analysis("* x\nR1 a 0 1k\n.control\ntran 1u 1m\n.endc\n")
    assert has_analysis("* x\nR1 a 0 1k\n.OP\n")
